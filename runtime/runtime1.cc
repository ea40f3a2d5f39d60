// runtime1.cc — program arguments and environment settings (GOTRACEBACK).
//
// Go counterpart: src/runtime/runtime1.go
// https://github.com/golang/go/blob/go1.22.0/src/runtime/runtime1.go
#include <cstdlib>
#include <cstring>

#include "runtime.h"

namespace runtime {

std::vector<const char*> argslice;
int32_t traceback_level = 1;
bool traceback_all = false;

/// Records os.Args. Runs on: the OS thread's stack, from rt0_go (before it
/// becomes g0). @gosrc{runtime1.go,goargs}
void goargs(int argc, char** argv) {
    argslice.assign(argv, argv + argc);
}

/// Applies GOTRACEBACK as Go does: none, single (default), all, system,
/// crash, or a number; anything else leaves the default. Runs on: g0, from
/// parsedebugvars. @gosrc{runtime1.go,setTraceback}
static void setTraceback(const char* level) {
    if (std::strcmp(level, "none") == 0) {
        traceback_level = 0;
    } else if (std::strcmp(level, "single") == 0 || level[0] == 0) {
        traceback_level = 1;
    } else if (std::strcmp(level, "all") == 0) {
        traceback_level = 1, traceback_all = true;
    } else if (std::strcmp(level, "system") == 0 || std::strcmp(level, "crash") == 0) {
        traceback_level = 2, traceback_all = true;
    } else {
        char* end;
        long v = std::strtol(level, &end, 10);
        if (*end == 0 && v >= 0) traceback_level = int32_t(v), traceback_all = true;
    }
}

/// Reads the runtime's environment settings. Runs on: g0, from schedinit.
/// @gosrc{runtime1.go,parsedebugvars}
void parsedebugvars() {
    if (const char* t = std::getenv("GOTRACEBACK")) setTraceback(t);
}

}  // namespace runtime
