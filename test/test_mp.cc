// test_mp.cc — many Ms and Ps: GOMAXPROCS, goroutines moving between OS
// threads, stealing, system calls, sysmon, LockOSThread, schedtrace, and
// deadlock detection with Ms in system calls.
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <set>
#include <string>
#include <vector>

#include "chan.h"
#include "gorttest.h"
#include "sync.h"
#include "gosyscall.h"
#include "pipeline.h"

using namespace runtime;
using namespace std::chrono_literals;
using gorttest::contains;
using gorttest::fatalchild;
using gorttest::runchild;
using gorttest::startswith;

extern "C" long sentinel_call(void (*fn)(), long base);

namespace {

long threadid() {  // the kernel thread id (gettid)
    return long(::syscall(SYS_gettid));
}

/// Waits (yielding) until only `base` goroutines are left.
void waitfor(int base) {
    int64_t deadline = nanotime() + 20'000'000'000;
    while (NumGoroutine() > base && nanotime() < deadline) Gosched();
    REQUIRE(NumGoroutine() == base);
}

/// Checks that the running goroutine is who it thinks it is, on the thread
/// it is really on: getg, m.curg and the M's thread id agree.
bool selfconsistent(g* me) {
    g* gp = getg();
    return gp == me && gp->m->curg == me && gp->m->procid == uint64_t(threadid()) &&
           gp->m->p != nullptr && gp->m->p->m == gp->m;
}

}  // namespace

TEST_CASE("GOMAXPROCS reports and changes the number of Ps", "[mp]") {
    int n = GOMAXPROCS(0);
    CHECK(n >= 1);
    CHECK(GOMAXPROCS(-1) == n);  // n < 1 does not change it
    {
        gorttest::gomaxprocs three(3);
        CHECK(GOMAXPROCS(0) == 3);
        for (int i = 0; i < 3; i++) CHECK(allp[i]->status.load() != Pdead);
        GOMAXPROCS(2);
        CHECK(allp[2]->status.load() == Pdead);
    }
    CHECK(GOMAXPROCS(0) == n);
}

GORT_CHILD(print_gomaxprocs) {
    std::printf("%d %d\n", GOMAXPROCS(0), NumCPU());
}

// Found by the fuzzer (test/fuzz) under ThreadSanitizer: an M that has
// given up its P reads allp (checkRunqsNoP, checkTimersNoP) while procresize,
// under a stopped world, stores to it; Go reads a snapshot of the slice, gort
// loads each entry atomically. Checks anything only under TSan.
TEST_CASE("GOMAXPROCS changes while Ms without a P look for timers and work", "[mp]") {
    gorttest::gomaxprocs keep(2);
    const int base = NumGoroutine();
    std::atomic<bool> stop{false};
    for (int i = 0; i < 4; i++)
        gort::go([&stop] {
            while (!stop.load()) gort::time::Sleep(20us);  // Ms go idle and check the timers without a P
        });
    for (int i = 0; i < 500; i++) {
        GOMAXPROCS(1 + i % 3);
        gort::time::Sleep(std::chrono::microseconds(i % 7));
    }
    stop = true;
    waitfor(base);
    CHECK(NumGoroutine() == base);
}

TEST_CASE("GOMAXPROCS from the environment: Go's parsing, bad values ignored", "[mp][env]") {
    auto r = runchild("print_gomaxprocs", {"GOMAXPROCS=3"});
    CHECK(r.out.substr(0, 2) == "3 ");
    std::string dflt = std::to_string(NumCPU()) + " ";
    for (const char* bad : {"GOMAXPROCS=0", "GOMAXPROCS=-2", "GOMAXPROCS=two", "GOMAXPROCS=",
                            "GOMAXPROCS=99999999999"}) {
        r = runchild("print_gomaxprocs", {bad});
        INFO(bad);
        CHECK(startswith(r.out, dflt));
    }
}

