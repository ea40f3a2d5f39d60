// test_trace.cc — runtime::StartTrace/StopTrace (runtime/trace.h): the API
// half of the execution trace. The JSON of a whole program (GORT_TRACE) is
// checked by test/check_trace.py on examples/trace.cc.
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "chan.h"
#include "gorttest.h"
#include "trace.h"

namespace {

/// The whole file at path.
std::string slurp(const std::string& path) {
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

/// How many times needle occurs in s.
size_t count(const std::string& s, const std::string& needle) {
    size_t n = 0;
    for (size_t i = s.find(needle); i != std::string::npos; i = s.find(needle, i + 1)) n++;
    return n;
}

/// Traces one ping-pong between the caller and a new goroutine into path;
/// returns the new goroutine's id.
uint64_t tracepingpong(const std::string& path) {
    REQUIRE(runtime::StartTrace(path.c_str()));
    CHECK_FALSE(runtime::StartTrace(path.c_str()));  // one trace at a time, as Go's
    auto ping = gort::make_chan<int>(), pong = gort::make_chan<int>();
    uint64_t goid = 0;
    gort::go([=, &goid] {
        goid = runtime::getg()->goid;
        pong.send(ping.recv() + 1);
    });
    ping.send(1);
    CHECK(pong.recv() == 2);
    REQUIRE(runtime::StopTrace());
    return goid;
}

}  // namespace

TEST_CASE("StopTrace without StartTrace, StartTrace to a bad path", "[trace]") {
    CHECK_FALSE(runtime::StopTrace());
    CHECK_FALSE(runtime::StartTrace("/nonexistent-dir/trace.json"));
    CHECK_FALSE(runtime::StopTrace());
}

TEST_CASE("StartTrace/StopTrace write each goroutine's slices, balanced", "[trace]") {
    std::string path = "/tmp/gort-test-trace-" + std::to_string(getpid()) + ".json";
    for (int round = 0; round < 2; round++) {  // a second trace starts afresh
        uint64_t goid = tracepingpong(path);
        std::string json = slurp(path);
        std::string name = "\"name\":\"g" + std::to_string(goid) + "\"";
        INFO(json);
        CHECK(json.rfind("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[", 0) == 0);
        CHECK(json.find("]}") != std::string::npos);
        CHECK(count(json, "{\"ph\":\"i\",\"name\":\"GoCreate\"") >= 1);
        CHECK(count(json, "{\"ph\":\"B\"," + name) >= 1);
        CHECK(count(json, "{\"ph\":\"B\"," + name) == count(json, "{\"ph\":\"E\"," + name));
        CHECK(count(json, "{\"ph\":\"B\"") == count(json, "{\"ph\":\"E\""));
        // One of the two blocks on a channel (which one depends on the Ps).
        CHECK(json.find("\"stop\":\"chan ") != std::string::npos);
        // The caller was running when the trace started and when it stopped.
        CHECK(json.find("\"stop\":\"trace stopped\"") != std::string::npos);
        CHECK(json.find("\"name\":\"thread_name\"") != std::string::npos);
    }
    std::remove(path.c_str());
}
