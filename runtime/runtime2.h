// runtime2.h — the runtime's central data structures: g, m, p, schedt, gobuf, stack.
//
// Go counterpart: src/runtime/runtime2.go
// https://github.com/golang/go/blob/go1.22.0/src/runtime/runtime2.go
//
// The field names, their order and their meaning follow runtime2.go. Fields that
// only exist for machinery gort does not have (GC, cgo, profiling) are left
// out; g.racectx, the race detector's, serves the TSan build (race.h), and
// g.asanfake/g.asandying exist in ASan builds only (asan.h). A few
// gort-only fields are marked "gort:".
//
// The assembly in arch/amd64/asm_amd64.S reaches into gobuf, g and m through
// symbolic offsets (gobuf_sp, g_sched, m_g0, ...) in go_asm.h, which the build
// generates from this file's layout (runtime/mkgo_asm.cc), as Go's toolchain
// generates its go_asm.h. Change a field here and the asm follows; go_asm_check.cc
// fails the build if a stale header ever disagrees.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace runtime {

struct g;
struct m;
struct p;

/// Stack bounds: the memory [lo, hi). Go: `type stack struct` in runtime2.go.
/// @gosrc{runtime2.go,stack}
struct stack {
    uintptr_t lo;
    uintptr_t hi;
};

/// A g pointer held as an integer, as Go's guintptr: it hides the pointer from
/// the garbage collector's write barriers in Go; in gort it documents that the
/// field is a plain word that the scheduler updates with CAS.
/// @gosrc{runtime2.go,guintptr}
struct guintptr {
    uintptr_t v = 0;

    /// The g. Runs on: either. @gosrc{runtime2.go,guintptr.ptr}
    g* ptr() const { return reinterpret_cast<g*>(v); }
    /// Sets the g. Runs on: either. @gosrc{runtime2.go,guintptr.set}
    void set(g* gp) { v = reinterpret_cast<uintptr_t>(gp); }
    /// ptr and set for a word that other Ms read or CAS at the same time
    /// (p.runnext, p.runq's slots): relaxed atomics, plain movs on amd64. Go
    /// relies on a word access being atomic; C++ must say so. Runs on: either.
    /// @gortonly{Go's ptr is atomic enough on its own}
    g* load() const { return reinterpret_cast<g*>(__atomic_load_n(&v, __ATOMIC_RELAXED)); }
    /// set, atomically (see load). Runs on: either. @gortonly{Go's set is atomic enough on its own}
    void store(g* gp) { __atomic_store_n(&v, reinterpret_cast<uintptr_t>(gp), __ATOMIC_RELAXED); }
    /// Atomically replaces `old` by `new_`; true if it did. Runs on: either.
    /// @gosrc{runtime2.go,guintptr.cas}
    bool cas(guintptr old, guintptr new_) {
        return __atomic_compare_exchange_n(&v, &old.v, new_.v, false, __ATOMIC_SEQ_CST,
                                           __ATOMIC_SEQ_CST);
    }
    /// gp as a guintptr. Runs on: either. @gortonly{Go converts: guintptr(unsafe.Pointer(gp))}
    static guintptr of(g* gp) { return guintptr{reinterpret_cast<uintptr_t>(gp)}; }
    friend bool operator==(guintptr a, guintptr b) { return a.v == b.v; }
};

/// The saved context of a g that is not running: what gogo restores.
///
/// Go's fields in Go's order. mcall, gosave and gosave_systemstack_switch fill it;
/// gogo empties it. `ret` and `lr` are unused on amd64 but kept so the layout is
/// Go's (the chapter's gosave still writes `ret`).
/// @gosrc{runtime2.go,gobuf}
struct gobuf {
    uintptr_t sp;    ///< stack pointer to restore
    uintptr_t pc;    ///< where to jump
    guintptr g;      ///< the g this context belongs to
    void* ctxt;      ///< closure context (DX in Go; DX and DI in gort)
    uintptr_t ret;   ///< return value register (AX) on resumption
    uintptr_t lr;    ///< link register (unused on amd64)
    uintptr_t bp;    ///< frame pointer (BP); gort restores it, see gogo
};

