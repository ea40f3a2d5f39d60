// time.cc — timers on the P, and time.Sleep.
//
// Go counterpart: src/runtime/time.go
// https://github.com/golang/go/blob/go1.22.0/src/runtime/time.go
//
// Each P keeps a min-heap of pending timers ordered by when. findRunnable
// runs the due ones (checkTimers) before looking for goroutines, and when
// nothing is runnable it sleeps the M until the earliest timer (Go blocks in
// netpoll until then). time.Sleep parks the goroutine with a timer whose
// function readies it.
//
// A P's timers run on whichever M holds the P; an M that steals work also
// runs other Ps' due timers (stealWork), and an M with nothing to do sleeps in
// netpoll (netpoll.cc) until the earliest timer of all Ps.
//
// Differs from Go: gort's timers serve time.Sleep only (no time.Timer or
// channels of time yet), so a timer is the g's own, set and queued once per
// sleep; the heap is binary, under the P's timersLock.
#include <time.h>

#include <algorithm>

#include "runtime.h"

namespace runtime {

/// Monotonic time in nanoseconds (CLOCK_MONOTONIC, via the vDSO).
/// Runs on: any thread. @gosrc{time_nofake.go,nanotime}
int64_t nanotime() {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

/// The timer heap's order: a fires after b. Runs on: g or g0.
/// @gortonly{Go's siftup/siftdown compare when inline}
static bool later(const timer* a, const timer* b) {
    return a->when > b->when;
}

/// Publishes the when of pp's first timer (0: none) for lock-free readers.
/// pp.timersLock must be held. Runs on: g or g0. @gosrc{time.go,updateTimer0When}
static void updateTimer0When(p* pp) {
    pp->timer0When.store(pp->ntimers > 0 ? pp->timers[0]->when : 0);
}

/// Adds t to pp's heap. pp.timersLock must be held. Runs on: g or g0.
/// @gosrc{time.go,doaddtimer}
static void doaddtimer(p* pp, timer* t) {
    if (pp->ntimers == pp->captimers) {
        int32_t cap = pp->captimers ? pp->captimers * 2 : 64;
        auto* grown = new timer*[cap];
        std::copy(pp->timers, pp->timers + pp->ntimers, grown);
        delete[] pp->timers;
        pp->timers = grown;
        pp->captimers = cap;
    }
    pp->timers[pp->ntimers] = t;
    // ntimers is stored atomically: checkTimers and others peek at it
    // without the lock.
    __atomic_store_n(&pp->ntimers, pp->ntimers + 1, __ATOMIC_RELAXED);
    std::push_heap(pp->timers, pp->timers + pp->ntimers, later);
    t->queued = true;
    updateTimer0When(pp);
}

/// goroutineReady is the timer function of time.Sleep: it readies the
/// sleeping goroutine. Runs on: g0 (from checkTimers). @gosrc{time.go,goroutineReady}
static void goroutineReady(void* arg) {
    goready(static_cast<g*>(arg));
}

/// gopark's unlockf for time.Sleep: queues the g's timer only once the g is
/// parked, so it cannot fire before the park completes.
/// Runs on: g0. @gosrc{time.go,resetForSleep}
static bool resetForSleep(g* gp, void*) {
    p* pp = getg()->m->p;
    int64_t when = gp->timer->when;  // once queued, another M may run it
    lock(&pp->timersLock);
    doaddtimer(pp, gp->timer);
    unlock(&pp->timersLock);
    // An M may be asleep in netpoll until a later time (or none may be
    // sleeping there at all): make sure one wakes for this timer.
    wakeNetPoller(when);
    return true;
}

/// Puts the current goroutine to sleep for at least ns nanoseconds, parked
/// (waitReasonSleep), not blocking its M. Runs on: g. @gosrc{time.go,timeSleep}
void timeSleep(int64_t ns) {
    if (ns <= 0) return;
    g* gp = getg();
    timer* t = gp->timer;
    if (t == nullptr) {
        t = new timer{};
        gp->timer = t;
    }
    t->f = goroutineReady;
    t->arg = gp;
    t->when = nanotime() + ns;
    if (t->when < 0) t->when = INT64_MAX;  // check for overflow.
    gopark(resetForSleep, nullptr, waitReasonSleep);
}

/// The locked half of checkTimers (runtime.h has the lock-free head): runs
/// every timer of pp that is due by now, each with pp.timersLock dropped
/// while it runs (goready takes other locks). Returns when the next timer is
/// due (0 if none is pending); sets *ran if any timer ran. Runs on: g0 (from
/// checkTimers). @gosrc{time.go,runtimer} (Go's checkTimers loops over
/// runtimer, one timer per call; gort writes the loop here.)
int64_t runtimers(p* pp, int64_t now, bool* ran) {
    lock(&pp->timersLock);
    while (pp->ntimers > 0 && pp->timers[0]->when <= now) {
        timer* t = pp->timers[0];
        std::pop_heap(pp->timers, pp->timers + pp->ntimers, later);
        __atomic_store_n(&pp->ntimers, pp->ntimers - 1, __ATOMIC_RELAXED);  // see doaddtimer
        t->queued = false;
        updateTimer0When(pp);
        unlock(&pp->timersLock);
        if (ran) *ran = true;
        t->f(t->arg);  // runtimer: run without the lock (goready takes others)
        lock(&pp->timersLock);
    }
    int64_t next = pp->ntimers > 0 ? pp->timers[0]->when : 0;
    unlock(&pp->timersLock);
    return next;
}

/// Moves all timers of src to pp (src is being destroyed by procresize).
/// Both timersLocks must be held. Runs on: g0. @gosrc{time.go,moveTimers}
void moveTimers(p* pp, p* src) {
    for (int32_t i = 0; i < src->ntimers; i++) doaddtimer(pp, src->timers[i]);
    __atomic_store_n(&src->ntimers, 0, __ATOMIC_RELAXED);  // see doaddtimer
    updateTimer0When(src);
}

/// When pp's next timer is due (0: none), read without locks: may be stale,
/// which costs at worst an early wake-up. Runs on: g0.
/// @gosrc{time.go,nobarrierWakeTime}
int64_t nobarrierWakeTime(p* pp) {
    return pp->timer0When.load();
}

/// When the next timer of any P is due (INT64_MAX: none). Runs on: sysmon's
/// g0. @gosrc{time.go,timeSleepUntil}
int64_t timeSleepUntil() {
    int64_t next = INT64_MAX;
    int32_t np = __atomic_load_n(&gomaxprocs, __ATOMIC_ACQUIRE);
    for (int32_t i = 0; i < np; i++) {
        p* pp = __atomic_load_n(&allp[i], __ATOMIC_ACQUIRE);
        if (pp == nullptr) continue;
        int64_t w = pp->timer0When.load();
        if (w != 0 && w < next) next = w;
    }
    return next;
}

}  // namespace runtime
