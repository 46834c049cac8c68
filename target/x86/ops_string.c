/*
 * String instructions with REP/REPE/REPNE.  A repeated instruction runs in
 * chunks: after REP_CHUNK iterations, or as soon as an interrupt is
 * pending, EIP is left at the instruction so the exec loop can deliver the
 * interrupt and then resume it.  Registers are committed after every
 * iteration, so a fault in the middle restarts exactly where it stopped.
 */
#include <string.h>

#include "target/x86/ops.h"

#define REP_CHUNK 4096

/*
 * Bulk part of a forward REP MOVS/STOS: as many whole elements as fit in
 * the current source/destination pages (and before a 16-bit offset would
 * wrap), done with memcpy/memset when both sides are plain RAM.  Returns
 * the number of elements done (0: take the per-element path).
 */
static uint64_t rep_bulk(CPUX86State *env, const DecodedInsn *d, bool movs, uint64_t count)
{
    unsigned size = 1u << d->ot;
    uint64_t m = ad_trunc(d->adsize, ~0ull);
    uint64_t di = env->regs[R_EDI] & m, si = env->regs[R_ESI] & m;
    uint64_t dla = env->segs[R_ES].base + di, sla = env->segs[d->seg].base + si;
    uint64_t n = count;
    uint64_t room = (4096 - (dla & 4095)) / size;
    if (room < n) {
        n = room;
    }
    if (m - di < n * size - 1) {
        n = (m - di + 1) / size;
    }
    if (movs) {
        room = (4096 - (sla & 4095)) / size;
        if (room < n) {
            n = room;
        }
        if (m - si < n * size - 1) {
            n = (m - si + 1) / size;
        }
    }
    if (n < 2) {
        return 0;
    }
    uint8_t *dst = cpu_host_ptr(env, R_ES, di, n * size, true);
    if (!dst) {
        return 0;
    }
    if (movs) {
        uint8_t *src = cpu_host_ptr(env, d->seg, si, n * size, false);
        /* overlapping forward copies replicate data element by element,
         * which memcpy does not: leave those to the slow path */
        if (!src || (dst > src && dst < src + n * size) || (src > dst && src < dst + n * size)) {
            return 0;
        }
        memcpy(dst, src, n * size);
    } else {
        uint64_t v = reg_get(env, d->ot, R_EAX);
        uint64_t bytes = v & 0xff;
        bytes *= 0x0101010101010101ull;
        if (size == 1 || v == (bytes & ot_mask[d->ot])) {
            /* one byte repeated (a kernel's clear_page and clear_user:
             * REP STOSQ of zero): memset.  A memcpy of a variable size per
             * element was a libc call per 8 bytes, a quarter of a disk
             * write's time */
            memset(dst, (int)(v & 0xff), n * size);
        } else if (size == 2) {
            for (uint64_t i = 0; i < n; i++) {
                uint16_t w = (uint16_t)v;
                memcpy(dst + i * 2, &w, 2);         /* little-endian host */
            }
        } else if (size == 4) {
            for (uint64_t i = 0; i < n; i++) {
                uint32_t w = (uint32_t)v;
                memcpy(dst + i * 4, &w, 4);
            }
        } else {
            for (uint64_t i = 0; i < n; i++) {
                memcpy(dst + i * 8, &v, 8);
            }
        }
    }
    return (uint32_t)n;
}

/* Commit a bulk step: advance the index registers and the counter. */
static void rep_bulk_commit(CPUX86State *env, const DecodedInsn *d, bool movs, uint64_t n)
{
    uint64_t bytes = n << d->ot;
    reg_set(env, d->adsize, R_EDI, env->regs[R_EDI] + bytes);
    if (movs) {
        reg_set(env, d->adsize, R_ESI, env->regs[R_ESI] + bytes);
    }
    reg_set(env, d->adsize, R_ECX, reg_get(env, d->adsize, R_ECX) - n);
}

static inline uint64_t amask(const DecodedInsn *d)
{
    return ad_trunc(d->adsize, ~0ull);
}

