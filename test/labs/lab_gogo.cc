// lab_gogo.cc — graded tests of lab 1, gogo and gosave (docs/labs/gogo.md).
// Points: test/labs/gogo/rubric.txt. Each test runs in a process of its own
// (test/labs/grade.py). Nothing runs until gogo works: the runtime starts
// goroutine 1 with a gogo.
#include <atomic>
#include <cstdint>
#include <cstring>

#include "gorttest.h"

using namespace runtime;

extern "C" long sentinel_call(void (*fn)(), long base);
extern "C" void lab_gogo_probe(gobuf* buf, g* realg);
extern "C" void lab_capture();
extern "C" uintptr_t lab_regs[6];  // at lab_capture: SP, BP, DX, DI, AX, TLS g

namespace {

// A stack for lab_capture to land on, and a g for gogo to install.
alignas(64) char probestack[8192];
g fakeg;

struct landing {
    uintptr_t sp, bp, dx, di, ax, g;
    gobuf after;  // the gobuf once gogo has used it
};

// gogo(buf) with buf's pc = lab_capture and recognizable values elsewhere.
landing gogo_into_probe() {
    static gobuf buf;
    buf = gobuf{};
    std::memset(lab_regs, 0, sizeof(uintptr_t) * 6);
    buf.sp = uintptr_t(probestack + sizeof probestack - 64 - 8);  // as at a function's entry
    buf.pc = uintptr_t(&lab_capture);
    buf.g.set(&fakeg);
    buf.ctxt = reinterpret_cast<void*>(uintptr_t(0xc7c7c7c7c7c0));
    buf.ret = 0x4242;
    buf.bp = uintptr_t(0xb0b0b0b0b0b0);
    lab_gogo_probe(&buf, getg());
    landing l{lab_regs[0], lab_regs[1], lab_regs[2], lab_regs[3], lab_regs[4], lab_regs[5], buf};
    return l;
}

const gobuf& wanted() {
    static gobuf w;
    w.sp = uintptr_t(probestack + sizeof probestack - 64 - 8);
    w.ctxt = reinterpret_cast<void*>(uintptr_t(0xc7c7c7c7c7c0));
    w.ret = 0x4242;
    w.bp = uintptr_t(0xb0b0b0b0b0b0);
    return w;
}

}  // namespace

TEST_CASE("gosave records the caller's PC and SP", "[lab-gogo]") {
    gobuf buf{};
    uintptr_t r = gosave(&buf);
    // The return address gosave saw is still on the stack, just below its SP.
    uintptr_t slot = buf.sp != 0 ? *reinterpret_cast<uintptr_t*>(buf.sp - 8) : 0;
    REQUIRE(r == 0);
    INFO("buf.pc must be the caller's PC: the return address at 0(SP) when gosave starts");
    REQUIRE(buf.pc != 0);
    const unsigned char* call = reinterpret_cast<const unsigned char*>(buf.pc - 5);
    int32_t rel;
    std::memcpy(&rel, call + 1, 4);
    CHECK(call[0] == 0xe8);  // the shim's "call runtime.gosave" ends at buf.pc
    CHECK(buf.pc + rel == uintptr_t(&gosave_asm));
    INFO("buf.sp must be the caller's SP: SP after gosave's ret pops the PC, i.e. 8(SP)");
    g* gp = getg();
    REQUIRE(buf.sp > gp->stack.lo);
    REQUIRE(buf.sp < gp->stack.hi);
    CHECK(buf.sp % 8 == 0);
    CHECK(slot == buf.pc);
}

TEST_CASE("gosave records the caller's BP and g and clears ret and ctxt", "[lab-gogo]") {
    gobuf buf{};
    buf.ret = 99;
    buf.ctxt = &buf;
    uintptr_t r = gosave(&buf);
    REQUIRE(r == 0);
    INFO("buf.bp must be BP as gosave found it: the caller's frame pointer");
    CHECK(buf.bp == uintptr_t(__builtin_frame_address(0)));
    INFO("buf.g must be this thread's g, read from TLS (get_tls, g(r))");
    CHECK(buf.g.ptr() == getg());
    INFO("gosave must clear buf.ret and buf.ctxt, and return 0 in AX");
    CHECK(buf.ret == 0);
    CHECK(buf.ctxt == nullptr);
}

