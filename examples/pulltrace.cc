// pulltrace.cc — one next() of iter::Pull, narrated coroswitch by coroswitch.
//
// Run: build/examples/pulltrace
//
// Pull's next() and the sequence's yield are both coroswitch(c): the caller
// blocks in the coro c and the goroutine that was blocked in c — the
// sequence's coroutine — runs, on the same M, without the scheduler. This
// program prints, at each step, which goroutine runs and which one waits in
// the coro (status waiting, wait reason "coroutine").
#include <cinttypes>
#include <cstdio>

#include "go.h"
#include "iter.h"

using namespace runtime;

static g* caller;
static g* seqg;

static const char* status(g* gp) {
    switch (readgstatus(gp)) {
    case Grunning: return "running";
    case Gwaiting: return gp->waitreason == waitReasonCoroutine ? "waiting [coroutine]" : "waiting";
    case Grunnable: return "runnable";
    case Gdead: return "dead";
    default: return "?";
    }
}

static void show(const char* where) {
    std::printf("  %-44s running: goroutine %" PRIu64 "   caller g%" PRIu64 " %s", where,
                getg()->goid, caller->goid, status(caller));
    if (seqg) std::printf(",  sequence g%" PRIu64 " %s", seqg->goid, status(seqg));
    std::printf("\n");
}

void main_main() {
    caller = getg();
    iter::Seq<int> seq = [](const std::function<bool(int)>& yield) {
        seqg = getg();
        show("[seq] starts (first coroswitch landed here)");
        for (int i = 10;; i++) {
            show("[seq] yield(v) -> coroswitch(c)");
            if (!yield(i)) break;
            show("[seq] yield returned true (next() switched in)");
        }
        show("[seq] yield returned false: stop() asked");
    };
    std::printf("Pull: newcoro makes the sequence's goroutine, blocked in c before it runs\n");
    auto [next, stop] = iter::Pull(seq);
    std::printf("  NumGoroutine = %d\n", NumGoroutine());
    for (int n = 1; n <= 2; n++) {
        std::printf("\nnext() #%d: coroswitch(c): the caller blocks in c, the sequence runs\n", n);
        auto [v, ok] = next();
        show("[caller] next() returned");
        std::printf("  value %d, ok %s\n", v, ok ? "true" : "false");
    }
    std::printf("\nstop(): done = true, then one more coroswitch; yield returns false,\n"
                "the sequence returns, and its goroutine exits with coroexit(c)\n");
    stop();
    show("[caller] stop() returned");
    std::printf("  NumGoroutine = %d\n", NumGoroutine());
}
