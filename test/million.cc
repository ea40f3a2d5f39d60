// million.cc — one million goroutines alive at once, on a default machine.
//
// Linux allows 65,530 memory mappings per process (vm.max_map_count); a stack
// with a guard page costs two. This program parks 1,000,000 goroutines at
// once, checks that the mapping count stayed under the limit, wakes them all,
// and checks that every one ran to its end. It prints RSS per goroutine.
#include <atomic>
#include <cstdio>
#include <cstring>
#include <vector>

#include "go.h"
#include "rss.h"

using namespace runtime;

static long mappings() {
    long n = 0;
    if (FILE* f = std::fopen("/proc/self/maps", "r")) {
        char line[512];
        while (std::fgets(line, sizeof line, f))
            if (std::strchr(line, '\n')) n++;
        std::fclose(f);
    }
    return n;
}

static void fail(const char* what) {
    std::fprintf(stderr, "million: FAIL: %s\n", what);
    gort::Exit(1);
}

static constexpr long n = 1000000;
static std::vector<g*> parked(n);
static std::atomic<long> nparked;

/// gopark's unlockf: runs on g0 once gp is parked, so a goroutine is listed
/// only when it is really Gwaiting (any P may run it).
static bool recordparked(g* gp, void*) {
    parked[nparked.fetch_add(1)] = gp;
    return true;
}

void main_main() {
    std::atomic<long> finished = 0;
    long before = statm_rss();
    for (long i = 0; i < n; i++) {
        gort::go([&finished] {
            gopark(recordparked, nullptr, waitReasonChanReceive);
            finished++;
        });
    }
    while (nparked.load() < n) Gosched();
    long rss = statm_rss() - before;
    long maps = mappings();
    std::printf("million: %ld goroutines parked, NumGoroutine=%d, %ld B/goroutine, %ld mappings\n",
                n, NumGoroutine(), rss / n, maps);
    if (NumGoroutine() != n + 1) fail("NumGoroutine");
    if (maps >= 65530) fail("too many mappings");
    for (g* gp : parked)
        if (readgstatus(gp) != Gwaiting || gp->waitreason != waitReasonChanReceive)
            fail("a goroutine is not parked");
    for (g* gp : parked) goready(gp);
    while (NumGoroutine() > 1) Gosched();
    if (finished != n) fail("not every goroutine finished");
    std::printf("million: all %ld woke and finished (GOMAXPROCS=%d)\n", finished.load(), GOMAXPROCS(0));
}
