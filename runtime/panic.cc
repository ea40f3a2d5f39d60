// panic.cc — fatal errors, unrecovered panics (C++ exceptions) and Goexit.
//
// Go counterpart: src/runtime/panic.go
// https://github.com/golang/go/blob/go1.22.0/src/runtime/panic.go
//
// Go's words and layout, exactly:
//
//   throw(s)   runtime bug:  "fatal error: s", runtime frames shown, all goroutines
//   fatal(s)   user error:   "fatal error: s", user frames, all goroutines
//   panic      unrecovered:  "panic: v", the panicking goroutine only
//
// each followed by the tracebacks and exit status 2.
//
// Panics are C++ exceptions (differs from Go: no defer/recover; destructors
// and catch blocks play their parts). An exception that no catch block on the
// goroutine's stack wants reaches goexit, whose unwind info marks the end of
// the stack. The C++ runtime then calls std::terminate *without unwinding*
// (the search phase found no handler), so our terminate handler runs with
// the throwing frames still on the stack and prints them, as Go prints the
// panicking frames.
#include <cxxabi.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <typeinfo>

#include "runtime.h"

namespace runtime {

/// Terminates the goroutine that calls it, running its destructors (Go runs
/// its deferred calls). Other goroutines are not affected. Calling Goexit from
/// the main goroutine ends it without returning from main_main; the program
/// continues, and dies of "no goroutines ... deadlock" if nothing else is left.
/// Runs on: g. @gosrc{panic.go,Goexit}
/// @differs{implemented by throwing goexitUnwind, caught at the goroutine's first frame}
void Goexit() {
    throw goexitUnwind{};
}

static void printpanicval(std::exception_ptr e);

/// Flushes the program's buffered standard output before a fatal report, so
/// what it printed comes before the report (Go's fmt writes unbuffered, so Go
/// needs no such step). Not from the signal handler: stdio may be the culprit.
/// Runs on: any stack except the signal stack. @gortonly{Go's output is unbuffered}
static void flushstdout() {
    std::fflush(stdout);
}

/// Prints "[signal ...]" if the failure came from a signal (the opening lines
/// of Go's dopanic_m). Runs on: any stack (incl. signal stack).
/// @gosrc{panic.go,dopanic_m}
static void printsignal(g* gp) {
    if (gp == nullptr || gp->sig == 0) return;
    printstring("[signal ");
    printstring(gp->sig == 11 ? "SIGSEGV: segmentation violation" : "SIGBUS: bus error");
    printstring(" code=");
    printhex(gp->sigcode0);
    printstring(" addr=");
    printhex(gp->sigcode1);
    printstring(" pc=");
    printhex(gp->sigpc);
    printstring("]\n");
}

/// ehsave's rare case (stubs.h): g is inside a catch block, or a destructor
/// run by unwinding, at a switch. Moves the thread's record into g.
/// Runs on: g. @gortonly{see ehsave in stubs.h}
[[gnu::noinline]] void ehsave_slow(g* gp, cxa_eh_globals* e) {
    if (gp->ehcaught != nullptr || gp->ehuncaught != 0) throw_("ehsave: g already holds exceptions");
    gp->ehcaught = e->caughtExceptions;
    gp->ehuncaught = e->uncaughtExceptions;
    e->caughtExceptions = nullptr;
    e->uncaughtExceptions = 0;
}

/// ehrestore's rare case (stubs.h): back on an M, g takes its exceptions
/// back. The thread's record must be empty: the g that ran here before took
/// its own with it. Runs on: g. @gortonly{see ehsave in stubs.h}
[[gnu::noinline]] void ehrestore_slow(g* gp) {
    cxa_eh_globals* e = gp->m->eh;
    if (e->caughtExceptions != nullptr || e->uncaughtExceptions != 0)
        throw_("ehrestore: the thread still holds another goroutine's exceptions");
    e->caughtExceptions = gp->ehcaught;
    e->uncaughtExceptions = gp->ehuncaught;
    gp->ehcaught = nullptr;
    gp->ehuncaught = 0;
}

/// Under GODEBUG=schedrandom, ends a fatal report with the seed, so that the
/// failing schedule can be asked for again. Runs on: any stack.
/// @gortonly{Go's randomized scheduler has no seed to print}
static void printschedrandom() {
    if (!randomizeScheduler) return;
    printstring("\nscheduler randomized: GODEBUG=schedrandom=");
    printint(debug.schedrandom);
    printstring("\n");
}

/// Prints the tracebacks that follow a fatal message: the failing goroutine's
/// (or g0's "runtime stack:"), then, if all, every other goroutine.
/// skip: frames of the fatal machinery to leave out. Runs on: any stack (incl.
/// signal stack): fatalthrow's, with no switch to g0 (Go's fatalthrow switches
/// with systemstack), so the failing frames are still there to print.
/// @gosrc{panic.go,dopanic_m}
static void dopanic_m(g* gp, int skip) {
    printsignal(gp);
    m* mp = gp->m;
    int32_t level = mp->throwing >= throwTypeRuntime ? 2 : traceback_level;
    bool all = mp->throwing >= throwTypeUser || traceback_all;
    if (level > 0) {
        if (gp != mp->curg) all = true;
        if (gp != mp->g0) {
            printstring("\n");
            goroutineheader(gp);
            tracebackcurrent(gp, skip + 1, gp->sigpc);
        } else if (level >= 2 || mp->throwing >= throwTypeRuntime) {
            printstring("\nruntime stack:\n");
            tracebackcurrent(nullptr, skip + 1, gp->sigpc);
        }
        if (all) tracebackothers(gp);
    }
    printschedrandom();
}

std::atomic<uint32_t> panicking;  ///< non-zero while a fatal report is being printed
static mutex paniclk;  ///< one M prints its report; the others wait, then die with it

/// Stops the other Ms as far as possible before a fatal report: tells the
/// scheduler to start nothing new (they stop at their next schedule), and
/// waits a moment. Best effort: a running goroutine goes on until it
/// blocks. Runs on: any stack. @gosrc{proc.go,freezetheworld}
static void freezetheworld() {
    for (int i = 0; i < 5; i++) {
        // this should tell the scheduler to not start any new goroutines
        sched.stopwait.store(freezeStopWait);
        sched.gcwaiting.store(true);
        // this should stop running goroutines
        if (!preemptall()) break;  // no running goroutines
        usleep(1000);
    }
}

/// The start of a fatal report: one M at a time (a second M failing waits on
/// paniclk until the first exits the process), the others frozen. Only the
/// first call on an M does this: fatalpanic and the fatalthrow after it share
/// one report. Runs on: any stack (incl. signal stack: sighandler's SIGQUIT).
/// @gosrc{panic.go,startpanic_m}
void startpanic_m() {
    m* mp = getg()->m;
    if (mp->dying != 0) return;
    __atomic_store_n(&mp->dying, 1, __ATOMIC_RELAXED);  // read by schedtrace
    panicking.fetch_add(1);
    lock(&paniclk);
    if (debug.schedtrace > 0 || debug.scheddetail > 0) schedtrace(true);
    freezetheworld();
}

/// The end of every fatal path: tracebacks, then exit 2. Runs on: any stack.
/// @gosrc{panic.go,fatalthrow}
void fatalthrow(int32_t t) {
    g* gp = getg();
    if (gp->m->throwing > 0) {  // a second failure while dying: just die
        printstring("fatal: recursive throw\n");
        ::_exit(2);
    }
    __atomic_store_n(&gp->m->throwing, t, __ATOMIC_RELAXED);  // read by schedtrace
    startpanic_m();
    dopanic_m(gp, 1);
    ::_exit(2);
}

/// Reports a fatal error in the runtime itself: a bug, or a state the runtime
/// cannot survive. Runtime frames are shown. Runs on: any stack.
/// @gosrc{panic.go,throw}
void throw_(const char* s) {
    flushstdout();
    printstring("fatal error: ");
    printstring(s);
    printstring("\n");
    fatalthrow(throwTypeRuntime);
}

/// Reports a fatal error caused by the program (deadlock, misuse of sync):
/// like throw, but runtime frames stay hidden. Runs on: any stack.
/// @gosrc{panic.go,fatal}
void fatal(const char* s) {
    flushstdout();
    printstring("fatal error: ");
    printstring(s);
    printstring("\n");
    fatalthrow(throwTypeUser);
}

/// Called by systemstack when the current g is neither g0 nor curg.
/// Runs on: that unexpected g's stack (systemstack does not switch).
/// @gosrc{stubs.go,badsystemstack}
void badsystemstack() {
    printstring("fatal: systemstack called from unexpected goroutine");
}

/// Prints an exception as Go prints a panic value: what() for std::exception
/// (Go: err.Error()), strings and numbers as themselves, anything else as
/// "(type) address". Runs on: the stack of the uncaught throw (fatalpanic's).
/// @gosrc{error.go,printany}
static void printpanicval(std::exception_ptr e) {
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& x) {
        printstring(x.what());
    } catch (const char* s) {
        printstring(s);
    } catch (const std::string& s) {
        printstring(s.c_str());
    } catch (long long v) {
        printint(v);
    } catch (long v) {
        printint(v);
    } catch (int v) {
        printint(v);
    } catch (unsigned long v) {
        printuint(v);
    } catch (unsigned v) {
        printuint(v);
    } catch (...) {
        const std::type_info* t = abi::__cxa_current_exception_type();
        int status;
        char* d = t ? abi::__cxa_demangle(t->name(), nullptr, nullptr, &status) : nullptr;
        printstring("(");
        printstring(d ? d : t ? t->name() : "?");
        printstring(") ");
        printhex(reinterpret_cast<uintptr_t>(&e));
        std::free(d);
    }
}

