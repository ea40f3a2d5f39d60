// asan.cc — AddressSanitizer fibers for goroutines (see asan.h for the design).
//
// Go counterpart: src/runtime/asan.go
// https://github.com/golang/go/blob/go1.22.0/src/runtime/asan.go
//
// Compiled in every build; empty unless -fsanitize=address (asan.h's
// GORT_ASAN). Go's asan.go has asanpoison and asanunpoison, which gort keeps;
// the switch hooks are gort's own (asan.h says why).
#include "asan.h"

#if GORT_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>

#include "runtime.h"

namespace runtime {

/// The switch in progress on this thread: mcall's fn, run by asanmcallfn
/// once the thread is on g0's stack. @gortonly{Go's mcall has no hook}
static thread_local struct asanswitch {
    void (*fn)(g*);  ///< the fn of the mcall in progress
} asansw;

/// Marks [addr, addr+sz) addressable: a stack handed out again.
/// Runs on: either stack. @gosrc{asan.go,asanunpoison}
void asanunpoison(void* addr, uintptr_t sz) {
    __asan_unpoison_memory_region(addr, sz);
}

/// Marks [addr, addr+sz) unaddressable: a freed stack.
/// Runs on: either stack. @gosrc{asan.go,asanpoison}
void asanpoison(void* addr, uintptr_t sz) {
    __asan_poison_memory_region(addr, sz);
}

/// Tells ASan that this thread is about to leave from's stack for to's. A
/// dying from (asangoexit) keeps no fake stack: ASan destroys it.
/// Runs on: from's stack. @gortonly{ASan fibers}
static void asanswitch(g* from, g* to) {
    void** fake = &from->asanfake;
    if (from->asandying) {
        from->asandying = false;
        from->asanfake = nullptr;
        fake = nullptr;
    }
    __sanitizer_start_switch_fiber(fake, reinterpret_cast<void*>(to->stack.lo),
                                   to->stack.hi - to->stack.lo);
}

/// mcall's fn as the asm calls it: finishes the switch on g0's stack, then
/// runs the real fn (asansw.fn). Runs on: g0. @gortonly{ASan fibers}
static void asanmcallfn(g* gp) {
    asanlanded();
    asansw.fn(gp);
}

/// The g → g0 half of an mcall: starts the switch to g0's stack and returns
/// the fn for the asm to call: asanmcallfn, which lands, then calls fn. Called
/// by the mcall shim (stubs.h) just before the asm mcall. On g0 (a bad mcall)
/// or on a thread without a g it returns fn, and mcall reports the error.
/// Runs on: g.
/// fn is passed and returned by value, never through memory: a dying g's
/// frames may be in the fake stack that asanswitch destroys.
/// @gortonly{ASan fibers} @differs{ASan fibers: Go's runtime is not instrumented}
auto asanmcall(void (*fn)(g*)) -> void (*)(g*) {
    g* gp = getg();
    if (gp == nullptr) return fn;  // a foreign thread: mcall faults and says so
    g* g0 = gp->m->g0;
    if (gp == g0) return fn;
    asansw.fn = fn;
    asanswitch(gp, g0);
    return asanmcallfn;
}

/// The g0 → gp half of a switch, just before gogo(&gp->sched): g0's frames
/// below this one are abandoned (unpoisoned, and its fake frames marked for
/// collection, as before any call that does not return), then the switch to
/// gp's stack starts. gp lands in the mcall shim that parked it, or at its
/// first frame. Runs on: g0, from execute and coroswitch_m.
/// @gortonly{ASan fibers}
void asangogo(g* gp) {
    __asan_handle_no_return();
    asanswitch(getg(), gp);
}

/// Marks the current goroutine as exiting for good: the mcall that follows
/// (goexit1's, coroexit's) destroys its fake stack. Runs on: g.
/// @gortonly{ASan fibers}
void asangoexit() {
    getg()->asandying = true;
}

/// systemstack's switches: in, from curg's stack to g0's (on curg); out,
/// back to curg's (on g0). Each side lands with asanlanded. Not called when
/// systemstack runs on g0 already (no switch).
/// Runs on: curg (in) or g0 (out). @gortonly{ASan fibers}
void asansystemstack(bool in) {
    g* gp = getg();
    if (in)
        asanswitch(gp, gp->m->g0);
    else
        asanswitch(gp, gp->m->curg);
}

/// The second half of every switch, first thing on the new stack: ASan now
/// runs on getg()'s stack, with getg()'s fake stack (a new one, made when
/// first needed, for a g that has never run or whose last one was destroyed).
/// Runs on: the g just switched to. @gortonly{ASan fibers}
void asanlanded() {
    const void* oldlo;
    size_t oldsize;
    __sanitizer_finish_switch_fiber(getg()->asanfake, &oldlo, &oldsize);
}

}  // namespace runtime

#endif  // GORT_ASAN
