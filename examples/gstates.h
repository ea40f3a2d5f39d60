// gstates.h — shared by the examples: print what the other goroutines are
// doing, counted by state, as a goroutine dump would name them
// ("waiting [chan receive]", "runnable"). Reads the runtime's allgs.
#pragma once

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "runtime.h"

/// Prints one line per state: the number of goroutines other than the caller
/// in it, indented by indent spaces. Dead goroutines are not counted.
inline void printgstates(int indent) {
    runtime::lock(&runtime::allglock);
    std::vector<runtime::g*> gs = runtime::allgs;
    runtime::unlock(&runtime::allglock);
    std::map<std::string, int> states;
    for (runtime::g* gp : gs) {
        if (gp == runtime::getg()) continue;
        switch (runtime::readgstatus(gp)) {
        case runtime::Gwaiting: {
            // gp may be parking on another M right now: read its wait
            // reason atomically, as the runtime's schedtrace does.
            runtime::waitReason r = __atomic_load_n(&gp->waitreason, __ATOMIC_RELAXED);
            states[std::string("waiting [") + runtime::waitReasonString(r) + "]"]++;
            break;
        }
        case runtime::Grunnable: states["runnable"]++; break;
        case runtime::Grunning: states["running"]++; break;
        default: break;
        }
    }
    for (auto& [state, n] : states) std::printf("%*s%2d %s\n", indent, "", n, state.c_str());
}