/// Goroutine status values (g.atomicstatus), with Go's numbers.
///
/// Go spells them `_Gidle` ...; a leading underscore followed by a capital is
/// reserved in C++, so gort drops the underscore and keeps the numbers. For each
/// status, the four questions runtime2.go answers:
///
/// | status     | runs user code | owns its stack | on a run queue | has an M |
/// |------------|----------------|----------------|----------------|----------|
/// | Gidle      | no             | no             | no             | no       |
/// | Grunnable  | no             | no             | yes            | no       |
/// | Grunning   | yes            | yes            | no             | yes (+P) |
/// | Gsyscall   | no (in a syscall) | yes         | no             | yes      |
/// | Gwaiting   | no             | no (a waker may write it) | no  | no       |
/// | Gdead      | no             | (free list)    | no             | no       |
/// @gosrc{runtime2.go,_Gidle}
enum gStatus : uint32_t {
    Gidle = 0,             ///< just allocated, not yet initialized
    Grunnable = 1,         ///< on a run queue, not running
    Grunning = 2,          ///< running user code on an M with a P
    Gsyscall = 3,          ///< in a system call, has an M, no P needed
    Gwaiting = 4,          ///< blocked in the runtime (gopark); not on a run queue
    Gmoribund_unused = 5,  ///< unused; kept for gdb scripts, as in Go
    Gdead = 6,             ///< unused: on a free list, or just exited
    Genqueue_unused = 7,   ///< unused
    Gcopystack = 8,        ///< never used by gort: stacks do not move
    Gpreempted = 9,        ///< stopped itself for a suspendG (unused so far)
    Gscan = 0x1000,        ///< GC scan bit; gort has no GC, kept for the numbers
};

/// P status values, with Go's numbers. @gosrc{runtime2.go,_Pidle}
enum pStatus : uint32_t {
    Pidle = 0,     ///< not running user code; on the idle P list or in transition
    Prunning = 1,  ///< owned by an M that runs user code or the scheduler
    Psyscall = 2,  ///< its M is in a system call; may be retaken
    Pgcstop = 3,   ///< halted for stop-the-world
    Pdead = 4,     ///< no longer used (GOMAXPROCS shrank)
};

/// Why a g is in Gwaiting. The values and strings are Go's (go1.22), so a dump
/// reads `goroutine 1 [chan receive]:` exactly as Go's does.
/// @gosrc{runtime2.go,waitReason}
enum waitReason : uint8_t {
    waitReasonZero,
    waitReasonGCAssistMarking,
    waitReasonIOWait,
    waitReasonChanReceiveNilChan,
    waitReasonChanSendNilChan,
    waitReasonDumpingHeap,
    waitReasonGarbageCollection,
    waitReasonGarbageCollectionScan,
    waitReasonPanicWait,
    waitReasonSelect,
    waitReasonSelectNoCases,
    waitReasonGCAssistWait,
    waitReasonGCSweepWait,
    waitReasonGCScavengeWait,
    waitReasonChanReceive,
    waitReasonChanSend,
    waitReasonFinalizerWait,
    waitReasonForceGCIdle,
    waitReasonSemacquire,
    waitReasonSleep,
    waitReasonSyncCondWait,
    waitReasonSyncMutexLock,
    waitReasonSyncRWMutexRLock,
    waitReasonSyncRWMutexLock,
    waitReasonTraceReaderBlocked,
    waitReasonWaitForGCCycle,
    waitReasonGCWorkerIdle,
    waitReasonGCWorkerActive,
    waitReasonPreempted,
    waitReasonDebugCall,
    waitReasonGCMarkTermination,
    waitReasonStoppingTheWorld,
    waitReasonFlushProcCaches,
    waitReasonTraceGoroutineStatus,
    waitReasonTraceProcStatus,
    waitReasonPageTraceFlush,
    waitReasonCoroutine,
};

/// Go's `waitReason.String()`: the text shown in goroutine headers.
/// @gosrc{runtime2.go,waitReasonStrings}
const char* waitReasonString(waitReason w);

/// The table behind waitReasonString, indexed by waitReason (runtime2.cc);
/// declared here so that it has external linkage, for runtime-gdb.py.
extern const char* const waitReasonStrings[];

/// A Go-style closure: a code pointer followed by whatever the closure captured.
/// gogo and mcall call `fn` with the funcval itself as context (DX, as in Go, and
/// DI, the first SysV argument, so plain C++ code can read it).
/// @gosrc{runtime2.go,funcval}
struct funcval {
    void (*fn)(funcval*);
    // variable-size, fn-specific data here
};

