// lab_park.cc — graded tests of lab 3, gopark/goready and the run queue's
// runnext (docs/labs/park.md). Points: test/labs/park/rubric.txt. The run
// queue tests use a P of their own that no M runs, so they are exact.
#include <atomic>
#include <string>
#include <vector>

#include "chan.h"
#include "gorttest.h"

using namespace runtime;
using gorttest::fatalchild;
using gorttest::startswith;

extern "C" long sentinel_call(void (*fn)(), long base);

namespace {

p lonep;   // a P that no M runs: runqput/runqget on it are plain calls
g fakes[4];  // never run: only their addresses go through the queue

void resetp() {
    lonep.runqhead = lonep.runqtail = 0;
    lonep.runnext.store(nullptr);
    for (auto& s : lonep.runq) s.store(nullptr);
}

std::string drain() {
    std::string s;
    bool inherit;
    for (g* gp; (gp = runqget(&lonep, &inherit)) != nullptr;) {
        s += char('a' + (gp - fakes));
        s += inherit ? "+" : "";
        if (s.size() > 20) break;
    }
    return s;
}

void waitothers() {
    while (NumGoroutine() > 1) Gosched();
}

}  // namespace

TEST_CASE("runqput with next puts gp in runnext", "[lab-park]") {
    resetp();
    runqput(&lonep, &fakes[0], true);
    INFO("runqput(pp, gp, true) stores gp in pp->runnext, not in the ring");
    CHECK(lonep.runnext.load() == &fakes[0]);
    CHECK(lonep.runqtail == lonep.runqhead);
    runqput(&lonep, &fakes[1], false);
    INFO("runqput(pp, gp, false) appends to the ring and leaves runnext alone");
    CHECK(lonep.runnext.load() == &fakes[0]);
    CHECK(lonep.runqtail - lonep.runqhead == 1);
}

TEST_CASE("runqput with next kicks the old runnext to the tail", "[lab-park]") {
    resetp();
    runqput(&lonep, &fakes[0], false);
    runqput(&lonep, &fakes[1], true);
    runqput(&lonep, &fakes[2], true);
    INFO("the g that was in runnext is not dropped: it goes to the tail of the ring "
         "(losing it is the classic mistake: that goroutine never runs again)");
    CHECK(lonep.runnext.load() == &fakes[2]);
    REQUIRE(lonep.runqtail - lonep.runqhead == 2);
    CHECK(lonep.runq[lonep.runqhead % 256].load() == &fakes[0]);
    CHECK(lonep.runq[(lonep.runqhead + 1) % 256].load() == &fakes[1]);
}

TEST_CASE("runqget takes runnext first and it inherits the time slice", "[lab-park]") {
    resetp();
    runqput(&lonep, &fakes[0], false);
    runqput(&lonep, &fakes[1], false);
    runqput(&lonep, &fakes[2], true);
    INFO("c came from runnext: first, with *inheritTime true; then the ring in order "
         "(a+ would mean a ring g inherited the time slice)");
    CHECK(drain() == "c+ab");
    CHECK(lonep.runnext.load() == nullptr);
}

TEST_CASE("go statements run newest first then in order", "[lab-park]") {
    gorttest::gomaxprocs one(1);
    std::string order;
    for (char c : {'A', 'B', 'C', 'D'}) gort::go([&order, c] { order += c; });
    Gosched();
    waitothers();
    INFO("newproc readies each new g with runqput(pp, newg, true): D in runnext, "
         "A B C kicked to the ring in turn");
    CHECK(order == "DABC");
}

TEST_CASE("no goroutine is lost: 1000 go statements all run", "[lab-park]") {
    gorttest::gomaxprocs one(1);
    std::atomic<int> ran{0};
    for (int i = 0; i < 1000; i++) gort::go([&] { ran++; });
    waitothers();
    CHECK(ran == 1000);
}

TEST_CASE("a parked goroutine waits with its reason and without an M", "[lab-park]") {
    gorttest::gomaxprocs one(1);
    g* parked = nullptr;
    bool resumed = false;
    gort::go([&] {
        parked = getg();
        gopark(nullptr, nullptr, waitReasonChanReceive);
        resumed = true;
    });
    Gosched();  // it runs and parks
    REQUIRE(parked != nullptr);
    INFO("gopark records the wait reason; park_m makes the g Gwaiting and drops it from its M");
    CHECK(readgstatus(parked) == Gwaiting);
    CHECK(parked->waitreason == waitReasonChanReceive);
    CHECK(parked->m == nullptr);
    CHECK(!resumed);
    goready(parked);
    waitothers();
    INFO("goready(gp) makes it run again, right after gopark");
    CHECK(resumed);
}

