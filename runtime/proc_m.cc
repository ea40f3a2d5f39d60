// proc_m.cc — Ms (OS threads) and Ps: creating and starting Ms, parking idle
// ones, handing Ps between them, and resizing the set of Ps.
//
// Go counterpart: src/runtime/proc.go, from mcommoninit to gcstopm (with
// stop-the-world) and from procresize to releasep, in that order
// https://github.com/golang/go/blob/go1.22.0/src/runtime/proc.go
//
// An M is an OS thread whose own stack is its g0 (gort creates threads with
// pthread_create, as Go does when linked with cgo). An M runs Go code only
// while it holds a P. An M with nothing to do parks on its note (stopm) after
// putting itself on the idle list; startm takes one off (or creates one) and
// wakes it with a P in m.nextp.
//
// Worker thread parking/unparking (Go's comment, in short): Go must neither
// keep too few Ms running (and leave parallelism unused) nor burn CPU on
// too many. Its rule: an M that finds no work spins (m.spinning,
// sched.nmspinning) for a while looking for some before parking, and a
// goroutine made ready starts a new spinning M (wakep) only if there is an
// idle P and no M spinning already. When a spinning M finds work it stops
// spinning and calls wakep itself, so that the next piece of work finds a
// spinning M too. The "delicate dance" at the end of findRunnable (drop the
// P, stop spinning, look at every queue once more) keeps that rule from ever
// losing a wake-up.
#include <unistd.h>

#include "runtime.h"
#include "trace.h"

