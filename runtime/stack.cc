// stack.cc — goroutine stacks: a global pool of fixed-size stacks carved from
// large mappings ("spans"), and a per-P cache in front of it.
//
// Go counterpart: src/runtime/stack.go
// https://github.com/golang/go/blob/go1.22.0/src/runtime/stack.go
//
// Go's stacks start at 8 KB and grow by copying: the compiler's prologue checks
// SP against g.stackguard0 and calls morestack, which moves the stack and
// rewrites every pointer into it. C++ cannot do that (pointers into the stack
// are everywhere and untyped), so gort's stacks have a fixed size, chosen at
// start-up, and overflow is caught instead of avoided:
//
//  * Size. Default 64 KiB (meson option `stack_size`, or GORT_STACKSIZE=bytes
//    in the environment). Only touched pages cost memory: a goroutine that
//    parks after a few calls uses one 4 KiB page of it, so a million parked
//    goroutines need ~4 GB of RAM but 68 GB of address space, which 64-bit
//    Linux gives freely (MAP_NORESERVE). 64 KiB is enough for printf, iostreams
//    and C++ exception unwinding with room to spare; deeply recursive code should
//    raise it.
//
//  * Guard pages. Below each stack lies a 4 KiB page. Made PROT_NONE, it turns
//    an overflow into a SIGSEGV that signal_unix.cc reports in Go's words. But
//    each protected page splits a mapping in two, costing two of the 65,530
//    mappings Linux allows a process by default (vm.max_map_count), so guarding
//    every stack would cap a program near 32,000 goroutines. gort therefore
//    guards the first (max_map_count - 20480) / 2 stacks it creates — 22,525 on
//    a default machine, leaving 16,384 mappings to malloc, libraries and the
//    program and 4,096 for span fences — and leaves the rest unguarded. Every
//    span, guarded or not, has a PROT_NONE page at its bottom (one mapping per
//    256 stacks), so an overflowing unguarded stack runs at worst through its
//    span's other stacks, never into the heap or a library. Guarding is decided per span of
//    256 stacks, so the list of guarded ranges stays short. GORT_STACKGUARDS=n
//    lowers the budget to n (0: no guard pages; the tests use it to reach the
//    fallbacks).
//
//  * Unguarded stacks: three fallbacks, all after the fact (the stack below
//    may already be damaged), where a guard page stops the faulting
//    instruction itself.
//    (1) A fault with SP below the running goroutine's stack is a stack
//        overflow, however far below (signal_unix.cc): an infinite recursion
//        runs down through the stacks below until it reaches unmapped memory.
//    (2) At every switch-out, dropg checks the saved SP against stack.lo.
//    (3) When a goroutine exits, gdestroy asks the kernel (mincore) whether the
//        page below its stack — the one a guard page would occupy, left
//        mapped but never used — has been touched. It has only if the
//        goroutine ran past the bottom of its stack and came back.
//    Why not a canary word read at every switch: on kernels without the
//    shared zero page (this project's CI VMs among them), the first read of a
//    never-written page allocates it, which would double a parked goroutine's
//    RSS; mincore reads page tables without touching the page.
//
// Structure as in Go: stackpool (global, under a lock) hands out stacks from
// spans; each P keeps a stackcache of up to stackCacheSize stacks, refilled and
// released half at a time, so stackalloc and stackfree usually take no lock.
//
// Under valgrind, every stack is registered when its span is carved
// (VALGRIND_STACK_REGISTER), so memcheck knows a jump of SP into it is a stack
// switch and tracks each stack's frames apart. The request is a few no-op
// instructions when the program runs natively; stacks are never unmapped, so
// they are never deregistered.
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#else
#define VALGRIND_STACK_REGISTER(lo, hi) 0
#endif
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "runtime.h"

#ifndef GORT_STACK_SIZE
#define GORT_STACK_SIZE 65536
#endif

