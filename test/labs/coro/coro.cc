// coro.cc — coroutines: control transfers between two goroutines that skip
// the scheduler. The runtime half of iter.Pull (iter.h).
//
// Go counterpart: src/runtime/coro.go (go1.22 — the seed, shared/seeds/coro.go)
// https://github.com/golang/go/blob/go1.22.0/src/runtime/coro.go
//
// A coro is like an unbuffered channel that always has one goroutine blocked
// in it. coroswitch(c) trades places: the caller blocks in c and the goroutine
// that was blocked there runs, on the same M, at once — no run queue, no
// schedule(). It goes through g0 like every switch (mcall(coroswitch_m)),
// and coroswitch_m goes straight to gogo. coroexit(c) is the last switch:
// the caller exits instead of blocking, and c is spent.
//
// Statement for statement as the seed, with three differences (also on the
// "Differs from Go" page):
//  * f is a C++ closure (corofunc) instead of a Go func value; c is allocated
//    with new and owned by newcoro's caller (no GC).
//  * corostart takes go1.23's `defer coroexit(c)`: a Goexit inside f (which
//    unwinds by exception) is caught on the coroutine's own stack and the
//    coroutine still exits through coroexit, so the goroutine blocked in c is
//    released instead of stranded in [coroutine]. Any other exception escaping f
//    is an unrecovered panic (iter.Pull catches and forwards them itself).
//  * go1.23's OS-thread locking rules are taken too: newcoro records the
//    creator's M and lock counts if it is locked; coroswitch_m throws "coro:
//    OS thread locking must match locking at coroutine creation" if a switch
//    happens on another M or with other counts, and hands the lock (lockedg /
//    lockedm) to the goroutine it switches to. And go1.23's "coroswitch of a
//    goroutine to itself" check.
#include <new>

#include "runtime.h"
#include "trace.h"

