/*
 * Data movement: MOV forms, MOVZX/MOVSX, XCHG, LEA, stack instructions,
 * segment register loads, ENTER/LEAVE, XLAT.
 */
#include "target/x86/ops.h"

void op_nop(CPUX86State *env, const DecodedInsn *d) { }

/* PAUSE: a spin-wait loop.  With other vCPUs sharing this thread, end the
 * slice here, as pause-loop exiting does on hardware: the CPU that holds
 * the lock gets to run and release it, and the spinner does not burn its
 * whole slice (or, with a loop length that divides the slice, starve the
 * holder forever). */
void op_pause(CPUX86State *env, const DecodedInsn *d)
{
    if (env->pause_yields) {
        __atomic_fetch_or(&env->interrupt_request, CPU_INTERRUPT_EXIT, __ATOMIC_SEQ_CST);
    }
}

void op_mov_EG(CPUX86State *env, const DecodedInsn *d)
{
    uint64_t v = reg_get(env, d->ot, d->reg);
    rm_store(env, d, d->ot, d->mod == 3 ? 0 : insn_ea(env, d), v);
}

void op_mov_GE(CPUX86State *env, const DecodedInsn *d)
{
    uint64_t ea = 0;
    reg_set(env, d->ot, d->reg, rm_load(env, d, d->ot, &ea));
}

void op_mov_EI(CPUX86State *env, const DecodedInsn *d)
{
    rm_store(env, d, d->ot, d->mod == 3 ? 0 : insn_ea(env, d), d->imm);
}

void op_mov_RI(CPUX86State *env, const DecodedInsn *d)
{
    reg_set(env, d->ot, d->rm, d->imm);
}

/* A0-A3: the offset is in disp, already sized by the address size */
void op_mov_moffs(CPUX86State *env, const DecodedInsn *d)
{
    uint64_t off = ad_trunc(d->adsize, (uint64_t)d->disp);
    if (d->op & 2) {
        mem_st(env, d->seg, off, d->ot, reg_get(env, d->ot, R_EAX));
    } else {
        reg_set(env, d->ot, R_EAX, mem_ld(env, d->seg, off, d->ot));
    }
}

/* 8C: MOV Ev, Sreg.  A register destination gets the zero-extended
 * selector with a 32-bit operand size; memory is always 16 bits. */
void op_mov_ES(CPUX86State *env, const DecodedInsn *d)
{
    if (d->reg > R_GS) {
        raise_exception(env, EXCP_UD);
    }
    uint16_t sel = env->segs[d->reg].selector;
    if (d->mod == 3) {
        reg_set(env, d->opsize, d->rm, sel);
    } else {
        cpu_stw(env, d->seg, insn_ea(env, d), sel);
    }
}

/* 8E: MOV Sreg, Ew.  CS is not loadable; SS starts an interrupt shadow. */
void op_mov_SE(CPUX86State *env, const DecodedInsn *d)
{
    uint64_t ea = 0;
    if (d->reg > R_GS || d->reg == R_CS) {
        raise_exception(env, EXCP_UD);
    }
    uint16_t sel = rm_load(env, d, 1, &ea);
    helper_load_seg(env, d->reg, sel);
    if (d->reg == R_SS) {
        env->hflags |= HF_INHIBIT_IRQ | HF_MOVSS;
    }
}

void op_movzx(CPUX86State *env, const DecodedInsn *d)
{
    uint64_t ea = 0;
    int sot = (d->op & 1) ? 1 : 0;
    reg_set(env, d->ot, d->reg, rm_load(env, d, sot, &ea));
}

void op_movsx(CPUX86State *env, const DecodedInsn *d)
{
    uint64_t ea = 0, v;
    if (d->op & 1) {
        v = (uint64_t)(int64_t)(int16_t)rm_load(env, d, 1, &ea);
    } else {
        v = (uint64_t)(int64_t)(int8_t)rm_load(env, d, 0, &ea);
    }
    reg_set(env, d->ot, d->reg, v);
}

/* 64-bit mode 63: MOVSXD Gv, Ed (sign-extends with REX.W) */
void op_movsxd(CPUX86State *env, const DecodedInsn *d)
{
    uint64_t ea = 0;
    uint64_t v = (uint64_t)(int64_t)(int32_t)rm_load(env, d, 2, &ea);
    reg_set(env, d->ot, d->reg, v);
}

void op_xchg_EG(CPUX86State *env, const DecodedInsn *d)
{
    uint64_t ea = 0, a = rmw_load(env, d, d->ot, &ea), b = reg_get(env, d->ot, d->reg);
    rmw_store(env, d, d->ot, ea, b);
    reg_set(env, d->ot, d->reg, a);
}

