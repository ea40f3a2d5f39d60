// race.h — ThreadSanitizer hooks: telling TSan which goroutine runs.
//
// Go counterparts: src/runtime/race.go (on), race0.go (off)
// https://github.com/golang/go/blob/go1.22.0/src/runtime/race.go
//
// Built with -fsanitize=thread (meson: -Db_sanitize=thread -Db_lto=false), the
// compiler defines __SANITIZE_THREAD__ and these hooks call race.cc; otherwise
// they are empty inline functions, as race0.go's are, and vanish.
//
// TSan keeps, per thread, a vector clock and a shadow call stack (one entry
// per instrumented function entry, popped at its exit). gort moves many
// goroutines' call stacks through one OS thread, so each goroutine gets a TSan
// *fiber*: its own shadow stack and clock. Every stack switch that changes
// which g runs switches the fiber first:
//
//   g  → g0  mcall (stubs.h's shim)        racemcall: to m.g0's fiber
//   g0 → g   gogo (execute, coroswitch_m)  racegogo:  to gp's fiber
//
// g0 runs in the OS thread's own TSan context (racemstart). systemstack does
// not switch: fn runs to completion for the g that called it and returns to
// it, so its frames nest in g's shadow stack and its accesses belong to g.
// gosave/gogo round trips inside one g need no switch either.
//
// The switches synchronize (flags 0): the M hands its state from one g to the
// next, as the CPU does. The runtime's per-P structures (run queue, sudog and
// stack caches, free g's) are touched both on g's fibers (inside systemstack)
// and on g0's without locks, because one M owns the P; a non-synchronizing
// switch would report those as races. The price: goroutines that share an M
// are ordered for TSan, so it finds races between goroutines that run on
// different Ms (threads), and races in the runtime's cross-M protocols.
//
// Go's race detector needs none of this: Go's runtime is not instrumented and
// passes g.racectx explicitly to every TSan call (__tsan_go_* API).
//
// Frames that never return. schedule, execute, park_m, goexit1, coroexit, ...
// leave their stack by a switch, never by a return; TSan would keep their
// entries forever and overflow the fiber's shadow stack after some thousand
// switches. The runtime library is therefore compiled with
// --param=tsan-instrument-func-entry-exit=0 (runtime/meson.build): its memory
// accesses are still checked, but its functions do not appear in the call
// stacks of TSan's reports (the access's own PC still does).
//
// Fibers (libtsan 2, GCC 12) cost ~4 ms and ~0.8 MB each and at most 8128 may
// exist at once, so they are not tied to a g for life: a g takes one from a
// pool when it first runs (racegogo) and gives it back when it dies
// (racegoend). A program needs as many fibers as goroutines that have started
// and not ended: 100,000 goroutines that run one after another need a few.
#pragma once

#include "runtime2.h"

#if defined(__SANITIZE_THREAD__)
#define GORT_RACE 1
#else
#define GORT_RACE 0
#endif

namespace runtime {

/// Whether this build runs under ThreadSanitizer. @gosrc{race.go,raceenabled}
inline constexpr bool raceenabled = GORT_RACE;

#if GORT_RACE
void racemstart(g* g0);
void racemcall();
void racegogo(g* gp);
void racegoend(g* gp);
#else
// race0.go: without TSan, every hook is empty.
inline void racemstart(g*) {}
inline void racemcall() {}
inline void racegogo(g*) {}
inline void racegoend(g*) {}
#endif

}  // namespace runtime
