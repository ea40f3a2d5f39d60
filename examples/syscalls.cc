// syscalls.cc — many threads: goroutines that block in the kernel, a P that
// keeps running while its goroutine sleeps in a system call, and a goroutine
// locked to its OS thread.
//
// Run: build/examples/syscalls            (GODEBUG=schedtrace=50 shows sysmon's view)
//
// The chapter's first mcall call site is exitsyscall0: a goroutine comes back
// from a system call, finds no P free, and mcall(exitsyscall0) queues it and
// parks its M. This program makes that happen and shows what the scheduler
// does around it (proc_syscall.cc, proc_sysmon.cc).
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>

#include "go.h"
#include "gosyscall.h"
#include "sync.h"

using namespace runtime;

static long threadid() {
    return long(::syscall(SYS_gettid));
}

static double msince(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

void main_main() {
    std::printf("GOMAXPROCS=%d, NumCPU=%d, Ms so far: %d (m0 and sysmon's)\n", GOMAXPROCS(0),
                NumCPU(), mcount());

    std::printf("\n[1] 8 goroutines each sleep 100 ms in nanosleep(2), a blocking system call\n"
                "    (gort::syscall::Nanosleep: entersyscall → the kernel → exitsyscall)\n");
    // Each sleep's start and end, in ms since t0: the sleeps overlapped if
    // the last one started before the first one ended (on one M, one at a
    // time, each would start after the previous ended). Timing-proof: a
    // loaded machine stretches the total, not the overlap.
    auto t0 = std::chrono::steady_clock::now();
    double start[8], end[8];
    gort::sync::WaitGroup wg;
    wg.Add(8);
    for (int i = 0; i < 8; i++)
        gort::go([&, i] {
            start[i] = msince(t0);
            gort::syscall::Nanosleep(100'000'000);
            end[i] = msince(t0);
            wg.Done();
        });
    wg.Wait();
    double took = msince(t0);
    double laststart = *std::max_element(start, start + 8), firstend = *std::min_element(end, end + 8);
    std::printf("    all 8 done after %.0f ms; the last started at %.0f ms, the first ended at %.0f ms:\n"
                "    %s\n",
                took, laststart, firstend,
                laststart < firstend ? "they slept at the same time, each blocking its own M"
                                     : "they slept one after another");
    std::printf("    sysmon retook each P stuck in Psyscall and handed it to another M\n"
                "    (retake → handoffp → startm): Ms now %d, idle ones park on their notes\n",
                mcount());

    std::printf("\n[2] on one P: while goroutine A sleeps 100 ms in a system call, the P runs main\n");
    GOMAXPROCS(1);
    std::atomic<bool> done{false};
    std::atomic<long> atid{0}, after{0};
    gort::go([&] {
        atid = threadid();
        gort::syscall::Nanosleep(100'000'000);
        after = threadid();
        done = true;
    });
    Gosched();  // A runs, enters the system call
    long yields = 0;
    while (!done.load()) {
        yields++;
        Gosched();
    }
    std::printf("    main ran %s during A's system call (%ld Goscheds)\n",
                yields > 10 ? "many times" : "only a few times", yields);
    std::printf("    A came back on %s thread (%s)\n", atid.load() == after.load() ? "the same" : "another",
                atid.load() == after.load() ? "exitsyscallfast got a P"
                                            : "exitsyscall0: no P free, so A was queued and its M parked");
    GOMAXPROCS(2);

    std::printf("\n[3] LockOSThread: a goroutine wired to its thread\n");
    std::atomic<bool> same{true};
    gort::go([&] {
        LockOSThread();
        long mine = threadid();
        for (int i = 0; i < 1000; i++) {
            Gosched();
            if (threadid() != mine) same = false;
        }
        UnlockOSThread();
        done = false;
    });
    while (done.load()) Gosched();
    std::printf("    1000 Goscheds, always back on its own thread: %s\n", same.load() ? "yes" : "NO");
}