/// The terminate handler: an exception nobody caught. With the stack intact
/// (see the top of this file), prints "panic: v" and the goroutine's frames
/// from the throw point, then exits 2. Runs on: the stack of the uncaught
/// throw (g, or g0 if the runtime itself threw), above the throwing frames.
/// @gosrc{panic.go,fatalpanic}
[[noreturn]] static void fatalpanic() {
    g* gp = getg();
    if (gp != nullptr) {
        if (gp->m->dying > 0) ::_exit(2);  // a panic while printing one
        startpanic_m();  // before printing: main must see panicking and wait (proc.cc main)
    }
    flushstdout();
    std::exception_ptr e = std::current_exception();
    if (e) {
        printstring("panic: ");
        printpanicval(e);
        printstring("\n");
    } else {
        printstring("fatal error: std::terminate called without an exception\n");
    }
    if (gp == nullptr) ::_exit(2);  // not a gort thread: nothing more to show
    m* mp = gp->m;
    if (gp != mp->curg) {  // thrown on g0 (inside systemstack or an mcall fn)
        printstring("fatal error: panic on system stack\n");
        fatalthrow(throwTypeRuntime);
    }
    int32_t level = traceback_level;
    if (level > 0) {
        if (gp != mp->g0) {
            printstring("\n");
            goroutineheader(gp);
            // Leave out the throw machinery: __cxa_throw, std::terminate, us.
            tracebackcurrent(gp, -1, 0);
        } else {
            printstring("\nruntime stack:\n");
            tracebackcurrent(nullptr, -1, 0);
        }
        if (traceback_all || gp != mp->curg) tracebackothers(gp);
    }
    printschedrandom();
    ::_exit(2);
}

/// Installs the terminate handler. Runs on: g0, from schedinit. @gortonly{
/// Go's panics need no hook; gort's are C++ exceptions, and one that nobody
/// catches ends in std::terminate, whose handler becomes fatalpanic}
void panicinit() {
    std::set_terminate(fatalpanic);
}

}  // namespace runtime
