// trace.h — the execution tracer's hooks: one inline call per scheduler event.
//
// Go counterpart: src/runtime/trace2runtime.go (traceEnabled, traceAcquire),
// trace2event.go (the event names), runtime/trace's Start/Stop
// https://github.com/golang/go/blob/go1.22.0/src/runtime/trace2runtime.go
//
// Each hook in the scheduler is a call to one of the inline functions below.
// With tracing off, a hook is one load of traceOn and one not-taken branch
// (Go's traceEnabled() is the same test). With tracing on, the out-of-line
// half (trace.cc) appends a fixed-size event to the buffer of the M that runs
// it, without a lock: only that M writes the buffer. StopTrace (or the
// process's exit) merges the buffers and writes Chrome trace-event JSON.
//
// Events, by Go's names:
//   GoCreate   newproc1         instant on the creator's P
//   GoStart    execute, coroswitch_m, exitsyscall (fast path)   begins g's slice on its P
//   GoPark     park_m           ends g's slice; args name the wait reason
//   GoSched    goschedImpl      ends g's slice ("Gosched")
//   GoEnd      gdestroy         ends g's slice ("exit")
//   GoSyscallBegin  entersyscall ends g's slice ("syscall")
//   GoSyscallEnd    exitsyscall  a "syscall" slice on the M's track
//   GoUnpark   ready            instant on the readier's P
//   ProcStart/ProcStop  acquirep/releasep   instants on the P
#pragma once

#include "runtime2.h"

namespace runtime {

/// Whether the tracer is on. Written by StartTrace/StopTrace, read by every
/// hook (relaxed: a plain mov). @gosrc{trace2runtime.go,traceEnabled}
extern bool traceOn;

/// Why a goroutine's slice ended (its E event's "stop" argument).
enum traceStop : uint8_t {
    traceStopBlock,    ///< gopark: the wait reason says on what
    traceStopSched,    ///< Gosched
    traceStopExit,     ///< the goroutine ended
    traceStopSyscall,  ///< entersyscall: the P goes on without it
    traceStopTrace,    ///< the trace stopped while it ran (written by StopTrace)
};

[[gnu::cold]] void traceGoCreate_(g* newg);
[[gnu::cold]] void traceGoStart_(g* gp);
[[gnu::cold]] void traceGoStop_(g* gp, traceStop why);
[[gnu::cold]] void traceGoSwitch_(g* gp, g* gnext);
[[gnu::cold]] void traceGoSysExit_();
[[gnu::cold]] void traceGoUnblock_(g* gp);
[[gnu::cold]] void traceProcStart_(p* pp);
[[gnu::cold]] void traceProcStop_(p* pp);

/// Starts tracing into the file path (truncated): Go's runtime/trace.Start,
/// with a path instead of an io.Writer. Fails (false) if a trace is already
/// running or path cannot be opened. Also started by GORT_TRACE=path.
/// Runs on: g or g0. @gosrc{trace2.go,StartTrace}
/// @differs{writes Chrome trace-event JSON to a file, not Go's binary format to a writer}
bool StartTrace(const char* path);
/// Stops tracing and writes the trace file; false if no trace was running.
/// Runs on: g or g0. @gosrc{trace2.go,StopTrace}
bool StopTrace();
void traceinit();
void traceexit();
/// The name of the function whose go statement is at gopc, as the
/// traceback's "created by" line says it (traceback.cc). Runs on: g or g0.
const char* creatorname(uintptr_t gopc);

/// Hot-path test shared by the hooks: one load, predicted not taken.
/// Runs on: either. @gosrc{trace2runtime.go,traceEnabled}
[[gnu::always_inline]] inline bool traceEnabled() {
    return __builtin_expect(__atomic_load_n(&traceOn, __ATOMIC_RELAXED), 0);
}

/// newg was created (newproc1). Runs on: g0. @gosrc{trace2runtime.go,traceLocker.GoCreate}
[[gnu::always_inline]] inline void traceGoCreate(g* newg) {
    if (traceEnabled()) traceGoCreate_(newg);
}
/// gp starts running on this M's P (execute, exitsyscall). Runs on: g0 or g.
/// @gosrc{trace2runtime.go,traceLocker.GoStart}
[[gnu::always_inline]] inline void traceGoStart(g* gp) {
    if (traceEnabled()) traceGoStart_(gp);
}
/// gp parks (park_m); its wait reason is already set. Runs on: g0.
/// @gosrc{trace2runtime.go,traceLocker.GoPark}
[[gnu::always_inline]] inline void traceGoPark(g* gp) {
    if (traceEnabled()) traceGoStop_(gp, traceStopBlock);
}
/// gp yields (goschedImpl). Runs on: g0. @gosrc{trace2runtime.go,traceLocker.GoSched}
[[gnu::always_inline]] inline void traceGoSched(g* gp) {
    if (traceEnabled()) traceGoStop_(gp, traceStopSched);
}
/// gp exits (gdestroy). Runs on: g0. @gosrc{trace2runtime.go,traceLocker.GoEnd}
[[gnu::always_inline]] inline void traceGoEnd(g* gp) {
    if (traceEnabled()) traceGoStop_(gp, traceStopExit);
}
/// coroswitch_m hands the M from gp (nullptr if it exited) to gnext.
/// Runs on: g0. @gortonly{Go 1.23's traceLocker.GoSwitch (1.22 does not trace coroswitch)}
[[gnu::always_inline]] inline void traceGoSwitch(g* gp, g* gnext) {
    if (traceEnabled()) traceGoSwitch_(gp, gnext);
}
/// The current goroutine enters a system call (reentersyscall,
/// entersyscallblock), before its P is detached. Runs on: g.
/// @gosrc{trace2runtime.go,traceLocker.GoSysCall}
[[gnu::always_inline]] inline void traceGoSysCall(g* gp) {
    if (traceEnabled()) traceGoStop_(gp, traceStopSyscall);
}
/// The current goroutine's system call returned (exitsyscall). Runs on: g.
/// @gosrc{trace2runtime.go,traceLocker.GoSysExit}
[[gnu::always_inline]] inline void traceGoSysExit() {
    if (traceEnabled()) traceGoSysExit_();
}
/// gp was made runnable by the current goroutine (ready). Runs on: g0.
/// @gosrc{trace2runtime.go,traceLocker.GoUnpark}
[[gnu::always_inline]] inline void traceGoUnblock(g* gp) {
    if (traceEnabled()) traceGoUnblock_(gp);
}
/// The current M took pp (acquirep). Runs on: g0.
/// @gosrc{trace2runtime.go,traceLocker.ProcStart}
[[gnu::always_inline]] inline void traceProcStart(p* pp) {
    if (traceEnabled()) traceProcStart_(pp);
}
/// The current M is about to let pp go (releasep). Runs on: g0.
/// @gosrc{trace2runtime.go,traceLocker.ProcStop}
[[gnu::always_inline]] inline void traceProcStop(p* pp) {
    if (traceEnabled()) traceProcStop_(pp);
}

}  // namespace runtime
