/*
 * Integer arithmetic, logic, shifts/rotates, multiply/divide, bit
 * operations, BCD adjust and flag instructions.
 *
 * Every handler computes its result and flag record into locals, performs
 * the (possibly faulting) store, and only then commits flags and registers,
 * so a fault leaves the architectural state of the instruction untouched.
 */
#include <sys/random.h>

#include "accel/tcg/lockstep.h"
#include "target/x86/ops.h"

typedef struct CCRec {
    int op;
    uint64_t dst, src, src2;
} CCRec;

static inline void cc_commit(CPUX86State *env, const CCRec *c)
{
    env->cc_op = c->op;
    env->cc_dst = c->dst;
    env->cc_src = c->src;
    env->cc_src2 = c->src2;
}

/* op: 0 ADD 1 OR 2 ADC 3 SBB 4 AND 5 SUB 6 XOR 7 CMP */
static inline uint64_t alu_compute(CPUX86State *env, int op, int ot, uint64_t a, uint64_t b,
                                   CCRec *c)
{
    uint64_t m = ot_mask[ot], r, cin;
    a &= m;
    b &= m;
    c->src2 = 0;
    switch (op) {
    case 0: r = (a + b) & m; c->op = CC_OP_ADDB + ot; c->src = b; break;
    case 2:
        cin = cc_compute_c(env) ? 1 : 0;
        r = (a + b + cin) & m; c->op = CC_OP_ADCB + ot; c->src = b; c->src2 = cin; break;
    case 3:
        cin = cc_compute_c(env) ? 1 : 0;
        r = (a - b - cin) & m; c->op = CC_OP_SBBB + ot; c->src = b; c->src2 = cin; break;
    case 5: case 7: r = (a - b) & m; c->op = CC_OP_SUBB + ot; c->src = b; break;
    case 1: r = a | b; c->op = CC_OP_LOGICB + ot; c->src = 0; break;
    case 4: r = a & b; c->op = CC_OP_LOGICB + ot; c->src = 0; break;
    default: r = a ^ b; c->op = CC_OP_LOGICB + ot; c->src = 0; break;
    }
    c->dst = r;
    return r;
}

void op_alu_EG(CPUX86State *env, const DecodedInsn *d)
{
    uint64_t ea = 0, a, r;
    CCRec c;
    a = rmw_load(env, d, d->ot, &ea);
    r = alu_compute(env, d->aux, d->ot, a, reg_get(env, d->ot, d->reg), &c);
    if (d->aux != 7) {
        rmw_store(env, d, d->ot, ea, r);
    }
    cc_commit(env, &c);
}

void op_alu_GE(CPUX86State *env, const DecodedInsn *d)
{
    uint64_t ea = 0, b, r;
    CCRec c;
    b = rm_load(env, d, d->ot, &ea);
    r = alu_compute(env, d->aux, d->ot, reg_get(env, d->ot, d->reg), b, &c);
    if (d->aux != 7) {
        reg_set(env, d->ot, d->reg, r);
    }
    cc_commit(env, &c);
}

void op_alu_AI(CPUX86State *env, const DecodedInsn *d)
{
    CCRec c;
    uint64_t r = alu_compute(env, d->aux, d->ot, reg_get(env, d->ot, R_EAX), d->imm, &c);
    if (d->aux != 7) {
        reg_set(env, d->ot, R_EAX, r);
    }
    cc_commit(env, &c);
}

void op_alu_EI(CPUX86State *env, const DecodedInsn *d)
{
    uint64_t ea = 0, a, r;
    CCRec c;
    a = rmw_load(env, d, d->ot, &ea);
    r = alu_compute(env, d->aux, d->ot, a, d->imm, &c);
    if (d->aux != 7) {
        rmw_store(env, d, d->ot, ea, r);
    }
    cc_commit(env, &c);
}

void op_test_EG(CPUX86State *env, const DecodedInsn *d)
{
    uint64_t ea = 0, a = rm_load(env, d, d->ot, &ea);
    set_cc(env, CC_OP_LOGICB + d->ot, a & reg_get(env, d->ot, d->reg), 0);
}

void op_test_AI(CPUX86State *env, const DecodedInsn *d)
{
    set_cc(env, CC_OP_LOGICB + d->ot, reg_get(env, d->ot, R_EAX) & d->imm & ot_mask[d->ot], 0);
}

static inline void incdec(CPUX86State *env, int ot, int is_dec, uint64_t a, uint64_t *r, CCRec *c)
{
    c->src = cc_compute_c(env) ? 1 : 0;
    *r = (is_dec ? a - 1 : a + 1) & ot_mask[ot];
    c->op = (is_dec ? CC_OP_DECB : CC_OP_INCB) + ot;
    c->dst = *r;
    c->src2 = 0;
}

