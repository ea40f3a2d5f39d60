// runtime.h — declarations shared by the runtime's .cc files.
//
// Go's runtime is one package, so every function sees every other; gort's
// runtime is one namespace, and this header plays the package's role. Each
// function is documented where it is defined (in the .cc named after its Go
// file). User code includes go.h instead.
#pragma once

#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <utility>
#include <vector>

#include "runtime2.h"
#include "stubs.h"

namespace runtime {

/// GORT_HOT ... GORT_HOT_END wrap the definition of a small function that
/// every goroutine switch runs (casgstatus, dropg, runqget, wakep): it keeps its
/// place in Go's order and its external linkage, and every call the compiler
/// sees the body of (its own file; every file under LTO) is inlined. GCC's
/// heuristics left them as calls, which cost a Gosched round trip 8% of its
/// instructions. always_inline on a function not declared inline draws
/// -Wattributes' "might not be inlinable" (calls from other files stay calls
/// without LTO, which is fine), so the pair silences it around the definition.
#define GORT_HOT                                                                     \
    _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wattributes\"") \
        [[gnu::always_inline]]
#define GORT_HOT_END _Pragma("GCC diagnostic pop")

/// A go statement's closure. Go's compiler heap-allocates closures; gort moves
/// the closure onto the top of the new goroutine's stack instead (the space Go
/// reserves there anyway), so a go statement allocates nothing. `relocate`
/// move-constructs the object at `to`; `size` and `align` say how much room.
/// Built by go.h's go(); newproc1 places it.
/// @gortonly{Go's compiler builds closures; its funcval is gort's base}
struct gofunc : funcval {
    uintptr_t size;
    uintptr_t align;
    void (*relocate)(gofunc* from, void* to);
};

/// A gofunc for a function that captures nothing (proc.cc).
/// @gortonly{see plainfunc::plainfunc}
struct plainfunc : gofunc {
    explicit plainfunc(void (*f)(funcval*));
};

/// Thrown by Goexit to unwind the goroutine's stack (running destructors, as
/// Go runs deferred calls); caught at the goroutine's first frame. A
/// `catch (...)` that does not rethrow would swallow it: don't.
/// @gortonly{Go's Goexit runs the deferred calls itself (panic.go)}
struct goexitUnwind {};

/// The most Ps gort allows (Go has no limit since 1.10; gort's allp is a
/// fixed array so that Ms can read it while GOMAXPROCS changes it).
constexpr int32_t MaxGomaxprocs = 1024;

/// sched.stopwait while a fatal error freezes the world (freezetheworld).
/// @gosrc{proc.go,freezeStopWait}
constexpr int32_t freezeStopWait = 0x7fffffff;

/// One bit per P, read and changed atomically. @gosrc{proc.go,pMask}
struct pMask {
    std::atomic<uint32_t> w[MaxGomaxprocs / 32];
    bool read(uint32_t id) const;
    void set(int32_t id);
    void clear(int32_t id);
};

/// One enumeration of all Ps in a random order. @gosrc{proc.go,randomEnum}
struct randomEnum {
    uint32_t i, count, pos, inc;
    /// All Ps seen. Runs on: either. @gosrc{proc.go,randomEnum.done}
    bool done() const { return i == count; }
    /// Steps to the next P. Runs on: either. @gosrc{proc.go,randomEnum.next}
    void next() {
        i++;
        pos = (pos + inc) % count;
    }
    /// The current P's index. Runs on: either. @gosrc{proc.go,randomEnum.position}
    uint32_t position() const { return pos; }
};

/// Random orders of Ps for stealing. @gosrc{proc.go,randomOrder}
struct randomOrder {
    uint32_t count;
    uint32_t ncoprimes;
    uint32_t coprimes[MaxGomaxprocs];
    void reset(uint32_t count);
    randomEnum start(uint32_t i) const;
};