namespace runtime {

m* allm;           ///< all Ms, linked through m.alllink (Go: allm)
int32_t newprocs;  ///< GOMAXPROCS(n) waiting for startTheWorld

/// Reserves the next M id; sched.lock must be held. Runs on: g0.
/// @gosrc{proc.go,mReserveID}
int64_t mReserveID() {
    int64_t id = sched.mnext;
    sched.mnext++;
    checkmcount();
    return id;
}

/// Dies if the program has made more threads than sched.maxmcount.
/// sched.lock must be held. Runs on: g0. @gosrc{proc.go,checkmcount}
void checkmcount() {
    int32_t count = mcount();
    if (count > sched.maxmcount) {
        printstring("runtime: program exceeds ");
        printint(sched.maxmcount);
        printstring("-thread limit\n");
        throw_("thread exhaustion");
    }
}

/// Fills in the parts of a new M common to all: its id (reserved now unless
/// id >= 0), its random state, and its place on allm. Runs on: g0.
/// @gosrc{proc.go,mcommoninit}
void mcommoninit(m* mp, int64_t id) {
    lock(&sched.lock);
    mp->id = id >= 0 ? id : mReserveID();
    mp->cheaprand = uint64_t(uintptr_t(mp)) ^ (uint64_t(::getpid()) << 32) ^ uint64_t(nanotime());
    // gort: GODEBUG=schedrandom=seed makes each M's random numbers (steal
    // order, select order, the randomized scheduler) a function of the seed
    // and the M's id, so that a failing schedule can be asked for again.
    if (randomizeScheduler) mp->cheaprand = uint64_t(uint32_t(debug.schedrandom)) * 0x9e3779b97f4a7c15 + uint64_t(mp->id);
    mp->alllink = allm;
    // Add to allm last: readers (schedtrace, tracebacks) walk it without the lock.
    __atomic_store_n(&allm, mp, __ATOMIC_RELEASE);
    unlock(&sched.lock);
}

// ---- Stopping the world ----

/// Stops every P: they stop at their next trip through the scheduler (Go
/// preempts running goroutines; gort waits for them to block, yield or exit).
/// Returns holding the only running P. Used by GOMAXPROCS.
/// Runs on: g0 (via systemstack). @gosrc{proc.go,stopTheWorldWithSema}
/// @differs{no preemption: a goroutine that never yields delays the stop indefinitely}
void stopTheWorldWithSema() {
    g* gp = getg();
    // If we hold a lock, then we won't be able to stop another M
    // that is blocked trying to acquire the lock.
    if (gp->m->locks > 0) throw_("stopTheWorld: holding locks");
    lock(&sched.lock);
    sched.stopwait = gomaxprocs;
    sched.gcwaiting.store(true);
    preemptall();
    // stop current P
    gp->m->p->status = Pgcstop;  // Pgcstop is only diagnostic.
    sched.stopwait--;
    // try to retake all P's in Psyscall status
    for (int32_t i = 0; i < gomaxprocs; i++) {
        p* pp = allp[i];
        uint32_t s = Psyscall;
        if (pp->status.load() == Psyscall && pp->status.compare_exchange_strong(s, Pgcstop)) {
            __atomic_store_n(&pp->syscalltick, pp->syscalltick + 1, __ATOMIC_RELAXED);  // read by retake
            sched.stopwait--;
        }
    }
    // stop idle P's
    while (p* pp = pidleget()) {
        pp->status = Pgcstop;
        sched.stopwait--;
    }
    bool wait = sched.stopwait > 0;
    unlock(&sched.lock);
    // wait for remaining P's to stop voluntarily
    if (wait) {
        for (;;) {
            // wait for 100us, then try to re-preempt in case of any races
            if (notetsleep(&sched.stopnote, 100 * 1000)) {
                noteclear(&sched.stopnote);
                break;
            }
            preemptall();
        }
    }
    // sanity checks
    if (sched.stopwait != 0) throw_("stopTheWorld: not stopped (stopwait != 0)");
    for (int32_t i = 0; i < gomaxprocs; i++)
        if (allp[i]->status.load() != Pgcstop) throw_("stopTheWorld: not stopped (status != _Pgcstop)");
}

/// Restarts the world: applies a pending GOMAXPROCS (procresize) and gives
/// every P with work an M. Runs on: g0 (via systemstack).
/// @gosrc{proc.go,startTheWorldWithSema}
void startTheWorldWithSema() {
    lock(&sched.lock);
    int32_t procs = gomaxprocs;
    if (newprocs != 0) {
        procs = newprocs;
        newprocs = 0;
    }
    p* p1 = procresize(procs);
    sched.gcwaiting.store(false);
    if (sched.sysmonwait.load()) {
        sched.sysmonwait.store(false);
        notewakeup(&sched.sysmonnote);
    }
    unlock(&sched.lock);
    while (p1 != nullptr) {
        p* pp = p1;
        p1 = p1->link;
        if (pp->m != nullptr) {
            m* mp = pp->m;
            __atomic_store_n(&pp->m, nullptr, __ATOMIC_RELAXED);  // read by preemptone, schedtrace
            if (mp->nextp != nullptr) throw_("startTheWorld: inconsistent mp->nextp");
            mp->nextp = pp;
            notewakeup(&mp->park);
        } else {
            // Start M to run P.  Do not start another M below.
            newm(nullptr, pp, -1);
        }
    }
    // Wakeup an additional proc in case we have excessive runnable goroutines
    // in local queues or in the global queue. If we don't, the proc will park itself.
    // If we have lots of excessive work, resetspinning will unpark additional procs as necessary.
    wakep();
}

/// Puts the M to sleep on its note until startm (or startlockedm, or
/// startTheWorld) wakes it. Runs on: g0. @gosrc{proc.go,mPark}
void mPark() {
    g* gp = getg();
    // Atomic: schedtrace reads m.blocked from sysmon's M.
    __atomic_store_n(&gp->m->blocked, true, __ATOMIC_RELAXED);
    notesleep(&gp->m->park);
    __atomic_store_n(&gp->m->blocked, false, __ATOMIC_RELAXED);
    noteclear(&gp->m->park);
}

/// The entry of every M's scheduling loop, on its g0 stack. For an M that
/// ends (mexit), mstart1 "returns" here through gogo(&g0.sched).
/// Runs on: g0. @gosrc{proc.go,mstart0}
void mstart0() {
    g* gp = getg();
    // gort: every g0 stack is the OS thread's own; its bounds were read from
    // pthread_getattr_np (osstack) before we got here.
    gp->stackguard0 = gp->stack.lo + stackGuard;
    gp->stackguard1 = gp->stackguard0;
    mstart1();
    // Exit this thread: a locked goroutine exited (gdestroy) and jumped back
    // here. The stack is the OS's, so mexit returns and the thread returns
    // from its start routine.
    mexit(true);
}

/// Records where mcall and systemstack start on g0 (the caller's SP, PC and
/// BP), sets up the thread, runs m.mstartfn, then schedules. Returns only
/// through gogo(&g0.sched) from gdestroy. Runs on: g0.
/// @gosrc{proc.go,mstart1}
/// noipa: the compiler must not conclude from schedule() that mstart1 never
/// returns, or it would drop mstart0's mexit call that gdestroy's gogo
/// returns to.
[[gnu::noipa]] void mstart1() {
    g* gp = getg();
    if (gp != gp->m->g0) throw_("bad runtime·mstart");
    // Set up m.g0.sched as a label returning to just after the mstart1 call in
    // mstart0 above, for use by goexit0 and mcall. We're never coming back to
    // mstart1 after we call schedule, so other calls can reuse the current
    // frame. Unlike Go, bp matters: mcall restores it so that gdb and the
    // tracebacks of g0 frames continue into mstart0.
    // [g0sched]
    gp->sched.g = guintptr::of(gp);
    gp->sched.pc = getcallerpc();
    gp->sched.sp = getcallersp();
    gp->sched.bp = *reinterpret_cast<uintptr_t*>(__builtin_frame_address(0));
    // [g0sched]
    racemstart(gp);  // TSan: this thread's own fiber is g0's (race.h)
    minit();
    // Install signal handlers; after minit so that minit can prepare the
    // thread to be able to handle the signals.
    if (gp->m == &m0) mstartm0();
    if (auto fn = gp->m->mstartfn) fn();
    if (gp->m != &m0) {
        acquirep(gp->m->nextp);
        gp->m->nextp = nullptr;
    }
    schedule();
}

/// What only m0 does when it starts: install the signal handlers.
/// Runs on: g0 (m0). @gosrc{proc.go,mstartm0}
void mstartm0() {
    initsig();
}

/// An mstartfn: the new M starts out spinning (startm's spinning=true).
/// Runs on: g0. @gosrc{proc.go,mspinning}
static void mspinning() {
    __atomic_store_n(&getg()->m->spinning, true, __ATOMIC_RELAXED);  // schedtrace reads it
}

/// Tears down and exits the current thread: called, through mstart0, when a
/// goroutine locked to this M exits. m0 cannot exit (it is the process's main
/// thread): it hands off its P and parks forever.
/// Runs on: g0. @gosrc{proc.go,mexit}
/// @differs{the m struct and its g0 are not freed (Go recycles them through sched.freem)}
void mexit(bool /*osStack*/) {
    m* mp = getg()->m;
    if (mp == &m0) {
        // This is the main thread. Just wedge it. (Go's comment: other
        // threads may still be running; exiting the main thread would end
        // the process on some systems.)
        handoffp(releasep());
        lock(&sched.lock);
        sched.nmfreed++;
        checkdead();
        unlock(&sched.lock);
        mPark();
        throw_("locked m0 woke up");
    }
    unminit();
    // Remove m from allm.
    lock(&sched.lock);
    m** pprev = &allm;
    while (*pprev != nullptr && *pprev != mp) pprev = &(*pprev)->alllink;
    if (*pprev == nullptr) throw_("m not found in allm");
    *pprev = mp->alllink;
    unlock(&sched.lock);
    handoffp(releasep());
    // After this, the M is gone for checkdead.
    lock(&sched.lock);
    sched.nmfreed++;
    checkdead();
    unlock(&sched.lock);
}

/// Allocates a new M not yet tied to a thread: its g0 gets its stack when
/// the thread starts. fn becomes m.mstartfn. Runs on: g0.
/// @gosrc{proc.go,allocm}
static m* allocm(void (*fn)(), int64_t id) {
    m* mp = new m{};
    mp->mstartfn = fn;
    mcommoninit(mp, id);
    mp->g0 = new g{};
    mp->g0->m = mp;
    mp->g0->atomicstatus.store(Grunning);  // as m0's g0: gort shows g0s running
    return mp;
}

/// Creates a new M that starts with pp (may be nullptr: sysmon runs without a
/// P) and runs fn, then schedules. id is a reserved M id, or -1.
/// Runs on: g0. @gosrc{proc.go,newm}
/// @differs{no template thread: a thread made from a locked one inherits nothing that matters to gort}
void newm(void (*fn)(), p* pp, int64_t id) {
    m* mp = allocm(fn, id);
    mp->nextp = pp;
    newm1(mp);
}

/// Starts the OS thread of a new M. Runs on: g0. @gosrc{proc.go,newm1}
void newm1(m* mp) {
    newosproc(mp);
}

/// Puts the current M to sleep until new work is available; on waking it
/// owns the P that its waker put in m.nextp. Runs on: g0.
/// @gosrc{proc.go,stopm}
void stopm() {
    m* mp = getg()->m;
    if (mp->locks) throw_("stopm holding locks");
    if (mp->p) throw_("stopm holding p");
    if (mp->spinning) throw_("stopm spinning");
    lock(&sched.lock);
    mput(mp);
    unlock(&sched.lock);
    mPark();
    acquirep(mp->nextp);
    mp->nextp = nullptr;
}

/// Schedules some M to run pp (creating one if needed). If pp is nullptr,
/// tries to get an idle P; if there is none, does nothing. If spinning, the
/// caller has incremented nmspinning and the M starts out spinning. If
/// lockheld, sched.lock is held. Runs on: g0 (Go: must not be preempted).
/// @gosrc{proc.go,startm}
void startm(p* pp, bool spinning, bool lockheld) {
    if (!lockheld) lock(&sched.lock);
    if (pp == nullptr) {
        if (spinning) {
            // TODO(prattmic): All remaining calls to this function
            // with _p_ == nil could be cleaned up to find a P
            // before calling startm. (Go's comment.)
            throw_("startm: P required for spinning=true");
        }
        pp = pidleget();
        if (pp == nullptr) {
            if (!lockheld) unlock(&sched.lock);
            return;
        }
    }
    m* nmp = mget();
    if (nmp == nullptr) {
        // No M is available, we must drop sched.lock and call newm. But we
        // have a P: reserve the M id now, so that a checkdead in between
        // counts the M about to start.
        int64_t id = mReserveID();
        unlock(&sched.lock);
        newm(spinning ? mspinning : nullptr, pp, id);
        if (lockheld) lock(&sched.lock);
        return;
    }
    if (!lockheld) unlock(&sched.lock);
    if (nmp->spinning) throw_("startm: m is spinning");
    if (nmp->nextp) throw_("startm: m has p");
    if (spinning && !runqempty(pp)) throw_("startm: p has runnable gs");
    // The caller incremented nmspinning, so set m.spinning in the new M.
    __atomic_store_n(&nmp->spinning, spinning, __ATOMIC_RELAXED);  // schedtrace reads it
    nmp->nextp = pp;
    notewakeup(&nmp->park);
}

/// Hands off P from a syscall or locked M: starts an M to run it if there is
/// work (or no spinning M at all), else puts it on the idle list. Always runs
/// without a P, so write barriers are not allowed (Go's note).
/// Runs on: g0. @gosrc{proc.go,handoffp}
void handoffp(p* pp) {
    // if it has local work, start it straight away
    if (!runqempty(pp) || __atomic_load_n(&sched.runqsize, __ATOMIC_RELAXED) != 0) {  // unlocked hint
        startm(pp, false, false);
        return;
    }
    // no local work, check that there are no spinning/idle M's,
    // otherwise our help is not required
    int32_t zero = 0;
    if (sched.nmspinning.load() + sched.npidle.load() == 0 &&
        sched.nmspinning.compare_exchange_strong(zero, 1)) {  // TODO: fast atomic
        sched.needspinning.store(0);
        startm(pp, true, false);
        return;
    }
    lock(&sched.lock);
    if (sched.gcwaiting.load()) {
        pp->status = Pgcstop;
        sched.stopwait--;
        if (sched.stopwait == 0) notewakeup(&sched.stopnote);
        unlock(&sched.lock);
        return;
    }
    if (sched.runqsize != 0) {
        unlock(&sched.lock);
        startm(pp, false, false);
        return;
    }
    // If this is the last running P and nobody is polling network,
    // need to wakeup another M to poll network (gort: to sleep until the
    // next timer).
    if (sched.npidle.load() == gomaxprocs - 1 && sched.lastpoll.load() != 0) {
        unlock(&sched.lock);
        startm(pp, false, false);
        return;
    }
    // The scheduler lock cannot be held when calling wakeNetPoller below
    // because wakeNetPoller may call wakep which may call startm.
    int64_t when = nobarrierWakeTime(pp);
    pidleput(pp);
    unlock(&sched.lock);
    if (when != 0) wakeNetPoller(when);
}

/// Tries to add one more P to execute G's. Called when a G is made runnable
/// (newproc, ready). Must be called with a P. Runs on: g0 or g.
/// @gosrc{proc.go,wakep} @differs{returns at once, without sched.lock, when no P is idle (see the body)}
GORT_HOT void wakep() {
    // gort: no idle P, nothing to start. Go 1.22 finds that out under
    // sched.lock (pidlegetSpinning) and sets needspinning there; gort sets
    // it without the lock — the CAS, lock and decrement cost a ready() 18 ns,
    // 13% of a channel round trip. The window this opens: an M that read
    // needspinning == 0 under sched.lock and is about to idle its P misses
    // this request; the readied g then waits for its own P (or the next
    // spinning M), Go 1.20's behaviour, never lost.
    if (sched.npidle.load(std::memory_order_relaxed) == 0) {
        if (sched.needspinning.load(std::memory_order_relaxed) == 0)
            sched.needspinning.store(1, std::memory_order_release);
        return;
    }
    // Be conservative about spinning threads, only start one if none exist
    // already.
    int32_t zero = 0;
    if (sched.nmspinning.load() != 0 || !sched.nmspinning.compare_exchange_strong(zero, 1)) return;
    lock(&sched.lock);
    p* pp = pidlegetSpinning();
    if (pp == nullptr) {
        if (sched.nmspinning.fetch_sub(1) - 1 < 0) throw_("wakep: negative nmspinning");
        unlock(&sched.lock);
        return;
    }
    // Since we always have a P, the race in the "No M is available"
    // comment in startm doesn't apply during the small window between the
    // unlock here and lock in startm. A checkdead in between will always
    // see at least one running M (ours).
    unlock(&sched.lock);
    startm(pp, true, false);
}
GORT_HOT_END

/// Stops execution of the current M that is locked to a g until the g is
/// runnable again; returns with a P. Runs on: g0. @gosrc{proc.go,stoplockedm}
void stoplockedm() {
    m* mp = getg()->m;
    if (mp->lockedg == nullptr || mp->lockedg->lockedm != mp) throw_("stoplockedm: inconsistent locking");
    if (mp->p) {
        // Schedule another M to run this p.
        p* pp = releasep();
        handoffp(pp);
    }
    incidlelocked(1);
    // Wait until another thread schedules lockedg again.
    mPark();
    uint32_t status = readgstatus(mp->lockedg);
    if ((status & ~Gscan) != Grunnable) {
        printstring("runtime:stoplockedm: lockedg (atomicstatus=");
        printuint(status);
        printstring(") is not Grunnable or Gscanrunnable\n");
        throw_("stoplockedm: not runnable");
    }
    acquirep(mp->nextp);
    mp->nextp = nullptr;
}

/// Schedules the locked M to run the locked gp, handing it our P; the current
/// M then stops. Runs on: g0. @gosrc{proc.go,startlockedm}
void startlockedm(g* gp) {
    m* mp = gp->lockedm;
    if (mp == getg()->m) throw_("startlockedm: locked to me");
    if (mp->nextp) throw_("startlockedm: m has p");
    // directly handoff current P to the locked m
    incidlelocked(-1);
    p* pp = releasep();
    mp->nextp = pp;
    notewakeup(&mp->park);
    stopm();
}

/// Stops the current M for stopTheWorld; returns when the world is started
/// again. Runs on: g0. @gosrc{proc.go,gcstopm}
void gcstopm() {
    m* mp = getg()->m;
    if (!sched.gcwaiting.load()) throw_("gcstopm: not waiting for gc");
    if (mp->spinning) {
        __atomic_store_n(&mp->spinning, false, __ATOMIC_RELAXED);
        // OK to just drop nmspinning here,
        // startTheWorld will unpark threads as necessary.
        if (sched.nmspinning.fetch_sub(1) - 1 < 0) throw_("gcstopm: negative nmspinning");
    }
    p* pp = releasep();
    lock(&sched.lock);
    pp->status = Pgcstop;
    sched.stopwait--;
    if (sched.stopwait == 0) notewakeup(&sched.stopnote);
    unlock(&sched.lock);
    stopm();
}

// ---- Ps ----

/// Initializes a new P (or one being reused) with id. Runs on: g0, with the
/// world stopped. @gosrc{proc.go,p.init}
static void pinit(p* pp, int32_t id) {
    pp->id = id;
    pp->status = Pgcstop;
    timerpMask.set(id);
    // Must be in the set of idle Ps: clear it here, pidleput sets it.
    idlepMask.clear(id);
}

/// Releases a P's resources (run queue, timers, caches) to the global ones
/// and marks it dead. sched.lock must be held and the world stopped.
/// Runs on: g0. @gosrc{proc.go,p.destroy}
static void pdestroy(p* pp) {
    // Move all runnable goroutines to the global queue, in order.
    gQueue q = runqdrain(pp);
    while (g* gp = q.pop()) globrunqput(gp);
    // Move all timers to the local P.
    if (pp->ntimers > 0) {
        p* plocal = getg()->m->p;
        lock(&plocal->timersLock);
        lock(&pp->timersLock);
        moveTimers(plocal, pp);
        unlock(&pp->timersLock);
        unlock(&plocal->timersLock);
    }
    sudogcacheflush(pp);  // Go drops the sudogs to the GC
    stackcache_clear(pp);
    gfpurge(pp);
    pp->status = Pdead;
}

/// Changes the number of processors to nprocs: creates or destroys Ps, gives
/// the current M a P, puts idle Ps on the idle list. Returns the list of Ps
/// with local work; the caller must schedule them. sched.lock must be held
/// and the world stopped. Runs on: g0. @gosrc{proc.go,procresize}
/// @differs{at most MaxGomaxprocs (1024) Ps: allp is a fixed array}
p* procresize(int32_t nprocs) {
    int32_t old = gomaxprocs;
    if (old < 0 || nprocs <= 0) throw_("procresize: invalid arg");
    if (nprocs > MaxGomaxprocs) nprocs = MaxGomaxprocs;
    // update statistics
    int64_t now = nanotime();
    if (sched.procresizetime != 0) sched.totaltime += int64_t(old) * (now - sched.procresizetime);
    sched.procresizetime = now;

    // initialize new P's
    for (int32_t i = old; i < nprocs; i++) {
        p* pp = allp[i];
        if (pp == nullptr) pp = new p{};
        pinit(pp, i);
        __atomic_store_n(&allp[i], pp, __ATOMIC_RELEASE);
    }

    g* gp = getg();
    if (gp->m->p != nullptr && gp->m->p->id < nprocs) {
        // continue to use the current P
        gp->m->p->status = Prunning;
    } else {
        // release the current P and acquire allp[0]. (sysmon reads p.m and
        // m.p without the lock: atomic stores.)
        if (gp->m->p != nullptr) __atomic_store_n(&gp->m->p->m, nullptr, __ATOMIC_RELAXED);
        __atomic_store_n(&gp->m->p, nullptr, __ATOMIC_RELAXED);
        p* pp = allp[0];
        __atomic_store_n(&pp->m, nullptr, __ATOMIC_RELAXED);
        pp->status = Pidle;
        acquirep(pp);
    }
    // release resources from unused P's
    for (int32_t i = nprocs; i < old; i++) pdestroy(allp[i]);

    p* runnablePs = nullptr;
    for (int32_t i = nprocs - 1; i >= 0; i--) {
        p* pp = allp[i];
        if (gp->m->p == pp) continue;
        pp->status = Pidle;
        if (runqempty(pp)) {
            pidleput(pp);
        } else {
            __atomic_store_n(&pp->m, mget(), __ATOMIC_RELEASE);
            pp->link = runnablePs;
            runnablePs = pp;
        }
    }
    stealOrder.reset(uint32_t(nprocs));
    __atomic_store_n(&gomaxprocs, nprocs, __ATOMIC_RELEASE);
    return runnablePs;
}

/// Associates pp with the current M. Runs on: g0. @gosrc{proc.go,acquirep}
void acquirep(p* pp) {
    wirep(pp);
    traceProcStart(pp);
}

/// The first half of acquirep: checks and links pp and the M.
/// Runs on: g0. @gosrc{proc.go,wirep}
void wirep(p* pp) {
    m* mp = getg()->m;
    if (mp->p != nullptr) throw_("wirep: already in go");
    if (pp->m != nullptr || pp->status != Pidle) {
        printstring("wirep: p->m=");
        printhex(uintptr_t(pp->m));
        printstring("(");
        printint(pp->m ? pp->m->id : 0);
        printstring(") p->status=");
        printuint(pp->status);
        printstring("\n");
        throw_("wirep: invalid p state");
    }
    // Release stores: preemptone and schedtrace follow p.m and m.p from
    // other Ms without locks.
    __atomic_store_n(&mp->p, pp, __ATOMIC_RELEASE);
    __atomic_store_n(&pp->m, mp, __ATOMIC_RELEASE);
    pp->status = Prunning;
}

/// Disassociates the current M and its P; returns the P.
/// Runs on: g0. @gosrc{proc.go,releasep}
p* releasep() {
    m* mp = getg()->m;
    p* pp = mp->p;
    if (pp == nullptr) throw_("releasep: invalid arg");
    if (pp->m != mp || pp->status != Prunning) throw_("releasep: invalid p state");
    traceProcStop(pp);
    __atomic_store_n(&mp->p, nullptr, __ATOMIC_RELAXED);  // read by schedtrace
    __atomic_store_n(&pp->m, nullptr, __ATOMIC_RELAXED);  // read by preemptone, schedtrace
    pp->status = Pidle;
    return pp;
}

}  // namespace runtime
