// proc_syscall.cc — system calls: a goroutine about to block in the kernel
// lets its P go, and takes a P back when the call returns. And locking a
// goroutine to its OS thread.
//
// Go counterpart: src/runtime/proc.go, from save to exitsyscall0, and
// LockOSThread to badunlockosthread
// https://github.com/golang/go/blob/go1.22.0/src/runtime/proc.go
//
// The protocol (Go's): entersyscall records where the goroutine is, marks it
// Gsyscall and its P Psyscall, and detaches the P from the M, but keeps it in
// m.oldp. The goroutine then runs the call on its own stack, on its M, with no
// P. If the call is quick, exitsyscall takes the same P back with one CAS
// (Psyscall → Pidle) — the fast path. If sysmon saw the P sit in Psyscall for
// a sysmon tick (20 µs or more) it took it (retake → handoffp) to run other
// goroutines; then exitsyscall tries any idle P, and failing that calls
// mcall(exitsyscall0): the chapter's first mcall call site. exitsyscall0 puts
// the goroutine on the global run queue and stops the M.
//
// entersyscallblock is for calls known to block: it hands the P off at once.
#include "runtime.h"
#include "trace.h"

namespace runtime {

/// Records pc, sp (and gort: bp) as the g's context, so that tracebacks and
/// debuggers see where a goroutine in a system call is. Runs on: g.
/// @gosrc{proc.go,save}
static void save(uintptr_t pc, uintptr_t sp, uintptr_t bp) {
    g* gp = getg();
    if (gp == gp->m->g0) throw_("save on system g not allowed");
    gp->sched.pc = pc;
    gp->sched.sp = sp;
    gp->sched.lr = 0;
    gp->sched.ret = 0;
    gp->sched.bp = bp;
    // We need to ensure ctxt is zero, but can't have a write
    // barrier here. However, it should always already be zero.
    // Assert that.
    if (gp->sched.ctxt != nullptr) throw_("gogo: ctxt != nil");  // badctxt
}

/// The common part of entersyscall: the g enters Gsyscall and its P is
/// detached (Psyscall), kept in m.oldp for exitsyscall. Runs on: g.
/// @gosrc{proc.go,reentersyscall}
static void reentersyscall(uintptr_t pc, uintptr_t sp, uintptr_t bp) {
    g* gp = getg();
    // Disable preemption because during this function g is in Gsyscall status,
    // but can have inconsistent g->sched, do not let GC observe it.
    __atomic_store_n(&gp->m->locks, gp->m->locks + 1, __ATOMIC_RELAXED);  // m.locks: see lock()
    save(pc, sp, bp);
    gp->syscallsp = sp;
    gp->syscallpc = pc;
    casgstatus(gp, Grunning, Gsyscall);
    traceGoSysCall(gp);
    if (gp->syscallsp < gp->stack.lo || gp->stack.hi < gp->syscallsp) {
        systemstack([gp] {
            printstring("entersyscall inconsistent ");
            printhex(gp->syscallsp);
            printstring(" [");
            printhex(gp->stack.lo);
            printstring(",");
            printhex(gp->stack.hi);
            printstring("]\n");
            throw_("entersyscall");
        });
    }
    if (sched.sysmonwait.load()) systemstack(entersyscall_sysmon);
    gp->m->syscalltick = gp->m->p->syscalltick;
    p* pp = gp->m->p;
    __atomic_store_n(&pp->m, nullptr, __ATOMIC_RELAXED);  // read by preemptone, schedtrace
    gp->m->oldp = pp;
    __atomic_store_n(&gp->m->p, nullptr, __ATOMIC_RELAXED);  // read by schedtrace
    pp->status.store(Psyscall);
    if (sched.gcwaiting.load()) systemstack(entersyscall_gcwait);
    __atomic_store_n(&gp->m->locks, gp->m->locks - 1, __ATOMIC_RELAXED);
}

/// Called before a system call that may block: the goroutine's P can run
/// others while it waits. Must be paired with exitsyscall in the same frame.
/// Runs on: g. @gosrc{proc.go,entersyscall}
void entersyscall() {
    reentersyscall(getcallerpc(), getcallersp(),
                   *reinterpret_cast<uintptr_t*>(__builtin_frame_address(0)));
}

/// Wakes sysmon, which sleeps while all Ps are idle: a P in a syscall needs
/// watching. Runs on: g0. @gosrc{proc.go,entersyscall_sysmon}
void entersyscall_sysmon() {
    lock(&sched.lock);
    if (sched.sysmonwait.load()) {
        sched.sysmonwait.store(false);
        notewakeup(&sched.sysmonnote);
    }
    unlock(&sched.lock);
}

/// entersyscall during a stop-the-world: the P stops at once (Pgcstop).
/// Runs on: g0. @gosrc{proc.go,entersyscall_gcwait}
void entersyscall_gcwait() {
    p* pp = getg()->m->oldp;
    lock(&sched.lock);
    uint32_t s = Psyscall;
    if (sched.stopwait > 0 && pp->status.compare_exchange_strong(s, Pgcstop)) {
        __atomic_store_n(&pp->syscalltick, pp->syscalltick + 1, __ATOMIC_RELAXED);  // read by retake
        if (--sched.stopwait == 0) notewakeup(&sched.stopnote);
    }
    unlock(&sched.lock);
}

static void entersyscallblock_handoff();

/// The same as entersyscall, but with a hint that the syscall is blocking:
/// the P is handed off at once. Runs on: g. @gosrc{proc.go,entersyscallblock}
void entersyscallblock() {
    g* gp = getg();
    __atomic_store_n(&gp->m->locks, gp->m->locks + 1, __ATOMIC_RELAXED);  // see comment in entersyscall
    gp->m->syscalltick = gp->m->p->syscalltick;
    // p.syscalltick is stored atomically throughout: retake reads it.
    __atomic_store_n(&gp->m->p->syscalltick, gp->m->p->syscalltick + 1, __ATOMIC_RELAXED);
    // Leave SP around for GC and traceback.
    uintptr_t pc = getcallerpc(), sp = getcallersp();
    save(pc, sp, *reinterpret_cast<uintptr_t*>(__builtin_frame_address(0)));
    gp->syscallsp = gp->sched.sp;
    gp->syscallpc = gp->sched.pc;
    if (gp->syscallsp < gp->stack.lo || gp->stack.hi < gp->syscallsp) {
        systemstack([] { throw_("entersyscallblock"); });
    }
    casgstatus(gp, Grunning, Gsyscall);
    traceGoSysCall(gp);
    systemstack(entersyscallblock_handoff);
    __atomic_store_n(&gp->m->locks, gp->m->locks - 1, __ATOMIC_RELAXED);
}

/// entersyscallblock's second half: gives the P to another M.
/// Runs on: g0. @gosrc{proc.go,entersyscallblock_handoff}
static void entersyscallblock_handoff() {
    handoffp(releasep());
}

static bool exitsyscallfast(p* oldp);
static void exitsyscall0(g* gp);

/// The goroutine has finished its system call: take a P back and go on, or
/// (no P free) queue the goroutine and stop this M. Runs on: g (it may
/// resume on the same M, but maybe with another P). @gosrc{proc.go,exitsyscall}
void exitsyscall() {
    g* gp = getg();
    __atomic_store_n(&gp->m->locks, gp->m->locks + 1, __ATOMIC_RELAXED);  // see comment in entersyscall
    if (getcallersp() > gp->syscallsp) throw_("exitsyscall: syscall frame is no longer valid");
    gp->waitsince = 0;
    traceGoSysExit();
    p* oldp = gp->m->oldp;
    gp->m->oldp = nullptr;
    if (exitsyscallfast(oldp)) {
        // There's a cpu for us, so we can run.
        __atomic_store_n(&gp->m->p->syscalltick, gp->m->p->syscalltick + 1, __ATOMIC_RELAXED);
        // We need to cas the status and scan before resuming...
        casgstatus(gp, Gsyscall, Grunning);
        traceGoStart(gp);
        gp->syscallsp = 0;
        __atomic_store_n(&gp->m->locks, gp->m->locks - 1, __ATOMIC_RELAXED);
        gp->stackguard0 = gp->stack.lo + stackGuard;
        return;
    }
    __atomic_store_n(&gp->m->locks, gp->m->locks - 1, __ATOMIC_RELAXED);
    // Call the scheduler.
    mcall(exitsyscall0);
    // Scheduler returned, so we're allowed to run now.
    // Delete the syscallsp information that we left for
    // the garbage collector during the system call.
    // Must wait until now because until gosched returns
    // we don't know for sure that the garbage collector
    // is not running.
    gp = getg();  // gort: TLS re-read: we may be on another M now
    gp->syscallsp = 0;
    __atomic_store_n(&gp->m->p->syscalltick, gp->m->p->syscalltick + 1, __ATOMIC_RELAXED);
}

static bool exitsyscallfast_pidle();

/// Tries to get a P without the scheduler: the one we had (if sysmon did not
/// take it), else an idle one. Runs on: g. @gosrc{proc.go,exitsyscallfast}
static bool exitsyscallfast(p* oldp) {
    // Freezetheworld sets stopwait but does not retake P's.
    if (sched.stopwait == freezeStopWait) return false;
    // Try to re-acquire the last P.
    uint32_t s = Psyscall;
    if (oldp != nullptr && oldp->status.load() == Psyscall && oldp->status.compare_exchange_strong(s, Pidle)) {
        // There's a cpu for us, so we can run.
        wirep(oldp);
        exitsyscallfast_reacquired();
        return true;
    }
    // Try to get any other idle P.
    if (__atomic_load_n(&sched.pidle, __ATOMIC_RELAXED) != nullptr) {
        bool ok = false;
        systemstack([&ok] { ok = exitsyscallfast_pidle(); });
        if (ok) return true;
    }
    return false;
}

/// exitsyscallfast got its old P back: if sysmon retook it meanwhile (and
/// it came back to us), count the syscall as ended. Runs on: g.
/// @gosrc{proc.go,exitsyscallfast_reacquired}
void exitsyscallfast_reacquired() {
    g* gp = getg();
    if (gp->m->syscalltick != gp->m->p->syscalltick)
        __atomic_store_n(&gp->m->p->syscalltick, gp->m->p->syscalltick + 1, __ATOMIC_RELAXED);
}

/// Takes an idle P, waking sysmon if it sleeps. Runs on: g0.
/// @gosrc{proc.go,exitsyscallfast_pidle}
static bool exitsyscallfast_pidle() {
    lock(&sched.lock);
    p* pp = pidleget();
    if (pp != nullptr && sched.sysmonwait.load()) {
        sched.sysmonwait.store(false);
        notewakeup(&sched.sysmonnote);
    }
    unlock(&sched.lock);
    if (pp != nullptr) {
        acquirep(pp);
        return true;
    }
    return false;
}

/// exitsyscall slow path on g0: no P was free. Queues gp (or runs it at once
/// if a P has just become idle) and stops the M. Runs on: g0.
/// @gosrc{proc.go,exitsyscall0} @chapter{mcall-syscall}
static void exitsyscall0(g* gp) {
    casgstatus(gp, Gsyscall, Grunnable);
    dropg();
    lock(&sched.lock);
    p* pp = pidleget();
    bool locked = false;
    if (pp == nullptr) {
        globrunqput(gp);
        // Below, we stoplockedm if gp is locked. globrunqput releases
        // ownership of gp, so we must check if gp is locked prior to
        // committing the release by unlocking sched.lock, otherwise we
        // could race with another M transitioning gp from unlocked to
        // locked.
        locked = gp->lockedm != nullptr;
    } else if (sched.sysmonwait.load()) {
        sched.sysmonwait.store(false);
        notewakeup(&sched.sysmonnote);
    }
    unlock(&sched.lock);
    if (pp != nullptr) {
        acquirep(pp);
        execute(gp, false);  // Never returns.
    }
    if (locked) {
        // Wait until another thread schedules gp and so m again.
        stoplockedm();
        execute(gp, false);  // Never returns.
    }
    stopm();
    schedule();  // Never returns.
}

// ---- LockOSThread ----

/// Records that the current g and M are locked to each other.
/// Runs on: g. @gosrc{proc.go,dolockOSThread}
static void dolockOSThread() {
    g* gp = getg();
    // Release stores: schedtrace follows them from sysmon's M.
    __atomic_store_n(&gp->m->lockedg, gp, __ATOMIC_RELEASE);
    __atomic_store_n(&gp->lockedm, gp->m, __ATOMIC_RELEASE);
}

/// Wires the calling goroutine to its current OS thread: it always runs on
/// it, and no other goroutine does, until as many UnlockOSThread calls, or
/// until it exits (then the thread exits too). Runs on: g.
/// @gosrc{proc.go,LockOSThread}
void LockOSThread() {
    g* gp = getg();
    gp->m->lockedExt++;
    if (gp->m->lockedExt == 0) {
        gp->m->lockedExt--;
        throw std::runtime_error("LockOSThread nesting overflow");
    }
    dolockOSThread();
}

/// The runtime's own, separately counted lock (Go: runtime.lockOSThread).
/// Runs on: g. @gosrc{proc.go,lockOSThread}
void lockOSThread() {
    getg()->m->lockedInt++;
    dolockOSThread();
}

/// Undoes the lock if both counts are zero. Runs on: g.
/// @gosrc{proc.go,dounlockOSThread}
static void dounlockOSThread() {
    g* gp = getg();
    if (gp->m->lockedInt != 0 || gp->m->lockedExt != 0) return;
    __atomic_store_n(&gp->m->lockedg, nullptr, __ATOMIC_RELAXED);  // read by schedtrace
    __atomic_store_n(&gp->lockedm, nullptr, __ATOMIC_RELAXED);
}

/// Undoes one LockOSThread; a no-op if the goroutine is not locked.
/// Runs on: g. @gosrc{proc.go,UnlockOSThread}
void UnlockOSThread() {
    g* gp = getg();
    if (gp->m->lockedExt == 0) return;
    gp->m->lockedExt--;
    dounlockOSThread();
}

static void badunlockosthread();

/// Undoes one lockOSThread. Runs on: g. @gosrc{proc.go,unlockOSThread}
void unlockOSThread() {
    g* gp = getg();
    if (gp->m->lockedInt == 0) systemstack(badunlockosthread);
    gp->m->lockedInt--;
    dounlockOSThread();
}

/// Runs on: g0. @gosrc{proc.go,badunlockosthread}
static void badunlockosthread() {
    throw_("runtime: internal error: misuse of lockOSThread/unlockOSThread");
}

}  // namespace runtime
