// test_proc.cc — the scheduler on one P: creation, run order, exit, and the
// deadlock and panic reports.
#include <cstdio>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "chan.h"
#include "gorttest.h"

using namespace runtime;
using gorttest::contains;
using gorttest::fatalchild;
using gorttest::startswith;

// Waits (yielding) until all goroutines but the caller have finished.
static void waitothers() {
    while (NumGoroutine() > 1) Gosched();
}

TEST_CASE("go statements run newest first, then FIFO (runnext)", "[proc][order]") {
    gorttest::gomaxprocs one(1);  // the order of one P
    // Go with GOMAXPROCS=1: `go A; go B; go C; Gosched()` runs C, A, B: each
    // new g takes runnext and pushes the previous one to the queue's tail.
    std::string order;
    for (char c : {'A', 'B', 'C'}) gort::go([&order, c] { order += c; });
    Gosched();
    waitothers();
    CHECK(order == "CAB");
}

TEST_CASE("goready puts the readied g in runnext", "[proc][order]") {
    gorttest::gomaxprocs one(1);  // the order of one P
    std::string order;
    std::vector<g*> gs;
    for (char c : {'A', 'B', 'C'}) {
        gort::go([&, c] {
            gs.push_back(getg());
            gopark(nullptr, nullptr, waitReasonSemacquire);
            order += c;
        });
    }
    Gosched();  // all three park (in C, A, B order)
    REQUIRE(gs.size() == 3);
    for (g* gp : gs) REQUIRE(readgstatus(gp) == Gwaiting);
    // Ready them in park order C, A, B: the last readied (B) runs first.
    for (g* gp : gs) goready(gp);
    Gosched();
    waitothers();
    CHECK(order == "BCA");
}

TEST_CASE("Gosched round-robins through the global queue", "[proc][order]") {
    gorttest::gomaxprocs one(1);  // the order of one P
    std::string order;
    for (char c : {'1', '2', '3'}) {
        gort::go([&order, c] {
            for (int i = 0; i < 3; i++) {
                order += c;
                Gosched();
            }
        });
    }
    waitothers();
    CHECK(order == "312312312");
}

TEST_CASE("100,000 goroutines run to completion", "[proc][many]") {
    gorttest::gomaxprocs one(1);  // the order of one P
    constexpr int n = 100000;
    long sum = 0;
    for (int i = 0; i < n; i++) gort::go([&sum, i] { sum += i; });
    CHECK(NumGoroutine() == n + 1);
    waitothers();
    CHECK(sum == long(n) * (n - 1) / 2);
    CHECK(NumGoroutine() == 1);
}

TEST_CASE("created goroutines get increasing ids and a creator", "[proc]") {
    gorttest::gomaxprocs one(1);  // the order of one P
    uint64_t me = getg()->goid, a = 0, b = 0, parent = 0;
    gort::go([&] { a = getg()->goid; parent = getg()->parentGoid; });
    gort::go([&] { b = getg()->goid; });
    waitothers();
    CHECK(b == a + 1);
    CHECK(parent == me);
}

TEST_CASE("Goexit runs destructors and ends only its goroutine", "[proc][goexit]") {
    gorttest::gomaxprocs one(1);  // the order of one P
    struct deferred {
        int* n;
        ~deferred() { (*n)++; }
    };
    int destroyed = 0;
    bool after = false;
    gort::go([&] {
        deferred d{&destroyed};
        Goexit();
        after = true;  // not reached
    });
    waitothers();
    CHECK(destroyed == 1);
    CHECK(!after);
    CHECK(NumGoroutine() == 1);
}

TEST_CASE("dead goroutines are reused, stacks and all", "[proc][gfree]") {
    gorttest::gomaxprocs one(1);  // the order of one P
    g* first = nullptr;
    gort::go([&] { first = getg(); });
    waitothers();
    REQUIRE(readgstatus(first) == Gdead);
    g* second = nullptr;
    gort::go([&] { second = getg(); });
    waitothers();
    CHECK(second == first);  // gfput then gfget: LIFO on the P's free list
}

// ---- fatal reports, checked in child processes ----

GORT_CHILD(deadlock) {
    gort::go([] { gopark(nullptr, nullptr, waitReasonChanSend); });
    gopark(nullptr, nullptr, waitReasonChanReceive);
}

TEST_CASE("deadlock: all goroutines are asleep, each shown with its wait reason", "[proc][fatal]") {
    std::string e = fatalchild("deadlock");
    INFO(e);
    CHECK(startswith(e, "fatal error: all goroutines are asleep - deadlock!\n\n"
                  "goroutine 1 [chan receive]:\n"
                  "gorttest_child_deadlock()\n"));
    CHECK(contains(e, "\n\ngoroutine 2 [chan send]:\n"));
    CHECK(contains(e, "\ncreated by gorttest_child_deadlock in goroutine 1\n\ttest_proc.cc:"));
    CHECK(e.back() == '\n');
}

GORT_CHILD(goexit_main) {
    Goexit();
}

TEST_CASE("Goexit from main with nothing left is Go's deadlock", "[proc][fatal][goexit]") {
    std::string e = fatalchild("goexit_main");
    INFO(e);
    CHECK(e == "fatal error: no goroutines (main called runtime.Goexit) - deadlock!\n");
}

GORT_CHILD(goexit_main_blocked) {
    gort::go([] { gopark(nullptr, nullptr, waitReasonSelectNoCases); });
    Goexit();
}