/// GODEBUG settings (runtime1.go's dbgvars that gort knows).
/// @gosrc{runtime1.go,debug}
struct dbgVars {
    int32_t schedtrace;   ///< print a SCHED line every X ms (sysmon)
    int32_t scheddetail;  ///< with schedtrace: every P, M and G too
    int32_t switchtrace;  ///< gort only: narrate every stack switch (switchtrace.cc)
    int32_t schedrandom;  ///< gort only: randomize the scheduler, with this seed (proc_runq.cc)
};

// ---- globals (proc.cc, proc_m.cc, proc_runq.cc, panic.cc, runtime1.cc) ----
extern m m0;            ///< the main thread's M
extern g g0;            ///< m0's g0: the main thread's own stack
extern m* allm;         ///< all Ms, linked through alllink
extern schedt sched;
extern p* allp[MaxGomaxprocs];  ///< all Ps; the first gomaxprocs are live
extern int32_t gomaxprocs;
extern int32_t newprocs;
extern pMask idlepMask;
extern pMask timerpMask;
extern randomOrder stealOrder;
extern dbgVars debug;
extern bool randomizeScheduler;  ///< GODEBUG=schedrandom=seed (proc_runq.cc)
extern std::atomic<uint32_t> panicking;
extern int32_t ncpu;
extern bool mainStarted;
extern std::vector<g*>& allgs;  ///< every g ever created (Go: allgs); never destroyed
extern mutex allglock;

// ---- proc.cc ----
void gopark(bool (*unlockf)(g*, void*), void* lock, waitReason reason);
void goready(g* gp);
void goparkunlock(mutex* lock, waitReason reason);
sudog* acquireSudog();
void releaseSudog(sudog* s);
uint32_t cheaprand();
uint32_t cheaprandn(uint32_t n);
void ready(g* gp, bool next);
uint32_t readgstatus(g* gp);
void casgstatus(g* gp, uint32_t oldval, uint32_t newval);
void schedule();
void execute(g* gp, bool inheritTime);
void dropg();
g* newproc(struct gofunc* fn);
g* newproc1(gofunc* fn, g* callergp, uintptr_t callerpc);
void gdestroy(g* gp);
g* malg(uintptr_t stacksize);
void Gosched();
[[noreturn]] void Goexit();
void goexit1() asm("runtime.goexit1");
int NumGoroutine();
int GOMAXPROCS(int n);
int NumCPU();
int32_t gcount();
void main();
void schedinit();
void sudogcacheflush(p* pp);
void gfput(p* pp, g* gp);
void gfpurge(p* pp);
void allgadd(g* gp);
void stopTheWorldWithSema();
void startTheWorldWithSema();
bool preemptall();
void wakeNetPoller(int64_t when);
[[noreturn]] void rt0_go(int argc, char** argv);

// ---- proc_m.cc ----
int64_t mReserveID();
void checkmcount();
void mcommoninit(m* mp, int64_t id);
void mPark();
void mstart0();
[[gnu::returns_twice, gnu::noipa]] void mstart1();
void mstartm0();
void mexit(bool osStack);
void newm(void (*fn)(), p* pp, int64_t id);
void newm1(m* mp);
void stopm();
void startm(p* pp, bool spinning, bool lockheld);
void handoffp(p* pp);
void wakep();
void stoplockedm();
void startlockedm(g* gp);
void gcstopm();
p* procresize(int32_t nprocs);
void acquirep(p* pp);
void wirep(p* pp);
p* releasep();

// ---- proc_syscall.cc ----
[[gnu::noinline]] void entersyscall();
[[gnu::noinline]] void entersyscallblock();
[[gnu::noinline]] void exitsyscall();
void entersyscall_sysmon();
void entersyscall_gcwait();
void exitsyscallfast_reacquired();
void LockOSThread();
void UnlockOSThread();
void lockOSThread();
void unlockOSThread();

// ---- proc_sysmon.cc ----
void incidlelocked(int32_t v);
int32_t mcount();
void checkdead();
void sysmon();
uint32_t retake(int64_t now);
bool preemptone(p* pp);
void schedtrace(bool detailed);

