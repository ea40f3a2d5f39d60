// rss.h — the process's resident set size, for the stress programs
// (million.cc, churn.cc) that check memory per goroutine and its growth.
#pragma once

#include <cstdio>

/// Resident set size in bytes, from /proc/self/statm (0 if unreadable).
inline long statm_rss() {
    long pages = 0, rss = 0;
    if (FILE* f = std::fopen("/proc/self/statm", "r")) {
        if (std::fscanf(f, "%ld %ld", &pages, &rss) != 2) rss = 0;
        std::fclose(f);
    }
    return rss * 4096;
}
