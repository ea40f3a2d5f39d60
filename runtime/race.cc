// race.cc — ThreadSanitizer fibers for goroutines (see race.h for the design).
//
// Go counterpart: src/runtime/race.go
// https://github.com/golang/go/blob/go1.22.0/src/runtime/race.go
//
// Compiled in every build; empty unless -fsanitize=thread (race.h's
// GORT_RACE). Go creates a TSan context per goroutine in racegostart and
// destroys it in racegoend; gort keeps a pool of fibers instead (race.h says
// why), under racefibers.lock.
#include "race.h"

#if GORT_RACE
#include <sanitizer/tsan_interface.h>

#include <cstdio>
#include <vector>

#include "runtime.h"

namespace runtime {

/// Fibers of dead goroutines, ready for new ones. Never destroyed: exit runs
/// the static destructors while other Ms may still end goroutines.
/// @gortonly{Go's race runtime keeps no fibers}
static struct racefiberpool {
    mutex lock;
    std::vector<void*> free;
} &racefibers = *new racefiberpool;

/// Makes g0 of the current M run in the OS thread's own TSan context.
/// Runs on: g0, from mstart1 (each M, on its own thread).
/// @gortonly{Go's g0 has no racectx of its own}
void racemstart(g* g0) {
    g0->racectx = __tsan_get_current_fiber();
}

/// Switches TSan to m.g0's fiber: the g → g0 half of a switch. Called by the
/// mcall shim (stubs.h) just before the asm mcall. On g0 (a bad mcall) it
/// does nothing, and mcall reports the error. Runs on: g.
/// @gortonly{TSan fibers} @differs{TSan fibers: Go's runtime passes g.racectx to each TSan call}
void racemcall() {
    g* gp = getg();
    g* g0 = gp->m->g0;
    if (gp != g0) __tsan_switch_to_fiber(g0->racectx, 0);
}

/// Switches TSan to gp's fiber: the g0 → g half of a switch, just before
/// gogo(&gp->sched). The first time gp runs it takes a fiber from the pool
/// (or creates one) and names it "goroutine N" for TSan's reports.
/// Runs on: g0, from execute and coroswitch_m.
/// @gosrc{race.go,racegostart} @differs{fibers are pooled and attached at the first gogo}
void racegogo(g* gp) {
    if (gp->racectx == nullptr) {
        lock(&racefibers.lock);
        if (!racefibers.free.empty()) {
            gp->racectx = racefibers.free.back();
            racefibers.free.pop_back();
        }
        unlock(&racefibers.lock);
        if (gp->racectx == nullptr) gp->racectx = __tsan_create_fiber(0);
        char name[32];
        std::snprintf(name, sizeof name, "goroutine %llu", (unsigned long long)gp->goid);
        __tsan_set_fiber_name(gp->racectx, name);
    }
    __tsan_switch_to_fiber(gp->racectx, 0);
}

/// Gives a dead goroutine's fiber back to the pool. Its shadow stack is empty:
/// the goroutine's function returned (or unwound) into goexit.
/// Runs on: g0, from gdestroy (goexit0 and coroswitch_m's exit path).
/// @gosrc{race.go,racegoend} @differs{the fiber is kept for the next goroutine}
void racegoend(g* gp) {
    if (gp->racectx == nullptr) return;  // died without ever running
    lock(&racefibers.lock);
    racefibers.free.push_back(gp->racectx);
    unlock(&racefibers.lock);
    gp->racectx = nullptr;
}

}  // namespace runtime

#endif  // GORT_RACE