// ---- proc_runq.cc ----
void mput(m* mp);
m* mget();
void globrunqput(g* gp);
g* globrunqget(p* pp, int32_t max);
void pidleput(p* pp);
p* pidleget();
p* pidlegetSpinning();
bool runqempty(p* pp);
void runqput(p* pp, g* gp, bool next);
g* runqget(p* pp, bool* inheritTime);
gQueue runqdrain(p* pp);
uint32_t runqgrab(p* pp, guintptr (&batch)[256], uint32_t batchHead, bool stealRunNextG);
g* runqsteal(p* pp, p* p2, bool stealRunNextG);
bool sync_runtime_canSpin(int i);
void sync_runtime_doSpin();

// ---- netpoll.cc ----
bool netpollinited();
bool netpollAnyWaiters();
void netpoll(int64_t delay);
void netpollBreak();

// ---- runtime1.cc ----
void goargs(int argc, char** argv);
extern int32_t traceback_level;  ///< GOTRACEBACK level: 0 none, 1 single/all, 2 system/crash
extern bool traceback_all;       ///< GOTRACEBACK=all, system or crash
extern std::vector<const char*> argslice;  ///< os.Args
void parsedebugvars();
bool atoi32(const char* s, int32_t* n);

// ---- os_linux.cc ----
void osinit();
struct stack osstack();
void newosproc(m* mp);
void minit();
void unminit();
[[noreturn]] void exit(int code);

// ---- coro.cc ----

struct coro;

/// Go's `func(*coro)`: the coroutine's body, as a C++ closure. A user of
/// newcoro derives its state from corofunc (its captures), and fn receives
/// that object back along with the coro. @gosrc{coro.go,coro}
struct corofunc {
    void (*fn)(corofunc* self, coro* c);
};

/// A coro: the ability to transfer control between a goroutine and the one
/// blocked on the coro, without the scheduler. Go's coro.go, lines 9–27.
/// gp is the goroutine blocked in the coro (nil once it has exited).
/// Differs from Go: no GC, so whoever called newcoro owns the coro and
/// deletes it once the coroutine has exited (iter.h's Pull does).
/// @gosrc{coro.go,coro}
struct coro {
    guintptr gp;
    corofunc* f;
    // State for validating thread-lock interactions (go1.23).
    m* mp;               ///< the creator's M, if it was locked to it
    uint32_t lockedExt;  ///< mp's external LockOSThread counter at coro creation time
    uint32_t lockedInt;  ///< mp's internal lockOSThread counter at coro creation time
};

coro* newcoro(corofunc* f);
void coroswitch(coro* c) asm("runtime.coroswitch");
void coroexit(coro* c);

// ---- chan.cc / select.cc ----

/// Go's plainError: a runtime panic whose message prints without the
/// "runtime error: " prefix ("send on closed channel").
/// @gosrc{error.go,plainError}
struct plainError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// What the runtime needs to know about a channel's element type (Go: the
/// *_type a chantype points to). Values are moved, never copied.
/// @gosrc{type.go,chantype}
struct chantype {
    uintptr_t size;
    uintptr_t align;
    void (*move)(void* dst, void* src);  ///< construct *dst from std::move(*src)
    void (*destroy)(void* p);            ///< run the destructor of *p
    void (*zero)(void* dst);             ///< construct the zero value T{} at dst
};

/// A channel. Go: `type hchan struct` (chan.go). @gosrc{chan.go,hchan}
struct waitq {
    sudog* first;
    sudog* last;
    void enqueue(sudog* sgp);
    sudog* dequeue();
    void dequeueSudoG(sudog* sgp);
};

/// A channel: a buffered ring, its wait queues and its lock. @gosrc{chan.go,hchan}
struct hchan {
    uintptr_t qcount;    ///< total data in the queue
    uintptr_t dataqsiz;  ///< size of the circular queue
    void* buf;           ///< points to an array of dataqsiz elements
    uint16_t elemsize;
    uint32_t closed;
    const chantype* elemtype;
    uintptr_t sendx;     ///< send index
    uintptr_t recvx;     ///< receive index
    waitq recvq;         ///< list of recv waiters
    waitq sendq;         ///< list of send waiters
    // lock protects all fields in hchan, as well as several fields in sudogs
    // blocked on this channel. Do not ready a G while holding it.
    mutex lock;
};

