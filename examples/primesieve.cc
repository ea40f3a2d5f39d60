// primesieve.cc — the concurrent prime sieve: a generator goroutine and a
// daisy chain of filter goroutines, one per prime found, joined by
// unbuffered channels.
//
// Run: build/examples/primesieve
//
// Go original: https://go.dev/doc/play/sieve.go (the Go playground's
// "Concurrent Prime Sieve"), statement for statement, but 25 primes instead
// of 10, printed on one line. Each number travels down the chain until a filter divides it; one
// that survives every filter reaches main, which prints it and appends a new
// filter for it. At the end main returns with the 26 other goroutines still
// in the chain (parked in channel operations, or runnable): as in Go,
// returning from main ends the program whatever the others are doing.
#include <cstdio>

#include "chan.h"
#include "go.h"
#include "gstates.h"

// Send the sequence 2, 3, 4, ... to channel 'ch'.
static void Generate(gort::chan<int> ch) {
    for (int i = 2;; i++) {
        ch.send(i);  // Send 'i' to channel 'ch'.
    }
}

// Copy the values from channel 'in' to channel 'out',
// removing those divisible by 'prime'.
static void Filter(gort::chan<int> in, gort::chan<int> out, int prime) {
    for (;;) {
        int i = in.recv();  // Receive value from 'in'.
        if (i % prime != 0) {
            out.send(i);  // Send 'i' to 'out'.
        }
    }
}

// The prime sieve: Daisy-chain Filter processes.
void main_main() {
    auto ch = gort::make_chan<int>();   // Create a new channel.
    gort::go([ch] { Generate(ch); });  // Launch Generate goroutine.
    for (int i = 0; i < 25; i++) {
        int prime = ch.recv();
        std::printf("%d%s", prime, i < 24 ? " " : "\n");
        auto ch1 = gort::make_chan<int>();
        gort::go([ch, ch1, prime] { Filter(ch, ch1, prime); });
        ch = ch1;
    }

    // Not in the Go original: what the chain is doing as main returns.
    std::printf("NumGoroutine = %d (main, Generate, 25 Filters)\n", runtime::NumGoroutine());
    printgstates(2);
}
