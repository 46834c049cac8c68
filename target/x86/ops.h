/*
 * Private to the instruction layer: operand access helpers shared by the
 * ops_*.c handlers, and the handler prototypes the decoder tables use.
 */
#ifndef TARGET_X86_OPS_H
#define TARGET_X86_OPS_H

#include "target/x86/cpu.h"
#include "target/x86/helper.h"
#include "target/x86/decode.h"
#include "target/x86/flags.h"

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

static const uint32_t ot_mask[3] = { 0xff, 0xffff, 0xffffffff };
static const uint32_t ot_sign[3] = { 0x80, 0x8000, 0x80000000 };

static inline uint32_t reg_get(const CPUX86State *env, int ot, int r)
{
    if (ot == 0) {
        return r < 4 ? (uint8_t)env->regs[r] : (uint8_t)(env->regs[r - 4] >> 8);
    }
    return ot == 1 ? (uint16_t)env->regs[r] : (uint32_t)env->regs[r];
}

static inline void reg_set(CPUX86State *env, int ot, int r, uint32_t v)
{
    if (ot == 2) {
        env->regs[r] = v;
    } else if (ot == 1) {
        env->regs[r] = (env->regs[r] & ~0xffffull) | (v & 0xffff);
    } else if (r < 4) {
        env->regs[r] = (env->regs[r] & ~0xffull) | (v & 0xff);
    } else {
        env->regs[r - 4] = (env->regs[r - 4] & ~0xff00ull) | ((v & 0xff) << 8);
    }
}

static inline uint32_t insn_ea(const CPUX86State *env, const DecodedInsn *d)
{
    uint32_t a = (uint32_t)d->disp;
    if (d->base != EA_NOREG) {
        a += (uint32_t)env->regs[d->base];
    }
    if (d->index != EA_NOREG) {
        a += (uint32_t)env->regs[d->index] << d->scale;
    }
    return d->adsize == 1 ? (a & 0xffff) : a;
}

static inline uint32_t mem_ld(CPUX86State *env, int seg, uint32_t off, int ot)
{
    switch (ot) {
    case 0: return cpu_ldub(env, seg, off);
    case 1: return cpu_lduw(env, seg, off);
    default: return cpu_ldl(env, seg, off);
    }
}

static inline void mem_st(CPUX86State *env, int seg, uint32_t off, int ot, uint32_t v)
{
    switch (ot) {
    case 0: cpu_stb(env, seg, off, v); break;
    case 1: cpu_stw(env, seg, off, v); break;
    default: cpu_stl(env, seg, off, v); break;
    }
}

/* Load the E operand; *ea receives the offset for a later store. */
static inline uint32_t rm_load(CPUX86State *env, const DecodedInsn *d, int ot, uint32_t *ea)
{
    if (d->mod == 3) {
        return reg_get(env, ot, d->rm);
    }
    *ea = insn_ea(env, d);
    return mem_ld(env, d->seg, *ea, ot);
}

static inline void rm_store(CPUX86State *env, const DecodedInsn *d, int ot, uint32_t ea, uint32_t v)
{
    if (d->mod == 3) {
        reg_set(env, ot, d->rm, v);
    } else {
        mem_st(env, d->seg, ea, ot, v);
    }
}

static inline void set_cc(CPUX86State *env, int op, uint32_t dst, uint32_t src)
{
    env->cc_op = op;
    env->cc_dst = dst;
    env->cc_src = src;
}

/* ---- stack ---- */
static inline uint32_t sp_mask(const CPUX86State *env)
{
    return (env->hflags & HF_SS32) ? 0xffffffff : 0xffff;
}

static inline void sp_set(CPUX86State *env, uint32_t sp)
{
    if (env->hflags & HF_SS32) {
        env->regs[R_ESP] = sp;
    } else {
        env->regs[R_ESP] = (env->regs[R_ESP] & ~0xffffull) | (sp & 0xffff);
    }
}

/* size: 1 = word, 2 = dword.  Store first, then commit ESP. */
static inline void push_v(CPUX86State *env, int size, uint32_t v)
{
    uint32_t sp = ((uint32_t)env->regs[R_ESP] - (size == 2 ? 4 : 2)) & sp_mask(env);
    mem_st(env, R_SS, sp, size, v);
    sp_set(env, sp);
}

