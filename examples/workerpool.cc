// workerpool.cc — a worker pool: 4 workers take jobs from a buffered channel,
// sleep in each (time.Sleep parks the goroutine, not the thread), and send
// results back; a WaitGroup closes the results channel once every worker is
// done, which ends main's range loop.
//
// Run: build/examples/workerpool
//
// Go original: "Go by Example: Worker Pools"
// (https://gobyexample.com/worker-pools), with the WaitGroup closer of
// "Go by Example: WaitGroups" and of the pipelines article
// (https://go.dev/blog/pipelines):
//
//   for w := 1; w <= 4; w++ {
//       wg.Add(1)
//       go func() { defer wg.Done(); worker(w, jobs, results) }()
//   }
//   for j := 1; j <= numJobs; j++ { jobs <- j }
//   close(jobs)
//   go func() { wg.Wait(); close(results) }()
//   for r := range results { sum += r.value; ... }
//
// While a worker sleeps, it is parked with wait reason "sleep" and its timer
// is in its P's heap; the M runs the other workers, and when nothing is
// runnable it sleeps until the earliest timer (netpoll). So 40 jobs of 2 ms
// take about 20 ms on 4 workers, not 80 — on one P (GOMAXPROCS=1) as on
// several, where idle Ms also steal workers from each other's run queues.
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "chan.h"
#include "go.h"
#include "gstates.h"
#include "sync.h"

using namespace std::chrono_literals;

constexpr int numJobs = 40;
constexpr int numWorkers = 4;

struct result {
    int worker = 0;
    int job = 0;
    long value = 0;
};

static void worker(int id, gort::chan<int> jobs, gort::chan<result> results) {
    for (int j : jobs) {               // for j := range jobs
        gort::time::Sleep(2ms);        // the "work": parks this goroutine
        results.send({id, j, long(j) * j});
    }
}

void main_main() {
    auto jobs = gort::make_chan<int>(numJobs);  // buffered: main queues them all
    auto results = gort::make_chan<result>();   // unbuffered
    gort::sync::WaitGroup wg;

    for (int w = 1; w <= numWorkers; w++) {
        wg.Add(1);
        gort::go([w, jobs, results, &wg] {
            worker(w, jobs, results);
            wg.Done();
        });
    }
    for (int j = 1; j <= numJobs; j++) jobs.send(j);
    jobs.close();
    std::printf("queued %d jobs (len(jobs) = %d, cap %d) for %d workers\n", numJobs,
                jobs.len(), jobs.cap(), numWorkers);
    gort::go([&wg, results] {  // the closer
        wg.Wait();
        results.close();
    });

    auto t0 = std::chrono::steady_clock::now();
    long sum = 0;
    int count = 0;
    std::map<int, int> perWorker;
    for (result& r : results) {  // for r := range results
        if (count == 0) {
            std::printf("first result: job %d from worker %d; the others meanwhile:\n", r.job,
                        r.worker);
            printgstates(4);
        }
        sum += r.value;
        count++;
        perWorker[r.worker]++;
    }
    auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();

    for (auto& [w, n] : perWorker) std::printf("worker %d did %d jobs\n", w, n);
    std::printf("took %.1f ms (%d jobs x 2 ms on %d workers; serially %d ms)\n", ms, numJobs,
                numWorkers, numJobs * 2);
    long want = long(numJobs) * (numJobs + 1) * (2 * numJobs + 1) / 6;
    std::printf("jobs done: %d of %d\n", count, numJobs);
    std::printf("sum of squares 1..%d: %ld (want %ld): %s\n", numJobs, sum, want,
                sum == want ? "ok" : "WRONG");
    std::printf("NumGoroutine = %d\n", runtime::NumGoroutine());
}
