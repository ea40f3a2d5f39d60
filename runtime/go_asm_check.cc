// go_asm_check.cc — compile-time proof that go_asm.h matches runtime2.h.
//
// go_asm.h is generated, so it can only disagree if a stale copy is picked up;
// this file turns that into a build error instead of a wild jump.
//
// Go counterpart: the compiler's -asmhdr output, written by dumpasmhdr
// https://github.com/golang/go/blob/go1.22.0/src/cmd/compile/internal/gc/export.go
#include <cstddef>

#include "go_asm.h"
#include "go_asm_fields.h"
#include "runtime2.h"

namespace runtime {
#define CHECK(name, type, field) \
    static_assert(name == offsetof(type, field), "go_asm.h is stale: " #name);
GO_ASM_FIELDS(CHECK)
}  // namespace runtime