void op_inc_r(CPUX86State *env, const DecodedInsn *d)
{
    uint64_t r;
    CCRec c;
    incdec(env, d->ot, 0, reg_get(env, d->ot, d->rm), &r, &c);
    reg_set(env, d->ot, d->rm, r);
    cc_commit(env, &c);
}

void op_dec_r(CPUX86State *env, const DecodedInsn *d)
{
    uint64_t r;
    CCRec c;
    incdec(env, d->ot, 1, reg_get(env, d->ot, d->rm), &r, &c);
    reg_set(env, d->ot, d->rm, r);
    cc_commit(env, &c);
}

/* FE /0 /1, FF /0 /1 */
void op_grp_incdec(CPUX86State *env, const DecodedInsn *d)
{
    uint64_t ea = 0, a, r;
    CCRec c;
    a = rmw_load(env, d, d->ot, &ea);
    incdec(env, d->ot, d->aux & 1, a, &r, &c);
    rmw_store(env, d, d->ot, ea, r);
    cc_commit(env, &c);
}

static void do_mul(CPUX86State *env, int ot, uint64_t b, bool is_signed)
{
    uint64_t r;
    bool ovf;
    switch (ot) {
    case 0:
        if (is_signed) {
            int16_t p = (int16_t)(int8_t)env->regs[R_EAX] * (int8_t)b;
            r = (uint16_t)p;
            ovf = p != (int8_t)p;
        } else {
            r = (uint16_t)((uint8_t)env->regs[R_EAX] * (uint8_t)b);
            ovf = (r >> 8) != 0;
        }
        reg_set(env, 1, R_EAX, r);
        set_cc(env, CC_OP_MULB, r & 0xff, ovf);
        break;
    case 1:
        if (is_signed) {
            int32_t p = (int32_t)(int16_t)env->regs[R_EAX] * (int16_t)b;
            r = (uint32_t)p;
            ovf = p != (int16_t)p;
        } else {
            r = (uint32_t)(uint16_t)env->regs[R_EAX] * (uint16_t)b;
            ovf = (r >> 16) != 0;
        }
        reg_set(env, 1, R_EAX, r);
        reg_set(env, 1, R_EDX, r >> 16);
        set_cc(env, CC_OP_MULW, r & 0xffff, ovf);
        break;
    case 2:
        if (is_signed) {
            int64_t p = (int64_t)(int32_t)env->regs[R_EAX] * (int32_t)b;
            r = (uint64_t)p;
            ovf = p != (int32_t)p;
        } else {
            r = (uint64_t)(uint32_t)env->regs[R_EAX] * (uint32_t)b;
            ovf = (r >> 32) != 0;
        }
        env->regs[R_EAX] = (uint32_t)r;
        env->regs[R_EDX] = (uint32_t)(r >> 32);
        set_cc(env, CC_OP_MULL, (uint32_t)r, ovf);
        break;
    default: {
        unsigned __int128 p;
        if (is_signed) {
            __int128 sp = (__int128)(int64_t)env->regs[R_EAX] * (int64_t)b;
            p = (unsigned __int128)sp;
            ovf = sp != (int64_t)sp;
        } else {
            p = (unsigned __int128)env->regs[R_EAX] * b;
            ovf = (p >> 64) != 0;
        }
        env->regs[R_EAX] = (uint64_t)p;
        env->regs[R_EDX] = (uint64_t)(p >> 64);
        set_cc(env, CC_OP_MULQ, (uint64_t)p, ovf);
        break;
    }
    }
}

static void do_div64(CPUX86State *env, uint64_t b, bool is_signed)
{
    unsigned __int128 n = ((unsigned __int128)env->regs[R_EDX] << 64) | env->regs[R_EAX];
    uint64_t q, rem;
    if (b == 0) {
        raise_exception(env, EXCP_DE);
    }
    if (!is_signed) {
        unsigned __int128 q128 = n / b;
        if (q128 >> 64) {
            raise_exception(env, EXCP_DE);
        }
        q = (uint64_t)q128;
        rem = (uint64_t)(n % b);
    } else {
        __int128 sn = (__int128)n, sb = (int64_t)b;
        if (sb == -1) {
            /* avoid the host's INT128_MIN / -1 trap: the range check below
             * catches every overflowing case of -sn */
            if (n == (unsigned __int128)1 << 127) {
                raise_exception(env, EXCP_DE);
            }
        }
        __int128 sq = sn / sb, sr = sn % sb;
        if (sq > INT64_MAX || sq < INT64_MIN) {
            raise_exception(env, EXCP_DE);
        }
        q = (uint64_t)(int64_t)sq;
        rem = (uint64_t)(int64_t)sr;
    }
    env->regs[R_EAX] = q;
    env->regs[R_EDX] = rem;
}

