// fuzz_sched.cc — one byte string, run as a program of goroutine operations
// against gort, with the invariants checked at the end.
//
// The program. Bytes 0-2 are a header: byte 0 gives the number of channels
// (1 + b0 % 4) and how many times the closer yields before it closes them
// (b0 >> 2); byte 1 gives each channel's capacity (two bits each, 0..3);
// byte 2 gives GOMAXPROCS (1 + b2 % 3). The rest is the root goroutine's
// program: one opcode byte (op % 16), then its operands, a missing byte
// reading as 0, so every byte string is a program.
//
//   0 spawn L     go: the next L % 64 bytes are the child's program (skipped here)
//   1 send c      ch[c] <- v, v a fresh value           (c % nchan)
//   2 recv c      v, ok := <-ch[c]                      (c % nchan)
//   3 range c     for v := range ch[c]                  (c % nchan)
//   4 close c     close(ch[c]); c == nchan is a nil channel ((c & 127) % (nchan+1));
//                 if c & 128 (unless GORT_FUZZ_CATCH=off), Goscheds in the catch
//                 block of the close's panic
//   5 select F c1 c2 [c3]   2 + F%2 cases, default if F&2; case byte: bit 7
//                 send, else recv, on ch[(x & 127) % (nchan+1)] (nil if nchan)
//   6 gosched
//   7 lock m      8 unlock m      9 trylock m            (m % 2, two Mutexes)
//  10 wait        wait for this goroutine's children (a WaitGroup)
//  11 pull L K    iter::Pull over the next L % 64 bytes as the sequence's
//                 program; K % 8 calls of next(), then stop() if K & 8,
//                 else the destructor stops it
//  12 yield       in a sequence: yield the next integer; elsewhere gosched
//  13 panic       in a sequence: throw (next() must rethrow it); elsewhere nop
//  14 goexit      runtime::Goexit (not in a sequence)
//  15 misc x      x >> 5: 0-3 check len(ch[x % nchan]) <= cap; 4 time::Sleep,
//                 5 a blocking system call (nanosleep), of 0 or 1 us (30 if
//                 x & 7 == 7);
//                 6 LockOSThread, 7 UnlockOSThread (not in a sequence)
//
// Why every program terminates: a closer goroutine, which never blocks,
// yields some times and then closes every channel, so every channel
// operation returns (a send on a closed channel panics; the harness catches
// it as Go's recover would, and checks the text). A goroutine waits only for
// its own children and only while it holds no Mutex; Mutexes are taken in
// index order, never twice; a sequence does no Mutex, spawn, wait, goexit or
// LockOSThread (gort, as go1.23, requires coroswitch on the same lock state).
// So the wait-for graph has no cycle, and gort's deadlock detector firing
// (or a libFuzzer timeout) is a bug.
//
// Checked: every value is received at most once, received only if its send
// completed, on the channel it was sent on, and in order per (sender,
// receiver, channel); after all goroutines end and the channels are drained,
// every completed send was received exactly once; a closed receive gives
// (0, false); each channel was closed exactly once (other closes panicked
// with Go's text); nobody is inside a Mutex at once with another; Wait
// returns only when all children are done; next() returns 1, 2, 3... and
// nothing after the end; NumGoroutine is back to its value before the input
// (and no goroutine is left over between inputs).
#include "fuzz_sched.h"

#include <unistd.h>

#include <atomic>
#include <exception>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <vector>

#include "chan.h"
#include "go.h"
#include "gosyscall.h"
#include "iter.h"
#include "sync.h"

