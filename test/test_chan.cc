// test_chan.cc — channels and select (chan.h), and package sync's Mutex,
// WaitGroup and Once with time.Sleep (sync.h).
//
// Ported from Go 1.22's src/runtime/chan_test.go and src/sync/{mutex,
// waitgroup,once}_test.go (TEST_CASE names are the Go test names), plus
// gort's own checks: panics caught in-process, move-only elements, a long
// pipeline, and the fatal reports (deadlock dumps, unrecovered panics, sync
// fatals) checked in child processes against the shapes of Go's output in
// test/golden/go1.22-diagnostics.txt.
//
// Not ported (N/A to gort):
//   TestChanSendInterface          — Go interface conversion in a select send
//   TestShrinkStackDuringBlockedSend, TestNoShrinkStackWhileParking,
//   TestSelectStackAdjust          — gort's stacks never move or shrink (no GC)
//   Benchmark*                     — see test/bench
//
// gort never preempts, so on one P the Go tests' races become fixed
// interleavings; where a Go test relies on parallelism to interleave, the
// ports add Gosched at the interesting points. The suite runs on one P, on
// one per CPU and on 4 (meson suite gomaxprocs): every test holds on each.
// Assertions run on goroutine 1 (Catch2 is not goroutine-aware: a REQUIRE
// that throws in another goroutine would be an unrecovered panic); other
// goroutines record what they saw. Every test waits for the goroutines it
// started, so none is left behind for the next test (test_proc's waitothers).
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "chan.h"
#include "gorttest.h"
#include "sync.h"

using namespace std::chrono_literals;
using gorttest::contains;
using gorttest::fatalchild;
using gorttest::startswith;
using runtime::Gosched;
using runtime::NumGoroutine;

namespace {

/// Waits (yielding) until only `base` goroutines are left; fails after 10 s
/// instead of hanging the whole test program.
void waitothers(int base) {
    int64_t deadline = runtime::nanotime() + 10'000'000'000;
    while (NumGoroutine() > base) {
        if (runtime::nanotime() > deadline) {
            FAIL_CHECK("goroutines still running after 10 s: " << NumGoroutine() - base);
            return;
        }
        Gosched();
    }
}

/// Runs f and returns the message of the runtime panic (plainError) it threw,
/// or "(no panic)". Any other exception escapes to Catch2 (a failure).
template <class F>
std::string panicmsg(F&& f) {
    try {
        f();
    } catch (const runtime::plainError& e) {
        return e.what();
    }
    return "(no panic)";
}

/// Counts the positions of a string in another.
int count(const std::string& s, const std::string& part) {
    int n = 0;
    for (size_t i = s.find(part); i != std::string::npos; i = s.find(part, i + 1)) n++;
    return n;
}

}  // namespace

// ---- src/runtime/chan_test.go ----

TEST_CASE("TestChan", "[chan]") {
    const int base = NumGoroutine();
    constexpr int N = 200;  // Go: 200 (20 with -short)
    int failures = 0;       // counted, so a broken runtime reports a few lines, not 200 x 10
    auto expect = [&](bool ok, int chanCap, const char* what) {
        if (!ok && failures++ < 10) FAIL_CHECK("chan[" << chanCap << "]: " << what);
    };
    for (int chanCap = 0; chanCap < N; chanCap++) {
        {
            // Ensure that receive from empty chan blocks.
            auto c = gort::make_chan<int>(chanCap);
            std::atomic<bool> recv1{false}, recv2{false};  // they may run on other Ms
            gort::go([c, &recv1] {
                (void)c.recv();
                recv1 = true;
            });
            gort::go([c, &recv2] {
                (void)c.recv2();
                recv2 = true;
            });
            gort::time::Sleep(1ms);
            expect(!recv1 && !recv2, chanCap, "receive from empty chan");
            // Ensure that non-blocking receive does not block.
            bool got = false;
            gort::select(gort::recv(c, [&](int) { got = true; }), gort::otherwise([] {}));
            expect(!got, chanCap, "receive from empty chan (select v)");
            gort::select(gort::recv(c, [&](int, bool) { got = true; }), gort::otherwise([] {}));
            expect(!got, chanCap, "receive from empty chan (select v, ok)");
            c.send(0);
            c.send(0);
            // gort: both receivers then finish (Go's test leaves them be).
            waitothers(base);
            expect(recv1 && recv2, chanCap, "blocked receivers not released by sends");
        }

        {
            // Ensure that send to full chan blocks.
            auto c = gort::make_chan<int>(chanCap);
            for (int i = 0; i < chanCap; i++) c.send(i);
            std::atomic<uint32_t> sent{0};
            gort::go([c, &sent] {
                c.send(0);
                sent.store(1);
            });
            gort::time::Sleep(1ms);
            expect(sent.load() == 0, chanCap, "send to full chan");
            // Ensure that non-blocking send does not block.
            bool did = false;
            gort::select(gort::send(c, 0, [&] { did = true; }), gort::otherwise([] {}));
            expect(!did, chanCap, "send to full chan (select)");
            (void)c.recv();
            waitothers(base);
            expect(sent.load() == 1, chanCap, "blocked sender not released by a receive");
            expect(c.len() == chanCap, chanCap, "len after the blocked send completed");
        }

        {
            // Ensure that we receive 0 from closed chan.
            auto c = gort::make_chan<int>(chanCap);
            for (int i = 0; i < chanCap; i++) c.send(i);
            c.close();
            for (int i = 0; i < chanCap; i++) expect(c.recv() == i, chanCap, "queued value after close");
            expect(c.recv() == 0, chanCap, "received non-zero from closed chan");
            auto [v, ok] = c.recv2();
            expect(v == 0 && !ok, chanCap, "received v, ok != 0, false from closed chan");
        }

        {
            // Ensure that close unblocks receive.
            auto c = gort::make_chan<int>(chanCap);
            auto done = gort::make_chan<bool>();
            gort::go([c, done] {
                auto [v, ok] = c.recv2();
                done.send(v == 0 && !ok);
            });
            gort::time::Sleep(1ms);
            c.close();
            expect(done.recv(), chanCap, "received non zero from closed chan");
        }

        {
            // Send 100 integers,
            // ensure that we receive them non-corrupted in FIFO order.
            auto c = gort::make_chan<int>(chanCap);
            gort::go([c] {
                for (int i = 0; i < 100; i++) c.send(i);
            });
            bool fifo = true;
            for (int i = 0; i < 100; i++) fifo &= c.recv() == i;
            expect(fifo, chanCap, "received out of order (recv)");

            // Same, but using recv2.
            gort::go([c] {
                for (int i = 0; i < 100; i++) c.send(i);
            });
            bool fifo2 = true;
            for (int i = 0; i < 100; i++) {
                auto [v, ok] = c.recv2();
                fifo2 &= ok && v == i;
            }
            expect(fifo2, chanCap, "received out of order (recv2)");

            // Send 1000 integers in 4 goroutines,
            // ensure that we receive what we send.
            constexpr int P = 4;
            constexpr int L = 1000;
            for (int p = 0; p < P; p++) {
                gort::go([c] {
                    for (int i = 0; i < L; i++) c.send(i);
                });
            }
            auto done = gort::make_chan<std::vector<int>>();  // Go: chan map[int]int
            for (int p = 0; p < P; p++) {
                gort::go([c, done] {
                    std::vector<int> recv(L);
                    for (int i = 0; i < L; i++) {
                        int v = c.recv();
                        if (v >= 0 && v < L) recv[v]++;
                    }
                    done.send(std::move(recv));
                });
            }
            std::vector<int> recv(L);
            for (int p = 0; p < P; p++) {
                std::vector<int> part = done.recv();
                expect(part.size() == size_t(L), chanCap, "vector lost in transit");
                for (size_t k = 0; k < part.size() && k < size_t(L); k++) recv[k] += part[k];
            }
            bool each = true;
            for (int v : recv) each &= v == P;
            expect(each, chanCap, "did not receive each value P times");
        }

        {
            // Test len/cap.
            auto c = gort::make_chan<int>(chanCap);
            expect(c.len() == 0 && c.cap() == chanCap, chanCap, "bad len/cap of an empty chan");
            for (int i = 0; i < chanCap; i++) c.send(i);
            expect(c.len() == chanCap && c.cap() == chanCap, chanCap, "bad len/cap of a full chan");
        }
        waitothers(base);
    }
    CHECK(failures == 0);
}

