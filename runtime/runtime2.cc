// runtime2.cc — the tables that go with runtime2.h.
//
// Go counterpart: src/runtime/runtime2.go
// https://github.com/golang/go/blob/go1.22.0/src/runtime/runtime2.go
#include <iterator>

#include "runtime2.h"

namespace runtime {

/// Go's waitReasonStrings, in waitReason order. @gosrc{runtime2.go,waitReasonStrings}
/// Not static, unlike Go's: runtime-gdb.py reads it to print wait reasons, and
/// under LTO a file-local table loses its address in the debug info.
const char* const waitReasonStrings[] = {
    "",                        // waitReasonZero
    "GC assist marking",       // waitReasonGCAssistMarking
    "IO wait",                 // waitReasonIOWait
    "chan receive (nil chan)", // waitReasonChanReceiveNilChan
    "chan send (nil chan)",    // waitReasonChanSendNilChan
    "dumping heap",            // waitReasonDumpingHeap
    "garbage collection",      // waitReasonGarbageCollection
    "garbage collection scan", // waitReasonGarbageCollectionScan
    "panicwait",               // waitReasonPanicWait
    "select",                  // waitReasonSelect
    "select (no cases)",       // waitReasonSelectNoCases
    "GC assist wait",          // waitReasonGCAssistWait
    "GC sweep wait",           // waitReasonGCSweepWait
    "GC scavenge wait",        // waitReasonGCScavengeWait
    "chan receive",            // waitReasonChanReceive
    "chan send",               // waitReasonChanSend
    "finalizer wait",          // waitReasonFinalizerWait
    "force gc (idle)",         // waitReasonForceGCIdle
    "semacquire",              // waitReasonSemacquire
    "sleep",                   // waitReasonSleep
    "sync.Cond.Wait",          // waitReasonSyncCondWait
    "sync.Mutex.Lock",         // waitReasonSyncMutexLock
    "sync.RWMutex.RLock",      // waitReasonSyncRWMutexRLock
    "sync.RWMutex.Lock",       // waitReasonSyncRWMutexLock
    "trace reader (blocked)",  // waitReasonTraceReaderBlocked
    "wait for GC cycle",       // waitReasonWaitForGCCycle
    "GC worker (idle)",        // waitReasonGCWorkerIdle
    "GC worker (active)",      // waitReasonGCWorkerActive
    "preempted",               // waitReasonPreempted
    "debug call",              // waitReasonDebugCall
    "GC mark termination",     // waitReasonGCMarkTermination
    "stopping the world",      // waitReasonStoppingTheWorld
    "flushing proc caches",    // waitReasonFlushProcCaches
    "trace goroutine status",  // waitReasonTraceGoroutineStatus
    "trace proc status",       // waitReasonTraceProcStatus
    "page trace flush",        // waitReasonPageTraceFlush
    "coroutine",               // waitReasonCoroutine
};
static_assert(std::size(waitReasonStrings) == waitReasonCoroutine + 1,
              "waitReasonStrings must list every waitReason");

/// Returns the text for w that goroutine headers show ("chan receive"), as
/// Go's waitReason.String(). Runs on: any stack (incl. signal stack).
/// @gosrc{runtime2.go,waitReason.String}
const char* waitReasonString(waitReason w) {
    if (w >= std::size(waitReasonStrings)) return "unknown wait reason";
    return waitReasonStrings[w];
}

}  // namespace runtime
