// gorttest.h — helpers shared by gort's Catch2 tests.
//
// Fatal paths (throw, deadlock, stack overflow, unhandled exceptions) end the
// process, so they are tested in a child: the test binary re-executes itself
// with GORT_TEST_CHILD=<scenario>, the child runs that scenario (registered
// with GORT_CHILD below) on goroutine 1, and the parent checks its exact
// stderr and exit status. Re-executing, not fork(), keeps the child a fresh
// gort process (fork would copy one thread of a runtime that may have many).
#pragma once

#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <vector>

#include "go.h"

namespace gorttest {

struct childresult {
    int status;        ///< exit status, or 128+signal
    std::string err;   ///< everything the child wrote to stderr
    std::string out;   ///< everything the child wrote to stdout
};

/// Runs scenario `name` in a child process with extra environment entries.
childresult runchild(const char* name, std::vector<std::string> env = {});

using scenario = void (*)();
struct registrar {
    registrar(const char* name, scenario fn);
};

/// Runs the scenario named by GORT_TEST_CHILD, if any; returns false if none.
bool runscenario();

/// Replaces every "+0x<hex>" and "0x<hex>" by "+0x?" / "0x?" and absolute
/// paths' directories by nothing, so dumps can be compared exactly.
std::string normalize(const std::string& s);

/// Runs scenario `name` in a child that must die with exit status 2, as Go's
/// fatal paths do, and returns its stderr, normalized.
std::string fatalchild(const char* name, std::vector<std::string> env = {});

/// Sets GOMAXPROCS for one test and restores it after, as Go's tests do with
/// `defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))`: for tests whose
/// expectations (run order, unsynchronized counters) hold on one P only.
struct gomaxprocs {
    int old;
    explicit gomaxprocs(int n) : old(runtime::GOMAXPROCS(n)) {}
    ~gomaxprocs() { runtime::GOMAXPROCS(old); }
};

/// Parks the calling goroutine forever (Go's `select {}`): a child scenario's
/// main waits so while another goroutine crashes the process.
[[noreturn]] inline void parkforever() {
    runtime::block();
}

/// Reports whether s begins with prefix.
inline bool startswith(const std::string& s, const std::string& prefix) {
    return s.compare(0, prefix.size(), prefix) == 0;
}

/// Reports whether s contains part.
inline bool contains(const std::string& s, const std::string& part) {
    return s.find(part) != std::string::npos;
}

}  // namespace gorttest

/// Defines a child scenario; its function is named gorttest_child_<ident>, which
/// is what the child's tracebacks show:
///   GORT_CHILD(deadlock) { ...body run in the child... }
#define GORT_CHILD(ident)                                                       \
    void gorttest_child_##ident();                                              \
    static gorttest::registrar gorttest_reg_##ident(#ident, &gorttest_child_##ident); \
    void gorttest_child_##ident()
