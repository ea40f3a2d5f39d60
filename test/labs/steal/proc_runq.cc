// proc_runq.cc — the queues of the scheduler: idle Ms, idle Ps, the global
// run queue, the per-P lock-free run queues and work stealing.
//
// Go counterpart: the end of src/runtime/proc.go, from mput to randomOrder
// https://github.com/golang/go/blob/go1.22.0/src/runtime/proc.go
//
// proc.go is 7,000 lines; gort splits its counterpart into files of one
// subject each (proc.cc, proc_m.cc, proc_syscall.cc, proc_sysmon.cc and this
// one), keeping proc.go's order inside each file.
//
// The local run queue (p.runq, 256 slots, + p.runnext) is Go's lock-free
// single-producer multi-consumer ring: only the owner P puts (at runqtail,
// published with a store-release); the owner and thieves take from runqhead
// with a CAS-release. runnext is taken with a CAS by both. Everything global
// (idle lists, the global queue) is under sched.lock.
//
// Go reads and writes runq's slots and runnext plainly, relying on word-sized
// accesses being atomic: a thief may read a slot the owner is overwriting (its
// CAS on runqhead then fails and the value is dropped). gort says so with
// relaxed atomics (guintptr::load/store), plain movs on amd64; the ordering
// comes from runqtail's store-release and runqhead's load-acquire, as in Go.
// Likewise sched.runqsize and sched.pidle, written under sched.lock and
// peeked at without it, are stored atomically.
#include "runtime.h"

