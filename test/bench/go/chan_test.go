package gortbench

// Channel benchmarks: one written here (BenchmarkChanPingPong) and three
// ported from Go's own $GOROOT/src/runtime/chan_test.go (go1.23.5), with
// their structure and their definition of one op kept as in Go. Run them
// with -cpu 1 (see README.md, "Channel benchmarks"):
//
//	go test -run='^$' -bench='Chan|Select' -cpu 1 -benchtime=1s -count=3

import (
	"runtime"
	"sync/atomic"
	"testing"
)

// BenchmarkChanPingPong measures one round trip over two unbuffered channels
// between two goroutines on one P.
//
// Definition of one op: the benchmark goroutine sends a value on ping and
// then receives it back from pong; the partner goroutine loops
// `v := <-ping; pong <- v`. So one op = two channel transfers (ping, pong) and
// two goroutine switches: our receive on pong parks us and runs the partner
// (which was made runnable by our send: it was parked in its receive, so the
// send hands the value straight to it), and the partner's next receive on
// ping parks it and runs us again.
//
// Like BenchmarkGosched, this is only a clean ping-pong with exactly one P,
// so GOMAXPROCS=1 is forced for the duration of the benchmark; run it with
// -cpu 1 anyway so the name has no "-N" suffix. With more Ps the partner
// would run (or spin) on another thread and the numbers would mostly measure
// cross-thread wakeups.
//
// The value we get back must be the one we sent; a failed check ends the
// benchmark. Closing ping after the loop makes the partner exit.
func BenchmarkChanPingPong(b *testing.B) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))

	ping := make(chan int)
	pong := make(chan int)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for v := range ping { // v := <-ping, until ping is closed
			pong <- v
		}
	}()

	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ping <- i
		if v := <-pong; v != i {
			b.Fatalf("got %d back from pong; want %d", v, i)
		}
	}
	b.StopTimer()

	close(ping)
	<-done
}

// BenchmarkChanSync is Go's runtime BenchmarkChanSync (benchmarkChanSync
// with work=0), ported as is.
//
// Structure (as in Go): always 2 goroutines (procs is hard-coded to 2, NOT
// GOMAXPROCS) share one unbuffered channel. They take batches of
// CallsPerSched=1000 iterations from an atomic counter; in a batch with an
// even index the goroutine does `<-myc; myc <- 0` 1000 times, in an odd one
// `myc <- 0; <-myc`. The counter starts at an even number of batches and the
// two goroutines finish their batches in lock step, so they always hold one
// even and one odd batch and pair up (two even batches would deadlock). The
// benchmark goroutine only waits for both to finish.
//
// Definition of one op (as in Go): one inner iteration of one goroutine.
// Both goroutines together run b.N iterations (see rounding below) and each
// pair of matching iterations makes two transfers, so one op = one send on
// an unbuffered channel matched with one receive, i.e. half a round trip:
// ns/op is about half of BenchmarkChanPingPong's when both run on one P.
//
// Rounding (as in Go): only b.N/1000/2*2 batches are run, so up to 1999
// iterations are missing from the count, and for b.N < 2000 (the testing
// package's first calls with b.N=1 and b.N=100) nothing is run at all. For
// the b.N used in a 1 s run this underestimates ns/op by < 0.1%.
//
// Go's version calls localWork(work) after each send and receive; with
// work=0 that is an empty loop, so it is left out here.
//
// We run it with -cpu 1: then both goroutines share one P and every
// transfer that blocks is a goroutine switch on that P, as in
// BenchmarkChanPingPong.
func BenchmarkChanSync(b *testing.B) {
	const CallsPerSched = 1000
	procs := 2
	N := int32(b.N / CallsPerSched / procs * procs)
	c := make(chan bool, procs)
	myc := make(chan int)
	for p := 0; p < procs; p++ {
		go func() {
			for {
				i := atomic.AddInt32(&N, -1)
				if i < 0 {
					break
				}
				for g := 0; g < CallsPerSched; g++ {
					if i%2 == 0 {
						<-myc
						myc <- 0
					} else {
						myc <- 0
						<-myc
					}
				}
			}
			c <- true
		}()
	}
	for p := 0; p < procs; p++ {
		<-c
	}
}