static void do_div(CPUX86State *env, int ot, uint64_t b, bool is_signed)
{
    if (ot == 3) {
        do_div64(env, b, is_signed);
        return;
    }
    unsigned bits = 8u << ot;
    uint64_t m = ot_mask[ot];
    uint64_t n;
    if (ot == 0) {
        n = (uint16_t)env->regs[R_EAX];
    } else if (ot == 1) {
        n = ((uint32_t)(uint16_t)env->regs[R_EDX] << 16) | (uint16_t)env->regs[R_EAX];
    } else {
        n = ((uint64_t)(uint32_t)env->regs[R_EDX] << 32) | (uint32_t)env->regs[R_EAX];
    }
    b &= m;
    if (b == 0) {
        raise_exception(env, EXCP_DE);
    }
    uint64_t q, rem;
    if (!is_signed) {
        q = n / b;
        rem = n % b;
        if (q > m) {
            raise_exception(env, EXCP_DE);
        }
    } else {
        /* sign-extend the 2*bits dividend and bits divisor to 64 bits */
        int64_t sn = bits == 32 ? (int64_t)n : (int64_t)(n << (64 - 2 * bits)) >> (64 - 2 * bits);
        int64_t sb = (int64_t)((uint64_t)b << (64 - bits)) >> (64 - bits);
        int64_t sq, sr;
        if (sb == -1) {
            /* avoid the host's INT64_MIN / -1 trap; the quotient range check
             * below raises #DE for the overflowing case anyway */
            if (sn == INT64_MIN) {
                raise_exception(env, EXCP_DE);
            }
            sq = -sn;
            sr = 0;
        } else {
            sq = sn / sb;
            sr = sn % sb;
        }
        int64_t lim = 1ll << (bits - 1);
        if (sq >= lim || sq < -lim) {
            raise_exception(env, EXCP_DE);
        }
        q = (uint64_t)sq & m;
        rem = (uint64_t)sr & m;
    }
    if (ot == 0) {
        reg_set(env, 1, R_EAX, (uint32_t)(q | (rem << 8)));
    } else {
        reg_set(env, ot, R_EAX, q);
        reg_set(env, ot, R_EDX, rem);
    }
}

/* F6/F7: TEST, NOT, NEG, MUL, IMUL, DIV, IDIV */
void op_grp3(CPUX86State *env, const DecodedInsn *d)
{
    uint64_t ea = 0, a = rmw_load(env, d, d->ot, &ea);
    uint64_t m = ot_mask[d->ot];
    switch (d->aux) {
    case 0: case 1:
        set_cc(env, CC_OP_LOGICB + d->ot, a & d->imm & m, 0);
        break;
    case 2:
        rmw_store(env, d, d->ot, ea, ~a & m);
        break;
    case 3: {
        uint64_t r = (0 - a) & m;
        rmw_store(env, d, d->ot, ea, r);
        env->cc_src2 = 0;
        set_cc(env, CC_OP_SUBB + d->ot, r, a);
        break;
    }
    case 4: do_mul(env, d->ot, a, false); break;
    case 5: do_mul(env, d->ot, a, true); break;
    case 6: do_div(env, d->ot, a, false); break;
    default: do_div(env, d->ot, a, true); break;
    }
}

static inline void imul2(CPUX86State *env, int ot, int reg, uint64_t a, uint64_t b)
{
    int64_t p;
    uint64_t r;
    bool ovf;
    if (ot == 3) {
        __int128 wide = (__int128)(int64_t)a * (int64_t)b;
        r = (uint64_t)wide;
        ovf = wide != (int64_t)wide;
        reg_set(env, ot, reg, r);
        set_cc(env, CC_OP_MULQ, r, ovf);
        return;
    } else if (ot == 1) {
        p = (int64_t)(int16_t)a * (int16_t)b;
        r = (uint16_t)p;
        ovf = p != (int16_t)p;
    } else {
        p = (int64_t)(int32_t)a * (int32_t)b;
        r = (uint32_t)p;
        ovf = p != (int32_t)p;
    }
    reg_set(env, ot, reg, r);
    set_cc(env, CC_OP_MULB + ot, r, ovf);
}

void op_imul_GE(CPUX86State *env, const DecodedInsn *d)
{
    uint64_t ea = 0, b = rm_load(env, d, d->ot, &ea);
    imul2(env, d->ot, d->reg, reg_get(env, d->ot, d->reg), b);
}