namespace fuzzsched {
namespace {

constexpr int maxChans = 4;
constexpr int maxG = 48;         // workers and sequences per input
constexpr int drainG = maxG;     // the final drain's receiver id
constexpr int nMutex = 2;

[[noreturn]] __attribute__((format(printf, 1, 2))) void fail(const char* fmt, ...) {
    std::fprintf(stderr, "fuzz_sched: invariant violated: ");
    va_list ap;
    va_start(ap, fmt);
    std::vfprintf(stderr, fmt, ap);
    va_end(ap);
    std::fputc('\n', stderr);
    std::fflush(stderr);
    std::abort();
}

/// GORT_FUZZ_BREAK breaks the harness on purpose, to show that the fuzzer
/// finds it: "drop" makes the checker lose a value (see got), "deadlock"
/// makes len on a channel of capacity 3 receive from a nil channel (gort's
/// deadlock report; fuzz_main.cc saves the input).
bool breakmode(const char* mode) {
    static const char* s = std::getenv("GORT_FUZZ_BREAK");
    return s != nullptr && std::strcmp(s, mode) == 0;
}

bool dropbug() {
    static const bool on = breakmode("drop");
    return on;
}

/// close's Gosched inside a catch block: on unless GORT_FUZZ_CATCH=off. It
/// found that gort kept the C++ runtime's exceptions being handled
/// (__cxa_get_globals) per thread, not per goroutine, so a goroutine that
/// parked in a catch block and resumed on another M found that thread's; the
/// mcall shim now carries them (stubs.h: ehsave, ehrestore; test_mp.cc, "an
/// exception being handled is the same after a park ...").
bool catchyield() {
    static const bool on = [] {
        const char* s = std::getenv("GORT_FUZZ_CATCH");
        return s == nullptr || std::strcmp(s, "off") != 0;
    }();
    return on;
}

void expectpanic(const std::exception& e, const char* want) {
    if (std::strcmp(e.what(), want) != 0) fail("panic %s, want %s", e.what(), want);
}

/// Reads operands; a missing byte is 0.
struct reader {
    const uint8_t* p;
    size_t n, i = 0;
    bool done() const { return i >= n; }
    uint8_t next() { return i < n ? p[i++] : 0; }
    /// The next len bytes (fewer at the end), skipped here.
    std::pair<const uint8_t*, size_t> take(size_t len) {
        size_t k = len < n - i ? len : n - i;
        auto r = std::make_pair(p + i, k);
        i += k;
        return r;
    }
};

/// Thrown by a sequence's panic op; next() must rethrow it unchanged.
struct seqPanic {
    int gid;
};

/// What one input shares among its goroutines.
struct world {
    int nchan = 1;
    gort::chan<int64_t> chans[maxChans];
    gort::chan<int64_t> nilchan;  // nil: never ready
    int64_t maxval;
    std::atomic<int64_t> nextval{0};
    std::unique_ptr<std::atomic<uint8_t>[]> sent, recvd;
    std::unique_ptr<int16_t[]> sender;  // written before the send, read after the receive
    std::unique_ptr<int8_t[]> vchan;
    std::atomic<int> ngor{1};  // ids handed out; the root is 0
    std::atomic<bool> gdone[maxG] = {};
    std::atomic<int> closes[maxChans] = {};
    gort::sync::Mutex mu[nMutex];
    std::atomic<int> inside[nMutex] = {};

    explicit world(size_t size)
        : maxval(int64_t(size) + 2),
          sent(new std::atomic<uint8_t>[size + 2]()),
          recvd(new std::atomic<uint8_t>[size + 2]()),
          sender(new int16_t[size + 2]()),
          vchan(new int8_t[size + 2]()) {}

    const gort::chan<int64_t>& chanat(int ci) const { return ci < nchan ? chans[ci] : nilchan; }

    /// A fresh value to send from gid on channel ci, or 0 if the budget is
    /// spent (it cannot be: each send reads at least one byte).
    int64_t newval(int gid, int ci) {
        int64_t v = ++nextval;
        if (v >= maxval) return 0;
        sender[v] = int16_t(gid);
        vchan[v] = int8_t(ci);
        return v;
    }
};

/// One goroutine's interpreter (a worker's or a sequence's).
struct interp {
    world& w;
    int gid;
    bool seq;  // running as an iter::Pull sequence
    bool held[nMutex] = {};
    bool stopped = false;  // a sequence's yield returned false
    bool locked = false;   // LockOSThread
    const std::function<bool(int64_t)>* yield = nullptr;
    int64_t yielded = 0;
    gort::sync::WaitGroup kids;
    std::vector<int> kidids;
    std::vector<int64_t> last;  // last value received per (sender, channel)

    interp(world& w_, int gid_, bool seq_)
        : w(w_), gid(gid_), seq(seq_), last(size_t(maxG + 1) * maxChans, 0) {}

    void run(const uint8_t* p, size_t n);