TEST_CASE("TestNonblockRecvRace", "[chan]") {
    // The goroutine's non-blocking receive must find c ready: it holds a
    // value, or it is closed. One P: Gosched picks which state the goroutine
    // sees (value, value + closed, closed and drained). On several Ps the
    // goroutines also run on other Ms: the counters are atomic.
    const int base = NumGoroutine();
    constexpr int n = 10000;
    std::atomic<int> notReady{0}, ran{0};
    for (int i = 0; i < n; i++) {
        auto c = gort::make_chan<int>(1);
        c.send(1);
        gort::go([c, &notReady, &ran] {
            gort::select(gort::recv(c, [] {}), gort::otherwise([&] { notReady++; }));
            ran++;
        });
        if (i % 3 == 0) Gosched();
        c.close();
        if (i % 3 == 1) Gosched();
        (void)c.recv();
        if (i % 3 == 2) Gosched();
    }
    waitothers(base);
    CHECK(ran == n);
    CHECK(notReady == 0);
}

// Found by the fuzzer (test/fuzz) under ThreadSanitizer: chanlen reads
// qcount without the lock, as Go's len(c) does, so the stores to it under the
// lock (chansend, chanrecv, selectgo's buffer cases) must be atomic too, or
// C++ calls it a data race. Checks anything only under TSan (CI's build-tsan).
TEST_CASE("len(c) reads while other goroutines send and receive and select on c", "[chan]") {
    gorttest::gomaxprocs two(2);
    const int base = NumGoroutine();
    auto c = gort::make_chan<int>(4);
    std::atomic<bool> stop{false};
    std::atomic<int> bad{0};
    gort::go([c] {
        for (int i = 0; i < 2000; i++) {
            if (i % 2) c.send(i);
            else gort::select(gort::send(c, i, [] {}));
        }
        c.close();
    });
    gort::go([c] {
        for (bool ok = true; ok;) {
            gort::select(gort::recv(c, [&](int, bool k) { ok = k; }));
            if (ok) ok = c.recv2().second;
        }
    });
    gort::go([c, &stop, &bad] {
        while (!stop.load()) {
            int n = c.len();
            if (n < 0 || n > 4) bad++;
            Gosched();
        }
    });
    while (NumGoroutine() > base + 1) Gosched();
    stop = true;
    waitothers(base);
    CHECK(bad == 0);
}

TEST_CASE("TestNonblockSelectRace", "[chan]") {
    const int base = NumGoroutine();
    constexpr int n = 100000;
    auto done = gort::make_chan<bool>(1);
    int bad = 0;
    for (int i = 0; i < n; i++) {
        auto c1 = gort::make_chan<int>(1);
        auto c2 = gort::make_chan<int>(1);
        c1.send(1);
        gort::go([c1, c2, done] {
            bool ok = true;
            gort::select(gort::recv(c1, [] {}), gort::recv(c2, [] {}), gort::otherwise([&] { ok = false; }));
            done.send(ok);
        });
        if (i % 2) Gosched();  // one P: let the select run before c2 is ready, or after
        c2.send(1);
        gort::select(gort::recv(c1, [] {}), gort::otherwise([] {}));
        if (!done.recv()) bad++;
    }
    waitothers(base);
    CHECK(bad == 0);
}

TEST_CASE("TestNonblockSelectRace2", "[chan]") {
    // Same as TestNonblockSelectRace, but close(c2) replaces c2 <- 1.
    const int base = NumGoroutine();
    constexpr int n = 100000;
    auto done = gort::make_chan<bool>(1);
    int bad = 0;
    for (int i = 0; i < n; i++) {
        auto c1 = gort::make_chan<int>(1);
        auto c2 = gort::make_chan<int>();
        c1.send(1);
        gort::go([c1, c2, done] {
            bool ok = true;
            gort::select(gort::recv(c1, [] {}), gort::recv(c2, [] {}), gort::otherwise([&] { ok = false; }));
            done.send(ok);
        });
        if (i % 2) Gosched();
        c2.close();
        gort::select(gort::recv(c1, [] {}), gort::otherwise([] {}));
        if (!done.recv()) bad++;
    }
    waitothers(base);
    CHECK(bad == 0);
}

TEST_CASE("TestSelfSelect", "[chan]") {
    // Ensure that send/recv on the same chan in select
    // does not crash nor deadlock.
    const int base = NumGoroutine();
    for (int chanCap : {0, 10}) {
        INFO("chanCap=" << chanCap);
        gort::sync::WaitGroup wg;
        wg.Add(2);
        auto c = gort::make_chan<int>(chanCap);
        std::atomic<int> selfReceives = 0, iterations = 0;
        for (int p = 0; p < 2; p++) {
            gort::go([&, c, p] {
                for (int i = 0; i < 1000; i++) {
                    auto onrecv = [&](int v) {
                        if (chanCap == 0 && v == p) selfReceives++;
                    };
                    if (p == 0 || i % 2 == 0) {
                        gort::select(gort::send(c, p, [] {}), gort::recv(c, onrecv));
                    } else {
                        gort::select(gort::recv(c, onrecv), gort::send(c, p, [] {}));
                    }
                    iterations++;
                }
                wg.Done();
            });
        }
        wg.Wait();
        CHECK(selfReceives == 0);
        CHECK(iterations == 2000);
    }
    waitothers(base);
}

TEST_CASE("TestSelectStress", "[chan]") {
    const int base = NumGoroutine();
    std::array<gort::chan<int>, 4> c = {gort::make_chan<int>(), gort::make_chan<int>(),
                                        gort::make_chan<int>(2), gort::make_chan<int>(3)};
    constexpr int N = 100000;  // Go: 1e5 (1e4 with -short)
    // There are 4 goroutines that send N values on each of the chans,
    // + 4 goroutines that receive N values on each of the chans,
    // + 1 goroutine that sends N values on each of the chans in a single select,
    // + 1 goroutine that receives N values on each of the chans in a single select.
    // All these sends, receives and selects interact chaotically at runtime,
    // but we are careful that this whole construct does not deadlock.
    gort::sync::WaitGroup wg;
    wg.Add(10);
    std::array<int, 4> recvd{};  // by the plain receivers
    for (int k = 0; k < 4; k++) {
        gort::go([&, k] {
            for (int i = 0; i < N; i++) c[k].send(0);
            wg.Done();
        });
        gort::go([&, k] {
            for (int i = 0; i < N; i++) {
                (void)c[k].recv();
                recvd[k]++;
            }
            wg.Done();
        });
    }
    std::array<int, 4> nsent{}, nrecv{};
    gort::go([&] {
        std::array<int, 4>& n = nsent;
        auto c1 = c;
        for (int i = 0; i < 4 * N; i++) {
            gort::select(
                gort::send(c1[3], 0, [&] {
                    if (++n[3] == N) c1[3] = gort::chan<int>();
                }),
                gort::send(c1[2], 0, [&] {
                    if (++n[2] == N) c1[2] = gort::chan<int>();
                }),
                gort::send(c1[0], 0, [&] {
                    if (++n[0] == N) c1[0] = gort::chan<int>();
                }),
                gort::send(c1[1], 0, [&] {
                    if (++n[1] == N) c1[1] = gort::chan<int>();
                }));
        }
        wg.Done();
    });
    gort::go([&] {
        std::array<int, 4>& n = nrecv;
        auto c1 = c;
        for (int i = 0; i < 4 * N; i++) {
            gort::select(
                gort::recv(c1[0], [&] {
                    if (++n[0] == N) c1[0] = gort::chan<int>();
                }),
                gort::recv(c1[1], [&] {
                    if (++n[1] == N) c1[1] = gort::chan<int>();
                }),
                gort::recv(c1[2], [&] {
                    if (++n[2] == N) c1[2] = gort::chan<int>();
                }),
                gort::recv(c1[3], [&] {
                    if (++n[3] == N) c1[3] = gort::chan<int>();
                }));
        }
        wg.Done();
    });
    wg.Wait();
    for (int k = 0; k < 4; k++) {
        INFO("k=" << k);
        CHECK(nsent[k] == N);
        CHECK(nrecv[k] == N);
        CHECK(recvd[k] == N);
        CHECK(c[k].len() == 0);
    }
    waitothers(base);
}

