// test_race.cc — the ThreadSanitizer build (runtime/race.h): TSan still sees
// races through goroutine fibers, and names the goroutine in its report.
// Without TSan there is nothing to check and the tests only run the child.
#include <atomic>
#include <thread>

#include "chan.h"
#include "gorttest.h"

using namespace runtime;
using gorttest::contains;

int racetest_shared;  // not static: the writes must not be optimized away

GORT_CHILD(race_goroutine_thread) {
    // A goroutine and an OS thread write racetest_shared with nothing in between:
    // a data race, whichever writes first.
    std::thread t([] { racetest_shared = 1; });
    // With several Ps the goroutine may run on another M, after goroutine 1
    // has already exited the process: wait until it has written.
    static std::atomic<bool> wrote{false};
    gort::go([] {
        racetest_shared = 2;
        wrote = true;
    });
    while (!wrote) Gosched();
    t.join();
}

TEST_CASE("TSan reports a race between a goroutine and a thread", "[race]") {
    auto r = gorttest::runchild("race_goroutine_thread");
    INFO(r.err);
    if (!raceenabled) {
        CHECK(r.status == 0);
        return;
    }
    CHECK(r.status == 66);  // TSan's exit code after a report
    CHECK(contains(r.err, "WARNING: ThreadSanitizer: data race"));
    CHECK(contains(r.err, "'goroutine 2'"));  // the fiber's name (race.cc, racegogo)
}

GORT_CHILD(norace_channel) {
    // The same writes, ordered by a channel: no report.
    auto done = gort::make_chan<int>();
    gort::go([done] {
        racetest_shared = 2;
        done.send(0);
    });
    (void)done.recv();
    racetest_shared = 3;
}

TEST_CASE("TSan is quiet when a channel orders the accesses", "[race]") {
    auto r = gorttest::runchild("norace_channel");
    INFO(r.err);
    CHECK(r.status == 0);
    CHECK(r.err.empty());
}