void op_imul_GEI(CPUX86State *env, const DecodedInsn *d)
{
    uint64_t ea = 0, b = rm_load(env, d, d->ot, &ea);
    imul2(env, d->ot, d->reg, b, d->imm);
}

/* ---- shifts and rotates (C0/C1/D0-D3) ---- */

static inline uint64_t set_flag(uint32_t f, uint64_t bit, bool v)
{
    return v ? (f | bit) : (f & ~bit);
}

/* Returns the new value; updates flags in env (lazy or eflags). */
static uint64_t shift_compute(CPUX86State *env, int op, int ot, uint64_t a, unsigned cnt,
                              CCRec *c, bool *flags_eager, uint64_t *eflags_out)
{
    unsigned bits = 8u << ot;
    uint64_t m = ot_mask[ot], sign = ot_sign[ot];
    uint64_t r;
    a &= m;
    *flags_eager = false;
    c->src2 = 0;
    switch (op) {
    case 0: case 1: { /* ROL, ROR */
        unsigned t = cnt % bits;
        if (op == 0) {
            r = t ? ((a << t) | (a >> (bits - t))) & m : a;
        } else {
            r = t ? ((a >> t) | (a << (bits - t))) & m : a;
        }
        uint64_t f = cc_compute_all(env) | (env->eflags & ~CC_MASK);
        if (op == 0) {
            f = set_flag(f, CC_C, r & 1);
            f = set_flag(f, CC_O, !!(r & sign) ^ (r & 1));
        } else {
            f = set_flag(f, CC_C, r & sign);
            f = set_flag(f, CC_O, !!(r & sign) ^ !!(r & (sign >> 1)));
        }
        *flags_eager = true;
        *eflags_out = f;
        return r;
    }
    case 2: case 3: { /* RCL, RCR through CF */
        unsigned t = ot >= 2 ? cnt : cnt % (bits + 1);
        uint64_t f = cc_compute_all(env) | (env->eflags & ~CC_MASK);
        uint64_t cf = (f & CC_C) ? 1 : 0;
        *flags_eager = true;
        if (op == 3) {
            /* RCR: OF from the operand before rotation (SDM) */
            f = set_flag(f, CC_O, !!(a & sign) ^ cf);
        }
        if (t == 0) {
            *eflags_out = f;
            return a;
        }
        /* (bits+1)-wide rotation of CF:value */
        unsigned __int128 v = ((unsigned __int128)cf << bits) | a;
        unsigned w = bits + 1;
        unsigned __int128 wm = ((unsigned __int128)1 << w) - 1;
        if (op == 2) {
            v = ((v << t) | (v >> (w - t))) & wm;
        } else {
            v = ((v >> t) | (v << (w - t))) & wm;
        }
        r = v & m;
        cf = (v >> bits) & 1;
        f = set_flag(f, CC_C, cf);
        if (op == 2) {
            f = set_flag(f, CC_O, !!(r & sign) ^ cf);
        }
        *eflags_out = f;
        return r;
    }
    case 4: case 6: { /* SHL/SAL */
        uint64_t s = (uint64_t)a << (cnt - 1);
        r = (s << 1) & m;
        c->op = CC_OP_SHLB + ot; c->dst = r; c->src = s & m;
        return r;
    }
    case 5: { /* SHR */
        uint64_t s = a >> (cnt - 1);
        r = s >> 1;
        c->op = CC_OP_SARB + ot; c->dst = r; c->src = s;
        return r;
    }
    default: { /* SAR */
        int64_t sa = (int64_t)(a << (64 - bits)) >> (64 - bits);
        int64_t s = sa >> (cnt - 1);
        r = (uint64_t)(s >> 1) & m;
        c->op = CC_OP_SARB + ot; c->dst = r; c->src = (uint64_t)s & m;
        return r;
    }
    }
}

void op_shift(CPUX86State *env, const DecodedInsn *d)
{
    unsigned cnt;
    uint64_t ea = 0, a, r, ef = 0;
    bool eager;
    CCRec c;
    switch (d->op) {
    case 0xd0: case 0xd1: cnt = 1; break;
    case 0xd2: case 0xd3: cnt = env->regs[R_ECX] & (d->ot == 3 ? 0x3f : 0x1f); break;
    default: cnt = d->imm & (d->ot == 3 ? 0x3f : 0x1f); break;
    }
    a = rm_load(env, d, d->ot, &ea);
    if (cnt == 0) {
        return;     /* count 0: no flags, no change (SDM) */
    }
    r = shift_compute(env, d->aux, d->ot, a, cnt, &c, &eager, &ef);
    rm_store(env, d, d->ot, ea, r);
    if (eager) {
        env->eflags = (env->eflags & ~CC_MASK) | (ef & CC_MASK);
        env->cc_op = CC_OP_EFLAGS;
    } else {
        cc_commit(env, &c);
    }
}

