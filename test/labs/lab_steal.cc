// lab_steal.cc — graded tests of lab 6, runqgrab/runqsteal (docs/labs/steal.md).
// Points: test/labs/steal/rubric.txt. Most tests steal between Ps of their
// own that no M runs, with made-up g pointers (the queues never dereference
// them), so they are exact. One stops a thief in the middle of runqgrab (a
// page fault on the victim's ring) to let the owner take g's, deterministically;
// one races real threads over such Ps and checks that no g is lost or stolen
// twice; one runs goroutines on 2 Ps.
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "chan.h"
#include "gorttest.h"

using namespace runtime;

namespace {

constexpr int nfake = 1 << 16;
alignas(8) char fakespace[nfake * 8];
g* fake(int i) { return reinterpret_cast<g*>(fakespace + 8 * i); }
int idx(g* gp) { return int((reinterpret_cast<char*>(gp) - fakespace) / 8); }

p victim, thief;

void reset(p& pp, uint32_t at = 0) {
    pp.runqhead = pp.runqtail = at;
    pp.runnext.store(nullptr);
    for (auto& s : pp.runq) s.store(nullptr);
    pp.status.store(Pidle);
}

void fill(p& pp, int from, int n) {
    for (int i = from; i < from + n; i++) runqput(&pp, fake(i), false);
}

// pp's ring, head to tail, as fake numbers: "0 1 2".
std::string ring(p& pp) {
    std::string s;
    for (uint32_t i = pp.runqhead; i != pp.runqtail; i++) {
        if (!s.empty()) s += ' ';
        s += std::to_string(idx(pp.runq[i % 256].load()));
        if (s.size() > 2000) break;
    }
    return s;
}

}  // namespace

TEST_CASE("runqsteal takes half of the ring rounded up", "[lab-steal]") {
    reset(victim);
    reset(thief);
    fill(victim, 0, 5);
    g* gp = runqsteal(&thief, &victim, false);
    INFO("5 g's: the thief takes n - n/2 = 3 (runqgrab), the victim keeps 2");
    REQUIRE(gp != nullptr);
    CHECK(victim.runqtail - victim.runqhead == 2);
    CHECK(thief.runqtail - thief.runqhead == 2);  // 3 taken, one returned to run
}

TEST_CASE("the oldest goroutines are stolen and keep their order", "[lab-steal]") {
    reset(victim);
    reset(thief);
    fill(victim, 0, 6);
    g* gp = runqsteal(&thief, &victim, false);
    INFO("runqgrab copies from the victim's head (the oldest) and commits by CASing its "
         "head forward; runqsteal returns the last one grabbed and queues the others in order");
    CHECK(ring(victim) == "3 4 5");
    CHECK(ring(thief) == "0 1");
    REQUIRE(gp != nullptr);
    CHECK(idx(gp) == 2);
}

TEST_CASE("stealing a single goroutine returns it and queues nothing", "[lab-steal]") {
    reset(victim);
    reset(thief);
    fill(victim, 7, 1);
    g* gp = runqsteal(&thief, &victim, false);
    REQUIRE(gp != nullptr);
    CHECK(idx(gp) == 7);
    INFO("n-1 == 0: nothing to publish, the thief's tail does not move");
    CHECK(thief.runqtail == thief.runqhead);
    CHECK(victim.runqtail == victim.runqhead);
}

TEST_CASE("an empty P gives nothing", "[lab-steal]") {
    reset(victim);
    reset(thief);
    fill(thief, 40, 2);
    CHECK(runqsteal(&thief, &victim, false) == nullptr);
    CHECK(runqsteal(&thief, &victim, true) == nullptr);
    CHECK(ring(thief) == "40 41");
}

TEST_CASE("the thief's own goroutines stay where they are", "[lab-steal]") {
    reset(victim);
    reset(thief);
    fill(thief, 100, 3);
    bool inherit;
    runqget(&thief, &inherit);  // head moves: 101 102 left
    fill(victim, 0, 4);
    g* gp = runqsteal(&thief, &victim, false);
    INFO("stolen g's go after the thief's tail, not over its head");
    REQUIRE(gp != nullptr);
    CHECK(idx(gp) == 1);
    CHECK(ring(thief) == "101 102 0");
    CHECK(ring(victim) == "2 3");
}

