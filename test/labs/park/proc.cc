// proc.cc — the scheduler: parking, readying, yielding, exiting, and the
// schedule → execute → gogo loop.
//
// Go counterpart: src/runtime/proc.go
// https://github.com/golang/go/blob/go1.22.0/src/runtime/proc.go
//
// Functions appear in proc.go's order, under proc.go's names. Where gort leaves
// a Go function out, a one-line comment at its place says so.
//
// The design, as in Go: a G is a goroutine, an M an OS thread, a P the right to
// run Go code (with a local run queue). An M runs goroutines by looping on its
// g0 stack:
//
//   schedule → findRunnable → execute → gogo(&gp.sched)   (g0 → g)
//   g runs until it blocks (gopark), yields (Gosched) or exits (goexit1), each
//   of which is an mcall(fn): save g's context in g.sched, switch to g0, call
//   fn(g) = park_m / gosched_m / goexit0, which ends in schedule() again.
//
// Nothing on g0 returns: every mcall starts again at g0.sched.sp, the point
// mstart1 recorded.
//
// There are GOMAXPROCS Ps and as many Ms as needed (proc_m.cc); an M without
// local work steals from other Ps (stealWork). proc.go's other parts are in
// proc_m.cc (Ms and Ps), proc_syscall.cc (system calls, LockOSThread),
// proc_newproc.cc (goroutine creation, free g's), proc_sysmon.cc (checkdead,
// sysmon, schedtrace) and proc_runq.cc (queues).
#include <unistd.h>

#include <cstring>
#include <new>

#include "runtime.h"
#include "trace.h"