TEST_CASE("TestSelectFairness", "[chan]") {
    const int base = NumGoroutine();
    constexpr int trials = 10000;
    using byte = unsigned char;
    auto c1 = gort::make_chan<byte>(trials + 1);
    auto c2 = gort::make_chan<byte>(trials + 1);
    for (int i = 0; i < trials + 1; i++) {
        c1.send(1);
        c2.send(2);
    }
    auto c3 = gort::make_chan<byte>();
    auto c4 = gort::make_chan<byte>();
    auto out = gort::make_chan<byte>();
    auto done = gort::make_chan<byte>();
    gort::sync::WaitGroup wg;
    wg.Add(1);
    gort::go([&] {
        for (;;) {
            byte b = 0;
            auto set = [&](byte v) { b = v; };
            gort::select(gort::recv(c3, set), gort::recv(c4, set), gort::recv(c1, set), gort::recv(c2, set));
            bool quit = false;
            gort::select(gort::send(out, b, [] {}), gort::recv(done, [&] { quit = true; }));
            if (quit) break;
        }
        wg.Done();
    });
    int cnt1 = 0, cnt2 = 0, other = 0;
    for (int i = 0; i < trials; i++) {
        switch (out.recv()) {
            case 1: cnt1++; break;
            case 2: cnt2++; break;
            default: other++;
        }
    }
    CHECK(other == 0);
    // If the select in the goroutine is fair,
    // cnt1 and cnt2 should be about the same value.
    // See if we're more than 10 sigma away from the expected value.
    constexpr double mean = trials * 0.5;
    constexpr double variance = trials * 0.5 * (1 - 0.5);
    const double stddev = std::sqrt(variance);
    INFO("unfair select: in " << trials << " trials, results were " << cnt1 << ", " << cnt2);
    CHECK(std::abs(cnt1 - mean) <= 10 * stddev);
    done.close();
    wg.Wait();
    waitothers(base);
}

TEST_CASE("TestPseudoRandomSend", "[chan]") {
    const int base = NumGoroutine();
    constexpr int n = 100;
    for (int chanCap : {0, n}) {
        auto c = gort::make_chan<int>(chanCap);
        std::vector<int> l(n);
        gort::sync::Mutex m;
        m.Lock();
        gort::go([&, c] {
            for (int i = 0; i < n; i++) {
                Gosched();
                l[i] = c.recv();
            }
            m.Unlock();
        });
        for (int i = 0; i < n; i++) gort::select(gort::send(c, 1, [] {}), gort::send(c, 0, [] {}));
        m.Lock();  // wait
        int n0 = 0, n1 = 0;
        for (int i : l) {
            n0 += (i + 1) % 2;
            n1 += i;
        }
        INFO("Want pseudorandom, got " << n0 << " zeros and " << n1 << " ones (chan cap " << chanCap << ")");
        CHECK(n0 > n / 10);
        CHECK(n1 > n / 10);
        CHECK(n0 + n1 == n);
        m.Unlock();
    }
    waitothers(base);
}

TEST_CASE("TestMultiConsumer", "[chan]") {
    const int base = NumGoroutine();
    constexpr int nwork = 23;
    constexpr int niter = 271828;
    static const int pn[] = {2, 3, 7, 11, 13, 17, 19, 23, 27, 31};
    constexpr int npn = int(std::size(pn));

    auto q = gort::make_chan<int>(nwork * 3);
    auto r = gort::make_chan<int>(nwork * 3);

    // workers
    gort::sync::WaitGroup wg;
    for (int i = 0; i < nwork; i++) {
        wg.Add(1);
        gort::go([&wg, q, r, w = i] {
            for (int v : q) {
                // mess with the fifo-ish nature of range
                if (pn[w % npn] == v) Gosched();
                r.send(v);
            }
            wg.Done();
        });
    }

    // feeder & closer
    int64_t expect = 0;
    gort::go([&, q, r] {
        for (int i = 0; i < niter; i++) {
            int v = pn[i % npn];
            expect += v;
            q.send(v);
        }
        q.close();  // no more work
        wg.Wait();  // workers done
        r.close();  // ... so there can be no more results
    });

    // consume & check
    int n = 0;
    int64_t s = 0;
    for (int v : r) {
        n++;
        s += v;
    }
    INFO("Expected sum " << expect << " (got " << s << ") from " << niter << " iter (saw " << n << ")");
    CHECK(n == niter);
    CHECK(s == expect);
    waitothers(base);
}

TEST_CASE("TestSelectDuplicateChannel", "[chan]") {
    // This test makes sure we can queue a G on
    // the same channel multiple times.
    const int base = NumGoroutine();
    auto c = gort::make_chan<int>();
    auto d = gort::make_chan<int>();
    auto e = gort::make_chan<int>();

    // goroutine A
    int chosen = -1, got = -1;
    gort::go([&, c, d, e] {
        chosen = gort::select(gort::recv(c, [] {}), gort::recv(c, [] {}), gort::recv(d, [&](int v) { got = v; }));
        e.send(9);
    });
    gort::time::Sleep(1ms);  // make sure goroutine A gets queued first on c

    // goroutine B
    std::atomic<int> gotB = -1;  // written on B's M, read after waitothers: no channel orders it
    gort::go([&, c] { gotB = c.recv(); });
    gort::time::Sleep(1ms);  // make sure goroutine B gets queued on c before continuing

    d.send(7);  // wake up A, it dequeues itself from c.  This operation used to corrupt c.recvq.
    CHECK(e.recv() == 9);  // A tells us it's done
    c.send(8);  // wake up B.  This operation used to fail because c.recvq was corrupted
    waitothers(base);
    CHECK(chosen == 2);
    CHECK(got == 7);
    CHECK(gotB == 8);
}

// ---- close, nil channels, and the runtime's panics (caught in-process) ----

TEST_CASE("send on closed channel panics with Go's message", "[chan][close]") {
    for (int chanCap : {0, 1, 4}) {
        INFO("chanCap=" << chanCap);
        auto c = gort::make_chan<int>(chanCap);
        if (chanCap > 1) c.send(5);
        c.close();
        CHECK(panicmsg([&] { c.send(1); }) == "send on closed channel");
        CHECK_THROWS_MATCHES(c.send(1), runtime::plainError, Catch::Matchers::Message("send on closed channel"));
        // a select send case on a closed channel panics too, even with a default
        CHECK(panicmsg([&] { gort::select(gort::send(c, 1, [] {})); }) == "send on closed channel");
        CHECK(panicmsg([&] { gort::select(gort::send(c, 1, [] {}), gort::otherwise([] {})); }) ==
              "send on closed channel");
        // ... and the queued value is still there, then the zero value
        CHECK(c.len() == (chanCap > 1 ? 1 : 0));
        if (chanCap > 1) CHECK(c.recv2() == std::pair<int, bool>{5, true});
        CHECK(c.recv2() == std::pair<int, bool>{0, false});
    }
}