    /// A value received (ok) or a closed receive (!ok) on channel ci.
    void got(int64_t v, bool ok, int ci, bool viaselect) {
        if (!ok) {
            if (v != 0) fail("closed receive on ch%d returned %lld, want 0", ci, (long long)v);
            return;
        }
        if (v <= 0 || v > w.nextval.load() || v >= w.maxval)
            fail("g%d received %lld on ch%d: never sent", gid, (long long)v, ci);
        if (w.vchan[v] != ci) fail("value %lld sent on ch%d, received on ch%d", (long long)v, w.vchan[v], ci);
        int s = w.sender[v];
        if (dropbug() && viaselect && w.chans[ci].cap() >= 2 && s != 0) return;  // the deliberate bug
        if (w.recvd[v].fetch_add(1) != 0) fail("value %lld received twice (second by g%d)", (long long)v, gid);
        int64_t& l = last[size_t(s) * maxChans + size_t(ci)];
        if (v <= l)
            fail("g%d received %lld after %lld from g%d on ch%d: out of order", gid, (long long)v,
                 (long long)l, s, ci);
        l = v;
    }

    void send(int ci) {
        int64_t v = w.newval(gid, ci);
        if (v == 0) return;
        try {
            w.chans[ci].send(v);
        } catch (const runtime::plainError& e) {
            expectpanic(e, "send on closed channel");
            return;
        }
        w.sent[v].store(1);
    }

    void recv(int ci) {
        auto [v, ok] = w.chans[ci].recv2();
        got(v, ok, ci, false);
    }

    void range(int ci) {
        for (int64_t v : w.chans[ci]) got(v, true, ci, false);
    }

    void close(uint8_t x) {
        int ci = (x & 0x7f) % (w.nchan + 1);
        bool nil = ci == w.nchan;
        try {
            w.chanat(ci).close();
        } catch (const runtime::plainError& e) {
            expectpanic(e, nil ? "close of nil channel" : "close of closed channel");
            if ((x & 0x80) && catchyield()) yieldincatch();
            return;
        }
        if (nil) fail("close of a nil channel did not panic");
        w.closes[ci]++;
    }

    /// Gosched inside a catch block, as a Go deferred function that
    /// recovers may block: the exception being handled is the goroutine's,
    /// whichever thread it resumes on.
    void yieldincatch() {
        std::exception_ptr before = std::current_exception();
        long t0 = gettid();
        runtime::Gosched();
        if (std::current_exception() != before)
            fail("g%d: the exception its catch block handles changed across a Gosched (thread %ld -> %ld)",
                 gid, t0, long(gettid()));
    }

    struct selcase {
        bool send;
        int ci;
        int64_t v;
    };

    /// Builds the select's cases one by one (their types depend on the
    /// direction), then runs it.
    template <class... Cs>
    void selectfrom(const selcase* sc, int n, bool dflt, Cs... cs) {
        if constexpr (sizeof...(Cs) < 3) {
            if (int(sizeof...(Cs)) < n) {
                const selcase& c = sc[sizeof...(Cs)];
                const gort::chan<int64_t>& ch = w.chanat(c.ci);
                if (c.send) {
                    int64_t v = c.v;
                    selectfrom(sc, n, dflt, cs..., gort::send(ch, v, [this, v] { w.sent[v].store(1); }));
                } else {
                    int ci = c.ci;
                    selectfrom(sc, n, dflt, cs...,
                               gort::recv(ch, [this, ci](int64_t v, bool ok) { got(v, ok, ci, true); }));
                }
                return;
            }
        }
        int chosen;
        if (dflt)
            chosen = gort::select(cs..., gort::otherwise([] {}));
        else
            chosen = gort::select(cs...);
        if (chosen < 0 || chosen > n || (!dflt && chosen == n)) fail("select chose case %d of %d", chosen, n);
        if (chosen < n && sc[chosen].ci == w.nchan) fail("select chose a nil channel's case");
        if (chosen < n && sc[chosen].send && w.sent[sc[chosen].v].load() != 1)
            fail("select chose a send case whose body did not run");
    }

    void select(reader& r) {
        uint8_t f = r.next();
        int n = 2 + (f & 1);
        bool dflt = (f & 2) != 0;
        selcase sc[3];
        bool allnil = true;
        for (int i = 0; i < n; i++) {
            uint8_t x = r.next();
            sc[i].send = (x & 0x80) != 0;
            sc[i].ci = (x & 0x7f) % (w.nchan + 1);
            sc[i].v = 0;
            if (sc[i].ci != w.nchan) allnil = false;
            if (sc[i].send) {
                sc[i].v = w.newval(gid, sc[i].ci);
                if (sc[i].v == 0) return;
            }
        }
        if (allnil) dflt = true;  // select {} on nil channels would block forever
        try {
            selectfrom(sc, n, dflt);
        } catch (const runtime::plainError& e) {
            expectpanic(e, "send on closed channel");
        }
    }

    bool canlock(int m) const {
        for (int j = m; j < nMutex; j++)
            if (held[j]) return false;  // taken in index order, never twice
        return !seq;
    }