namespace runtime {

/// This thread's g (the TLS slot of stubs.h getg()). initial-exec TLS: one
/// \%fs-relative load, in the main executable or a library loaded at startup.
/// @chapter{tls} @differs{TLS only: Go ≥1.17 also keeps g in R14}
__attribute__((tls_model("initial-exec"))) constinit thread_local g* tlsg asm("runtime.tlsg") =
    nullptr;

m m0;
g g0;
schedt sched;
p* allp[MaxGomaxprocs];
int32_t gomaxprocs;
int32_t ncpu;
bool mainStarted;
// Never destroyed: exit runs C++'s static destructors (os_linux.cc) while
// other Ms still run and walk it (schedtrace, checkdead, tracebacks).
std::vector<g*>& allgs = *new std::vector<g*>;
mutex allglock;


// The mcall continuations, defined below in Go's order.
static void park_m(g* gp);
static bool parkunlock_c(g* gp, void* lock);
[[noreturn, gnu::cold, gnu::noinline]] static void badcasgstatus(g* gp, uint32_t oldval,
                                                                  uint32_t newval, uint32_t old);
static void gosched_m(g* gp);
static void goexit0(g* gp);

// ---- The main goroutine ----

/// The main goroutine: runs the user's main_main and exits the process with
/// status 0 when it returns. A Goexit in main_main unwinds past this frame (so
/// the process does not exit; see checkdead). Runs on: g (goroutine 1).
/// @gosrc{proc.go,main}
void main() {
    mainStarted = true;
    // Allow newproc to start new Ms.
    systemstack([] { newm(sysmon, nullptr, -1); });
    main_main();
    // Make racy client program work: if panicking on
    // another goroutine at the same time as main returns,
    // let the other goroutine finish printing the panic trace.
    // Once it does, it will exit. See issues 3934 and 20018.
    if (panicking.load() != 0) gopark(nullptr, nullptr, waitReasonPanicWait);
    exit(0);
}

// (forcegchelper, os_beforeExit: gort has no GC or exit hooks.)

/// Yields the processor: the current g goes to the global run queue, behind
/// everything already runnable, and the M schedules. Runs on: g.
/// @gosrc{proc.go,Gosched}
void Gosched() {
    mcall(gosched_m);
}

/// Puts the current goroutine into a waiting state and calls unlockf(gp, lock)
/// on g0. If unlockf returns false, the goroutine is resumed at once.
/// The goroutine becomes runnable again when someone calls goready(gp).
/// Never inlined, so that every parked goroutine's traceback shows
/// runtime::gopark on top, as Go's show runtime.gopark. Runs on: g. @gosrc{proc.go,gopark} @chapter{mcall-blocking}
/// @lab{@ref lab_park "Lab 3: gopark, goready and runnext"}
// [gopark]
[[gnu::noinline]] void gopark(bool (*unlockf)(g*, void*), void* lock, waitReason reason) {
    m* mp = getg()->m;
    g* gp = mp->curg;
    uint32_t status = readgstatus(gp);
    if (status != Grunning && status != (Gscan | Grunning)) throw_("gopark: bad g status");
    // LAB(park) BEGIN gopark: record why and how to unlock, then mcall(park_m)
    // TODO(lab park): leave lock, unlockf and reason where park_m (on g0)
    // and tracebacks find them (m.waitlock, m.waitunlockf, g.waitreason),
    // then switch to g0 and run park_m there.
    (void)mp, (void)lock, (void)unlockf, (void)reason;
    throw_("lab(park): gopark is not written yet");
    // LAB(park) END
}
// [gopark]

/// Puts the current goroutine into a waiting state and unlocks the lock.
/// The goroutine can be made runnable again by calling goready(gp).
/// Runs on: g. @gosrc{proc.go,goparkunlock}
void goparkunlock(mutex* lock, waitReason reason) {
    gopark(parkunlock_c, lock, reason);
}

/// Makes gp runnable; it runs next on this P (runnext). Runs on: g or g0.
/// @gosrc{proc.go,goready}
void goready(g* gp) {
    systemstack([gp] { ready(gp, true); });
}

/// Refills an empty per-P sudog cache: half of it from the central cache,
/// or one new sudog. Out of line so acquireSudog's fast path stays short.
/// Runs on: g or g0. @gortonly{the refill half of Go's acquireSudog}
[[gnu::cold, gnu::noinline]] static void sudogcacherefill(p* pp) {
    lock(&sched.sudoglock);
    // First, try to grab a batch from central cache.
    while (pp->nsudog < int32_t(std::size(pp->sudogbuf)) / 2 && sched.sudogcache != nullptr) {
        sudog* s = sched.sudogcache;
        sched.sudogcache = s->next;
        s->next = nullptr;
        pp->sudogbuf[pp->nsudog++] = s;
    }
    unlock(&sched.sudoglock);
    // If the central cache is empty, allocate a new one.
    if (pp->nsudog == 0) pp->sudogbuf[pp->nsudog++] = new sudog{};
}

/// Takes a sudog from the P's cache, refilling it from the central cache
/// (half at a time) or allocating. Runs on: g or g0. @gosrc{proc.go,acquireSudog}
sudog* acquireSudog() {
    p* pp = getg()->m->p;
    // gort: a goroutine in syscall::Syscall(f) has given its P up; if f blocks
    // on a channel, select or sync, it gets here without one. (Go code cannot
    // make this mistake: its system calls take no closures.)
    if (__builtin_expect(pp == nullptr, false))
        throw_("gort: goroutine blocked inside syscall::Syscall (its function must not use channels, "
               "select or sync)");
    if (pp->nsudog == 0) sudogcacherefill(pp);
    sudog* s = pp->sudogbuf[--pp->nsudog];
    if (s->elem != nullptr) throw_("acquireSudog: found s.elem != nil in cache");
    return s;
}

/// Moves half of a full per-P sudog cache to the central cache. Out of line
/// so releaseSudog's fast path stays short. Runs on: g or g0.
/// @gortonly{the spill half of Go's releaseSudog}
[[gnu::cold, gnu::noinline]] static void sudogcachespill(p* pp) {
    sudog *first = nullptr, *last = nullptr;
    while (pp->nsudog > int32_t(std::size(pp->sudogbuf)) / 2) {
        sudog* q = pp->sudogbuf[--pp->nsudog];
        if (first == nullptr)
            first = q;
        else
            last->next = q;
        last = q;
    }
    lock(&sched.sudoglock);
    last->next = sched.sudogcache;
    sched.sudogcache = first;
    unlock(&sched.sudoglock);
}

/// Returns a sudog to the P's cache, moving half of a full cache to the
/// central one. Runs on: g or g0. @gosrc{proc.go,releaseSudog}
void releaseSudog(sudog* s) {
    if (s->elem != nullptr) throw_("runtime: sudog with non-nil elem");
    if (s->isSelect) throw_("runtime: sudog with non-false isSelect");
    if (s->next != nullptr) throw_("runtime: sudog with non-nil next");
    if (s->prev != nullptr) throw_("runtime: sudog with non-nil prev");
    if (s->waitlink != nullptr) throw_("runtime: sudog with non-nil waitlink");
    if (s->c != nullptr) throw_("runtime: sudog with non-nil c");
    g* gp = getg();
    if (gp->param != nullptr) throw_("runtime: releaseSudog with non-nil gp.param");
    p* pp = gp->m->p;
    if (pp->nsudog == int32_t(std::size(pp->sudogbuf))) sudogcachespill(pp);  // Transfer half of local cache to the central cache.
    pp->sudogbuf[pp->nsudog++] = s;
}

/// Moves all of pp's cached sudogs to the central cache (pp is being
/// destroyed). Runs on: g0. @gortonly{Go leaves them to the GC}
void sudogcacheflush(p* pp) {
    lock(&sched.sudoglock);
    while (pp->nsudog > 0) {
        sudog* s = pp->sudogbuf[--pp->nsudog];
        s->next = sched.sudogcache;
        sched.sudogcache = s;
    }
    unlock(&sched.sudoglock);
}

/// Called when mcall finds it is already on g0. Runs on: g0.
/// @gosrc{proc.go,badmcall}
void badmcall(void (*)(g*)) {
    throw_("runtime: mcall called on m->g0 stack");
}

/// Called when mcall's fn returns, which it must never do. Runs on: g0.
/// @gosrc{proc.go,badmcall2}
void badmcall2(void (*)(g*)) {
    throw_("runtime: mcall function returned");
}

// ---- allgs ----

/// Records a new g in allgs, so tracebacks and checkdead can see it.
/// Runs on: g0, from newproc1. @gosrc{proc.go,allgadd}
void allgadd(g* gp) {
    if (readgstatus(gp) == Gidle) throw_("allgadd: bad status Gidle");
    lock(&allglock);
    allgs.push_back(gp);
    unlock(&allglock);
}

// ---- Initialization ----

/// Sets up the scheduler: stacks, m0, the Ps. Runs on: g0 (m0).
/// @gosrc{proc.go,schedinit}
void schedinit() {
    lockinit();
    sched.maxmcount = 10000;
    parsedebugvars();
    traceinit();
    stackinit();
    tracebackinit();
    panicinit();
    mcommoninit(&m0, -1);
    sched.lastpoll.store(nanotime());
    int32_t procs = ncpu;
    if (const char* s = std::getenv("GOMAXPROCS")) {
        int32_t n;
        if (atoi32(s, &n) && n > 0) procs = n;
    }
    if (procresize(procs) != nullptr) throw_("unknown runnable goroutine during bootstrap");
    // Go's runtime.main runs init goroutines (bgsweep, bgscavenge) before
    // main.main, so schedtick is past 0 by then and the 1-in-61 global-queue
    // check does not fire on main's first Gosched. gort has no such
    // goroutines; starting at 1 keeps main_main's first schedules like Go's.
    m0.p->schedtick = 1;
}

/// Marks gp ready to run, on this P's run queue (runnext if next).
/// Runs on: g0 (through goready's systemstack). @gosrc{proc.go,ready}
/// @lab{@ref lab_park "Lab 3: gopark, goready and runnext"}
void ready(g* gp, bool next) {
    // LAB(park) BEGIN ready: gp (Gwaiting) becomes Grunnable, on this P's queue
    // TODO(lab park): check gp is Gwaiting (else throw "bad g->status in
    // ready"), make it Grunnable, put it on this M's P's run queue (in
    // runnext if next), and wake an idle P in case there is one (wakep).
    (void)gp, (void)next;
    throw_("lab(park): ready is not written yet");
    // LAB(park) END
}

/// All reads and writes of g's status go through readgstatus, casgstatus,
/// castogscanstatus, casfrom_Gscanstatus. Runs on: any stack (incl. signal
/// stack: tracebacks read it). @gosrc{proc.go,readgstatus}
uint32_t readgstatus(g* gp) {
    return gp->atomicstatus.load(std::memory_order_acquire);
}

/// Changes gp's status from oldval to newval; it is a fatal error if the
/// status is not oldval.
///
/// Go uses a CAS loop here because the garbage collector may hold the Gscan
/// bit of any g for a moment, and casgstatus must wait for it. gort has no GC
/// and no asynchronous preemption, so nothing but the g's owner of the moment
/// (its M, or the one waker that readies it) ever changes its status: a check
/// and a release store do the same job without the locked instruction, which
/// is a third of the cost of a Gosched. Goroutine handoffs between Ms are
/// ordered by the run queues' own atomics (runqput's store-release).
/// Runs on: g0. @gosrc{proc.go,casgstatus} @differs{no GC: check and store instead of a CAS loop}
GORT_HOT void casgstatus(g* gp, uint32_t oldval, uint32_t newval) {
    uint32_t old = gp->atomicstatus.load(std::memory_order_relaxed);
    if (__builtin_expect((oldval & Gscan) || (newval & Gscan) || oldval == newval || old != oldval, 0))
        badcasgstatus(gp, oldval, newval, old);
    gp->atomicstatus.store(newval, std::memory_order_release);
}
GORT_HOT_END

/// casgstatus's failure report, out of line so that the fast path above
/// stays a few instructions. Runs on: either. @gortonly{Go's casgstatus prints inline}
static void badcasgstatus(g*, uint32_t oldval, uint32_t newval, uint32_t old) {
    if ((oldval & Gscan) || (newval & Gscan) || oldval == newval) {
        printstring("runtime: casgstatus: oldval=");
        printhex(oldval);
        printstring(" newval=");
        printhex(newval);
        printstring("\n");
        throw_("casgstatus: bad incoming values");
    }
    if (oldval == Gwaiting && old == Grunnable)
        throw_("casgstatus: waiting for Gwaiting but is Grunnable");
    printstring("runtime: casgstatus ");
    printhex(oldval);
    printstring("->");
    printhex(newval);
    printstring(" gp.status=");
    printhex(old);
    printstring("\n");
    throw_("casgstatus: bad status");
}

// (stopTheWorldWithSema, startTheWorldWithSema: proc_m.cc. preemptall:
//  proc_sysmon.cc.)

// (mstart0, mstart1, mexit, allocm, newm, startm, handoffp, wakep,
//  stoplockedm, startlockedm, gcstopm: proc_m.cc.)

/// Starts running gp on the current M: the last step before gogo.
/// Runs on: g0. @gosrc{proc.go,execute} @chapter{gogo}
void execute(g* gp, bool inheritTime) {
    m* mp = getg()->m;
    // Assign gp.m before entering Grunning so running Gs have an M.
    // Other Ms read m.curg and g.m without locks (preemptone, schedtrace),
    // and retake reads p.schedtick: atomic stores, plain movs on amd64.
    __atomic_store_n(&mp->curg, gp, __ATOMIC_RELEASE);
    __atomic_store_n(&gp->m, mp, __ATOMIC_RELEASE);
    casgstatus(gp, Grunnable, Grunning);
    gp->waitsince = 0;
    __atomic_store_n(&gp->preempt, false, __ATOMIC_RELAXED);
    gp->stackguard0 = gp->stack.lo + stackGuard;
    if (!inheritTime) __atomic_store_n(&mp->p->schedtick, mp->p->schedtick + 1, __ATOMIC_RELAXED);
    if (__builtin_expect(switchtrace, false)) switchtrace_gogo("gogo", getg(), gp);
    traceGoStart(gp);
    racegogo(gp);
    asangogo(gp);
    gogo(&gp->sched);
}

/// The M starts spinning: it looks for work on other Ps. Runs on: g0.
/// @gosrc{proc.go,m.becomeSpinning}
static void becomeSpinning(m* mp) {
    __atomic_store_n(&mp->spinning, true, __ATOMIC_RELAXED);  // schedtrace reads it
    sched.nmspinning.fetch_add(1);
    sched.needspinning.store(0);
}

static g* stealWork(int64_t now, bool* inheritTime, int64_t* pollUntil, bool* newWork);
static p* checkRunqsNoP(int32_t np);
static int64_t checkTimersNoP(int32_t np, int64_t pollUntil);

/// Finds a runnable goroutine to execute: the local run queue (runnext
/// first), the global one (every 61st schedtick first, for fairness), other
/// Ps' queues (stealing, while spinning); then, with nothing found, gives up
/// the P and sleeps until a timer (netpoll) or until woken (stopm). Sets
/// *tryWakeP when the caller should start another M. Never fails: it blocks
/// until there is work. Runs on: g0. @gosrc{proc.go,findRunnable}
static g* findRunnable(bool* inheritTime, bool* tryWakeP) {
    m* mp = getg()->m;
    *tryWakeP = false;
top:
    p* pp = mp->p;
    if (sched.gcwaiting.load()) {
        gcstopm();
        goto top;
    }
    // now and pollUntil are saved for work stealing so that the steal
    // function can avoid reading the clock again (now stays 0 if
    // checkTimers had no timer to look at).
    int64_t now = 0;
    int64_t pollUntil = checkTimers(pp, &now);

    // Check the global runnable queue once in a while to ensure fairness.
    // Otherwise two goroutines can completely occupy the local runqueue by
    // constantly respawning each other.
    if (pp->schedtick % 61 == 0 && __atomic_load_n(&sched.runqsize, __ATOMIC_RELAXED) > 0) {
        lock(&sched.lock);
        g* gp = globrunqget(pp, 1);
        unlock(&sched.lock);
        if (gp) {
            *inheritTime = false;
            return gp;
        }
    }
    // local runq
    if (g* gp = runqget(pp, inheritTime)) return gp;
    // global runq
    if (__atomic_load_n(&sched.runqsize, __ATOMIC_RELAXED) != 0) {
        lock(&sched.lock);
        g* gp = globrunqget(pp, 0);
        unlock(&sched.lock);
        if (gp) {
            *inheritTime = false;
            return gp;
        }
    }
    // (Poll network: gort has no I/O.)

    // Spinning Ms: steal work from other Ps.
    //
    // Limit the number of spinning Ms to half the number of busy Ps.
    // This is necessary to prevent excessive CPU consumption when
    // GOMAXPROCS>>1 but the program parallelism is low.
    if (mp->spinning || 2 * sched.nmspinning.load() < gomaxprocs - sched.npidle.load()) {
        if (!mp->spinning) becomeSpinning(mp);
        bool newWork = false;
        int64_t w = 0;
        g* gp = stealWork(now, inheritTime, &w, &newWork);
        if (gp != nullptr) return gp;  // Successfully stole.
        // Either there was new work to do, or the world is stopping, or we
        // ran timers that readied goroutines: start again.
        if (newWork) goto top;
        if (w != 0 && (pollUntil == 0 || w < pollUntil)) pollUntil = w;  // Earlier timer to wait for.
    }

    // We have nothing to do.
    //
    // Before we drop our P, make a snapshot of allp (gort: of gomaxprocs,
    // allp being a fixed array).
    int32_t np = gomaxprocs;

    // return P and block
    lock(&sched.lock);
    if (sched.gcwaiting.load()) {
        unlock(&sched.lock);
        goto top;
    }
    if (sched.runqsize != 0) {
        g* gp = globrunqget(pp, 0);
        unlock(&sched.lock);
        *inheritTime = false;
        return gp;
    }
    if (!mp->spinning && sched.needspinning.load() == 1) {
        // See "Delicate dance" comment below.
        becomeSpinning(mp);
        unlock(&sched.lock);
        goto top;
    }
    if (releasep() != pp) throw_("findrunnable: wrong p");
    pidleput(pp);
    unlock(&sched.lock);

    // Delicate dance: thread transitions from spinning to non-spinning
    // state, potentially concurrently with submission of new work. We must
    // drop nmspinning first and then check all sources again (with
    // #StoreLoad memory barrier in between). If we do it the other way
    // around, another thread can submit work after we've checked all
    // sources but before we drop nmspinning; as a result nobody will
    // unpark a thread to run the work.
    //
    // This applies to the following sources of work:
    //
    // * Goroutines added to the global or a per-P run queue.
    // * New/modified-earlier timers on a per-P timer heap.
    //
    // If we discover new work below, we need to restore m.spinning as a
    // signal for resetspinning to unpark a new worker thread (because
    // there can be more than one starving goroutine).
    bool wasSpinning = mp->spinning;
    if (mp->spinning) {
        __atomic_store_n(&mp->spinning, false, __ATOMIC_RELAXED);
        if (sched.nmspinning.fetch_sub(1) - 1 < 0) throw_("findrunnable: negative nmspinning");
        // Note the for correctness, only the last M transitioning from
        // spinning to non-spinning must perform these rechecks to
        // ensure no missed work. However, the runtime has some cases
        // of transient increments of nmspinning that are decremented
        // without going through this path, so we must be conservative
        // and perform the check on all spinning Ms.

        // Check global and P runqueues again.
        lock(&sched.lock);
        if (sched.runqsize != 0) {
            if (p* pp2 = pidlegetSpinning()) {
                g* gp = globrunqget(pp2, 0);
                if (gp == nullptr) throw_("global runq empty with non-zero runqsize");
                unlock(&sched.lock);
                acquirep(pp2);
                becomeSpinning(mp);
                *inheritTime = false;
                return gp;
            }
        }
        unlock(&sched.lock);
        if (p* pp2 = checkRunqsNoP(np)) {
            acquirep(pp2);
            becomeSpinning(mp);
            goto top;
        }
        // Finally, check for timer creation or expiry concurrently with
        // transitioning from spinning to non-spinning.
        //
        // Note that we cannot use checkTimers here because it calls
        // adjusttimers which may need to allocate memory, and that isn't
        // allowed when we don't have an active P.
        pollUntil = checkTimersNoP(np, pollUntil);
    }

    // Poll network until next timer (gort: sleep until the next timer).
    if (netpollinited() && (netpollAnyWaiters() || pollUntil != 0) && sched.lastpoll.exchange(0) != 0) {
        sched.pollUntil.store(pollUntil);
        if (mp->p) throw_("findrunnable: netpoll with p");
        if (mp->spinning) throw_("findrunnable: netpoll with spinning");
        int64_t delay = -1;
        if (pollUntil != 0) {
            if (now == 0) now = nanotime();
            delay = pollUntil - now;
            if (delay < 0) delay = 0;
        }
        netpoll(delay);  // block until new work is available
        // Refresh now again, after potentially blocking.
        now = nanotime();
        sched.pollUntil.store(0);
        sched.lastpoll.store(now);
        lock(&sched.lock);
        p* pp2 = pidleget();
        unlock(&sched.lock);
        if (pp2 != nullptr) {
            acquirep(pp2);
            if (wasSpinning) becomeSpinning(mp);
            goto top;
        }
    } else if (pollUntil != 0 && netpollinited()) {
        int64_t pollerPollUntil = sched.pollUntil.load();
        if (pollerPollUntil == 0 || pollerPollUntil > pollUntil) netpollBreak();
    }
    stopm();
    goto top;
}

/// Attempts to steal a runnable goroutine or timer from any P: four rounds
/// over all Ps in a random order, the last one also running their due timers
/// and taking their runnext. *newWork is set when the caller should look
/// again (the world is stopping, or timers readied goroutines).
/// Runs on: g0, spinning. @gosrc{proc.go,stealWork}
static g* stealWork(int64_t now, bool* inheritTime, int64_t* pollUntil, bool* newWork) {
    p* pp = getg()->m->p;
    bool ranTimer = false;
    const int stealTries = 4;
    for (int i = 0; i < stealTries; i++) {
        bool stealTimersOrRunNextG = i == stealTries - 1;
        for (randomEnum e = stealOrder.start(cheaprand()); !e.done(); e.next()) {
            if (sched.gcwaiting.load()) {
                // GC work may be available.
                *newWork = true;
                return nullptr;
            }
            p* p2 = allp[e.position()];
            if (pp == p2) continue;
            // Steal timers from p2. This call to checkTimers is the only place
            // where we might hold a lock on a different P's timers. We do this
            // once on the last pass before checking runnext because stealing
            // from the other P's runnext should be the last resort, so if there
            // are timers to steal do that first.
            if (stealTimersOrRunNextG && timerpMask.read(e.position())) {
                bool ran;
                int64_t w = checkTimers(p2, &now, &ran);
                if (w != 0 && (*pollUntil == 0 || w < *pollUntil)) *pollUntil = w;
                if (ran) {
                    // Running the timers may have made an arbitrary number
                    // of G's ready and added them to this P's local run
                    // queue. That invalidates the assumption of runqsteal
                    // that it always has room to add stolen G's. So check
                    // now if there is a local G to run.
                    if (g* gp = runqget(pp, inheritTime)) return gp;
                    ranTimer = true;
                }
            }
            // Don't bother to attempt to steal if p2 is idle.
            if (!idlepMask.read(e.position())) {
                if (g* gp = runqsteal(pp, p2, stealTimersOrRunNextG)) {
                    *inheritTime = false;
                    return gp;
                }
            }
        }
    }
    // No goroutines found to steal. Regardless, running a timer may have
    // made some goroutine ready that we missed. Indicate the next timer to
    // wait for.
    *newWork = ranTimer;
    return nullptr;
}

/// After the M gave up its P: if any P has local work, takes an idle P to go
/// and steal it. Runs on: g0, without a P. @gosrc{proc.go,checkRunqsNoP}
static p* checkRunqsNoP(int32_t np) {
    for (int32_t id = 0; id < np; id++) {
        if (!idlepMask.read(uint32_t(id)) && !runqempty(__atomic_load_n(&allp[id], __ATOMIC_ACQUIRE))) {
            lock(&sched.lock);
            p* pp = pidlegetSpinning();
            unlock(&sched.lock);
            return pp;  // nullptr: can't get a P, don't bother checking remaining Ps.
        }
    }
    // No work available.
    return nullptr;
}

/// After the M gave up its P: the earliest timer of all Ps, or pollUntil if
/// that is earlier. Runs on: g0, without a P. @gosrc{proc.go,checkTimersNoP}
static int64_t checkTimersNoP(int32_t np, int64_t pollUntil) {
    for (int32_t id = 0; id < np; id++) {
        if (timerpMask.read(uint32_t(id))) {
            // No P, so procresize may run meanwhile (it stores allp[i] atomically).
            int64_t w = nobarrierWakeTime(__atomic_load_n(&allp[id], __ATOMIC_ACQUIRE));
            if (w != 0 && (pollUntil == 0 || w < pollUntil)) pollUntil = w;
        }
    }
    return pollUntil;
}

/// The M stops spinning because it found work: if it was the last spinning
/// M, start another, so that more work finds a spinner. Runs on: g0.
/// @gosrc{proc.go,resetspinning}
static void resetspinning() {
    m* mp = getg()->m;
    if (!mp->spinning) throw_("resetspinning: not a spinning m");
    __atomic_store_n(&mp->spinning, false, __ATOMIC_RELAXED);
    int32_t nmspinning = sched.nmspinning.fetch_sub(1) - 1;
    if (nmspinning < 0) throw_("findrunnable: negative nmspinning");
    // M wakeup policy is deliberately somewhat conservative, so check if we
    // need to wakeup another P here. See "Worker thread parking/unparking"
    // comment at the top of proc_m.cc for details.
    wakep();
}

/// A timer due at when was added: make sure an M wakes for it — interrupt
/// the M sleeping in netpoll if it sleeps longer, or start one if none does.
/// Runs on: g or g0. @gosrc{proc.go,wakeNetPoller}
void wakeNetPoller(int64_t when) {
    if (sched.lastpoll.load() == 0) {
        // In findrunnable we ensure that when polling the pollUntil
        // field is either zero or the time to which the current
        // poll is expected to run. This can have a spurious wakeup
        // but should never miss a wakeup.
        int64_t pollerPollUntil = sched.pollUntil.load();
        if (pollerPollUntil == 0 || pollerPollUntil > when) netpollBreak();
    } else {
        // There are no threads in the network poller, try to get
        // one there so it can handle new timers.
        wakep();
    }
}

/// One round of the scheduler: find a runnable goroutine and execute it.
/// Never returns. Runs on: g0. @gosrc{proc.go,schedule}
void schedule() {
    m* mp = getg()->m;
    if (mp->locks != 0) throw_("schedule: holding locks");
    if (mp->lockedg != nullptr) {
        stoplockedm();
        execute(mp->lockedg, false);  // Never returns.
    }
top:
    p* pp = mp->p;
    __atomic_store_n(&pp->preempt, false, __ATOMIC_RELAXED);  // preemptone sets it from other Ms
    // Safety check: if we are spinning, the run queue should be empty.
    // Check this before calling checkTimers, as that might call
    // goready to put a ready goroutine on the local run queue.
    // (Thieves CAS runnext and runqhead: atomic loads.)
    if (mp->spinning &&
        (pp->runnext.load() != nullptr || __atomic_load_n(&pp->runqhead, __ATOMIC_RELAXED) != pp->runqtail))
        throw_("schedule: spinning with local work");
    bool inheritTime = false, tryWakeP = false;
    g* gp = findRunnable(&inheritTime, &tryWakeP);  // blocks until work is available
    // This thread is going to run a goroutine and is not spinning anymore,
    // so if it was marked as spinning we need to reset it now and potentially
    // start a new spinning M.
    if (mp->spinning) resetspinning();
    if (tryWakeP) wakep();
    if (gp->lockedm != nullptr) {
        // Hands off own p to the locked m,
        // then blocks waiting for a new p.
        startlockedm(gp);
        goto top;
    }
    execute(gp, inheritTime);
}

/// Removes the association between m and its current goroutine m.curg.
/// gort: also the one place every switch-out passes, so it checks the stack
/// of goroutines that have no guard page (stackcheck, stack.cc). Runs on: g0.
/// @gosrc{proc.go,dropg}
GORT_HOT void dropg() {
    g* gp = getg();
    g* curg = gp->m->curg;
    if (!curg->stackguardpage) stackcheck(curg);
    // Atomic: preemptone and schedtrace read them from other Ms.
    __atomic_store_n(&curg->m, nullptr, __ATOMIC_RELAXED);
    __atomic_store_n(&gp->m->curg, nullptr, __ATOMIC_RELAXED);
}
GORT_HOT_END

/// gopark's unlockf for goparkunlock: releases the lock once the g is
/// parked. Runs on: g0. @gosrc{proc.go,parkunlock_c}
static bool parkunlock_c(g*, void* lock) {
    unlock(static_cast<mutex*>(lock));
    return true;
}

/// park continuation on g0: the second half of gopark. Runs on: g0.
/// @gosrc{proc.go,park_m} @chapter{mcall-blocking}
/// @lab{@ref lab_park "Lab 3: gopark, goready and runnext"}
// [park_m]
static void park_m(g* gp) {
    // LAB(park) BEGIN park_m: on g0, the second half of gopark
    // TODO(lab park): gp is Grunning. Make it Gwaiting, detach it from the M
    // (dropg), run m.waitunlockf(gp, m.waitlock) if there is one (and clear
    // both): if it returns false, gp runs again at once (Grunnable, then
    // execute). Otherwise find something else to run (schedule).
    (void)gp;
    throw_("lab(park): park_m is not written yet");
    // LAB(park) END
}
// [park_m]

/// Puts gp on the global run queue and schedules. Runs on: g0.
/// @gosrc{proc.go,goschedImpl}
static void goschedImpl(g* gp) {
    uint32_t status = readgstatus(gp);
    if ((status & ~Gscan) != Grunning) throw_("bad g status");
    casgstatus(gp, Grunning, Grunnable);
    traceGoSched(gp);
    dropg();
    lock(&sched.lock);
    globrunqput(gp);
    unlock(&sched.lock);
    if (mainStarted) wakep();
    schedule();
}

/// Gosched continuation on g0: hands gp to goschedImpl. Runs on: g0.
/// @gosrc{proc.go,gosched_m}
static void gosched_m(g* gp) {
    goschedImpl(gp);
}

// (goschedguarded_m, gopreempt_m, preemptPark, goyield: no preemption yet.)

/// Finishes the current goroutine: called by goexit when the goroutine's
/// function returns. Runs on: g. @gosrc{proc.go,goexit1}
void goexit1() {
    asangoexit();  // ASan: this g's fake stack goes with it (asan.h)
    mcall(goexit0);
}


/// goexit continuation on g0: destroys gp and schedules. Runs on: g0.
/// @gosrc{proc.go,goexit0}
static void goexit0(g* gp) {
    gdestroy(gp);
    schedule();
}

/// Marks gp dead and puts it on the P's free list, stack and all.
/// Runs on: g0. @gosrc{proc.go,gdestroy}
void gdestroy(g* gp) {
    m* mp = getg()->m;
    p* pp = mp->p;
    casgstatus(gp, Grunning, Gdead);
    traceGoEnd(gp);
    // Atomic stores: schedtrace reads these from sysmon's M.
    __atomic_store_n(&gp->m, nullptr, __ATOMIC_RELAXED);
    bool locked = gp->lockedm != nullptr;
    __atomic_store_n(&gp->lockedm, nullptr, __ATOMIC_RELAXED);
    __atomic_store_n(&mp->lockedg, nullptr, __ATOMIC_RELAXED);
    __atomic_store_n(&gp->waitreason, waitReasonZero, __ATOMIC_RELAXED);
    gp->param = nullptr;
    gp->coroarg = nullptr;
    // gort: Goexit unwinds (ending every catch block), so a dying g holds no
    // exceptions; clear them anyway, the next goroutine on this g must never
    // inherit any (stubs.h, ehsave).
    gp->ehcaught = nullptr;
    gp->ehuncaught = 0;
    racegoend(gp);
    dropg();
    if (mp->lockedInt != 0) {
        printstring("invalid m->lockedInt = ");
        printuint(mp->lockedInt);
        printstring("\n");
        throw_("internal lockOSThread error");
    }
    gfput(pp, gp);
    if (locked) {
        // The goroutine may have locked this thread because
        // it put it in an unusual kernel state. Kill it
        // rather than returning it to the thread pool.
        //
        // Return to mstart, which will release the P and exit
        // the thread.
        mp->lockedExt = 0;
        if (__builtin_expect(switchtrace, false)) switchtrace_gogo("gogo", getg(), mp->g0);
        gogo(&mp->g0->sched);
    }
}

// (save, reentersyscall, entersyscall, ..., exitsyscall0: proc_syscall.cc.
//  exitsyscall0 is the chapter's first mcall call site.)

// (malg, newproc, newproc1, gfput, gfget, gfpurge, gcount: proc_newproc.cc.)

// (procresize, acquirep, wirep, releasep: proc_m.cc. incidlelocked,
//  checkdead, sysmon, retake, schedtrace: proc_sysmon.cc. mput, mget,
//  globrunqput, ..., runqsteal, randomOrder: proc_runq.cc.)

// ---- rt0_go (asm_amd64.s): rt0_linux_amd64.cc ----

/// A gofunc for a function that captures nothing (runtime.main's and
/// corostart's): the funcval is just the code pointer. Runs on: any stack.
/// @gortonly{Go passes such functions' static funcvals (mainPC, corostart's) to newproc}
plainfunc::plainfunc(void (*f)(funcval*)) {
    fn = f;
    size = sizeof(funcval);
    align = alignof(funcval);
    relocate = [](gofunc* from, void* to) { new (to) funcval{from->fn}; };
}

}  // namespace runtime
