/*
 * Lazy flag evaluation (see flags.h for what each CCOp records).
 */
#include "target/x86/flags.h"

/* PF is set when the low byte has an even number of one bits. */
const uint8_t cc_parity_table[256] = {
#define P2(n) n, n ^ CC_P, n ^ CC_P, n
#define P4(n) P2(n), P2(n ^ CC_P), P2(n ^ CC_P), P2(n)
#define P6(n) P4(n), P4(n ^ CC_P), P4(n ^ CC_P), P4(n)
    P6(CC_P), P6(0), P6(0), P6(CC_P)
#undef P2
#undef P4
#undef P6
};

static inline uint32_t szp(uint64_t r, uint64_t sign)
{
    uint32_t f = cc_parity_table[r & 0xff];
    if (r == 0) {
        f |= CC_Z;
    }
    if (r & sign) {
        f |= CC_S;
    }
    return f;
}

static uint32_t compute_all_sized(const CPUX86State *env, int fam, int sz)
{
    unsigned bits = 8u << sz;
    uint64_t mask = bits == 64 ? ~0ull : (1ull << bits) - 1;
    uint64_t sign = 1ull << (bits - 1);
    uint64_t r = env->cc_dst & mask, b = env->cc_src & mask, a;
    uint64_t cin = env->cc_src2 & 1;
    uint32_t f = szp(r, sign);

    switch (fam) {
    case CC_OP_ADDB: case CC_OP_ADCB:
        if (fam == CC_OP_ADDB) {
            cin = 0;
        }
        a = (r - b - cin) & mask;
        if (cin ? r <= a : r < a) {
            f |= CC_C;
        }
        f |= (a ^ b ^ r) & CC_A;
        if ((~(a ^ b) & (a ^ r)) & sign) {
            f |= CC_O;
        }
        return f;
    case CC_OP_SUBB: case CC_OP_SBBB:
        if (fam == CC_OP_SUBB) {
            cin = 0;
        }
        a = (r + b + cin) & mask;
        if (cin ? a <= b : a < b) {
            f |= CC_C;
        }
        f |= (a ^ b ^ r) & CC_A;
        if (((a ^ b) & (a ^ r)) & sign) {
            f |= CC_O;
        }
        return f;
    case CC_OP_LOGICB:
        return f;
    case CC_OP_INCB:
        a = (r - 1) & mask;
        f |= (env->cc_src & 1) ? CC_C : 0;
        f |= (a ^ 1 ^ r) & CC_A;
        if (r == sign) {
            f |= CC_O;
        }
        return f;
    case CC_OP_DECB:
        a = (r + 1) & mask;
        f |= (env->cc_src & 1) ? CC_C : 0;
        f |= (a ^ 1 ^ r) & CC_A;
        if (r == sign - 1) {
            f |= CC_O;
        }
        return f;
    case CC_OP_SHLB:
        if (b & sign) {
            f |= CC_C;
        }
        if ((b ^ r) & sign) {
            f |= CC_O;
        }
        return f;
    case CC_OP_SARB:
        f |= b & 1 ? CC_C : 0;
        if ((b ^ r) & sign) {
            f |= CC_O;
        }
        return f;
    case CC_OP_MULB:
        if (env->cc_src) {
            f |= CC_C | CC_O;
        }
        return f;
    }
    return 0;
}

uint32_t cc_compute_all(const CPUX86State *env)
{
    int op = env->cc_op;
    if (op == CC_OP_EFLAGS || op <= 0 || op >= CC_OP_NB) {
        return env->eflags & CC_MASK;
    }
    /* families are laid out B, W, L, Q in cpu.h */
    int sz = (op - 1) & 3;
    int fam = op - sz;
    return compute_all_sized(env, fam, sz);
}

uint32_t cc_compute_c(const CPUX86State *env)
{
    int op = env->cc_op;
    switch (op) {
    case CC_OP_LOGICB: case CC_OP_LOGICW: case CC_OP_LOGICL: case CC_OP_LOGICQ:
        return 0;
    case CC_OP_INCB: case CC_OP_INCW: case CC_OP_INCL: case CC_OP_INCQ:
    case CC_OP_DECB: case CC_OP_DECW: case CC_OP_DECL: case CC_OP_DECQ:
        return env->cc_src & 1;
    case CC_OP_SUBB: return (uint8_t)(env->cc_dst + env->cc_src) < (uint8_t)env->cc_src;
    case CC_OP_SUBW: return (uint16_t)(env->cc_dst + env->cc_src) < (uint16_t)env->cc_src;
    case CC_OP_SUBL: return (uint32_t)(env->cc_dst + env->cc_src) < (uint32_t)env->cc_src;
    case CC_OP_ADDL: return (uint32_t)env->cc_dst < (uint32_t)env->cc_src;
    default:
        return cc_compute_all(env) & CC_C;
    }
}

