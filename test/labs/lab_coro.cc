// lab_coro.cc — graded tests of lab 4, coroswitch_m (docs/labs/coro.md).
// Points: test/labs/coro/rubric.txt. iter::Pull (runtime/iter.h) is built on
// newcoro/coroswitch/coroexit; the student writes only coroswitch_m's core.
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "gorttest.h"
#include "iter.h"

using namespace runtime;
using gorttest::contains;
using gorttest::fatalchild;
using gorttest::startswith;

namespace {

iter::Seq<int> count(int n) {
    return [n](const std::function<bool(int)>& yield) {
        for (int i = 0; i < n; i++)
            if (!yield(i)) break;
    };
}

// What the coro's goroutine sees of the switch that started it.
struct inside_t {
    bool ran;
    g* self;
    m* selfm;
    g* curg;
    uint32_t selfstatus;
    uint32_t callerstatus;
    waitReason callerreason;
    m* callerm;
    g* incoro;  // c->gp: who waits in the coro now
} in;

struct body : corofunc {
    g* caller;
};

}  // namespace

TEST_CASE("coroswitch runs the goroutine that waits in the coro", "[lab-coro]") {
    body b;
    b.caller = getg();
    in = {};
    b.fn = [](corofunc* self, coro* c) {
        in.ran = true;
        in.self = getg();
        in.incoro = c->gp.ptr();
        (void)self;
        coroswitch(c);
    };
    coro* c = newcoro(&b);
    g* cg = c->gp.ptr();
    coroswitch(c);
    INFO("coroswitch_m swaps gp into c->gp and runs the g that was there (gnext)");
    REQUIRE(in.ran);
    CHECK(in.self == cg);
    INFO("while gnext runs, the caller is the one that waits in c->gp");
    CHECK(in.incoro == b.caller);
    CHECK(c->gp.ptr() == cg);
    coroswitch(c);  // let it finish
    CHECK(c->gp.ptr() == nullptr);
    delete c;
}

TEST_CASE("the goroutine that switches away waits in state coroutine without an M", "[lab-coro]") {
    body b;
    b.caller = getg();
    in = {};
    b.fn = [](corofunc* self, coro* c) {
        g* caller = static_cast<body*>(self)->caller;
        in.ran = true;
        in.callerstatus = readgstatus(caller);
        in.callerreason = caller->waitreason;
        in.callerm = caller->m;
        coroswitch(c);
    };
    coro* c = newcoro(&b);
    coroswitch(c);
    REQUIRE(in.ran);
    INFO("gp: Grunning -> Gwaiting (casfast), waitreason coroutine, gp.m = nil");
    CHECK(in.callerstatus == Gwaiting);
    CHECK(in.callerreason == waitReasonCoroutine);
    CHECK(in.callerm == nullptr);
    coroswitch(c);
    delete c;
}

TEST_CASE("the goroutine switched to runs on this M as its curg", "[lab-coro]") {
    body b;
    b.caller = getg();
    in = {};
    m* mine = getg()->m;
    b.fn = [](corofunc*, coro* c) {
        in.ran = true;
        in.self = getg();
        in.selfm = getg()->m;
        in.curg = getg()->m->curg;
        in.selfstatus = readgstatus(getg());
        coroswitch(c);
    };
    coro* c = newcoro(&b);
    coroswitch(c);
    REQUIRE(in.ran);
    INFO("gnext: Gwaiting -> Grunning, gnext.m = mp, mp.curg = gnext: no scheduler, same M");
    CHECK(in.selfstatus == Grunning);
    CHECK(in.selfm == mine);
    CHECK(in.curg == in.self);
    INFO("and back: the caller is running again on its M");
    CHECK(readgstatus(getg()) == Grunning);
    CHECK(getg()->m->curg == getg());
    coroswitch(c);
    delete c;
}

TEST_CASE("a coro that returns ends its goroutine", "[lab-coro]") {
    int ng = NumGoroutine();
    body b;
    b.fn = [](corofunc*, coro*) {};
    coro* c = newcoro(&b);
    g* cg = c->gp.ptr();
    CHECK(NumGoroutine() == ng + 1);
    coroswitch(c);  // f returns: coroexit switches back to us
    INFO("coroexit: with exit set, coroswitch_m destroys gp (gdestroy) instead of parking it");
    CHECK(readgstatus(cg) == Gdead);
    CHECK(c->gp.ptr() == nullptr);
    CHECK(NumGoroutine() == ng);
    delete c;
}

GORT_CHILD(lab_coroswitch_exited) {
    body b;
    b.fn = [](corofunc*, coro*) {};
    coro* c = newcoro(&b);
    coroswitch(c);
    coroswitch(c);
}

TEST_CASE("coroswitch on an exited coro throws", "[lab-coro]") {
    std::string e = fatalchild("lab_coroswitch_exited");
    INFO("c->gp is nil once the coro's goroutine has exited: throw, do not gogo(nil)\n" << e);
    CHECK(startswith(e, "fatal error: coroswitch on exited coro\n"));
}