TEST_CASE("Goexit from main lets the others run, then reports them", "[proc][fatal][goexit]") {
    std::string e = fatalchild("goexit_main_blocked");
    INFO(e);
    CHECK(startswith(e, "fatal error: all goroutines are asleep - deadlock!\n\n"
                  "goroutine 2 [select (no cases)]:\n"));
    CHECK(!contains(e, "goroutine 1 "));
}

GORT_CHILD(panic_exception) {
    gort::go([] { throw std::runtime_error("boom"); });
    gorttest::parkforever();
}

TEST_CASE("an exception escaping a goroutine is an unrecovered panic", "[proc][fatal][panic]") {
    std::string e = fatalchild("panic_exception");
    INFO(e);
    CHECK(startswith(e, "panic: boom\n\ngoroutine 2 [running]:\n"
                  // inlined into goclosure::call or not, as the compiler chose:
                  "gorttest_child_panic_exception()::{lambda()#1}::operator()("));
    CHECK(contains(e, "\n\ttest_proc.cc:"));
    CHECK(contains(e, "\ncreated by gorttest_child_panic_exception in goroutine 1\n"));
    CHECK(!contains(e, "goroutine 1 ["));  // only the panicking one
}

GORT_CHILD(panic_int) {
    throw 42;
}

TEST_CASE("a non-exception panic value prints as Go prints it", "[proc][fatal][panic]") {
    std::string e = fatalchild("panic_int");
    INFO(e);
    CHECK(startswith(e, "panic: 42\n\ngoroutine 1 [running]:\n"));
}

// The store must reach the CPU and fault: UBSan (-fsanitize=null) would
// report it first and the test is about gort's SIGSEGV handler.
__attribute__((noinline, no_sanitize("undefined"))) static void nil_store() {
    volatile int* volatile p = nullptr;  // read back: the compiler cannot drop the store
    *p = 1;
}

GORT_CHILD(nil_deref) {
    gort::go([] { nil_store(); });
    gorttest::parkforever();
}

TEST_CASE("a nil dereference is Go's runtime error panic", "[proc][fatal][signal]") {
    std::string e = fatalchild("nil_deref");
    INFO(e);
    CHECK(startswith(e, "panic: runtime error: invalid memory address or nil pointer dereference\n"
                  "[signal SIGSEGV: segmentation violation code=0x? addr=0x? pc=0x?]\n\n"
                  "goroutine 2 [running]:\n"));
}

GORT_CHILD(ready_running) {
    goready(getg());
}

TEST_CASE("readying a running goroutine is a runtime throw", "[proc][fatal]") {
    std::string e = fatalchild("ready_running");
    INFO(e);
    CHECK(startswith(e, "fatal error: bad g->status in ready\n"));
}

TEST_CASE("GOTRACEBACK=system shows the runtime's frames; none shows no goroutines",
          "[proc][fatal][env]") {
    std::string sys = fatalchild("deadlock", {"GOTRACEBACK=system"});
    INFO(sys);
    CHECK(startswith(sys, "fatal error: all goroutines are asleep - deadlock!\n\nruntime stack:\n"));
    CHECK(contains(sys, "runtime::gopark("));
    CHECK(contains(sys, "runtime::mstart0()"));
    std::string none = fatalchild("deadlock", {"GOTRACEBACK=none"});
    CHECK(none == "fatal error: all goroutines are asleep - deadlock!\n");
}

// ---- GODEBUG=schedrandom: the randomized scheduler (proc_runq.cc) ----

GORT_CHILD(schedorder) {
    // On one P: eight go statements, then each goroutine yields twice. Which
    // goes first depends on runnext, which the randomized scheduler skips at
    // random; Gosched goes through the global queue, which it leaves alone.
    std::string order;
    auto done = gort::make_chan<int>(8);
    for (char c = 'A'; c <= 'H'; c++) {
        gort::go([&order, c, done] {
            for (int i = 0; i < 3; i++) {
                order += c;
                Gosched();
            }
            done.send(0);
        });
    }
    for (int i = 0; i < 8; i++) (void)done.recv();
    std::printf("%s\n", order.c_str());
}

TEST_CASE("GODEBUG=schedrandom randomizes the order, the same for the same seed", "[proc][random]") {
    auto run = [](const char* godebug) {
        auto r = gorttest::runchild("schedorder", {"GOMAXPROCS=1", godebug});
        INFO(godebug << ": " << r.err);
        CHECK(r.status == 0);
        return r.out;
    };
    // Without it, Go's order on one P: the newest g first (runnext), then FIFO.
    CHECK(run("GODEBUG=schedrandom=0") == "HABCDEFGHABCDEFGHABCDEFG\n");
    std::set<std::string> orders;
    for (int seed = 1; seed <= 8; seed++) {
        std::string godebug = "GODEBUG=schedrandom=" + std::to_string(seed);
        std::string a = run(godebug.c_str());
        CHECK(a == run(godebug.c_str()));  // one P: the seed decides the schedule
        CHECK(a.size() == 25);
        orders.insert(a);
    }
    CHECK(orders.size() >= 4);  // 8 seeds, 2^8 ways for runnext to go
}

TEST_CASE("a fatal report under schedrandom ends with the seed", "[proc][random][fatal]") {
    auto r = gorttest::runchild("deadlock", {"GODEBUG=schedrandom=42"});
    INFO(r.err);
    CHECK(r.status == 2);
    CHECK(startswith(r.err, "fatal error: all goroutines are asleep - deadlock!\n"));
    std::string tail = "\nscheduler randomized: GODEBUG=schedrandom=42\n";
    REQUIRE(r.err.size() > tail.size());
    CHECK(r.err.substr(r.err.size() - tail.size()) == tail);  // the report's last line
}
