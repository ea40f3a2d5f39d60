// lab_mcall.cc — graded tests of lab 2, mcall (docs/labs/mcall.md).
// Points: test/labs/mcall/rubric.txt. Each test runs in a process of its own.
// The probe fn (lab_mcall_fn, lab_amd64.S) records SP, BP, DI and the TLS g
// at its first instruction, then lab_mcall_check below looks at g.sched and
// resumes g with gogo.
#include <atomic>
#include <cstdint>
#include <cstring>

#include "chan.h"
#include "gorttest.h"

using namespace runtime;
using gorttest::fatalchild;
using gorttest::startswith;

extern "C" long sentinel_call(void (*fn)(), long base);
extern "C" void lab_mcall_fn(g* gp);
extern "C" uintptr_t lab_mcall_regs[4];  // at fn's entry: SP, BP, DI, TLS g

namespace {

struct seen_t {
    bool ran;
    g* caller;            // getg() before mcall
    uintptr_t callerbp;   // the caller's frame pointer
    uintptr_t g0sp;       // g0.sched.sp before mcall
    uintptr_t entrysp, entrydi, entryg;
    g* arg;               // fn's argument
    g* getg;              // getg() in fn
    gobuf sched;          // caller's g.sched as fn found it
    uintptr_t retslot;    // the word just below sched.sp
} seen;

[[gnu::noinline]] void mcall_probe() {
    std::memset(static_cast<void*>(&seen), 0, sizeof seen);
    seen.caller = getg();
    seen.callerbp = uintptr_t(__builtin_frame_address(0));
    seen.g0sp = seen.caller->m->g0->sched.sp;
    mcall(lab_mcall_fn);
}

}  // namespace

// fn, on g0: look, then resume the caller.
extern "C" void lab_mcall_check(g* gp) {
    seen.ran = true;
    seen.entrysp = lab_mcall_regs[0];
    seen.entrydi = lab_mcall_regs[2];
    seen.entryg = lab_mcall_regs[3];
    seen.arg = gp;
    seen.getg = getg();
    std::memcpy(static_cast<void*>(&seen.sched), &seen.caller->sched, sizeof(gobuf));
    if (seen.sched.sp != 0) seen.retslot = *reinterpret_cast<uintptr_t*>(seen.sched.sp - 8);
    gogo(&seen.caller->sched);
}

TEST_CASE("mcall saves the caller's PC and SP in g.sched", "[lab-mcall]") {
    mcall_probe();
    REQUIRE(seen.ran);
    INFO("g.sched.pc must be the caller's PC (the return address at 0(SP) on entry)");
    REQUIRE(seen.sched.pc != 0);
    const unsigned char* call = reinterpret_cast<const unsigned char*>(seen.sched.pc - 5);
    int32_t rel;
    std::memcpy(&rel, call + 1, 4);
    CHECK(call[0] == 0xe8);
    CHECK(seen.sched.pc + rel == uintptr_t(&mcall_asm));
    INFO("g.sched.sp must be the caller's SP: just above that return address, 8(SP)");
    CHECK(seen.retslot == seen.sched.pc);
    CHECK(seen.sched.sp > seen.caller->stack.lo);
    CHECK(seen.sched.sp < seen.caller->stack.hi);
}

TEST_CASE("mcall saves the caller's BP in g.sched", "[lab-mcall]") {
    mcall_probe();
    REQUIRE(seen.ran);
    INFO("g.sched.bp must be BP as mcall found it, the caller's frame pointer: gogo "
         "restores it, and the caller reads its locals through it");
    CHECK(seen.sched.bp == seen.callerbp);
}

TEST_CASE("mcall passes g to fn", "[lab-mcall]") {
    mcall_probe();
    REQUIRE(seen.ran);
    INFO("fn(g): the g that called mcall, in DI (the SysV first argument)");
    CHECK(seen.entrydi == uintptr_t(seen.caller));
    CHECK(seen.arg == seen.caller);
}

