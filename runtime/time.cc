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
// Differs from Go: gort's timers serve time.Sleep only (no time.Timer or
// channels of time yet), so a timer is the g's own, set and queued once per
// sleep; the heap is binary, under the P's timersLock.
#include <time.h>

#include <algorithm>

#include "runtime.h"

namespace runtime {

/// Monotonic time in nanoseconds. @gosrc{time_nofake.go,nanotime}
int64_t nanotime() {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

static bool later(const timer* a, const timer* b) {
    return a->when > b->when;
}

/// Adds t to pp's heap. pp.timersLock must be held. @gosrc{time.go,doaddtimer}
static void doaddtimer(p* pp, timer* t) {
    if (pp->ntimers == pp->captimers) {
        int32_t cap = pp->captimers ? pp->captimers * 2 : 64;
        auto* grown = new timer*[cap];
        std::copy(pp->timers, pp->timers + pp->ntimers, grown);
        delete[] pp->timers;
        pp->timers = grown;
        pp->captimers = cap;
    }
    pp->timers[pp->ntimers++] = t;
    std::push_heap(pp->timers, pp->timers + pp->ntimers, later);
    t->queued = true;
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
    lock(&pp->timersLock);
    doaddtimer(pp, gp->timer);
    unlock(&pp->timersLock);
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

/// Runs pp's timers that are due. Returns when the next one is due (0 if
/// none is pending). now 0 means "read the clock".
/// Runs on: g0 (findRunnable). @gosrc{proc.go,checkTimers}
int64_t checkTimers(p* pp, int64_t now) {
    // If there are no timers to adjust, and the first timer on the heap is
    // not yet ready to run, then there is nothing to do.
    if (__atomic_load_n(&pp->ntimers, __ATOMIC_RELAXED) == 0) return 0;
    if (now == 0) now = nanotime();
    lock(&pp->timersLock);
    while (pp->ntimers > 0 && pp->timers[0]->when <= now) {
        timer* t = pp->timers[0];
        std::pop_heap(pp->timers, pp->timers + pp->ntimers, later);
        pp->ntimers--;
        t->queued = false;
        unlock(&pp->timersLock);
        t->f(t->arg);  // runtimer: run without the lock (goready takes others)
        lock(&pp->timersLock);
    }
    int64_t next = pp->ntimers > 0 ? pp->timers[0]->when : 0;
    unlock(&pp->timersLock);
    return next;
}

}  // namespace runtime
