// test_stack.cc — goroutine stacks: size, reuse, guard pages, the fallbacks without one.
#include <sys/mman.h>

#include <atomic>

#include "gorttest.h"

using namespace runtime;
using gorttest::contains;
using gorttest::fatalchild;
using gorttest::startswith;

// Go's first lines for a stack overflow (newstack's two prints, then throw).
static std::string overflowheader() {
    return "runtime: goroutine stack exceeds " + std::to_string(startingStackSize) +
           "-byte limit\nruntime: sp=0x? stack=[0x?, 0x?]\nfatal error: stack overflow\n\n";
}

TEST_CASE("a goroutine's stack has the configured size and holds its frames", "[stack]") {
    struct stack s {};
    uintptr_t sp = 0;
    std::atomic<bool> done{false};  // it may run on another M
    gort::go([&] {
        s = getg()->stack;
        sp = uintptr_t(__builtin_frame_address(0));
        done = true;
    });
    while (!done) Gosched();
    CHECK(s.hi - s.lo == startingStackSize);
    CHECK(sp > s.lo);
    CHECK(sp < s.hi);
    CHECK(s.hi - sp < 512);  // the first frame sits at the top
}

TEST_CASE("stackalloc and stackfree recycle through the P's cache", "[stack]") {
    struct stack a {}, b {};
    systemstack([&] {
        a = stackalloc(uint32_t(startingStackSize));
        stackfree(a);
        b = stackalloc(uint32_t(startingStackSize));
        stackfree(b);
    });
    CHECK(a.lo == b.lo);
    CHECK(a.hi - a.lo == startingStackSize);
}

TEST_CASE("the page below a goroutine's stack is a guard page", "[stack]") {
    std::atomic<uintptr_t> golo{0};  // it may run on another M
    gort::go([&] { golo = getg()->stack.lo; });
    while (golo == 0) Gosched();
    uintptr_t lo = golo;
    REQUIRE(lo != 0);
    // mprotect succeeds on a mapped page; reading /proc/self/maps would show
    // the ---p mapping. Here: the page is mapped and not accessible, which
    // msync distinguishes from nothing, so check via mincore's mapping test.
    unsigned char vec;
    CHECK(mincore(reinterpret_cast<void*>(lo - 4096), 4096, &vec) == 0);
}

static volatile bool forever = true;

__attribute__((noinline)) static int recurse(int n) {
    volatile char pad[256];
    pad[n % 256] = char(n);
    return forever ? recurse(n + 1) + pad[0] : 0;
}

GORT_CHILD(overflow_guarded) {
    gort::go([] { recurse(0); });
    gorttest::parkforever();
}

TEST_CASE("overflow into the guard page: Go's stack overflow report", "[stack][fatal]") {
    std::string e = fatalchild("overflow_guarded");
    INFO(e);
        CHECK(startswith(e, overflowheader() + "goroutine 2 [running]:\nrecurse(int)\n"));
    CHECK(contains(e, " frames elided...\n"));  // Go: 50 innermost, "...N frames elided...", 50 outermost
}

__attribute__((noinline)) static int deep(int n) {
    volatile char pad[1024];
    pad[n % 1024] = char(n | 1);
    return n == 0 ? pad[0] : deep(n - 1) + pad[n % 1024];
}

GORT_CHILD(overflow_unguarded_return) {
    // No guard pages: run a little past the bottom (into the unprotected page
    // below the stack), return, and exit: gdestroy finds that page touched.
    gort::go([] { deep(int(startingStackSize / 1024) + 1); });
    gorttest::parkforever();
}

GORT_CHILD(overflow_unguarded_forever) {
    // No guard pages: an infinite recursion runs down through the stacks
    // below until it faults; SP is below its stack, so it is an overflow.
    gort::go([] { recurse(0); });
    gorttest::parkforever();
}

TEST_CASE("infinite recursion on an unguarded stack is still Go's stack overflow",
          "[stack][fatal]") {
    std::string e = fatalchild("overflow_unguarded_forever", {"GORT_STACKGUARDS=0"});
    INFO(e);
    CHECK(startswith(e, overflowheader() + "goroutine 2 [running]:\n"));
}

TEST_CASE("overflow of an unguarded stack: caught when the goroutine exits",
          "[stack][fatal]") {
    std::string e = fatalchild("overflow_unguarded_return", {"GORT_STACKGUARDS=0"});
    INFO(e);
    CHECK(startswith(e, overflowheader() + "runtime stack:\n"));
    CHECK(contains(e, "\ngoroutine 1 [select (no cases)]:\n"));
}
