// pingpong.cc — two goroutines hit a ball back and forth over two unbuffered
// channels, N times; while one holds the ball, the other is parked in a
// channel receive, and we read its wait reason.
//
// Run: build/examples/pingpong
//
// Go original: the ping-pong of Sameer Ajmani's "Advanced Go Concurrency
// Patterns" (Google I/O 2013, https://go.dev/talks/2013/advconc.slide#6),
//
//   type Ball struct{ hits int }
//   func player(name string, table chan *Ball) {
//       for {
//           ball := <-table
//           ball.hits++
//           fmt.Println(name, ball.hits)
//           table <- ball
//       }
//   }
//
// here with one channel per direction (ping's in is pong's out), ping serving
// (in the original, main does: `table <- new(Ball)`), and a game that ends:
// the player making hit N keeps the ball, closes its out channel and returns;
// the partner's `for ball := range in` ends, and it returns too. main waits
// for both with a WaitGroup, parked with wait reason "semacquire".
//
// Each hit is one send and one park on one M: the sender finds the partner
// parked in chanrecv, moves the ball straight into the partner's frame and
// goready()s it into runnext; the sender then parks in its own receive
// (mcall(park_m)), and schedule() runs the partner. The ball is a
// std::unique_ptr: chan<T> moves values, so only one player ever holds it.
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <memory>

#include "chan.h"
#include "go.h"
#include "sync.h"

using namespace runtime;

struct Ball {
    int hits = 0;
};

constexpr int N = 100000;

static g* maing;
static g* players[2];  // 0: ping, 1: pong

/// "waiting [chan receive]", as Go prints a goroutine's header.
static void status(const char* who, g* gp) {
    std::printf("    %s (goroutine %" PRIu64 "): ", who, gp->goid);
    switch (readgstatus(gp)) {
    case Grunning: std::printf("running\n"); break;
    case Grunnable: std::printf("runnable\n"); break;
    case Gwaiting: std::printf("waiting [%s]\n", waitReasonString(gp->waitreason)); break;
    default: std::printf("status %u\n", readgstatus(gp)); break;
    }
}

static void player(int me, const char* name, gort::chan<std::unique_ptr<Ball>> in,
                   gort::chan<std::unique_ptr<Ball>> out, gort::chan<std::unique_ptr<Ball>> done,
                   gort::sync::WaitGroup* wg, bool serve) {
    players[me] = getg();
    auto hit = [&](std::unique_ptr<Ball>& ball) {  // false: the game is over
        ball->hits++;
        if (ball->hits <= 3 || ball->hits > N - 2) std::printf("%s %d\n", name, ball->hits);
        if (ball->hits == 1 || ball->hits == N) {
            status("partner", players[1 - me]);
            status("main   ", maing);
        }
        if (ball->hits == 3) std::printf("...\n");
        if (ball->hits == N) {
            done.send(std::move(ball));  // buffered: does not block
            out.close();                 // the partner's range loop ends
            return false;
        }
        out.send(std::move(ball));
        return true;
    };
    bool playing = true;
    if (serve) {
        // Serve once the partner and main are both parked, so that what we
        // print is their wait reasons (with one P they already are).
        while (!players[1 - me] || readgstatus(players[1 - me]) != Gwaiting ||
               readgstatus(maing) != Gwaiting)
            Gosched();
        auto ball = std::make_unique<Ball>();
        playing = hit(ball);
    }
    if (playing)
        for (auto& ball : in)  // for ball := range in
            if (!hit(ball)) break;
    std::printf("%s leaves the table\n", name);
    wg->Done();
}

void main_main() {
    // One P, as in the chapter (and BenchmarkChanPingPong): the two players
    // take turns on one M, so the states printed below are always the same.
    GOMAXPROCS(1);
    maing = getg();
    auto ping = gort::make_chan<std::unique_ptr<Ball>>();      // to ping: unbuffered
    auto pong = gort::make_chan<std::unique_ptr<Ball>>();      // to pong: unbuffered
    auto done = gort::make_chan<std::unique_ptr<Ball>>(1);     // the ball, after hit N
    gort::sync::WaitGroup wg;
    wg.Add(2);
    gort::go([=, &wg] { player(0, "ping", ping, pong, done, &wg, true); });
    gort::go([=, &wg] { player(1, "pong", pong, ping, done, &wg, false); });
    std::printf("NumGoroutine at the start: %d; main parks in wg.Wait()\n",
                NumGoroutine());
    auto t0 = std::chrono::steady_clock::now();
    wg.Wait();
    auto t1 = std::chrono::steady_clock::now();
    auto ball = done.recv();
    double ns = std::chrono::duration<double, std::nano>(t1 - t0).count();
    std::printf("total hits: %d (%.0f ns per hit)\n",
                ball->hits, ns / ball->hits);
    std::printf("NumGoroutine at the end: %d\n", NumGoroutine());
}
