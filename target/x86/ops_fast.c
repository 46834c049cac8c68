/*
 * Tier 0's specialised handlers (issue #9, "tier 0 without waste").
 *
 * The generic handlers in ops_*.c decide at run time, on every execution,
 * the operand size, register or memory operand and ALU operation.  For the
 * forms that dominate real code (32/64-bit ALU, MOV and TEST between
 * registers and memory, without a LOCK) tb_gen asks x86_specialize() for a
 * handler with those decisions made at compile time.  They are the same
 * semantics: same results, same lazy-flag record (cc_op, cc_dst, cc_src,
 * cc_src2), the load before the store and the flags after it, so a fault
 * leaves the instruction's state untouched.  tests/unit/test-fast-ops.c
 * runs every specialised form against the generic handler on random state
 * and compares the whole CPU state and memory.
 */
#include "target/x86/ops.h"

/* 0 ADD 1 OR 4 AND 5 SUB 6 XOR 7 CMP: the ALU ops without carry-in */
#define ALU_add(a, b) ((a) + (b))
#define ALU_or(a, b)  ((a) | (b))
#define ALU_and(a, b) ((a) & (b))
#define ALU_sub(a, b) ((a) - (b))
#define ALU_xor(a, b) ((a) ^ (b))
#define ALU_cmp(a, b) ((a) - (b))
#define CCOP_add CC_OP_ADDB
#define CCOP_or  CC_OP_LOGICB
#define CCOP_and CC_OP_LOGICB
#define CCOP_sub CC_OP_SUBB
#define CCOP_xor CC_OP_LOGICB
#define CCOP_cmp CC_OP_SUBB
/* the lazy record keeps the second operand for ADD/SUB, 0 for logic ops */
#define CCSRC_add(b) (b)
#define CCSRC_or(b)  0
#define CCSRC_and(b) 0
#define CCSRC_sub(b) (b)
#define CCSRC_xor(b) 0
#define CCSRC_cmp(b) (b)
#define WRITES_add 1
#define WRITES_or  1
#define WRITES_and 1
#define WRITES_sub 1
#define WRITES_xor 1
#define WRITES_cmp 0

/* ot 2: 32 bits (a register result zero-extends), ot 3: 64 bits */
#define T_2 uint32_t
#define T_3 uint64_t

static inline void cc_set(CPUX86State *env, int op, uint64_t dst, uint64_t src)
{
    env->cc_op = op;
    env->cc_dst = dst;
    env->cc_src = src;
    env->cc_src2 = 0;
}