TEST_CASE("runnext is stolen only when asked and only from an empty ring", "[lab-steal]") {
    reset(victim);
    reset(thief);
    runqput(&victim, fake(9), true);  // runnext
    INFO("stealRunNextG false: runnext is left alone");
    CHECK(runqsteal(&thief, &victim, false) == nullptr);
    CHECK(victim.runnext.load() == fake(9));
    INFO("stealRunNextG true and an empty ring: take runnext (CAS it to nil)");
    CHECK(runqsteal(&thief, &victim, true) == fake(9));
    CHECK(victim.runnext.load() == nullptr);
    reset(victim);
    fill(victim, 0, 1);
    runqput(&victim, fake(9), true);
    INFO("a non-empty ring: take from the ring, runnext stays");
    CHECK(runqsteal(&thief, &victim, true) == fake(0));
    CHECK(victim.runnext.load() == fake(9));
}

TEST_CASE("indices wrap: heads and tails near 2^32 and slots past 255", "[lab-steal]") {
    reset(victim, 0xfffffffdu);  // the victim's tail wraps to 0 and beyond
    reset(thief, 254);           // the thief's slots wrap from 255 to 0
    fill(victim, 0, 8);
    g* gp = runqsteal(&thief, &victim, false);
    INFO("indices are uint32 counters: the slot is i % 256, and t - h counts even "
         "across 2^32; the batch ring wraps too");
    REQUIRE(gp != nullptr);
    CHECK(idx(gp) == 3);
    CHECK(ring(thief) == "0 1 2");
    CHECK(ring(victim) == "4 5 6 7");
    CHECK(thief.runqtail == 257u);
}

namespace {

// The owner of a victim P, simulated at one precise instant: in the middle
// of a thief's runqgrab, after the thief has read runqhead and before it can
// commit. The victim's ring is placed so that one slot starts a page that is
// made inaccessible; the thief's load of that slot faults, and the handler
// plays the owner: it takes up to 4 g's with runqget's own steps (from the
// head as it is now), opens the page, and lets the thief's load go on.
p* rvictim;
void* trap;        // the inaccessible page
int ownertook[8];  // fake numbers the "owner" took
int nowner;
long pagesize;

void ownerstep(int, siginfo_t* si, void*) {
    if (si->si_addr < trap || si->si_addr >= static_cast<char*>(trap) + pagesize) std::abort();
    mprotect(trap, pagesize, PROT_READ | PROT_WRITE);
    uint32_t h = rvictim->runqhead, t = rvictim->runqtail;
    for (; nowner < 4 && h != t; h++) ownertook[nowner++] = idx(rvictim->runq[h % 256].load());
    __atomic_store_n(&rvictim->runqhead, h, __ATOMIC_RELEASE);
}

}  // namespace

