// main.cc — the test program's main_main: Catch2 runs on goroutine 1.
#define CATCH_CONFIG_RUNNER
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <cctype>

#include "gorttest.h"

extern char** environ;

namespace gorttest {

static std::map<std::string, scenario>& scenarios() {
    static std::map<std::string, scenario> m;
    return m;
}

registrar::registrar(const char* name, scenario fn) {
    scenarios()[name] = fn;
}

bool runscenario() {
    const char* name = std::getenv("GORT_TEST_CHILD");
    if (name == nullptr) return false;
    auto it = scenarios().find(name);
    if (it == scenarios().end()) {
        std::fprintf(stderr, "gorttest: no scenario %s\n", name);
        gort::Exit(100);
    }
    it->second();
    return true;
}

static std::string drain(int fd) {
    std::string s;
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) s.append(buf, size_t(n));
    close(fd);
    return s;
}

childresult runchild(const char* name, std::vector<std::string> env) {
    // The child inherits our environment, except GORT_TEST_CHILD and the
    // variables env sets: those must win over ours (a run under
    // GOMAXPROCS=4 must not hide a test's GOMAXPROCS=3 from its child).
    auto overridden = [&](const char* e) {
        if (std::strncmp(e, "GORT_TEST_CHILD=", 16) == 0) return true;
        for (auto& kv : env) {
            size_t n = kv.find('=');
            if (n != std::string::npos && std::strncmp(e, kv.c_str(), n + 1) == 0) return true;
        }
        return false;
    };
    std::vector<std::string> envs;
    for (char** e = environ; *e; e++)
        if (!overridden(*e)) envs.emplace_back(*e);
    envs.push_back(std::string("GORT_TEST_CHILD=") + name);
    for (auto& e : env) envs.push_back(e);
    std::vector<char*> envp;
    for (auto& e : envs) envp.push_back(e.data());
    envp.push_back(nullptr);

    int errp[2], outp[2];
    REQUIRE(pipe2(errp, O_CLOEXEC) == 0);
    REQUIRE(pipe2(outp, O_CLOEXEC) == 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
    posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
    char self[] = "/proc/self/exe";
    char* argv[] = {self, nullptr};
    pid_t pid;
    REQUIRE(posix_spawn(&pid, "/proc/self/exe", &fa, nullptr, argv, envp.data()) == 0);
    posix_spawn_file_actions_destroy(&fa);
    close(errp[1]);
    close(outp[1]);
    // Small outputs: read stdout after stderr without risking a full pipe.
    childresult r{};
    r.err = drain(errp[0]);
    r.out = drain(outp[0]);
    int st;
    waitpid(pid, &st, 0);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return r;
}

std::string normalize(const std::string& s) {
    // By hand, not std::regex: libstdc++'s regex recurses per character and a
    // goroutine's stack is small.
    std::string r;
    for (size_t i = 0; i < s.size();) {
        if (s.compare(i, 2, "0x") == 0) {
            r += "0x?";
            for (i += 2; i < s.size() && std::isxdigit(static_cast<unsigned char>(s[i])); i++) {
            }
            continue;
        }
        if (s[i] == '/' || (s[i] == '.' && i + 1 < s.size() && s[i + 1] == '.')) {
            // a path: keep only its last component
            size_t end = i;
            while (end < s.size() && !std::isspace(static_cast<unsigned char>(s[end]))) end++;
            size_t slash = s.rfind('/', end - 1);
            i = (slash != std::string::npos && slash >= i) ? slash + 1 : i;
            r.append(s, i, end - i);
            i = end;
            continue;
        }
        r += s[i++];
    }
    return r;
}

std::string fatalchild(const char* name, std::vector<std::string> env) {
    childresult r = runchild(name, std::move(env));
    INFO("child " << name << " wrote:\n" << r.err);
    CHECK(r.status == 2);
    // Under the seed loop (test/seeds.py) the child inherits GODEBUG=schedrandom
    // and ends its report with the seed (panic.cc); the tests compare the rest.
    std::string e = normalize(r.err);
    size_t seed = e.rfind("\nscheduler randomized: GODEBUG=schedrandom=");
    if (seed != std::string::npos && e.find('\n', seed + 1) == e.size() - 1) e.erase(seed);
    return e;
}

}  // namespace gorttest

void main_main() {
    if (gorttest::runscenario()) gort::Exit(0);
    auto& args = gort::Args();
    int rc = Catch::Session().run(int(args.size()), const_cast<char**>(args.data()));
    if (rc != 0 && runtime::randomizeScheduler)  // say how to get this schedule again
        std::printf("scheduler randomized: GODEBUG=schedrandom=%d\n", runtime::debug.schedrandom);
    gort::Exit(rc);
}
