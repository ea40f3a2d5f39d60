// trace.cc — the execution tracer: per-M event buffers, written as Chrome
// trace-event JSON when the trace stops.
//
// Go counterparts: src/runtime/trace2.go (StartTrace, StopTrace),
// trace2buf.go (per-M buffers), trace2runtime.go (the events)
// https://github.com/golang/go/blob/go1.22.0/src/runtime/trace2.go
//
// Go's tracer writes a compact binary format that `go tool trace` parses and
// shows. gort writes what Perfetto (ui.perfetto.dev) and chrome://tracing open
// directly: a JSON object {"traceEvents": [...]}, with
//   - one track (tid) per P, named "P0", "P1", ...: each stretch a goroutine
//     runs there is a "B"/"E" slice named g<goid>; the E's args say why it
//     stopped (the wait reason, "Gosched", "exit", "syscall");
//   - instant ("i") events GoCreate, GoUnpark, ProcStart, ProcStop on the P;
//   - one track per M that made system calls, "M3 syscalls", with an "X"
//     (complete) slice per call, since a goroutine in a system call has no P.
//
// The buffers. Like Go's (m.trace.buf), each M appends to its own buffer, so
// events need no lock: a chunk of fixed-size events whose count is published
// with a release store after each event. StopTrace reads every buffer's
// published prefix while Ms may still be appending past it (their events are
// dropped). Buffers are listed in traceBufs (under traceLock) when an M first
// traces, and are never freed: an M may be writing into one at any time, and
// the trace is a debugging aid, started a few times per process at most.
//
// Tracks need each B matched by an E. A slice begins when an M starts running
// g and ends when g stops on the same M, so the M remembers which slice it has
// open (traceBuf.curgoid, curtid); a stop with no open slice (g was running
// when the trace started) emits nothing, and StopTrace closes open slices.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "runtime.h"
#include "trace.h"