TEST_CASE("gogo jumps to buf.pc on buf.sp", "[lab-gogo]") {
    landing l = gogo_into_probe();
    INFO("gogo must load SP from buf.sp and JMP to buf.pc. A CALL would push a "
         "return address: SP 8 bytes lower than buf.sp, and a misaligned stack");
    REQUIRE(l.sp != 0);  // lab_capture ran
    CHECK(l.sp == wanted().sp);
}

TEST_CASE("gogo restores BP from buf.bp", "[lab-gogo]") {
    landing l = gogo_into_probe();
    INFO("gogo must load BP from buf.bp: C++ code addresses its locals through BP, "
         "and tracebacks walk it (forgetting BP is the classic mistake)");
    REQUIRE(l.sp != 0);
    CHECK(l.bp == wanted().bp);
}

TEST_CASE("gogo makes buf.g the running g", "[lab-gogo]") {
    landing l = gogo_into_probe();
    INFO("gogo must store buf.g in this thread's TLS slot (get_tls(r); movq reg, g(r)): "
         "getg() reads it");
    REQUIRE(l.sp != 0);
    CHECK(l.g == uintptr_t(&fakeg));
}

TEST_CASE("gogo passes buf.ctxt in DX and DI and buf.ret in AX", "[lab-gogo]") {
    landing l = gogo_into_probe();
    REQUIRE(l.sp != 0);
    INFO("DX = buf.ctxt (Go's closure context register)");
    CHECK(l.dx == uintptr_t(wanted().ctxt));
    INFO("DI = buf.ctxt too: gort's first SysV argument, so a new goroutine's function gets its closure");
    CHECK(l.di == uintptr_t(wanted().ctxt));
    INFO("AX = buf.ret: gosave's second return value");
    CHECK(l.ax == wanted().ret);
}

TEST_CASE("gogo clears sp ret ctxt and bp in the gobuf", "[lab-gogo]") {
    landing l = gogo_into_probe();
    REQUIRE(l.sp != 0);
    INFO("as Go's gogo does: a used gobuf is marked empty (sp 0), and holds no stale pointers");
    CHECK(l.after.sp == 0);
    CHECK(l.after.ret == 0);
    CHECK(l.after.ctxt == nullptr);
    CHECK(l.after.bp == 0);
    INFO("pc and g stay as they were");
    CHECK(l.after.pc == uintptr_t(&lab_capture));
    CHECK(l.after.g.ptr() == &fakeg);
}

static inline uintptr_t readbp() {
    uintptr_t bp;
    asm volatile("movq %%rbp, %0" : "=r"(bp));
    return bp;
}

TEST_CASE("the chapter's round trip: gosave returns twice", "[lab-gogo]") {
    gobuf buf{};
    volatile int passes = 0;
    long local = 0x5eed;
    uintptr_t bp = readbp();
    uintptr_t r = gosave(&buf);
    uintptr_t bpafter = readbp();
    passes = passes + 1;
    if (r == 0) {
        buf.ret = 42;
        local = 0x600d;
        gogo(&buf);  // gosave returns again, with 42
    }
    INFO("gogo(&buf) must resume right after the gosave that filled buf, with AX = buf.ret");
    CHECK(r == 42);
    CHECK(passes == 2);
    INFO("and with the caller's frame intact: BP as it was at the gosave (gogo restores "
         "buf.bp), so locals read through BP still read right");
    CHECK(bpafter == bp);
    CHECK(local == 0x600d);
    CHECK(buf.sp == 0);
}

__attribute__((noinline)) static uintptr_t framealign() {
    return uintptr_t(__builtin_frame_address(0)) % 16;
}

TEST_CASE("a new goroutine starts with a SysV-aligned stack", "[lab-gogo]") {
    std::atomic<int> ran{0}, badalign{0};
    for (int i = 0; i < 4; i++)
        gort::go([&] {
            if (framealign() != 0) badalign++;
            ran++;
        });
    while (ran < 4) Gosched();
    INFO("a new goroutine's sched.sp is aligned for a function entry (newproc1 did it): "
         "gogo must JMP there, as is, not CALL");
    CHECK(badalign == 0);
}

TEST_CASE("goroutines take turns: 10000 Gosched round trips", "[lab-gogo]") {
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

TEST_CASE("BP survives a Gosched", "[lab-gogo]") {
    long bad = 0;
    for (int i = 0; i < 50; i++) bad |= sentinel_call(runtime::Gosched, 1000);
    INFO("sentinel bits: 1 RBX, 2 R12, 4 R13, 8 R14, 16 R15, 32 RBP. RBP is gogo's "
         "to restore (the C++ shims have the others spilled)");
    CHECK(bad == 0);
}
