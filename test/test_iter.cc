// test_iter.cc — iter.Pull and iter.Pull2, ported from Go 1.23's
// src/iter/pull_test.go (same test names), plus coro.cc's own checks.
#include <atomic>
#include <string>

#include "gorttest.h"
#include "iter.h"

using namespace runtime;
using gorttest::fatalchild;
using gorttest::startswith;

static iter::Seq<int> count(int n) {
    return [n](const std::function<bool(int)>& yield) {
        for (int i = 0; i < n; i++)
            if (!yield(i)) break;
    };
}

static iter::Seq2<int, int64_t> squares(int n) {
    return [n](const std::function<bool(int, int64_t)>& yield) {
        for (int i = 0; i < n; i++)
            if (!yield(i, int64_t(i) * i)) break;
    };
}

TEST_CASE("TestPull", "[iter]") {
    for (int end = 0; end <= 3; end++) {
        DYNAMIC_SECTION("end=" << end) {
            int ng = NumGoroutine();
            auto wantNG = [&](int want) { CHECK(NumGoroutine() - ng == want); };
            wantNG(0);
            auto [next, stop] = iter::Pull(count(3));
            wantNG(1);
            for (int i = 0; i < end; i++) {
                auto [v, ok] = next();
                CHECK(v == i);
                CHECK(ok);
                wantNG(1);
            }
            wantNG(1);
            if (end < 3) {
                stop();
                wantNG(0);
            }
            for (int k = 0; k < 2; k++) {
                auto [v, ok] = next();
                CHECK(v == 0);
                CHECK(!ok);
                wantNG(0);
            }
            wantNG(0);
            stop();
            stop();
            stop();
            wantNG(0);
        }
    }
}

TEST_CASE("TestPull2", "[iter]") {
    for (int end = 0; end <= 3; end++) {
        DYNAMIC_SECTION("end=" << end) {
            int ng = NumGoroutine();
            auto wantNG = [&](int want) { CHECK(NumGoroutine() - ng == want); };
            wantNG(0);
            auto [next, stop] = iter::Pull2(squares(3));
            wantNG(1);
            for (int i = 0; i < end; i++) {
                auto [k, v, ok] = next();
                CHECK(k == i);
                CHECK(v == int64_t(i) * i);
                CHECK(ok);
                wantNG(1);
            }
            wantNG(1);
            if (end < 3) {
                stop();
                wantNG(0);
            }
            for (int n = 0; n < 2; n++) {
                auto [k, v, ok] = next();
                CHECK(k == 0);
                CHECK(v == 0);
                CHECK(!ok);
                wantNG(0);
            }
            wantNG(0);
            stop();
            stop();
            stop();
            wantNG(0);
        }
    }
}

static std::function<std::pair<int, bool>()> nextSlot;

TEST_CASE("TestPullDoubleNext", "[iter]") {
    // The sequence calls next itself: next is already waiting for a yield.
    iter::Seq<int> doDoubleNext = [](const std::function<bool(int)>&) {
        try {
            nextSlot();
        } catch (const iter::PullError& e) {
            CHECK(std::string(e.what()) == "iter.Pull: next called again before yield");
            nextSlot = nullptr;
        }
    };
    auto [next, stop] = iter::Pull(doDoubleNext);
    nextSlot = next;
    next();
    CHECK(nextSlot == nullptr);  // "double next did not fail"
}

static std::function<std::tuple<int, int, bool>()> nextSlot2;

TEST_CASE("TestPullDoubleNext2", "[iter]") {
    iter::Seq2<int, int> doDoubleNext2 = [](const std::function<bool(int, int)>&) {
        try {
            nextSlot2();
        } catch (const iter::PullError&) {
            nextSlot2 = nullptr;
        }
    };
    auto [next, stop] = iter::Pull2(doDoubleNext2);
    nextSlot2 = next;
    next();
    CHECK(nextSlot2 == nullptr);
}

static std::function<bool(int)> yieldSlot;

TEST_CASE("TestPullDoubleYield", "[iter]") {
    // Go's version calls yieldSlot before the sequence has started, so it
    // panics on a nil func; here too (std::bad_function_call). The case of a
    // real yield called with no next waiting is TestPullYieldOutside below.
    iter::Seq<int> storeYield = [](const std::function<bool(int)>& yield) {
        yieldSlot = yield;
        if (!yield(5)) return;
    };
    auto [next, stop] = iter::Pull(storeYield);
    try {
        yieldSlot(5);
    } catch (...) {
        yieldSlot = nullptr;
    }
    stop();
    CHECK(yieldSlot == nullptr);  // "double yield did not fail"
}

