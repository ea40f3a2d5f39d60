// test_lock.cc — runtime locks and notes (lock_futex.cc) under real threads.
#include <thread>
#include <vector>

#include "gorttest.h"

using namespace runtime;
using gorttest::fatalchild;
using gorttest::startswith;

TEST_CASE("lock excludes: 4 threads, 4 x 200000 increments, none lost", "[lock]") {
    // Plain OS threads (not Ms): they have no g, so lock skips m.locks.
    // Contention sends lockers to sleep, which exercises nsleep, membarrier
    // and the futex wake in unlock.
    static mutex mu;
    static long count = 0;
    std::vector<std::thread> ts;
    for (int t = 0; t < 4; t++)
        ts.emplace_back([] {
            for (int i = 0; i < 200000; i++) {
                lock(&mu);
                count = count + 1;
                unlock(&mu);
            }
        });
    for (auto& t : ts) t.join();
    CHECK(count == 800000);
    CHECK(mu.key == 0);
    CHECK(*locksleep(&mu) == 0);
}

TEST_CASE("lock counts m.locks, so schedule can refuse to run while one is held", "[lock]") {
    static mutex mu;
    int32_t before = getg()->m->locks;
    lock(&mu);
    CHECK(getg()->m->locks == before + 1);
    unlock(&mu);
    CHECK(getg()->m->locks == before);
}

TEST_CASE("a note wakes its sleeper once", "[lock]") {
    static note n;
    noteclear(&n);
    bool woke = false;
    std::thread t([&] {
        notesleep(&n);
        woke = true;
    });
    notewakeup(&n);
    t.join();
    CHECK(woke);
}

GORT_CHILD(unlock_unlocked) {
    static mutex mu;
    unlock(&mu);
}

TEST_CASE("unlocking an unlocked runtime lock is a throw", "[lock][fatal]") {
    std::string e = fatalchild("unlock_unlocked");
    INFO(e);
    CHECK(startswith(e, "fatal error: unlock of unlocked lock\n"));
}
