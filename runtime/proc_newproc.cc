// proc_newproc.cc — goroutine creation: the go statement (newproc,
// newproc1) and the per-P and global lists of dead g's it reuses.
//
// Go counterpart: src/runtime/proc.go (this part of it)
// https://github.com/golang/go/blob/go1.22.0/src/runtime/proc.go
//
// proc.go's section from malg to gcount, in its order. A g is never freed:
// when its goroutine exits, gdestroy (proc.cc) puts it, stack and all, on its
// P's free list (gfput); newproc1 takes one from there (gfget) before it makes
// a new one (malg). Each go statement writes the closure and a return address
// into goexit at the top of the new stack, so that gogo "returns" into the
// goroutine's function and the function's return lands in goexit.
#include <new>

#include "runtime.h"
#include "trace.h"

namespace runtime {

static g* gfget(p* pp);

/// Number of goroutine ids to grab from sched.goidgen to local per-P cache at once.
/// 16 seems to provide enough amortization, but other than that it's mostly arbitrary number.
/// @gosrc{proc.go,_GoidCacheBatch}
constexpr uint64_t _GoidCacheBatch = 16;

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
    if (__builtin_expect(gp == nullptr, false)) nogoroutine();  // gort: before rt0_go, or a foreign thread
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
///   stack.hi → closure (16-aligned) → 16 zero bytes → return PC goexit+1 ← sched.sp
/// The zero word just above goexit+1 is where goexit's own return address
/// would be: unwinders that guess when unwind info runs out (valgrind's, which
/// reads the word at SP) find 0 there and stop, instead of taking the closure's
/// bytes for frames. gdb and the C++ unwinder stop at goexit's CFI already.
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
    sp -= 16;  // goexit's "caller": a zero return address (see above)
    reinterpret_cast<uintptr_t*>(sp)[0] = 0;
    reinterpret_cast<uintptr_t*>(sp)[1] = 0;

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
    casgstatus(newg, Gdead, Grunnable);
    if (pp->goidcache == pp->goidcacheend) {
        // Sched.goidgen is the last allocated id,
        // this batch must be [sched.goidgen+1, sched.goidgen+GoidCacheBatch].
        // At startup sched.goidgen=0, so main goroutine receives goid=1.
        pp->goidcache = sched.goidgen.fetch_add(_GoidCacheBatch) + _GoidCacheBatch;
        pp->goidcache -= _GoidCacheBatch - 1;
        pp->goidcacheend = pp->goidcache + _GoidCacheBatch;
    }
    // Atomic: schedtrace and tracebacks read the goids of all g's, and this
    // one may be a reused g they can see.
    __atomic_store_n(&newg->goid, pp->goidcache, __ATOMIC_RELAXED);
    pp->goidcache++;
    traceGoCreate(newg);
    return newg;
}

// (saveAncestors: GODEBUG=tracebackancestors is not supported.)

/// Moves g's from pp's free list to the global one until keep are left: the
/// shared half of gfput and gfpurge (Go writes the loop in both).
/// Runs on: g0. @gortonly{Go writes the loop in both}
static void gfspill(p* pp, int32_t keep) {
    gList stackQ;
    int32_t inc = 0;
    while (pp->gFree.n > keep) {
        g* g1 = pp->gFree.list.pop();
        __atomic_store_n(&pp->gFree.n, pp->gFree.n - 1, __ATOMIC_RELAXED);
        stackQ.push(g1);
        inc++;
    }
    lock(&sched.gFree.lock);
    while (g* g1 = stackQ.pop()) sched.gFree.stack.push(g1);
    __atomic_store_n(&sched.gFree.n, sched.gFree.n + inc, __ATOMIC_RELAXED);
    unlock(&sched.gFree.lock);
}

/// Puts a dead g on the P's free list; above 64, moves half to the global
/// list. Its stack stays with it (Go frees non-standard sizes only).
/// Runs on: g0. @gosrc{proc.go,gfput}
void gfput(p* pp, g* gp) {
    if (readgstatus(gp) != Gdead) throw_("gfput: bad status (not Gdead)");
    // The counts are stored atomically: gcount, schedtrace and gfget read
    // them without the locks.
    pp->gFree.list.push(gp);
    __atomic_store_n(&pp->gFree.n, pp->gFree.n + 1, __ATOMIC_RELAXED);
    // Move half of the local free list to the global one.
    if (pp->gFree.n >= 64) gfspill(pp, 31);
}

/// Gets a dead g from the P's free list, refilling it from the global list
/// (32 at a time) when empty. Runs on: g0. @gosrc{proc.go,gfget}
static g* gfget(p* pp) {
    // Go peeks at the global list's head without the lock; gort peeks at its
    // count, which is stored atomically under the lock, so the hint is a
    // relaxed load rather than a race with gfput on another M.
    if (pp->gFree.list.empty() && __atomic_load_n(&sched.gFree.n, __ATOMIC_RELAXED) != 0) {
        lock(&sched.gFree.lock);
        while (pp->gFree.n < 32) {
            g* gp = sched.gFree.stack.pop();
            if (gp == nullptr) break;
            __atomic_store_n(&sched.gFree.n, sched.gFree.n - 1, __ATOMIC_RELAXED);
            pp->gFree.list.push(gp);
            __atomic_store_n(&pp->gFree.n, pp->gFree.n + 1, __ATOMIC_RELAXED);
        }
        unlock(&sched.gFree.lock);
    }
    g* gp = pp->gFree.list.pop();
    if (gp == nullptr) return nullptr;
    __atomic_store_n(&pp->gFree.n, pp->gFree.n - 1, __ATOMIC_RELAXED);
    // The last goroutine's abandoned frames left their redzones poisoned.
    asanunpoison(reinterpret_cast<void*>(gp->stack.lo), gp->stack.hi - gp->stack.lo);
    return gp;
}

/// Moves all of pp's free g's to the global free list (pp is being
/// destroyed). Runs on: g0. @gosrc{proc.go,gfpurge}
void gfpurge(p* pp) {
    gfspill(pp, 0);
}

// (LockOSThread, UnlockOSThread, badunlockosthread: proc_syscall.cc.)

/// The number of live goroutines: all g's minus the dead ones on free lists.
/// Runs on: g or g0. @gosrc{proc.go,gcount}
int32_t gcount() {
    lock(&allglock);
    int32_t n = int32_t(allgs.size());
    unlock(&allglock);
    // Relaxed loads: the counts change under other Ms' feet (Go's plain reads).
    n -= __atomic_load_n(&sched.gFree.n, __ATOMIC_RELAXED) + __atomic_load_n(&sched.ngsys, __ATOMIC_RELAXED);
    for (int32_t i = 0; i < gomaxprocs; i++) n -= __atomic_load_n(&allp[i]->gFree.n, __ATOMIC_RELAXED);
    // All these variables can be changed concurrently, so the result can be
    // inconsistent. But at least the current goroutine is running.
    return n < 1 ? 1 : n;
}

}  // namespace runtime
