package gortbench

import (
	"sync"
	"sync/atomic"
	"testing"
)

// BenchmarkParallelSum is the twin of gort's BenchmarkParallelSum: one op is
// a CPU-bound sum over 2^22 integers split among 1000 goroutines (each mixes
// its numbers with a multiply-xorshift, so the work is arithmetic rather than
// memory traffic), joined with a WaitGroup. Run it with -cpu 1,2 to see how
// the scheduler spreads the goroutines over Ps:
//
//	go test -run='^$' -bench=ParallelSum -cpu 1,2
func BenchmarkParallelSum(b *testing.B) {
	const n = 1 << 22
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
