// signal_unix.cc — stack overflow, bad memory access, and SIGQUIT's goroutine dump.
//
// Go counterpart: src/runtime/signal_unix.go
// https://github.com/golang/go/blob/go1.22.0/src/runtime/signal_unix.go
//
// Each M has an alternate signal stack (Go: m.gsignal), so a SIGSEGV taken on
// an exhausted goroutine stack can still run the handler. The handler sorts
// the fault as Go's sighandler and sigpanic do:
//   * on the current goroutine's guard page: Go's stack-overflow report
//     (runtime: goroutine stack exceeds ... / fatal error: stack overflow);
//   * elsewhere on a goroutine: Go's nil-dereference panic, with the
//     [signal ...] line;
//   * on g0 (the runtime itself): fatal error: unexpected signal during
//     runtime execution.
// Frames are printed from the faulting instruction: the C++ unwinder steps
// through the kernel's signal frame.
//
// SIGQUIT (kill -QUIT, Ctrl-\) is Go's _SigThrow signal: whichever M the
// kernel picks prints "SIGQUIT: quit", the PC it interrupted, its goroutine's
// frames from that PC, every other goroutine, its registers, and exits 2 —
// from the handler, on the signal stack, with the other Ms frozen as for a
// fatal error (startpanic_m), as Go does.
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "runtime.h"

namespace runtime {

static constexpr size_t sigstackSize = 256 * 1024;  // room for libbacktrace's DWARF reader
static constexpr uintptr_t guardSize = 4096;

/// Reports whether addr lies in the guard page below gp's stack. Runs on: the
/// M's signal stack, from sighandler. @gortonly{Go's stacks have no guard
/// pages (the prologue check and morestack keep SP in bounds)}
static bool inguard(g* gp, uintptr_t addr) {
    return gp->stack.lo != 0 && addr < gp->stack.lo && addr >= gp->stack.lo - guardSize;
}

/// Prints the first lines of a fatal signal's report: the signal's name as
/// Go's sigtable has it, the interrupted PC, the M and si_code. Runs on: the
/// M's signal stack. @gosrc{signal_unix.go,fatalsignal}
static void fatalsignal(int sig, siginfo_t* info, ucontext_t* uc, m* mp) {
    printstring(sig == SIGQUIT ? "SIGQUIT: quit\n" : "Signal ");
    if (sig != SIGQUIT) {
        printint(sig);
        printstring("\n");
    }
    printstring("PC=");
    printhex(uint64_t(uc->uc_mcontext.gregs[REG_RIP]));
    printstring(" m=");
    printint(mp->id);
    printstring(" sigcode=");
    printuint(uint64_t(int64_t(info->si_code)));  // Go: uint64(si_code); raise() gives SI_TKILL, -6
    printstring("\n\n");
}

/// SIGQUIT: Go's _SigThrow path of sighandler. Prints the goroutine this M
/// was running (g0's frames if it was in the scheduler) from the interrupted
/// PC, then every other goroutine, then the registers, and exits 2. The level
/// is 2, as for a runtime throw: runtime frames show. Runs on: the M's
/// signal stack. @gosrc{signal_unix.go,sighandler}
static void sigthrow(int sig, siginfo_t* info, ucontext_t* uc) {
    g* gp = getg();
    if (gp == nullptr || gp->m == nullptr) {
        // A thread gort did not start has no M to report from: hand the
        // signal to m0's thread (Go: such a thread has no g and forwards).
        ::syscall(SYS_tgkill, ::getpid(), pid_t(m0.procid), sig);
        return;
    }
    m* mp = gp->m;
    if (mp->throwing > 0 || mp->dying > 0) return;  // a report is being printed already
    __atomic_store_n(&mp->throwing, throwTypeRuntime, __ATOMIC_RELAXED);  // read by schedtrace
    startpanic_m();
    fatalsignal(sig, info, uc, mp);
    goroutineheader(gp);
    tracebackcurrent(gp, 0, uintptr_t(uc->uc_mcontext.gregs[REG_RIP]));
    tracebackothers(gp);
    printstring("\n");
    dumpregs(uc);
    ::_exit(2);
}

/// Says why a thread without a g cannot be in the runtime: the runtime has
/// not started yet (a static constructor called it), or the thread is not one
/// of gort's. fault: a signal brought us here, not mcall's check.
/// Runs on: a thread without a g. @gortonly{Go code cannot run before the
/// runtime starts, and a foreign thread that calls Go gets an M (needm)}
static void printnogoroutine(bool fault) {
    if (m0.g0 == nullptr)
        printstring("fatal error: gort: runtime call before the runtime started (from a static constructor?)\n");
    else if (fault)
        printstring("fatal error: unexpected signal on a thread that is not running gort\n");
    else
        printstring("fatal error: gort: runtime call on a thread that is not running gort\n");
    printstring("(runtime calls such as gort::go, Gosched or gopark must come from a goroutine)\n");
}

/// mcall's check (stubs.h): a switch asked for on a thread with no g.
/// Runs on: a thread without a g. @gortonly{see printnogoroutine}
[[noreturn]] void nogoroutine() {
    printnogoroutine(false);
    ::_exit(2);
}

/// The handler of SIGSEGV, SIGBUS and SIGQUIT. Runs on: the M's signal stack.
/// @gosrc{signal_unix.go,sighandler}
static void sighandler(int sig, siginfo_t* info, void* ctx) {
    auto* uc = static_cast<ucontext_t*>(ctx);
    if (sig == SIGQUIT) return sigthrow(sig, info, uc);
    uintptr_t pc = uintptr_t(uc->uc_mcontext.gregs[REG_RIP]);
    uintptr_t sp = uintptr_t(uc->uc_mcontext.gregs[REG_RSP]);
    uintptr_t addr = reinterpret_cast<uintptr_t>(info->si_addr);
    g* gp = getg();
    if (gp == nullptr || gp->m == nullptr) {
        // A thread gort did not start, or the runtime is not running yet
        // (a static constructor): say which, then exit 2 as a fatal error.
        printnogoroutine(true);
        printstring("[signal ");
        printstring(sig == SIGSEGV ? "SIGSEGV: segmentation violation" : "SIGBUS: bus error");
        printstring(" addr=");
        printhex(addr);
        printstring(" pc=");
        printhex(pc);
        printstring("]\n");
        ::_exit(2);
    }
    if (gp->m->throwing > 0 || gp->m->dying > 0) {
        // A fault while printing a fatal error (a traceback through a
        // damaged stack): stop here rather than loop.
        printstring("\n...traceback stopped: fault while printing it\n");
        ::_exit(2);
    }
    gp->sigpc = pc;
    // On the guard page, or with SP already below the stack (an unguarded
    // stack that ran into whatever lies below it): a stack overflow.
    if (gp != gp->m->g0 && (inguard(gp, addr) || sp < gp->stack.lo))
        stackoverflow(gp, sp);
    gp->sig = uint32_t(sig);
    gp->sigcode0 = uintptr_t(info->si_code);
    gp->sigcode1 = addr;
    if (gp == gp->m->g0) {
        printstring("fatal error: unexpected signal during runtime execution\n");
        fatalthrow(throwTypeRuntime);
    }
    // Go's sigpanic → panicmem: an unrecovered runtime error.
    printstring("panic: runtime error: invalid memory address or nil pointer dereference\n");
    __atomic_store_n(&gp->m->throwing, throwTypeNone, __ATOMIC_RELAXED);  // read by schedtrace
    fatalthrow(throwTypeNone);
}

/// Installs the handlers. Runs on: g0 of m0, once. @gosrc{signal_unix.go,initsig}
void initsig() {
    struct sigaction sa {};
    sa.sa_sigaction = sighandler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;  // NODEFER: see the fault-while-dying case
    sigfillset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, nullptr);
    sigaction(SIGBUS, &sa, nullptr);
    sigaction(SIGQUIT, &sa, nullptr);
}

