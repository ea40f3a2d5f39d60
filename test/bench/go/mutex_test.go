package gortbench

// Mutex benchmarks: Go's own sync.BenchmarkMutex and BenchmarkMutexWork
// ($GOROOT/src/sync/mutex_test.go, benchmarkMutex(b, false, work)), written
// without b.RunParallel, as gort's twins are: GOMAXPROCS goroutines, each
// doing its fixed share of b.N Lock/Unlock pairs (RunParallel hands out
// iterations from a shared counter instead). One op = one Lock/Unlock pair.
// Inside the lock a plain counter is incremented and checked at the end.
// Run them on 1 and 2 Ps (with one P there is no contention, and
// sync.Mutex does not spin):
//
//	go test -run='^$' -bench=Mutex -cpu 1,2

import (
	"runtime"
	"sync"
	"testing"
)

func benchmarkMutex(b *testing.B, work bool) {
	procs := runtime.GOMAXPROCS(0)
	var mu sync.Mutex
	counter := 0 // guarded by mu
	var wg sync.WaitGroup
	wg.Add(procs)
	for k := 0; k < procs; k++ {
		n := b.N / procs
		if k < b.N%procs {
			n++
		}
		go func() {
			foo := 0
			for i := 0; i < n; i++ {
				mu.Lock()
				counter++
				mu.Unlock()
				if work {
					for j := 0; j < 100; j++ {
						foo *= 2
						foo /= 2
					}
				}
			}
			_ = foo
			wg.Done()
		}()
	}
	wg.Wait()
	if counter != b.N {
		b.Fatalf("counter %d, want %d", counter, b.N)
	}
}

// BenchmarkMutex: nothing but the pairs, all contention.
func BenchmarkMutex(b *testing.B) {
	benchmarkMutex(b, false)
}

// BenchmarkMutexWork: some local work between the pairs.
func BenchmarkMutexWork(b *testing.B) {
	benchmarkMutex(b, true)
}