namespace runtime {

pMask idlepMask;   ///< a P's bit is set while it is on the idle list
pMask timerpMask;  ///< a P's bit is set while it may have timers
randomOrder stealOrder;

/// Puts mp on the idle M list. sched.lock must be held. Runs on: g0.
/// @gosrc{proc.go,mput}
void mput(m* mp) {
    mp->schedlink = sched.midle;
    sched.midle = mp;
    sched.nmidle++;
    checkdead();
}

/// Tries to get an M from the idle list. sched.lock must be held.
/// Runs on: g0. @gosrc{proc.go,mget}
m* mget() {
    m* mp = sched.midle;
    if (mp != nullptr) {
        sched.midle = mp->schedlink;
        sched.nmidle--;
    }
    return mp;
}

/// Puts gp on the global runnable queue. sched.lock must be held.
/// Runs on: g0. @gosrc{proc.go,globrunqput}
void globrunqput(g* gp) {
    sched.runq.pushBack(gp);
    __atomic_store_n(&sched.runqsize, sched.runqsize + 1, __ATOMIC_RELAXED);  // peeked at without the lock
}

/// Takes a batch of g's from the global runnable queue (at most max, if
/// max > 0): returns one and puts the rest on pp's local queue. sched.lock
/// must be held. Runs on: g0. @gosrc{proc.go,globrunqget}
g* globrunqget(p* pp, int32_t max) {
    if (sched.runqsize == 0) return nullptr;
    // gort: with one P, skip the division (an idiv on every Gosched; the
    // result is the same: runqsize+1, capped to runqsize below).
    int32_t n = gomaxprocs == 1 ? sched.runqsize : sched.runqsize / gomaxprocs + 1;
    if (n > sched.runqsize) n = sched.runqsize;
    if (max > 0 && n > max) n = max;
    if (n > int32_t(std::size(pp->runq)) / 2) n = int32_t(std::size(pp->runq)) / 2;
    __atomic_store_n(&sched.runqsize, sched.runqsize - n, __ATOMIC_RELAXED);  // peeked at without the lock
    g* gp = sched.runq.pop();
    n--;
    for (; n > 0; n--) runqput(pp, sched.runq.pop(), false);
    return gp;
}

/// Reports whether the P's bit is set. Runs on: g0. @gosrc{proc.go,pMask.read}
bool pMask::read(uint32_t id) const {
    return (w[id / 32].load() & (uint32_t(1) << (id % 32))) != 0;
}

/// Sets the P's bit. Runs on: g0. @gosrc{proc.go,pMask.set}
void pMask::set(int32_t id) {
    w[id / 32].fetch_or(uint32_t(1) << (id % 32));
}

/// Clears the P's bit. Runs on: g0. @gosrc{proc.go,pMask.clear}
void pMask::clear(int32_t id) {
    w[id / 32].fetch_and(~(uint32_t(1) << (id % 32)));
}

/// Clears pp's timerpMask bit if it has no timers: a thief need not look at
/// its heap. The heap can only grow while pp is owned, so the bit is set again
/// in pidleget. Runs on: g0. @gosrc{proc.go,updateTimerPMask}
static void updateTimerPMask(p* pp) {
    if (__atomic_load_n(&pp->ntimers, __ATOMIC_RELAXED) > 0) return;
    lock(&pp->timersLock);
    if (pp->ntimers == 0) timerpMask.clear(pp->id);
    unlock(&pp->timersLock);
}

/// Puts pp on the idle P list. sched.lock must be held; pp's run queue must
/// be empty. Runs on: g0. @gosrc{proc.go,pidleput}
void pidleput(p* pp) {
    if (!runqempty(pp)) throw_("pidleput: P has non-empty run queue");
    updateTimerPMask(pp);  // clear if there are no timers.
    idlepMask.set(pp->id);
    pp->link = sched.pidle;
    __atomic_store_n(&sched.pidle, pp, __ATOMIC_RELAXED);  // exitsyscallfast peeks without the lock
    sched.npidle.fetch_add(1);
}

/// Tries to get a P from the idle list. sched.lock must be held.
/// Runs on: g0. @gosrc{proc.go,pidleget}
p* pidleget() {
    p* pp = sched.pidle;
    if (pp != nullptr) {
        // Timer may get added at any time now.
        timerpMask.set(pp->id);
        idlepMask.clear(pp->id);
        __atomic_store_n(&sched.pidle, pp->link, __ATOMIC_RELAXED);
        sched.npidle.fetch_sub(1);
    }
    return pp;
}

/// pidleget for an M about to spin: if there is no idle P, records that a
/// spinning M was wanted (needspinning), so that an M about to give up its P
/// spins instead. sched.lock must be held. Runs on: g0.
/// @gosrc{proc.go,pidlegetSpinning}
p* pidlegetSpinning() {
    p* pp = pidleget();
    if (pp == nullptr) {
        sched.needspinning.store(1);
        return nullptr;
    }
    return pp;
}

/// Reports whether pp has no goroutines on its local run queue. Reads
/// runqhead, runqtail and runnext so that a concurrent runqput that moves
/// runnext into the ring is not missed. Runs on: g0, or g (canSpin).
/// @gosrc{proc.go,runqempty}
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

/// To shake out code that depends on the scheduling order, some of the
/// scheduler's decisions are randomized: a readied g goes to runnext only half
/// of the time, and batches moved to the global queue are shuffled. In Go
/// this is on with the race detector (randomizeScheduler = raceenabled,
/// proc.go); in gort it is GODEBUG=schedrandom=seed, a nonzero seed, and the
/// random numbers come from each M's cheaprand, seeded from it (mcommoninit),
/// so that one P replays the same schedule for the same seed. Fatal reports
/// print the seed (panic.cc). @gosrc{proc.go,randomizeScheduler}
/// @differs{a GODEBUG setting with a seed, not a constant tied to -race}
bool randomizeScheduler;

/// Tries to put g on the local runnable queue. If next, gp goes into
/// pp.runnext and the g that was there is kicked to the tail. If the ring is
/// full, half of it moves to the global queue. Executed only by the owner P.
/// Runs on: g0. @gosrc{proc.go,runqput}
/// @lab{@ref lab_park "Lab 3: gopark, goready and runnext"}
void runqput(p* pp, g* gp, bool next) {
    if (randomizeScheduler && next && cheaprandn(2) == 0) next = false;
    if (next) {
        guintptr oldnext;
        do {
            oldnext = guintptr::of(pp->runnext.load());
        } while (!pp->runnext.cas(oldnext, guintptr::of(gp)));
        if (oldnext.v == 0) return;
        // Kick the old runnext out to the regular run queue.
        gp = oldnext.ptr();
    }
    for (;;) {
        uint32_t h = __atomic_load_n(&pp->runqhead, __ATOMIC_ACQUIRE);  // synchronize with consumers
        uint32_t t = pp->runqtail;
        if (t - h < std::size(pp->runq)) {
            pp->runq[t % std::size(pp->runq)].store(gp);
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
    for (uint32_t i = 0; i < n; i++) batch[i] = pp->runq[(h + i) % std::size(pp->runq)].load();
    if (!__atomic_compare_exchange_n(&pp->runqhead, &h, h + n, false, __ATOMIC_RELEASE,
                                     __ATOMIC_RELAXED))
        return false;  // cas-release, commits consume
    batch[n] = gp;
    if (randomizeScheduler) {
        for (uint32_t i = 1; i <= n; i++) {
            uint32_t j = cheaprandn(i + 1);
            std::swap(batch[i], batch[j]);
        }
    }
    lock(&sched.lock);
    for (uint32_t i = 0; i <= n; i++) globrunqput(batch[i]);
    unlock(&sched.lock);
    return true;
}

/// Gets a g from the local runnable queue: runnext first (then *inheritTime is
/// true: it runs in the current time slice), else the head of the ring.
/// Executed only by the owner P. Runs on: g0. @gosrc{proc.go,runqget}
/// @lab{@ref lab_park "Lab 3: gopark, goready and runnext"}
GORT_HOT g* runqget(p* pp, bool* inheritTime) {
    // If there's a runnext, it's the next G to run.
    guintptr next = guintptr::of(pp->runnext.load());
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
        g* gp = pp->runq[h % std::size(pp->runq)].load();
        if (__atomic_compare_exchange_n(&pp->runqhead, &h, h + 1, false, __ATOMIC_RELEASE,
                                        __ATOMIC_RELAXED))
            return gp;
    }
}
GORT_HOT_END

/// Takes all of pp's local runnable g's (the ring and runnext) and returns
/// them as a queue. Executed only by the owner P. Runs on: g0.
/// @gosrc{proc.go,runqdrain}
gQueue runqdrain(p* pp) {
    gQueue drainQ;
    guintptr oldNext = guintptr::of(pp->runnext.load());
    if (oldNext.v != 0 && pp->runnext.cas(oldNext, guintptr{})) drainQ.pushBack(oldNext.ptr());
    for (;;) {
        uint32_t h = __atomic_load_n(&pp->runqhead, __ATOMIC_ACQUIRE);
        uint32_t t = pp->runqtail;
        uint32_t qn = t - h;
        if (qn == 0) return drainQ;
        if (qn > std::size(pp->runq)) continue;  // read inconsistent h and t
        if (!__atomic_compare_exchange_n(&pp->runqhead, &h, h + qn, false, __ATOMIC_RELEASE,
                                         __ATOMIC_RELAXED))
            continue;  // cas-release, commits consume
        // Advance the head before touching the g's: only then are they ours,
        // so writing their schedlink cannot race with a thief (Go's order).
        for (uint32_t i = 0; i < qn; i++) drainQ.pushBack(pp->runq[(h + i) % std::size(pp->runq)].load());
        return drainQ;
    }
}

/// Grabs a batch of goroutines from pp's runnable queue into batch, a ring
/// buffer starting at batchHead: half of pp's queue, or its runnext if
/// stealRunNextG and the queue is empty. Returns the number grabbed. Can be
/// executed by any P. Runs on: g0. @gosrc{proc.go,runqgrab}
/// @lab{@ref lab_steal "Lab 6: work stealing"}
uint32_t runqgrab(p* pp, guintptr (&batch)[256], uint32_t batchHead, bool stealRunNextG) {
    // LAB(steal) BEGIN runqgrab: take half of pp's ring (or its runnext) into batch
    // TODO(lab steal): read pp's head and tail (acquire), take n = half the
    // g's in the ring, rounded up, copy them into batch from batchHead on
    // (both rings wrap), then commit by CASing pp->runqhead from h to h+n;
    // if that fails another thief was first: start again. With an empty
    // ring and stealRunNextG, take pp->runnext instead (CAS it to 0).
    (void)pp, (void)batch, (void)batchHead, (void)stealRunNextG;
    return 0;  // steals nothing: wrong
    // LAB(steal) END
}

/// Steals half of the goroutines from p2's local queue and puts them on pp's;
/// returns one of them to run (nullptr if none). Executed only by pp's owner.
/// Runs on: g0. @gosrc{proc.go,runqsteal}
/// @lab{@ref lab_steal "Lab 6: work stealing"}
g* runqsteal(p* pp, p* p2, bool stealRunNextG) {
    // LAB(steal) BEGIN runqsteal: grab from p2 into pp's own ring, return one g to run
    // TODO(lab steal): grab from p2 into pp->runq at pp's tail; return the
    // last g grabbed (it runs now), and publish the others by moving pp's
    // tail (store-release). Throw "runqsteal: runq overflow" if they
    // do not fit.
    (void)pp, (void)p2, (void)stealRunNextG;
    return nullptr;  // steals nothing: wrong
    // LAB(steal) END
}

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

// (setMaxThreads, procPin, procUnpin and their sync linknames: gort has no
// debug.SetMaxThreads and no sync.Pool.)

// ---- Active spinning for sync.Mutex ----
//
// A goroutine that finds a sync.Mutex locked may spin a little before it
// parks, if that can pay off: the holder may be running on another CPU right
// now (so it may unlock soon), and no goroutine is waiting for this P (the
// spinner keeps its P, so spinning would hold that one up). Go spins only a
// few short rounds, because the holder may just as well be parked or queued,
// and spinning is then pure waste. The counts read here are hints, read
// without sched.lock (relaxed atomics, as wakep reads npidle): a stale value
// costs at most one round too many or too few.

/// Reports whether sync.Mutex's lockSlow should spin (its round i) rather
/// than park: for active_spin rounds at most, on a multicore machine, while
/// some other P runs a goroutine (not all others are idle or spinning) and
/// this P's run queue is empty. Runs on: g, with a P.
/// @gosrc{proc.go,sync_runtime_canSpin}
bool sync_runtime_canSpin(int i) {
    int32_t procs = __atomic_load_n(&gomaxprocs, __ATOMIC_RELAXED);
    int32_t npidle = sched.npidle.load(std::memory_order_relaxed);
    int32_t nmspinning = sched.nmspinning.load(std::memory_order_relaxed);
    if (i >= active_spin || ncpu <= 1 || procs <= npidle + nmspinning + 1) return false;
    if (!runqempty(getg()->m->p)) return false;
    return true;
}

/// One round of sync.Mutex's spinning: active_spin_cnt (30) PAUSEs, then
/// lockSlow looks at the mutex again.
/// Runs on: g. @gosrc{proc.go,sync_runtime_doSpin}
void sync_runtime_doSpin() {
    procyield(active_spin_cnt);
}

// ---- randomOrder ----

/// Greatest common divisor, for randomOrder.reset. Runs on: g0.
/// @gosrc{proc.go,gcd}
static uint32_t gcd(uint32_t a, uint32_t b) {
    while (b != 0) {
        uint32_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/// Prepares an enumeration of 0..count-1: the numbers coprime with count are
/// the strides that visit every position once. Runs on: g0, with the world
/// stopped (procresize). @gosrc{proc.go,randomOrder.reset}
void randomOrder::reset(uint32_t n) {
    count = n;
    ncoprimes = 0;
    for (uint32_t i = 1; i <= n; i++)
        if (gcd(i, n) == 1) coprimes[ncoprimes++] = i;
}

/// Starts an enumeration of all Ps in a pseudo-random order chosen by i: a
/// random start position and a random coprime stride, so that all Ps are
/// visited exactly once. Runs on: g0 (stealWork). @gosrc{proc.go,randomOrder.start}
randomEnum randomOrder::start(uint32_t i) const {
    return randomEnum{0, count, i % count, coprimes[i / count % ncoprimes]};
}

}  // namespace runtime
