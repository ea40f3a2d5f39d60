// fib.cc — a generator: the Fibonacci numbers as an endless push iterator,
// consumed one at a time with iter::Pull.
//
// Run: build/examples/fib
//
// fibonacci() knows nothing of pulling: it calls yield for each number until
// yield says stop. Pull runs it in a coroutine goroutine and hands the numbers
// out one next() at a time; stop() makes the pending yield return false, so
// the generator's loop ends normally.
#include <cstdint>
#include <cstdio>

#include "go.h"
#include "iter.h"

static iter::Seq<uint64_t> fibonacci() {
    return [](const std::function<bool(uint64_t)>& yield) {
        uint64_t a = 0, b = 1;
        while (yield(a)) {
            uint64_t next = a + b;
            a = b;
            b = next;
        }
        std::printf("(the generator saw yield return false and returned)\n");
    };
}

void main_main() {
    std::printf("goroutines before Pull: %d\n", runtime::NumGoroutine());
    auto [next, stop] = iter::Pull(fibonacci());
    std::printf("goroutines after Pull:  %d (the generator's coroutine)\n",
                runtime::NumGoroutine());
    for (int i = 0; i < 12; i++) {
        auto [v, ok] = next();
        std::printf("fib(%d) = %llu\n", i, static_cast<unsigned long long>(v));
        if (!ok) break;
    }
    stop();
    std::printf("goroutines after stop: %d\n", runtime::NumGoroutine());
    auto [v, ok] = next();
    std::printf("next() after stop: {%llu, %s}\n", static_cast<unsigned long long>(v),
                ok ? "true" : "false");
}