void op_xchg_AR(CPUX86State *env, const DecodedInsn *d)
{
    int r = d->rm;
    uint64_t a = reg_get(env, d->ot, R_EAX);
    reg_set(env, d->ot, R_EAX, reg_get(env, d->ot, r));
    reg_set(env, d->ot, r, a);
}

void op_lea(CPUX86State *env, const DecodedInsn *d)
{
    reg_set(env, d->ot, d->reg, insn_ea(env, d));
}

void op_push_r(CPUX86State *env, const DecodedInsn *d)
{
    push_v(env, d->ot, reg_get(env, d->ot, d->rm));
}

void op_pop_r(CPUX86State *env, const DecodedInsn *d)
{
    uint64_t v = pop_v(env, d->ot);
    reg_set(env, d->ot, d->rm, v);
}

void op_push_I(CPUX86State *env, const DecodedInsn *d)
{
    push_v(env, d->ot, d->imm);
}

/* FF /6 */
void op_push_E(CPUX86State *env, const DecodedInsn *d)
{
    uint64_t ea = 0;
    push_v(env, d->ot, rm_load(env, d, d->ot, &ea));
}

/* 8F /0: the SDM computes a memory destination with ESP already
 * incremented, so pop first but commit ESP only after the store. */
void op_pop_E(CPUX86State *env, const DecodedInsn *d)
{
    uint64_t v = pop_peek(env, d->ot, 0);
    uint64_t old_sp = env->regs[R_ESP], new_sp;
    sp_add(env, 1u << d->ot);
    if (d->mod == 3) {
        reg_set(env, d->ot, d->rm, v);
        return;
    }
    uint64_t ea = insn_ea(env, d);
    new_sp = env->regs[R_ESP];
    env->regs[R_ESP] = old_sp;      /* a faulting store must leave ESP as it was */
    mem_st(env, d->seg, ea, d->ot, v);
    env->regs[R_ESP] = new_sp;
}

static int seg_of_op(const DecodedInsn *d)
{
    switch (d->op) {
    case 0x06: case 0x07: return R_ES;
    case 0x0e: return R_CS;
    case 0x16: case 0x17: return R_SS;
    case 0x1e: case 0x1f: return R_DS;
    case 0x1a0: case 0x1a1: return R_FS;
    default: return R_GS;
    }
}

/* A 32-bit push of a segment register writes only the low word on
 * P6-family processors (the upper half of the slot is left alone). */
void op_push_seg(CPUX86State *env, const DecodedInsn *d)
{
    uint16_t sel = env->segs[seg_of_op(d)].selector;
    if (d->ot >= 2) {
        uint64_t sp = (env->regs[R_ESP] - (1u << d->ot)) & sp_mask(env);
        cpu_stw(env, R_SS, sp, sel);
        sp_set(env, sp);
    } else {
        push_v(env, 1, sel);
    }
}

void op_pop_seg(CPUX86State *env, const DecodedInsn *d)
{
    int seg = seg_of_op(d);
    uint16_t sel = pop_peek(env, 1, 0);
    helper_load_seg(env, seg, sel);
    sp_add(env, 1u << d->ot);
    if (seg == R_SS) {
        env->hflags |= HF_INHIBIT_IRQ | HF_MOVSS;
    }
}

void op_pusha(CPUX86State *env, const DecodedInsn *d)
{
    int sz = d->ot == 2 ? 4 : 2;
    uint64_t sp = (uint32_t)env->regs[R_ESP];
    uint64_t m = sp_mask(env);
    cpu_check_write(env, R_SS, (sp - 8 * sz) & m, 8 * sz);
    for (int i = 0; i < 8; i++) {
        uint64_t v = i == R_ESP ? sp : (uint32_t)env->regs[i];
        mem_st(env, R_SS, (sp - (i + 1) * sz) & m, d->ot, v);
    }
    sp_set(env, (sp - 8 * sz) & m);
}

void op_popa(CPUX86State *env, const DecodedInsn *d)
{
    int sz = d->ot == 2 ? 4 : 2;
    uint64_t v[8];
    for (int i = 0; i < 8; i++) {
        v[7 - i] = pop_peek(env, d->ot, i * sz);
    }
    for (int i = 0; i < 8; i++) {
        if (i != R_ESP) {
            reg_set(env, d->ot, i, v[i]);
        }
    }
    sp_add(env, 8 * sz);
}

void op_pushf(CPUX86State *env, const DecodedInsn *d)
{
    uint64_t f = cpu_compute_eflags(env);
    if ((env->hflags & HF_VM86) && ((f & IOPL_MASK) >> IOPL_SHIFT) < 3) {
        if (!(env->cr[4] & CR4_VME) || d->ot == 2) {
            raise_exception_err(env, EXCP_GP, 0);
        }
        /* VME: IF image comes from VIF */
        f = (f & ~IF_MASK) | ((f & VIF_MASK) ? IF_MASK : 0) | IOPL_MASK;
    }
    /* VM and RF are never pushed */
    push_v(env, d->ot, f & ~(VM_MASK | RF_MASK));
}