static inline void idx_step(CPUX86State *env, const DecodedInsn *d, int reg, int32_t step)
{
    reg_set(env, d->adsize, reg, env->regs[reg] + step);
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
    uint64_t cx = reg_get(env, d->adsize, R_ECX) - 1;
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
    uint64_t m = amask(d);
    if (!rep_start(env, d, &rep)) {
        return;
    }
    if (rep && !(env->eflags & DF_MASK)) {
        for (int chunks = 0; chunks < 64; chunks++) {
            uint64_t cnt = reg_get(env, d->adsize, R_ECX);
            uint64_t done = rep_bulk(env, d, true, cnt);
            if (!done) {
                break;
            }
            rep_bulk_commit(env, d, true, done);
            if (done == cnt) {
                return;
            }
            if (env->interrupt_request) {
                env->eip = env->insn_start_eip;
                return;
            }
        }
    }
    for (;;) {
        uint64_t v = mem_ld(env, d->seg, env->regs[R_ESI] & m, d->ot);
        mem_st(env, R_ES, env->regs[R_EDI] & m, d->ot, v);
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
    uint64_t m = amask(d);
    uint64_t v = reg_get(env, d->ot, R_EAX);
    if (!rep_start(env, d, &rep)) {
        return;
    }
    if (rep && !(env->eflags & DF_MASK)) {
        for (int chunks = 0; chunks < 64; chunks++) {
            uint64_t cnt = reg_get(env, d->adsize, R_ECX);
            uint64_t done = rep_bulk(env, d, false, cnt);
            if (!done) {
                break;
            }
            rep_bulk_commit(env, d, false, done);
            if (done == cnt) {
                return;
            }
            if (env->interrupt_request) {
                env->eip = env->insn_start_eip;
                return;
            }
        }
    }
    for (;;) {
        mem_st(env, R_ES, env->regs[R_EDI] & m, d->ot, v);
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
    uint64_t m = amask(d);
    if (!rep_start(env, d, &rep)) {
        return;
    }
    for (;;) {
        uint64_t v = mem_ld(env, d->seg, env->regs[R_ESI] & m, d->ot);
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
    uint64_t m = amask(d), om = ot_mask[d->ot];
    if (!rep_start(env, d, &rep)) {
        return;
    }
    for (;;) {
        uint64_t a = mem_ld(env, d->seg, env->regs[R_ESI] & m, d->ot);
        uint64_t b = mem_ld(env, R_ES, env->regs[R_EDI] & m, d->ot);
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
    uint64_t m = amask(d), om = ot_mask[d->ot];
    uint64_t a = reg_get(env, d->ot, R_EAX);
    if (!rep_start(env, d, &rep)) {
        return;
    }
    for (;;) {
        uint64_t b = mem_ld(env, R_ES, env->regs[R_EDI] & m, d->ot);
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
    uint64_t m = amask(d);
    uint16_t port = env->regs[R_EDX];
    helper_check_io(env, port, 1 << d->ot);
    if (!rep_start(env, d, &rep)) {
        return;
    }
    for (;;) {
        /* probe the destination before the port read has side effects */
        cpu_check_write(env, R_ES, env->regs[R_EDI] & m, 1 << d->ot);
        uint64_t v = cpu_io_read(env, port, 1 << d->ot);
        mem_st(env, R_ES, env->regs[R_EDI] & m, d->ot, v);
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
    uint64_t m = amask(d);
    uint16_t port = env->regs[R_EDX];
    helper_check_io(env, port, 1 << d->ot);
    if (!rep_start(env, d, &rep)) {
        return;
    }
    for (;;) {
        uint64_t v = mem_ld(env, d->seg, env->regs[R_ESI] & m, d->ot);
        cpu_io_write(env, port, v, 1 << d->ot);
        idx_step(env, d, R_ESI, step);
        if (!rep || rep_next(env, d, &n, 0)) {
            return;
        }
    }
}