#define DEF_ALU(op, ot)                                                        \
    /* E <- E op G, E a register */                                            \
    static void alu_##op##_EG_r##ot(CPUX86State *env, const DecodedInsn *d)    \
    {                                                                          \
        T_##ot a = env->regs[d->rm], b = env->regs[d->reg];                    \
        T_##ot r = ALU_##op(a, b);                                             \
        if (WRITES_##op) {                                                     \
            env->regs[d->rm] = r;                                              \
        }                                                                      \
        cc_set(env, CCOP_##op + ot, r, CCSRC_##op(b));                         \
    }                                                                          \
    /* E <- E op G, E in memory */                                             \
    static void alu_##op##_EG_m##ot(CPUX86State *env, const DecodedInsn *d)    \
    {                                                                          \
        uint64_t ea = insn_ea(env, d);                                         \
        T_##ot a = mem_ld(env, d->seg, ea, ot), b = env->regs[d->reg];         \
        T_##ot r = ALU_##op(a, b);                                             \
        if (WRITES_##op) {                                                     \
            mem_st(env, d->seg, ea, ot, r);                                    \
        }                                                                      \
        cc_set(env, CCOP_##op + ot, r, CCSRC_##op(b));                         \
    }                                                                          \
    /* G <- G op E, E a register */                                            \
    static void alu_##op##_GE_r##ot(CPUX86State *env, const DecodedInsn *d)    \
    {                                                                          \
        T_##ot a = env->regs[d->reg], b = env->regs[d->rm];                    \
        T_##ot r = ALU_##op(a, b);                                             \
        if (WRITES_##op) {                                                     \
            env->regs[d->reg] = r;                                             \
        }                                                                      \
        cc_set(env, CCOP_##op + ot, r, CCSRC_##op(b));                         \
    }                                                                          \
    /* G <- G op E, E in memory */                                             \
    static void alu_##op##_GE_m##ot(CPUX86State *env, const DecodedInsn *d)    \
    {                                                                          \
        T_##ot b = mem_ld(env, d->seg, insn_ea(env, d), ot);                   \
        T_##ot a = env->regs[d->reg];                                          \
        T_##ot r = ALU_##op(a, b);                                             \
        if (WRITES_##op) {                                                     \
            env->regs[d->reg] = r;                                             \
        }                                                                      \
        cc_set(env, CCOP_##op + ot, r, CCSRC_##op(b));                         \
    }                                                                          \
    /* E <- E op imm, E a register */                                          \
    static void alu_##op##_EI_r##ot(CPUX86State *env, const DecodedInsn *d)    \
    {                                                                          \
        T_##ot a = env->regs[d->rm], b = d->imm;                               \
        T_##ot r = ALU_##op(a, b);                                             \
        if (WRITES_##op) {                                                     \
            env->regs[d->rm] = r;                                              \
        }                                                                      \
        cc_set(env, CCOP_##op + ot, r, CCSRC_##op(b));                         \
    }                                                                          \
    /* E <- E op imm, E in memory */                                           \
    static void alu_##op##_EI_m##ot(CPUX86State *env, const DecodedInsn *d)    \
    {                                                                          \
        uint64_t ea = insn_ea(env, d);                                         \
        T_##ot a = mem_ld(env, d->seg, ea, ot), b = d->imm;                    \
        T_##ot r = ALU_##op(a, b);                                             \
        if (WRITES_##op) {                                                     \
            mem_st(env, d->seg, ea, ot, r);                                    \
        }                                                                      \
        cc_set(env, CCOP_##op + ot, r, CCSRC_##op(b));                         \
    }

#define DEF_ALU_OP(op) DEF_ALU(op, 2) DEF_ALU(op, 3)
DEF_ALU_OP(add)
DEF_ALU_OP(or)
DEF_ALU_OP(and)
DEF_ALU_OP(sub)
DEF_ALU_OP(xor)
DEF_ALU_OP(cmp)

#define DEF_MOVTEST(ot)                                                        \
    static void mov_EG_r##ot(CPUX86State *env, const DecodedInsn *d)           \
    {                                                                          \
        env->regs[d->rm] = (T_##ot)env->regs[d->reg];                          \
    }                                                                          \
    static void mov_EG_m##ot(CPUX86State *env, const DecodedInsn *d)           \
    {                                                                          \
        mem_st(env, d->seg, insn_ea(env, d), ot, (T_##ot)env->regs[d->reg]);   \
    }                                                                          \
    static void mov_GE_r##ot(CPUX86State *env, const DecodedInsn *d)           \
    {                                                                          \
        env->regs[d->reg] = (T_##ot)env->regs[d->rm];                          \
    }                                                                          \
    static void mov_GE_m##ot(CPUX86State *env, const DecodedInsn *d)           \
    {                                                                          \
        env->regs[d->reg] = (T_##ot)mem_ld(env, d->seg, insn_ea(env, d), ot);  \
    }                                                                          \
    static void test_EG_r##ot(CPUX86State *env, const DecodedInsn *d)          \
    {                                                                          \
        T_##ot r = (T_##ot)env->regs[d->rm] & (T_##ot)env->regs[d->reg];       \
        cc_set(env, CC_OP_LOGICB + ot, r, 0);                                  \
    }                                                                          \
    static void test_EG_m##ot(CPUX86State *env, const DecodedInsn *d)          \
    {                                                                          \
        T_##ot r = (T_##ot)mem_ld(env, d->seg, insn_ea(env, d), ot) &          \
                   (T_##ot)env->regs[d->reg];                                  \
        cc_set(env, CC_OP_LOGICB + ot, r, 0);                                  \
    }
DEF_MOVTEST(2)
DEF_MOVTEST(3)

typedef struct AluForms {
    InsnHandler eg_r, eg_m, ge_r, ge_m, ei_r, ei_m;
} AluForms;

#define ALU_FORMS(op, ot) { alu_##op##_EG_r##ot, alu_##op##_EG_m##ot, alu_##op##_GE_r##ot, \
                            alu_##op##_GE_m##ot, alu_##op##_EI_r##ot, alu_##op##_EI_m##ot }
#define ALU_ROW(op) { ALU_FORMS(op, 2), ALU_FORMS(op, 3) }
/* indexed by the ALU op (DecodedInsn.aux) and ot - 2; ADC and SBB stay generic */
static const AluForms alu_forms[8][2] = {
    [0] = ALU_ROW(add), [1] = ALU_ROW(or), [4] = ALU_ROW(and),
    [5] = ALU_ROW(sub), [6] = ALU_ROW(xor), [7] = ALU_ROW(cmp),
};

bool x86_specialize(DecodedInsn *d)
{
    /* locked forms run under exec_atomic with rmw_ld/rmw_st: generic */
    if (d->ot < 2 || (d->flags & DF_ATOMIC)) {
        return false;
    }
    bool reg = d->mod == 3;
    int w = d->ot - 2;
    InsnHandler h = NULL;
    if (d->handler == op_alu_EG || d->handler == op_alu_GE || d->handler == op_alu_EI) {
        const AluForms *f = d->aux < 8 ? &alu_forms[d->aux][w] : NULL;
        if (!f || !f->eg_r) {
            return false;
        }
        if (d->handler == op_alu_EG) {
            h = reg ? f->eg_r : f->eg_m;
        } else if (d->handler == op_alu_GE) {
            h = reg ? f->ge_r : f->ge_m;
        } else {
            h = reg ? f->ei_r : f->ei_m;
        }
    } else if (d->handler == op_mov_EG) {
        h = w ? (reg ? mov_EG_r3 : mov_EG_m3) : (reg ? mov_EG_r2 : mov_EG_m2);
    } else if (d->handler == op_mov_GE) {
        h = w ? (reg ? mov_GE_r3 : mov_GE_m3) : (reg ? mov_GE_r2 : mov_GE_m2);
    } else if (d->handler == op_test_EG) {
        h = w ? (reg ? test_EG_r3 : test_EG_m3) : (reg ? test_EG_r2 : test_EG_m2);
    }
    if (!h) {
        return false;
    }
    d->handler = h;
    return true;
}

bool x86_fast_form(const DecodedInsn *d, X86FastForm *f)
{
    InsnHandler h = d->handler;
    for (int op = 0; op < 8; op++) {
        for (int w = 0; w < 2; w++) {
            const AluForms *a = &alu_forms[op][w];
            const InsnHandler hs[6] = { a->eg_r, a->eg_m, a->ge_r, a->ge_m, a->ei_r, a->ei_m };
            for (int i = 0; i < 6; i++) {
                if (hs[i] && hs[i] == h) {
                    *f = (X86FastForm){ .kind = X86_FAST_ALU, .alu = op, .form = i >> 1,
                                        .mem = i & 1, .ot = w + 2 };
                    return true;
                }
            }
        }
    }
    static const struct { InsnHandler h; uint8_t kind, form, mem, ot; } other[] = {
        { mov_EG_r2, X86_FAST_MOV, X86_FAST_EG, 0, 2 }, { mov_EG_m2, X86_FAST_MOV, X86_FAST_EG, 1, 2 },
        { mov_GE_r2, X86_FAST_MOV, X86_FAST_GE, 0, 2 }, { mov_GE_m2, X86_FAST_MOV, X86_FAST_GE, 1, 2 },
        { mov_EG_r3, X86_FAST_MOV, X86_FAST_EG, 0, 3 }, { mov_EG_m3, X86_FAST_MOV, X86_FAST_EG, 1, 3 },
        { mov_GE_r3, X86_FAST_MOV, X86_FAST_GE, 0, 3 }, { mov_GE_m3, X86_FAST_MOV, X86_FAST_GE, 1, 3 },
        { test_EG_r2, X86_FAST_TEST, X86_FAST_EG, 0, 2 }, { test_EG_m2, X86_FAST_TEST, X86_FAST_EG, 1, 2 },
        { test_EG_r3, X86_FAST_TEST, X86_FAST_EG, 0, 3 }, { test_EG_m3, X86_FAST_TEST, X86_FAST_EG, 1, 3 },
    };
    for (unsigned i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
        if (other[i].h == h) {
            *f = (X86FastForm){ .kind = other[i].kind, .form = other[i].form,
                                .mem = other[i].mem, .ot = other[i].ot };
            return true;
        }
    }
    return false;
}