// benchmarkChanProdCons is Go's runtime helper of the same name, ported as
// is (including the localWork loops; BenchmarkChanProdCons0 passes 0).
//
// Structure (as in Go): GOMAXPROCS producer goroutines and GOMAXPROCS
// consumer goroutines share one channel of capacity chanSize. Producers take
// batches of CallsPerSched=1000 from an atomic counter of b.N/1000 batches
// and send 1 per iteration (after localWork multiply/divide steps); when the
// counter runs out each producer sends one 0, which stops one consumer. Each
// consumer receives until it gets a 0 (doing localWork steps per value).
// foo is never 42; the `foo == 42` results only keep the work loops from
// being optimized away. The benchmark goroutine waits for all of them.
//
// Definition of one op (as in Go): one value sent by a producer and received
// by a consumer (one channel transfer). Only b.N/1000*1000 values are sent
// (plus GOMAXPROCS stop values), so for b.N < 1000 nothing is measured, and
// the count is up to 999 short otherwise.
func benchmarkChanProdCons(b *testing.B, chanSize, localWork int) {
	const CallsPerSched = 1000
	procs := runtime.GOMAXPROCS(-1)
	N := int32(b.N / CallsPerSched)
	c := make(chan bool, 2*procs)
	myc := make(chan int, chanSize)
	for p := 0; p < procs; p++ {
		go func() {
			foo := 0
			for atomic.AddInt32(&N, -1) >= 0 {
				for g := 0; g < CallsPerSched; g++ {
					for i := 0; i < localWork; i++ {
						foo *= 2
						foo /= 2
					}
					myc <- 1
				}
			}
			myc <- 0
			c <- foo == 42
		}()
		go func() {
			foo := 0
			for {
				v := <-myc
				if v == 0 {
					break
				}
				for i := 0; i < localWork; i++ {
					foo *= 2
					foo /= 2
				}
			}
			c <- foo == 42
		}()
	}
	for p := 0; p < procs; p++ {
		<-c
		<-c
	}
}

// BenchmarkChanProdCons0 is Go's runtime BenchmarkChanProdCons0: producers
// and consumers on an unbuffered channel with no local work. One op = one
// value transferred from a producer to a consumer (see
// benchmarkChanProdCons).
//
// The number of producer/consumer pairs is GOMAXPROCS, as in Go; we run it
// with -cpu 1, i.e. one producer and one consumer on one P. There, one op is
// about half a switch: the producer's send hands the value to the parked
// consumer and makes it runnable, the producer's next send finds no receiver
// and parks (switch to the consumer), the consumer returns the value, takes
// the next one straight from the parked producer (making it runnable), and
// parks in its third receive (switch back). So two transfers cost two
// switches, the same ratio as BenchmarkChanSync.
func BenchmarkChanProdCons0(b *testing.B) {
	benchmarkChanProdCons(b, 0, 0)
}

// BenchmarkSelectUncontended is Go's runtime BenchmarkSelectUncontended,
// ported as is.
//
// Structure (as in Go): b.RunParallel, so GOMAXPROCS goroutines (one with
// -cpu 1, which is how we run it) each own two channels of capacity 1 and
// pass one token back and forth between them. No goroutine ever blocks or
// switches, and no channel is shared, hence "uncontended".
//
// Definition of one op (as in Go): one iteration of the pb.Next() loop = one
// two-case select that finds exactly one case ready (a receive from the
// channel holding the token) + one send of the token into the other, empty
// buffered channel. So it measures select's overhead (sorting and locking
// the cases) plus two buffered channel operations, without any scheduling.
func BenchmarkSelectUncontended(b *testing.B) {
	b.RunParallel(func(pb *testing.PB) {
		myc1 := make(chan int, 1)
		myc2 := make(chan int, 1)
		myc1 <- 0
		for pb.Next() {
			select {
			case <-myc1:
				myc2 <- 0
			case <-myc2:
				myc1 <- 0
			}
		}
	})
}