TEST_CASE("fn runs as g0: getg() is m.g0", "[lab-mcall]") {
    mcall_probe();
    REQUIRE(seen.ran);
    INFO("before the call, mcall must store m->g0 in the TLS slot");
    CHECK(seen.entryg == uintptr_t(seen.caller->m->g0));
    CHECK(seen.getg == seen.caller->m->g0);
}

TEST_CASE("fn runs on g0's stack from g0.sched.sp", "[lab-mcall]") {
    mcall_probe();
    REQUIRE(seen.ran);
    g* g0 = seen.caller->m->g0;
    INFO("SP = g0.sched.sp: fn runs on the scheduler stack, below where g0 last stood");
    CHECK(seen.entrysp > g0->stack.lo);
    CHECK(seen.entrysp < seen.g0sp);
    CHECK(seen.g0sp - seen.entrysp <= 64);
}

TEST_CASE("fn starts with a SysV-aligned stack", "[lab-mcall]") {
    mcall_probe();
    REQUIRE(seen.ran);
    INFO("at a C++ function's first instruction (SP+8) % 16 == 0, as after a CALL from "
         "an aligned SP. g0.sched.sp is 16-aligned: push an even number of words "
         "(gort pushes two) before the CALL. Go pushes one: its ABI does not care");
    CHECK((seen.entrysp + 8) % 16 == 0);
}

GORT_CHILD(lab_mcall_on_g0) {
    systemstack([] { mcall([](g*) {}); });
}

TEST_CASE("mcall on g0 dies with badmcall's message", "[lab-mcall]") {
    std::string e = fatalchild("lab_mcall_on_g0");
    INFO("if g is m->g0 there is no g to save: jump to badm (runtime.badmcall)\n" << e);
    CHECK(startswith(e, "fatal error: runtime: mcall called on m->g0 stack\n"));
}

GORT_CHILD(lab_mcall_returns) {
    mcall([](g*) {});
}

TEST_CASE("an mcall function that returns dies with badmcall2's message", "[lab-mcall]") {
    std::string e = fatalchild("lab_mcall_returns");
    INFO("after CALL fn, mcall must jmp runtime.badmcall2: fn may not return\n" << e);
    CHECK(startswith(e, "fatal error: runtime: mcall function returned\n"));
}

TEST_CASE("goroutines take turns through mcall: 10000 Gosched round trips", "[lab-mcall]") {
    std::atomic<long> a{0}, b{0};
    std::atomic<bool> done{false};
    gort::go([&] {
        for (int i = 0; i < 10000; i++) {
            a++;
            Gosched();
        }
        done = true;
    });
    for (int i = 0; i < 10000; i++) {
        b++;
        Gosched();
    }
    while (!done) Gosched();
    CHECK(a == 10000);
    CHECK(b == 10000);
}

TEST_CASE("goroutines park and are readied: a channel ping-pong", "[lab-mcall]") {
    auto ping = gort::make_chan<int>(), pong = gort::make_chan<int>();
    gort::go([&] {
        for (int i = 0; i < 5000; i++) pong.send(ping.recv() + 1);
    });
    int v = 0;
    for (int i = 0; i < 5000; i++) {
        ping.send(v);
        v = pong.recv();
    }
    CHECK(v == 5000);
}

static g* parked;
static void parkme() {
    parked = getg();
    gopark(nullptr, nullptr, waitReasonChanReceive);
}

TEST_CASE("callee-saved registers survive gopark and goready", "[lab-mcall]") {
    gorttest::gomaxprocs one(1);
    long bad = -1;
    gort::go([&] { bad = sentinel_call(parkme, 0x5000); });
    Gosched();  // it parks
    REQUIRE(parked != nullptr);
    long mine = sentinel_call(+[] { Gosched(); }, 0x7000);
    goready(parked);
    Gosched();
    INFO("sentinel bits: 1 RBX, 2 R12, 4 R13, 8 R14, 16 R15, 32 RBP. The C++ shim spills "
         "RBX and R12-R15 (declared clobbered); BP is mcall's to save in g.sched");
    CHECK(mine == 0);
    CHECK(bad == 0);
}