TEST_CASE("close wakes blocked senders and they panic", "[chan][close]") {
    const int base = NumGoroutine();
    for (int chanCap : {0, 2}) {
        INFO("chanCap=" << chanCap);
        auto c = gort::make_chan<int>(chanCap);
        for (int i = 0; i < chanCap; i++) c.send(i);
        // The senders may run on other Ms: each writes its own slot, then
        // counts itself (atomically) as done.
        std::array<std::string, 4> msgs;
        std::atomic<int> nmsgs{0};
        for (int i = 0; i < 3; i++) {
            gort::go([c, &msgs, &nmsgs, i] {
                msgs[i] = panicmsg([&] { c.send(42); });
                nmsgs++;
            });
        }
        // and one in a select
        gort::go([c, &msgs, &nmsgs] {
            msgs[3] = panicmsg([&] { gort::select(gort::send(c, 43, [] {}), gort::recv(gort::chan<int>(), [] {})); });
            nmsgs++;
        });
        gort::time::Sleep(1ms);
        CHECK(nmsgs == 0);  // all four blocked
        c.close();
        waitothers(base);
        REQUIRE(nmsgs == 4);
        for (auto& m : msgs) CHECK(m == "send on closed channel");
        for (int i = 0; i < chanCap; i++) CHECK(c.recv() == i);  // the buffer survives
        CHECK(c.recv2() == std::pair<int, bool>{0, false});
    }
}

TEST_CASE("close of closed channel and close of nil channel panic", "[chan][close]") {
    auto c = gort::make_chan<int>(3);
    c.close();
    CHECK(panicmsg([&] { c.close(); }) == "close of closed channel");
    gort::chan<int> nilc;
    CHECK(!nilc);
    CHECK(panicmsg([&] { nilc.close(); }) == "close of nil channel");
    CHECK_THROWS_MATCHES(nilc.close(), runtime::plainError, Catch::Matchers::Message("close of nil channel"));
}

TEST_CASE("close wakes every blocked receiver with the zero value", "[chan][close]") {
    const int base = NumGoroutine();
    for (int chanCap : {0, 3}) {
        INFO("chanCap=" << chanCap);
        auto c = gort::make_chan<std::string>(chanCap);
        std::atomic<int> woken = 0, bad = 0;
        for (int i = 0; i < 5; i++) {
            gort::go([c, &woken, &bad] {
                auto [v, ok] = c.recv2();
                woken++;
                if (!v.empty() || ok) bad++;
            });
            gort::go([c, &woken, &bad] {  // and the same in a select
                gort::select(gort::recv(c, [&](std::string v, bool ok) {
                    woken++;
                    if (!v.empty() || ok) bad++;
                }));
            });
        }
        gort::time::Sleep(1ms);
        CHECK(woken == 0);
        c.close();
        waitothers(base);
        CHECK(woken == 10);
        CHECK(bad == 0);
        // range over the closed channel ends at once; recv gives "" forever
        int n = 0;
        for (auto& s : c) n += int(s.size()) + 1;
        CHECK(n == 0);
        CHECK(c.recv() == "");
    }
}

TEST_CASE("range receives the queued values then stops at close", "[chan][close]") {
    const int base = NumGoroutine();
    for (int chanCap : {0, 1, 7}) {
        auto c = gort::make_chan<int>(chanCap);
        gort::go([c] {
            for (int i = 1; i <= 100; i++) c.send(i);
            c.close();
        });
        std::vector<int> got;
        for (int v : c) got.push_back(v);
        REQUIRE(got.size() == 100);
        for (int i = 0; i < 100; i++) CHECK(got[i] == i + 1);
    }
    waitothers(base);
}

TEST_CASE("nil channels: len/cap 0 and never ready in select", "[chan][nil]") {
    const int base = NumGoroutine();
    gort::chan<int> nilc;
    CHECK(nilc.len() == 0);
    CHECK(nilc.cap() == 0);
    CHECK(nilc == gort::chan<int>());
    // non-blocking operations on a nil channel take the default
    bool ran = false;
    CHECK(gort::select(gort::recv(nilc, [&] { ran = true; }), gort::otherwise([] {})) == 1);
    CHECK(gort::select(gort::send(nilc, 1, [&] { ran = true; }), gort::otherwise([] {})) == 1);
    CHECK(!ran);
    // with a ready channel, the nil cases are never chosen
    auto ready = gort::make_chan<int>(1);
    auto closed = gort::make_chan<int>();
    closed.close();
    int picked[4] = {};
    for (int i = 0; i < 1000; i++) {
        ready.send(i);
        int k = gort::select(gort::send(nilc, 1, [] {}), gort::recv(nilc, [] {}), gort::recv(ready, [] {}),
                             gort::send(nilc, 2, [] {}));
        picked[k]++;
    }
    CHECK(picked[0] == 0);
    CHECK(picked[1] == 0);
    CHECK(picked[2] == 1000);
    CHECK(picked[3] == 0);
    // a closed channel is always ready for receiving, a nil one never
    for (int i = 0; i < 100; i++) {
        bool ok = true;
        int k = gort::select(gort::recv(nilc, [] {}), gort::recv(closed, [&](int, bool o) { ok = o; }),
                             gort::otherwise([] {}));
        CHECK(k == 1);
        CHECK(!ok);
    }
    // a blocked select with a nil case is woken by its other case only
    auto c = gort::make_chan<int>();
    auto done = gort::make_chan<int>();  // orders k and v before the checks (waitothers does not)
    int k = -1, v = -1;
    gort::go([&, c, done] {
        k = gort::select(gort::recv(nilc, [] {}), gort::recv(c, [&](int x) { v = x; }));
        done.send(0);
    });
    Gosched();
    c.send(77);
    (void)done.recv();
    waitothers(base);
    CHECK(k == 1);
    CHECK(v == 77);
}

TEST_CASE("select returns the argument index of the chosen case", "[chan][select]") {
    auto a = gort::make_chan<int>(1), b = gort::make_chan<int>(1), c = gort::make_chan<int>(1);
    b.send(5);
    int got = 0;
    // sends before receives in the runtime's layout; the index is the argument's
    CHECK(gort::select(gort::recv(a, [] {}), gort::send(c, 3, [] {}), gort::recv(b, [&](int v) { got = v; })) !=
          0);
    CHECK(c.len() + (got == 5) == 1);  // exactly one of the two ready cases ran
    // drain both, then fill c: now only the send to a can proceed
    if (got != 5) {
        CHECK(c.recv() == 3);
        CHECK(b.recv() == 5);
    }
    c.send(1);
    CHECK(gort::select(gort::recv(b, [] {}), gort::send(c, 3, [] {}), gort::send(a, 4, [] {}),
                       gort::otherwise([] {})) == 2);
    CHECK(a.recv() == 4);
    CHECK(gort::select(gort::recv(b, [] {}), gort::otherwise([] {}), gort::send(c, 3, [] {})) == 1);
    CHECK(gort::select(gort::otherwise([] {}), gort::recv(c, [&](int v) { got = v; })) == 1);
    CHECK(got == 1);
    // a select with only a default runs it
    bool dflt = false;
    CHECK(gort::select(gort::otherwise([&] { dflt = true; })) == 0);
    CHECK(dflt);
}

