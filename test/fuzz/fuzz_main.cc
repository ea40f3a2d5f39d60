// fuzz_main.cc — the libFuzzer target fuzz_sched (-Dfuzz=true, clang).
//
// gort's main() makes the thread's stack m0's g0 and runs main_main as
// goroutine 1; libFuzzer's main would take the thread instead. So this links
// libFuzzer without its main (libclang_rt.fuzzer_no_main) and runs its
// driver, LLVMFuzzerRunDriver, from main_main: libFuzzer's loop runs on
// goroutine 1, and each input runs there too (fuzz_sched.cc parks it while
// the program's goroutines run). libFuzzer's own threads (its -timeout
// alarm, -rss_limit_mb) are plain threads that never touch gort.
//
// Flags: libFuzzer's, for instance
//   build-fuzz/test/fuzz/fuzz_sched -max_total_time=60 test/fuzz/corpus
// Defaults added before the user's (which win): -handle_segv=0,
// -handle_bus=0 (gort's handlers report a stack overflow or a bad access on
// the M's signal stack, with the goroutine's traceback) and -max_len=512.
//
// A gort fatal error (a deadlock, a throw, a stack overflow) ends the
// process with _exit(2), behind libFuzzer's back; the link wraps _exit
// (-Wl,--wrap=_exit) so that the input being run is first saved as
// <artifact_prefix>crash-fatal-<pid>, as libFuzzer saves a crash-<sha1> for an abort.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "fuzz_sched.h"
#include "go.h"

extern "C" int LLVMFuzzerRunDriver(int* argc, char*** argv, int (*cb)(const uint8_t*, size_t));
extern "C" [[noreturn]] void __real__exit(int status);

namespace {

const uint8_t* current;  // the input being run (for __wrap__exit)
size_t currentsize;
bool running;
const char* prefix = "";  // libFuzzer's -artifact_prefix

int testone(const uint8_t* data, size_t size) {
    current = data;
    currentsize = size;
    running = true;
    fuzzsched::runone(data, size);
    running = false;
    return 0;
}

}  // namespace

/// gort's fatal paths call _exit(2): save the input first. Async-signal-safe
/// (it may run in gort's signal handler): open, write, close only.
extern "C" [[noreturn]] void __wrap__exit(int status) {
    if (running && status != 0) {
        char name[4096];
        size_t n = 0;
        for (const char* q = prefix; *q && n < sizeof name - 64; q++) name[n++] = *q;
        for (const char* q = "crash-fatal-"; *q; q++) name[n++] = *q;
        unsigned long id = (unsigned long)getpid();
        char digits[24];
        int k = 0;
        do digits[k++] = char('0' + id % 10); while ((id /= 10) != 0 && k < 20);
        while (k > 0) name[n++] = digits[--k];
        name[n] = 0;
        int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            ssize_t w = write(fd, current, currentsize);
            (void)w;
            close(fd);
            static const char msg[] = "fuzz_sched: gort died running this input; saved it as ";
            w = write(2, msg, sizeof msg - 1);
            w = write(2, name, n);
            w = write(2, "\n", 1);
        }
    }
    __real__exit(status);
}

void main_main() {
    std::vector<char*> argv;
    for (const char* a : gort::Args()) {
        argv.push_back(const_cast<char*>(a));
        if (std::strncmp(a, "-artifact_prefix=", 17) == 0) prefix = a + 17;
    }
    static char d1[] = "-handle_segv=0", d2[] = "-handle_bus=0", d3[] = "-max_len=512";
    argv.insert(argv.begin() + 1, {d1, d2, d3});
    argv.push_back(nullptr);
    int argc = int(argv.size()) - 1;
    char** av = argv.data();
    gort::Exit(LLVMFuzzerRunDriver(&argc, &av, testone));
}
