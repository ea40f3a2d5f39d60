// runtime1.cc — program arguments and environment settings (GODEBUG, GOTRACEBACK).
//
// Go counterpart: src/runtime/runtime1.go
// https://github.com/golang/go/blob/go1.22.0/src/runtime/runtime1.go
#include <cstdlib>
#include <cstring>
#include <string>

#include "runtime.h"

namespace runtime {

std::vector<const char*> argslice;
dbgVars debug;
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

/// Parses s as a decimal int32 (with an optional '-'), as Go's atoi32: false
/// for anything else, including overflow. Runs on: g0 (schedinit).
/// @gosrc{string.go,atoi32}
bool atoi32(const char* s, int32_t* n) {
    bool neg = *s == '-';
    if (neg) s++;
    if (*s == 0) return false;
    int64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return false;
        v = v * 10 + (*s - '0');
        if (v > int64_t(INT32_MAX) + 1) return false;
    }
    if (neg) v = -v;
    if (v < INT32_MIN || v > INT32_MAX) return false;
    *n = int32_t(v);
    return true;
}

/// The GODEBUG keys gort knows, as Go's dbgvars table. @gosrc{runtime1.go,dbgvars}
static const struct {
    const char* name;
    int32_t* value;
} dbgvars[] = {
    {"scheddetail", &debug.scheddetail},
    {"schedtrace", &debug.schedtrace},
    {"switchtrace", &debug.switchtrace},  // gort only
    {"schedrandom", &debug.schedrandom},  // gort only
};

/// Applies a GODEBUG string: comma-separated name=value, left to right (a
/// later setting wins); unknown names, fields without '=' and values that are
/// not numbers are ignored, as in Go. Runs on: g0 (schedinit).
/// @gosrc{runtime1.go,parsegodebug}
static void parsegodebug(const char* godebug) {
    std::string all(godebug);
    size_t start = 0;
    while (start <= all.size()) {
        size_t comma = all.find(',', start);
        std::string field = all.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        start = comma == std::string::npos ? all.size() + 1 : comma + 1;
        size_t eq = field.find('=');
        if (eq == std::string::npos) continue;
        std::string key = field.substr(0, eq), value = field.substr(eq + 1);
        for (auto& v : dbgvars) {
            int32_t n;
            if (key == v.name && atoi32(value.c_str(), &n)) *v.value = n;
        }
    }
}

/// Reads the runtime's environment settings. Runs on: g0, from schedinit.
/// @gosrc{runtime1.go,parsedebugvars}
void parsedebugvars() {
    if (const char* d = std::getenv("GODEBUG")) parsegodebug(d);
    if (const char* t = std::getenv("GOTRACEBACK")) setTraceback(t);
    switchtrace = debug.switchtrace > 0;  // the flag the switch hooks test (stubs.h)
    randomizeScheduler = debug.schedrandom != 0;
}

}  // namespace runtime