/// A queue of g's linked through g.schedlink. Go: gQueue (proc.go).
/// @gosrc{proc.go,gQueue}
struct gQueue {
    guintptr head;
    guintptr tail;

    /// No g queued. Runs on: either. @gosrc{proc.go,gQueue.empty}
    bool empty() const { return head.v == 0; }
    void push(g* gp);      ///< add at the head
    void pushBack(g* gp);  ///< add at the tail
    g* pop();              ///< remove from the head; nullptr if empty
};

/// A LIFO stack of g's linked through g.schedlink. Go: gList (proc.go).
/// @gosrc{proc.go,gList}
struct gList {
    guintptr head;

    /// No g listed. Runs on: either. @gosrc{proc.go,gList.empty}
    bool empty() const { return head.v == 0; }
    void push(g* gp);
    g* pop();
};

/// A runtime lock (futex-based, lock_futex.cc). Go: `type mutex struct`.
/// Held briefly, never across a park. The count of threads asleep on it is
/// kept outside it (locksleep, lock_futex.cc says why). @gosrc{runtime2.go,mutex}
struct mutex {
    uint32_t key = 0;     ///< 0 unlocked, 1 locked
};

/// A one-shot wake-up: sleep on it, wake it once. Go: `type note struct`.
/// @gosrc{runtime2.go,note}
struct note {
    uint32_t key = 0;
};

struct hchan;

/// A g waiting on something: a channel's wait queue entry, or a semaphore
/// waiter. A g can wait on several at once (select), so this is not in g.
/// The fields up to elem are protected by the lock of the channel (or
/// semaRoot) the sudog is queued on. Go: `type sudog struct`.
/// @gosrc{runtime2.go,sudog}
struct sudog {
    struct g* g;
    sudog* next;
    sudog* prev;
    void* elem;          ///< data element (may point to a stack)
    uint32_t ticket;     ///< semaphores: handoff
    bool isSelect;       ///< g is in a select: g.selectDone must be CAS'd to win the wake-up
    bool success;        ///< woken because a value was delivered (false: channel closed)
    sudog* waitlink;     ///< g.waiting list, or semaRoot
    hchan* c;            ///< channel
};

/// A pending timer (Go 1.22's `type timer struct`, reduced to what
/// time.Sleep needs): at `when` (nanotime), f(arg) runs on the P's M.
/// @gosrc{time.go,timer}
struct timer {
    int64_t when;
    void (*f)(void* arg);
    void* arg;
    bool queued;  ///< on a P's heap
};

/// A goroutine. Go: `type g struct` (runtime2.go).
///
/// Who touches what: `stack`, `stackguard0`, `sched` belong to the g while it
/// runs and to the scheduler (on g0) while it does not; `atomicstatus` is only
/// changed with casgstatus; `schedlink` is owned by whichever queue holds the g.
/// `m`, `goid`, `waitreason`, `preempt` and `lockedm` are also read by other
/// Ms without locks (schedtrace, preemptone, tracebacks), as Go reads them:
/// they are written and read with (relaxed or release/acquire) atomics, plain
/// movs on amd64.
/// @gosrc{runtime2.go,g}
struct g {
    // Stack parameters. stack is [stack.lo, stack.hi). Go compares stackguard0
    // in every function prologue; gort has no prologue checks (a guard page or a
    // SP check catches overflow, see stack.cc) and keeps the fields for the layout
    // and for the debugger.
    struct stack stack;
    uintptr_t stackguard0;
    uintptr_t stackguard1;

    struct m* m;             ///< current m; nullptr when not running (atomic: see above)
    gobuf sched;             ///< saved context while not running
    uintptr_t syscallsp;     ///< if status==Gsyscall, the sp to show in tracebacks
    uintptr_t syscallpc;     ///< if status==Gsyscall, the pc to show in tracebacks
    uintptr_t stktopsp;      ///< expected sp at the top of the stack (newproc1)
    void* param;             ///< generic pointer parameter passed by a waker
    std::atomic<uint32_t> atomicstatus;
    uint64_t goid;
    guintptr schedlink;      ///< next g on a run queue or free list
    int64_t waitsince;       ///< approx time when the g became blocked
    waitReason waitreason;   ///< if status==Gwaiting

    bool preempt;            ///< preemption signal: set by sysmon, never acted on (gort has no preemption)
    bool stackguardpage;     ///< gort: a PROT_NONE page lies below the stack (stack.cc)
    struct m* lockedm;       ///< the M this g is locked to (LockOSThread), or nullptr

