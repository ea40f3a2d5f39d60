//go:build go1.23 && corolinkname

package gortbench

import (
	"testing"
	_ "unsafe" // for go:linkname
)

// The runtime's internal coroutines (runtime/coro.go), the same primitives
// iter.Pull is built on, pulled in the same way package iter does it.
// Go 1.23's linker only lets package iter reference these two symbols
// (blockedLinknames in cmd/link/internal/loader); any other package fails to
// link with "invalid reference to runtime.newcoro" unless the check is turned
// off with -ldflags=-checklinkname=0. Since that link error would break the
// whole test binary (all benchmarks), this file is opt-in via the
// corolinkname build tag:
//
//	go test -tags corolinkname -ldflags=-checklinkname=0 -run='^$' -bench=CoroSwitch -cpu 1
//
// Without the tag, coro_nolinkname_test.go provides a BenchmarkCoroSwitch
// that only skips with this hint.

type coro struct{}

//go:linkname newcoro runtime.newcoro
func newcoro(func(*coro)) *coro

//go:linkname coroswitch runtime.coroswitch
func coroswitch(*coro)

// BenchmarkCoroSwitch measures one round trip into a runtime coroutine and
// back, with nothing else on the path.
//
// Definition of one op: the benchmark goroutine calls coroswitch(c), which
// switches to the coroutine; the coroutine calls coroswitch(c), which
// switches back. So one op = two coroswitch calls = two coroutine switches
// (there and back), the same shape as BenchmarkGosched but with the
// runtime's direct hand-off instead of the scheduler. The coroutine is
// created once before the timer (newcoro does not run it yet; the first
// coroswitch starts it and runs it to its first coroswitch), and it is
// finished after the timer is stopped (one more switch in, it sees done,
// returns, and the runtime switches back to us as it exits).
//
// The coroutine counts its switches back to us; after the loop we check the
// count is exactly b.N-1 (the first switch only starts it; see below), i.e.
// every op really was one switch each way.
func BenchmarkCoroSwitch(b *testing.B) {
	var done bool
	var n int
	c := newcoro(func(c *coro) {
		for {
			coroswitch(c) // back to the benchmark goroutine
			if done {
				return
			}
			n++
		}
	})

	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		coroswitch(c)
	}
	b.StopTimer()

	// The first switch started the coroutine (it runs up to its first
	// coroswitch without counting), each later one counted once.
	if n != b.N-1 {
		b.Fatalf("coroutine switched back %d times for b.N=%d; want b.N-1", n, b.N)
	}
	done = true
	coroswitch(c) // coroutine returns; coroexit switches back here
}
