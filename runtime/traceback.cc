// traceback.cc — goroutine tracebacks in Go's layout.
//
// Go counterpart: src/runtime/traceback.go
// https://github.com/golang/go/blob/go1.22.0/src/runtime/traceback.go
//
// What a dump looks like (Go's layout, kept exactly):
//
//   goroutine 7 [chan receive]:
//   main_main()::{lambda()#1}::operator()() const
//   	/src/examples/x.cc:12 +0x2d
//   created by main_main() in goroutine 1
//   	/src/examples/x.cc:10 +0x5e
//
// How frames are found (differs from Go, which has its own pc-value tables):
//  * the goroutine that is crashing, or running: libgcc's CFI unwinder
//    (_Unwind_Backtrace), which walks through frames without frame pointers
//    (libstdc++'s terminate path, the kernel's signal frame) and stops at
//    goexit, whose unwind info says "no caller";
//  * a parked goroutine: its saved gobuf (pc, bp) and the frame-pointer chain
//    from there, which the runtime keeps (-fno-omit-frame-pointer) — mcall
//    saves the caller's BP for exactly this;
//  * names, files and lines: libbacktrace (shipped with GCC, reads DWARF),
//    names demangled by libsupc++'s demangler, without allocating (the
//    traceback may run in a signal handler). Inlined calls are frames too,
//    printed as Go prints them: with "(...)" and no +0x offset.
//
// Which frames show (Go's showframe): GOTRACEBACK=system or crash, or a runtime
// throw, shows everything; otherwise frames of the runtime itself (names in
// namespace runtime, asm symbols runtime.*) are hidden.
#include <backtrace.h>
#include <dlfcn.h>
#include <unwind.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "runtime.h"

// libsupc++'s allocation-free demangler (the engine behind abi::__cxa_demangle):
// calls back with pieces of the demangled name; 0 on success.
extern "C" int __gcclibcxx_demangle_callback(const char* mangled,
                                             void (*callback)(const char*, size_t, void*),
                                             void* opaque);

