/*
 * String instructions with REP/REPE/REPNE.  A repeated instruction runs in
 * chunks: after REP_CHUNK iterations, or as soon as an interrupt is
 * pending, EIP is left at the instruction so the exec loop can deliver the
 * interrupt and then resume it.  Registers are committed after every
 * iteration, so a fault in the middle restarts exactly where it stopped.
 */
#include "target/x86/ops.h"

#define REP_CHUNK 4096

static inline uint32_t amask(const DecodedInsn *d)
{
    return d->adsize == 1 ? 0xffff : 0xffffffff;
}

static inline void idx_step(CPUX86State *env, const DecodedInsn *d, int reg, int32_t step)
{
    reg_set(env, d->adsize, reg, (uint32_t)env->regs[reg] + step);
}

static inline int32_t str_step(const CPUX86State *env, const DecodedInsn *d)
{
    int32_t n = 1 << d->ot;
    return (env->eflags & DF_MASK) ? -n : n;
}

/*
 * After one iteration: returns true when the instruction is finished.
 * 'cond' is for REPE/REPNE: the iteration's ZF test.
 */
static inline bool rep_next(CPUX86State *env, const DecodedInsn *d, int *n, int zf_mode)
{
    uint32_t cx = reg_get(env, d->adsize, R_ECX) - 1;
    reg_set(env, d->adsize, R_ECX, cx);
    if ((cx & amask(d)) == 0) {
        return true;
    }
    if (zf_mode) {
        bool zf = cc_test(env, 4);
        if ((d->prefixes & PFX_REPNE) ? zf : !zf) {
            return true;
        }
    }
    if (++*n >= REP_CHUNK || env->interrupt_request) {
        env->eip = env->insn_start_eip;     /* resume later */
        return true;
    }
    return false;
}

static inline bool rep_start(const CPUX86State *env, const DecodedInsn *d, bool *rep)
{
    *rep = (d->prefixes & (PFX_REP | PFX_REPNE)) != 0;
    return !*rep || reg_get(env, d->adsize, R_ECX) != 0;
}

void op_movs(CPUX86State *env, const DecodedInsn *d)
{
    bool rep;
    int n = 0;
    int32_t step = str_step(env, d);
    uint32_t m = amask(d);
    if (!rep_start(env, d, &rep)) {
        return;
    }
    for (;;) {
        uint32_t v = mem_ld(env, d->seg, (uint32_t)env->regs[R_ESI] & m, d->ot);
        mem_st(env, R_ES, (uint32_t)env->regs[R_EDI] & m, d->ot, v);
        idx_step(env, d, R_ESI, step);
        idx_step(env, d, R_EDI, step);
        if (!rep || rep_next(env, d, &n, 0)) {
            return;
        }
    }
}

void op_stos(CPUX86State *env, const DecodedInsn *d)
{
    bool rep;
    int n = 0;
    int32_t step = str_step(env, d);
    uint32_t m = amask(d);
    uint32_t v = reg_get(env, d->ot, R_EAX);
    if (!rep_start(env, d, &rep)) {
        return;
    }
    for (;;) {
        mem_st(env, R_ES, (uint32_t)env->regs[R_EDI] & m, d->ot, v);
        idx_step(env, d, R_EDI, step);
        if (!rep || rep_next(env, d, &n, 0)) {
            return;
        }
    }
}

void op_lods(CPUX86State *env, const DecodedInsn *d)
{
    bool rep;
    int n = 0;
    int32_t step = str_step(env, d);
    uint32_t m = amask(d);
    if (!rep_start(env, d, &rep)) {
        return;
    }
    for (;;) {
        uint32_t v = mem_ld(env, d->seg, (uint32_t)env->regs[R_ESI] & m, d->ot);
        reg_set(env, d->ot, R_EAX, v);
        idx_step(env, d, R_ESI, step);
        if (!rep || rep_next(env, d, &n, 0)) {
            return;
        }
    }
}

void op_cmps(CPUX86State *env, const DecodedInsn *d)
{
    bool rep;
    int n = 0;
    int32_t step = str_step(env, d);
    uint32_t m = amask(d), om = ot_mask[d->ot];
    if (!rep_start(env, d, &rep)) {
        return;
    }
    for (;;) {
        uint32_t a = mem_ld(env, d->seg, (uint32_t)env->regs[R_ESI] & m, d->ot);
        uint32_t b = mem_ld(env, R_ES, (uint32_t)env->regs[R_EDI] & m, d->ot);
        env->cc_src2 = 0;
        set_cc(env, CC_OP_SUBB + d->ot, (a - b) & om, b);
        idx_step(env, d, R_ESI, step);
        idx_step(env, d, R_EDI, step);
        if (!rep || rep_next(env, d, &n, 1)) {
            return;
        }
    }
}

void op_scas(CPUX86State *env, const DecodedInsn *d)
{
    bool rep;
    int n = 0;
    int32_t step = str_step(env, d);
    uint32_t m = amask(d), om = ot_mask[d->ot];
    uint32_t a = reg_get(env, d->ot, R_EAX);
    if (!rep_start(env, d, &rep)) {
        return;
    }
    for (;;) {
        uint32_t b = mem_ld(env, R_ES, (uint32_t)env->regs[R_EDI] & m, d->ot);
        env->cc_src2 = 0;
        set_cc(env, CC_OP_SUBB + d->ot, (a - b) & om, b);
        idx_step(env, d, R_EDI, step);
        if (!rep || rep_next(env, d, &n, 1)) {
            return;
        }
    }
}

void op_ins(CPUX86State *env, const DecodedInsn *d)
{
    bool rep;
    int n = 0;
    int32_t step = str_step(env, d);
    uint32_t m = amask(d);
    uint16_t port = env->regs[R_EDX];
    helper_check_io(env, port, 1 << d->ot);
    if (!rep_start(env, d, &rep)) {
        return;
    }
    for (;;) {
        /* probe the destination before the port read has side effects */
        cpu_check_write(env, R_ES, (uint32_t)env->regs[R_EDI] & m, 1 << d->ot);
        uint32_t v = cpu_io_read(env, port, 1 << d->ot);
        mem_st(env, R_ES, (uint32_t)env->regs[R_EDI] & m, d->ot, v);
        idx_step(env, d, R_EDI, step);
        if (!rep || rep_next(env, d, &n, 0)) {
            return;
        }
    }
}

void op_outs(CPUX86State *env, const DecodedInsn *d)
{
    bool rep;
    int n = 0;
    int32_t step = str_step(env, d);
    uint32_t m = amask(d);
    uint16_t port = env->regs[R_EDX];
    helper_check_io(env, port, 1 << d->ot);
    if (!rep_start(env, d, &rep)) {
        return;
    }
    for (;;) {
        uint32_t v = mem_ld(env, d->seg, (uint32_t)env->regs[R_ESI] & m, d->ot);
        cpu_io_write(env, port, v, 1 << d->ot);
        idx_step(env, d, R_ESI, step);
        if (!rep || rep_next(env, d, &n, 0)) {
            return;
        }
    }
}
