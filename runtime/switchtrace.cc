// switchtrace.cc — GODEBUG=switchtrace=1: every stack switch, narrated.
//
// Go counterpart: none (gort only). The switches it narrates are Go's
// src/runtime/asm_amd64.s (mcall, gogo, systemstack) and coro.go
// (coroswitch_m); the key is parsed with Go's other debug variables
// (runtime1.go, dbgvars):
// https://github.com/golang/go/blob/go1.22.0/src/runtime/asm_amd64.s
// https://github.com/golang/go/blob/go1.22.0/src/runtime/runtime1.go
//
// gort only: Go has no such setting. It is chapter 1.2 (mcall, gosave, gogo)
// happening live: one line on standard error per switch, printed on g0 just
// before or just after the switch, with the values the switch saved or is
// about to restore:
//
//   switch mcall: g5 -> g0 (m1) fn=runtime::park_m; saved g5.sched sp=0x... pc=0x... (runtime::gopark); g0 stack [0x..., 0x...)
//   switch gogo: g0 -> g5 (m1); resume g5.sched sp=0x... pc=0x... (runtime::gopark); g5 stack [0x..., 0x...)
//   switch coroswitch: g5 -> g6 (m1); resume g6.sched ...
//   switch systemstack: g5 -> g0 (m1) fn=runtime::goready::{lambda()#1}; saved g5.sched ...
//   switch systemstack return: g0 -> g5 (m1); resume g5.sched ...
//
// "saved" is what mcall (or systemstack) has just stored in the g's gobuf;
// "resume" is the gobuf that gogo is about to load. The name in parentheses
// is the function the pc is in: where the goroutine stopped, and where it
// will go on.
//
// Cost when off: each hook is one load of the bool `switchtrace` and a branch
// that is never taken (stubs.h, proc.cc execute, coro.cc coroswitch_m); the
// printing is out of line, here.
#include <cstring>

#include "runtime.h"

namespace runtime {

bool switchtrace;
static mutex tracelk;  ///< keeps each line whole when several Ms switch at once (Go: printlock)
thread_local void (*switchtrace_mcallfn)(g*);  ///< the fn of the mcall being traced, per M

/// Copies a demangled name into out without parameter lists, keeping
/// "{lambda()#N}" and template arguments: "runtime::goready(runtime::g*,
/// int)::{lambda()#1}" becomes "runtime::goready::{lambda()#1}". Runs on: g0.
/// @gortonly{GODEBUG=switchtrace is gort's own}
static void shortname(const char* name, char* out, size_t size) {
    size_t n = 0;
    int depth = 0, angle = 0;
    for (const char* s = name; *s && n + 1 < size; s++) {
        bool lambda = s - name >= 6 && std::strncmp(s - 6, "lambda", 6) == 0;
        if (depth == 0 && *s == '<') angle++;
        if (depth == 0 && *s == '>' && angle > 0) angle--;
        if (*s == '(' && (depth > 0 || (!lambda && angle == 0))) depth++;
        if (depth == 0) out[n++] = *s;
        if (*s == ')' && depth > 0) depth--;
    }
    out[n] = 0;
}

/// Prints " (function)" for a saved pc: a return address, so the call is at
/// pc-1, unless pc is a function's entry (a goroutine that has not run yet).
/// Runs on: g0.
/// @gortonly{GODEBUG=switchtrace is gort's own}
static void printfunc(uintptr_t pc) {
    if (pc == 0) return;
    Func f = FuncForPC(pc);
    if (f.entry != pc) f = FuncForPC(pc - 1);
    char name[256];
    shortname(f.name, name, sizeof name);
    printstring(" (");
    printstring(name[0] ? name : "?");
    printstring(")");
}

/// Prints "gN" (an M's g0 is g0), or "exited g" for a goroutine that ended on
/// its way out (coroexit). Runs on: g0.
/// @gortonly{GODEBUG=switchtrace is gort's own}
static void printgname(g* gp) {
    if (gp == nullptr) {
        printstring("exited g");
        return;
    }
    printstring("g");
    printuint(gp->goid);
}

/// Prints one narration line. kind: the switch; fn: the function that runs
/// on the other side (mcall, systemstack), or nullptr; what: "saved" or
/// "resume"; owner: the g whose sched is shown; on: the g whose stack the
/// switch goes to. Runs on: g0.
/// @gortonly{GODEBUG=switchtrace is gort's own}
static void printswitch(const char* kind, g* from, g* to, const char* fn, const char* what,
                        g* owner, g* on) {
    lock(&tracelk);
    printstring("switch ");
    printstring(kind);
    printstring(": ");
    printgname(from);
    printstring(" -> ");
    printgname(to);
    printstring(" (m");
    printint(getg()->m->id);
    printstring(")");
    if (fn) {
        printstring(" fn=");
        printstring(fn);
    }
    printstring("; ");
    printstring(what);
    printstring(" ");
    printgname(owner);
    printstring(".sched sp=");
    printhex(owner->sched.sp);
    printstring(" pc=");
    printhex(owner->sched.pc);
    printfunc(owner->sched.pc);
    printstring("; ");
    printgname(on);
    printstring(" stack [");
    printhex(on->stack.lo);
    printstring(", ");
    printhex(on->stack.hi);
    printstring(")\n");
    unlock(&tracelk);
}

/// The fn that a traced mcall runs instead of the caller's (stubs.h):
/// narrates the switch mcall has just made (gp.sched now holds gp's sp and
/// pc), then calls the real fn, which never returns. Runs on: g0.
/// @gortonly{GODEBUG=switchtrace is gort's own}
void switchtrace_mcall(g* gp) {
    void (*fn)(g*) = switchtrace_mcallfn;
    char name[256];
    shortname(FuncForPC(reinterpret_cast<uintptr_t>(fn)).name, name, sizeof name);
    printswitch("mcall", gp, getg(), name, "saved", gp, getg());
    fn(gp);
    badmcall2(fn);  // fn returned: Go's mcall says so
}

/// Narrates a gogo from g0 to to (execute, coroswitch_m, goexit0): kind is
/// "gogo" or "coroswitch", from the g that gave up the M (nullptr if it
/// exited). Runs on: g0, just before gogo.
/// @gortonly{GODEBUG=switchtrace is gort's own}
void switchtrace_gogo(const char* kind, g* from, g* to) {
    printswitch(kind, from, to, nullptr, "resume", to, to);
}

/// Narrates both halves of a systemstack that switches: called on g0 at the
/// start (in = true, gp.sched holds what systemstack saved) and at the end
/// (in = false, systemstack is about to go back to gp.sched.sp). fnpc names
/// the function run: a systemstack<F> closure, whose F is printed, or a
/// plain function. Runs on: g0.
/// @gortonly{GODEBUG=switchtrace is gort's own}
void switchtrace_systemstack(bool in, uintptr_t fnpc) {
    g* g0 = getg();
    g* gp = g0->m->curg;
    if (!in) return printswitch("systemstack return", g0, gp, nullptr, "resume", gp, gp);
    Func f = FuncForPC(fnpc);
    // "void runtime::systemstack<F>(F&&)::closure::call(...)": keep F.
    const char* name = f.name;
    if (const char* open = std::strstr(f.name, "systemstack<")) {
        open += std::strlen("systemstack<");
        const char* close = std::strstr(open, ">(");
        if (close) f.name[close - f.name] = 0;
        name = open;
    }
    char shortfn[256];
    shortname(name, shortfn, sizeof shortfn);
    printswitch("systemstack", gp, g0, shortfn, "saved", gp, g0);
}

}  // namespace runtime