namespace runtime {

bool traceOn;

/// The kinds of event a buffer holds. (JSON names in traceEvName.)
enum traceEvKind : uint8_t {
    traceEvGoCreate,
    traceEvGoStart,
    traceEvGoStop,
    traceEvGoUnpark,
    traceEvProcStart,
    traceEvProcStop,
    traceEvSyscall,
};

/// One event, as recorded on the hot path: no strings, names are looked up
/// when the trace is written. arg is, by kind: the parent's goid (GoCreate),
/// the waitReason (GoStop), the readier's goid (GoUnpark), the M's id
/// (ProcStart/Stop), the duration in ns (Syscall).
/// @gortonly{Go encodes events as varints in batches (trace2event.go)}
struct traceEvent {
    int64_t ts;        ///< nanotime()
    uint64_t goid;
    uint64_t arg;
    uintptr_t gopc;    ///< where g was created (GoCreate, GoStart)
    int32_t tid;       ///< P id, or traceMTid(m id)
    uint8_t kind;      ///< traceEvKind
    uint8_t why;       ///< traceStop, for GoStop
};

/// A fixed block of events; n is published with release stores.
/// @gortonly{Go's traceBuf holds encoded bytes}
struct traceChunk {
    static constexpr uint32_t cap = 4096;
    std::atomic<uint32_t> n{0};
    std::atomic<traceChunk*> next{nullptr};
    traceEvent ev[cap];
};

/// One M's buffer. Only its M writes it; StopTrace reads the published
/// events of its chunks. @gosrc{trace2buf.go,traceBuf}
struct traceBuf {
    traceBuf* allnext;   ///< traceBufs list (under traceLock)
    uint64_t gen;        ///< the trace this buffer belongs to
    int64_t mid;
    traceChunk* head;
    traceChunk* tail;
    int64_t lastts = 0;  ///< makes this M's timestamps strictly increasing
    uint64_t curgoid = 0;  ///< the g whose slice is open on this M (0: none)
    int32_t curtid = 0;    ///< the P track it is open on
    int64_t syscallts = 0; ///< when the current system call began
};

static mutex traceLock;          ///< guards traceBufs, traceGen, the trace's file
static traceBuf* traceBufs;      ///< every buffer of the current trace
static uint64_t traceGen;        ///< incremented by each StartTrace
static int64_t traceStartTime;
static std::FILE* traceFile;
/// This M's buffer (a thread is an M). initial-exec: one %fs-relative load.
__attribute__((tls_model("initial-exec"))) static thread_local traceBuf* mtracebuf;

/// Track number of M id's system calls: after every possible P id.
/// Runs on: either. @gortonly{gort writes Chrome JSON, not Go's trace format}
static int32_t traceMTid(int64_t mid) {
    return MaxGomaxprocs + int32_t(mid);
}

/// The calling M's buffer for the current trace, made on first use.
/// Runs on: g or g0. @gosrc{trace2buf.go,traceLocker.writer}
static traceBuf* tracebuf() {
    uint64_t gen = __atomic_load_n(&traceGen, __ATOMIC_ACQUIRE);
    traceBuf* b = mtracebuf;
    if (b != nullptr && b->gen == gen) return b;
    b = new traceBuf{};
    b->gen = gen;
    b->mid = getg()->m->id;
    b->head = b->tail = new traceChunk;
    lock(&traceLock);
    b->allnext = traceBufs;
    __atomic_store_n(&traceBufs, b, __ATOMIC_RELEASE);
    unlock(&traceLock);
    mtracebuf = b;
    return b;
}

/// Appends one event, stamped now, to the calling M's buffer.
/// Runs on: g or g0. @gosrc{trace2event.go,traceWriter.event}
static traceEvent* traceEvent_(traceBuf* b, traceEvKind kind, int32_t tid, uint64_t goid, uint64_t arg) {
    traceChunk* c = b->tail;
    uint32_t n = c->n.load(std::memory_order_relaxed);
    if (n == traceChunk::cap) {
        c = new traceChunk;
        b->tail->next.store(c, std::memory_order_release);
        b->tail = c;
        n = 0;
    }
    int64_t now = nanotime();
    if (now <= b->lastts) now = b->lastts + 1;
    b->lastts = now;
    traceEvent* e = &c->ev[n];
    *e = traceEvent{now, goid, arg, 0, tid, kind, 0};
    return e;
}

/// Publishes the event traceEvent_ filled: StopTrace may read it from now.
/// Runs on: g or g0. @gortonly{Go publishes whole batches}
static void traceCommit(traceBuf* b) {
    traceChunk* c = b->tail;
    c->n.store(c->n.load(std::memory_order_relaxed) + 1, std::memory_order_release);
}

/// The track of the calling M's P (or of the M, between Ps).
/// Runs on: g or g0. @gortonly{gort writes Chrome JSON, not Go's trace format}
static int32_t tracetid() {
    m* mp = getg()->m;
    return mp->p ? mp->p->id : traceMTid(mp->id);
}

/// GoCreate: an instant on the creator's P. Runs on: g0.
/// @gosrc{trace2runtime.go,traceLocker.GoCreate}
void traceGoCreate_(g* newg) {
    traceBuf* b = tracebuf();
    traceEvent* e = traceEvent_(b, traceEvGoCreate, tracetid(), newg->goid, newg->parentGoid);
    e->gopc = newg->gopc;
    traceCommit(b);
}

/// GoStart: opens gp's slice on this M's P. Runs on: g0 or g.
/// @gosrc{trace2runtime.go,traceLocker.GoStart}
void traceGoStart_(g* gp) {
    traceBuf* b = tracebuf();
    int32_t tid = tracetid();
    traceEvent* e = traceEvent_(b, traceEvGoStart, tid, gp->goid, 0);
    e->gopc = gp->gopc;
    traceCommit(b);
    b->curgoid = gp->goid;
    b->curtid = tid;
}

/// Closes gp's slice, if this M opened it, saying why it ends.
/// Runs on: g0 or g. @gosrc{trace2runtime.go,traceLocker.GoStop}
void traceGoStop_(g* gp, traceStop why) {
    traceBuf* b = tracebuf();
    if (why == traceStopSyscall) b->syscallts = nanotime();
    if (b->curgoid != gp->goid) return;  // started before the trace
    traceEvent* e = traceEvent_(b, traceEvGoStop, b->curtid, gp->goid, gp->waitreason);
    e->why = why;
    traceCommit(b);
    b->curgoid = 0;
}

/// coroswitch_m: gp (if it did not exit) blocks on the coro, gnext runs.
/// Runs on: g0. @gortonly{Go 1.23's traceLocker.GoSwitch; 1.22 does not trace coroswitch}
void traceGoSwitch_(g* gp, g* gnext) {
    if (gp != nullptr) traceGoStop_(gp, traceStopBlock);
    traceGoStart_(gnext);
}

/// GoSysExit: a complete slice for the call on this M's track. (The
/// goroutine's own slice restarts at GoStart, here or in execute.)
/// Runs on: g, without a P. @gosrc{trace2runtime.go,traceLocker.GoSysExit}
void traceGoSysExit_() {
    traceBuf* b = tracebuf();
    g* gp = getg();
    if (b->syscallts == 0) return;  // entered before the trace
    traceEvent* e = traceEvent_(b, traceEvSyscall, traceMTid(b->mid), gp->goid, 0);
    e->arg = uint64_t(e->ts - b->syscallts);
    e->ts = b->syscallts;  // X events carry their start
    traceCommit(b);
    b->syscallts = 0;
}

/// GoUnpark: an instant on the readier's P. Runs on: g0.
/// @gosrc{trace2runtime.go,traceLocker.GoUnpark}
void traceGoUnblock_(g* gp) {
    traceBuf* b = tracebuf();
    g* readier = getg()->m->curg;
    traceEvent_(b, traceEvGoUnpark, tracetid(), gp->goid, readier ? readier->goid : 0);
    traceCommit(b);
}

/// ProcStart: an instant on pp's track. Runs on: g0.
/// @gosrc{trace2runtime.go,traceLocker.ProcStart}
void traceProcStart_(p* pp) {
    traceBuf* b = tracebuf();
    traceEvent_(b, traceEvProcStart, pp->id, 0, uint64_t(b->mid));
    traceCommit(b);
}

/// ProcStop: an instant on pp's track. Runs on: g0.
/// @gosrc{trace2runtime.go,traceLocker.ProcStop}
void traceProcStop_(p* pp) {
    traceBuf* b = tracebuf();
    traceEvent_(b, traceEvProcStop, pp->id, 0, uint64_t(b->mid));
    traceCommit(b);
}

/// Writes s as a JSON string (names of C++ functions may hold anything).
/// Runs on: g or g0, from StopTrace. @gortonly{gort writes Chrome JSON, not Go's trace format}
static void tracestr(std::FILE* f, const char* s) {
    std::fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') std::fputc('\\', f);
        if (uint8_t(*s) >= 0x20) std::fputc(*s, f);
    }
    std::fputc('"', f);
}

