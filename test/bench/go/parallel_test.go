package gortbench

import (
	"sync"
	"sync/atomic"
	"testing"
)

// parallelSum is one op of the ParallelSum benchmarks, the twins of gort's:
// a CPU-bound sum over n integers split among 1000 goroutines (each mixes its
// numbers with a multiply-xorshift, so the work is arithmetic rather than
// memory traffic), joined with a WaitGroup. Run them with -cpu 1,2 to see how
// the scheduler spreads the goroutines over Ps:
//
//	go test -run='^$' -bench=ParallelSum -cpu 1,2
func parallelSum(b *testing.B, n uint64) {
	const parts = 1000
	for i := 0; i < b.N; i++ {
		var total atomic.Uint64
		var wg sync.WaitGroup
		wg.Add(parts)
		for k := uint64(0); k < parts; k++ {
			go func(k uint64) {
				var s uint64
				for x := k * n / parts; x < (k+1)*n/parts; x++ {
					h := x * 0x9e3779b97f4a7c15
					s += h ^ (h >> 29)
				}
				total.Add(s)
				wg.Done()
			}(k)
		}
		wg.Wait()
		if total.Load() == 42 {
			println("unlikely")
		}
	}
}

// BenchmarkParallelSum sums 2^24 integers (issue 5's scaling measure).
func BenchmarkParallelSum(b *testing.B) { parallelSum(b, 1<<24) }

// BenchmarkParallelSumSmall sums 2^22: short goroutines, where moving a
// goroutine between cores costs a visible share.
func BenchmarkParallelSumSmall(b *testing.B) { parallelSum(b, 1<<22) }