hchan* makechan(const chantype* t, int64_t size);
void freechan(hchan* c);
bool chansend(hchan* c, void* ep, bool block, uintptr_t callerpc);
std::pair<bool, bool> chanrecv(hchan* c, void* ep, bool block);
void closechan(hchan* c);
int chanlen(hchan* c);
int chancap(hchan* c);
void send(hchan* c, sudog* sg, void* ep, void (*unlockf)(void*), void* arg);
void recv(hchan* c, sudog* sg, void* ep, void (*unlockf)(void*), void* arg);

/// A select case. Go: `type scase struct`. @gosrc{select.go,scase}
struct scase {
    hchan* c;   ///< chan
    void* elem; ///< data element
};
std::pair<int, bool> selectgo(scase* cas0, uint16_t* order0, int nsends, int nrecvs, bool block);
[[noreturn]] void block();

// ---- sema.cc ----
void semacquire1(uint32_t* addr, bool lifo, waitReason reason);
void semrelease1(uint32_t* addr, bool handoff);

// ---- time.cc ----
int64_t nanotime();
void timeSleep(int64_t ns);
int64_t runtimers(p* pp, int64_t now, bool* ran);

/// Runs pp's timers that are due. Returns when the next one is due (0 if
/// none is pending). *now 0 means "not read yet": checkTimers reads the clock
/// only if pp has a timer, and leaves the reading in *now for the caller.
/// *ran (if given) tells whether any timer ran, as Go's third result.
/// Inline: every schedule() passes here, almost always with no timer due;
/// only then does it call runtimers (time.cc) and take pp.timersLock.
/// Runs on: g0 (findRunnable, stealWork). @gosrc{proc.go,checkTimers}
inline int64_t checkTimers(p* pp, int64_t* now, bool* ran = nullptr) {
    if (ran) *ran = false;
    // If it's not yet time for the first timer, then there is nothing to do
    // (timer0When is read without the lock: stale, it delays a timer to the
    // next round at worst, as in Go).
    int64_t next = pp->timer0When.load(std::memory_order_relaxed);
    if (next == 0) return 0;  // No timers to run.
    if (*now == 0) *now = nanotime();
    if (*now < next) return next;
    return runtimers(pp, *now, ran);
}
void moveTimers(p* pp, p* src);
int64_t nobarrierWakeTime(p* pp);
int64_t timeSleepUntil();

// ---- stack.cc ----
/// Go's stackGuard (stack.go): where stackguard0 sits above stack.lo. gort has
/// no prologue checks, so it is only recorded, for debuggers and for the layout.
constexpr uintptr_t stackGuard = 928;
extern uintptr_t startingStackSize;
void stackinit();
struct stack stackalloc(uint32_t n);
void stackfree(struct stack stk);
void stackcache_clear(p* c);
void stackcheck(g* gp);
bool stackhasguard(uintptr_t lo);
[[noreturn]] void stackoverflow(g* gp, uintptr_t sp);

// ---- panic.cc ----
[[noreturn]] void throw_(const char* s) asm("runtime.throw");
[[noreturn]] void fatal(const char* s) asm("runtime.fatal");
[[noreturn]] void fatalthrow(int32_t t);
void startpanic_m();
void badmcall(void (*fn)(g*)) asm("runtime.badmcall");
void badmcall2(void (*fn)(g*)) asm("runtime.badmcall2");
void badsystemstack() asm("runtime.badsystemstack");
void panicinit();

/// Kinds of m.throwing, as Go's throwType. @gosrc{panic.go,throwType}
enum throwType : int32_t { throwTypeNone = 0, throwTypeUser = 1, throwTypeRuntime = 2 };

// ---- traceback.cc ----
void tracebackcurrent(g* gp, int skip, uintptr_t startpc = 0);
void goroutineheader(g* gp);
void tracebackothers(g* me);
void tracebackinit();