namespace runtime {

uintptr_t startingStackSize = GORT_STACK_SIZE;

static constexpr uintptr_t pageSize = 4096;
static constexpr uintptr_t guardSize = pageSize;     // one guard page per stack
static constexpr uintptr_t spanStacks = 256;         // stacks per mapping
static constexpr uintptr_t stackCacheSize = 32;      // Go: _StackCacheSize, in stacks

/// Global pool of free stacks, linked through each stack's top word.
/// Go: stackpool (one list per order; gort has one size). @gosrc{stack.go,stackpool}
static struct {
    mutex lock;
    uintptr_t free;      ///< top-word-linked list of free stacks (stack.lo values)
    uintptr_t nguarded;  ///< stacks created with a PROT_NONE guard page
    uintptr_t maxguarded;
} stackpool;

/// Address ranges of the spans whose stacks all have guard pages: a span is
/// guarded whole or not at all, so this list stays short (≤ budget/256).
/// Never destroyed: exit runs the static destructors while other Ms may still
/// be allocating stacks.
static std::vector<struct stack>& guardedspans = *new std::vector<struct stack>;

/// The free-list link of the free stack at lo: its top word. Runs on: g0.
/// @gortonly{Go links free stacks through the gclinkptr at their base, in the
/// manual free list of the span they came from}
static uintptr_t& stacklink(uintptr_t lo) {
    return *reinterpret_cast<uintptr_t*>(lo + startingStackSize - sizeof(uintptr_t));
}

/// Reads vm.max_map_count (65530 unless the administrator changed it).
/// Runs on: g0, from stackinit. @gortonly{sizes the guard-page budget (see
/// the top of this file); Go's stacks have no guard pages}
static uintptr_t maxMapCount() {
    uintptr_t n = 65530;
    if (FILE* f = std::fopen("/proc/sys/vm/max_map_count", "r")) {
        unsigned long v;
        if (std::fscanf(f, "%lu", &v) == 1) n = v;
        std::fclose(f);
    }
    return n;
}

/// Initializes the stack allocator: the stack size and the guard budget.
/// Runs on: g0, once, from schedinit. @gosrc{stack.go,stackinit}
void stackinit() {
    if (const char* s = std::getenv("GORT_STACKSIZE")) {
        char* end;
        unsigned long v = std::strtoul(s, &end, 0);
        // Like Go's tolerant GODEBUG parsing: a bad value is ignored.
        if (*end == 0 && v >= 16 * 1024 && v <= (1ul << 30)) startingStackSize = v;
    }
    startingStackSize = (startingStackSize + pageSize - 1) & ~(pageSize - 1);
    uintptr_t maps = maxMapCount();
    // Keep 16384 mappings for the program, and 4096 for span fences (one per
    // 256 stacks: a million goroutines need 3,907).
    stackpool.maxguarded = maps > 2 * 20480 ? (maps - 20480) / 2 : maps / 4;
    // GORT_STACKGUARDS=n lowers the budget (tests use 0 to reach the fallbacks).
    if (const char* s = std::getenv("GORT_STACKGUARDS")) {
        char* end;
        unsigned long v = std::strtoul(s, &end, 10);
        if (*end == 0 && v < stackpool.maxguarded) stackpool.maxguarded = v;
    }
}

/// Maps a new span of spanStacks stacks and puts them on the pool's free list.
/// Guard pages go below as many of them as the budget allows.
/// stackpool.lock must be held. Runs on: g0. @gosrc{stack.go,stackpoolalloc}
static void stackpoolgrow() {
    uintptr_t slot = guardSize + startingStackSize;
    void* v = mmap(nullptr, slot * spanStacks, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (v == MAP_FAILED) throw_("out of memory allocating stack");
    auto base = reinterpret_cast<uintptr_t>(v);
    bool guarded = stackpool.nguarded + spanStacks <= stackpool.maxguarded;
    if (guarded) {
        stackpool.nguarded += spanStacks;
        guardedspans.push_back({base, base + slot * spanStacks});
    }
    for (uintptr_t i = spanStacks; i-- > 0;) {
        uintptr_t guard = base + i * slot;
        // Every span is fenced at its bottom (slot 0's guard page, one extra
        // mapping per span): an overflow on an unguarded stack may run through
        // the stacks below it in its span, but never into unrelated memory.
        if ((guarded || i == 0) &&
            mprotect(reinterpret_cast<void*>(guard), guardSize, PROT_NONE) != 0)
            throw_("runtime: cannot protect stack guard page");
        uintptr_t lo = guard + guardSize;
        (void)VALGRIND_STACK_REGISTER(lo, lo + startingStackSize);
        stacklink(lo) = stackpool.free;
        stackpool.free = lo;
    }
}

/// Takes one stack from the global pool. stackpool.lock must be held.
/// Runs on: g0. @gosrc{stack.go,stackpoolalloc}
static uintptr_t stackpoolalloc() {
    if (stackpool.free == 0) stackpoolgrow();
    uintptr_t x = stackpool.free;
    stackpool.free = stacklink(x);
    return x;
}

/// Returns one stack to the global pool. stackpool.lock must be held.
/// Runs on: g0. @gosrc{stack.go,stackpoolfree}
static void stackpoolfree(uintptr_t x) {
    stacklink(x) = stackpool.free;
    stackpool.free = x;
}

/// Fills half of the P's cache from the global pool. Runs on: g0.
/// @gosrc{stack.go,stackcacherefill}
static void stackcacherefill(p* c) {
    lock(&stackpool.lock);
    while (c->stackcache.size < stackCacheSize / 2) {
        uintptr_t x = stackpoolalloc();
        stacklink(x) = c->stackcache.list;
        c->stackcache.list = x;
        c->stackcache.size++;
    }
    unlock(&stackpool.lock);
}

/// Returns half of the P's cache to the global pool. Runs on: g0.
/// @gosrc{stack.go,stackcacherelease}
static void stackcacherelease(p* c) {
    lock(&stackpool.lock);
    while (c->stackcache.size > stackCacheSize / 2) {
        uintptr_t x = c->stackcache.list;
        c->stackcache.list = stacklink(x);
        stackpoolfree(x);
        c->stackcache.size--;
    }
    unlock(&stackpool.lock);
}

/// Returns all of the P's cached stacks to the global pool (the P is being
/// destroyed). Runs on: g0. @gosrc{stack.go,stackcache_clear}
void stackcache_clear(p* c) {
    lock(&stackpool.lock);
    while (c->stackcache.list != 0) {
        uintptr_t x = c->stackcache.list;
        c->stackcache.list = stacklink(x);
        stackpoolfree(x);
    }
    c->stackcache.size = 0;
    unlock(&stackpool.lock);
}

/// Allocates an n-byte stack (n must be startingStackSize: gort has one size).
/// Runs on: g0 (from newproc1), or with a P. @gosrc{stack.go,stackalloc}
struct stack stackalloc(uint32_t n) {
    if (n != startingStackSize) throw_("stackalloc: bad size");
    uintptr_t v;
    p* c = getg()->m->p;
    if (c == nullptr) {
        // No P (during start-up, or an M without one): use the global pool.
        lock(&stackpool.lock);
        v = stackpoolalloc();
        unlock(&stackpool.lock);
    } else {
        if (c->stackcache.list == 0) stackcacherefill(c);
        v = c->stackcache.list;
        c->stackcache.list = stacklink(v);
        c->stackcache.size--;
    }
    asanunpoison(reinterpret_cast<void*>(v), n);  // stale poison from a previous g's frames
    return {v, v + n};
}

/// Frees a stack allocated by stackalloc. Runs on: g0 (only the tests call it:
/// a g keeps its stack for life). @gosrc{stack.go,stackfree}
void stackfree(struct stack stk) {
    if (stk.hi - stk.lo != startingStackSize) throw_("stackfree: bad stack size");
    // All but the top word, which links the free list (stacklink).
    asanpoison(reinterpret_cast<void*>(stk.lo), stk.hi - stk.lo - sizeof(uintptr_t));
    p* c = getg()->m->p;
    if (c == nullptr) {
        lock(&stackpool.lock);
        stackpoolfree(stk.lo);
        unlock(&stackpool.lock);
        return;
    }
    if (c->stackcache.size >= stackCacheSize) stackcacherelease(c);
    stacklink(stk.lo) = c->stackcache.list;
    c->stackcache.list = stk.lo;
    c->stackcache.size++;
}

/// Reports whether the stack at lo has a guard page below it. Called once per
/// g, when malg gives it its stack (a g keeps its stack for life).
/// Runs on: g0, from malg. @gortonly{Go's stacks have no guard pages}
bool stackhasguard(uintptr_t lo) {
    lock(&stackpool.lock);
    bool guarded = false;
    for (auto& s : guardedspans) guarded |= lo >= s.lo && lo < s.hi;
    unlock(&stackpool.lock);
    return guarded;
}

/// Checks that gp has not run past the bottom of an unguarded stack (see the
/// top of this file): its saved SP at every switch-out and, when it exits
/// (gp is Gdead), whether the page below its stack was ever touched. Dies with
/// Go's stack overflow message. Runs on: g0, from dropg. gort only: Go's
/// stacks grow instead; Go's closest counterpart is newstack's check of SP
/// against stack.lo. @gosrc{stack.go,newstack}
/// @differs{Go grows stacks instead; gort detects overflow}
void stackcheck(g* gp) {
    if (gp == nullptr || gp->stackguardpage || gp->stack.lo == 0) return;
    bool over = gp->sched.sp != 0 && gp->sched.sp < gp->stack.lo;
    if (!over && readgstatus(gp) == Gdead) {
        unsigned char resident = 0;
        over = mincore(reinterpret_cast<void*>(gp->stack.lo - guardSize), guardSize, &resident) == 0 &&
               (resident & 1);
    }
    if (over) stackoverflow(gp, gp->sched.sp);
}

/// Prints Go's two stack-overflow lines and throws "stack overflow".
/// Runs on: g0 or the signal stack. @gosrc{stack.go,newstack}
void stackoverflow(g* gp, uintptr_t sp) {
    printstring("runtime: goroutine stack exceeds ");
    printuint(startingStackSize);
    printstring("-byte limit\n");
    printstring("runtime: sp=");
    printhex(sp);
    printstring(" stack=[");
    printhex(gp->stack.lo);
    printstring(", ");
    printhex(gp->stack.hi);
    printstring("]\n");
    throw_("stack overflow");
}

}  // namespace runtime