/// The JSON writer's state: the file, the trace's start, names of pcs.
/// Used on: g or g0, from StopTrace. @gortonly{Go writes binary batches}
struct traceWriter {
    std::FILE* f;
    int64_t start;
    bool first = true;
    std::unordered_map<uintptr_t, std::string> names;

    /// "created by" name of the function at gopc, looked up once.
    /// Runs on: g or g0. @gortonly{JSON names tracks by function}
    const char* creator(uintptr_t gopc) {
        auto it = names.find(gopc);
        if (it == names.end()) it = names.emplace(gopc, gopc ? creatorname(gopc) : "runtime").first;
        return it->second.c_str();
    }
    /// Starts one event object: {"ph":ph,"name":name,"pid":1,"tid":tid,"ts":ts
    /// Runs on: g or g0. @gortonly{JSON events}
    void begin(const char* ph, const char* name, int32_t tid, int64_t ts) {
        std::fprintf(f, "%s\n{\"ph\":\"%s\",\"name\":", first ? "" : ",", ph);
        first = false;
        tracestr(f, name);
        std::fprintf(f, ",\"pid\":1,\"tid\":%d,\"ts\":%.3f", tid, double(ts - start) / 1000);
    }
};

/// Writes one event of a track in JSON.
/// Runs on: g or g0, from StopTrace. @gortonly{Go writes binary batches}
static void traceWriteEvent(traceWriter* w, const traceEvent& e) {
    char name[32];
    std::FILE* f = w->f;
    switch (e.kind) {
    case traceEvGoCreate:
        w->begin("i", "GoCreate", e.tid, e.ts);
        std::fprintf(f, ",\"s\":\"t\",\"args\":{\"goid\":%llu,\"parent\":%llu,\"created by\":",
                     (unsigned long long)e.goid, (unsigned long long)e.arg);
        tracestr(f, w->creator(e.gopc));
        std::fputs("}}", f);
        break;
    case traceEvGoStart:
        std::snprintf(name, sizeof name, "g%llu", (unsigned long long)e.goid);
        w->begin("B", name, e.tid, e.ts);
        std::fprintf(f, ",\"cat\":\"goroutine\",\"args\":{\"goid\":%llu,\"created by\":",
                     (unsigned long long)e.goid);
        tracestr(f, w->creator(e.gopc));
        std::fputs("}}", f);
        break;
    case traceEvGoStop: {
        static const char* const why[] = {nullptr, "Gosched", "exit", "syscall", "trace stopped"};
        const char* stop = e.why == traceStopBlock ? waitReasonString(waitReason(e.arg)) : why[e.why];
        std::snprintf(name, sizeof name, "g%llu", (unsigned long long)e.goid);
        w->begin("E", name, e.tid, e.ts);
        std::fputs(",\"cat\":\"goroutine\",\"args\":{\"stop\":", f);
        tracestr(f, stop);
        std::fputs("}}", f);
        break;
    }
    case traceEvGoUnpark:
        w->begin("i", "GoUnpark", e.tid, e.ts);
        std::fprintf(f, ",\"s\":\"t\",\"args\":{\"goid\":%llu,\"by\":%llu}}",
                     (unsigned long long)e.goid, (unsigned long long)e.arg);
        break;
    case traceEvProcStart:
    case traceEvProcStop:
        w->begin("i", e.kind == traceEvProcStart ? "ProcStart" : "ProcStop", e.tid, e.ts);
        std::fprintf(f, ",\"s\":\"t\",\"args\":{\"m\":%llu}}", (unsigned long long)e.arg);
        break;
    case traceEvSyscall:
        std::snprintf(name, sizeof name, "syscall g%llu", (unsigned long long)e.goid);
        w->begin("X", name, e.tid, e.ts);
        std::fprintf(f, ",\"dur\":%.3f,\"cat\":\"syscall\",\"args\":{\"goid\":%llu}}",
                     double(e.arg) / 1000, (unsigned long long)e.goid);
        break;
    }
}