namespace runtime {

static backtrace_state* btstate;
static constexpr int tracebackInnerFrames = 50;  // Go's: printed from the innermost end
static constexpr int tracebackOuterFrames = 50;  // Go's: printed from the outermost end

/// One physical frame found by a walk: its pc, and whether pc is a return
/// address (so that the call itself is at pc-1). @gortonly{Go's unwinder
/// keeps frames in its unwinder type}
struct pcframe {
    uintptr_t pc;
    bool isret;
};
/// Frames of the stack being printed. Static: a walk may run on the signal
/// stack of a goroutine that overflowed, and only one walk runs at a time
/// (fatal paths hold m.throwing or m.dying).
static pcframe pcbuf[1 << 16];
static uintptr_t rt0lo, rt0hi;  ///< [start, end) of rt0_go: the bottom of g0's frames

/// Loads the symbolizer. Done at start-up, not on the fatal path, so a crash
/// does not have to allocate much. Runs on: g0, from schedinit. @gortonly{
/// Go's symbol and line tables (pclntab) are part of the binary and need no
/// loading}
void tracebackinit() {
    btstate = backtrace_create_state(nullptr, /*threaded=*/1, nullptr, nullptr);
}

/// Finds [rt0lo, rt0hi) on the first traceback. Not at start-up: the first
/// symbol lookup makes libbacktrace read (and inflate) all the debug info.
/// Runs on: any stack (incl. signal stack). @gortonly{Go's tables know rt0_go}
static void findrt0() {
    if (rt0hi != 0) return;
    struct range {
        static void cb(void*, uintptr_t, const char*, uintptr_t symval, uintptr_t symsize) {
            rt0lo = symval;
            rt0hi = symval + symsize;
        }
    };
    backtrace_syminfo(btstate, reinterpret_cast<uintptr_t>(&rt0_go), range::cb, nullptr, nullptr);
}

/// Reports whether the frame at pc is the last one of a stack: goexit's on a
/// goroutine (its fake return address), rt0_go's on m0's g0. Runs on: any
/// stack (incl. signal stack). @gortonly{Go's unwinder checks funcID_goexit and friends}
static bool endofstack(uintptr_t pc) {
    findrt0();
    return pc == reinterpret_cast<uintptr_t>(&goexit) + 1 || (pc - 1 >= rt0lo && pc - 1 < rt0hi);
}

/// Go's showframe: hide the runtime's own frames unless asked. A frame is the
/// runtime's if its function is in namespace runtime (or an asm runtime.*
/// symbol), or, for inlined frames whose DWARF name is unqualified, if its
/// source file lives in gort's runtime/ directory. Runs on: any stack (incl.
/// signal stack). @gosrc{traceback.go,showframe}
static bool showframe(const char* name, const char* file, int level) {
    if (level >= 2) return true;
    if (name && (std::strncmp(name, "runtime::", 9) == 0 || std::strncmp(name, "runtime.", 8) == 0))
        return false;
    if (file && (std::strncmp(file, "runtime/", 8) == 0 || std::strstr(file, "/runtime/"))) {
        // gort's runtime/ also holds packages that are not runtime in Go:
        // sync and time (sync.h) and iter (iter.h), whose frames Go shows.
        const char* base = std::strrchr(file, '/');
        base = base ? base + 1 : file;
        return std::strcmp(base, "sync.h") == 0 || std::strcmp(base, "iter.h") == 0;
    }
    return true;
}

/// The state of printing one pc: its symbol and how many lines libbacktrace
/// reports for it. @gortonly{libbacktrace's callbacks' state}
struct frameprinter {
    int level;
    uintptr_t pc;       ///< the pc printed in +0x offsets
    uintptr_t entry;    ///< start of the physical function containing pc
    const char* sym;    ///< its ELF symbol (mangled), from the symbol table
    int seen;           ///< lines reported for this pc so far
    int total;          ///< lines reported for this pc (first pass)
};

/// A buffer that demangled text is appended to, truncated at its size.
/// @gortonly{Go's names need no demangling}
struct namebuf {
    char* s;
    size_t size;
    size_t n;