void op_popf(CPUX86State *env, const DecodedInsn *d)
{
    uint32_t f = pop_peek(env, d->ot, 0);
    uint32_t mask = TF_MASK | DF_MASK | NT_MASK | CC_MASK;
    int iopl = (env->eflags & IOPL_MASK) >> IOPL_SHIFT;
    if (d->ot >= 2) {
        mask |= AC_MASK | ID_MASK;
    }
    if (env->hflags & HF_VM86) {
        if (iopl < 3) {
            if (!(env->cr[4] & CR4_VME) || d->ot == 2) {
                raise_exception_err(env, EXCP_GP, 0);
            }
            /* VME 16-bit POPF: IF goes to VIF; #GP if that would enable
             * a pending virtual interrupt or set TF */
            if (((f & IF_MASK) && (env->eflags & VIP_MASK)) || (f & TF_MASK)) {
                raise_exception_err(env, EXCP_GP, 0);
            }
            cpu_load_eflags(env, (f & ~VIF_MASK) | ((f & IF_MASK) ? VIF_MASK : 0),
                            (mask & ~0u) | VIF_MASK);
            sp_add(env, 2);
            return;
        }
        mask |= IF_MASK;
    } else if (!(env->hflags & HF_PE) || cpu_cpl(env) == 0) {
        mask |= IF_MASK | IOPL_MASK;
    } else if (cpu_cpl(env) <= iopl) {
        mask |= IF_MASK;
    }
    if (d->ot == 1) {
        mask &= 0xffff;
    }
    cpu_load_eflags(env, f, mask);
    sp_add(env, 1u << d->ot);
}

/* C4 LES, C5 LDS, 0F B2 LSS, 0F B4 LFS, 0F B5 LGS */
void op_lxs(CPUX86State *env, const DecodedInsn *d)
{
    int seg;
    switch (d->op) {
    case 0xc4: seg = R_ES; break;
    case 0xc5: seg = R_DS; break;
    case 0x1b2: seg = R_SS; break;
    case 0x1b4: seg = R_FS; break;
    default: seg = R_GS; break;
    }
    uint64_t ea = insn_ea(env, d);
    uint64_t off = mem_ld(env, d->seg, ea, d->ot);
    uint16_t sel = cpu_lduw(env, d->seg, ad_trunc(d->adsize, ea + (1u << d->ot)));
    helper_load_seg(env, seg, sel);
    reg_set(env, d->ot, d->reg, off);
    /* unlike MOV SS / POP SS, LSS opens no interrupt shadow (SDM) */
}

void op_enter(CPUX86State *env, const DecodedInsn *d)
{
    int level = d->imm2 & 31;
    uint64_t size = d->imm & 0xffff;
    int sz = 1 << d->ot;
    uint64_t m = sp_mask(env);
    uint64_t sp = env->regs[R_ESP] & m;
    uint64_t bp = env->regs[R_EBP];
    /* probe the whole frame first so a fault leaves ESP/EBP intact */
    cpu_check_write(env, R_SS, (sp - sz * (level + 1)) & m, sz * (level + 1));
    sp = (sp - sz) & m;
    mem_st(env, R_SS, sp, d->ot, bp);
    uint64_t frame = sp;
    for (int i = 1; i < level; i++) {
        bp = (bp - sz) & m;
        uint64_t v = mem_ld(env, R_SS, bp, d->ot);
        sp = (sp - sz) & m;
        mem_st(env, R_SS, sp, d->ot, v);
    }
    if (level > 0) {
        sp = (sp - sz) & m;
        mem_st(env, R_SS, sp, d->ot, frame);
    }
    sp = (sp - size) & m;
    reg_set(env, d->ot, R_EBP, frame);
    sp_set(env, sp);
}

void op_leave(CPUX86State *env, const DecodedInsn *d)
{
    uint64_t bp = env->regs[R_EBP] & sp_mask(env);
    uint64_t v = mem_ld(env, R_SS, bp, d->ot);
    sp_set(env, (bp + (1u << d->ot)) & sp_mask(env));
    reg_set(env, d->ot, R_EBP, v);
}

void op_xlat(CPUX86State *env, const DecodedInsn *d)
{
    uint64_t a = ad_trunc(d->adsize, env->regs[R_EBX] + (uint8_t)env->regs[R_EAX]);
    reg_set(env, 0, R_EAX, cpu_ldub(env, d->seg, a));
}
