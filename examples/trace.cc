// trace.cc — an execution trace of a small program: goroutines on two Ps
// that talk over channels, yield, sleep in a system call and pull values
// from a coroutine.
//
// Run: GOMAXPROCS=2 GORT_TRACE=trace.json build/examples/trace
// then open trace.json in https://ui.perfetto.dev (or chrome://tracing):
// one track per P shows which goroutine ran there when (slices g<goid>),
// and why each stretch ended (click a slice: args.stop).
#include <atomic>
#include <cstdio>

#include "chan.h"
#include "go.h"
#include "gosyscall.h"
#include "iter.h"
#include "sync.h"

/// Sends 0..n-1 on out, then closes it.
static void producer(gort::chan<int> out, int n) {
    for (int i = 0; i < n; i++) out.send(i);
    out.close();
}

/// Yields n times: each yield ends its slice with "Gosched".
static void yielder(int n) {
    for (int i = 0; i < n; i++) runtime::Gosched();
}

/// Two goroutines that wait for each other without yielding: both must run
/// at once, so the trace shows both Ps busy however the OS schedules the
/// threads (gort has no preemption: on one P this would never end).
static void rendezvous(gort::sync::WaitGroup& wg) {
    static std::atomic<int> arrived;
    for (int i = 0; i < 2; i++)
        gort::go([&wg] {
            arrived.fetch_add(1);
            while (arrived.load() < 2) __builtin_ia32_pause();
            wg.Done();
        });
}

void main_main() {
    if (runtime::GOMAXPROCS(0) < 2) {
        std::printf("run with GOMAXPROCS=2 or more\n");
        return;
    }
    gort::sync::WaitGroup wg;
    auto ch = gort::make_chan<int>();
    int sum = 0;
    wg.Add(7);
    rendezvous(wg);
    gort::go([ch] { producer(ch, 100); });
    gort::go([ch, &sum, &wg] {
        for (int v : ch) sum += v;
        wg.Done();
    });
    for (int i = 0; i < 2; i++)
        gort::go([&wg] {
            yielder(20);
            wg.Done();
        });
    gort::go([&wg] {
        gort::syscall::Nanosleep(2'000'000);  // 2 ms: sysmon retakes the P meanwhile
        wg.Done();
    });
    gort::go([&wg] {
        iter::Seq<int> count = [](const std::function<bool(int)>& yield) {
            for (int i = 0; yield(i); i++) {
            }
        };
        auto [next, stop] = iter::Pull(count);
        for (int i = 0; i < 5; i++) next();
        stop();
        wg.Done();
    });
    wg.Wait();
    std::printf("sum=%d\n", sum);
}