static void shxd(CPUX86State *env, const DecodedInsn *d, bool right)
{
    unsigned cnt = ((d->op & 1) ? env->regs[R_ECX] : d->imm) & (d->ot == 3 ? 0x3f : 0x1f);
    uint64_t ea = 0, a = rm_load(env, d, d->ot, &ea), b = reg_get(env, d->ot, d->reg), r, s;
    unsigned bits = 8u << d->ot;
    if (cnt == 0) {
        return;
    }
    if (d->ot == 3) {
        if (!right) {
            r = (a << cnt) | (b >> (64 - cnt));
            s = (a << (cnt - 1)) | (cnt > 1 ? b >> (65 - cnt) : 0);
        } else {
            r = (a >> cnt) | (b << (64 - cnt));
            s = (a >> (cnt - 1)) | (cnt > 1 ? b << (65 - cnt) : 0);
        }
    } else if (!right) {
        /* dest:src (and src again, for 16-bit counts beyond 16) shifted left */
        uint64_t v = d->ot == 2 ? ((uint64_t)a << 32 | b)
                                : ((uint64_t)a << 48 | (uint64_t)b << 32 | (uint64_t)a << 16);
        r = (uint32_t)((v << cnt) >> (64 - bits));
        s = (uint32_t)((v << (cnt - 1)) >> (64 - bits));
    } else {
        uint64_t v = d->ot == 2 ? ((uint64_t)b << 32 | a)
                                : ((uint64_t)a << 32 | (uint64_t)b << 16 | a);
        r = (uint32_t)(v >> cnt) & ot_mask[d->ot];
        s = (uint32_t)(v >> (cnt - 1)) & ot_mask[d->ot];
    }
    rm_store(env, d, d->ot, ea, r);
    env->cc_src2 = 0;
    set_cc(env, (right ? CC_OP_SARB : CC_OP_SHLB) + d->ot, r, s);
}

void op_shld(CPUX86State *env, const DecodedInsn *d) { shxd(env, d, false); }
void op_shrd(CPUX86State *env, const DecodedInsn *d) { shxd(env, d, true); }

/* ---- bit operations ---- */

/* 0F A3/AB/B3/BB (Ev,Gv) and 0F BA /4-7 (Ev,Ib); aux: 0 BT 1 BTS 2 BTR 3 BTC */
void op_bt(CPUX86State *env, const DecodedInsn *d)
{
    int ot = d->ot;
    unsigned bits = 8u << ot;
    int kind;
    int64_t off;
    uint64_t ea = 0, v, bit;
    if (d->op == 0x1ba) {
        kind = d->aux - 4;
        off = d->imm & (bits - 1);
    } else {
        kind = (d->op >> 3) & 3;
        off = (int64_t)reg_get(env, ot, d->reg);
        if (ot == 1) {
            off = (int16_t)off;
        } else if (ot == 2) {
            off = (int32_t)off;
        }
    }
    if (d->mod == 3) {
        ea = 0;
        v = reg_get(env, ot, d->rm);
    } else {
        ea = insn_ea(env, d);
        if (d->op != 0x1ba) {
            /* register bit offsets address memory beyond the operand */
            int64_t adj = (off >> (3 + ot)) * (int64_t)(bits / 8);
            ea = ad_trunc(d->adsize, ea + adj);
        }
        v = rmw_ld(env, d->seg, ea, ot);
    }
    bit = (uint32_t)off & (bits - 1);
    bool cf = (v >> bit) & 1;
    uint64_t nv = v;
    switch (kind) {
    case 1: nv = v | (1ull << bit); break;
    case 2: nv = v & ~(1ull << bit); break;
    case 3: nv = v ^ (1ull << bit); break;
    default: break;
    }
    if (kind) {
        if (d->mod == 3) {
            reg_set(env, ot, d->rm, nv);
        } else {
            rmw_st(env, d->seg, ea, ot, nv);
        }
    }
    cc_materialize(env);
    env->eflags = set_flag(env->eflags, CC_C, cf);
}

void op_bsf(CPUX86State *env, const DecodedInsn *d)
{
    uint64_t ea = 0, v = rm_load(env, d, d->ot, &ea) & ot_mask[d->ot];
    cc_materialize(env);
    if (v == 0) {
        env->eflags |= CC_Z;    /* destination left unchanged, as hardware does */
        return;
    }
    reg_set(env, d->ot, d->reg, __builtin_ctzll(v));
    env->eflags &= ~CC_Z;
}