GORT_CHILD(lab_coroswitch_self) {
    body b;
    b.fn = [](corofunc*, coro*) {};
    coro* c = newcoro(&b);
    c->gp.set(getg());  // as if we were the one waiting in it
    coroswitch(c);
}

TEST_CASE("coroswitch of a goroutine to itself throws", "[lab-coro]") {
    std::string e = fatalchild("lab_coroswitch_self");
    INFO("go1.23's check: gnext == gp would break the switch\n" << e);
    CHECK(startswith(e, "fatal error: coroswitch of a goroutine to itself\n"));
}

TEST_CASE("Pull: next yields the values in order then stop ends it", "[lab-coro]") {
    int ng = NumGoroutine();
    auto [next, stop] = iter::Pull(count(5));
    for (int i = 0; i < 3; i++) {
        auto [v, ok] = next();
        CHECK(v == i);
        CHECK(ok);
    }
    stop();
    auto [v, ok] = next();
    CHECK(!ok);
    CHECK(NumGoroutine() == ng);
}

TEST_CASE("Pull: a sequence's exception reaches next's caller", "[lab-coro]") {
    int ng = NumGoroutine();
    iter::Seq<int> seq = [](const std::function<bool(int)>& yield) {
        yield(1);
        throw std::runtime_error("boom");
    };
    auto [next, stop] = iter::Pull(seq);
    CHECK(next().first == 1);
    CHECK_THROWS_WITH(next(), "boom");
    CHECK(NumGoroutine() == ng);
}

TEST_CASE("Pull: 100000 values through one coro", "[lab-coro]") {
    auto [next, stop] = iter::Pull(count(100000));
    long sum = 0, n = 0;
    for (;;) {
        auto [v, ok] = next();
        if (!ok) break;
        sum += v;
        n++;
    }
    CHECK(n == 100000);
    CHECK(sum == 100000L * 99999 / 2);
}

TEST_CASE("Pull: next from goroutines that move between Ms", "[lab-coro]") {
    gorttest::gomaxprocs two(2);
    std::atomic<bool> stop{false};
    gort::go([&] {
        while (!stop.load()) Gosched();
    });
    auto [next, stopPull] = iter::Pull(count(1 << 30));
    int bad = 0;
    for (int want = 0; want < 20000; want++) {
        auto [v, ok] = next();
        if (!ok || v != want) bad++;
        if (want % 16 == 0) Gosched();  // may resume on the other M
    }
    stopPull();
    stop = true;
    INFO("the switch must leave gp's and gnext's m and status right wherever they run");
    CHECK(bad == 0);
    while (NumGoroutine() > 1) Gosched();
}

// gdb watches c->gp from here on (test/labs/casorder.py).
extern "C" [[gnu::noinline]] void lab_coro_watch_here(guintptr* slot) {
    asm volatile("" : : "r"(slot) : "memory");
}

GORT_CHILD(lab_coro_casorder) {
    body b;
    b.fn = [](corofunc*, coro* c) {
        for (int i = 0; i < 3; i++) coroswitch(c);
    };
    coro* c = newcoro(&b);
    lab_coro_watch_here(&c->gp);
    for (int i = 0; i < 4; i++) coroswitch(c);  // the 4th runs b.fn to its end
}

TEST_CASE("a goroutine is Gwaiting before it is published in c.gp", "[lab-coro]") {
    // The order of the three CAS is invisible from inside the two goroutines,
    // so gdb looks: a hardware watchpoint on c->gp stops at each write, and
    // the g written there must already be Gwaiting.
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    REQUIRE(n > 0);
    exe[n] = 0;
    std::string cmd = std::string("GORT_TEST_CHILD=lab_coro_casorder GOMAXPROCS=1 gdb -nx -batch -x '") +
                      LAB_SRCDIR "/casorder.py' --args '" + exe + "' 2>&1";
    FILE* f = popen(cmd.c_str(), "r");
    REQUIRE(f != nullptr);
    std::string out;
    char buf[4096];
    for (size_t k; (k = fread(buf, 1, sizeof buf, f)) > 0;) out.append(buf, k);
    pclose(f);
    INFO("gdb said:\n" << out);
    REQUIRE(contains(out, "CASORDER summary: switches="));
    int writes = -1, bad = -1;
    std::sscanf(out.c_str() + out.find("CASORDER summary:"), "CASORDER summary: switches=%*d writes=%d bad=%d", &writes,
                &bad);
    INFO("c->gp is written 8 times: 4 switches in, 3 back, and the exit");
    CHECK(writes == 8);
    INFO("CAS 1 (gp Grunning -> Gwaiting) must come before CAS 2 puts gp in c->gp: a g that "
         "can be taken out of c->gp must be one that can be CASed Gwaiting -> Grunning");
    CHECK(bad == 0);
}