TEST_CASE("TestPullYieldOutside", "[iter]") {
    // gort's own: yield called from outside the sequence while it is blocked
    // in yield (no next waiting) panics with Go's message.
    const std::function<bool(int)>* saved = nullptr;
    iter::Seq<int> seq = [&saved](const std::function<bool(int)>& yield) {
        saved = &yield;
        while (yield(1)) {
        }
    };
    auto [next, stop] = iter::Pull(seq);
    auto [v, ok] = next();
    REQUIRE(ok);
    REQUIRE(saved != nullptr);
    std::string msg;
    try {
        (*saved)(2);
    } catch (const iter::PullError& e) {
        msg = e.what();
    }
    CHECK(msg == "iter.Pull: yield called again before next");
    stop();
}

static std::function<bool(int, int)> yieldSlot2;

TEST_CASE("TestPullDoubleYield2", "[iter]") {
    iter::Seq2<int, int> storeYield2 = [](const std::function<bool(int, int)>& yield) {
        yieldSlot2 = yield;
        if (!yield(23, 77)) return;
    };
    auto [next, stop] = iter::Pull2(storeYield2);
    try {
        yieldSlot2(23, 77);
    } catch (...) {
        yieldSlot2 = nullptr;
    }
    stop();
    CHECK(yieldSlot2 == nullptr);  // "double yield did not fail"
}

static bool panicsWith(const std::string& want, const std::function<void()>& f) {
    try {
        f();
    } catch (const std::runtime_error& e) {
        return e.what() == want;
    }
    return false;
}

static iter::Seq<int> panicSeq() {
    return [](const std::function<bool(int)>&) { throw std::runtime_error("boom"); };
}

static iter::Seq<int> panicCleanupSeq() {
    return [](const std::function<bool(int)>& yield) {
        for (;;)
            if (!yield(55)) throw std::runtime_error("boom");
    };
}

TEST_CASE("TestPullPanic", "[iter]") {
    SECTION("next") {
        auto [next, stop] = iter::Pull(panicSeq());
        CHECK(panicsWith("boom", [&] { next(); }));  // "failed to propagate panic on first next"
        auto [v, ok] = next();
        CHECK(!ok);  // "next returned true after iterator panicked"
        stop();      // Calling stop again should be a no-op.
    }
    SECTION("stop") {
        auto [next, stop] = iter::Pull(panicCleanupSeq());
        auto [x, ok] = next();
        CHECK(ok);
        CHECK(x == 55);
        CHECK(panicsWith("boom", [&] { stop(); }));  // "failed to propagate panic on stop"
        auto [y, ok2] = next();
        CHECK(!ok2);
        stop();
    }
}

TEST_CASE("TestPull2Panic", "[iter]") {
    SECTION("next") {
        iter::Seq2<int, int> panicSeq2 = [](const std::function<bool(int, int)>&) {
            throw std::runtime_error("boom");
        };
        auto [next, stop] = iter::Pull2(panicSeq2);
        CHECK(panicsWith("boom", [&] { next(); }));
        auto [k, v, ok] = next();
        CHECK(!ok);
        stop();
    }
    SECTION("stop") {
        iter::Seq2<int, int> panicCleanupSeq2 = [](const std::function<bool(int, int)>& yield) {
            for (;;)
                if (!yield(55, 100)) throw std::runtime_error("boom");
        };
        auto [next, stop] = iter::Pull2(panicCleanupSeq2);
        auto [x, y, ok] = next();
        CHECK(ok);
        CHECK(x == 55);
        CHECK(y == 100);
        CHECK(panicsWith("boom", [&] { stop(); }));
        auto [x2, y2, ok2] = next();
        CHECK(!ok2);
        stop();
    }
}

TEST_CASE("the sequence's exception reaches the caller unchanged", "[iter]") {
    struct custom {
        int code;
    };
    iter::Seq<int> seq = [](const std::function<bool(int)>&) { throw custom{7}; };
    auto [next, stop] = iter::Pull(seq);
    int code = 0;
    try {
        next();
    } catch (const custom& c) {
        code = c.code;
    }
    CHECK(code == 7);
}