void op_bsr(CPUX86State *env, const DecodedInsn *d)
{
    uint64_t ea = 0, v = rm_load(env, d, d->ot, &ea) & ot_mask[d->ot];
    cc_materialize(env);
    if (v == 0) {
        env->eflags |= CC_Z;
        return;
    }
    reg_set(env, d->ot, d->reg, 63 - __builtin_clzll(v));
    env->eflags &= ~CC_Z;
}

void op_bswap(CPUX86State *env, const DecodedInsn *d)
{
    int r = d->rm;
    if (d->ot == 3) {
        env->regs[r] = __builtin_bswap64(env->regs[r]);
    } else if (d->ot == 2) {
        env->regs[r] = __builtin_bswap32((uint32_t)env->regs[r]);
    } else {
        reg_set(env, 1, r, 0);  /* 16-bit BSWAP is undefined; hardware zeroes */
    }
}

void op_cmpxchg(CPUX86State *env, const DecodedInsn *d)
{
    uint64_t ea = 0, dst = rmw_load(env, d, d->ot, &ea);
    uint64_t acc = reg_get(env, d->ot, R_EAX);
    CCRec c;
    alu_compute(env, 7, d->ot, acc, dst, &c);
    if ((acc & ot_mask[d->ot]) == dst) {
        rmw_store(env, d, d->ot, ea, reg_get(env, d->ot, d->reg));
    } else {
        /* the destination is written back even on mismatch (locked RMW) */
        if (d->mod != 3) {
            rmw_st(env, d->seg, ea, d->ot, dst);
        }
        reg_set(env, d->ot, R_EAX, dst);
    }
    cc_commit(env, &c);
}

/* CMPXCHG16B m128 (REX.W): the operand must be 16-byte aligned (#GP) */
static void cmpxchg16b(CPUX86State *env, const DecodedInsn *d)
{
    uint64_t ea = insn_ea(env, d);
    if (ea & 15) {
        raise_exception_err(env, EXCP_GP, 0);
    }
    if (env->lock_armed) {
        uint64_t lo = env->regs[R_EAX], hi = env->regs[R_EDX];
        bool eq = cpu_atomic_cmpxchg16(env, d->seg, ea, &lo, &hi, env->regs[R_EBX],
                                       env->regs[R_ECX]);
        if (!eq) {
            env->regs[R_EAX] = lo;
            env->regs[R_EDX] = hi;
        }
        cc_materialize(env);
        env->eflags = set_flag(env->eflags, CC_Z, eq);
        return;
    }
    cpu_check_write(env, d->seg, ea, 16);
    uint64_t lo = cpu_ldq(env, d->seg, ea), hi = cpu_ldq(env, d->seg, ea + 8);
    bool eq = lo == env->regs[R_EAX] && hi == env->regs[R_EDX];
    if (eq) {
        cpu_stq(env, d->seg, ea, env->regs[R_EBX]);
        cpu_stq(env, d->seg, ea + 8, env->regs[R_ECX]);
    } else {
        cpu_stq(env, d->seg, ea, lo);
        cpu_stq(env, d->seg, ea + 8, hi);
        env->regs[R_EAX] = lo;
        env->regs[R_EDX] = hi;
    }
    cc_materialize(env);
    env->eflags = set_flag(env->eflags, CC_Z, eq);
}

void op_cmpxchg8b(CPUX86State *env, const DecodedInsn *d)
{
    if (d->rex & REX_W) {
        cmpxchg16b(env, d);
        return;
    }
    uint64_t ea = insn_ea(env, d);
    uint64_t v = rmw_ld(env, d->seg, ea, 3);
    uint64_t cmp = ((uint64_t)(uint32_t)env->regs[R_EDX] << 32) | (uint32_t)env->regs[R_EAX];
    bool eq = v == cmp;
    if (eq) {
        rmw_st(env, d->seg, ea, 3, ((uint64_t)(uint32_t)env->regs[R_ECX] << 32) |
                (uint32_t)env->regs[R_EBX]);
    } else {
        rmw_st(env, d->seg, ea, 3, v);
        env->regs[R_EAX] = (uint32_t)v;
        env->regs[R_EDX] = (uint32_t)(v >> 32);
    }
    cc_materialize(env);
    env->eflags = set_flag(env->eflags, CC_Z, eq);
}

/* F3 0F C7 /7 RDPID (SDM vol. 2, RDPID): IA32_TSC_AUX into a register,
 * 64 bits wide in 64-bit mode (the MSR's 32 bits, zero-extended) and 32
 * elsewhere, whatever the operand-size prefix; no flags. */
