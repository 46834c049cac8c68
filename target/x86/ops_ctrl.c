/*
 * Control transfers.  Near forms are done here; far forms, IRET and
 * software interrupts go through the system layer's helpers, which
 * handle real, protected and virtual-8086 mode alike.  At entry env->eip
 * already holds the address of the next instruction.
 */
#include "target/x86/ops.h"

void op_jcc(CPUX86State *env, const DecodedInsn *d)
{
    if (cc_test(env, d->op & 0xf)) {
        jump_to(env, d, env->eip + d->imm);
    }
}

void op_jmp_rel(CPUX86State *env, const DecodedInsn *d)
{
    jump_to(env, d, env->eip + d->imm);
}

/* the target is checked (CS limit, or canonical form) before the push */
static uint64_t near_target(CPUX86State *env, const DecodedInsn *d, uint64_t target)
{
    if (d->opsize == 1) {
        target &= 0xffff;
    } else if (d->opsize == 2) {
        target = (uint32_t)target;
    }
    if (env->hflags & HF_CS64) {
        if (!is_canonical(target)) {
            raise_exception_err(env, EXCP_GP, 0);
        }
    } else if (target > env->segs[R_CS].limit) {
        raise_exception_err(env, EXCP_GP, 0);
    }
    return target;
}

void op_call_rel(CPUX86State *env, const DecodedInsn *d)
{
    uint64_t next = env->eip;
    uint64_t target = near_target(env, d, next + d->imm);
    push_v(env, d->opsize, next);
    env->eip = target;
}

/* C3, C2 iw */
void op_ret(CPUX86State *env, const DecodedInsn *d)
{
    uint64_t target = pop_peek(env, d->opsize, 0);
    jump_to(env, d, target);
    sp_add(env, (1u << d->opsize) + (d->op == 0xc2 ? (d->imm & 0xffff) : 0));
}

/* FF /4 */
void op_jmp_E(CPUX86State *env, const DecodedInsn *d)
{
    uint64_t ea = 0;
    jump_to(env, d, rm_load(env, d, d->opsize, &ea));
}

/* FF /2 */
void op_call_E(CPUX86State *env, const DecodedInsn *d)
{
    uint64_t ea = 0, next = env->eip;
    uint64_t target = near_target(env, d, rm_load(env, d, d->opsize, &ea));
    push_v(env, d->opsize, next);
    env->eip = target;
}

/* EA: ptr16:16/32 — offset in imm, selector in imm2 */
void op_jmp_far(CPUX86State *env, const DecodedInsn *d)
{
    helper_ljmp(env, d->imm2, d->imm, env->eip);
}

void op_call_far(CPUX86State *env, const DecodedInsn *d)
{
    helper_lcall(env, d->imm2, d->imm, d->opsize, env->eip);
}

static void load_farptr(CPUX86State *env, const DecodedInsn *d, uint64_t *off, uint16_t *sel)
{
    uint64_t ea = insn_ea(env, d);
    *off = mem_ld(env, d->seg, ea, d->opsize);
    *sel = cpu_lduw(env, d->seg, ad_trunc(d->adsize, ea + (1u << d->opsize)));
}

/* FF /5 */
void op_jmp_far_E(CPUX86State *env, const DecodedInsn *d)
{
    uint64_t off;
    uint16_t sel;
    load_farptr(env, d, &off, &sel);
    helper_ljmp(env, sel, off, env->eip);
}

/* FF /3 */
void op_call_far_E(CPUX86State *env, const DecodedInsn *d)
{
    uint64_t off;
    uint16_t sel;
    load_farptr(env, d, &off, &sel);
    helper_lcall(env, sel, off, d->opsize, env->eip);
}

/* CB, CA iw */
void op_lret(CPUX86State *env, const DecodedInsn *d)
{
    helper_lret(env, d->opsize, d->op == 0xca ? (d->imm & 0xffff) : 0);
}

void op_iret(CPUX86State *env, const DecodedInsn *d)
{
    helper_iret(env, d->opsize, env->eip);
}

/* E0 LOOPNE, E1 LOOPE, E2 LOOP: the counter is CX or ECX by address size */
void op_loop(CPUX86State *env, const DecodedInsn *d)
{
    uint64_t cx = ad_trunc(d->adsize, env->regs[R_ECX] - 1);
    bool take = cx != 0;
    if (d->op == 0xe0) {
        take = take && !cc_test(env, 4);
    } else if (d->op == 0xe1) {
        take = take && cc_test(env, 4);
    }
    uint64_t target = env->eip + d->imm;
    if (take) {
        jump_to(env, d, target);
    }
    reg_set(env, d->adsize, R_ECX, cx);
}

void op_jcxz(CPUX86State *env, const DecodedInsn *d)
{
    uint64_t cx = reg_get(env, d->adsize, R_ECX);
    if (cx == 0) {
        jump_to(env, d, env->eip + d->imm);
    }
}

/* CD ib.  In v86 mode with IOPL < 3 INT n is #GP(0) unless VME
 * redirection applies; the system layer's do_interrupt decides that, we
 * only apply the non-VME rule here. */
void op_int(CPUX86State *env, const DecodedInsn *d)
{
    if ((env->hflags & HF_VM86) && ((env->eflags & IOPL_MASK) >> IOPL_SHIFT) < 3 &&
        !(env->cr[4] & CR4_VME)) {
        raise_exception_err(env, EXCP_GP, 0);
    }
    raise_interrupt(env, d->imm & 0xff, 1, 0, env->eip);
}

void op_int3(CPUX86State *env, const DecodedInsn *d)
{
    raise_interrupt(env, EXCP_BP, 1, 0, env->eip);
}

void op_into(CPUX86State *env, const DecodedInsn *d)
{
    if (cc_test(env, 0)) {
        raise_interrupt(env, EXCP_OF, 1, 0, env->eip);
    }
}

/* F1: ICEBP delivers #DB like a hardware trap (no DPL check) */
void op_int1(CPUX86State *env, const DecodedInsn *d)
{
    /* ICEBP: a trap-like #DB (saved EIP = the next instruction), delivered
     * as an exception: no gate DPL check, DR6 untouched */
    env->insn_start_eip = env->eip;
    raise_exception(env, EXCP_DB);
}

void op_bound(CPUX86State *env, const DecodedInsn *d)
{
    uint64_t ea = insn_ea(env, d);
    int32_t idx, lo, hi;
    if (d->ot == 1) {
        idx = (int16_t)reg_get(env, 1, d->reg);
        lo = (int16_t)cpu_lduw(env, d->seg, ea);
        hi = (int16_t)cpu_lduw(env, d->seg, (ea + 2) & (d->adsize == 1 ? 0xffff : 0xffffffff));
    } else {
        idx = (int32_t)reg_get(env, 2, d->reg);
        lo = (int32_t)cpu_ldl(env, d->seg, ea);
        hi = (int32_t)cpu_ldl(env, d->seg, (ea + 4) & (d->adsize == 1 ? 0xffff : 0xffffffff));
    }
    if (idx < lo || idx > hi) {
        raise_exception(env, EXCP_BR);
    }
}

void op_hlt(CPUX86State *env, const DecodedInsn *d)
{
    require_cpl0(env);
    helper_hlt(env, env->eip);
}

void op_ud2(CPUX86State *env, const DecodedInsn *d)
{
    raise_exception(env, EXCP_UD);
}
