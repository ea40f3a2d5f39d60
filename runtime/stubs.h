// stubs.h — the contracts of the assembly routines, and getg().
//
// Go counterpart: src/runtime/stubs.go (declarations of asm functions)
// https://github.com/golang/go/blob/go1.22.0/src/runtime/stubs.go
//
// The bodies are in arch/amd64/asm_amd64.S; this file says what each does and
// what it assumes, as stubs.go does for Go. The asm symbols carry Go's names
// (`runtime.gogo`, `runtime.mcall`, ...) so `break 'runtime.gogo'` works in gdb.
//
// The ABI gap (see docs, "Differs from Go"). Go's internal ABI has no
// callee-saved registers, so Go's mcall and gogo save and restore only SP, PC
// and BP. C++ code compiled for the SysV ABI expects RBX, RBP and R12–R15 to
// survive any call. gort keeps the asm and gobuf exactly Go's and closes the gap
// at the C++ side: C++ reaches mcall and gosave only through the inline-asm shims
// below, which tell the compiler that every register except RSP and RBP is
// destroyed. The compiler then keeps nothing live in a register across the
// switch; RBP is restored by gogo from gobuf.bp. The shims also step over the
// 128-byte red zone below RSP before their CALL, so a leaf function's red-zone
// data cannot be overwritten by the pushed return address.
//
// Not saved, as in Go: the MXCSR and x87 control words. A goroutine that changes
// the rounding mode changes it for the goroutines that run after it on that M.
#pragma once

#include <type_traits>

#include "asan.h"
#include "race.h"
#include "runtime2.h"