TEST_CASE("a thief whose commit races the owner starts again", "[lab-steal]") {
    pagesize = sysconf(_SC_PAGESIZE);
    // Where p::runq lies in a p, and which slot can start a page with the p aligned.
    static p probe;
    size_t off = size_t(reinterpret_cast<char*>(&probe.runq[0]) - reinterpret_cast<char*>(&probe));
    int k = 3;
    while ((off + 8 * k) % alignof(p) != 0) k++;
    char* mem = static_cast<char*>(mmap(nullptr, 4 * pagesize, PROT_READ | PROT_WRITE,
                                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    REQUIRE(mem != MAP_FAILED);
    trap = mem + 2 * pagesize;  // runq[k] starts here
    rvictim = new (static_cast<char*>(trap) - off - 8 * k) p();
    reset(*rvictim);
    reset(thief);
    fill(*rvictim, 0, k + 5);  // g's 0 .. k+4, slot k on the trap page
    nowner = 0;
    struct sigaction sa {}, old {};
    sa.sa_sigaction = ownerstep;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigaction(SIGSEGV, &sa, &old);
    mprotect(trap, pagesize, PROT_NONE);
    g* gp = runqsteal(&thief, rvictim, false);
    mprotect(trap, pagesize, PROT_READ | PROT_WRITE);
    sigaction(SIGSEGV, &old, nullptr);
    INFO("runqgrab read the head, the owner took g's meanwhile (ownertook), so the "
         "thief's CAS of runqhead must fail and it must start again from the new head: "
         "a g taken by both is one g run twice");
    REQUIRE(nowner == 4);  // the owner did run in the middle
    std::string stolen = ring(thief) + (gp != nullptr ? " " + std::to_string(idx(gp)) : "");
    std::string took;
    for (int i = 0; i < nowner; i++) took += std::to_string(ownertook[i]) + " ";
    INFO("owner took: " << took << "; thief has: " << stolen);
    for (int i = 0; i < nowner; i++) {
        bool both = false;
        for (uint32_t j = thief.runqhead; j != thief.runqtail; j++)
            both |= idx(thief.runq[j % 256].load()) == ownertook[i];
        both |= gp != nullptr && idx(gp) == ownertook[i];
        CHECK(!both);
    }
    CHECK(gp != nullptr);
    INFO("and the victim's head never goes back");
    CHECK(rvictim->runqhead - 0 >= 4u);
    CHECK(rvictim->runqtail - rvictim->runqhead + (thief.runqtail - thief.runqhead) + (gp ? 1 : 0) +
              nowner == uint32_t(k + 5));
    rvictim->~p();
    munmap(mem, 4 * pagesize);
}

TEST_CASE("thieves racing the owner never lose or duplicate a goroutine", "[lab-steal]") {
    // Real threads, made-up g's: the owner puts (sometimes into runnext) and
    // gets; two thieves steal into Ps of their own and drain them.
    static p owner, thieves[2];
    reset(owner);
    reset(thieves[0]);
    reset(thieves[1]);
    const int n = 40000;
    static std::atomic<uint8_t> seen[nfake];
    for (auto& s : seen) s = 0;
    std::atomic<bool> done{false};
    std::atomic<long> stolen{0};
    auto take = [&](g* gp) { seen[idx(gp)]++; };
    std::thread ths[2];
    for (int k = 0; k < 2; k++)
        ths[k] = std::thread([&, k] {
            bool inherit;
            for (int round = 0; !done.load(); round++) {
                if (g* gp = runqsteal(&thieves[k], &owner, round % 2 == 1)) {
                    take(gp);
                    stolen++;
                }
                while (g* gp = runqget(&thieves[k], &inherit)) take(gp);
            }
        });
    bool inherit;
    for (int i = 0; i < n; i++) {
        while (owner.runqtail - __atomic_load_n(&owner.runqhead, __ATOMIC_ACQUIRE) > 200)
            if (g* gp = runqget(&owner, &inherit)) take(gp);
        runqput(&owner, fake(i), i % 7 == 0);
        if (i % 3 == 0)
            if (g* gp = runqget(&owner, &inherit)) take(gp);
    }
    // Leave the rest for the thieves until they have stolen something.
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (stolen.load() == 0 && std::chrono::steady_clock::now() < until) std::this_thread::yield();
    done = true;
    for (auto& t : ths) t.join();
    while (g* gp = runqget(&owner, &inherit)) take(gp);
    for (auto& t : thieves)
        while (g* gp = runqget(&t, &inherit)) take(gp);
    int lost = 0, twice = 0;
    for (int i = 0; i < n; i++) {
        lost += seen[i] == 0;
        twice += seen[i] > 1;
    }
    INFO("runqgrab must copy first and then commit with a CAS on the victim's head "
         "(retrying when it fails); a plain store lets two takers have the same g");
    CHECK(lost == 0);
    CHECK(twice == 0);
    INFO("and the thieves must have stolen something");
    CHECK(stolen > 0);
}

TEST_CASE("an idle P steals: two goroutines run at once on 2 Ps", "[lab-steal]") {
    gorttest::gomaxprocs two(2);
    std::atomic<int> running{0};
    std::atomic<bool> together{false}, gaveup{false};
    auto both = gort::make_chan<bool>(2);
    // Neither goroutine blocks or yields, and gort does not preempt: the
    // one queued behind the other runs at the same time only if the idle P
    // steals it. Otherwise the first gives up after 5 s.
    for (int i = 0; i < 2; i++)
        gort::go([&] {
            running++;
            auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
            while (running.load() < 2 && !gaveup.load() && std::chrono::steady_clock::now() < until) {
            }
            if (running.load() == 2 && !gaveup.load())
                together = true;
            else
                gaveup = true;
            both.send(true);
        });
    both.recv();
    both.recv();
    INFO("the spinning M of the idle P must take work from the busy P's queue (stealWork -> "
         "runqsteal): here, the goroutine waiting behind the one that spins");
    CHECK(together);
}
