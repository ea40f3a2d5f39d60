// messages.cc — 10^7 channel messages through fan-out / fan-in pipelines on
// several Ps, with none lost or duplicated (issue 5's stress test).
//
// The pipeline is pipeline.h's (8 senders → buffered channel → 8 workers →
// unbuffered channel → main, every number checked off once). It runs at
// GOMAXPROCS=2 and at 4 (more Ps than the CI machine's 2 cores), so values
// cross Ms and Ps steal the senders and workers from each other.
#include <cstdio>

#include "pipeline.h"

using namespace runtime;

static bool run(int procs, long total) {
    GOMAXPROCS(procs);
    int64_t t0 = nanotime();
    gorttest::pipelineresult r = gorttest::pipeline(total);
    double secs = double(nanotime() - t0) / 1e9;
    std::printf("messages: GOMAXPROCS=%d: %ld received of %ld, %ld duplicated, %ld out of range, "
                "%.2f s (%.0f ns/message)\n",
                procs, r.received, r.sent, r.dup, r.bad, secs, secs * 1e9 / double(r.sent));
    return r.ok();
}

void main_main() {
    bool ok = run(2, 10'000'000) && run(4, 10'000'000);
    std::printf("messages: %s\n", ok ? "ok" : "FAIL");
    gort::Exit(ok ? 0 : 1);
}
