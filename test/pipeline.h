// pipeline.h — the fan-out / fan-in channel pipeline that test_mp.cc (10^6
// messages) and the stress program messages.cc (10^7) push numbers through.
//
// 8 senders each send a disjoint range of numbers into one buffered channel;
// 8 workers forward them to an unbuffered one; the caller receives them all
// and marks each number in a bitmap: every number must arrive exactly once.
#pragma once

#include <vector>

#include "chan.h"
#include "go.h"
#include "sync.h"

namespace gorttest {

struct pipelineresult {
    long sent;      ///< numbers sent
    long received;  ///< numbers received
    long dup;       ///< received more than once
    long bad;       ///< out of the range sent
    bool ok() const { return received == sent && dup == 0 && bad == 0; }
};

/// Sends about total numbers through the pipeline on the current GOMAXPROCS
/// and returns what arrived; the goroutines it starts have all ended.
inline pipelineresult pipeline(long total) {
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
    pipelineresult r{senders * per, 0, 0, 0};
    std::vector<bool> seen(size_t(r.sent));
    for (long v : dst) {
        if (v < 0 || v >= r.sent) {
            r.bad++;
            continue;
        }
        if (seen[size_t(v)]) r.dup++;
        seen[size_t(v)] = true;
        r.received++;
    }
    while (runtime::NumGoroutine() > 1) runtime::Gosched();
    return r;
}

}  // namespace gorttest
