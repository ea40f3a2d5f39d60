// proc_sysmon.cc — the watchers: deadlock detection (checkdead), the system
// monitor thread (sysmon, retake) and GODEBUG=schedtrace.
//
// Go counterpart: src/runtime/proc.go, from incidlelocked to schedtrace
// https://github.com/golang/go/blob/go1.22.0/src/runtime/proc.go
//
// sysmon runs on its own M without a P, so it is never blocked by goroutines.
// It wakes every 20 µs, backing off to 10 ms when it finds nothing to do,
// and sleeps on sched.sysmonnote while every P is idle. Each round it takes
// back Ps whose M has sat in a system call for a whole tick (retake →
// handoffp), so a goroutine blocked in the kernel does not hold up the others,
// and prints schedtrace lines when GODEBUG asks for them.
//
// Differs from Go: no preemption. Go's retake also preempts a goroutine that
// ran 10 ms without yielding (a signal, then an asynchronous switch); gort
// only sets g.preempt, which nothing reads: a goroutine keeps its P until it
// blocks, yields or exits, as in Go before 1.14.
#include <unistd.h>

#include "runtime.h"

namespace runtime {

static constexpr int64_t forcePreemptNS = 10 * 1000 * 1000;  // 10ms
static constexpr int64_t forcegcperiod = int64_t(2) * 60 * 1000000000;
static int64_t starttime;  ///< schedtrace's time origin

/// Adjusts the count of idle locked Ms, and checks for deadlock when one
/// more is idle. Runs on: g0. @gosrc{proc.go,incidlelocked}
void incidlelocked(int32_t v) {
    lock(&sched.lock);
    sched.nmidlelocked += v;
    if (v > 0) checkdead();
    unlock(&sched.lock);
}

/// Ms that exist, minus those freed. sched.lock must be held (or be
/// unneeded). Runs on: g0. @gosrc{proc.go,mcount}
int32_t mcount() {
    return int32_t(sched.mnext - sched.nmfreed);
}

/// Checks for a deadlock: no M is running Go code and no goroutine can ever
/// become runnable. Called with sched.lock held each time an M goes idle.
/// Ms in system calls count as running: their goroutines will come back.
/// Runs on: g0. @gosrc{proc.go,checkdead}
void checkdead() {
    // If we are dying because of a signal caught on an already idle thread,
    // freezetheworld will cause all running threads to block.
    // And runtime will essentially enter into deadlock state,
    // except that there is a thread that will call exit soon.
    if (panicking.load() > 0) return;
    int32_t run = mcount() - sched.nmidle - sched.nmidlelocked - sched.nmsys;
    if (run > 0) return;
    if (run < 0) {
        printstring("runtime: checkdead: nmidle=");
        printint(sched.nmidle);
        printstring(" nmidlelocked=");
        printint(sched.nmidlelocked);
        printstring(" mcount=");
        printint(mcount());
        printstring(" nmsys=");
        printint(sched.nmsys);
        printstring("\n");
        unlock(&sched.lock);
        throw_("checkdead: inconsistent counts");
    }
    int grunning = 0;
    // Go's forEachG: allglock keeps allgadd on another M from reallocating
    // allgs under the loop (sched.lock does not).
    lock(&allglock);
    for (g* gp : allgs) {
        uint32_t s = readgstatus(gp);
        switch (s & ~Gscan) {
        case Gwaiting:
        case Gpreempted:
            grunning++;
            break;
        case Grunnable:
        case Grunning:
        case Gsyscall:
            printstring("runtime: checkdead: find g ");
            printuint(__atomic_load_n(&gp->goid, __ATOMIC_RELAXED));
            printstring(" in status ");
            printuint(s);
            printstring("\n");
            unlock(&allglock);  // gort: the fatal report (schedtrace) takes it
            unlock(&sched.lock);
            throw_("checkdead: runnable g");
        }
    }
    unlock(&allglock);
    if (grunning == 0) {  // possible if main goroutine calls runtime·Goexit()
        unlock(&sched.lock);  // unlock so that GODEBUG=scheddetail=1 doesn't hang
        fatal("no goroutines (main called runtime.Goexit) - deadlock!");
    }
    // There are no goroutines running, so we can look at the P's.
    for (int32_t i = 0; i < gomaxprocs; i++)
        if (__atomic_load_n(&allp[i]->ntimers, __ATOMIC_RELAXED) > 0) return;
    unlock(&sched.lock);  // unlock so that GODEBUG=scheddetail=1 doesn't hang
    fatal("all goroutines are asleep - deadlock!");
}

/// The system monitor: runs on its own M without a P, forever.
/// Runs on: g0 of the sysmon M (its mstartfn). @gosrc{proc.go,sysmon}
void sysmon() {
    lock(&sched.lock);
    sched.nmsys++;
    checkdead();
    unlock(&sched.lock);

    int64_t lasttrace = 0;
    int idle = 0;  // how many cycles in succession we had not wokeup somebody
    uint32_t delay = 0;
    for (;;) {
        if (idle == 0) {  // start with 20us sleep...
            delay = 20;
        } else if (idle > 50) {  // start doubling the sleep after 1ms...
            delay *= 2;
        }
        if (delay > 10 * 1000) delay = 10 * 1000;  // up to 10ms
        usleep(delay);

        int64_t now = nanotime();
        if (debug.schedtrace <= 0 &&
            (sched.gcwaiting.load() || sched.npidle.load() == __atomic_load_n(&gomaxprocs, __ATOMIC_ACQUIRE))) {
            lock(&sched.lock);
            if (sched.gcwaiting.load() || sched.npidle.load() == gomaxprocs) {
                bool syscallWake = false;
                int64_t next = timeSleepUntil();
                if (next > now) {
                    sched.sysmonwait.store(true);
                    unlock(&sched.lock);
                    // Make wake-up period small enough
                    // for the sampling to be correct.
                    int64_t sleep = forcegcperiod / 2;
                    if (next - now < sleep) sleep = next - now;
                    syscallWake = notetsleep(&sched.sysmonnote, sleep);
                    lock(&sched.lock);
                    sched.sysmonwait.store(false);
                    noteclear(&sched.sysmonnote);
                }
                if (syscallWake) {
                    idle = 0;
                    delay = 20;
                }
            }
            unlock(&sched.lock);
        }

        lock(&sched.sysmonlock);
        // Update now in case we blocked on sysmonnote or spent a long time
        // blocked on schedlock or sysmonlock above.
        now = nanotime();
        // (poll network if not polled for more than 10ms: gort has no I/O to poll.)
        // retake P's blocked in syscalls
        // and preempt long running G's
        if (retake(now) != 0)
            idle = 0;
        else
            idle++;
        if (debug.schedtrace > 0 && lasttrace + int64_t(debug.schedtrace) * 1000000 <= now) {
            lasttrace = now;
            schedtrace(debug.scheddetail > 0);
        }
        unlock(&sched.sysmonlock);
    }
}

/// Takes back Ps that have been in Psyscall for a sysmon tick (and marks
/// goroutines that ran 10 ms as to be preempted). Returns how many Ps it
/// retook. Runs on: sysmon's g0. @gosrc{proc.go,retake}
uint32_t retake(int64_t now) {
    uint32_t n = 0;
    // Go holds allpLock so that allp cannot change; gort's allp is a fixed
    // array, read up to gomaxprocs.
    int32_t np = __atomic_load_n(&gomaxprocs, __ATOMIC_ACQUIRE);
    for (int32_t i = 0; i < np; i++) {
        p* pp = __atomic_load_n(&allp[i], __ATOMIC_ACQUIRE);
        if (pp == nullptr) continue;
        auto& pd = pp->sysmontick;
        uint32_t s = pp->status.load();
        bool sysretake = false;
        if (s == Prunning || s == Psyscall) {
            // Preempt G if it's running for too long.
            uint32_t t = __atomic_load_n(&pp->schedtick, __ATOMIC_RELAXED);
            if (pd.schedtick != t) {
                pd.schedtick = t;
                pd.schedwhen = now;
            } else if (pd.schedwhen + forcePreemptNS <= now) {
                preemptone(pp);
                // In case of syscall, preemptone() doesn't
                // work, because there is no M wired to P.
                sysretake = true;
            }
        }
        if (s == Psyscall) {
            // Retake P from syscall if it's there for more than 1 sysmon tick (at least 20us).
            uint32_t t = __atomic_load_n(&pp->syscalltick, __ATOMIC_RELAXED);
            if (!sysretake && pd.syscalltick != t) {
                pd.syscalltick = t;
                pd.syscallwhen = now;
                continue;
            }
            // On the one hand we don't want to retake Ps if there is no other work to do,
            // but on the other hand we want to retake them eventually
            // because they can prevent the sysmon thread from deep sleep.
            if (runqempty(pp) && sched.nmspinning.load() + sched.npidle.load() > 0 &&
                pd.syscallwhen + 10 * 1000 * 1000 > now)
                continue;
            // Need to decrement number of idle locked M's
            // (pretending that one more is running) before the CAS.
            // Otherwise the M from which we retake can exit the syscall,
            // increment nmidle and report deadlock.
            incidlelocked(-1);
            if (pp->status.compare_exchange_strong(s, Pidle)) {
                n++;
                __atomic_fetch_add(&pp->syscalltick, 1, __ATOMIC_RELAXED);
                handoffp(pp);
            }
            incidlelocked(1);
        }
    }
    return n;
}

/// Asks every running goroutine to stop (see preemptone); true if any was
/// asked. Runs on: g0. @gosrc{proc.go,preemptall}
bool preemptall() {
    bool res = false;
    for (int32_t i = 0; i < gomaxprocs; i++) {
        p* pp = allp[i];
        if (pp->status.load() != Prunning) continue;
        if (preemptone(pp)) res = true;
    }
    return res;
}

/// Asks the goroutine running on pp to stop: sets its preempt flag. gort has
/// no preemption, so nothing reads it (see the top of this file). Returns
/// true if it asked. Runs on: g0. @gosrc{proc.go,preemptone}
/// @differs{no asynchronous preemption: the flag is only informative}
bool preemptone(p* pp) {
    m* mp = __atomic_load_n(&pp->m, __ATOMIC_ACQUIRE);
    if (mp == nullptr || mp == getg()->m) return false;
    g* gp = __atomic_load_n(&mp->curg, __ATOMIC_ACQUIRE);
    if (gp == nullptr || gp == mp->g0) return false;
    __atomic_store_n(&gp->preempt, true, __ATOMIC_RELAXED);
    __atomic_store_n(&pp->preempt, true, __ATOMIC_RELAXED);
    return true;
}

/// Prints the scheduler's state, one line (GODEBUG=schedtrace=X) or, with
/// detailed (scheddetail=1), every P, M and G, in Go's format.
/// Runs on: sysmon's g0 (or any g0). @gosrc{proc.go,schedtrace}
void schedtrace(bool detailed) {
    int64_t now = nanotime();
    if (starttime == 0) starttime = now;
    lock(&sched.lock);
    printstring("SCHED ");
    printint((now - starttime) / 1000000);
    printstring("ms: gomaxprocs=");
    printint(gomaxprocs);
    printstring(" idleprocs=");
    printint(sched.npidle.load());
    printstring(" threads=");
    printint(mcount());
    printstring(" spinningthreads=");
    printint(sched.nmspinning.load());
    printstring(" needspinning=");
    printuint(sched.needspinning.load());
    printstring(" idlethreads=");
    printint(sched.nmidle);
    printstring(" runqueue=");
    printint(sched.runqsize);
    if (detailed) {
        printstring(" gcwaiting=");
        printbool(sched.gcwaiting.load());
        printstring(" nmidlelocked=");
        printint(sched.nmidlelocked);
        printstring(" stopwait=");
        printint(sched.stopwait);
        printstring(" sysmonwait=");
        printbool(sched.sysmonwait.load());
        printstring("\n");
    }
    // We must be careful while reading data from P's, M's and G's.
    // Even if we hold schedlock, most data can be changed concurrently.
    // E.g. (p->m ? p->m->id : -1) can crash if p->m changes from non-nil to nil.
    for (int32_t i = 0; i < gomaxprocs; i++) {
        p* pp = allp[i];
        m* mp = __atomic_load_n(&pp->m, __ATOMIC_ACQUIRE);
        uint32_t h = __atomic_load_n(&pp->runqhead, __ATOMIC_ACQUIRE);
        uint32_t t = __atomic_load_n(&pp->runqtail, __ATOMIC_ACQUIRE);
        if (detailed) {
            printstring("  P");
            printint(i);
            printstring(": status=");
            printuint(pp->status.load());
            printstring(" schedtick=");
            printuint(__atomic_load_n(&pp->schedtick, __ATOMIC_RELAXED));
            printstring(" syscalltick=");
            printuint(__atomic_load_n(&pp->syscalltick, __ATOMIC_RELAXED));
            printstring(" m=");
            if (mp != nullptr)
                printint(mp->id);
            else
                printstring("nil");
            printstring(" runqsize=");
            printuint(t - h);
            printstring(" gfreecnt=");
            printint(__atomic_load_n(&pp->gFree.n, __ATOMIC_RELAXED));
            printstring(" timerslen=");
            printint(__atomic_load_n(&pp->ntimers, __ATOMIC_RELAXED));
            printstring("\n");
        } else {
            // In non-detailed mode format lengths of per-P run queues as:
            // [len1 len2 len3 len4]
            printstring(" ");
            if (i == 0) printstring("[");
            printuint(t - h);
            if (i == gomaxprocs - 1) printstring("]\n");
        }
    }
    if (!detailed) {
        unlock(&sched.lock);
        return;
    }
    for (m* mp = allm; mp != nullptr; mp = mp->alllink) {
        p* pp = __atomic_load_n(&mp->p, __ATOMIC_ACQUIRE);
        g* curg = __atomic_load_n(&mp->curg, __ATOMIC_ACQUIRE);
        g* lockedg = __atomic_load_n(&mp->lockedg, __ATOMIC_ACQUIRE);
        printstring("  M");
        printint(mp->id);
        printstring(": p=");
        if (pp != nullptr)
            printint(pp->id);
        else
            printstring("nil");
        printstring(" curg=");
        if (curg != nullptr)
            printuint(__atomic_load_n(&curg->goid, __ATOMIC_RELAXED));
        else
            printstring("nil");
        // gort has no allocator of its own and no preemptoff reasons.
        printstring(" mallocing=0 throwing=");
        printint(__atomic_load_n(&mp->throwing, __ATOMIC_RELAXED));
        printstring(" preemptoff= locks=");
        printint(__atomic_load_n(&mp->locks, __ATOMIC_RELAXED));
        printstring(" dying=");
        printint(__atomic_load_n(&mp->dying, __ATOMIC_RELAXED));
        printstring(" spinning=");
        printbool(__atomic_load_n(&mp->spinning, __ATOMIC_RELAXED));
        printstring(" blocked=");
        printbool(__atomic_load_n(&mp->blocked, __ATOMIC_RELAXED));
        printstring(" lockedg=");
        if (lockedg != nullptr)
            printuint(__atomic_load_n(&lockedg->goid, __ATOMIC_RELAXED));
        else
            printstring("nil");
        printstring("\n");
    }
    lock(&allglock);
    for (g* gp : allgs) {
        m* mp = __atomic_load_n(&gp->m, __ATOMIC_ACQUIRE);
        m* lockedm = __atomic_load_n(&gp->lockedm, __ATOMIC_ACQUIRE);
        printstring("  G");
        printuint(__atomic_load_n(&gp->goid, __ATOMIC_RELAXED));
        printstring(": status=");
        printuint(readgstatus(gp));
        printstring("(");
        printstring(waitReasonString(__atomic_load_n(&gp->waitreason, __ATOMIC_RELAXED)));
        printstring(") m=");
        if (mp != nullptr)
            printint(mp->id);
        else
            printstring("nil");
        printstring(" lockedm=");
        if (lockedm != nullptr)
            printint(lockedm->id);
        else
            printstring("nil");
        printstring("\n");
    }
    unlock(&allglock);
    unlock(&sched.lock);
}

}  // namespace runtime
