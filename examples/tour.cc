// tour.cc — one goroutine switch, narrated step by step with the real values:
// a companion to chapter 1.2 (TLS, getg, mcall, gosave/gobuf, gogo).
//
// Run:   build/examples/tour
// Step:  gdb -x examples/tour.gdb build/examples/tour
//
// The story: goroutine 1 (main) starts a worker, the worker blocks in gopark,
// which is an mcall(park_m): its registers go into worker.sched and the M
// moves onto the g0 stack; park_m and schedule run there and pick main;
// execute → gogo(&main.sched) resumes main. main readies the worker and
// yields; the worker's gogo brings it back right after its mcall.
//
// Everything printed is read from the runtime's own structures while it
// happens; the unlockf callback of gopark is our window onto g0, because
// park_m calls it on the g0 stack in the middle of the switch.
#include <cinttypes>
#include <cstdio>

#include "go.h"

using namespace runtime;

static g* worker;
static g* maing;

static const char* where(uintptr_t sp) {
    g* gp = getg();
    if (sp >= gp->m->g0->stack.lo && sp < gp->m->g0->stack.hi) return "g0's stack (the thread's own)";
    if (sp >= gp->stack.lo && sp < gp->stack.hi) return "this goroutine's stack";
    return "another stack";
}

static void showg(const char* label, g* gp) {
    std::printf("    %-7s g=%p goid=%" PRIu64 " status=%s stack=[%#" PRIxPTR ", %#" PRIxPTR ")\n",
                label, static_cast<void*>(gp), gp->goid,
                gp == getg()->m->g0 ? "g0" : readgstatus(gp) == Grunning ? "running" : readgstatus(gp) == Gwaiting ? "waiting" : readgstatus(gp) == Grunnable ? "runnable" : "other",
                gp->stack.lo, gp->stack.hi);
}

static void showbuf(const char* label, const gobuf& b) {
    Func f = FuncForPC(b.pc ? b.pc - 1 : 0);
    std::printf("    %s = { sp=%#" PRIxPTR " pc=%#" PRIxPTR " (%s, %s:%d) bp=%#" PRIxPTR " g=%p }\n",
                label, b.sp, b.pc, f.name[0] ? f.name : "-", f.file, f.line, b.bp,
                static_cast<void*>(b.g.ptr()));
}

static void step(int n, const char* text) {
    std::printf("\n[%d] %s\n", n, text);
}

// Called by park_m on g0, after mcall saved the worker's context and
// switched stacks, before schedule(). Returning true keeps it parked.
static bool onG0(g* gp, void*) {
    uintptr_t sp = uintptr_t(__builtin_frame_address(0));
    step(4, "park_m(worker) runs on g0: mcall has saved the worker and switched stacks");
    std::printf("    getg() is now m.g0: %s; our SP %#" PRIxPTR " is on %s\n",
                getg() == getg()->m->g0 ? "yes" : "NO", sp, where(sp));
    showg("g0", getg());
    showg("worker", gp);
    showbuf("worker.sched", gp->sched);
    std::printf("    (pc is the instruction after the CALL in gopark's mcall: the worker will\n"
                "     resume there, as if mcall had returned)\n");
    showbuf("g0.sched", getg()->sched);
    std::printf("    (g0.sched was recorded once by mstart1: every mcall starts g0's stack\n"
                "     afresh from that sp, with a fake return PC into mstart0)\n");
    step(5, "park_m → schedule → findRunnable → execute(main) → gogo(&main.sched)");
    showbuf("main.sched", maing->sched);
    std::printf("    gogo loads SP, BP and PC from main.sched, sets TLS g=main, clears the gobuf,\n"
                "    and jumps: main continues after its own mcall (in Gosched).\n");
    return true;
}

static void workerfn() {
    worker = getg();
    uintptr_t sp = uintptr_t(__builtin_frame_address(0));
    step(3, "the worker runs: newproc1 gave it a stack with goexit as its return address");
    showg("worker", worker);
    std::printf("    our SP %#" PRIxPTR " is on %s, %" PRIuPTR " bytes below stack.hi\n", sp,
                where(sp), worker->stack.hi - sp);
    std::printf("    now it blocks: gopark(waitReasonChanReceive) → mcall(park_m)\n");
    gopark(onG0, nullptr, waitReasonChanReceive);  // ← the switch
    sp = uintptr_t(__builtin_frame_address(0));
    step(7, "the worker is back, right after gopark's mcall: gogo restored its registers");
    showg("worker", worker);
    std::printf("    getg() == worker: %s; SP %#" PRIxPTR " on %s\n",
                getg() == worker ? "yes" : "NO", sp, where(sp));
    showbuf("worker.sched", worker->sched);
    std::printf("    (gogo cleared sp/bp/ret/ctxt of the gobuf it used: the context now lives\n"
                "     in the registers again)\n");
    std::printf("    the worker returns → goexit → goexit1 → mcall(goexit0): g back on the free list\n");
}

void main_main() {
    // The tour follows one P, as the chapter does: with more, the worker
    // could run on another M at the same time as main, and the steps below
    // would interleave differently on every run.
    GOMAXPROCS(1);
    maing = getg();
    std::printf("gort tour: one goroutine switch, step by step (chapter 1.2)\n");
    step(1, "main_main runs as goroutine 1 on the thread's M (m0)");
    showg("main", maing);
    showg("g0", maing->m->g0);
    std::printf("    getg() read the TLS slot: movq runtime.tlsg@gottpoff(%%rip), %%rax;\n"
                "    movq %%fs:(%%rax), %%rax   — the chapter's get_tls(CX); MOVQ g(CX), BX\n");

    step(2, "go workerfn(): newproc → (systemstack) newproc1 → runqput(runnext)");
    gort::go(workerfn);
    std::printf("    main yields: Gosched → mcall(gosched_m) → main goes to the global run\n"
                "    queue; schedule takes the worker from runnext\n");
    Gosched();

    step(6, "main is running again; the worker is parked");
    showg("worker", worker);
    std::printf("    wait reason: [%s]\n", waitReasonString(worker->waitreason));
    std::printf("    goready(worker): ready → casgstatus(waiting → runnable) → runqput(runnext)\n");
    goready(worker);
    std::printf("    main yields again; schedule picks the worker: execute → gogo(&worker.sched)\n");
    Gosched();

    step(8, "main again: the worker has exited");
    std::printf("    NumGoroutine() = %d\n", NumGoroutine());
    std::printf("\nThe switch in one line: mcall saves {sp, pc, bp} in g.sched and runs fn on g0;\n"
                "gogo loads them back. Everything else is bookkeeping on the g0 stack.\n");
}
