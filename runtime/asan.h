// asan.h — AddressSanitizer hooks: telling ASan which stack is live.
//
// Go counterparts: src/runtime/asan.go (on), asan0.go (off)
// https://github.com/golang/go/blob/go1.22.0/src/runtime/asan.go
//
// Built with -fsanitize=address (meson: -Db_sanitize=address,undefined
// -Db_lto=false), the compiler defines __SANITIZE_ADDRESS__ and these hooks
// call asan.cc; otherwise they are empty inline functions, as asan0.go's are,
// and vanish.
//
// ASan keeps, per thread, the bounds of the stack it runs on and a "fake
// stack" where the frames of functions with address-taken locals live when
// use-after-return detection is on (ASAN_OPTIONS=detect_stack_use_after_return=1).
// It uses the bounds whenever a function that never returns is called (throw,
// exit, gogo: __asan_handle_no_return unpoisons the stack from SP to its top),
// and to describe stack addresses in its reports. gort moves many stacks
// through one OS thread, so every stack switch tells ASan first, with the
// fiber API of <sanitizer/common_interface_defs.h>:
//
//   __sanitizer_start_switch_fiber(&from.asanfake, to.stack.lo, size)   before
//   __sanitizer_finish_switch_fiber(to.asanfake, &oldlo, &oldsize)      after
//
// at each of gort's switches:
//
//   g  → g0  mcall (stubs.h's shim)        asanmcall; asanlanded in a trampoline
//                                          on g0, before mcall's fn
//   g0 → g   gogo (execute, coroswitch_m)  asangogo;  asanlanded after the mcall
//                                          that parked g, or first thing in a
//                                          new g (goclosure::call, corostartfn)
//   g  → g0 → g  systemstack (stubs.h)     asansystemstack both ways, asanlanded
//                                          on each side
//
// Each g keeps its own fake stack (g.asanfake) while it is switched out: a
// frame of one goroutine is never mistaken for a dead frame of another.
// A goroutine that exits for good (goexit1, coroexit) says so first
// (asangoexit), and its last mcall passes nullptr instead of &g.asanfake:
// ASan then destroys its fake stack. gosave/gogo round trips inside one g and
// gdestroy's gogo(&g0.sched) stay on one stack and need no switch.
//
// A g's stack is reused by the next goroutine (gfget) or another g
// (stackalloc) with whatever shadow the old frames left: redzones of frames
// that were abandoned rather than returned from (every goroutine's last
// frames are). gfget and stackalloc unpoison it, as Go's do (asanunpoison);
// stackfree poisons it.
//
// Go's ASan support needs none of the fiber part: Go's runtime is not
// instrumented, and Go code checks each access by calling asanread and
// asanwrite with explicit addresses.
#pragma once

#include <cstdint>

#include "runtime2.h"

#if defined(__SANITIZE_ADDRESS__)
#define GORT_ASAN 1
#else
#define GORT_ASAN 0
#endif

namespace runtime {

/// Whether this build runs under AddressSanitizer. @gosrc{asan.go,asanenabled}
inline constexpr bool asanenabled = GORT_ASAN;

#if GORT_ASAN
void asanunpoison(void* addr, uintptr_t sz);
void asanpoison(void* addr, uintptr_t sz);
auto asanmcall(void (*fn)(g*)) -> void (*)(g*);
void asangogo(g* gp);
void asangoexit();
void asansystemstack(bool in);
void asanlanded();
#else
// asan0.go: without ASan, every hook is empty.
inline void asanunpoison(void*, uintptr_t) {}
inline void asanpoison(void*, uintptr_t) {}
inline auto asanmcall(void (*fn)(g*)) -> void (*)(g*) { return fn; }
inline void asangogo(g*) {}
inline void asangoexit() {}
inline void asansystemstack(bool) {}
inline void asanlanded() {}
#endif

}  // namespace runtime
