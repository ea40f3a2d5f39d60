// rand.cc — the runtime's cheap per-M random numbers (select's poll order).
//
// Go counterpart: src/runtime/rand.go
// https://github.com/golang/go/blob/go1.22.0/src/runtime/rand.go
#include "runtime.h"

namespace runtime {

/// A non-cryptographic random number from the M's wyrand state. Not for
/// anything that must be unpredictable. Runs on: g or g0.
/// @gosrc{rand.go,cheaprand}
uint32_t cheaprand() {
    m* mp = getg()->m;
    mp->cheaprand += 0xa0761d6478bd642f;
    unsigned __int128 t = static_cast<unsigned __int128>(mp->cheaprand) *
                          (mp->cheaprand ^ 0xe7037ed1a0b428db);
    return uint32_t(uint64_t(t >> 64) ^ uint64_t(t));
}

/// A random number in [0, n), without a division (Lemire's multiply-shift).
/// Runs on: g or g0. @gosrc{rand.go,cheaprandn}
uint32_t cheaprandn(uint32_t n) {
    return uint32_t((uint64_t(cheaprand()) * uint64_t(n)) >> 32);
}

}  // namespace runtime
