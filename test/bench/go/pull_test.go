//go:build go1.23

package gortbench

import (
	"iter"
	"testing"
)

// BenchmarkPull measures one next() call of an iter.Pull iterator.
//
// Definition of one op: one call of the next function returned by
// iter.Pull over an endless sequence
// (`func(yield func(int) bool) { for i := 0; yield(i); i++ {} }`).
// Each next() resumes the sequence's coroutine, which runs until its next
// yield(i) and switches back, so one op = one coroutine round trip = two
// runtime.coroswitch calls, plus iter.Pull's own bookkeeping (the
// done/yieldNext/seqDone checks, the value hand-off through a captured
// variable, and its race/panic handling). The iterator is created once
// before the timer starts, and stop() is called after the timer is
// stopped, so neither newcoro nor the coroutine's exit is measured.
//
// Needs Go >= 1.23 (package iter), hence the go1.23 build constraint. It
// uses no language feature newer than Go 1.22 (no range-over-func), so the
// module's `go 1.22` directive is kept; with Go 1.22 this file is simply not
// built.
func BenchmarkPull(b *testing.B) {
	seq := func(yield func(int) bool) {
		for i := 0; yield(i); i++ {
		}
	}
	next, stop := iter.Pull(iter.Seq[int](seq))

	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		v, ok := next()
		if !ok || v != i {
			b.Fatalf("next() = %d, %v; want %d, true", v, ok, i)
		}
	}
	b.StopTimer()

	stop()
	if _, ok := next(); ok {
		b.Fatal("next() after stop() returned ok")
	}
}
