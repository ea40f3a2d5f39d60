// replay.cc — runs every file of the fuzz corpus through the fuzz harness, in
// the normal (gcc) build: the invariant checker runs in every `meson test`
// without clang (suite "fuzz"). Arguments: files or directories (each file in
// a directory, in name order). Also how to rerun a crash that the fuzzer
// saved: build/test/fuzz/fuzz_replay crash-<sha1>.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz_sched.h"
#include "go.h"

void main_main() {
    namespace fs = std::filesystem;
    std::vector<std::string> files;
    auto& args = gort::Args();
    for (size_t i = 1; i < args.size(); i++) {
        if (fs::is_directory(args[i])) {
            std::vector<std::string> dir;
            for (auto& e : fs::directory_iterator(args[i]))
                if (e.is_regular_file()) dir.push_back(e.path().string());
            std::sort(dir.begin(), dir.end());
            files.insert(files.end(), dir.begin(), dir.end());
        } else {
            files.push_back(args[i]);
        }
    }
    if (files.empty()) {
        std::fprintf(stderr, "usage: fuzz_replay file-or-dir...\n");
        gort::Exit(2);
    }
    for (auto& f : files) {
        std::ifstream in(f, std::ios::binary);
        std::vector<char> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        fuzzsched::runone(reinterpret_cast<const uint8_t*>(data.data()), data.size());
    }
    std::printf("fuzz_replay: %zu inputs, all invariants hold\n", files.size());
}