/// What FuncForPC knows about a pc. @gosrc{symtab.go,Func}
struct Func {
    char name[256];   ///< demangled function name ("" if unknown)
    char file[128];   ///< source file (base name)
    int line;
    uintptr_t entry;  ///< the function's first instruction
};
Func FuncForPC(uintptr_t pc);

// ---- lock_futex.cc ----
/// Rounds of active spinning (lock2 and sync.Mutex) before sleeping or parking.
/// @gosrc{lock_futex.go,active_spin}
constexpr int active_spin = 4;
/// procyield's cycles per round of active spinning. @gosrc{lock_futex.go,active_spin_cnt}
constexpr uint32_t active_spin_cnt = 30;
void lockinit();
void lock2(mutex* l);
void unlock2wake(mutex* l);
extern bool asymfence;
extern uint32_t locksleepers[256];

/// The number of threads asleep (or about to sleep) on l, or on another
/// mutex that hashes to the same slot: gort's nsleep, kept out of the mutex
/// because unlock reads it after releasing l (lock_futex.cc). Runs on: either.
/// @gortonly{Go's lock_futex needs no sleeper count}
inline uint32_t* locksleep(mutex* l) {
    return &locksleepers[(uintptr_t(l) * 0x9e3779b97f4a7c15u) >> 56];
}

/// Acquires l (Go: lock → lock2): m.locks++ and one atomic exchange when
/// uncontended; lock2 spins and sleeps otherwise. Inline: the scheduler and
/// every channel operation take locks. Runs on: g or g0 (blocks the thread).
/// @gosrc{lock_futex.go,lock2}
[[gnu::always_inline]] inline void lock(mutex* l) {
    // m.locks is stored atomically (schedtrace reads it): still a plain add.
    if (g* gp = getg()) {
        m* mp = gp->m;
        __atomic_store_n(&mp->locks, mp->locks + 1, __ATOMIC_RELAXED);
    }
    // Speculative grab for lock.
    if (__atomic_exchange_n(&l->key, 1, __ATOMIC_ACQUIRE) == 0) return;
    lock2(l);
}

/// Releases l, waking a sleeper if there is one (lock_futex.cc says why a
/// release store is enough). Runs on: g or g0. @gosrc{lock_futex.go,unlock2}
[[gnu::always_inline]] inline void unlock(mutex* l) {
    if (__atomic_load_n(&l->key, __ATOMIC_RELAXED) == 0) throw_("unlock of unlocked lock");
    if (asymfence)
        __atomic_store_n(&l->key, 0, __ATOMIC_RELEASE);
    else
        __atomic_store_n(&l->key, 0, __ATOMIC_SEQ_CST);
    // From here on l may already be another thread's, or freed: do not touch it.
    if (__atomic_load_n(locksleep(l), __ATOMIC_RELAXED) != 0) unlock2wake(l);
    if (g* gp = getg()) {
        m* mp = gp->m;
        int32_t locks = mp->locks - 1;
        __atomic_store_n(&mp->locks, locks, __ATOMIC_RELAXED);
        if (locks < 0) throw_("runtime·unlock: lock count");
    }
}
void noteclear(note* n);
void notewakeup(note* n);
void notesleep(note* n);
bool notetsleep(note* n, int64_t ns);

// ---- signal_unix.cc ----
void initsig();
void unminitSignals();
void minitSignalStack();

// ---- switchtrace.cc (gort only) ----
void switchtrace_gogo(const char* kind, g* from, g* to);

// ---- signal_amd64.cc ----
void dumpregs(void* ctxt);

// ---- print (panic.cc): Go's print/println for the runtime ----
void printstring(const char* s);
void printint(int64_t v);
void printuint(uint64_t v);
void printhex(uint64_t v);
void printbool(bool v);


}  // namespace runtime

/// The user's program: gort's `main.main`. Defined by every gort program; it
/// runs as goroutine 1, and the process exits when it returns. Never inlined
/// (even under LTO), so tracebacks show it as Go shows main.main.
__attribute__((noinline)) void main_main();