    void entered(int m) {
        if (w.inside[m].fetch_add(1) != 0) fail("g%d locked mu%d while another goroutine holds it", gid, m);
        held[m] = true;
    }

    void lock(int m) {
        if (!canlock(m)) return;
        w.mu[m].Lock();
        entered(m);
    }

    void trylock(int m) {
        if (canlock(m) && w.mu[m].TryLock()) entered(m);
    }

    void unlock(int m) {
        if (!held[m]) return;
        if (w.inside[m].fetch_sub(1) != 1) fail("mu%d: another goroutine inside at unlock", m);
        held[m] = false;
        w.mu[m].Unlock();
    }

    void wait() {
        for (bool h : held)
            if (h) return;  // the children may need the Mutex
        kids.Wait();
        for (int k : kidids)
            if (!w.gdone[k].load()) fail("g%d: Wait returned before child g%d was done", gid, k);
    }

    /// The end of a goroutine's program, or its Goexit: unlock, then wait.
    void finish() {
        for (int m = nMutex - 1; m >= 0; m--) unlock(m);
        if (locked) runtime::UnlockOSThread(), locked = false;
        if (!kidids.empty()) {
            kids.Wait();
            for (int k : kidids)
                if (!w.gdone[k].load()) fail("g%d: Wait returned before child g%d was done", gid, k);
        }
    }

    /// Op 15: x >> 5 picks len/cap check (0-3), time::Sleep (4) or a
    /// blocking system call (5) of 0 or 1 us (30 us if x & 7 is 7: long
    /// enough for sysmon to retake the P), LockOSThread (6) or
    /// UnlockOSThread (7).
    void misc(uint8_t x) {
        int64_t us = (x & 7) == 7 ? 30 : (x & 1);
        switch (x >> 5) {
        case 4: gort::time::Sleep(std::chrono::microseconds(us)); return;
        case 5: gort::syscall::Nanosleep(us * 1000); return;
        case 6:
            if (!seq && !locked) runtime::LockOSThread(), locked = true;
            return;
        case 7:
            if (locked) runtime::UnlockOSThread(), locked = false;
            return;
        }
        const auto& ch = w.chans[x % w.nchan];
        if (ch.len() > ch.cap() || ch.len() < 0) fail("len %d, cap %d", ch.len(), ch.cap());
        static const bool deadlock = breakmode("deadlock");
        if (deadlock && ch.cap() == 3) w.nilchan.recv();  // the deliberate bug
    }