TEST_CASE("make_chan with a negative or too large size panics", "[chan]") {
    // Go: panic(plainError("makechan: size out of range"))
    CHECK(panicmsg([] { gort::make_chan<int>(-1); }) == "makechan: size out of range");
    CHECK(panicmsg([] { gort::make_chan<int>(int64_t(1) << 46); }) == "makechan: size out of range");
    CHECK(panicmsg([] { gort::make_chan<char>(int64_t(1) << 48); }) == "makechan: size out of range");
}

// Regression: makechan once computed int64_t(t->size) * size unchecked, so
// 4 * 2^62 wrapped to 0, passed the range check and made a channel with a
// 0-byte buffer and dataqsiz 2^62 (buffered sends would write past it). Go
// checks the product with math.MulUintptr. Only makes channels (never
// sends), so it is safe in-process even when broken.
TEST_CASE("make_chan panics when size times the element size overflows", "[chan]") {
    CHECK(panicmsg([] { gort::make_chan<int>(int64_t(1) << 62); }) == "makechan: size out of range");
    CHECK(panicmsg([] { gort::make_chan<int64_t>((int64_t(1) << 61) + 1); }) == "makechan: size out of range");
}

TEST_CASE("select moves the value of the chosen send case only", "[chan][select]") {
    auto a = gort::make_chan<std::string>(1), b = gort::make_chan<std::string>(1);
    a.send("full");
    std::string big(100, 'x');
    int k = gort::select(gort::send(a, std::string("lost"), [] {}), gort::send(b, big, [] {}));
    CHECK(k == 1);
    CHECK(b.recv() == big);
    CHECK(a.recv() == "full");
    CHECK(a.len() == 0);
}

// ---- element types ----

namespace {
/// A move-only value that counts the live objects of its type.
struct tracked {
    static inline std::atomic<int> live = 0;  // sender and receiver may be on different Ms
    std::unique_ptr<int> p;
    tracked() { live++; }
    explicit tracked(int v) : p(std::make_unique<int>(v)) { live++; }
    tracked(tracked&& o) noexcept : p(std::move(o.p)) { live++; }
    tracked& operator=(tracked&& o) noexcept {
        p = std::move(o.p);
        return *this;
    }
    ~tracked() { live--; }
    int value() const { return p ? *p : -1; }
};
}  // namespace

TEST_CASE("move-only elements: std::unique_ptr<int> through chans", "[chan][move]") {
    const int base = NumGoroutine();
    for (int chanCap : {0, 1, 16}) {
        INFO("chanCap=" << chanCap);
        auto c = gort::make_chan<std::unique_ptr<int>>(chanCap);
        gort::go([c] {
            for (int i = 0; i < 1000; i++) c.send(std::make_unique<int>(i));
            // and through a select send case
            for (int i = 1000; i < 1010; i++) gort::select(gort::send(c, std::make_unique<int>(i), [] {}));
            c.close();
        });
        int next = 0, bad = 0;
        for (int i = 0; i < 5; i++) {  // some through a select receive
            gort::select(gort::recv(c, [&](std::unique_ptr<int> p, bool ok) {
                if (!ok || !p || *p != next) bad++;
                next++;
            }));
        }
        for (auto& p : c) {
            if (!p || *p != next) bad++;
            next++;
        }
        CHECK(bad == 0);
        CHECK(next == 1010);
        auto [p, ok] = c.recv2();
        CHECK(p == nullptr);  // the zero value
        CHECK(!ok);
    }
    waitothers(base);
}

TEST_CASE("move-only elements are neither leaked nor destroyed twice", "[chan][move]") {
    const int base = NumGoroutine();
    REQUIRE(tracked::live == 0);
    {
        auto c = gort::make_chan<tracked>();
        gort::go([c] {
            for (int i = 0; i < 100; i++) c.send(tracked(i));
        });
        int sum = 0;
        for (int i = 0; i < 100; i++) sum += c.recv().value();
        CHECK(sum == 4950);
        waitothers(base);
    }
    CHECK(tracked::live == 0);
    {
        auto c = gort::make_chan<tracked>(8);
        for (int i = 0; i < 8; i++) c.send(tracked(i));
        CHECK(tracked::live == 8);  // in the buffer
        CHECK(c.recv().value() == 0);
        CHECK(tracked::live == 7);
        // a select whose send case loses keeps (then destroys) its own value
        int k = gort::select(gort::send(c, tracked(100), [] {}), gort::otherwise([] {}));
        CHECK(k == 0);
        k = gort::select(gort::send(c, tracked(101), [] {}), gort::otherwise([] {}));
        CHECK(k == 1);
        CHECK(tracked::live == 8);
        c.close();
        // a blocked receiver gets a value moved straight from a blocked sender
        auto d = gort::make_chan<tracked>();
        int got = 0;
        gort::go([d, &got] { got = d.recv().value(); });
        Gosched();
        d.send(tracked(55));
        waitothers(base);
        CHECK(got == 55);
        CHECK(tracked::live == 8);
    }
    // the last reference frees the channel, destroying what was still buffered
    CHECK(tracked::live == 0);
}

// ---- a pipeline ----

TEST_CASE("pipeline: 10^6 messages through 10 stages with an exact sum", "[chan][pipeline]") {
    const int base = NumGoroutine();
    constexpr int64_t n = runtime::raceenabled || runtime::asanenabled ? 100000 : 1000000;  // sanitizers: 10^5, as Go's -race tests shrink
    constexpr int stages = 10;
    auto [bufsize, name] = GENERATE(std::pair<int, const char*>{0, "unbuffered"}, std::pair<int, const char*>{64, "buffered"});
    INFO(name);
    auto first = gort::make_chan<int64_t>(bufsize);
    gort::go([first] {
        for (int64_t i = 0; i < n; i++) first.send(i);
        first.close();
    });
    gort::chan<int64_t> in = first;
    for (int s = 0; s < stages; s++) {
        auto out = gort::make_chan<int64_t>(bufsize);
        gort::go([in, out] {
            for (int64_t v : in) out.send(v + 1);
            out.close();
        });
        in = out;
    }
    int64_t sum = 0, count = 0, outoforder = 0;
    for (int64_t v : in) {
        if (v != count + stages) outoforder++;
        sum += v;
        count++;
    }
    CHECK(count == n);
    CHECK(outoforder == 0);
    CHECK(sum == n * (n - 1) / 2 + stages * n);
    waitothers(base);
}

// ---- src/sync: Mutex, WaitGroup, Once; time.Sleep ----

TEST_CASE("TestMutex", "[chan][sync]") {
    const int base = NumGoroutine();
    gort::sync::Mutex m;
    m.Lock();
    CHECK_FALSE(m.TryLock());  // TryLock succeeded with mutex locked
    m.Unlock();
    CHECK(m.TryLock());  // TryLock failed with mutex unlocked
    m.Unlock();

    auto c = gort::make_chan<bool>();
    for (int i = 0; i < 10; i++) {
        gort::go([&m, c] {  // HammerMutex(m, 1000, c)
            for (int i = 0; i < 1000; i++) {
                if (i % 3 == 0) {
                    if (m.TryLock()) m.Unlock();
                    continue;
                }
                m.Lock();
                if (i % 7 == 0) Gosched();  // gort: hold it while others run
                m.Unlock();
            }
            c.send(true);
        });
    }
    for (int i = 0; i < 10; i++) CHECK(c.recv());
    CHECK(m.TryLock());
    m.Unlock();
    waitothers(base);
}

