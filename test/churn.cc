// churn.cc — create and exit 10^7 goroutines: no g, stack or sudog may leak.
//
// Goroutines are created in waves of 10,000 (each sends on a channel and
// exits; main counts the values and waits for the wave to be dead), so at
// most 10,000 are alive at a time. A
// dead g goes to its P's free list with its stack (gfput) and the next go
// statement takes it back (gfget), so after the first wave the number of g's
// ever made (allgs) and the RSS must stay flat. Checked: every value arrives
// exactly once, allgs stops growing after the first waves, and RSS after the
// last wave is within 8 MiB of RSS after the first tenth. Prints the figures.
#include <cstdio>
#include <vector>

#include "chan.h"
#include "go.h"
#include "rss.h"

using namespace runtime;

static void fail(const char* what) {
    std::fprintf(stderr, "churn: FAIL: %s\n", what);
    gort::Exit(1);
}

static size_t allglen() {
    lock(&allglock);
    size_t n = allgs.size();
    unlock(&allglock);
    return n;
}

void main_main() {
    constexpr long total = 10'000'000, wave = 10'000;
    auto c = gort::make_chan<long>(64);
    std::vector<unsigned char> seen(total);
    long rss10 = 0, g10 = 0;
    int64_t start = nanotime();
    for (long w = 0; w < total / wave; w++) {
        for (long i = w * wave; i < (w + 1) * wave; i++) gort::go([c, i] { c.send(i); });
        for (long i = 0; i < wave; i++) {
            long v = c.recv();
            if (v < 0 || v >= total || seen[v]++) fail("a value arrived twice or out of range");
        }
        // Each goroutine still has to exit after its value is taken: wait for
        // the wave to be dead, so that no more than one wave is ever alive.
        while (NumGoroutine() > 1) Gosched();
        if (w == total / wave / 10 - 1) {
            rss10 = statm_rss();
            g10 = long(allglen());
        }
    }
    double secs = double(nanotime() - start) / 1e9;
    long rss = statm_rss(), gs = long(allglen());
    std::printf("churn: %ld goroutines created and exited in %.2f s (%.0f ns each), GOMAXPROCS=%d\n", total,
                secs, secs * 1e9 / double(total), GOMAXPROCS(0));
    std::printf("churn: after 10%%: %ld g's, RSS %ld KiB; at the end: %ld g's, RSS %ld KiB\n", g10,
                rss10 / 1024, gs, rss / 1024);
    if (gs > g10 + wave) fail("g's leak: allgs keeps growing");
    if (rss > rss10 + 8 * 1024 * 1024) fail("RSS grew by more than 8 MiB after the first tenth");
    std::printf("churn: ok\n");
}