static inline uint32_t pop_peek(CPUX86State *env, int size, uint32_t disp)
{
    uint32_t sp = ((uint32_t)env->regs[R_ESP] + disp) & sp_mask(env);
    return mem_ld(env, R_SS, sp, size);
}

static inline void sp_add(CPUX86State *env, uint32_t n)
{
    sp_set(env, ((uint32_t)env->regs[R_ESP] + n) & sp_mask(env));
}

static inline uint32_t pop_v(CPUX86State *env, int size)
{
    uint32_t v = pop_peek(env, size, 0);
    sp_add(env, size == 2 ? 4 : 2);
    return v;
}

static inline void jump_to(CPUX86State *env, const DecodedInsn *d, uint32_t target)
{
    if (d->opsize == 1) {
        target &= 0xffff;
    }
    /* near transfers check the new EIP against the CS limit (#GP(0)) */
    if (target > env->segs[R_CS].limit && !(env->hflags & HF_LMA)) {
        raise_exception_err(env, EXCP_GP, 0);
    }
    env->eip = target;
}

static inline void require_cpl0(CPUX86State *env)
{
    if ((env->hflags & HF_PE) && ((env->hflags & HF_VM86) || cpu_cpl(env) != 0)) {
        raise_exception_err(env, EXCP_GP, 0);
    }
}

#define H(name) void name(CPUX86State *env, const DecodedInsn *d)

/* ops_alu.c */
H(op_alu_EG); H(op_alu_GE); H(op_alu_AI); H(op_alu_EI);
H(op_inc_r); H(op_dec_r); H(op_grp_incdec); H(op_grp3); H(op_test_EG); H(op_test_AI);
H(op_imul_GE); H(op_imul_GEI); H(op_shift); H(op_shld); H(op_shrd);
H(op_bt); H(op_bsf); H(op_bsr); H(op_bswap); H(op_cmpxchg); H(op_cmpxchg8b); H(op_xadd);
H(op_daa); H(op_das); H(op_aaa); H(op_aas); H(op_aam); H(op_aad);
H(op_cbw); H(op_cwd); H(op_setcc); H(op_cmovcc); H(op_lahf); H(op_sahf);
H(op_flagop); H(op_salc);
/* ops_mov.c */
H(op_mov_EG); H(op_mov_GE); H(op_mov_EI); H(op_mov_RI); H(op_mov_moffs);
H(op_mov_ES); H(op_mov_SE); H(op_movzx); H(op_movsx); H(op_xchg_EG); H(op_xchg_AR);
H(op_lea); H(op_push_r); H(op_pop_r); H(op_push_I); H(op_push_E); H(op_pop_E);
H(op_push_seg); H(op_pop_seg); H(op_pusha); H(op_popa); H(op_pushf); H(op_popf);
H(op_lxs); H(op_enter); H(op_leave); H(op_xlat); H(op_nop);
/* ops_ctrl.c */
H(op_jcc); H(op_jmp_rel); H(op_call_rel); H(op_ret); H(op_jmp_E); H(op_call_E);
H(op_jmp_far); H(op_call_far); H(op_jmp_far_E); H(op_call_far_E); H(op_lret); H(op_iret);
H(op_loop); H(op_jcxz); H(op_int); H(op_int3); H(op_into); H(op_int1); H(op_bound);
H(op_hlt); H(op_ud2);
/* ops_string.c */
H(op_movs); H(op_stos); H(op_lods); H(op_cmps); H(op_scas); H(op_ins); H(op_outs);
/* ops_sys.c */
H(op_in); H(op_out); H(op_cpuid); H(op_rdtsc); H(op_rdmsr); H(op_wrmsr);
H(op_mov_cr); H(op_mov_dr); H(op_grp6); H(op_grp7); H(op_lar); H(op_lsl);
H(op_clts); H(op_invd); H(op_arpl); H(op_cli); H(op_sti); H(op_rsm);
/* fpu.c */
H(op_fpu); H(op_fwait); H(op_grp15);
/* sse.c */
H(op_sse); H(op_popcnt);

#undef H

#endif