// Go: TestGoroutineParallelism's idea: with 2 Ps, a goroutine resumes on any
// M. After each resumption the goroutine must find itself through TLS (getg)
// on the thread it is on now, with its callee-saved registers intact.
TEST_CASE("a goroutine that parks on one M and resumes on another finds itself", "[mp][abi]") {
    gorttest::gomaxprocs two(2);
    std::atomic<bool> stop{false};
    for (int i = 0; i < 2; i++)
        gort::go([&] {
            while (!stop.load()) Gosched();  // keeps both Ps busy and stealing
        });
    long bad = 0, moves = 0, inconsistent = 0;
    std::atomic<bool> done{false};
    gort::go([&] {
        g* me = getg();
        long tid = threadid();
        // Until it has moved 50 times, or 5 s (on a loaded machine the other
        // thread may get no CPU for whole time slices).
        int64_t deadline = nanotime() + 5'000'000'000;
        for (int i = 0; moves < 50 && nanotime() < deadline; i++) {
            bad |= sentinel_call(+[] { Gosched(); }, 0x100 * (i % 7));
            if (!selfconsistent(me)) inconsistent++;
            if (threadid() != tid) moves++, tid = threadid();
        }
        done = true;
    });
    while (!done.load()) Gosched();
    stop = true;
    waitfor(1);
    CHECK(bad == 0);
    CHECK(inconsistent == 0);
    CHECK(moves > 0);  // it did run on more than one thread
}

// Found by the fuzzer (test/fuzz, GORT_FUZZ_CATCH=yield): the C++ runtime
// keeps the exceptions being handled (__cxa_get_globals(): caughtExceptions,
// uncaughtExceptions) per thread. A goroutine that parks inside a catch block
// and resumes on another M saw that thread's: std::current_exception() was
// wrong there, `throw;` terminated, and the __cxa_end_catch at the block's end
// popped the other thread's list. Go's panics belong to the goroutine, and a
// deferred function that recovers may block; the mcall shim now carries that
// state with the g (stubs.h: ehsave, ehrestore).
GORT_CHILD(catchpark) {
    std::atomic<bool> stop{false};
    for (int i = 0; i < 2; i++)
        gort::go([&] {
            while (!stop.load()) Gosched();  // keeps both Ps busy and stealing
        });
    bool moved = false, same = false;
    std::atomic<bool> done{false};
    gort::go([&] {
        try {
            throw std::runtime_error("recovered");
        } catch (const std::exception&) {
            std::exception_ptr before = std::current_exception();
            long tid = threadid();
            int64_t deadline = nanotime() + 5'000'000'000;
            while (threadid() == tid && nanotime() < deadline) Gosched();
            moved = threadid() != tid;
            same = std::current_exception() == before;
        }
        done = true;
    });
    while (!done.load()) Gosched();
    stop = true;
    std::printf("moved=%d same=%d\n", int(moved), int(same));
    std::fflush(stdout);
}

TEST_CASE("an exception being handled is the same after a park that moves its goroutine to another M",
          "[mp][panic]") {
    auto r = runchild("catchpark", {"GOMAXPROCS=2"});
    INFO(r.err);
    REQUIRE(r.status == 0);
    REQUIRE(contains(r.out, "moved=1"));  // it did move; else the test shows nothing
    CHECK(contains(r.out, "same=1"));
}

// Migration through a system call: the goroutine's P is retaken while it
// sleeps in the kernel, so exitsyscall finds no P (both are busy), queues it
// and parks its M (exitsyscall0): another M runs it on.
TEST_CASE("exitsyscall0: a goroutine whose P was retaken resumes on another M", "[mp][syscall]") {
    gorttest::gomaxprocs two(2);
    std::atomic<bool> stop{false}, done{false};
    long before = 0, after = 0, bad = -1;
    bool consistent = false;
    gort::go([&] {
        while (!stop.load()) Gosched();
    });
    gort::go([&] {
        g* me = getg();
        // Usually the first try moves; sysmon may also find an idle P for
        // the P it retook, and then exitsyscall takes that one, on this M.
        bad = 0, consistent = true;
        for (int i = 0; i < 20 && before == after; i++) {
            before = threadid();
            bad |= sentinel_call(+[] { gort::syscall::Nanosleep(20'000'000); }, 0x900);
            after = threadid();
            consistent &= selfconsistent(me);
        }
        done = true;
    });
    while (!done.load()) Gosched();  // main and the spinner keep both Ps busy
    stop = true;
    waitfor(1);
    CHECK(bad == 0);
    CHECK(consistent);
    CHECK(before != after);
}

TEST_CASE("a blocking system call lets its P run other goroutines", "[mp][syscall]") {
    gorttest::gomaxprocs one(1);
    std::atomic<long> ticks{0};
    std::atomic<bool> sleeping{false}, done{false};
    gort::go([&] {
        sleeping = true;
        gort::syscall::Nanosleep(100'000'000);
        done = true;
    });
    while (!sleeping.load()) Gosched();
    long during = 0;
    while (!done.load()) {
        ticks++;
        Gosched();
    }
    during = ticks.load();
    CHECK(during > 100);  // main ran while the only P's first goroutine slept
    waitfor(1);
}

