// Package gortbench holds the Go "twins" of gort's C++ micro-benchmarks.
//
// Each benchmark here has a C++ counterpart with the same name and the same
// definition of "one op", so that `go test -bench` output and
// `meson test -C build --benchmark` output can be compared line by line.
//
// Run (see README.md):
//
//	go test -run='^$' -bench='Gosched|CreateGoroutines' -cpu 1 -benchtime=2s
//	go test -run='^$' -bench=ParkedGoroutines -cpu 1 -benchtime=1x -count=1
package gortbench

import (
	"bytes"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkGosched measures one Gosched round trip between two goroutines.
//
// Definition of one op: the benchmark goroutine calls runtime.Gosched() once,
// which switches to the partner goroutine; the partner calls
// runtime.Gosched() once, which switches back. So one op = two yields = two
// context switches (there and back).
//
// This only holds when exactly two goroutines are runnable on exactly one P,
// so the benchmark forces GOMAXPROCS=1 for its duration (like the runtime's
// own BenchmarkPingPongHog does); run it with -cpu 1 anyway so the name has
// no "-N" suffix. With more Ps the partner would spin on another thread and
// Gosched would mostly find nothing else to run.
//
// The partner counts how many times it yielded; after the loop we check that
// the count is b.N within 5%, i.e. that each of our yields really ran the
// partner once. It is not exactly b.N: Go's scheduler, on every 61st
// schedtick, takes a goroutine from the global run queue before the local one
// (a fairness rule in runtime.schedule/findRunnable), and since Gosched puts
// the caller on the global queue, that occasionally lets the same goroutine
// run twice in a row. Measured ratio partner-yields/b.N on go1.23 is in
// [0.967, 1.034] (i.e. +/- 2/61). So one op is one round trip on average.
func BenchmarkGosched(b *testing.B) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))

	var stop atomic.Bool
	started := make(chan struct{})
	done := make(chan int)
	go func() {
		close(started)
		n := 0
		for !stop.Load() {
			runtime.Gosched()
			n++
		}
		done <- n
	}()
	<-started // partner is now running/runnable and will loop on Gosched

	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		runtime.Gosched()
	}
	b.StopTimer()

	stop.Store(true)
	n := <-done // blocks us; partner observes stop and exits
	// Expect n == b.N (+1 for the hand-off at start), within the +/-2/61
	// fairness jitter explained above.
	if d := n - b.N; d < -(b.N/20+4) || d > b.N/20+4 {
		b.Fatalf("partner yielded %d times for b.N=%d; not a 1:1 ping-pong", n, b.N)
	}
}

// BenchmarkCreateGoroutines measures creating and exiting one goroutine.
//
// Same shape as Go's runtime BenchmarkCreateGoroutines (procs=1) in
// $GOROOT/src/runtime/proc_test.go: a chain of b.N goroutines where each one
// spawns the next and then exits; the last one signals the benchmark. One op
// = one `go` statement + that goroutine running to completion and exiting.
// Only one or two goroutines are alive at any time, so this measures the
// hot path (G reuse from the free list, stack reuse), not memory growth.
func BenchmarkCreateGoroutines(b *testing.B) {
	c := make(chan bool)
	var f func(n int)
	f = func(n int) {
		if n == 0 {
			c <- true
			return
		}
		go f(n - 1)
	}
	go f(b.N)
	<-c
}

// parkedBatch is the number of goroutines parked by BenchmarkParkedGoroutines.
const parkedBatch = 1_000_000

// parkedBatchesRun counts batches run in this process (see RSS caveat below).
var parkedBatchesRun int

// BenchmarkParkedGoroutines parks 1,000,000 goroutines on one shared channel
// and reports the time and resident memory per parked goroutine.
//
// Design: every benchmark iteration is one batch of parkedBatch goroutines.
// For each batch we
//  1. runtime.GC() and read RSS (timer stopped);
//  2. start the timer, spawn parkedBatch goroutines that each do
//     `ready.Done(); <-ch`, and wait until all have called ready.Done()
//     (at that point every goroutine is parked in chanrecv, or is one
//     instruction away from it);
//  3. stop the timer, runtime.GC() and read RSS again;
//  4. close(ch) to release them all and wait for all of them to exit.
//
// ns/op is overridden (b.ReportMetric(..., "ns/op")) to be the step-2 time
// divided by the number of goroutines, i.e. ns to create+park ONE goroutine,
// not ns per batch. B/goroutine = RSS delta of step 3 vs step 1 divided by
// parkedBatch; it includes the goroutine's stack, its g struct, its sudog on
// the channel's wait queue and its share of the allgs slice.
//
// RSS caveat: Go keeps exited goroutines (and their 2 KiB stacks) on a free
// list and never returns that memory, so a batch that is not the first one in
// the process reuses already-resident memory: its RSS delta is ~0 and its
// ns/op is much lower (no page faults). Note the testing package always calls
// the benchmark once with b.N=1 first and, unless -benchtime=1x, calls it
// again with a larger b.N and reports only that second call -- i.e. reuse
// numbers. So run it as `-benchtime=1x -count=1` (exactly one batch per
// process) and, for several samples, run the `go test` command several
// times. A warning is logged if a non-first batch is measured. B/goroutine is
// taken from the first batch of each call.
func BenchmarkParkedGoroutines(b *testing.B) {
	if testing.Short() {
		b.Skip("parks 1e6 goroutines (~3 GB RSS)")
	}
	var totalNs int64
	var bytesPerG float64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		ch := make(chan struct{})
		var ready, exited sync.WaitGroup
		ready.Add(parkedBatch)
		exited.Add(parkedBatch)
		runtime.GC()
		before := rssBytes(b)
		b.StartTimer()

		t0 := time.Now()
		for j := 0; j < parkedBatch; j++ {
			go func() {
				ready.Done()
				<-ch
				exited.Done()
			}()
		}
		ready.Wait()
		totalNs += time.Since(t0).Nanoseconds()

		b.StopTimer()
		runtime.GC()
		after := rssBytes(b)
		if i == 0 {
			bytesPerG = float64(after-before) / parkedBatch
		}
		if parkedBatchesRun++; parkedBatchesRun == 2 {
			b.Logf("more than one batch of %d in this process: numbers "+
				"measure reuse of freed goroutines; use -benchtime=1x -count=1",
				parkedBatch)
		}
		close(ch)
		exited.Wait()
		b.StartTimer()
	}
	b.ReportMetric(float64(totalNs)/float64(b.N)/parkedBatch, "ns/op")
	b.ReportMetric(bytesPerG, "B/goroutine")
}

// rssBytes returns the resident set size from /proc/self/statm (2nd field,
// in pages).
func rssBytes(b *testing.B) int64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		b.Fatal(err)
	}
	f := bytes.Fields(data)
	if len(f) < 2 {
		b.Fatalf("bad /proc/self/statm: %q", data)
	}
	pages, err := strconv.ParseInt(string(f[1]), 10, 64)
	if err != nil {
		b.Fatal(err)
	}
	return pages * int64(os.Getpagesize())
}