// Go's goexits(t, f): runs f in a new goroutine, reports whether it Goexited.
static bool goexits(const std::function<void()>& f) {
    bool cleanExit = false, exited = false;
    std::atomic<bool> done{false};  // f may run on another M
    gort::go([&] {
        struct onexit {
            std::atomic<bool>* e;
            ~onexit() { *e = true; }
        } guard{&done};
        f();
        cleanExit = true;
    });
    while (!done) Gosched();
    exited = !cleanExit;
    return exited;
}

static iter::Seq<int> goexitSeq() {
    return [](const std::function<bool(int)>&) { Goexit(); };
}

static iter::Seq<int> goexitCleanupSeq() {
    return [](const std::function<bool(int)>& yield) {
        for (;;)
            if (!yield(55)) Goexit();
    };
}

TEST_CASE("TestPullGoexit", "[iter][goexit]") {
    SECTION("next") {
        std::function<std::pair<int, bool>()> next;
        std::function<void()> stop;
        CHECK(goexits([&] {
            std::tie(next, stop) = iter::Pull(goexitSeq());
            next();
        }));  // "failed to Goexit from next"
        auto [x, ok] = next();
        CHECK(x == 0);
        CHECK(!ok);
        stop();
    }
    SECTION("stop") {
        auto [next, stop] = iter::Pull(goexitCleanupSeq());
        auto [x, ok] = next();
        CHECK(ok);
        CHECK(x == 55);
        CHECK(goexits([&] { stop(); }));  // "failed to Goexit from stop"
        auto [y, ok2] = next();
        CHECK(y == 0);
        CHECK(!ok2);
        stop();
    }
}

TEST_CASE("TestPull2Goexit", "[iter][goexit]") {
    SECTION("next") {
        iter::Seq2<int, int> goexitSeq2 = [](const std::function<bool(int, int)>&) { Goexit(); };
        std::function<std::tuple<int, int, bool>()> next;
        std::function<void()> stop;
        CHECK(goexits([&] {
            std::tie(next, stop) = iter::Pull2(goexitSeq2);
            next();
        }));  // "failed to Goexit from next"
        auto [k, v, ok] = next();
        CHECK(k == 0);
        CHECK(v == 0);
        CHECK(!ok);
        stop();
    }
    SECTION("stop") {
        iter::Seq2<int, int> goexitCleanupSeq2 = [](const std::function<bool(int, int)>& yield) {
            for (;;)
                if (!yield(55, 100)) Goexit();
        };
        auto [next, stop] = iter::Pull2(goexitCleanupSeq2);
        auto [x, y, ok] = next();
        CHECK(ok);
        CHECK(x == 55);
        CHECK(y == 100);
        CHECK(goexits([&] { stop(); }));  // "failed to Goexit from stop"
        auto [x2, y2, ok2] = next();
        CHECK(!ok2);
        stop();
    }
}

TEST_CASE("TestPullImmediateStop", "[iter]") {
    auto [next, stop] = iter::Pull(panicSeq());
    stop();
    // Make sure we don't panic if we try to call next or stop.
    auto [v, ok] = next();
    CHECK(!ok);
}

TEST_CASE("TestPull2ImmediateStop", "[iter]") {
    iter::Seq2<int, int> panicSeq2 = [](const std::function<bool(int, int)>&) {
        throw std::runtime_error("boom");
    };
    auto [next, stop] = iter::Pull2(panicSeq2);
    stop();
    auto [k, v, ok] = next();
    CHECK(!ok);
}

TEST_CASE("dropping next and stop stops the sequence (gort: no leaked goroutine)", "[iter]") {
    int ng = NumGoroutine();
    bool cleaned = false;
    {
        iter::Seq<int> seq = [&cleaned](const std::function<bool(int)>& yield) {
            struct cleanup {
                bool* c;
                ~cleanup() { *c = true; }
            } guard{&cleaned};
            for (int i = 0; yield(i); i++) {
            }
        };
        auto [next, stop] = iter::Pull(seq);
        next();
        CHECK(NumGoroutine() == ng + 1);
    }
    CHECK(cleaned);
    CHECK(NumGoroutine() == ng);
}

// ---- coro.cc directly ----