/// Installs the fault handlers before the program's static constructors run
/// (priority 101 runs first), so that a runtime call made from one, before
/// rt0_go, is reported by sighandler instead of being a bare crash. initsig
/// installs them again, with SIGQUIT, once the runtime starts.
/// Runs on: the main thread, before main. @gortonly{Go code has no static
/// constructors that could call the runtime before it starts}
[[gnu::constructor(101)]] static void initsig_early() {
    struct sigaction sa {};
    sa.sa_sigaction = sighandler;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, nullptr);
    sigaction(SIGBUS, &sa, nullptr);
}

/// Gives this M an alternate signal stack. Runs on: g0, from mstart1.
/// @gosrc{signal_unix.go,minitSignalStack}
void minitSignalStack() {
    void* p = mmap(nullptr, sigstackSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);
    if (p == MAP_FAILED) throw_("runtime: cannot allocate signal stack");
    stack_t st{};
    st.ss_sp = p;
    st.ss_size = sigstackSize;
    sigaltstack(&st, nullptr);
}

/// Undoes minitSignalStack before the thread exits: disables and frees the
/// signal stack. Runs on: g0, signals blocked. @gosrc{signal_unix.go,unminitSignals}
void unminitSignals() {
    stack_t st{};
    if (sigaltstack(nullptr, &st) != 0 || (st.ss_flags & SS_DISABLE)) return;
    stack_t off{};
    off.ss_flags = SS_DISABLE;
    sigaltstack(&off, nullptr);
    munmap(st.ss_sp, st.ss_size);
}

}  // namespace runtime