static void op_rdpid(CPUX86State *env, const DecodedInsn *d)
{
    if (!(env->cpuid_7_0_ecx & (1u << 22))) {
        raise_exception(env, EXCP_UD);
    }
    reg_set(env, (env->hflags & HF_CS64) ? 3 : 2, d->rm, (uint32_t)env->tsc_aux);
}

/* 0F C7 /6 RDRAND, /7 RDSEED (register forms, no F2/F3: SDM vol. 2,
 * RDRAND/RDSEED; F3 with /7 is RDPID).  The value comes from the host's
 * random source; a host that has none leaves the register zero with
 * CF=0, the architected "no random number available" the guest must
 * retry on.  CF=1 on success; OF, SF, ZF, AF, PF are cleared. */
void op_rdrand(CPUX86State *env, const DecodedInsn *d)
{
    bool seed = d->reg == 7;
    if (seed && d->mod == 3 && (d->prefixes & (PFX_REP | PFX_REPNE)) == PFX_REP) {
        op_rdpid(env, d);
        return;
    }
    uint32_t feat = seed ? (env->cpuid_7_0_ebx & (1u << 18)) : (env->cpuid_ext_features & (1u << 30));
    if (d->mod != 3 || (d->prefixes & (PFX_REP | PFX_REPNE)) || !feat) {
        raise_exception(env, EXCP_UD);
    }
    lockstep_check(env, "RDRAND/RDSEED");    /* a second run would read another value */
    uint64_t v = 0;
    bool ok = getrandom(&v, sizeof(v), GRND_NONBLOCK) == (ssize_t)sizeof(v);
    reg_set(env, d->ot, d->rm, ok ? v : 0);
    cc_materialize(env);
    env->eflags = (env->eflags & ~CC_MASK) | (ok ? CC_C : 0);
}

void op_xadd(CPUX86State *env, const DecodedInsn *d)
{
    uint64_t ea = 0, dst = rmw_load(env, d, d->ot, &ea), src = reg_get(env, d->ot, d->reg), r;
    CCRec c;
    r = alu_compute(env, 0, d->ot, dst, src, &c);
    if (d->mod == 3) {
        reg_set(env, d->ot, d->reg, dst);
        reg_set(env, d->ot, d->rm, r);
    } else {
        rmw_st(env, d->seg, ea, d->ot, r);
        reg_set(env, d->ot, d->reg, dst);
    }
    cc_commit(env, &c);
}

/* ---- BCD ---- */

static void szp_al(CPUX86State *env, uint64_t f, uint8_t al)
{
    f &= ~(CC_S | CC_Z | CC_P);
    f |= cc_parity_table[al] | (al == 0 ? CC_Z : 0) | (al & 0x80 ? CC_S : 0);
    env->eflags = (env->eflags & ~CC_MASK) | f;
    env->cc_op = CC_OP_EFLAGS;
}

void op_daa(CPUX86State *env, const DecodedInsn *d)
{
    uint64_t f = cc_compute_all(env);
    uint8_t al = env->regs[R_EAX], old_al = al;
    bool old_cf = f & CC_C, cf = false;
    if ((al & 0xf) > 9 || (f & CC_A)) {
        cf = old_cf || al > 0xf9;
        al += 6;
        f |= CC_A;
    } else {
        f &= ~CC_A;
    }
    if (old_al > 0x99 || old_cf) {
        al += 0x60;
        cf = true;
    } else {
        cf = false;
    }
    f = set_flag(f, CC_C, cf) & ~CC_O;
    reg_set(env, 0, R_EAX, al);
    szp_al(env, f, al);
}

void op_das(CPUX86State *env, const DecodedInsn *d)
{
    uint64_t f = cc_compute_all(env);
    uint8_t al = env->regs[R_EAX], old_al = al;
    bool old_cf = f & CC_C, cf = false;
    if ((al & 0xf) > 9 || (f & CC_A)) {
        cf = old_cf || al < 6;
        al -= 6;
        f |= CC_A;
    } else {
        f &= ~CC_A;
    }
    if (old_al > 0x99 || old_cf) {
        al -= 0x60;
        cf = true;
    }
    f = set_flag(f, CC_C, cf) & ~CC_O;
    reg_set(env, 0, R_EAX, al);
    szp_al(env, f, al);
}

static void aaa_aas(CPUX86State *env, bool sub)
{
    uint64_t f = cc_compute_all(env);
    uint16_t ax = env->regs[R_EAX];
    if ((ax & 0xf) > 9 || (f & CC_A)) {
        if (sub) {
            ax = (uint16_t)(ax - 6 - 0x100);   /* SDM: AX -= 6, then AH -= 1 */
        } else {
            ax += 0x106;
        }
        f |= CC_A | CC_C;
    } else {
        f &= ~(CC_A | CC_C);
    }
    ax &= 0xff0f;
    reg_set(env, 1, R_EAX, ax);
    env->eflags = (env->eflags & ~CC_MASK) | f;
    env->cc_op = CC_OP_EFLAGS;
}