/// Writes the "M" (metadata) events that name a track and order it.
/// Runs on: g or g0, from StopTrace. @gortonly{gort writes Chrome JSON, not Go's trace format}
static void traceWriteNames(traceWriter* w, int32_t tid) {
    char name[64];
    if (tid < MaxGomaxprocs)
        std::snprintf(name, sizeof name, "P%d", tid);
    else
        std::snprintf(name, sizeof name, "M%d syscalls", tid - MaxGomaxprocs);
    w->begin("M", "thread_name", tid, w->start);
    std::fputs(",\"args\":{\"name\":", w->f);
    tracestr(w->f, name);
    std::fputs("}}", w->f);
    w->begin("M", "thread_sort_index", tid, w->start);
    std::fprintf(w->f, ",\"args\":{\"sort_index\":%d}}", tid);
}

/// Writes one track: its events in time order. A slice still open at the
/// end (its g was running when the trace stopped) ends at end. Anything
/// else is written as recorded, so that a hook missing from the scheduler
/// shows up as an unbalanced track (test/check_trace.py).
/// Runs on: g or g0, from StopTrace. @gortonly{Go writes binary batches}
static void traceWriteTrack(traceWriter* w, int32_t tid, std::vector<traceEvent>& evs, int64_t end) {
    std::stable_sort(evs.begin(), evs.end(),
                     [](const traceEvent& a, const traceEvent& b) { return a.ts < b.ts; });
    traceWriteNames(w, tid);
    const traceEvent* open = nullptr;
    for (const traceEvent& e : evs) {
        traceWriteEvent(w, e);
        if (e.kind == traceEvGoStart) open = &e;
        if (e.kind == traceEvGoStop) open = nullptr;
    }
    if (open != nullptr) {
        traceEvent stop{std::max(end, evs.back().ts), open->goid, 0, 0, tid, traceEvGoStop, traceStopTrace};
        traceWriteEvent(w, stop);
    }
}