    uint64_t parentGoid;     ///< goid of the goroutine that created this one
    uintptr_t gopc;          ///< pc of the go statement that created this goroutine
    uintptr_t startpc;       ///< pc of the goroutine function

    sudog* waiting;          ///< sudog structures this g is waiting on (valid elem ptr); in lock order
    std::atomic<uint32_t> selectDone;  ///< are we participating in a select and did someone win the race?
    struct timer* timer;     ///< cached timer for time.Sleep

    // coroutine support (coro.cc)
    struct coro* coroarg;    ///< argument during coroutine transfers
    bool coroexit;           ///< gort: set while the coroutine's g is exiting

    // gort: the C++ exceptions this g is handling (the thread's __cxa_eh_globals)
    // while it is switched out; the mcall shim carries them (stubs.h, ehsave).
    void* ehcaught;          ///< caughtExceptions: the exceptions its catch blocks are handling
    uint32_t ehuncaught;     ///< uncaughtExceptions: thrown and not yet caught (unwinding)

    // Signal that turned into a panic or throw (signal_unix.cc, panic.cc).
    uint32_t sig;
    uintptr_t sigcode0;
    uintptr_t sigcode1;
    uintptr_t sigpc;

    void* racectx;           ///< TSan fiber while the g is alive and has run (race.h); else nullptr
#if defined(__SANITIZE_ADDRESS__)
    // gort: ASan builds only (asan.h), last so that no offset above moves.
    void* asanfake;          ///< ASan's fake stack while the g is switched out; nullptr if none yet
    bool asandying;          ///< set by asangoexit: the next switch destroys the fake stack
#endif
};

/// A machine: an OS thread. Go: `type m struct` (runtime2.go).
///
/// An M's fields are its own, but `curg`, `p`, `lockedg`, `locks`,
/// `spinning`, `blocked`, `throwing` and `dying` are also read by other Ms
/// without locks (preemptone, schedtrace): the M stores them atomically.
/// @gosrc{runtime2.go,m}
struct m {
    g* g0;              ///< goroutine with the scheduling stack (the thread's own)
    g* curg;            ///< current running goroutine
    struct p* p;        ///< attached p for executing Go code (nullptr if none)
    struct p* nextp;
    struct p* oldp;     ///< the p that was attached before executing a syscall
    int64_t id;
    void (*mstartfn)(); ///< run by mstart1 before schedule (sysmon's loop, mspinning)
    int32_t locks;      ///< runtime locks held; schedule() throws if nonzero (stored atomically: schedtrace)
    int32_t dying;
    bool spinning;      ///< looking for work
    bool blocked;       ///< sleeping on a note
    note park;          ///< where stopm sleeps
    m* alllink;         ///< on allm
    m* schedlink;       ///< on sched.midle
    g* lockedg;         ///< the g locked to this M (LockOSThread), or nullptr
    uint32_t lockedExt; ///< tracking for external LockOSThread
    uint32_t lockedInt; ///< tracking for internal lockOSThread
    uint32_t syscalltick;  ///< the P's syscalltick when this M entered a syscall
    uint64_t procid;    ///< the thread's kernel id (gettid), for debuggers
    unsigned long thread;  ///< gort: the pthread_t running this M (0 for m0)

    // Fields used by gopark to hand information to park_m on g0.
    bool (*waitunlockf)(g*, void*);
    void* waitlock;

    int32_t throwing;   ///< inside throw/fatal
    uint64_t cheaprand;  ///< per-M random state (Go's m.cheaprand, wyrand)
    struct cxa_eh_globals* eh;  ///< gort: this thread's C++ exception globals (minit; stubs.h)
};

/// A processor: the resource needed to run Go code. Go: `type p struct`.
///
/// runq is a lock-free ring: the owner P puts at the tail; the owner and
/// (later) stealing Ps take from the head with CAS. runnext, if set, is the
/// g to run next — it inherits the current time slice (Go's comment: a
/// goroutine readied by the running one should run soon, e.g. the other end of
/// a channel).
///
/// Besides the run queue, other Ms read `m`, `schedtick`, `syscalltick`,
/// `preempt`, `gFree.n` and `ntimers` without locks (sysmon's retake and
/// preemptone, schedtrace, gcount, stealing Ms): they are stored atomically.
/// @gosrc{runtime2.go,p}
struct p {
    int32_t id;
    std::atomic<uint32_t> status;  ///< one of Pidle/Prunning/...; CASed by exitsyscall and sysmon
    p* link;             ///< on sched.pidle
    uint32_t schedtick;  ///< incremented on every scheduler call
    uint32_t syscalltick;  ///< incremented on every system call
    struct {             ///< last tick observed by sysmon (Go: sysmontick)
        uint32_t schedtick;
        int64_t schedwhen;
        uint32_t syscalltick;
        int64_t syscallwhen;
    } sysmontick;
    struct m* m;         ///< back-link to associated m (nullptr if idle)

