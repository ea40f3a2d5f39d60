// messages.cc — 10^7 channel messages through fan-out / fan-in pipelines on
// several Ps, with none lost or duplicated (issue 5's stress test).
//
// 8 senders each send a disjoint range of numbers into one buffered channel;
// 8 workers forward them to an unbuffered one; main receives them all and
// marks each number in a bitmap. Every number must arrive exactly once. Runs
// at GOMAXPROCS=2 and at 4 (more Ps than the CI machine's 2 cores), so values
// cross Ms and Ps steal the senders and workers from each other.
#include <cstdio>
#include <vector>

#include "chan.h"
#include "go.h"
#include "sync.h"

using namespace runtime;

static bool pipeline(int procs, long total) {
    GOMAXPROCS(procs);
    constexpr int senders = 8, workers = 8;
    long per = total / senders;
    auto src = gort::make_chan<long>(64);
    auto dst = gort::make_chan<long>();
    gort::sync::WaitGroup swg, wwg;
    swg.Add(senders);
    wwg.Add(workers);
    for (int s = 0; s < senders; s++)
        gort::go([=, &swg] {
            for (long i = 0; i < per; i++) src.send(s * per + i);
            swg.Done();
        });
    for (int w = 0; w < workers; w++)
        gort::go([=, &wwg] {
            for (long v : src) dst.send(v);
            wwg.Done();
        });
    gort::go([=, &swg, &wwg] {
        swg.Wait();
        src.close();
        wwg.Wait();
        dst.close();
    });
    std::vector<bool> seen(size_t(senders * per));
    long count = 0, dup = 0, bad = 0;
    auto t0 = nanotime();
    for (long v : dst) {
        if (v < 0 || v >= senders * per) {
            bad++;
            continue;
        }
        if (seen[size_t(v)]) dup++;
        seen[size_t(v)] = true;
        count++;
    }
    double secs = double(nanotime() - t0) / 1e9;
    std::printf("messages: GOMAXPROCS=%d: %ld received of %ld, %ld duplicated, %ld out of range, %.2f s (%.0f ns/message)\n",
                procs, count, senders * per, dup, bad, secs, secs * 1e9 / double(count));
    while (NumGoroutine() > 1) Gosched();
    return count == senders * per && dup == 0 && bad == 0;
}

void main_main() {
    bool ok = pipeline(2, 10'000'000) && pipeline(4, 10'000'000);
    std::printf("messages: %s\n", ok ? "ok" : "FAIL");
    gort::Exit(ok ? 0 : 1);
}
