// test_switch.cc — the switching core: getg, mcall, gogo, gosave,
// systemstack, and the ABI gap between Go's switch and SysV C++.
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <immintrin.h>
#include <csignal>
#include <stdexcept>
#include <thread>

#include "gorttest.h"

using namespace runtime;
using gorttest::fatalchild;
using gorttest::startswith;

extern "C" long sentinel_call(void (*fn)(), long base);

TEST_CASE("getg is the running goroutine, and g0 inside systemstack", "[switch]") {
    g* gp = getg();
    REQUIRE(gp != nullptr);
    REQUIRE(gp->m->curg == gp);
    REQUIRE(gp != gp->m->g0);
    REQUIRE(readgstatus(gp) == Grunning);
    g* inside = nullptr;
    uintptr_t sp = 0;
    systemstack([&] {
        inside = getg();
        sp = uintptr_t(__builtin_frame_address(0));
    });
    REQUIRE(inside == gp->m->g0);
    REQUIRE(sp > inside->stack.lo);
    REQUIRE(sp < inside->stack.hi);
    REQUIRE(getg() == gp);  // and back
    REQUIRE(gp->sched.sp == 0);  // systemstack's return cleared the saved sp
}

TEST_CASE("callee-saved registers survive Gosched", "[switch][abi]") {
    long bad1 = 0, bad2 = 0;
    std::atomic<bool> done{false};  // the goroutine may run on another M
    gort::go([&] {
        for (int i = 0; i < 100; i++) bad2 |= sentinel_call(runtime::Gosched, 2000);
        done = true;
    });
    for (int i = 0; i < 100; i++) bad1 |= sentinel_call(runtime::Gosched, 1000);
    while (!done) Gosched();
    CHECK(bad1 == 0);
    CHECK(bad2 == 0);
}

static std::atomic<g*> parked;
static void parkme() {
    parked = getg();
    gopark(nullptr, nullptr, waitReasonChanReceive);
}

TEST_CASE("callee-saved registers survive gopark and goready", "[switch][abi]") {
    gorttest::gomaxprocs one(1);
    parked = nullptr;
    std::atomic<long> bad = -1;
    gort::go([&] { bad = sentinel_call(parkme, 0x5000); });
    // Usually one Gosched lets it run and park; but every 61st schedule takes
    // the global queue first (fairness, as in Go), where Gosched put us.
    while (parked == nullptr || readgstatus(parked) != Gwaiting) Gosched();
    REQUIRE(readgstatus(parked) == Gwaiting);
    REQUIRE(parked.load()->waitreason == waitReasonChanReceive);
    // Scribble over the registers from this goroutine before readying it.
    long mine = sentinel_call(+[] { Gosched(); }, 0x7000);
    goready(parked);
    while (bad == -1) Gosched();  // until it has run to its end
    CHECK(mine == 0);
    CHECK(bad == 0);
}

__attribute__((noinline)) static uintptr_t framealign() {
    return uintptr_t(__builtin_frame_address(0)) % 16;
}

TEST_CASE("every goroutine starts with a SysV-aligned stack", "[switch][stack]") {
    // printf("%f") and SSE spills use movaps on the stack: misalignment faults.
    // The goroutines may run on other Ms: they count, and goroutine 1 checks
    // (Catch2's assertions are not thread-safe).
    std::atomic<int> ran{0}, badfloat{0}, badsse{0}, badalign{0};
    for (int i = 0; i < 8; i++) {
        gort::go([&, i] {
            char buf[64];
            std::snprintf(buf, sizeof buf, "%f", 3.25 * i);
            if (std::atof(buf) != 3.25 * i) badfloat++;
            alignas(16) float v[4];
            _mm_store_ps(v, _mm_set1_ps(float(i)));  // movaps to the stack
            if (v[3] != float(i)) badsse++;
            if (framealign() != 0) badalign++;
            ran++;
        });
    }
    while (ran < 8) Gosched();
    CHECK(badfloat == 0);
    CHECK(badsse == 0);
    CHECK(badalign == 0);
}

/// What the round trip saw: gosave's two results and buf between them.
struct roundtrip {
    uintptr_t first = ~uintptr_t(0), second = ~uintptr_t(0);
    int passes = 0;
    bool gok = false, spok = false, pcok = false, ctxtok = false;
    uintptr_t spafter = 1;
};