TEST_CASE("Mutex excludes: 100 goroutines read-yield-write under the lock", "[chan][sync]") {
    const int base = NumGoroutine();
    gort::sync::Mutex mu;
    constexpr int G = 100, K = 100;
    int64_t counter = 0;
    int inside = 0, maxinside = 0;
    gort::sync::WaitGroup wg;
    wg.Add(G);
    for (int g = 0; g < G; g++) {
        gort::go([&] {
            for (int i = 0; i < K; i++) {
                std::lock_guard<gort::sync::Mutex> l(mu);  // BasicLockable
                inside++;
                if (inside > maxinside) maxinside = inside;
                int64_t v = counter;
                Gosched();  // without the lock, every other goroutine would run here
                if (i % 10 == 0) gort::time::Sleep(10us);
                counter = v + 1;
                inside--;
            }
            wg.Done();
        });
    }
    wg.Wait();
    CHECK(counter == int64_t(G) * K);
    CHECK(maxinside == 1);
    waitothers(base);
}

TEST_CASE("TestMutexFairness", "[chan][sync]") {
    // One goroutine hogs the lock (sleeping while it holds it); another must
    // still get it, which takes starvation mode (direct handoff) on one P.
    const int base = NumGoroutine();
    gort::sync::Mutex mu;
    auto stop = gort::make_chan<bool>();
    gort::go([&mu, stop] {
        for (;;) {
            mu.Lock();
            gort::time::Sleep(100us);
            mu.Unlock();
            bool quit = false;
            gort::select(gort::recv(stop, [&] { quit = true; }), gort::otherwise([] {}));
            if (quit) return;
        }
    });
    auto done = gort::make_chan<bool>(1);
    gort::go([&mu, done] {
        for (int i = 0; i < 10; i++) {
            gort::time::Sleep(100us);
            mu.Lock();
            mu.Unlock();
        }
        done.send(true);
    });
    // Go: case <-time.After(10 * time.Second). gort has no timer channels:
    // a watchdog goroutine sends on timeout unless told to stop.
    auto timeout = gort::make_chan<bool>(1);
    std::atomic<bool> finished{false};
    gort::go([timeout, &finished] {
        for (int i = 0; i < 1000 && !finished.load(); i++) gort::time::Sleep(10ms);
        if (!finished.load()) timeout.send(true);
    });
    bool acquired = false;
    gort::select(gort::recv(done, [&] { acquired = true; }), gort::recv(timeout, [] {}));
    CHECK(acquired);  // can't acquire Mutex in 10 seconds
    finished.store(true);
    stop.close();
    waitothers(base);
}

TEST_CASE("TestWaitGroup", "[chan][sync]") {
    const int base = NumGoroutine();
    gort::sync::WaitGroup wg1, wg2;
    // Run the same test a few times to ensure barrier is in a proper state.
    for (int i = 0; i != 8; i++) {
        constexpr int n = 16;
        wg1.Add(n);
        wg2.Add(n);
        auto exited = gort::make_chan<bool>(n);
        for (int i = 0; i != n; i++) {
            gort::go([&, exited] {
                wg1.Done();
                wg2.Wait();
                exited.send(true);
            });
        }
        wg1.Wait();
        int early = 0;
        for (int i = 0; i != n; i++) {
            gort::select(gort::recv(exited, [&] { early++; }), gort::otherwise([] {}));
            wg2.Done();
        }
        CHECK(early == 0);  // WaitGroup released group too soon
        for (int i = 0; i != n; i++) CHECK(exited.recv());  // Will block if barrier fails to unlock someone.
    }
    waitothers(base);
}

TEST_CASE("WaitGroup.Wait waits for 100 goroutines and returns at once on a zero counter",
          "[chan][sync]") {
    const int base = NumGoroutine();
    gort::sync::WaitGroup wg;
    wg.Wait();  // counter 0: no wait (a deadlock here would be fatal)
    std::atomic<int> finished = 0;
    wg.Add(100);
    for (int i = 0; i < 100; i++) {
        gort::go([&, i] {
            if (i % 2) gort::time::Sleep(std::chrono::microseconds(10 * (i % 17)));
            for (int k = 0; k < i % 5; k++) Gosched();
            finished++;
            wg.Done();
        });
    }
    wg.Wait();
    CHECK(finished == 100);
    waitothers(base);
}

TEST_CASE("TestWaitGroupMisuse", "[chan][sync]") {
    gort::sync::WaitGroup wg;
    wg.Add(1);
    wg.Done();
    CHECK_THROWS_WITH(wg.Done(), "sync: negative WaitGroup counter");
}

TEST_CASE("TestOnce", "[chan][sync]") {
    const int base = NumGoroutine();
    int o = 0;
    gort::sync::Once once;
    auto c = gort::make_chan<bool>();
    constexpr int N = 10;
    for (int i = 0; i < N; i++) {
        gort::go([&, c] {  // run(t, once, o, c)
            once.Do([&] { o++; });
            c.send(o == 1);  // once failed inside run
        });
    }
    for (int i = 0; i < N; i++) CHECK(c.recv());
    CHECK(o == 1);  // once failed outside run
    waitothers(base);
}

TEST_CASE("Once: f runs once for 100 racing goroutines and all wait for it", "[chan][sync]") {
    const int base = NumGoroutine();
    gort::sync::Once once;
    int calls = 0;  // inside Once.Do: ordered by it
    std::atomic<int> sawUnfinished = 0;
    bool finished = false;
    gort::sync::WaitGroup wg;
    wg.Add(100);
    for (int i = 0; i < 100; i++) {
        gort::go([&] {
            once.Do([&] {
                calls++;
                // the others arrive while f runs, and must park until it returns
                for (int k = 0; k < 10; k++) Gosched();
                gort::time::Sleep(1ms);
                finished = true;
            });
            if (!finished) sawUnfinished++;
            wg.Done();
        });
    }
    wg.Wait();
    CHECK(calls == 1);
    CHECK(sawUnfinished == 0);
    waitothers(base);
}

TEST_CASE("TestOncePanic", "[chan][sync]") {
    gort::sync::Once once;
    CHECK_THROWS_WITH(once.Do([] { throw std::runtime_error("failed"); }), "failed");
    bool twice = false;
    once.Do([&] { twice = true; });
    CHECK_FALSE(twice);  // Once.Do called twice
}

TEST_CASE("time.Sleep: sleepers of 30/20/10 ms wake in deadline order", "[chan][sleep]") {
    const int base = NumGoroutine();
    auto woke = gort::make_chan<int>(3);
    // On several Ps the three may start sleeping far apart (under TSan a
    // goroutine's first run costs milliseconds): let them all run first,
    // then start their sleeps together by closing a channel.
    auto start = gort::make_chan<int>();
    std::atomic<int> ready{0};
    std::vector<int64_t> started(31), elapsed(31);
    for (int ms : {30, 20, 10}) {
        gort::go([woke, start, ms, &ready, &started, &elapsed] {
            ready++;
            (void)start.recv2();
            int64_t t0 = runtime::nanotime();
            gort::time::Sleep(std::chrono::milliseconds(ms));
            started[ms] = t0;
            elapsed[ms] = runtime::nanotime() - t0;
            woke.send(ms);
        });
    }
    while (ready < 3) Gosched();
    start.close();
    int order[3] = {woke.recv(), woke.recv(), woke.recv()};
    for (int ms : {10, 20, 30}) {
        INFO(ms << " ms sleeper woke after " << elapsed[ms] << " ns");
        CHECK(elapsed[ms] >= ms * 1000000LL);
        CHECK(elapsed[ms] < ms * 1000000LL + 1000000000LL);  // not absurdly late
    }
    // The order is only observable if the sleeps started together and each
    // woke within 5 ms of its deadline: an OS thread descheduled for longer
    // (a loaded machine) can start the 10 ms sleep after the 30 ms one, or
    // find two timers due in one pass, whose goroutines then run in runnext
    // order (or, under GODEBUG=schedrandom, in any order), as in Go.
    int64_t spread = std::max({started[10], started[20], started[30]}) -
                     std::min({started[10], started[20], started[30]});
    int64_t late = 0;
    for (int ms : {10, 20, 30}) late = std::max(late, elapsed[ms] - int64_t(ms) * 1000000);
    if (spread < 5000000 && late < 5000000) {
        CHECK(order[0] == 10);
        CHECK(order[1] == 20);
        CHECK(order[2] == 30);
    } else {
        WARN("sleeps started " << spread << " ns apart, woke up to " << late
                               << " ns late: wake order " << order[0] << ", " << order[1] << ", " << order[2]
                               << " not checked");
    }
    // Sleep(0) and negative durations return at once
    int64_t t0 = runtime::nanotime();
    gort::time::Sleep(0ms);
    gort::time::Sleep(-5ms);
    CHECK(runtime::nanotime() - t0 < 1000000000);
    waitothers(base);
}

