// goroutines.cc — a program to look at in gdb: goroutines parked in every
// way gort has, then a breakpoint with all of them on view.
//
// Run:   build/examples/goroutines
// Debug: gdb -x examples/goroutines.gdb build/examples/goroutines
//        (the script loads runtime/runtime-gdb.py, stops in stophere(), and
//        runs `info goroutines`, `goroutine 2 bt`, `goroutine all bt`, ...)
//
// When main_main calls stophere(), with GOMAXPROCS=1:
//   goroutine 1  running                 main_main → stophere
//   goroutine 2  waiting [chan receive]  receiver: <-in
//   goroutine 3  waiting [chan send]     sender:   out <- 7, nobody receives yet
//   goroutine 4  waiting [select]        selector: select on two channels
//   goroutine 5  runnable                yielder:  in a Gosched loop
//   goroutine 6  syscall                 reader:   blocked in read(2) on its own M
//   goroutine 7  waiting [coroutine]     countup:  the sequence of an iter::Pull,
//                                        parked in yield after one next()
//   goroutine 8  waiting [coroutine]     bare:     a coro (newcoro) never switched to
//   goroutine 9  dead                    quick:    returned at once
// and the buffered channel `jobs` holds 2 values of 4 ($len(jobs), $cap(jobs)).
// Then main wakes them all, and everything exits.
#include <unistd.h>

#include <atomic>
#include <cstdio>

#include "chan.h"
#include "go.h"
#include "gosyscall.h"
#include "iter.h"

using namespace runtime;

static std::atomic<bool> stopYielding{false};
static gort::chan<int> jobs;  // global, for `print $len(jobs)` in gdb

// Each goroutine's body is a named function, not a lambda, so gdb's
// backtraces name it plainly.
[[gnu::noinline]] static void receiver(gort::chan<int> in) {
    int v = in.recv();  // parks: [chan receive]
    std::printf("receiver got %d\n", v);
}

[[gnu::noinline]] static void sender(gort::chan<int> out) {
    out.send(7);  // parks: [chan send]
}

[[gnu::noinline]] static void selector(gort::chan<int> a, gort::chan<int> b) {
    gort::select(gort::recv(a, [](int v, bool) { std::printf("selector got %d from a\n", v); }),
                 gort::recv(b, [](int v, bool) { std::printf("selector got %d from b\n", v); }));
}

[[gnu::noinline]] static void quick() {}

// A bare coroutine: the runtime API under iter::Pull (coro.cc). Its goroutine
// waits in the coro from newcoro on, and runs barebody at the first
// coroswitch(bare). Global, so that gdb can `print *bare`.
static coro* bare;
[[gnu::noinline]] static void barebody(corofunc*, coro*) {}
static corofunc barefn{barebody};

[[gnu::noinline]] static void yielder() {
    while (!stopYielding.load()) Gosched();  // runnable, between two turns
}

// Blocks its M in read(2) until main writes; its P goes on without it.
[[gnu::noinline]] static void reader(int fd) {
    char c;
    gort::syscall::Read(fd, &c, 1);
}

[[gnu::noinline]] static void countup(const std::function<bool(int)>& yield) {
    for (int i = 0; yield(i); i++) {}  // parks in yield: [coroutine]
}

/// The breakpoint: every goroutine above is where the table says.
[[gnu::noinline]] void stophere() {
    asm volatile("" ::: "memory");  // keep the call (and the frame) in place
}

void main_main() {
    GOMAXPROCS(1);  // one P: the others run only when main lets them
    auto in = gort::make_chan<int>();
    auto out = gort::make_chan<int>();
    auto a = gort::make_chan<int>(), b = gort::make_chan<int>();
    jobs = gort::make_chan<int>(4);
    jobs.send(1);
    jobs.send(2);
    gort::go([in] { receiver(in); });
    gort::go([out] { sender(out); });
    gort::go([a, b] { selector(a, b); });
    gort::go([] { yielder(); });
    int fds[2];
    if (pipe(fds) != 0) return;
    gort::go([fd = fds[0]] { reader(fd); });
    // Let them all run up to where they park (the yielder to its Gosched, the
    // reader into read(2): main goes on once sysmon hands its P to another M).
    Gosched();
    iter::Seq<int> seq = countup;
    auto [next, stop] = iter::Pull(seq);
    auto [v, ok] = next();  // the sequence runs up to its first yield
    bare = newcoro(&barefn);
    gort::go([] { quick(); });
    Gosched();  // quick runs and exits; its g stays in allgs, dead
    std::printf("next() = %d, %s; NumGoroutine = %d\n", v, ok ? "true" : "false", NumGoroutine());

    stophere();

    in.send(1);
    std::printf("main got %d from sender\n", out.recv());
    b.send(2);
    stop();
    coroswitch(bare);  // barebody runs and returns; its goroutine exits, back here
    delete bare;
    if (write(fds[1], "x", 1) != 1) return;
    stopYielding = true;
    Gosched();
    std::printf("done\n");
}