TEST_CASE("coroswitch trades places with the goroutine blocked in the coro", "[iter][coro]") {
    struct body : corofunc {
        std::string* log;
    } b;
    std::string log;
    b.log = &log;
    b.fn = [](corofunc* self, coro* c) {
        auto* me = static_cast<body*>(self);
        *me->log += "a";
        coroswitch(c);  // back to the creator
        *me->log += "b";
    };
    coro* c = newcoro(&b);
    g* cg = c->gp.ptr();
    CHECK(readgstatus(cg) == Gwaiting);
    CHECK(cg->waitreason == waitReasonCoroutine);
    coroswitch(c);  // runs until its coroswitch
    CHECK(log == "a");
    CHECK(c->gp.ptr() == cg);
    CHECK(readgstatus(cg) == Gwaiting);
    coroswitch(c);  // runs to the end: coroexit releases us
    CHECK(log == "ab");
    CHECK(c->gp.ptr() == nullptr);  // spent
    CHECK(readgstatus(cg) == Gdead);
    delete c;
}

GORT_CHILD(coroswitch_exited) {
    struct body : corofunc {
    } b;
    b.fn = [](corofunc*, coro*) {};
    coro* c = newcoro(&b);
    coroswitch(c);  // runs f, which returns: the coro is spent
    coroswitch(c);
}

TEST_CASE("coroswitch on an exited coro is Go's throw", "[iter][coro][fatal]") {
    std::string e = fatalchild("coroswitch_exited");
    INFO(e);
    CHECK(startswith(e, "fatal error: coroswitch on exited coro\n"));
}

GORT_CHILD(pull_misuse_uncaught) {
    std::function<std::pair<int, bool>()> self;
    iter::Seq<int> seq = [&self](const std::function<bool(int)>&) { self(); };
    auto [next, stop] = iter::Pull(seq);
    self = next;
    next();
}

TEST_CASE("an uncaught iter.Pull misuse is Go's panic message", "[iter][fatal]") {
    std::string e = fatalchild("pull_misuse_uncaught");
    INFO(e);
    CHECK(startswith(e, "panic: iter.Pull: next called again before yield\n\ngoroutine 1 [running]:\n"));
}

// Go 1.23's coro lock rules (runtime/coro_test.go, TestCoroLockOSThread*):
// a Pull made on a locked goroutine runs its sequence on that same thread,
// and the lock is handed to the coroutine's goroutine and back.
TEST_CASE("TestCoroLockOSThreadIterLock: a locked caller's sequence runs on its thread", "[iter][coro][lock]") {
    LockOSThread();
    m* mine = getg()->m;
    bool sameM = true, locked = true;
    iter::Seq<int> seq = [&](const std::function<bool(int)>& yield) {
        for (int i = 0; i < 5; i++) {
            sameM &= getg()->m == mine;
            locked &= getg()->lockedm == mine && mine->lockedg == getg();
            if (!yield(i)) return;
        }
    };
    auto [next, stop] = iter::Pull(seq);
    int sum = 0;
    for (;;) {
        auto [v, ok] = next();
        if (!ok) break;
        sum += v;
        Gosched();  // a locked g comes back to its own M
    }
    CHECK(sum == 10);
    CHECK(sameM);
    CHECK(locked);
    CHECK(getg()->lockedm == mine);  // the lock came back with the last switch
    UnlockOSThread();
    CHECK(getg()->lockedm == nullptr);
}

GORT_CHILD(coro_lock_mismatch) {
    LockOSThread();
    auto [next, stop] = iter::Pull(count(3));
    UnlockOSThread();
    next();  // locking no longer matches newcoro's
}

TEST_CASE("TestCoroLockOSThreadIterLockMismatch: Go's throw", "[iter][coro][lock][fatal]") {
    std::string e = fatalchild("coro_lock_mismatch");
    INFO(e);
    CHECK(gorttest::contains(e, "coro: got lock external 0, want 1\n"
                                "fatal error: coro: OS thread locking must match locking at coroutine creation\n"));
}

TEST_CASE("Pull's next from goroutines that move between Ms", "[iter][coro][mp]") {
    gorttest::gomaxprocs two(2);
    std::atomic<bool> stop{false};
    gort::go([&] {
        while (!stop.load()) Gosched();
    });
    auto [next, stopPull] = iter::Pull(count(1 << 30));
    int want = 0, bad = 0;
    for (; want < 20000; want++) {
        auto [v, ok] = next();
        if (!ok || v != want) bad++;
        if (want % 16 == 0) Gosched();  // may resume on the other M
    }
    stopPull();
    stop = true;
    CHECK(bad == 0);
    while (NumGoroutine() > 1) Gosched();
}
