// proc.cc — the scheduler: goroutine creation, parking, readying, and the
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
// mstart1 recorded. Until issue 5 there is one M (the main thread) and one P;
// the M/P structures and the functions that move them (acquirep, releasep,
// stopm, mput, checkdead) are Go's, so more Ms slot in without reshaping.
#include <unistd.h>

#include <cstring>
#include <new>

#include "runtime.h"

namespace runtime {

/// This thread's g (the TLS slot of stubs.h getg()). initial-exec TLS: one
/// \%fs-relative load, in the main executable or a library loaded at startup.
/// @chapter{tls} @differs{TLS only: Go ≥1.17 also keeps g in R14}
__attribute__((tls_model("initial-exec"))) constinit thread_local g* tlsg asm("runtime.tlsg") =
    nullptr;

m m0;
g g0;
schedt sched;
p* allp[1];
int32_t gomaxprocs;
int32_t ncpu;
bool mainStarted;
std::vector<g*> allgs;
mutex allglock;

static constexpr uintptr_t stackGuard = 928;  // Go's StackGuard; only displayed

// The mcall continuations, defined below in Go's order.
static void park_m(g* gp);
static bool parkunlock_c(g* gp, void* lock);
[[noreturn, gnu::cold, gnu::noinline]] static void badcasgstatus(g* gp, uint32_t oldval,
                                                                  uint32_t newval, uint32_t old);
static void gosched_m(g* gp);
static void goexit0(g* gp);
static void globrunqput(g* gp);
static g* gfget(p* pp);

// ---- The main goroutine ----

/// The main goroutine: runs the user's main_main and exits the process with
/// status 0 when it returns. A Goexit in main_main unwinds past this frame (so
/// the process does not exit; see checkdead). Runs on: g (goroutine 1).
/// @gosrc{proc.go,main}
void main() {
    mainStarted = true;
    main_main();
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
/// Runs on: g. @gosrc{proc.go,gopark} @chapter{mcall-blocking}
void gopark(bool (*unlockf)(g*, void*), void* lock, waitReason reason) {
    m* mp = getg()->m;
    g* gp = mp->curg;
    uint32_t status = readgstatus(gp);
    if (status != Grunning && status != (Gscan | Grunning)) throw_("gopark: bad g status");
    mp->waitlock = lock;
    mp->waitunlockf = unlockf;
    gp->waitreason = reason;
    // can't do anything that might move the G between Ms here.
    mcall(park_m);
}

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
/// Runs on: g or g0. gort only: the refill half of Go's acquireSudog.
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
    if (pp->nsudog == 0) sudogcacherefill(pp);
    sudog* s = pp->sudogbuf[--pp->nsudog];
    if (s->elem != nullptr) throw_("acquireSudog: found s.elem != nil in cache");
    return s;
}

/// Moves half of a full per-P sudog cache to the central cache. Out of line
/// so releaseSudog's fast path stays short. Runs on: g or g0.
/// gort only: the spill half of Go's releaseSudog.
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
static void allgadd(g* gp) {
    if (readgstatus(gp) == Gidle) throw_("allgadd: bad status Gidle");
    lock(&allglock);
    allgs.push_back(gp);
    unlock(&allglock);
}

// ---- Initialization ----

/// Sets up the scheduler: stacks, m0, the Ps. Runs on: g0 (m0).
/// @gosrc{proc.go,schedinit}
static void schedinit() {
    lockinit();
    sched.maxmcount = 10000;
    parsedebugvars();
    stackinit();
    tracebackinit();
    panicinit();
    m* mp = &m0;
    mp->id = sched.mnext++;  // mcommoninit
    mp->cheaprand = uint64_t(uintptr_t(mp)) ^ (uint64_t(::getpid()) << 32) ^ uint64_t(nanotime());
    // GOMAXPROCS and procresize for n > 1 arrive with issue 5: one P for now.
    gomaxprocs = 1;
    p* pp = new p{};
    pp->id = 0;
    pp->status = Pidle;
    // Go's runtime.main runs init goroutines (bgsweep, bgscavenge) before
    // main.main, so schedtick is past 0 by then and the 1-in-61 global-queue
    // check does not fire on main's first Gosched. gort has no such
    // goroutines; starting at 1 keeps main_main's first schedules like Go's.
    pp->schedtick = 1;
    allp[0] = pp;
    acquirep(pp);
}

// (mcommoninit is folded into schedinit while there is only m0.)

/// Marks gp ready to run, on this P's run queue (runnext if next).
/// Runs on: g0 (through goready's systemstack). @gosrc{proc.go,ready}
void ready(g* gp, bool next) {
    uint32_t status = readgstatus(gp);
    m* mp = getg()->m;
    if ((status & ~Gscan) != Gwaiting) throw_("bad g->status in ready");
    casgstatus(gp, Gwaiting, Grunnable);
    runqput(mp->p, gp, next);
    wakep();
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
void casgstatus(g* gp, uint32_t oldval, uint32_t newval) {
    uint32_t old = gp->atomicstatus.load(std::memory_order_relaxed);
    if (__builtin_expect((oldval & Gscan) || (newval & Gscan) || oldval == newval || old != oldval, 0))
        badcasgstatus(gp, oldval, newval, old);
    gp->atomicstatus.store(newval, std::memory_order_release);
}

/// casgstatus's failure report, out of line so that the fast path above
/// stays a few instructions. Runs on: either. gort only.
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

// ---- M start ----

[[noreturn]] static void mstart1();

/// The entry point of an M's scheduling loop, on the M's own (g0) stack.
/// Go's mstart is asm that calls mstart0; gort's mstart is this C++ function.
/// Runs on: g0 (for m0, the OS thread's stack rt0_go made g0).
/// @gosrc{proc.go,mstart0}
[[noreturn]] __attribute__((noinline)) static void mstart0() {
    g* gp = getg();
    // Go computes g0's stack bounds here for threads it did not create;
    // m0's were set by rt0_go.
    gp->stackguard0 = gp->stack.lo + stackGuard;
    gp->stackguard1 = gp->stackguard0;
    mstart1();
}

/// Records where mcall should start on g0 (the caller's SP, PC and BP: every
/// mcall and systemstack begins its g0 frames here), then schedules.
/// Runs on: g0. @gosrc{proc.go,mstart1}
[[noreturn]] __attribute__((noinline)) static void mstart1() {
    g* gp = getg();
    if (gp != gp->m->g0) throw_("bad runtime·mstart");
    // Set up m.g0.sched as a label returning to just after the mstart1 call in
    // mstart0 above, for use by goexit0 and mcall. We're never coming back to
    // mstart1 after we call schedule, so other calls can reuse the current
    // frame. Unlike Go, bp matters: mcall restores it so that gdb and the
    // tracebacks of g0 frames continue into mstart0.
    gp->sched.g = guintptr::of(gp);
    gp->sched.pc = getcallerpc();
    gp->sched.sp = getcallersp();
    gp->sched.bp = *reinterpret_cast<uintptr_t*>(__builtin_frame_address(0));
    racemstart(gp);
    minitSignalStack();
    if (gp->m == &m0) initsig();  // mstartm0
    schedule();
    __builtin_unreachable();
}

// (mstartm0, mexit, forEachP, runSafePointFn, allocm, needm, newm, startm,
//  handoffp, wakep's M logic, stoplockedm, startlockedm: issue 5.)

static void mput(m* mp);

/// Puts an M with nothing to do to sleep until new work appears. With one M,
/// mput's checkdead always finds the program deadlocked before the sleep.
/// Runs on: g0. @gosrc{proc.go,stopm}
static void stopm() {
    m* mp = getg()->m;
    if (mp->locks) throw_("stopm holding locks");
    if (mp->p) throw_("stopm holding p");
    if (mp->spinning) throw_("stopm spinning");
    lock(&sched.lock);
    mput(mp);
    unlock(&sched.lock);
    notesleep(&mp->park);  // mPark
    noteclear(&mp->park);
    acquirep(mp->nextp);
    mp->nextp = nullptr;
}

/// Tries to add one more P to run goroutines. With one P there is never an
/// idle P to hand work to, so it does nothing (issue 5). Runs on: g0.
/// @gosrc{proc.go,wakep}
void wakep() {}

/// Starts running gp on the current M: the last step before gogo.
/// Runs on: g0. @gosrc{proc.go,execute} @chapter{gogo}
void execute(g* gp, bool inheritTime) {
    m* mp = getg()->m;
    // Assign gp.m before entering Grunning so running Gs have an M.
    mp->curg = gp;
    gp->m = mp;
    casgstatus(gp, Grunnable, Grunning);
    gp->waitsince = 0;
    gp->preempt = false;
    gp->stackguard0 = gp->stack.lo + stackGuard;
    if (!inheritTime) mp->p->schedtick++;
    racegogo(gp);
    gogo(&gp->sched);
}

static g* globrunqget(p* pp, int32_t max);
static void releasep_idle();

/// Finds a runnable goroutine: the local run queue, the global one (every 61st
/// schedtick first, for fairness), and — with issue 5 — netpoll and stealing.
/// If there is none, stops the M (which, with one M, detects the deadlock).
/// Runs on: g0. @gosrc{proc.go,findRunnable}
static g* findRunnable(bool* inheritTime) {
    m* mp = getg()->m;
top:
    p* pp = mp->p;
    // now and pollUntil are saved for the sleep below (Go: also for stealing).
    int64_t pollUntil = checkTimers(pp, 0);

    // Check the global runnable queue once in a while to ensure fairness.
    // Otherwise two goroutines can completely occupy the local runqueue by
    // constantly respawning each other.
    if (pp->schedtick % 61 == 0 && sched.runqsize > 0) {
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
    if (sched.runqsize != 0) {
        lock(&sched.lock);
        g* gp = globrunqget(pp, 0);
        unlock(&sched.lock);
        if (gp) {
            *inheritTime = false;
            return gp;
        }
    }
    // (netpoll and stealing from other Ps: issue 5.)

    // Nothing runnable, but a timer will fire: Go blocks in netpoll until
    // pollUntil; gort, with no netpoller, sleeps the M on its note until then.
    if (pollUntil != 0) {
        int64_t delay = pollUntil - nanotime();
        if (delay > 0) notetsleep(&mp->park, delay);
        noteclear(&mp->park);
        goto top;
    }

    // We have nothing to do: give up the P and stop.
    releasep_idle();
    stopm();
    goto top;
}

/// One round of the scheduler: find a runnable goroutine and execute it.
/// Never returns. Runs on: g0. @gosrc{proc.go,schedule}
void schedule() {
    m* mp = getg()->m;
    if (mp->locks != 0) throw_("schedule: holding locks");
    p* pp = mp->p;
    pp->preempt = false;
    // Safety check: if we are spinning, the run queue should be empty.
    if (mp->spinning && (pp->runnext.v != 0 || pp->runqhead != pp->runqtail))
        throw_("schedule: spinning with local work");
    bool inheritTime = false;
    g* gp = findRunnable(&inheritTime);  // blocks until work is available
    execute(gp, inheritTime);
}

/// Removes the association between m and its current goroutine m.curg.
/// gort: also the one place every switch-out passes, so it checks the stack
/// of goroutines that have no guard page (stackcheck, stack.cc). Runs on: g0.
/// @gosrc{proc.go,dropg}
static void dropg() {
    g* gp = getg();
    g* curg = gp->m->curg;
    if (!curg->stackguardpage) stackcheck(curg);
    curg->m = nullptr;
    gp->m->curg = nullptr;
}

/// gopark's unlockf for goparkunlock: releases the lock once the g is
/// parked. Runs on: g0. @gosrc{proc.go,parkunlock_c}
static bool parkunlock_c(g*, void* lock) {
    unlock(static_cast<mutex*>(lock));
    return true;
}

/// park continuation on g0: the second half of gopark. Runs on: g0.
/// @gosrc{proc.go,park_m} @chapter{mcall-blocking}
static void park_m(g* gp) {
    m* mp = getg()->m;
    // N.B. Not using casGToWaiting here because the waitreason is set by
    // park_m's caller.
    casgstatus(gp, Grunning, Gwaiting);
    dropg();
    if (auto fn = mp->waitunlockf) {
        bool ok = fn(gp, mp->waitlock);
        mp->waitunlockf = nullptr;
        mp->waitlock = nullptr;
        if (!ok) {
            casgstatus(gp, Gwaiting, Grunnable);
            execute(gp, true);  // Schedule it back, never returns.
        }
    }
    schedule();
}

/// Puts gp on the global run queue and schedules. Runs on: g0.
/// @gosrc{proc.go,goschedImpl}
static void goschedImpl(g* gp) {
    uint32_t status = readgstatus(gp);
    if ((status & ~Gscan) != Grunning) throw_("bad g status");
    casgstatus(gp, Grunning, Grunnable);
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
    mcall(goexit0);
}


/// goexit continuation on g0: destroys gp and schedules. Runs on: g0.
/// @gosrc{proc.go,goexit0}
static void goexit0(g* gp) {
    gdestroy(gp);
    schedule();
}

static void gfput(p* pp, g* gp);

/// Marks gp dead and puts it on the P's free list, stack and all.
/// Runs on: g0. @gosrc{proc.go,gdestroy}
void gdestroy(g* gp) {
    m* mp = getg()->m;
    p* pp = mp->p;
    casgstatus(gp, Grunning, Gdead);
    gp->m = nullptr;
    gp->lockedm = nullptr;
    mp->lockedg = nullptr;
    gp->waitreason = waitReasonZero;
    gp->param = nullptr;
    gp->coroarg = nullptr;
    racegoend(gp);
    dropg();
    gfput(pp, gp);
}

// (save, reentersyscall, entersyscall, exitsyscall, exitsyscall0, ...:
//  issue 5. exitsyscall0 is the chapter's first mcall call site.)

// ---- Goroutine creation ----

/// Allocates a new g, with a stack big enough for stacksize bytes.
/// Runs on: g0, from newproc1. @gosrc{proc.go,malg}
g* malg(uintptr_t stacksize) {
    g* newg = new g{};
    if (stacksize > 0) {
        newg->stack = stackalloc(uint32_t(stacksize));
        newg->stackguardpage = stackhasguard(newg->stack.lo);
        newg->stackguard0 = newg->stack.lo + stackGuard;
        newg->stackguard1 = ~uintptr_t(0);
    }
    return newg;
}


/// Creates a new g running fn and puts it on this P's run queue (as runnext:
/// the new goroutine runs soon, Go's choice). The go statement of gort is
/// go.h's go(), which calls this. Runs on: g (switches to g0) or g0.
/// @gosrc{proc.go,newproc}
g* newproc(gofunc* fn) {
    g* gp = getg();
    uintptr_t pc = getcallerpc();
    g* newg;
    systemstack([&] {
        newg = newproc1(fn, gp, pc);
        p* pp = getg()->m->p;
        runqput(pp, newg, true);
        if (mainStarted) wakep();
    });
    return newg;
}

/// Pushes a call to fn onto buf's stack, as if the frame at buf->pc had
/// called fn: the return address is buf->pc (goexit+1 for a new g).
/// Runs on: g0, from newproc1. @gosrc{sys_x86.go,gostartcall}
static void gostartcall(gobuf* buf, void* fn, void* ctxt) {
    uintptr_t sp = buf->sp;
    sp -= sizeof(uintptr_t);
    *reinterpret_cast<uintptr_t*>(sp) = buf->pc;
    buf->sp = sp;
    buf->pc = reinterpret_cast<uintptr_t>(fn);
    buf->ctxt = ctxt;
}

/// gostartcall for a closure: fv's code is the entry, fv itself the context
/// (buf->ctxt). Runs on: g0, from newproc1. @gosrc{stack.go,gostartcallfn}
static void gostartcallfn(gobuf* buf, funcval* fv) {
    gostartcall(buf, reinterpret_cast<void*>(fv->fn), fv);
}

/// Creates a new g in state Grunnable, starting at fn. callerpc is the address
/// of the go statement that created it. The caller puts it on a run queue.
/// gort: the closure is moved to the top of the new stack; SysV wants
/// SP+8 16-byte aligned at function entry, which the layout below gives:
///   stack.hi → closure (16-aligned) → return PC goexit+1 ← sched.sp
/// Runs on: g0. @gosrc{proc.go,newproc1}
/// @differs{the closure lives on the new stack, not the heap}
g* newproc1(gofunc* fn, g* callergp, uintptr_t callerpc) {
    if (fn == nullptr) fatal("go of nil func value");
    m* mp = getg()->m;
    p* pp = mp->p;
    g* newg = gfget(pp);
    if (newg == nullptr) {
        newg = malg(startingStackSize);
        casgstatus(newg, Gidle, Gdead);
        allgadd(newg);  // publishes with a g->status of Gdead
    }
    if (newg->stack.hi == 0) throw_("newproc1: newg missing stack");
    if (readgstatus(newg) != Gdead) throw_("newproc1: new g is not Gdead");

    uintptr_t align = fn->align > 16 ? fn->align : 16;
    uintptr_t sp = (newg->stack.hi - fn->size) & ~(align - 1);
    if (sp < newg->stack.lo + startingStackSize / 2) throw_("newproc1: closure too large");
    fn->relocate(fn, reinterpret_cast<void*>(sp));
    auto* fv = reinterpret_cast<funcval*>(sp);

    newg->sched = gobuf{};
    newg->sched.sp = sp;
    newg->stktopsp = sp;
    // +1 (PCQuantum) so that the previous instruction is in goexit.
    newg->sched.pc = reinterpret_cast<uintptr_t>(&goexit) + 1;
    newg->sched.g = guintptr::of(newg);
    gostartcallfn(&newg->sched, fv);
    newg->parentGoid = callergp ? callergp->goid : 0;
    newg->gopc = callerpc;
    newg->startpc = reinterpret_cast<uintptr_t>(fv->fn);
    newg->goid = sched.goidgen.fetch_add(1) + 1;
    casgstatus(newg, Gdead, Grunnable);
    return newg;
}

// (saveAncestors: GODEBUG=tracebackancestors is not supported.)

/// Puts a dead g on the P's free list; above 64, moves half to the global
/// list. Its stack stays with it (Go frees non-standard sizes only).
/// Runs on: g0. @gosrc{proc.go,gfput}
static void gfput(p* pp, g* gp) {
    if (readgstatus(gp) != Gdead) throw_("gfput: bad status (not Gdead)");
    pp->gFree.list.push(gp);
    pp->gFree.n++;
    if (pp->gFree.n >= 64) {
        gList stackQ;
        int32_t inc = 0;
        while (pp->gFree.n >= 32) {
            g* g1 = pp->gFree.list.pop();
            pp->gFree.n--;
            stackQ.push(g1);
            inc++;
        }
        lock(&sched.gFree.lock);
        while (g* g1 = stackQ.pop()) sched.gFree.stack.push(g1);
        sched.gFree.n += inc;
        unlock(&sched.gFree.lock);
    }
}

/// Gets a dead g from the P's free list, refilling it from the global list
/// (32 at a time) when empty. Runs on: g0. @gosrc{proc.go,gfget}
static g* gfget(p* pp) {
    if (pp->gFree.list.empty() && !sched.gFree.stack.empty()) {
        lock(&sched.gFree.lock);
        while (pp->gFree.n < 32) {
            g* gp = sched.gFree.stack.pop();
            if (gp == nullptr) break;
            sched.gFree.n--;
            pp->gFree.list.push(gp);
            pp->gFree.n++;
        }
        unlock(&sched.gFree.lock);
    }
    g* gp = pp->gFree.list.pop();
    if (gp == nullptr) return nullptr;
    pp->gFree.n--;
    return gp;
}

// (LockOSThread, UnlockOSThread, badunlockosthread: issue 5.)

/// The number of live goroutines: all g's minus the dead ones on free lists.
/// Runs on: g or g0. @gosrc{proc.go,gcount}
int32_t gcount() {
    lock(&allglock);
    int32_t n = int32_t(allgs.size());
    unlock(&allglock);
    n -= sched.gFree.n + sched.ngsys;
    for (int32_t i = 0; i < gomaxprocs; i++) n -= allp[i]->gFree.n;
    // All these variables can be changed concurrently, so the result can be
    // inconsistent. But at least the current goroutine is running.
    return n < 1 ? 1 : n;
}

// (sigprof, setcpuprofilerate, procresize: the
//  one-P setup is in schedinit; procresize arrives with issue 5.)

/// Associates P and the current M. Runs on: g0. @gosrc{proc.go,acquirep}
void acquirep(p* pp) {
    m* mp = getg()->m;
    if (mp->p != nullptr) throw_("wirep: already in go");
    if (pp->m != nullptr || pp->status != Pidle) throw_("wirep: invalid p state");
    mp->p = pp;
    pp->m = mp;
    pp->status = Prunning;
}

/// Disassociates P and the current M. Runs on: g0. @gosrc{proc.go,releasep}
p* releasep() {
    m* mp = getg()->m;
    p* pp = mp->p;
    if (pp == nullptr || pp->m != mp || pp->status != Prunning) throw_("releasep: invalid p state");
    mp->p = nullptr;
    pp->m = nullptr;
    pp->status = Pidle;
    return pp;
}

static void pidleput(p* pp);
/// Gives up the M's P and puts it on the idle list, under sched.lock.
/// Runs on: g0. gort only: Go inlines this sequence in findRunnable
/// (releasep + pidleput before stopm).
static void releasep_idle() {
    lock(&sched.lock);
    p* pp = releasep();
    pidleput(pp);
    unlock(&sched.lock);
    getg()->m->nextp = nullptr;
}

/// Ms that exist, minus those freed. Runs on: g0. @gosrc{proc.go,mcount}
static int32_t mcount() {
    return int32_t(sched.mnext);
}

/// Checks for a deadlock: no M is running Go code and no goroutine can ever
/// become runnable. Called with sched.lock held each time an M goes idle.
/// Runs on: g0. @gosrc{proc.go,checkdead}
static void checkdead() {
    int32_t run = mcount() - sched.nmidle - sched.nmidlelocked - sched.nmsys;
    if (run > 0) return;
    if (run < 0) {
        unlock(&sched.lock);
        throw_("checkdead: inconsistent counts");
    }
    int grunning = 0;
    for (g* gp : allgs) {
        uint32_t s = readgstatus(gp) & ~Gscan;
        if (s == Gwaiting || s == Gpreempted) {
            grunning++;
        } else if (s == Grunnable || s == Grunning || s == Gsyscall) {
            printstring("runtime: checkdead: find g ");
            printuint(gp->goid);
            printstring(" in status ");
            printuint(s);
            printstring("\n");
            unlock(&sched.lock);
            throw_("checkdead: runnable g");
        }
    }
    unlock(&sched.lock);
    if (grunning == 0)  // possible if main goroutine calls runtime·Goexit()
        fatal("no goroutines (main called runtime.Goexit) - deadlock!");
    // There are no goroutines running, so we can look at the P's: a pending
    // timer (a sleeping goroutine) will make one runnable.
    for (int32_t i = 0; i < gomaxprocs; i++)
        if (allp[i]->ntimers > 0) return;
    fatal("all goroutines are asleep - deadlock!");
}

/// Puts mp on the idle M list. sched.lock must be held. Runs on: g0.
/// @gosrc{proc.go,mput}
static void mput(m* mp) {
    mp->schedlink = sched.midle;
    sched.midle = mp;
    sched.nmidle++;
    checkdead();
}

/// Puts gp on the global runnable queue. sched.lock must be held.
/// Runs on: g0. @gosrc{proc.go,globrunqput}
static void globrunqput(g* gp) {
    sched.runq.pushBack(gp);
    sched.runqsize++;
}

/// Takes a batch of g's from the global runnable queue (at most max, if
/// max > 0): returns one and puts the rest on pp's local queue. sched.lock
/// must be held. Runs on: g0. @gosrc{proc.go,globrunqget}
static g* globrunqget(p* pp, int32_t max) {
    if (sched.runqsize == 0) return nullptr;
    int32_t n = sched.runqsize / gomaxprocs + 1;
    if (n > sched.runqsize) n = sched.runqsize;
    if (max > 0 && n > max) n = max;
    if (n > int32_t(std::size(pp->runq)) / 2) n = int32_t(std::size(pp->runq)) / 2;
    sched.runqsize -= n;
    g* gp = sched.runq.pop();
    n--;
    for (; n > 0; n--) runqput(pp, sched.runq.pop(), false);
    return gp;
}

/// Puts pp on the idle P list. sched.lock must be held. Runs on: g0.
/// @gosrc{proc.go,pidleput}
static void pidleput(p* pp) {
    if (!runqempty(pp)) throw_("pidleput: P has non-empty run queue");
    pp->link = sched.pidle;
    sched.pidle = pp;
    sched.npidle.fetch_add(1);
}

/// Reports whether pp has no goroutines on its local run queue. Reads
/// runqhead, runqtail and runnext so that a concurrent runqput that moves
/// runnext into the ring is not missed. Runs on: g0. @gosrc{proc.go,runqempty}
bool runqempty(p* pp) {
    for (;;) {
        uint32_t head = __atomic_load_n(&pp->runqhead, __ATOMIC_ACQUIRE);
        uint32_t tail = __atomic_load_n(&pp->runqtail, __ATOMIC_ACQUIRE);
        uintptr_t runnext = __atomic_load_n(&pp->runnext.v, __ATOMIC_ACQUIRE);
        if (tail == __atomic_load_n(&pp->runqtail, __ATOMIC_ACQUIRE))
            return head == tail && runnext == 0;
    }
}

static bool runqputslow(p* pp, g* gp, uint32_t h, uint32_t t);

/// Tries to put gp on the local runnable queue. If next, gp goes into
/// pp.runnext and the g that was there is kicked to the tail. If the ring is
/// full, half of it moves to the global queue. Executed only by the owner P.
/// Runs on: g0. @gosrc{proc.go,runqput}
void runqput(p* pp, g* gp, bool next) {
    if (next) {
        guintptr oldnext;
        do {
            oldnext = pp->runnext;
        } while (!pp->runnext.cas(oldnext, guintptr::of(gp)));
        if (oldnext.v == 0) return;
        // Kick the old runnext out to the regular run queue.
        gp = oldnext.ptr();
    }
    for (;;) {
        uint32_t h = __atomic_load_n(&pp->runqhead, __ATOMIC_ACQUIRE);  // synchronize with consumers
        uint32_t t = pp->runqtail;
        if (t - h < std::size(pp->runq)) {
            pp->runq[t % std::size(pp->runq)].set(gp);
            __atomic_store_n(&pp->runqtail, t + 1, __ATOMIC_RELEASE);  // makes the item available
            return;
        }
        if (runqputslow(pp, gp, h, t)) return;
        // the queue is not full, now the put above must succeed
    }
}

/// Puts gp and half of the local queue on the global queue.
/// Executed only by the owner P. Runs on: g0. @gosrc{proc.go,runqputslow}
static bool runqputslow(p* pp, g* gp, uint32_t h, uint32_t t) {
    constexpr uint32_t half = std::size(decltype(p::runq){}) / 2;
    g* batch[half + 1];
    uint32_t n = t - h;
    n = n / 2;
    if (n != half) throw_("runqputslow: queue is not full");
    for (uint32_t i = 0; i < n; i++) batch[i] = pp->runq[(h + i) % std::size(pp->runq)].ptr();
    if (!__atomic_compare_exchange_n(&pp->runqhead, &h, h + n, false, __ATOMIC_RELEASE,
                                     __ATOMIC_RELAXED))
        return false;  // cas-release, commits consume
    batch[n] = gp;
    lock(&sched.lock);
    for (uint32_t i = 0; i <= n; i++) globrunqput(batch[i]);
    unlock(&sched.lock);
    return true;
}

/// Gets a g from the local runnable queue: runnext first (then *inheritTime is
/// true: it runs in the current time slice), else the head of the ring.
/// Executed only by the owner P. Runs on: g0. @gosrc{proc.go,runqget}
g* runqget(p* pp, bool* inheritTime) {
    // If there's a runnext, it's the next G to run.
    guintptr next = pp->runnext;
    // If the runnext is non-0 and the CAS fails, it could only have been stolen
    // by another P, because other Ps can race to set runnext to 0, but only the
    // current P can set it to non-0. Hence, no need to retry this CAS.
    if (next.v != 0 && pp->runnext.cas(next, guintptr{})) {
        *inheritTime = true;
        return next.ptr();
    }
    *inheritTime = false;
    for (;;) {
        uint32_t h = __atomic_load_n(&pp->runqhead, __ATOMIC_ACQUIRE);
        uint32_t t = pp->runqtail;
        if (t == h) return nullptr;
        g* gp = pp->runq[h % std::size(pp->runq)].ptr();
        if (__atomic_compare_exchange_n(&pp->runqhead, &h, h + 1, false, __ATOMIC_RELEASE,
                                        __ATOMIC_RELAXED))
            return gp;
    }
}

// (runqdrain, runqgrab, runqsteal: issue 5.)

// ---- gQueue and gList ----

/// Adds gp at the head of the queue. Runs on: g0 or g (the caller does the
/// locking). @gosrc{proc.go,gQueue.push}
void gQueue::push(g* gp) {
    gp->schedlink = head;
    head.set(gp);
    if (tail.v == 0) tail.set(gp);
}

/// Adds gp at the tail of the queue. Runs on: g0 or g (the caller does the
/// locking). @gosrc{proc.go,gQueue.pushBack}
void gQueue::pushBack(g* gp) {
    gp->schedlink.v = 0;
    if (tail.v != 0)
        tail.ptr()->schedlink.set(gp);
    else
        head.set(gp);
    tail.set(gp);
}

/// Removes and returns the head of the queue (nullptr if empty). Runs on: g0
/// or g (the caller does the locking). @gosrc{proc.go,gQueue.pop}
g* gQueue::pop() {
    g* gp = head.ptr();
    if (gp != nullptr) {
        head = gp->schedlink;
        if (head.v == 0) tail.v = 0;
    }
    return gp;
}

/// Adds gp at the head of the list. Runs on: g0 or g (the caller does the
/// locking). @gosrc{proc.go,gList.push}
void gList::push(g* gp) {
    gp->schedlink = head;
    head.set(gp);
}

/// Removes and returns the head of the list (nullptr if empty). Runs on: g0 or
/// g (the caller does the locking). @gosrc{proc.go,gList.pop}
g* gList::pop() {
    g* gp = head.ptr();
    if (gp != nullptr) head = gp->schedlink;
    return gp;
}

// ---- rt0_go (asm_amd64.s) ----

/// A gofunc for a function that captures nothing (runtime.main's and
/// corostart's): the funcval is just the code pointer. gort only: Go passes
/// such functions' static funcvals (mainPC, corostart's) to newproc.
plainfunc::plainfunc(void (*f)(funcval*)) {
    fn = f;
    size = sizeof(funcval);
    align = alignof(funcval);
    relocate = [](gofunc* from, void* to) { new (to) funcval{from->fn}; };
}

/// The first frame of goroutine 1: runtime.main. A Goexit in main_main
/// unwinds to here and ends only goroutine 1 (the program goes on, as in Go).
/// Runs on: g (goroutine 1). gort only: the C++ side of Go's mainPC funcval.
static void mainstart(funcval*) {
    try {
        main();
    } catch (goexitUnwind&) {
    }
}

/// The program's start, after C++ main: makes the OS thread's stack m0's g0,
/// sets up the scheduler, creates goroutine 1 running runtime.main, and enters
/// the scheduling loop. Never returns. Go does this in asm (rt0_go); nothing
/// in it needs asm in C++. Runs on: the OS thread's stack, which becomes g0.
/// @gosrc{asm_amd64.s,rt0_go}
void rt0_go(int argc, char** argv) {
    goargs(argc, argv);
    // create istack out of the given (operating system) stack.
    g0.stack = osstack();
    g0.stackguard0 = g0.stack.lo + stackGuard;
    setg(&g0);  // save m->g0 = g0, g0->m = m0, and g in TLS
    m0.g0 = &g0;
    g0.m = &m0;
    g0.atomicstatus.store(Grunning);  // Go leaves g0 at Gidle; gort shows it running
    osinit();
    schedinit();
    // create a new goroutine to start program
    plainfunc fn(mainstart);
    newproc(&fn);
    // start this M
    mstart0();
}

}  // namespace runtime