namespace runtime {

/// The current g of this thread: the chapter's `get_tls(CX); MOVQ g(CX), BX`.
///
/// The slot is a `thread_local` read \%fs-relative. The read is `asm volatile` so
/// the compiler never reuses a value (or the slot's address) computed before a
/// switch: after a park, the goroutine may resume on another OS thread whose \%fs
/// points at another slot. Go ≥1.17 also keeps g in R14; gort does not (R14 is
/// callee-saved in SysV and belongs to C++ code).
/// Runs on: either stack. @gosrc{stubs.go,getg}
/// @chapter{getg}
/// @differs{TLS only, no R14 g register}
// [getg]
inline g* getg() {
    g* gp;
    asm volatile(
        "movq runtime.tlsg@gottpoff(%%rip), %0\n\t"  // get_tls(CX): offset of the slot
        "movq %%fs:(%0), %0"                          // MOVQ g(CX), BX
        : "=r"(gp));
    return gp;
}
// [getg]

/// Sets this thread's g (what gogo and mcall do in asm). Runs on: any stack
/// (rt0_go calls it on the OS thread's stack to make it g0).
/// @gosrc{stubs.go,setg}
inline void setg(g* gp) {
    uintptr_t off;
    asm volatile(
        "movq runtime.tlsg@gottpoff(%%rip), %0\n\t"
        "movq %1, %%fs:(%0)"
        : "=&r"(off)
        : "r"(gp)
        : "memory");
}

extern "C" {
/// Restores the context in buf and jumps to buf->pc: the second half of every
/// switch (setjmp's longjmp). Sets g = buf->g, SP, BP, AX = buf->ret,
/// DX = DI = buf->ctxt, then clears buf. Never returns. A C++ caller that
/// changes g switches TSan's fiber first: racegogo(gp) (race.h), and ASan's
/// stack: asangogo(gp) (asan.h).
/// Runs on: g0 (called from execute), or any stack for gosave round trips.
/// @gosrc{asm_amd64.s,gogo} @chapter{gogo}
/// @lab{@ref lab_gogo "Lab 1: gogo and gosave"}
[[noreturn]] void gogo(gobuf* buf) asm("runtime.gogo");

/// Saves the caller's context into g->sched and calls fn(g) on m->g0's stack.
/// fn must never return: it should gogo(&g->sched) (eventually, via schedule)
/// to keep running g. Call it only through mcall() below.
/// Runs on: g's stack (throws "runtime: mcall called on m->g0 stack" on g0).
/// @gosrc{asm_amd64.s,mcall} @chapter{mcall}
/// @lab{@ref lab_mcall "Lab 2: mcall"}
void mcall_asm(void (*fn)(g*)) asm("runtime.mcall");

/// The chapter's gosave (Go ≤1.16; go1.22 replaced it by
/// gosave_systemstack_switch): saves the caller's SP, PC, BP and g in buf,
/// clears ret and ctxt. A later gogo(buf) returns from gosave a second time, as
/// longjmp returns from setjmp. Call it only through gosave() below.
/// Runs on: any stack. No go1.22 counterpart: its successor there is
/// gosave_systemstack_switch, which saves into g->sched only.
/// @gosrc{asm_amd64.s,gosave_systemstack_switch} @chapter{gosave} @differs{historical: not in go1.22}
/// @lab{@ref lab_gogo "Lab 1: gogo and gosave"}
void gosave_asm(gobuf* buf) asm("runtime.gosave");

/// Runs fn on the g0 stack of this M and returns; if already on g0, calls fn
/// directly. fn is a funcval, called with itself as argument.
/// Unlike mcall, systemstack returns to its caller with every SysV callee-saved
/// register intact, so it is called directly.
/// Runs on: g (switches) or g0 (no switch). @gosrc{asm_amd64.s,systemstack}
void systemstack_asm(funcval* fn) asm("runtime.systemstack");

/// A marker routine: the PC a g shows while it is inside systemstack.
/// Runs on: nothing (never run).
/// @gosrc{asm_amd64.s,systemstack_switch}
void systemstack_switch() asm("runtime.systemstack_switch");

/// The return address of every goroutine's first frame: when fn returns, it
/// "returns" into goexit+1, which calls goexit1. Its unwind info marks the end
/// of the stack for gdb and for the C++ unwinder. Never called directly.
/// Runs on: g (its first frame's return).
/// @gosrc{asm_amd64.s,goexit}
void goexit() asm("runtime.goexit");
}

/// GODEBUG=switchtrace=1 (runtime1.cc): narrate every switch. gort only; the
/// hooks and the printing are in switchtrace.cc.
extern bool switchtrace;
/// When tracing, the mcall shim calls switchtrace_mcall (which narrates, then
/// runs the real fn) and leaves the real fn here, one per M. A store, not a
/// call, so the shim stays small enough to be inlined where it was.
extern thread_local void (*switchtrace_mcallfn)(g*) __attribute__((tls_model("initial-exec")));
void switchtrace_mcall(g* gp);
/// systemstack's hook, on g0 before (in) and after (!in) running fnpc.
void switchtrace_systemstack(bool in, uintptr_t fnpc);

/// The C++ runtime's per-thread record of the exceptions being handled
/// (the Itanium C++ ABI's __cxa_eh_globals; __cxa_get_globals() returns it).
/// Runs on: any stack (a thread's record). @gortonly{Go has no C++ exceptions}
struct cxa_eh_globals {
    void* caughtExceptions;
    unsigned int uncaughtExceptions;
};
void ehsave_slow(g* gp, cxa_eh_globals* e);
[[noreturn, gnu::cold]] void nogoroutine();
void ehrestore_slow(g* gp);

/// Before a switch: moves the exceptions g is handling from the thread into
/// g, so the thread is clean for the next g. A goroutine may park inside a
/// catch block (or in a destructor run while an exception unwinds) and resume
/// on another M; C++ keeps that state per thread, Go's panics belong to the
/// goroutine. Almost always nothing to move: two loads and a branch.
/// Runs on: g. @gortonly{Go's panics live in g._panic already}
__attribute__((always_inline)) inline void ehsave(g* gp) {
    cxa_eh_globals* e = gp->m->eh;
    if (__builtin_expect((reinterpret_cast<uintptr_t>(e->caughtExceptions) | e->uncaughtExceptions) != 0, false))
        ehsave_slow(gp, e);
}

/// After a switch back to g, on whichever M now runs it: puts back what
/// ehsave took. Runs on: g. @gortonly{see ehsave}
__attribute__((always_inline)) inline void ehrestore(g* gp) {
    if (__builtin_expect((reinterpret_cast<uintptr_t>(gp->ehcaught) | gp->ehuncaught) != 0, false))
        ehrestore_slow(gp);
}

/// Go's `mcall(fn)`, callable from C++: the shim that closes the ABI gap
/// (see the top of this file). Runs on: g's stack. @gosrc{stubs.go,mcall}
/// @chapter{mcall} @differs{callee-saved registers spilled by the compiler}
__attribute__((always_inline)) inline void mcall(void (*fn)(g*)) {
    if (__builtin_expect(switchtrace, false)) {  // GODEBUG=switchtrace=1
        switchtrace_mcallfn = fn;
        fn = switchtrace_mcall;
    }
    g* gp = getg();
    if (__builtin_expect(gp == nullptr, false)) nogoroutine();  // a foreign thread, or before rt0_go
    ehsave(gp);          // the C++ exceptions g is handling go with g, not with the thread
    fn = asanmcall(fn);  // ASan: g0's stack next, fn via a trampoline (asan.h); fn without ASan
    racemcall();         // TSan: switch to g0's fiber (race.h); nothing without TSan
    asm volatile(
        "lea -128(%%rsp), %%rsp\n\t"  // step over the red zone
        "call runtime.mcall\n\t"      // returns when gogo resumes g->sched
        "lea 128(%%rsp), %%rsp"
        : "+D"(fn)
        :
        : "rax", "rbx", "rcx", "rdx", "rsi", "r8", "r9", "r10", "r11", "r12", "r13", "r14",
          "r15", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
          "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "st", "st(1)", "st(2)", "st(3)",
          "st(4)", "st(5)", "st(6)", "st(7)", "mm0", "mm1", "mm2", "mm3", "mm4", "mm5", "mm6",
          "mm7", "memory", "cc");
    asanlanded();  // ASan: back on g's stack (asan.h)
    ehrestore(gp);  // maybe on another M now
}

/// The chapter's gosave, callable from C++. Returns 0 when it saves; returns
/// buf->ret when a gogo(buf) resumes it (set buf->ret before the gogo).
/// The caller's frame must still be live when gogo(buf) runs.
/// Runs on: any stack. No go1.22 counterpart: its successor there is
/// gosave_systemstack_switch (see gosave_asm).
/// @gosrc{asm_amd64.s,gosave_systemstack_switch} @chapter{gosave} @differs{historical}
__attribute__((always_inline)) inline uintptr_t gosave(gobuf* buf) {
    uintptr_t ret;
    asm volatile(
        "lea -128(%%rsp), %%rsp\n\t"
        "call runtime.gosave\n\t"  // first return: AX = 0 (gosave zeroes buf->ret)
        "lea 128(%%rsp), %%rsp"    // second return (via gogo): AX = buf->ret
        : "=a"(ret), "+D"(buf)
        :
        : "rbx", "rcx", "rdx", "rsi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
          "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
          "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "st", "st(1)", "st(2)", "st(3)",
          "st(4)", "st(5)", "st(6)", "st(7)", "mm0", "mm1", "mm2", "mm3", "mm4", "mm5", "mm6",
          "mm7", "memory", "cc");
    return ret;
}

/// Go's `systemstack(func(){...})`: runs f on the g0 stack and returns.
/// The closure lives in the caller's frame (no allocation).
/// Runs on: g (switches to g0 and back) or g0 (calls f directly).
/// @gosrc{stubs.go,systemstack}
template <class F>
inline void systemstack(F&& f) {
    using fn_t = std::remove_reference_t<F>;
    struct closure : funcval {
        fn_t* f;
        // noexcept: an exception must not unwind from g0 back into the g
        // stack (TLS would still say g0); it ends in std::terminate and
        // panic.cc reports "panic on system stack", as Go does.
        static void call(funcval* fv) noexcept { (*static_cast<closure*>(fv)->f)(); }
        // GODEBUG=switchtrace=1: call, narrated on both sides. Names F, or
        // the function itself if F is one.
        static void traced(funcval* fv) noexcept {
            uintptr_t pc = reinterpret_cast<uintptr_t>(&call);
            if constexpr (std::is_function_v<fn_t>) pc = reinterpret_cast<uintptr_t>(static_cast<closure*>(fv)->f);
            switchtrace_systemstack(true, pc);
            call(fv);
            switchtrace_systemstack(false, 0);
        }
        // ASan builds: call or traced, between the two halves of each
        // switch (asan.h). Only used when systemstack switches.
        static void asancall(funcval* fv) noexcept {
            asanlanded();  // on g0's stack
            if (__builtin_expect(switchtrace, false)) traced(fv); else call(fv);
            asansystemstack(false);  // back to curg's stack
        }
    } c;
    c.fn = &closure::call;
    c.f = &f;
    if constexpr (asanenabled) {
        if (getg() != getg()->m->g0) {
            c.fn = &closure::asancall;
            asansystemstack(true);  // to g0's stack
            systemstack_asm(&c);
            asanlanded();  // on curg's stack again
            return;
        }
    }
    if (__builtin_expect(switchtrace, false) && getg() != getg()->m->g0) c.fn = &closure::traced;
    systemstack_asm(&c);
}

/// Go's `getcallerpc()` / `getcallersp()`, for functions with frame pointers.
#define getcallerpc() reinterpret_cast<uintptr_t>(__builtin_return_address(0))
#define getcallersp() (reinterpret_cast<uintptr_t>(__builtin_frame_address(0)) + 16)

/// Go's TOPFRAME text flag (textflag.h), which Go puts on rt0_go, mstart and
/// goexit: "the outermost frame of a stack; unwinders stop here". In C++ it is
/// unwind info: from this statement on, the function's return address is
/// undefined, so gdb's bt, libgcc's unwinder and libbacktrace end at this
/// function instead of walking on into libc's thread start. Put it first in
/// the function body. (runtime.goexit, in asm, has it from its first byte.)
/// @differs{unwind info (DW_CFA_undefined) rather than a flag read by Go's own unwinder}
#define TOPFRAME() asm volatile(".cfi_undefined rip")

/// Busy-waits for cycles rounds of the PAUSE instruction, which tells the CPU
/// that this is a spin-wait loop (it saves power and lets a sibling
/// hyperthread run). Used by lock2's spinning and sync.Mutex's (doSpin).
/// Runs on: either stack. @gosrc{stubs.go,procyield}
/// @differs{inline C++ (the PAUSE builtin); Go's is an assembly loop}
inline void procyield(uint32_t cycles) {
    for (; cycles != 0; cycles--) __builtin_ia32_pause();
}

}  // namespace runtime