    void spawn(const uint8_t* p, size_t n);
    void pull(const uint8_t* p, size_t n, uint8_t k);
};

/// A worker goroutine's body: runs its program, then (also on Goexit)
/// unlocks, waits for its children and tells its parent.
void worker(world& w, int gid, const uint8_t* p, size_t n, gort::sync::WaitGroup* parent) {
    interp in(w, gid, false);
    struct fin {
        interp& in;
        gort::sync::WaitGroup* parent;
        ~fin() {
            in.finish();
            in.w.gdone[in.gid].store(true);
            parent->Done();
        }
    } f{in, parent};
    in.run(p, n);
}

void interp::spawn(const uint8_t* p, size_t n) {
    if (seq) return;
    int id = w.ngor++;
    if (id >= maxG) return;
    kids.Add(1);
    kidids.push_back(id);
    world* wp = &w;
    gort::sync::WaitGroup* kp = &kids;
    gort::go([wp, id, p, n, kp] { worker(*wp, id, p, n, kp); });
}

void interp::pull(const uint8_t* p, size_t n, uint8_t k) {
    int id = w.ngor++;
    if (id >= maxG) return;
    world* wp = &w;
    int64_t want = 1;
    bool ended = false;
    {
        auto [next, stop] = iter::Pull<int64_t>([wp, id, p, n](const std::function<bool(int64_t)>& yield) {
            interp in(*wp, id, true);
            in.yield = &yield;
            in.run(p, n);
        });
        for (int i = 0; i < (k & 7); i++) {
            try {
                auto [v, ok] = next();
                if (!ok) {
                    if (v != 0) fail("next at the end returned %lld, want 0", (long long)v);
                    ended = true;
                    continue;
                }
                if (ended) fail("next returned %lld after the end", (long long)v);
                if (v != want) fail("next returned %lld, want %lld", (long long)v, (long long)want);
                want++;
            } catch (const seqPanic& e) {
                if (e.gid != id) fail("next rethrew g%d's panic, want g%d's", e.gid, id);
                if (ended) fail("next panicked after the end");
                ended = true;
            }
        }
        if (k & 8) stop();  // else ~pull stops it
    }
}

void interp::run(const uint8_t* p, size_t n) {
    reader r{p, n};
    while (!r.done() && !stopped) {
        uint8_t op = r.next();
        switch (op % 16) {
        case 0: {
            auto [sp, sn] = r.take(r.next() % 64);
            spawn(sp, sn);
            break;
        }
        case 1: send(r.next() % w.nchan); break;
        case 2: recv(r.next() % w.nchan); break;
        case 3: range(r.next() % w.nchan); break;
        case 4: close(r.next()); break;
        case 5: select(r); break;
        case 6: runtime::Gosched(); break;
        case 7: lock(r.next() % nMutex); break;
        case 8: unlock(r.next() % nMutex); break;
        case 9: trylock(r.next() % nMutex); break;
        case 10: wait(); break;
        case 11: {
            auto [sp, sn] = r.take(r.next() % 64);
            pull(sp, sn, r.next());
            break;
        }
        case 12:
            if (yield == nullptr) {
                runtime::Gosched();
            } else if (!(*yield)(++yielded)) {
                stopped = true;  // the caller stopped: return, as a Go sequence must
            }
            break;
        case 13:
            if (seq) throw seqPanic{gid};
            break;
        case 14:
            if (!seq) runtime::Goexit();
            break;
        case 15: misc(r.next()); break;
        }
    }
}

/// Yields, then closes every channel (a close that panics was beaten by a
/// worker's). Never blocks, so every program ends.
void closer(world& w, int yields) {
    for (int i = 0; i < yields; i++) runtime::Gosched();
    for (int c = 0; c < w.nchan; c++) {
        try {
            w.chans[c].close();
            w.closes[c]++;
        } catch (const runtime::plainError& e) {
            expectpanic(e, "close of closed channel");
        }
        runtime::Gosched();
    }
}

}  // namespace

void runone(const uint8_t* data, size_t size) {
    static const int base = runtime::NumGoroutine();
    if (runtime::NumGoroutine() != base)
        fail("%d goroutines at the start of an input, want %d (left over from the last)",
             runtime::NumGoroutine(), base);

    reader hdr{data, size};
    uint8_t b0 = hdr.next(), b1 = hdr.next(), b2 = hdr.next();
    auto w = std::make_unique<world>(size);
    w->nchan = 1 + b0 % maxChans;
    for (int c = 0; c < w->nchan; c++) w->chans[c] = gort::make_chan<int64_t>((b1 >> (2 * c)) & 3);
    runtime::GOMAXPROCS(1 + b2 % 3);
    const uint8_t* prog = data + hdr.i;
    size_t progn = size - hdr.i;

    gort::sync::WaitGroup all;
    all.Add(2);
    world* wp = w.get();
    gort::sync::WaitGroup* ap = &all;
    gort::go([wp, prog, progn, ap] { worker(*wp, 0, prog, progn, ap); });
    gort::go([wp, b0, ap] {
        closer(*wp, b0 >> 2);
        ap->Done();
    });
    all.Wait();

    // Every channel is closed: drain what the buffers still hold.
    interp drain(*w, drainG, false);
    for (int c = 0; c < w->nchan; c++)
        for (int64_t v : w->chans[c]) drain.got(v, true, c, false);

    int64_t n = w->nextval.load();
    for (int64_t v = 1; v <= n && v < w->maxval; v++) {
        int s = w->sent[v].load(), r = w->recvd[v].load();
        if (r > s) fail("value %lld received but its send did not complete", (long long)v);
        if (r < s) fail("value %lld sent on ch%d by g%d and never received", (long long)v, w->vchan[v], w->sender[v]);
    }
    for (int c = 0; c < w->nchan; c++)
        if (w->closes[c].load() != 1) fail("ch%d closed %d times", c, w->closes[c].load());
    for (int m = 0; m < nMutex; m++)
        if (w->inside[m].load() != 0) fail("mu%d still held at the end", m);

    // The goroutines that said Done may still be on their way out.
    int64_t deadline = runtime::nanotime() + 10'000'000'000;
    while (runtime::NumGoroutine() != base) {
        if (runtime::nanotime() > deadline)
            fail("NumGoroutine %d 10 s after the end, want %d", runtime::NumGoroutine(), base);
        runtime::Gosched();
    }
}

}  // namespace fuzzsched