// ---- fatal reports, checked in child processes ----

// Go's p01_deadlock_recv_send: main blocked on <-ch, a goroutine on ch2 <- 1.
GORT_CHILD(chan_deadlock_recv_send) {
    auto ch = gort::make_chan<int>();
    auto ch2 = gort::make_chan<int>();
    gort::go([ch2] { ch2.send(1); });
    (void)ch.recv();
}

TEST_CASE("deadlock: main on chan receive and a goroutine on chan send", "[chan][fatal]") {
    std::string e = fatalchild("chan_deadlock_recv_send");
    INFO(e);
    CHECK(startswith(e, "fatal error: all goroutines are asleep - deadlock!\n\n"
                        "goroutine 1 [chan receive]:\n"
                        "gorttest_child_chan_deadlock_recv_send()\n\ttest_chan.cc:"));
    CHECK(contains(e, "\n\ngoroutine 2 [chan send]:\n"
                      "gorttest_child_chan_deadlock_recv_send()::{lambda()#1}::operator()"));
    CHECK(contains(e, "\ncreated by gorttest_child_chan_deadlock_recv_send in goroutine 1\n\ttest_chan.cc:"));
    CHECK(count(e, "\ngoroutine ") == 2);
    CHECK(!contains(e, "runtime::"));  // the runtime's frames stay hidden, as Go's
    CHECK(e.back() == '\n');
}

// Go's p09_deadlock_main_only_chan: main blocked on an unbuffered send.
GORT_CHILD(chan_deadlock_main_send) {
    auto ch = gort::make_chan<int>();
    ch.send(1);
}

TEST_CASE("deadlock: main alone on chan send", "[chan][fatal]") {
    std::string e = fatalchild("chan_deadlock_main_send");
    INFO(e);
    CHECK(startswith(e, "fatal error: all goroutines are asleep - deadlock!\n\n"
                        "goroutine 1 [chan send]:\n"
                        "gorttest_child_chan_deadlock_main_send()\n\ttest_chan.cc:"));
    CHECK(count(e, "\ngoroutine ") == 1);
}

// Go's p02_select_empty: select {} in main.
GORT_CHILD(chan_select_empty) {
    gort::select();
}

TEST_CASE("deadlock: select with no cases", "[chan][fatal]") {
    std::string e = fatalchild("chan_select_empty");
    INFO(e);
    CHECK(startswith(e, "fatal error: all goroutines are asleep - deadlock!\n\n"
                        "goroutine 1 [select (no cases)]:\n"
                        "gorttest_child_chan_select_empty()\n\ttest_chan.cc:"));
}

// Go's p07a_deadlock_many_states, without sync.Cond (gort has none).
static void recvForever(gort::chan<int> ch) {
    (void)ch.recv();
}

GORT_CHILD(chan_deadlock_many_states) {
    gort::chan<int> nilch;
    static gort::sync::Mutex mu;
    static gort::sync::WaitGroup wg;

    gort::go([] { recvForever(gort::make_chan<int>()); });      // 2: [chan receive]
    gort::go([] { gort::make_chan<int>().send(3); });           // 3: [chan send]
    gort::go([nilch] { (void)nilch.recv(); });                  // 4: [chan receive (nil chan)]
    gort::go([nilch] { nilch.send(5); });                       // 5: [chan send (nil chan)]
    gort::go([] {                                               // 6: [select]
        auto a = gort::make_chan<int>(), b = gort::make_chan<int>();
        gort::select(gort::recv(a, [] {}), gort::recv(b, [] {}));
    });
    gort::go([] { gort::select(); });                           // 7: [select (no cases)]
    mu.Lock();
    gort::go([] { mu.Lock(); });                                // 8: [sync.Mutex.Lock]
    gort::go([] {                                               // 9: nested "created by"
        gort::go([] { recvForever(gort::make_chan<int>()); });  // 11 (9 runs after main made 10)
        (void)gort::make_chan<int>().recv();
    });
    gort::go([nilch] {                                          // 10: [select], nil cases only
        gort::select(gort::recv(nilch, [] {}), gort::send(nilch, 10, [] {}));
    });
    gort::time::Sleep(10ms);  // let them all block
    wg.Add(1);
    wg.Wait();  // main: [semacquire]
}

TEST_CASE("deadlock: one dump with every chan and select and sync wait reason", "[chan][fatal]") {
    // One P: goids come from per-P batches (newproc1's goidcache), so a
    // goroutine created on another P would not be number 11.
    std::string e = fatalchild("chan_deadlock_many_states", {"GOMAXPROCS=1"});
    INFO(e);
    CHECK(startswith(e, "fatal error: all goroutines are asleep - deadlock!\n\ngoroutine 1 [semacquire]:\n"));
    // Headers in goroutine order, each followed by its frames.
    const char* headers[] = {
        "\n\ngoroutine 1 [semacquire]:\n",
        "\n\ngoroutine 2 [chan receive]:\n",
        "\n\ngoroutine 3 [chan send]:\n",
        "\n\ngoroutine 4 [chan receive (nil chan)]:\n",
        "\n\ngoroutine 5 [chan send (nil chan)]:\n",
        "\n\ngoroutine 6 [select]:\n",
        "\n\ngoroutine 7 [select (no cases)]:\n",
        "\n\ngoroutine 8 [sync.Mutex.Lock]:\n",
        "\n\ngoroutine 9 [chan receive]:\n",
        "\n\ngoroutine 10 [select]:\n",
        "\n\ngoroutine 11 [chan receive]:\n",  // created by 9, which ran after main made 10
    };
    size_t at = 0;
    for (const char* h : headers) {
        INFO("header " << h);
        size_t pos = e.find(h);
        CHECK(pos != std::string::npos);
        CHECK(pos >= at);
        if (pos != std::string::npos) at = pos;
    }
    CHECK(count(e, "\ngoroutine ") == 11);
    // an inlined frame, shown as Go shows one: "(...)" and no +0x offset
    CHECK(count(e, "\n\trecvForever(...)\n") + count(e, "\nrecvForever(...)\n\ttest_chan.cc:") == 2);
    CHECK(count(e, "\ncreated by gorttest_child_chan_deadlock_many_states in goroutine 1\n") == 9);
    // goroutine 11 was created by goroutine 9's lambda
    CHECK(contains(e, "\ncreated by gorttest_child_chan_deadlock_many_states()::{lambda()#8}::operator() in goroutine 9\n"));
    CHECK(!contains(e, "runtime::"));
}

// Go's p06a_sync_unlock_unlocked_goroutine.
GORT_CHILD(sync_unlock_unlocked) {
    static gort::sync::Mutex mu;
    gort::go([] { mu.Unlock(); });
    gort::time::Sleep(1s);
}

