// test_signal.cc — SIGQUIT's goroutine dump (signal_unix.cc), in a child process.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "chan.h"
#include "gorttest.h"
#include "gosyscall.h"
#include "sync.h"

using namespace runtime;
using gorttest::contains;
using gorttest::startswith;

static std::atomic<g*> receiverg, yielderg, readerg;

/// Waits (yielding) until gp is published and has status want.
static void waitstatus(std::atomic<g*>& gp, uint32_t want) {
    while (gp.load() == nullptr || readgstatus(gp.load()) != want) Gosched();
}

static void receiver(gort::chan<int> c) {
    receiverg = getg();
    c.recv();
}

static void yielder() {
    yielderg = getg();
    for (;;) Gosched();
}

static void reader(int fd) {
    readerg = getg();
    char b;
    gort::syscall::Read(fd, &b, 1);
}

/// Starts Go's three kinds of goroutine that a dump shows (parked on a
/// channel, runnable in a Gosched loop, blocked in a system call) and waits
/// until each is in its state.
static void startsleepers() {
    auto c = gort::make_chan<int>();
    gort::go([c] { receiver(c); });
    gort::go([] { yielder(); });
    int fds[2];
    if (pipe(fds) != 0) return;
    gort::go([fd = fds[0]] { reader(fd); });
    waitstatus(receiverg, Gwaiting);
    waitstatus(readerg, Gsyscall);
    while (yielderg.load() == nullptr) Gosched();
}

/// A SIGQUIT aimed at this thread: goroutine 1 is the one interrupted.
GORT_CHILD(sigquit) {
    startsleepers();
    raise(SIGQUIT);
    gorttest::parkforever();
}

/// A SIGQUIT for the process (kill -QUIT, Ctrl-\\): the kernel picks the M.
GORT_CHILD(sigquit_kill) {
    startsleepers();
    kill(getpid(), SIGQUIT);
    gorttest::parkforever();
}

/// Checks the goroutines that startsleepers started, in a normalized dump.
static void checksleepers(const std::string& err) {
    CHECK(contains(err, "goroutine 2 [chan receive]:\n"));
    CHECK(contains(err, "receiver("));
    CHECK(contains(err, "goroutine 4 [syscall]:\n"));
    CHECK(contains(err, "reader("));
    // The yielder is between Goscheds (runnable) or running on the other P.
    CHECK((contains(err, "goroutine 3 [runnable]:\n") || contains(err, "goroutine 3 [running]:\n")));
    CHECK(contains(err, "yielder("));
    // The runtime's frames show (level 2, as for a throw), then the registers.
    CHECK(contains(err, "runtime.goexit()\n"));
    CHECK(contains(err, "\n\nrax    0x?\nrbx    0x?\n"));
    CHECK(contains(err, "\nrip    0x?\nrflags 0x?\ncs     0x?\nfs     0x?\ngs     0x?\n"));
}

TEST_CASE("SIGQUIT prints every goroutine and exits 2, as Go does", "[signal]") {
    gorttest::childresult r = gorttest::runchild("sigquit", {"GOMAXPROCS=2"});
    INFO("child wrote:\n" << r.err);
    CHECK(r.status == 2);
    std::string err = gorttest::normalize(r.err);
    // fatalsignal's lines; raise() sends SI_TKILL (-6), printed unsigned as Go does.
    CHECK(startswith(err, "SIGQUIT: quit\nPC=0x? m="));
    CHECK(contains(err, " sigcode=18446744073709551610\n\ngoroutine 1 [running]:\n"));
    CHECK(contains(err, "gorttest_child_sigquit()\n"));
    checksleepers(err);
}

TEST_CASE("SIGQUIT sent to the process dumps from whichever M gets it", "[signal]") {
    gorttest::childresult r = gorttest::runchild("sigquit_kill", {"GOMAXPROCS=2"});
    INFO("child wrote:\n" << r.err);
    CHECK(r.status == 2);
    std::string err = gorttest::normalize(r.err);
    CHECK(startswith(err, "SIGQUIT: quit\nPC=0x? m="));
    CHECK(contains(err, " sigcode=0\n\ngoroutine "));  // SI_USER
    CHECK(contains(err, "goroutine 1 ["));
    checksleepers(err);
}

/// Ctrl-\ on an idle program: every goroutine parked, the Ms asleep on g0,
/// and the signal raised by a thread that gort did not start (it hands the
/// signal on to m0's thread).
GORT_CHILD(sigquit_idle) {
    auto c = gort::make_chan<int>();
    gort::go([c] { receiver(c); });
    waitstatus(receiverg, Gwaiting);
    std::thread([] {
        usleep(100 * 1000);
        raise(SIGQUIT);  // to this thread, which has no g
    }).detach();
    gort::time::Sleep(std::chrono::seconds(10));  // a timer: no deadlock
}

TEST_CASE("SIGQUIT on an idle program dumps from g0", "[signal]") {
    gorttest::childresult r = gorttest::runchild("sigquit_idle", {"GOMAXPROCS=1"});
    INFO("child wrote:\n" << r.err);
    CHECK(r.status == 2);
    std::string err = gorttest::normalize(r.err);
    CHECK(startswith(err, "SIGQUIT: quit\nPC=0x? m="));
    CHECK(contains(err, "goroutine 0 [running]:\n"));  // g0 (Go: [idle])
    CHECK(contains(err, "goroutine 1 [sleep]:\n"));
    CHECK(contains(err, "goroutine 2 [chan receive]:\n"));
}