namespace {
struct unlockseen {
    bool called;
    g* gp;
    void* lock;
    bool ong0;
    uint32_t status;
    m* gpm;
} us;
bool lab_unlockf(g* gp, void* lock) {
    us.called = true;
    us.gp = gp;
    us.lock = lock;
    us.ong0 = getg() == getg()->m->g0;
    us.status = readgstatus(gp);
    us.gpm = gp->m;
    return true;
}
}  // namespace

TEST_CASE("unlockf runs on g0 once the goroutine is Gwaiting", "[lab-park]") {
    gorttest::gomaxprocs one(1);
    us = {};
    int lockword = 0;
    g* parked = nullptr;
    gort::go([&] {
        parked = getg();
        gopark(lab_unlockf, &lockword, waitReasonSemacquire);
    });
    Gosched();
    REQUIRE(parked != nullptr);
    INFO("park_m calls m.waitunlockf(gp, m.waitlock) on g0, after gp is Gwaiting and "
         "dropped: from then on a waker may ready gp, so the lock may go");
    CHECK(us.called);
    CHECK(us.gp == parked);
    CHECK(us.lock == &lockword);
    CHECK(us.ong0);
    CHECK(us.status == Gwaiting);
    CHECK(us.gpm == nullptr);
    goready(parked);
    waitothers();
}

TEST_CASE("unlockf returning false resumes the goroutine at once", "[lab-park]") {
    gorttest::gomaxprocs one(1);
    bool back = false;
    uint32_t status = 0;
    bool cleared = false;
    gort::go([&] {
        gopark(+[](g*, void*) { return false; }, nullptr, waitReasonSemacquire);
        back = true;
        status = readgstatus(getg());
        cleared = getg()->m->waitunlockf == nullptr && getg()->m->waitlock == nullptr;
    });
    Gosched();
    waitothers();
    INFO("unlockf said no: park_m puts gp back to Grunnable and executes it (no goready needed)");
    CHECK(back);
    CHECK(status == Grunning);
    INFO("and m.waitunlockf and m.waitlock are cleared once used");
    CHECK(cleared);
}

TEST_CASE("goready puts the readied goroutine in runnext", "[lab-park]") {
    gorttest::gomaxprocs one(1);
    std::string order;
    std::vector<g*> gs;
    for (char c : {'A', 'B', 'C'}) {
        gort::go([&, c] {
            gs.push_back(getg());
            gopark(nullptr, nullptr, waitReasonSemacquire);
            order += c;
        });
    }
    Gosched();  // they park, in C A B order
    REQUIRE(gs.size() == 3);
    gort::go([&] { order += 'x'; });  // queued behind them
    for (g* gp : gs) goready(gp);
    Gosched();
    waitothers();
    INFO("ready(gp, true) puts each in runnext, kicking the one before to the ring: "
         "B (readied last) runs first");
    CHECK(order == "BxCA");
}

GORT_CHILD(lab_ready_running) {
    goready(getg());
}

TEST_CASE("readying a goroutine that is not waiting throws", "[lab-park]") {
    std::string e = fatalchild("lab_ready_running");
    INFO("ready checks the status first: only a Gwaiting g can be readied\n" << e);
    CHECK(startswith(e, "fatal error: bad g->status in ready\n"));
}

TEST_CASE("a channel ping-pong parks and readies 10000 times", "[lab-park]") {
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

static g* parkedg;
static void parkme() {
    parkedg = getg();
    gopark(nullptr, nullptr, waitReasonChanReceive);
}

TEST_CASE("callee-saved registers survive gopark and goready on any P", "[lab-park]") {
    long bad = -1;
    std::atomic<bool> done{false};
    gort::go([&] {
        bad = sentinel_call(parkme, 0x5000);
        done = true;
    });
    while (__atomic_load_n(&parkedg, __ATOMIC_ACQUIRE) == nullptr ||
           readgstatus(parkedg) != Gwaiting)
        Gosched();
    goready(parkedg);
    while (!done) Gosched();
    CHECK(bad == 0);
}