    /// The demangler's output callback. Runs on: any stack (incl. signal
    /// stack). @gortonly{Go's names need no demangling}
    static void append(const char* p, size_t len, void* opaque) {
        auto* b = static_cast<namebuf*>(opaque);
        if (len > b->size - 1 - b->n) len = b->size - 1 - b->n;
        std::memcpy(b->s + b->n, p, len);
        b->n += len;
        b->s[b->n] = 0;
    }
};

/// Demangles a C++ symbol into buf (size bytes), dropping GCC's
/// " [clone .isra.0]"-style suffixes (the compiler's specialized copies are
/// still the same source function); nullptr if name is not a C++ symbol.
/// Allocates nothing: a stack overflow may fault inside malloc, and the
/// signal handler then prints this traceback. abi::__cxa_demangle mallocs, so
/// gort uses the callback form of the same demangler, which works on the
/// stack (libsupc++'s __gcclibcxx_demangle_callback).
/// Runs on: any stack (incl. signal stack). @gortonly{Go's symbol names are
/// printed as stored}
static char* demangle(const char* name, char* buf, size_t size) {
    namebuf b{buf, size, 0};
    buf[0] = 0;
    if (name == nullptr || __gcclibcxx_demangle_callback(name, namebuf::append, &b) != 0)
        return nullptr;
    if (char* clone = std::strstr(buf, " [clone ")) *clone = 0;
    return buf;
}

/// Records the symbol and entry address that libbacktrace found for a pc.
/// Runs on: any stack (incl. signal stack). @gortonly{the backtrace_syminfo
/// callback (Go looks pcs up in its own tables, findfunc)}
static void symcb(void* data, uintptr_t, const char* symname, uintptr_t symval, uintptr_t) {
    auto* fp = static_cast<frameprinter*>(data);
    fp->entry = symval;
    fp->sym = symname;
}

/// Removes the parameter list (and a trailing " const") from a demangled
/// name, for Go's "created by F" line: "main_main()" → "main_main".
/// Runs on: any stack (incl. signal stack). @gortonly{Go's function names
/// carry no parameter lists}
static void stripargs(char* name) {
    size_t n = std::strlen(name);
    if (n > 6 && std::strcmp(name + n - 6, " const") == 0) name[n -= 6] = 0;
    if (n == 0 || name[n - 1] != ')') return;
    int depth = 0;
    for (size_t i = n; i-- > 0;) {
        if (name[i] == ')') depth++;
        if (name[i] == '(' && --depth == 0) {
            name[i] = 0;
            return;
        }
    }
}

/// The name to print for one frame. A physical frame is named by its ELF
/// symbol (complete, demangled). An inlined one only has DWARF's short
/// name; the common short name "operator()" of a go statement's lambda is
/// completed from the goclosure<Lambda> that inlined it. Runs on: any stack
/// (incl. signal stack). @gortonly{C++ frames have mangled ELF symbols and
/// short DWARF names; Go's tables hold the printable name}
static char* framename(const char* dwarfname, const char* sym, bool inlined) {
    // Static: only one traceback prints at a time (see pcbuf).
    static char phys[4096], out[4096];
    if (!inlined && demangle(sym, phys, sizeof phys)) return phys;
    if (dwarfname && std::strncmp(dwarfname, "_Z", 2) == 0)  // DWARF gave a linkage name
        return demangle(dwarfname, out, sizeof out);
    if (dwarfname && std::strcmp(dwarfname, "operator()") == 0 && demangle(sym, phys, sizeof phys)) {
        const char* open = std::strstr(phys, "goclosure<");
        const char* close = open ? std::strstr(open, ">::call") : nullptr;
        if (close) {
            open += std::strlen("goclosure<");
            namebuf b{out, sizeof out, 0};
            namebuf::append(open, size_t(close - open), &b);
            namebuf::append("::operator()(...)", std::strlen("::operator()(...)"), &b);
            return out;
        }
    }
    return nullptr;
}

/// Counts the lines libbacktrace reports for a pc: one per inlined frame, plus
/// the physical one. Runs on: any stack (incl. signal stack). @gortonly{the
/// first backtrace_pcinfo pass of printframe}
static int countcb(void* data, uintptr_t, const char*, int, const char*) {
    static_cast<frameprinter*>(data)->total++;
    return 0;
}

/// Prints one line pair for pc: "name(...)\n\tfile:line +0xoff\n". libbacktrace
/// calls it innermost first; all but the last (outermost) call are inlined.
/// Runs on: any stack (incl. signal stack). @gortonly{the backtrace_pcinfo
/// callback that does what the frame loop of Go's traceback2 does per frame}
static int linecb(void* data, uintptr_t, const char* file, int line, const char* fn) {
    auto* fp = static_cast<frameprinter*>(data);
    bool inlined = ++fp->seen < fp->total;
    char* d = framename(fn, fp->sym, inlined);
    const char* name = d ? d : fn ? fn : fp->sym;
    if (showframe(name, file, fp->level)) {
        printstring(name ? name : "?");
        if (d == nullptr) printstring(inlined ? "(...)" : "()");
        printstring("\n\t");
        printstring(file ? file : "?");
        printstring(":");
        printint(line);
        if (!inlined && fp->entry != 0) {
            printstring(" +");
            printhex(fp->pc - fp->entry);
        }
        printstring("\n");
    }
    return 0;
}

/// Prints the frames at one pc. isret: pc is a return address, so the call
/// itself is at pc-1 (Go does the same adjustment). Runs on: any stack (incl.
/// signal stack). gort only: Go's closest counterpart is the frame loop of
/// traceback2. @gosrc{traceback.go,traceback2}
static void printframe(frameprinter* fp, uintptr_t pc, bool isret) {
    fp->pc = pc;
    fp->entry = 0;
    fp->sym = nullptr;
    fp->seen = 0;
    fp->total = 0;
    uintptr_t lookup = isret ? pc - 1 : pc;
    backtrace_syminfo(btstate, lookup, symcb, nullptr, fp);
    backtrace_pcinfo(btstate, lookup, countcb, nullptr, fp);
    backtrace_pcinfo(btstate, lookup, linecb, nullptr, fp);
}

/// The frame at a go statement's pc that names its creator: the innermost
/// (possibly inlined) one that is not gort's own go() wrapper (or any other
/// runtime/ code). @gortonly{the backtrace_pcinfo callback of creatorframe}
struct creatorcb {
    const char* fn = nullptr;
    const char* file = nullptr;
    int line = 0;
    int n = 0;     ///< frames seen
    int pick = 0;  ///< index of the chosen frame
    /// The callback. Runs on: any stack (incl. signal stack).
    /// @gortonly{the backtrace_pcinfo callback of creatorframe}
    static int cb(void* data, uintptr_t, const char* file, int line, const char* fn) {
        auto* c = static_cast<creatorcb*>(data);
        bool ours = file && (std::strncmp(file, "runtime/", 8) == 0 || std::strstr(file, "/runtime/"));
        if (c->fn == nullptr || (c->file && !ours && showframe(nullptr, c->file, 1) == false))
            c->fn = fn, c->file = file, c->line = line, c->pick = c->n;
        c->n++;
        return 0;
    }
};

/// Finds the creating function of the go statement at gopc: fills fp (symbol,
/// entry) and where (file, line), returns its printable name. Runs on: any
/// stack (incl. signal stack). @gortonly{the lookup half of printcreatedby}
static const char* creatorframe(uintptr_t gopc, frameprinter* fp, creatorcb* where) {
    fp->pc = gopc;
    uintptr_t lookup = gopc - 1;
    backtrace_syminfo(btstate, lookup, symcb, nullptr, fp);
    backtrace_pcinfo(btstate, lookup, creatorcb::cb, nullptr, where);
    char* d = framename(where->fn, fp->sym, where->pick < where->n - 1);
    if (d) stripargs(d);
    return d ? d : where->fn ? where->fn : fp->sym ? fp->sym : "?";
}

/// The "created by" name for gopc, for the execution trace (trace.h).
/// Runs on: g or g0 (the result is overwritten by the next lookup).
/// @gortonly{Go's trace records pcs; gort's JSON names them}
const char* creatorname(uintptr_t gopc) {
    frameprinter fp{2, 0, 0, nullptr, 0, 0};
    creatorcb where;
    return creatorframe(gopc, &fp, &where);
}

/// Prints "created by F in goroutine N\n\tfile:line +0xoff" for gp.
/// Runs on: any stack (incl. signal stack). @gosrc{traceback.go,printcreatedby}
static void printcreatedby(g* gp) {
    if (gp->gopc == 0 || gp->goid == 1) return;
    frameprinter fp{2, 0, 0, nullptr, 0, 0};
    creatorcb where;
    const char* name = creatorframe(gp->gopc, &fp, &where);
    printstring("created by ");
    printstring(name);
    printstring(" in goroutine ");
    printuint(gp->parentGoid);
    printstring("\n\t");
    printstring(where.file ? where.file : "?");
    printstring(":");
    printint(where.line);
    if (fp.entry) {
        printstring(" +");
        printhex(gp->gopc - fp.entry);
    }
    printstring("\n");
}

/// The traceback level to print with: 2 (runtime frames too) during a runtime
/// throw, else GOTRACEBACK's. Runs on: any stack (incl. signal stack).
/// @gosrc{runtime1.go,gotraceback}
static int tracebacklevel() {
    m* mp = getg() ? getg()->m : nullptr;
    if (mp && mp->throwing >= 2) return 2;  // runtime throw: show runtime frames
    return traceback_level;
}

/// Prints the n frames in pcbuf, as Go does: all of them if there are at most
/// 100, else the innermost 50, "...N frames elided...", and the outermost 50.
/// Runs on: any stack (incl. signal stack). @gosrc{traceback.go,traceback2}
static void printpcs(int n) {
    frameprinter fp{tracebacklevel(), 0, 0, nullptr, 0, 0};
    for (int i = 0; i < n; i++) {
        if (n > tracebackInnerFrames + tracebackOuterFrames && i == tracebackInnerFrames) {
            printstring("...");
            printint(n - tracebackInnerFrames - tracebackOuterFrames);
            printstring(" frames elided...\n");
            i = n - tracebackOuterFrames;
        }
        printframe(&fp, pcbuf[i].pc, pcbuf[i].isret);
    }
}

/// Prints the stack of a goroutine that is not running, from its saved
/// context, following frame pointers. Runs on: any stack.
/// @gosrc{traceback.go,traceback}
static void tracebacksaved(g* gp) {
    uintptr_t pc = gp->sched.pc, bp = gp->sched.bp;
    if (gp->syscallsp != 0) pc = gp->syscallpc;
    int n = 0;  // sched.pc is the return address of the mcall shim: isret
    while (n < int(std::size(pcbuf))) {
        pcbuf[n++] = {pc, true};
        if (endofstack(pc)) break;
        if (bp < gp->stack.lo || bp + 16 > gp->stack.hi || (bp & 7)) break;
        pc = reinterpret_cast<uintptr_t*>(bp)[1];
        bp = reinterpret_cast<uintptr_t*>(bp)[0];
        if (pc == 0) break;
    }
    printpcs(n);
    printcreatedby(gp);
}

/// unwindcb's state. @gortonly{the C++ unwinder's callback state}
struct unwindstate {
    uintptr_t startpc;  ///< collect from the frame at this pc (0: from the first)
    int skip;           ///< then skip this many more frames (-1: through __cxa_throw)
    bool started;
    int n;              ///< frames collected into pcbuf
};

/// Collects the frame at one step of _Unwind_Backtrace into pcbuf, once the
/// frames to skip are past; ends the walk at the end of the stack. Runs on: any
/// stack (incl. signal stack). @gortonly{the unwinder's callback (Go steps
/// frames with its own unwinder type)}
static _Unwind_Reason_Code unwindcb(_Unwind_Context* ctx, void* arg) {
    auto* st = static_cast<unwindstate*>(arg);
    int ipBefore = 0;
    uintptr_t pc = _Unwind_GetIPInfo(ctx, &ipBefore);
    if (pc == 0) return _URC_END_OF_STACK;
    if (!st->started) {
        if (st->startpc != 0 && pc != st->startpc) return _URC_NO_REASON;
        if (st->skip < 0) {  // skip through the C++ throw machinery
            Dl_info info;
            if (dladdr(reinterpret_cast<void*>(pc - 1), &info) && info.dli_sname &&
                (std::strcmp(info.dli_sname, "__cxa_throw") == 0 ||
                 std::strcmp(info.dli_sname, "__cxa_rethrow") == 0 ||
                 std::strstr(info.dli_sname, "rethrow_exception") != nullptr))
                st->skip = 0;
            return _URC_NO_REASON;
        }
        st->started = true;
    }
    if (st->skip > 0) {
        st->skip--;
        return _URC_NO_REASON;
    }
    pcbuf[st->n++] = {pc, !ipBefore};
    bool done = endofstack(pc) || st->n == int(std::size(pcbuf));
    return done ? _URC_END_OF_STACK : _URC_NO_REASON;
}

/// Prints the stack of the calling goroutine (or g0), from the caller of
/// tracebackcurrent, skipping `skip` frames, or, if startpc is set, starting at
/// the frame whose pc is startpc (the interrupted pc of a signal).
/// Runs on: the stack being printed (or the signal stack above it).
/// @gosrc{traceback.go,traceback1}
void tracebackcurrent(g* gp, int skip, uintptr_t startpc) {
    unwindstate st{startpc, skip < 0 ? -1 : skip + 1, false, 0};
    if (startpc) st.skip = 0;
    _Unwind_Backtrace(unwindcb, &st);
    if (st.n == 0 && startpc != 0) {
        // No frame at the signal's pc: the handler was not called from the
        // kernel's signal frame (ThreadSanitizer delivers signals later, from
        // its own code). Print from here, handler frames and all.
        st = unwindstate{0, 0, false, 0};
        _Unwind_Backtrace(unwindcb, &st);
    }
    printpcs(st.n);
    if (gp && gp != gp->m->g0) printcreatedby(gp);
}

/// Prints "goroutine N [status]:". Runs on: any stack (incl. signal stack).
/// @gosrc{traceback.go,goroutineheader}
void goroutineheader(g* gp) {
    uint32_t gpstatus = readgstatus(gp) & ~Gscan;
    static const char* const gStatusStrings[] = {"idle",       "runnable", "running",
                                                 "syscall",    "waiting",  "moribund",
                                                 "dead",       "enqueue",  "copystack",
                                                 "preempted"};
    const char* status = gpstatus < std::size(gStatusStrings) ? gStatusStrings[gpstatus] : "???";
    // Override: use the wait reason if the g is waiting.
    if (gpstatus == Gwaiting && gp->waitreason != waitReasonZero)
        status = waitReasonString(gp->waitreason);
    printstring("goroutine ");
    printuint(gp->goid);
    printstring(" [");
    printstring(status);
    printstring("]:\n");
}

/// Prints every goroutine other than me (and its M's current one, which the
/// caller printed). Runs on: any stack (incl. signal stack).
/// @gosrc{traceback.go,tracebackothers}
void tracebackothers(g* me) {
    g* curgp = getg()->m->curg;
    if (curgp != nullptr && curgp != me) {
        printstring("\n");
        goroutineheader(curgp);
        tracebacksaved(curgp);
    }
    for (g* gp : allgs) {
        if (gp == me || gp == curgp || readgstatus(gp) == Gdead) continue;
        printstring("\n");
        goroutineheader(gp);
        if (readgstatus(gp) == Grunning && gp->m != getg()->m) {
            printstring("\tgoroutine running on other thread; stack unavailable\n");
            printcreatedby(gp);
        } else {
            tracebacksaved(gp);
        }
    }
}

/// The function containing pc, its file and line: Go's runtime.FuncForPC(pc)
/// with Name() and FileLine(pc) folded into one call. name is demangled.
/// Runs on: g or g0.
/// @gosrc{symtab.go,FuncForPC}
Func FuncForPC(uintptr_t pc) {
    Func f{};
    frameprinter fp{2, pc, 0, nullptr, 0, 0};
    backtrace_syminfo(btstate, pc, symcb, nullptr, &fp);
    f.entry = fp.entry;
    if (demangle(fp.sym, f.name, sizeof f.name) == nullptr && fp.sym) {
        std::snprintf(f.name, sizeof f.name, "%s", fp.sym);
    }
    struct linecb {
        static int cb(void* data, uintptr_t, const char* file, int line, const char*) {
            auto* f = static_cast<Func*>(data);
            if (file) {
                const char* base = std::strrchr(file, '/');
                std::snprintf(f->file, sizeof f->file, "%s", base ? base + 1 : file);
            }
            f->line = line;
            return 1;  // the innermost (possibly inlined) position is enough
        }
    };
    backtrace_pcinfo(btstate, pc, linecb::cb, nullptr, &f);
    return f;
}

}  // namespace runtime