// gosave returns twice, as setjmp does, but the compiler cannot know it (an
// inline asm cannot be returns_twice). ASan's use-after-scope poisoning of
// this frame assumes one pass through it: the second return would find the
// REQUIRE temporaries of the first pass poisoned (stack-use-after-scope).
// So the round trip is a function of its own without ASan, and Catch's
// macros stay outside it.
__attribute__((noinline, no_sanitize_address)) static void gosave_roundtrip(roundtrip* t) {
    gobuf buf{};
    volatile int passes = 0;
    uintptr_t r = gosave(&buf);
    passes = passes + 1;
    if (r == 0) {
        t->first = r;
        t->gok = buf.g.ptr() == getg();
        t->spok = buf.sp != 0;
        t->pcok = buf.pc != 0;
        t->ctxtok = buf.ctxt == nullptr;
        buf.ret = 42;
        gogo(&buf);  // does not return: gosave returns 42 above
    }
    t->second = r;
    t->passes = passes;
    t->spafter = buf.sp;
}

TEST_CASE("gosave and gogo: the chapter's round trip", "[switch][chapter]") {
    // gosave records where we are (like setjmp); gogo returns there again
    // (like longjmp), with buf.ret as gosave's second result.
    roundtrip t;
    gosave_roundtrip(&t);
    REQUIRE(t.first == 0);
    REQUIRE(t.gok);  // buf.g is the running g
    REQUIRE(t.spok);
    REQUIRE(t.pcok);
    REQUIRE(t.ctxtok);
    REQUIRE(t.second == 42);
    REQUIRE(t.passes == 2);
    REQUIRE(t.spafter == 0);  // gogo cleared the buffer it used
}

GORT_CHILD(mcall_on_g0) {
    systemstack([] { mcall([](g*) {}); });
}

TEST_CASE("mcall on g0 dies with badmcall's message", "[switch][fatal]") {
    std::string e = fatalchild("mcall_on_g0");
    INFO(e);
    CHECK(startswith(e, "fatal error: runtime: mcall called on m->g0 stack\n\nruntime stack:\n"
                      "runtime.badmcall()\n"));
}

GORT_CHILD(mcall_returns) {
    mcall([](g*) {});
}

TEST_CASE("an mcall function that returns dies with badmcall2's message", "[switch][fatal]") {
    std::string e = fatalchild("mcall_returns");
    INFO(e);
    CHECK(startswith(e, "fatal error: runtime: mcall function returned\n"));
}

GORT_CHILD(foreign_thread) {
    // A thread gort did not start has no g: calling into the scheduler from it
    // is a bug, reported as such rather than as a bare crash.
    std::thread t([] { Gosched(); });
    t.join();
}

TEST_CASE("calling the scheduler from a foreign thread says so", "[switch][fatal]") {
    auto r = gorttest::runchild("foreign_thread");
    INFO(r.err);
    CHECK(r.status == 2);
    CHECK(r.err == "fatal error: gort: runtime call on a thread that is not running gort\n"
                   "(runtime calls such as gort::go, Gosched or gopark must come from a goroutine)\n");
}

// A static constructor that calls the runtime before main has started it; it
// does so only in a child run with GORT_TEST_PRESTART set.
static const int prestart = [] {
    if (std::getenv("GORT_TEST_PRESTART") != nullptr) gort::go([] {});
    return 0;
}();

TEST_CASE("a runtime call before the runtime started says so", "[switch][fatal]") {
    auto r = gorttest::runchild("foreign_thread", {"GORT_TEST_PRESTART=1"});
    INFO(r.err);
    CHECK(prestart == 0);
    CHECK(r.status == 2);
    CHECK(startswith(r.err, "fatal error: gort: runtime call before the runtime started (from a static "
                            "constructor?)\n(runtime calls such as gort::go"));
}

GORT_CHILD(bad_env) {
    std::printf("stack=%lu\n", static_cast<unsigned long>(startingStackSize));
}

TEST_CASE("bad GORT_STACKSIZE and GOTRACEBACK values are ignored, as Go ignores bad settings",
          "[switch][env]") {
    auto r = gorttest::runchild("bad_env", {"GORT_STACKSIZE=lots", "GOTRACEBACK=loud"});
    CHECK(r.status == 0);
    CHECK(r.out == "stack=65536\n");
    r = gorttest::runchild("bad_env", {"GORT_STACKSIZE=131072"});
    CHECK(r.out == "stack=131072\n");
}

GORT_CHILD(panic_on_g0) {
    systemstack([] { throw std::runtime_error("boom"); });
}

TEST_CASE("an exception on the g0 stack is Go's panic on system stack", "[switch][fatal]") {
    // It must not unwind from g0 back into the goroutine's frames.
    std::string e = fatalchild("panic_on_g0");
    INFO(e);
    CHECK(startswith(e, "panic: boom\nfatal error: panic on system stack\n\nruntime stack:\n"));
}