void op_aaa(CPUX86State *env, const DecodedInsn *d) { aaa_aas(env, false); }
void op_aas(CPUX86State *env, const DecodedInsn *d) { aaa_aas(env, true); }

void op_aam(CPUX86State *env, const DecodedInsn *d)
{
    uint8_t base = d->imm, al = env->regs[R_EAX];
    if (base == 0) {
        raise_exception(env, EXCP_DE);
    }
    reg_set(env, 1, R_EAX, ((al / base) << 8) | (al % base));
    set_cc(env, CC_OP_LOGICB, al % base, 0);
}

void op_aad(CPUX86State *env, const DecodedInsn *d)
{
    uint8_t base = d->imm;
    uint16_t ax = env->regs[R_EAX];
    uint8_t al = (uint8_t)((ax & 0xff) + (ax >> 8) * base);
    reg_set(env, 1, R_EAX, al);
    set_cc(env, CC_OP_LOGICB, al, 0);
}

/* ---- conversions, conditions, flag instructions ---- */

void op_cbw(CPUX86State *env, const DecodedInsn *d)
{
    if (d->opsize == 1) {
        reg_set(env, 1, R_EAX, (uint16_t)(int8_t)env->regs[R_EAX]);
    } else if (d->opsize == 3) {
        env->regs[R_EAX] = (uint64_t)(int64_t)(int32_t)env->regs[R_EAX];   /* CDQE */
    } else {
        env->regs[R_EAX] = (uint32_t)(int16_t)env->regs[R_EAX];
    }
}

void op_cwd(CPUX86State *env, const DecodedInsn *d)
{
    if (d->opsize == 1) {
        reg_set(env, 1, R_EDX, (int16_t)env->regs[R_EAX] < 0 ? 0xffff : 0);
    } else if (d->opsize == 3) {
        env->regs[R_EDX] = (int64_t)env->regs[R_EAX] < 0 ? ~0ull : 0;      /* CQO */
    } else {
        env->regs[R_EDX] = (int32_t)env->regs[R_EAX] < 0 ? 0xffffffff : 0;
    }
}

void op_setcc(CPUX86State *env, const DecodedInsn *d)
{
    uint64_t v = cc_test(env, d->op & 0xf);
    if (d->mod == 3) {
        reg_set(env, 0, d->rm, v);
    } else {
        cpu_stb(env, d->seg, insn_ea(env, d), v);
    }
}

void op_cmovcc(CPUX86State *env, const DecodedInsn *d)
{
    uint64_t ea = 0, v = rm_load(env, d, d->ot, &ea);   /* source read even if false */
    if (cc_test(env, d->op & 0xf)) {
        reg_set(env, d->ot, d->reg, v);
    } else if (d->ot == 2) {
        /* a 32-bit destination is written even when the condition is false:
         * its upper half is cleared (SDM vol. 2, CMOVcc) */
        reg_set(env, 2, d->reg, env->regs[d->reg]);
    }
}

void op_lahf(CPUX86State *env, const DecodedInsn *d)
{
    uint64_t f = cc_compute_all(env) | 2;
    /* AH even with a REX prefix */
    env->regs[R_EAX] = (env->regs[R_EAX] & ~0xff00ull) | ((f & 0xff) << 8);
}

void op_sahf(CPUX86State *env, const DecodedInsn *d)
{
    uint64_t ah = (env->regs[R_EAX] >> 8) & 0xff;
    uint64_t m = CC_S | CC_Z | CC_A | CC_P | CC_C;
    cc_materialize(env);
    env->eflags = (env->eflags & ~m) | (ah & m);
}

/* F5 CMC, F8 CLC, F9 STC, FC CLD, FD STD */
void op_flagop(CPUX86State *env, const DecodedInsn *d)
{
    switch (d->op) {
    case 0xfc: env->eflags &= ~DF_MASK; return;
    case 0xfd: env->eflags |= DF_MASK; return;
    default: break;
    }
    cc_materialize(env);
    switch (d->op) {
    case 0xf5: env->eflags ^= CC_C; break;
    case 0xf8: env->eflags &= ~CC_C; break;
    default: env->eflags |= CC_C; break;
    }
}

void op_salc(CPUX86State *env, const DecodedInsn *d)
{
    reg_set(env, 0, R_EAX, cc_compute_c(env) ? 0xff : 0);
}