    // Goroutine ids handed out by newproc1, taken from sched.goidgen in
    // batches of _GoidCacheBatch so that Ps do not share its cache line.
    uint64_t goidcache;
    uint64_t goidcacheend;

    // Queue of runnable goroutines. Accessed without lock.
    uint32_t runqhead;
    uint32_t runqtail;
    guintptr runq[256];
    guintptr runnext;

    // Available G's (status == Gdead).
    struct {
        gList list;
        int32_t n;
    } gFree;

    // Per-P stack cache (Go keeps it in p.mcache.stackcache; gort has no
    // mcache, so it lives here): free stacks, linked through their lowest word.
    struct {
        uintptr_t list;
        uintptr_t size;  ///< number of stacks
    } stackcache;

    bool preempt;

    // Cache of sudogs (Go: sudogcache []*sudog with sudogbuf [128]).
    sudog* sudogbuf[128];
    int32_t nsudog;

    // Timers: a min-heap on when (Go: 4-ary heap of *timer, under timersLock).
    mutex timersLock;
    struct timer** timers;
    int32_t ntimers;
    int32_t captimers;
    /// when of the first timer on the heap, 0 if none: read without the lock
    /// by Ms looking for the next wake-up (nobarrierWakeTime).
    std::atomic<int64_t> timer0When;
};

/// The scheduler's global state. Go: `type schedt struct`.
/// @gosrc{runtime2.go,schedt}
struct schedt {
    std::atomic<uint64_t> goidgen;
    mutex lock;          ///< protects everything below that is not atomic

    /// When the netpoller (gort: the timer sleep, netpoll.cc) was last
    /// polled; 0 while an M is blocked in it.
    std::atomic<int64_t> lastpoll;
    std::atomic<int64_t> pollUntil;  ///< time to which the current poll is sleeping

    m* midle;            ///< idle m's waiting for work
    int32_t nmidle;      ///< number of idle m's waiting for work
    int32_t nmidlelocked;  ///< number of locked m's waiting for work
    int64_t mnext;       ///< number of m's created so far and next M ID
    int32_t maxmcount;   ///< maximum number of m's allowed (or die)
    int32_t nmsys;       ///< number of system m's not counted for deadlock
    int64_t nmfreed;     ///< cumulative number of freed m's

    p* pidle;            ///< idle p's
    std::atomic<int32_t> npidle;
    std::atomic<int32_t> nmspinning;  ///< See "Worker thread parking/unparking" in proc.cc.
    std::atomic<uint32_t> needspinning;  ///< See "Delicate dance" in proc.cc. Boolean.

    // Global runnable queue.
    gQueue runq;
    int32_t runqsize;    ///< stored atomically: findRunnable and handoffp peek without the lock

    // Global cache of dead G's.
    struct {
        mutex lock;
        gList stack;    ///< Gs with stacks
        gList noStack;  ///< Gs without stacks
        int32_t n;      ///< stored atomically: gfget and gcount read it without the lock
    } gFree;

    int32_t ngsys;       ///< number of system goroutines

    // Stop-the-world (gort: only GOMAXPROCS stops the world; Go's GC does too).
    std::atomic<bool> gcwaiting;  ///< gc is waiting to run
    std::atomic<int32_t> stopwait;  ///< exitsyscallfast reads it without the lock
    note stopnote;
    std::atomic<bool> sysmonwait;
    note sysmonnote;

    mutex sysmonlock;    ///< held by sysmon while it acts, so nothing changes under it

    int64_t procresizetime;  ///< nanotime() of last change to gomaxprocs
    int64_t totaltime;       ///< ∫gomaxprocs dt up to procresizetime

    // Central cache of sudog structs.
    mutex sudoglock;
    sudog* sudogcache;
};

}  // namespace runtime