/// Merges the published events of every buffer by track and writes the
/// JSON file. Runs on: g or g0, from StopTrace. @gosrc{trace2.go,StopTrace}
/// @differs{Chrome trace-event JSON, written once at the end}
static void traceWrite(std::FILE* f, traceBuf* bufs, int64_t start, int64_t end) {
    std::map<int32_t, std::vector<traceEvent>> tracks;
    for (traceBuf* b = bufs; b != nullptr; b = b->allnext) {
        for (traceChunk* c = b->head; c != nullptr; c = c->next.load(std::memory_order_acquire)) {
            uint32_t n = c->n.load(std::memory_order_acquire);
            for (uint32_t i = 0; i < n; i++) tracks[c->ev[i].tid].push_back(c->ev[i]);
        }
    }
    traceWriter w{f, start, true, {}};
    std::fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[", f);
    w.begin("M", "process_name", 0, start);
    std::fputs(",\"args\":{\"name\":", f);
    tracestr(f, argslice.empty() ? "gort" : argslice[0]);
    std::fputs("}}", f);
    for (auto& [tid, evs] : tracks) traceWriteTrack(&w, tid, evs, end);
    std::fputs("\n]}\n", f);
}

/// Starts tracing when GORT_TRACE names a file. Runs on: g0, from schedinit
/// (before any P exists, so every ProcStart is traced). @gortonly{Go starts
/// tracing from runtime/trace.Start only}
void traceinit() {
    if (const char* path = std::getenv("GORT_TRACE"); path != nullptr && *path != 0) StartTrace(path);
}

/// Writes the trace of GORT_TRACE (or an unstopped StartTrace) when the
/// process exits. Runs on: g or g0, from exit. @gortonly{Go's trace is
/// streamed to a writer; gort writes at the end}
void traceexit() {
    if (traceEnabled()) StopTrace();
}

bool StartTrace(const char* path) {
    lock(&traceLock);
    if (traceOn || (traceFile = std::fopen(path, "w")) == nullptr) {
        unlock(&traceLock);
        return false;
    }
    traceStartTime = nanotime();
    traceBufs = nullptr;
    __atomic_store_n(&traceGen, traceGen + 1, __ATOMIC_RELEASE);
    __atomic_store_n(&traceOn, true, __ATOMIC_RELEASE);
    unlock(&traceLock);
    // The goroutine calling StartTrace is running: open its slice (Go emits
    // a status event for every goroutine at the start of a trace).
    g* gp = getg();
    if (gp != gp->m->g0 && gp->m->p != nullptr) traceGoStart(gp);
    return true;
}

bool StopTrace() {
    lock(&traceLock);
    if (!traceOn) {
        unlock(&traceLock);
        return false;
    }
    __atomic_store_n(&traceOn, false, __ATOMIC_RELEASE);
    traceBuf* bufs = __atomic_load_n(&traceBufs, __ATOMIC_ACQUIRE);
    std::FILE* f = traceFile;
    traceFile = nullptr;
    int64_t start = traceStartTime;
    unlock(&traceLock);
    traceWrite(f, bufs, start, nanotime());
    std::fclose(f);
    return true;
}

}  // namespace runtime