namespace runtime {

/// Go's corostart closure: the new goroutine's first frame.
static void corostartfn(funcval*);

/// Creates a coro containing a goroutine blocked waiting to run f, and returns
/// it. The goroutine exists (and counts in NumGoroutine) from now until f
/// returns and it exits. Runs on: g (newproc1 on g0 via systemstack).
/// Seed lines 29–49. @gosrc{coro.go,newcoro}
coro* newcoro(corofunc* f) {
    auto* c = new coro{};
    c->f = f;
    uintptr_t pc = getcallerpc();
    g* gp = getg();
    m* mp = gp->m;
    systemstack([&] {
        plainfunc start(corostartfn);
        gp = newproc1(&start, gp, pc);
    });
    // go1.23: scribble down locked thread state if needed and/or donate
    // thread-lock state to the new goroutine.
    if (mp->lockedExt + mp->lockedInt != 0) {
        c->mp = mp;
        c->lockedExt = mp->lockedExt;
        c->lockedInt = mp->lockedInt;
    }
    gp->coroarg = c;
    __atomic_store_n(&gp->waitreason, waitReasonCoroutine, __ATOMIC_RELAXED);  // read by schedtrace
    casgstatus(gp, Grunnable, Gwaiting);
    c->gp.set(gp);
    return c;
}

/// The entry of a new coroutine: runs f, then coroexit removes the extra
/// concurrency. Runs on: g (the coroutine's). Seed lines 51–63, with
/// go1.23's `defer coroexit(c)` (see the top of this file).
/// @gosrc{coro.go,corostart} @differs{go1.23's defer coroexit: a Goexit in f still exits through coroexit}
static void corostart() {
    g* gp = getg();
    coro* c = gp->coroarg;
    gp->coroarg = nullptr;

    try {
        c->f->fn(c->f, c);
    } catch (goexitUnwind&) {
    }
    coroexit(c);
}

/// corostart as the new goroutine's funcval code (newproc's fn).
/// Runs on: g (the coroutine's). @gortonly{Go passes corostart's static funcval to newproc}
static void corostartfn(funcval*) {
    asanlanded();  // ASan: the first gogo into this g ends here (asan.h)
    corostart();
}

static void coroswitch_m(g* gp);
[[noreturn, gnu::cold, gnu::noinline]] static void corolockmismatch(m* mp, coro* c);

#ifndef GORT_CORO_CAS
#define GORT_CORO_CAS 1
#endif

/// The seed's "CAS ourselves directly" on a g's status. By default a real CAS,
/// as in the seed. Built with -Dcoro_cas=false, a check and a release store
/// instead (what gort's casgstatus does: no GC means no Gscan bit to race
/// with), which removes two of coroswitch's three locked instructions; see
/// "Where the time goes" in test/bench/go/README.md. Runs on: g0.
/// @gortonly{the seed writes the CAS inline, twice}
/// @differs{optional: -Dcoro_cas=false trades the status CAS for a store}
static inline bool casfast(g* gp, uint32_t oldval, uint32_t newval) {
#if GORT_CORO_CAS
    return gp->atomicstatus.compare_exchange_strong(oldval, newval);
#else
    if (gp->atomicstatus.load(std::memory_order_relaxed) != oldval) return false;
    gp->atomicstatus.store(newval, std::memory_order_release);
    return true;
#endif
}

/// Like coroswitch, but closes the coro and exits the current goroutine.
/// Runs on: g (the coroutine's; never returns). Seed lines 65–72.
/// @gosrc{coro.go,coroexit}
void coroexit(coro* c) {
    g* gp = getg();
    gp->coroarg = c;
    gp->coroexit = true;
    asangoexit();  // ASan: this g's fake stack goes with it (asan.h)
    mcall(coroswitch_m);
}

/// Switches to the goroutine blocked on c and blocks the current goroutine
/// on c. Returns when someone switches back. Runs on: g.
/// Seed lines 74–82. @gosrc{coro.go,coroswitch}
void coroswitch(coro* c) {
    g* gp = getg();
    gp->coroarg = c;
    mcall(coroswitch_m);
}

/// The implementation of coroswitch, on g0. The fast path is the seed's three
/// CAS and nothing else heavy: gp Grunning→Gwaiting, the swap of gp into c.gp
/// (which picks gnext), gnext Gwaiting→Grunning; each CAS falls back to
/// casgstatus if it fails. Then straight to gogo.
/// Runs on: g0. Seed lines 84–165. @gosrc{coro.go,coroswitch_m}
/// @lab{@ref lab_coro "Lab 4: coroswitch_m"}
static void coroswitch_m(g* gp) {
    coro* c = gp->coroarg;
    gp->coroarg = nullptr;
    bool exit = gp->coroexit;
    gp->coroexit = false;
    m* mp = gp->m;

    // go1.23: track and validate thread-lock interactions. When a coro
    // goroutine is switched to, the same thread must be used, and the locked
    // state must match with the thread-lock state of the goroutine which
    // called newcoro.
    bool locked = gp->lockedm != nullptr;
    if (c->mp != nullptr || locked) {
        if (mp != c->mp || mp->lockedInt != c->lockedInt || mp->lockedExt != c->lockedExt)
            corolockmismatch(mp, c);
    }
    // Detach the goroutine from the thread; we'll attach to the goroutine
    // we're switching to before returning (gdestroy then leaves the M alone).
    if (locked) __atomic_store_n(&gp->lockedm, nullptr, __ATOMIC_RELAXED);

    // LAB(coro) BEGIN coroswitch_m: park gp in c, run the g that was there (three CAS)
    // TODO(lab coro): unless exit (then gdestroy(gp), and gp = nullptr), gp
    // stops: waitreason coroutine, Grunning -> Gwaiting (casfast, else
    // casgstatus), no M. Then swap gp into c->gp with a CAS loop: the g
    // that was there is gnext ("coroswitch on exited coro" if none, "...
    // to itself" if gp). Then gnext runs on this M: m.curg, gnext.m, and
    // Gwaiting -> Grunning (casfast, else casgstatus via Grunnable).
    (void)exit;
    g* gnext = nullptr;
    throw_("lab(coro): coroswitch_m is not written yet");
    // LAB(coro) END

    // Donate locked state.
    if (locked) {
        __atomic_store_n(&mp->lockedg, gnext, __ATOMIC_RELEASE);
        __atomic_store_n(&gnext->lockedm, mp, __ATOMIC_RELEASE);
    }

    // Switch to gnext. Does not return.
    if (__builtin_expect(switchtrace, false)) switchtrace_gogo("coroswitch", c->gp.ptr(), gnext);
    traceGoSwitch(gp, gnext);
    racegogo(gnext);
    asangogo(gnext);
    gogo(&gnext->sched);
}

/// coroswitch_m's report of a switch whose thread locking does not match
/// the coroutine's creation, out of line so the switch stays short.
/// Runs on: g0. @gortonly{the printing half of go1.23's check in coroswitch_m}
static void corolockmismatch(m* mp, coro* c) {
    printstring("coro: got thread ");
    printhex(uintptr_t(mp));
    printstring(", want ");
    printhex(uintptr_t(c->mp));
    printstring("\ncoro: got lock internal ");
    printuint(mp->lockedInt);
    printstring(", want ");
    printuint(c->lockedInt);
    printstring("\ncoro: got lock external ");
    printuint(mp->lockedExt);
    printstring(", want ");
    printuint(c->lockedExt);
    printstring("\n");
    throw_("coro: OS thread locking must match locking at coroutine creation");
}

}  // namespace runtime