TEST_CASE("thousands of goroutines in blocking system calls at once", "[mp][syscall][many]") {
    // Under TSan every thread is expensive to start: fewer, as Go's -race tests do.
    constexpr int n = raceenabled || asanenabled ? 200 : 2000;
    std::atomic<int> finished{0};
    int64_t start = nanotime();
    for (int i = 0; i < n; i++)
        gort::go([&] {
            gort::syscall::Nanosleep(200'000'000);
            finished++;
        });
    waitfor(1);
    int64_t took = nanotime() - start;
    CHECK(finished.load() == n);
    // All slept at once: far less than n × 200 ms (each needed an M of its own).
    CHECK(took < int64_t(20) * 1'000'000'000);
    INFO("threads: " << mcount());
    // Under TSan, creating a thread and each sysmon tick take so long that
    // the first sleeps end (and free their Ms) after some 50-70 Ms: the
    // count says nothing there. Go's tests skip such checks under -race.
    if (!raceenabled && !asanenabled) CHECK(mcount() > 100);
}

TEST_CASE("Gosched storms while Ps steal: every goroutine runs all its rounds", "[mp][steal]") {
    gorttest::gomaxprocs four(4);  // more Ps than cores
    // Fewer rounds under TSan (5-15 times slower) and ASan (each switch
    // tells ASan, asan.h), or the 400,000 switches outlast waitfor's 20 s.
    constexpr int n = 200, rounds = raceenabled || asanenabled ? 200 : 2000;
    std::atomic<long> total{0};
    for (int i = 0; i < n; i++)
        gort::go([&] {
            for (int r = 0; r < rounds; r++) {
                total++;
                Gosched();
            }
        });
    waitfor(1);
    CHECK(total.load() == long(n) * rounds);
}

TEST_CASE("runqsteal takes half of a victim's queue, runnext last", "[mp][steal]") {
    gorttest::gomaxprocs two(2);
    p* victim = new p{};
    p* thief = new p{};
    std::vector<g> gs(9);
    for (int i = 0; i < 8; i++) {
        victim->runq[i].set(&gs[i]);
    }
    victim->runqtail = 8;
    victim->runnext.set(&gs[8]);
    victim->status = Prunning;
    g* got = runqsteal(thief, victim, false);
    CHECK(got == &gs[3]);  // half (4) moved, the last returned to run
    CHECK(thief->runqtail - thief->runqhead == 3);
    CHECK(victim->runqtail - victim->runqhead == 4);
    victim->runqhead = victim->runqtail;  // empty the ring: runnext is left
    victim->status = Pidle;               // (no 3 µs back-off for a running P)
    CHECK(runqsteal(thief, victim, false) == nullptr);
    CHECK(runqsteal(thief, victim, true) == &gs[8]);
    CHECK(victim->runnext.v == 0);
    delete victim;
    delete thief;
}

TEST_CASE("10^6 messages through fan-out/fan-in pipelines, none lost or duplicated", "[mp][chan]") {
    for (int procs : {2, 4}) {
        gorttest::gomaxprocs set(procs);
        gorttest::pipelineresult r = gorttest::pipeline(raceenabled || asanenabled ? 100'000 : 1'000'000);
        INFO("GOMAXPROCS=" << procs);
        CHECK(r.received == r.sent);
        CHECK(r.dup == 0);
        CHECK(r.bad == 0);
    }
}

TEST_CASE("LockOSThread: the goroutine runs only on its thread, which runs no other", "[mp][lock]") {
    gorttest::gomaxprocs two(2);
    std::atomic<bool> stop{false};
    std::atomic<long> lockedtid{0}, intruders{0};
    long moved = 0;
    for (int i = 0; i < 4; i++)
        gort::go([&] {
            while (!stop.load()) {
                if (threadid() == lockedtid.load()) intruders++;
                Gosched();
            }
        });
    std::atomic<bool> done{false};
    bool wired = false, unwired = false;
    gort::go([&] {
        LockOSThread();
        lockedtid = threadid();
        for (int i = 0; i < 2000; i++) {
            Gosched();
            if (threadid() != lockedtid.load()) moved++;
            if (i % 100 == 0) gort::time::Sleep(1ms);  // parked, then readied by a timer
        }
        wired = getg()->lockedm == getg()->m && getg()->m->lockedg == getg();
        lockedtid = 0;  // from here on, other goroutines may run on that thread
        UnlockOSThread();
        unwired = getg()->lockedm == nullptr;
        done = true;
    });
    while (!done.load()) Gosched();
    stop = true;
    waitfor(1);
    CHECK(moved == 0);
    CHECK(intruders.load() == 0);
    CHECK(wired);
    CHECK(unwired);
}

TEST_CASE("a goroutine that exits locked takes its thread with it", "[mp][lock]") {
    gorttest::gomaxprocs two(2);
    std::atomic<long> tid{0};
    std::atomic<bool> done{false};
    // m0 cannot exit (it would end the process): Go wedges it instead. Keep
    // the exiting goroutine off m0 by holding it ourselves.
    LockOSThread();
    gort::go([&] {
        LockOSThread();
        tid = threadid();
        done = true;
    });  // exits locked: Go ends the thread (mexit)
    while (!done.load()) Gosched();
    waitfor(1);
    int64_t deadline = nanotime() + 2'000'000'000;
    auto alive = [&] { return ::syscall(SYS_tgkill, getpid(), tid.load(), 0) == 0; };
    // Main is locked to its current M, which need not be m0: if the goroutine
    // ran on m0, Go wedges that thread instead of exiting it (mexit).
    bool onm0 = tid.load() == long(getpid());
    while (alive() && !onm0 && nanotime() < deadline) Gosched();
    CHECK(alive() == onm0);
    CHECK(tid.load() != threadid());
    UnlockOSThread();
}

GORT_CHILD(schedtrace) {
    gort::time::Sleep(250ms);
}

TEST_CASE("GODEBUG=schedtrace prints Go's SCHED lines; scheddetail lists P, M and G", "[mp][debug]") {
    auto r = runchild("schedtrace", {"GODEBUG=schedtrace=50", "GOMAXPROCS=2"});
    CHECK(r.status == 0);
    INFO(r.err);
    CHECK(startswith(r.err, "SCHED 0ms: gomaxprocs=2 idleprocs="));
    CHECK(contains(r.err, " threads="));
    CHECK(contains(r.err, " spinningthreads="));
    CHECK(contains(r.err, " needspinning="));
    CHECK(contains(r.err, " idlethreads="));
    CHECK(contains(r.err, " runqueue=0 ["));
    r = runchild("schedtrace", {"GODEBUG=foo=1,schedtrace=100,scheddetail=1", "GOMAXPROCS=1"});
    INFO(r.err);
    CHECK(contains(r.err, " gcwaiting=false nmidlelocked=0 stopwait=0 sysmonwait="));
    CHECK(contains(r.err, "\n  P0: status="));
    CHECK(contains(r.err, " schedtick="));
    CHECK(contains(r.err, "\n  M0: p="));
    CHECK(contains(r.err, " mallocing=0 throwing=0 preemptoff= locks="));
    CHECK(contains(r.err, "\n  G1: status=4(sleep) m=nil lockedm=nil\n"));
    r = runchild("schedtrace", {"GODEBUG=schedtrace=x"});  // not a number: ignored
    CHECK(r.err.empty());
    // Go's tolerance: empty fields, no '=', empty names or values, numbers out
    // of int32's range and trailing junk are all ignored, never fatal.
    r = runchild("schedtrace", {"GODEBUG=,=5,schedtrace,schedtrace=,schedtrace=99999999999,"
                                "schedtrace=10ms,switchtrace=1x,,"});
    CHECK(r.status == 0);
    CHECK(r.err.empty());
}

GORT_CHILD(gopark_in_syscall) {
    entersyscall();  // status Gsyscall, as inside syscall::Syscall
    gopark(nullptr, nullptr, waitReasonChanReceive);
}

TEST_CASE("gopark from a goroutine that is not running is Go's bad g status throw", "[mp][fatal]") {
    std::string e = fatalchild("gopark_in_syscall");
    INFO(e);
    CHECK(startswith(e, "fatal error: gopark: bad g status\n\ngoroutine 1 [syscall]:\n"));
    CHECK(contains(e, "runtime::gopark("));
}

GORT_CHILD(chan_in_syscall) {
    auto c = gort::make_chan<int>();
    gort::syscall::Syscall([&] { return c.recv(); });  // the mistake: blocks with no P
}

TEST_CASE("a channel operation that blocks inside syscall::Syscall says so", "[mp][fatal]") {
    std::string e = fatalchild("chan_in_syscall");
    INFO(e);
    CHECK(startswith(e, "fatal error: gort: goroutine blocked inside syscall::Syscall (its function must not "
                        "use channels, select or sync)\n\ngoroutine 1 [syscall]:\n"));
    CHECK(contains(e, "runtime::acquireSudog("));
}

GORT_CHILD(deadlock_after_syscall) {
    auto c = gort::make_chan<int>();
    gort::go([c] {
        gort::syscall::Nanosleep(100'000'000);  // not a deadlock while in here
        c.recv();
    });
    c.recv();
}

TEST_CASE("checkdead counts Ms in system calls as running", "[mp][fatal]") {
    int64_t start = nanotime();
    std::string e = fatalchild("deadlock_after_syscall", {"GOMAXPROCS=4"});
    INFO(e);
    CHECK(nanotime() - start >= 100'000'000);
    CHECK(startswith(e, "fatal error: all goroutines are asleep - deadlock!\n\ngoroutine 1 [chan receive]:\n"));
    CHECK(contains(e, "\ngoroutine 2 [chan receive]:\n"));
}

GORT_CHILD(panic_on_other_m) {
    for (int i = 0; i < 4; i++)
        gort::go([] {
            for (;;) Gosched();  // other Ms keep running while it dies
        });
    gort::go([] { throw std::runtime_error("boom on another M"); });
    gorttest::parkforever();
}

TEST_CASE("a panic while other Ms run is reported once, exit 2", "[mp][fatal]") {
    std::string e = fatalchild("panic_on_other_m", {"GOMAXPROCS=2"});
    INFO(e);
    CHECK(startswith(e, "panic: boom on another M\n\ngoroutine 6 [running]:\n"));
    CHECK(e.find("panic: ", 1) == std::string::npos);
}

// ---- sync.Mutex on several Ps: active spinning (sync_runtime_canSpin) ----

TEST_CASE("contended Mutex at GOMAXPROCS=2 and 4: every increment under the lock counts", "[mp][sync]") {
    // Spinning waiters, woken waiters and new arrivals all race for the
    // mutex on 2 CPUs; a plain read-pause-write counter loses updates as
    // soon as two goroutines are inside at once, and a mutexWoken bit left
    // set would strand the parked waiters (checkdead: deadlock).
    constexpr int G = 8, K = raceenabled || asanenabled ? 2'000 : 50'000;
    for (int procs : {2, 4}) {
        gorttest::gomaxprocs set(procs);
        gort::sync::Mutex mu;
        long counter = 0;  // guarded by mu
        gort::sync::WaitGroup wg;
        wg.Add(G);
        for (int i = 0; i < G; i++)
            gort::go([&] {
                for (int k = 0; k < K; k++) {
                    mu.Lock();
                    long v = counter;
                    procyield(k % 4);  // widen the window a little
                    counter = v + 1;
                    mu.Unlock();
                }
                wg.Done();
            });
        wg.Wait();
        INFO("GOMAXPROCS=" << procs);
        CHECK(counter == long(G) * K);
        CHECK(mu.TryLock());  // left unlocked
        mu.Unlock();
        waitfor(1);
    }
}

namespace {

/// Waits (without yielding: the Ps must stay as they are) until npidle and
/// nmspinning are as given, or 5 s. Reports whether they got there.
bool waitsched(int32_t npidle, int32_t nmspinning) {
    int64_t deadline = nanotime() + 5'000'000'000;
    while (sched.npidle.load() != npidle || sched.nmspinning.load() != nmspinning)
        if (nanotime() > deadline) return false;
    return true;
}

}  // namespace

TEST_CASE("sync_runtime_canSpin: only with another P running and nothing queued here", "[mp][sync]") {
    if (ncpu <= 1) {  // Go never spins on one CPU
        CHECK_FALSE(sync_runtime_canSpin(0));
        return;
    }
    {
        gorttest::gomaxprocs one(1);
        CHECK_FALSE(sync_runtime_canSpin(0));  // no other P could hold the mutex
    }
    gorttest::gomaxprocs two(2);
    std::atomic<bool> running{false}, stop{false};
    gort::go([&] {  // keeps the other P running, never entering the scheduler
        running = true;
        while (!stop.load()) procyield(1);
    });
    while (!running.load()) Gosched();  // until it runs, on the other P
    REQUIRE(waitsched(0, 0));
    CHECK(sync_runtime_canSpin(0));
    CHECK(sync_runtime_canSpin(active_spin - 1));
    CHECK_FALSE(sync_runtime_canSpin(active_spin));  // spinning ends after 4 rounds

    // A goroutine ready on this P: it goes into our runnext, and nothing
    // takes it (no P idle, the other M never schedules) until we yield.
    gort::go([] {});
    CHECK_FALSE(runqempty(getg()->m->p));
    CHECK_FALSE(sync_runtime_canSpin(0));  // spinning would hold it up

    stop = true;
    waitfor(1);  // both exit; then the other P goes idle
    REQUIRE(waitsched(1, 0));
    CHECK_FALSE(sync_runtime_canSpin(0));  // no other P runs: who would unlock?
}