/* condition (cond >> 1) after a 32/64-bit SUB/CMP: a - b = res */
#define SUB_COND(T, ST)                                                       \
    do {                                                                      \
        T res = env->cc_dst, b = env->cc_src, a = res + b;                    \
        switch (cond >> 1) {                                                  \
        case 0: r = (ST)((a ^ b) & (a ^ res)) < 0; goto out;   /* O */        \
        case 1: r = a < b; goto out;                           /* B */        \
        case 2: r = res == 0; goto out;                        /* Z */        \
        case 3: r = a <= b; goto out;                          /* BE */       \
        case 4: r = (ST)res < 0; goto out;                     /* S */        \
        case 6: r = (ST)a < (ST)b; goto out;                   /* L */        \
        case 7: r = (ST)a <= (ST)b; goto out;                  /* LE */       \
        default: break;                                        /* P */        \
        }                                                                     \
    } while (0)

/* after a logic op (and TEST): OF = CF = 0 */
#define LOGIC_COND(T, ST)                                                     \
    do {                                                                      \
        T res = env->cc_dst;                                                  \
        switch (cond >> 1) {                                                  \
        case 0: case 1: r = false; goto out;                   /* O, B */     \
        case 2: case 3: r = res == 0; goto out;                /* Z, BE */    \
        case 4: case 6: r = (ST)res < 0; goto out;             /* S, L */     \
        case 7: r = res == 0 || (ST)res < 0; goto out;         /* LE */       \
        default: break;                                        /* P */        \
        }                                                                     \
    } while (0)

bool cc_test(const CPUX86State *env, int cond)
{
    bool r;
    /* fast paths for the most common producers: CMP/SUB and TEST/AND/
     * OR/XOR of dwords and qwords; parity and the rest compute all flags */
    switch (env->cc_op) {
    case CC_OP_SUBL: SUB_COND(uint32_t, int32_t); break;
    case CC_OP_SUBQ: SUB_COND(uint64_t, int64_t); break;
    case CC_OP_LOGICL: LOGIC_COND(uint32_t, int32_t); break;
    case CC_OP_LOGICQ: LOGIC_COND(uint64_t, int64_t); break;
    default:
        if (env->cc_op > CC_OP_EFLAGS && env->cc_op < CC_OP_NB &&
            ((cond >> 1) == 2 || (cond >> 1) == 4)) {
            /* every lazy op derives ZF and SF from its sized result */
            unsigned bits = 8u << ((env->cc_op - 1) & 3);
            uint64_t m = bits == 64 ? ~0ull : (1ull << bits) - 1;
            if ((cond >> 1) == 2) {
                r = (env->cc_dst & m) == 0;
            } else {
                r = (env->cc_dst >> (bits - 1)) & 1;
            }
            goto out;
        }
        break;
    }
    {
        uint32_t f = cc_compute_all(env);
        switch (cond >> 1) {
        case 0: r = f & CC_O; break;
        case 1: r = f & CC_C; break;
        case 2: r = f & CC_Z; break;
        case 3: r = f & (CC_C | CC_Z); break;
        case 4: r = f & CC_S; break;
        case 5: r = f & CC_P; break;
        case 6: r = !(f & CC_S) != !(f & CC_O); break;
        default: r = (f & CC_Z) || (!(f & CC_S) != !(f & CC_O)); break;
        }
    }
out:
    return (cond & 1) ? !r : r;
}

void cc_materialize(CPUX86State *env)
{
    if (env->cc_op != CC_OP_EFLAGS) {
        env->eflags = (env->eflags & ~CC_MASK) | cc_compute_all(env);
        env->cc_op = CC_OP_EFLAGS;
    }
}

uint32_t cpu_compute_eflags(CPUX86State *env)
{
    uint32_t f = env->eflags;
    if (env->cc_op != CC_OP_EFLAGS) {
        f = (f & ~CC_MASK) | cc_compute_all(env);
    }
    return f | 2;
}

void cpu_load_eflags(CPUX86State *env, uint32_t eflags, uint32_t update_mask)
{
    /* flags live in eflags from here on, so bits outside update_mask
     * (arithmetic ones included) keep their current values */
    cc_materialize(env);
    env->eflags = ((env->eflags & ~update_mask) | (eflags & update_mask)) | 2;
    env->eflags &= ~(1u << 3 | 1u << 5 | 1u << 15) & 0x003fffff;
}