TEST_CASE("unlock of unlocked Mutex is a fatal error showing all goroutines", "[chan][fatal][sync]") {
    std::string e = fatalchild("sync_unlock_unlocked");
    INFO(e);
    CHECK(startswith(e, "fatal error: sync: unlock of unlocked mutex\n\ngoroutine 2 [running]:\n"));
    CHECK(contains(e, "\ngorttest_child_sync_unlock_unlocked()::{lambda()#1}::operator()"));
    CHECK(contains(e, "\ncreated by gorttest_child_sync_unlock_unlocked in goroutine 1\n"));
    CHECK(contains(e, "\n\ngoroutine 1 [sleep]:\n"));
    CHECK(e.back() == '\n');
}

GORT_CHILD(sync_unlock_unlocked_main) {
    gort::sync::Mutex mu;
    mu.Lock();
    mu.Unlock();
    mu.Unlock();
}

TEST_CASE("unlock of unlocked Mutex from main", "[chan][fatal][sync]") {
    std::string e = fatalchild("sync_unlock_unlocked_main");
    INFO(e);
    CHECK(startswith(e, "fatal error: sync: unlock of unlocked mutex\n\ngoroutine 1 [running]:\n"));
    CHECK(contains(e, "\ngorttest_child_sync_unlock_unlocked_main()\n\ttest_chan.cc:"));
}

// An uncaught send on a closed channel, in a goroutine (Go's p05a shape).
GORT_CHILD(chan_send_closed_panic) {
    auto ch = gort::make_chan<int>(1);
    ch.close();
    gort::go([ch] { ch.send(2); });
    gort::time::Sleep(1s);
}

TEST_CASE("an uncaught send on closed channel is Go's panic", "[chan][fatal][panic]") {
    std::string e = fatalchild("chan_send_closed_panic");
    INFO(e);
    CHECK(startswith(e, "panic: send on closed channel\n\ngoroutine 2 [running]:\n"
                        "gorttest_child_chan_send_closed_panic()::{lambda()#1}::operator()"));
    CHECK(contains(e, "\ncreated by gorttest_child_chan_send_closed_panic in goroutine 1\n"));
    CHECK(!contains(e, "goroutine 1 ["));  // only the panicking one
    CHECK(!contains(e, "runtime::"));
}

// A sender blocked when the channel is closed panics when it wakes.
GORT_CHILD(chan_blocked_send_closed_panic) {
    auto ch = gort::make_chan<int>();
    gort::go([ch] { ch.send(3); });
    Gosched();  // it blocks
    ch.close();
    gort::time::Sleep(1s);
}

TEST_CASE("a blocked sender woken by close panics uncaught", "[chan][fatal][panic]") {
    std::string e = fatalchild("chan_blocked_send_closed_panic");
    INFO(e);
    CHECK(startswith(e, "panic: send on closed channel\n\ngoroutine 2 [running]:\n"
                        "gorttest_child_chan_blocked_send_closed_panic()::{lambda()#1}::operator()"));
}

GORT_CHILD(chan_close_closed_panic) {
    auto ch = gort::make_chan<int>();
    ch.close();
    ch.close();
}

GORT_CHILD(chan_close_nil_panic) {
    gort::chan<int> ch;
    ch.close();
}

TEST_CASE("uncaught close of a closed or nil channel panics in main", "[chan][fatal][panic]") {
    std::string e = fatalchild("chan_close_closed_panic");
    INFO(e);
    CHECK(startswith(e, "panic: close of closed channel\n\ngoroutine 1 [running]:\n"
                        "gorttest_child_chan_close_closed_panic()\n\ttest_chan.cc:"));
    std::string n = fatalchild("chan_close_nil_panic");
    INFO(n);
    CHECK(startswith(n, "panic: close of nil channel\n\ngoroutine 1 [running]:\n"
                        "gorttest_child_chan_close_nil_panic()\n\ttest_chan.cc:"));
}

GORT_CHILD(sync_negative_waitgroup) {
    gort::sync::WaitGroup wg;
    wg.Add(1);
    wg.Done();
    wg.Done();
}

TEST_CASE("negative WaitGroup counter is Go's panic", "[chan][fatal][panic][sync]") {
    std::string e = fatalchild("sync_negative_waitgroup");
    INFO(e);
    CHECK(startswith(e, "panic: sync: negative WaitGroup counter\n\ngoroutine 1 [running]:\n"));
    CHECK(contains(e, "\ngorttest_child_sync_negative_waitgroup()\n\ttest_chan.cc:"));
}

// ---- traceback fidelity (known differences, see the comments) ----

namespace {
/// The block of one goroutine in a dump: from its header to the blank line.
std::string goroutineblock(const std::string& e, const std::string& header) {
    size_t at = e.find(header);
    if (at == std::string::npos) return "";
    size_t end = e.find("\n\n", at + header.size());
    return e.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

/// The line number after the first "\ttest_chan.cc:" at or after `from` in s.
int lineafter(const std::string& s, size_t from) {
    size_t at = s.find("\ttest_chan.cc:", from);
    return at == std::string::npos ? -1 : std::atoi(s.c_str() + at + std::strlen("\ttest_chan.cc:"));
}
}  // namespace

// Two go statements whose lambdas have identical bodies.
GORT_CHILD(chan_identical_lambdas) {
    auto c = gort::make_chan<int>();
    gort::go([c] { c.send(1); });
    gort::go([c] { c.send(1); });
    gort::select();
}

// Regression: GCC's identical code folding (-fipa-icf, on at -O2) merged
// lambdas with identical bodies, so the second goroutine's lambda frame
// showed the first one's file:line (the name stayed right: traceback.cc
// completes it from the goclosure<...> symbol). Go never merges functions;
// meson.build now passes -fno-ipa-icf.
TEST_CASE("each goroutine's frame shows its own line even for identical lambdas", "[chan][fatal]") {
    std::string e = fatalchild("chan_identical_lambdas");
    INFO(e);
    for (const char* h : {"goroutine 2 [chan send]:\n", "goroutine 3 [chan send]:\n"}) {
        std::string b = goroutineblock(e, h);
        INFO(b);
        REQUIRE(!b.empty());
        int frame = lineafter(b, 0);
        int created = lineafter(b, b.find("\ncreated by "));
        CHECK(frame > 0);
        CHECK(frame == created);  // one-line go statements: the frame is where it was created
    }
}

// Regression: showframe hid every frame whose source file is in gort's
// runtime/ directory, including runtime/sync.h's gort::sync and gort::time
// APIs. Go hides only package runtime: its dumps show
// `sync.(*Mutex).Unlock(...)`, `sync.(*Mutex).lockSlow(...)`,
// `sync.(*WaitGroup).Wait(...)` and `time.Sleep(...)` frames (golden file:
// p06a, p07a, p07b).
TEST_CASE("sync and time frames show in dumps as Go's sync and time.Sleep frames do",
          "[chan][fatal][sync]") {
    std::string u = fatalchild("sync_unlock_unlocked");
    INFO(u);
    CHECK(contains(goroutineblock(u, "goroutine 2 [running]:\n"), "\ngort::sync::Mutex::Unlock()"));
    CHECK(contains(goroutineblock(u, "goroutine 1 [sleep]:\n"), "\nvoid gort::time::Sleep<"));
    std::string d = fatalchild("chan_deadlock_many_states");
    INFO(d);
    CHECK(contains(goroutineblock(d, "goroutine 1 [semacquire]:\n"), "\ngort::sync::WaitGroup::Wait()"));
    CHECK(contains(goroutineblock(d, "goroutine 8 [sync.Mutex.Lock]:\n"), "\ngort::sync::Mutex::"));
}
