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
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

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

/// Joins a barrier of n threads in the kernel: futex-waits until n threads
/// have arrived or 10 s have passed. Blocks the calling OS thread. Returns
/// whether the barrier filled while this thread was in it.
static bool kernelbarrier(std::atomic<int>& inside, int n, std::chrono::steady_clock::time_point t0) {
    int now = inside.fetch_add(1) + 1;
    if (now == n) ::syscall(SYS_futex, &inside, FUTEX_WAKE_PRIVATE, n, nullptr, nullptr, 0);
    while ((now = inside.load()) < n && msince(t0) < 10'000) {
        struct timespec ts = {0, 10'000'000};  // re-check every 10 ms
        ::syscall(SYS_futex, &inside, FUTEX_WAIT_PRIVATE, now, &ts, nullptr, 0);
    }
    return now >= n;
}

void main_main() {
    std::printf("GOMAXPROCS=%d, NumCPU=%d, Ms so far: %d (m0 and sysmon's)\n", GOMAXPROCS(0),
                NumCPU(), mcount());

    std::printf("\n[1] 8 goroutines each block in futex(2), a system call that returns only\n"
                "    when all 8 are inside it: a barrier in the kernel, on %d P(s)\n"
                "    (gort::syscall::Syscall: entersyscall → the kernel → exitsyscall)\n",
                GOMAXPROCS(0));
    // Had the Ps stayed with the goroutines blocked in the kernel, the others
    // could never run and the barrier would not fill: it gives up after 10 s.
    // Whether it fills does not depend on the machine's speed.
    std::atomic<int> inside{0}, filled{0};
    auto t0 = std::chrono::steady_clock::now();
    gort::sync::WaitGroup wg;
    wg.Add(8);
    for (int i = 0; i < 8; i++)
        gort::go([&] {
            if (gort::syscall::Syscall([&] { return kernelbarrier(inside, 8, t0); })) filled++;
            wg.Done();
        });
    wg.Wait();
    std::printf("    %d of 8 saw all 8 blocked in the kernel at once (after %.0f ms): %s\n",
                filled.load(), msince(t0),
                filled.load() == 8 ? "each blocking its own M, none holding a P"
                                   : "the others did not get a P in time");
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
