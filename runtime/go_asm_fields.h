// go_asm_fields.h — the one list of struct fields the assembly reaches.
//
// GO_ASM_FIELDS(X) calls X(name, type, field) for each: mkgo_asm.cc prints
// `#define name offsetof(type, field)` into go_asm.h, and go_asm_check.cc
// static_asserts that the header it was given still agrees.
#pragma once

#define GO_ASM_FIELDS(X)          \
    X(stack_lo, stack, lo)        \
    X(stack_hi, stack, hi)        \
    X(gobuf_sp, gobuf, sp)        \
    X(gobuf_pc, gobuf, pc)        \
    X(gobuf_g, gobuf, g)          \
    X(gobuf_ctxt, gobuf, ctxt)    \
    X(gobuf_ret, gobuf, ret)      \
    X(gobuf_lr, gobuf, lr)        \
    X(gobuf_bp, gobuf, bp)        \
    X(g_stack, g, stack)          \
    X(g_stackguard0, g, stackguard0) \
    X(g_stackguard1, g, stackguard1) \
    X(g_m, g, m)                  \
    X(g_sched, g, sched)          \
    X(g_goid, g, goid)            \
    X(m_g0, m, g0)                \
    X(m_curg, m, curg)            \
    X(m_p, m, p)                  \
    X(m_id, m, id)
