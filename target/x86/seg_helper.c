/*
 * Segmentation in protected mode (Intel SDM vol. 3, ch. 3, 5 and 7):
 * segment register loads with their privilege and type checks, far
 * JMP/CALL/RET/IRET including call gates and privilege changes, hardware
 * task switches, LLDT/LTR, LAR/LSL/VERR/VERW and the I/O permission check.
 * Real and virtual-8086 mode take the simple paths at the top of each.
 */
#include <string.h>

#include "target/x86/seg.h"
#include "util/log.h"

static bool pe_mode(CPUX86State *env)
{
    return (env->hflags & HF_PE) && !(env->hflags & HF_VM86);
}

bool seg_load_descriptor(CPUX86State *env, uint16_t sel, uint32_t *e1, uint32_t *e2)
{
    uint64_t base;
    uint32_t limit;
    if (sel & 4) {
        if (!(env->ldt.flags & DESC_P_MASK) && !env->ldt.limit) {
            return false;
        }
        base = env->ldt.base;
        limit = env->ldt.limit;
    } else {
        base = env->gdt.base;
        limit = env->gdt.limit;
    }
    uint32_t idx = sel & ~7;
    if (idx + 7 > limit) {
        return false;
    }
    /* the MMU wraps linear addresses at 4 GiB outside long mode */
    *e1 = cpu_ldl_kernel(env, base + idx);
    *e2 = cpu_ldl_kernel(env, base + idx + 4);
    return true;
}

/* Set the descriptor's Accessed bit, as every segment load does. */
static void set_accessed(CPUX86State *env, uint16_t sel, uint32_t *e2)
{
    if (!(*e2 & DESC_A_MASK)) {
        *e2 |= DESC_A_MASK;
        uint64_t base = (sel & 4) ? env->ldt.base : env->gdt.base;
        cpu_stl_kernel(env, base + (sel & ~7) + 4, *e2);
    }
}

void seg_load_cache_from_desc(CPUX86State *env, int seg, uint16_t sel, uint32_t e1, uint32_t e2)
{
    cpu_x86_load_seg_cache(env, seg, sel, desc_base(e1, e2), desc_limit(e1, e2), desc_flags(e2));
}

void cpu_x86_load_seg_cache(CPUX86State *env, int seg, uint16_t selector,
                            uint64_t base, uint32_t limit, uint32_t flags)
{
    SegmentCache *s = &env->segs[seg];
    s->selector = selector;
    s->base = (uint32_t)base;
    s->limit = limit;
    s->flags = flags;
    if (seg == R_CS && (env->hflags & HF_PE) && !(env->hflags & HF_VM86)) {
        env->hflags = (env->hflags & ~HF_CPL_MASK) | (selector & 3);
    }
    cpu_update_hflags(env);
}

void cpu_x86_load_seg_real(CPUX86State *env, int seg, uint16_t selector)
{
    SegmentCache *s = &env->segs[seg];
    if (env->eflags & VM_MASK) {
        /* v86: every segment is a 64K ring-3 data segment */
        cpu_x86_load_seg_cache(env, seg, selector, (uint32_t)selector << 4, 0xffff,
                               DESC_P_MASK | DESC_S_MASK | DESC_W_MASK | DESC_A_MASK |
                               (3 << DESC_DPL_SHIFT) | (seg == R_CS ? DESC_CS_MASK | DESC_R_MASK : 0));
    } else {
        /* real mode: only selector and base change (limits stay: "unreal" mode) */
        cpu_x86_load_seg_cache(env, seg, selector, (uint32_t)selector << 4, s->limit, s->flags);
    }
}

void helper_load_seg(CPUX86State *env, int seg, uint16_t sel)
{
    if (!pe_mode(env)) {
        cpu_x86_load_seg_real(env, seg, sel);
        return;
    }
    int cpl = cpu_cpl(env);
    if ((sel & ~3) == 0) {
        /* 64-bit mode allows a null SS at CPL < 3 (with RPL = CPL) */
        if (seg == R_SS && !((env->hflags & HF_CS64) && cpl != 3 && (sel & 3) == cpl)) {
            raise_exception_err(env, EXCP_GP, 0);
        }
        /* null selector: loads fine, faults on use */
        cpu_x86_load_seg_cache(env, seg, sel, 0, 0, 0);
        return;
    }
    uint32_t e1, e2;
    if (!seg_load_descriptor(env, sel, &e1, &e2)) {
        raise_exception_err(env, EXCP_GP, sel & 0xfffc);
    }
    if (!(e2 & DESC_S_MASK)) {
        raise_exception_err(env, EXCP_GP, sel & 0xfffc);
    }
    int rpl = sel & 3, dpl = (e2 >> DESC_DPL_SHIFT) & 3;
    if (seg == R_SS) {
        if (rpl != cpl || dpl != cpl || (e2 & DESC_CS_MASK) || !(e2 & DESC_W_MASK)) {
            raise_exception_err(env, EXCP_GP, sel & 0xfffc);
        }
        if (!(e2 & DESC_P_MASK)) {
            raise_exception_err(env, EXCP_SS, sel & 0xfffc);
        }
    } else {
        if ((e2 & DESC_CS_MASK) && !(e2 & DESC_R_MASK)) {
            raise_exception_err(env, EXCP_GP, sel & 0xfffc);
        }
        /* data and non-conforming code need DPL >= max(CPL, RPL) */
        if (!(e2 & DESC_CS_MASK) || !(e2 & DESC_C_MASK)) {
            if (dpl < cpl || dpl < rpl) {
                raise_exception_err(env, EXCP_GP, sel & 0xfffc);
            }
        }
        if (!(e2 & DESC_P_MASK)) {
            raise_exception_err(env, EXCP_NP, sel & 0xfffc);
        }
    }
    set_accessed(env, sel, &e2);
    seg_load_cache_from_desc(env, seg, sel, e1, e2);
}

/* ---- stack helpers for far transfers ---- */

typedef struct StackPtr {
    uint32_t base, mask, sp;
    int cpl;
} StackPtr;

static StackPtr stack_cur(CPUX86State *env)
{
    StackPtr s;
    s.base = (uint32_t)env->segs[R_SS].base;
    s.mask = (env->segs[R_SS].flags & DESC_B_MASK) ? 0xffffffffu : 0xffffu;
    s.sp = (uint32_t)env->regs[R_ESP];
    s.cpl = cpu_cpl(env);
    return s;
}

static void stack_push(CPUX86State *env, StackPtr *s, uint32_t v, unsigned size)
{
    s->sp -= size;
    cpu_st_priv(env, s->base + (s->sp & s->mask), v, size, s->cpl);
}

static uint32_t stack_pop(CPUX86State *env, StackPtr *s, unsigned size)
{
    uint32_t v = cpu_ld_priv(env, s->base + (s->sp & s->mask), size, s->cpl);
    s->sp += size;
    return v;
}

static void set_esp(CPUX86State *env, uint32_t sp, uint32_t mask)
{
    env->regs[R_ESP] = (env->regs[R_ESP] & ~(uint64_t)mask) | (sp & mask);
}

/* Check that [sp-len, sp) fits the stack segment described by (limit, flags). */
static void stack_limit_check(CPUX86State *env, uint32_t limit, uint32_t flags, uint32_t sp,
                              uint32_t len, int err)
{
    uint32_t mask = (flags & DESC_B_MASK) ? 0xffffffffu : 0xffffu;
    uint32_t lo = (sp - len) & mask;
    uint32_t hi = (sp - 1) & mask;
    bool ok;
    if (flags & DESC_E_MASK) {
        ok = lo > limit && hi > limit && lo <= hi;
    } else {
        ok = lo <= hi && hi <= limit;
    }
    if (!ok) {
        raise_exception_err(env, EXCP_SS, err);
    }
}

void seg_get_tss_stack(CPUX86State *env, int dpl, uint32_t *ss, uint32_t *esp)
{
    if (!(env->tr.flags & DESC_P_MASK)) {
        raise_exception_err(env, EXCP_TS, env->tr.selector & 0xfffc);
    }
    int type = (env->tr.flags >> DESC_TYPE_SHIFT) & 0xf;
    int shift = (type & 8) ? 1 : 0;            /* 32-bit TSS fields are twice as wide */
    uint32_t index = (dpl * 4 + 2) << shift;
    if (index + (4 << shift) - 1 > env->tr.limit) {
        raise_exception_err(env, EXCP_TS, env->tr.selector & 0xfffc);
    }
    uint32_t base = (uint32_t)env->tr.base;
    if (shift) {
        *esp = cpu_ldl_kernel(env, base + index);
        *ss = cpu_lduw_kernel(env, base + index + 4);
    } else {
        *esp = cpu_lduw_kernel(env, base + index);
        *ss = cpu_lduw_kernel(env, base + index + 2);
    }
}

/* Check a new inner stack segment for a privilege change to 'dpl'. */
static void check_inner_ss(CPUX86State *env, uint32_t ss, int dpl, int ext,
                           uint32_t *ss_e1, uint32_t *ss_e2)
{
    if ((ss & ~3) == 0) {
        raise_exception_err(env, EXCP_TS, ext);
    }
    if ((int)(ss & 3) != dpl) {
        raise_exception_err(env, EXCP_TS, (ss & 0xfffc) | ext);
    }
    if (!seg_load_descriptor(env, ss, ss_e1, ss_e2)) {
        raise_exception_err(env, EXCP_TS, (ss & 0xfffc) | ext);
    }
    int ss_dpl = (*ss_e2 >> DESC_DPL_SHIFT) & 3;
    if (ss_dpl != dpl || !(*ss_e2 & DESC_S_MASK) || (*ss_e2 & DESC_CS_MASK) ||
        !(*ss_e2 & DESC_W_MASK)) {
        raise_exception_err(env, EXCP_TS, (ss & 0xfffc) | ext);
    }
    if (!(*ss_e2 & DESC_P_MASK)) {
        raise_exception_err(env, EXCP_SS, (ss & 0xfffc) | ext);
    }
}

void seg_null_inaccessible(CPUX86State *env, int cpl)
{
    static const int segs[] = { R_ES, R_DS, R_FS, R_GS };
    for (size_t i = 0; i < 4; i++) {
        SegmentCache *s = &env->segs[segs[i]];
        if ((s->selector & ~3) == 0) {
            continue;
        }
        int dpl = (s->flags >> DESC_DPL_SHIFT) & 3;
        bool conforming_code = (s->flags & DESC_CS_MASK) && (s->flags & DESC_C_MASK);
        if (!conforming_code && dpl < cpl) {
            /* the selector becomes null and the segment unusable (P clear);
             * base and limit stay, which 64-bit code sees through FS/GS
             * (their bases are used without looking at the selector) */
            cpu_x86_load_seg_cache(env, segs[i], 0, s->base, s->limit, s->flags & ~DESC_P_MASK);
        }
    }
}

/* ---- far JMP / CALL / RET ---- */

/* Checks for a code segment target of JMP/CALL (not through a gate). */
static void check_code_target(CPUX86State *env, uint16_t sel, uint32_t e2, int cpl)
{
    int dpl = (e2 >> DESC_DPL_SHIFT) & 3, rpl = sel & 3;
    if (!(e2 & DESC_CS_MASK)) {
        raise_exception_err(env, EXCP_GP, sel & 0xfffc);
    }
    if (e2 & DESC_C_MASK) {
        if (dpl > cpl) {
            raise_exception_err(env, EXCP_GP, sel & 0xfffc);
        }
    } else if (rpl > cpl || dpl != cpl) {
        raise_exception_err(env, EXCP_GP, sel & 0xfffc);
    }
    if (!(e2 & DESC_P_MASK)) {
        raise_exception_err(env, EXCP_NP, sel & 0xfffc);
    }
}

/* Target code segment of a call gate. */
static void gate_target(CPUX86State *env, uint32_t ge1, uint32_t ge2, uint16_t *sel,
                        uint32_t *e1, uint32_t *e2)
{
    *sel = ge1 >> 16;
    if ((*sel & ~3) == 0) {
        raise_exception_err(env, EXCP_GP, 0);
    }
    if (!seg_load_descriptor(env, *sel, e1, e2)) {
        raise_exception_err(env, EXCP_GP, *sel & 0xfffc);
    }
    int dpl = (*e2 >> DESC_DPL_SHIFT) & 3;
    if (!(*e2 & DESC_S_MASK) || !(*e2 & DESC_CS_MASK) || dpl > cpu_cpl(env)) {
        raise_exception_err(env, EXCP_GP, *sel & 0xfffc);
    }
    if (!(*e2 & DESC_P_MASK)) {
        raise_exception_err(env, EXCP_NP, *sel & 0xfffc);
    }
}

/* Descriptor of a far JMP/CALL target; code segments are fully checked. */
static void far_target(CPUX86State *env, uint16_t sel, uint64_t off, int cpl,
                       uint32_t *e1, uint32_t *e2)
{
    if ((sel & ~3) == 0) {
        raise_exception_err(env, EXCP_GP, 0);
    }
    if (!seg_load_descriptor(env, sel, e1, e2)) {
        raise_exception_err(env, EXCP_GP, sel & 0xfffc);
    }
    if (*e2 & DESC_S_MASK) {
        check_code_target(env, sel, *e2, cpl);
        /*
         * From compatibility mode into a 64-bit code segment (SDM JMP,
         * "IA-32e mode"): L and D both set is #GP(selector); the offset is
         * checked for canonical form, never against the limit, which
         * 64-bit mode ignores (memtest86+ jumps with a limit of 0).
         */
        bool to64 = (env->hflags & HF_LMA) && (*e2 & DESC_L_MASK);
        if ((env->hflags & HF_LMA) && (*e2 & DESC_L_MASK) && (*e2 & DESC_B_MASK)) {
            raise_exception_err(env, EXCP_GP, sel & 0xfffc);
        }
        if (to64 ? !is_canonical_addr(off) : off > desc_limit(*e1, *e2)) {
            raise_exception_err(env, EXCP_GP, 0);
        }
    }
}

/* A TSS, task gate or call gate named by a far JMP/CALL: DPL and presence. */
static void check_gate_access(CPUX86State *env, uint16_t sel, uint32_t e2, int cpl)
{
    int dpl = (e2 >> DESC_DPL_SHIFT) & 3;
    if (dpl < cpl || dpl < (sel & 3)) {
        raise_exception_err(env, EXCP_GP, sel & 0xfffc);
    }
    if (!(e2 & DESC_P_MASK)) {
        raise_exception_err(env, EXCP_NP, sel & 0xfffc);
    }
}

void helper_ljmp(CPUX86State *env, uint16_t sel, uint64_t off, uint64_t next_eip)
{
    if (!pe_mode(env)) {
        cpu_x86_load_seg_real(env, R_CS, sel);
        env->eip = (uint32_t)off;
        return;
    }
    int cpl = cpu_cpl(env);
    uint32_t e1, e2;
    far_target(env, sel, off, cpl, &e1, &e2);
    if (e2 & DESC_S_MASK) {
        set_accessed(env, sel, &e2);
        seg_load_cache_from_desc(env, R_CS, (sel & 0xfffc) | cpl, e1, e2);
        env->eip = (env->hflags & HF_CS64) ? off : (uint32_t)off;
        return;
    }
    int type = (e2 >> DESC_TYPE_SHIFT) & 0xf;
    if (env->hflags & HF_LMA) {
        lm_ljmp_gate(env, sel, e1, e2);         /* call gates only: no task switches */
        return;
    }
    switch (type) {
    case 1: case 9: case 5:                    /* TSS or task gate */
        check_gate_access(env, sel, e2, cpl);
        seg_task_switch(env, sel, e1, e2, TS_JMP, (uint32_t)next_eip, -1, 0);
        return;
    case 4: case 12: {                         /* call gate */
        check_gate_access(env, sel, e2, cpl);
        uint16_t csel;
        uint32_t ce1, ce2;
        gate_target(env, e1, e2, &csel, &ce1, &ce2);
        int cdpl = (ce2 >> DESC_DPL_SHIFT) & 3;
        if (!(ce2 & DESC_C_MASK) && cdpl != cpl) {
            raise_exception_err(env, EXCP_GP, csel & 0xfffc);
        }
        uint32_t target = (e2 & 0xffff0000) | (e1 & 0xffff);
        if (type == 4) {
            target &= 0xffff;
        }
        if (target > desc_limit(ce1, ce2)) {
            raise_exception_err(env, EXCP_GP, 0);
        }
        set_accessed(env, csel, &ce2);
        seg_load_cache_from_desc(env, R_CS, (csel & 0xfffc) | cpl, ce1, ce2);
        env->eip = target;
        return;
    }
    default:
        raise_exception_err(env, EXCP_GP, sel & 0xfffc);
    }
}

void helper_lcall(CPUX86State *env, uint16_t sel, uint64_t off, int opsize_shift, uint64_t next_eip)
{
    if (env->hflags & HF_LMA) {
        lm_lcall(env, sel, off, opsize_shift, next_eip);
        return;
    }
    unsigned size = opsize_shift == 2 ? 4 : 2;
    if (!pe_mode(env)) {
        StackPtr sp = stack_cur(env);
        cpu_check_write(env, R_SS, (sp.sp - 2 * size) & sp.mask, 2 * size);
        stack_push(env, &sp, env->segs[R_CS].selector, size);
        stack_push(env, &sp, (uint32_t)next_eip, size);
        set_esp(env, sp.sp, sp.mask);
        cpu_x86_load_seg_real(env, R_CS, sel);
        env->eip = (uint32_t)off;
        return;
    }
    int cpl = cpu_cpl(env);
    uint32_t e1, e2;
    far_target(env, sel, off, cpl, &e1, &e2);
    if (e2 & DESC_S_MASK) {
        StackPtr sp = stack_cur(env);
        cpu_check_write(env, R_SS, (sp.sp - 2 * size) & sp.mask, 2 * size);
        stack_push(env, &sp, env->segs[R_CS].selector, size);
        stack_push(env, &sp, (uint32_t)next_eip, size);
        set_accessed(env, sel, &e2);
        set_esp(env, sp.sp, sp.mask);
        seg_load_cache_from_desc(env, R_CS, (sel & 0xfffc) | cpl, e1, e2);
        env->eip = (uint32_t)off;
        return;
    }
    int type = (e2 >> DESC_TYPE_SHIFT) & 0xf;
    switch (type) {
    case 1: case 9: case 5:
        check_gate_access(env, sel, e2, cpl);
        seg_task_switch(env, sel, e1, e2, TS_CALL, (uint32_t)next_eip, -1, 0);
        return;
    case 4: case 12:
        break;
    default:
        raise_exception_err(env, EXCP_GP, sel & 0xfffc);
    }
    check_gate_access(env, sel, e2, cpl);      /* call gate */
    uint16_t csel;
    uint32_t ce1, ce2;
    gate_target(env, e1, e2, &csel, &ce1, &ce2);
    unsigned gsize = type == 12 ? 4 : 2;
    uint32_t target = (e2 & 0xffff0000) | (e1 & 0xffff);
    if (type == 4) {
        target &= 0xffff;
    }
    int cdpl = (ce2 >> DESC_DPL_SHIFT) & 3;
    if (target > desc_limit(ce1, ce2)) {
        raise_exception_err(env, EXCP_GP, 0);
    }
    if (!(ce2 & DESC_C_MASK) && cdpl < cpl) {
        /* more privileged: switch to the inner stack from the TSS and copy parameters */
        uint32_t ss, esp, se1, se2;
        seg_get_tss_stack(env, cdpl, &ss, &esp);
        check_inner_ss(env, ss, cdpl, 0, &se1, &se2);
        int params = e2 & 0x1f;
        StackPtr old = stack_cur(env);
        uint32_t ss_limit = desc_limit(se1, se2);
        uint32_t need = (4 + params) * gsize;
        stack_limit_check(env, ss_limit, desc_flags(se2), esp, need, ss & 0xfffc);
        StackPtr nsp = { desc_base(se1, se2), (se2 & DESC_B_MASK) ? 0xffffffffu : 0xffffu, esp, cdpl };
        uint32_t pv[32];
        for (int i = 0; i < params; i++) {
            pv[i] = cpu_ld_priv(env, old.base + ((old.sp + i * gsize) & old.mask), gsize, cpl);
        }
        stack_push(env, &nsp, env->segs[R_SS].selector, gsize);
        stack_push(env, &nsp, old.sp, gsize);
        for (int i = params - 1; i >= 0; i--) {
            stack_push(env, &nsp, pv[i], gsize);
        }
        stack_push(env, &nsp, env->segs[R_CS].selector, gsize);
        stack_push(env, &nsp, (uint32_t)next_eip, gsize);
        set_accessed(env, ss, &se2);
        set_accessed(env, csel, &ce2);
        env->hflags = (env->hflags & ~HF_CPL_MASK) | cdpl;
        seg_load_cache_from_desc(env, R_SS, (ss & 0xfffc) | cdpl, se1, se2);
        set_esp(env, nsp.sp, nsp.mask);
        seg_load_cache_from_desc(env, R_CS, (csel & 0xfffc) | cdpl, ce1, ce2);
    } else {
        StackPtr sp = stack_cur(env);
        cpu_check_write(env, R_SS, (sp.sp - 2 * gsize) & sp.mask, 2 * gsize);
        stack_push(env, &sp, env->segs[R_CS].selector, gsize);
        stack_push(env, &sp, (uint32_t)next_eip, gsize);
        set_accessed(env, csel, &ce2);
        set_esp(env, sp.sp, sp.mask);
        seg_load_cache_from_desc(env, R_CS, (csel & 0xfffc) | cpl, ce1, ce2);
    }
    env->eip = target;
}

/* Common part of RETF and protected-mode IRET after CS:EIP(:EFLAGS) are popped. */
static void return_to(CPUX86State *env, StackPtr *sp, unsigned size, uint32_t new_eip,
                      uint16_t new_cs, int imm, bool is_iret, uint32_t new_eflags)
{
    int cpl = cpu_cpl(env);
    int rpl = new_cs & 3;
    if ((new_cs & ~3) == 0) {
        raise_exception_err(env, EXCP_GP, 0);
    }
    uint32_t e1, e2;
    if (!seg_load_descriptor(env, new_cs, &e1, &e2)) {
        raise_exception_err(env, EXCP_GP, new_cs & 0xfffc);
    }
    if (!(e2 & DESC_S_MASK) || !(e2 & DESC_CS_MASK) || rpl < cpl) {
        raise_exception_err(env, EXCP_GP, new_cs & 0xfffc);
    }
    int dpl = (e2 >> DESC_DPL_SHIFT) & 3;
    if ((e2 & DESC_C_MASK) ? dpl > rpl : dpl != rpl) {
        raise_exception_err(env, EXCP_GP, new_cs & 0xfffc);
    }
    if (!(e2 & DESC_P_MASK)) {
        raise_exception_err(env, EXCP_NP, new_cs & 0xfffc);
    }
    if (new_eip > desc_limit(e1, e2)) {
        raise_exception_err(env, EXCP_GP, 0);
    }
    sp->sp += imm;
    uint32_t eflags_mask = TF_MASK | AC_MASK | ID_MASK | RF_MASK | NT_MASK | CC_MASK | DF_MASK;
    if (cpl <= (int)((env->eflags & IOPL_MASK) >> IOPL_SHIFT)) {
        eflags_mask |= IF_MASK;
    }
    if (cpl == 0) {
        eflags_mask |= IOPL_MASK | VIF_MASK | VIP_MASK;
    }
    if (size == 2) {
        eflags_mask &= 0xffff;
    }
    if (rpl == cpl) {
        set_accessed(env, new_cs, &e2);
        seg_load_cache_from_desc(env, R_CS, new_cs, e1, e2);
        set_esp(env, sp->sp, sp->mask);
    } else {
        /* return to an outer level: pop the outer stack too */
        uint32_t new_esp = stack_pop(env, sp, size);
        uint16_t new_ss = stack_pop(env, sp, size);
        uint32_t se1, se2;
        if ((new_ss & ~3) == 0) {
            raise_exception_err(env, EXCP_GP, 0);
        }
        if ((new_ss & 3) != rpl || !seg_load_descriptor(env, new_ss, &se1, &se2)) {
            raise_exception_err(env, EXCP_GP, new_ss & 0xfffc);
        }
        if (!(se2 & DESC_S_MASK) || (se2 & DESC_CS_MASK) || !(se2 & DESC_W_MASK) ||
            (int)((se2 >> DESC_DPL_SHIFT) & 3) != rpl) {
            raise_exception_err(env, EXCP_GP, new_ss & 0xfffc);
        }
        if (!(se2 & DESC_P_MASK)) {
            raise_exception_err(env, EXCP_SS, new_ss & 0xfffc);
        }
        if (!is_iret) {
            new_esp += imm;
        }
        set_accessed(env, new_cs, &e2);
        set_accessed(env, new_ss, &se2);
        seg_load_cache_from_desc(env, R_CS, new_cs, e1, e2);
        seg_load_cache_from_desc(env, R_SS, new_ss, se1, se2);
        set_esp(env, new_esp, (se2 & DESC_B_MASK) ? 0xffffffffu : 0xffffu);
        seg_null_inaccessible(env, rpl);
    }
    env->eip = new_eip;
    if (is_iret) {
        cpu_load_eflags(env, new_eflags, eflags_mask);
        cpu_update_hflags(env);
    }
}

void helper_lret(CPUX86State *env, int opsize_shift, int imm16)
{
    if (env->hflags & HF_LMA) {
        lm_lret(env, opsize_shift, imm16);
        return;
    }
    unsigned size = opsize_shift == 2 ? 4 : 2;
    StackPtr sp = stack_cur(env);
    uint32_t new_eip = stack_pop(env, &sp, size);
    uint16_t new_cs = stack_pop(env, &sp, size);
    if (!pe_mode(env)) {
        sp.sp += imm16;
        set_esp(env, sp.sp, sp.mask);
        cpu_x86_load_seg_real(env, R_CS, new_cs);
        env->eip = new_eip;
        return;
    }
    return_to(env, &sp, size, new_eip, new_cs, imm16, false, 0);
}

void helper_iret(CPUX86State *env, int opsize_shift, uint64_t next_eip)
{
    unsigned size = opsize_shift == 2 ? 4 : 2;
    /* any IRET ends NMI blocking, even one that later faults (SDM 6.7.1) */
    env->hflags &= ~HF_NMI_MASK;
    if (!(env->hflags & HF_PE)) {
        StackPtr sp = stack_cur(env);
        uint32_t new_eip = stack_pop(env, &sp, size);
        uint16_t new_cs = stack_pop(env, &sp, size);
        uint32_t new_fl = stack_pop(env, &sp, size);
        uint32_t mask = TF_MASK | IF_MASK | IOPL_MASK | NT_MASK | CC_MASK | DF_MASK;
        if (size == 4) {
            mask |= AC_MASK | ID_MASK | RF_MASK;
        }
        set_esp(env, sp.sp, sp.mask);
        cpu_x86_load_seg_real(env, R_CS, new_cs);
        env->eip = new_eip;
        cpu_load_eflags(env, new_fl, mask);
        cpu_update_hflags(env);
        return;
    }
    if (env->hflags & HF_VM86) {
        if (((env->eflags & IOPL_MASK) >> IOPL_SHIFT) != 3) {
            raise_exception_err(env, EXCP_GP, 0);
        }
        StackPtr sp = stack_cur(env);
        uint32_t new_eip = stack_pop(env, &sp, size);
        uint16_t new_cs = stack_pop(env, &sp, size);
        uint32_t new_fl = stack_pop(env, &sp, size);
        uint32_t mask = TF_MASK | IF_MASK | NT_MASK | CC_MASK | DF_MASK;
        if (size == 4) {
            mask |= AC_MASK | ID_MASK | RF_MASK;
        }
        set_esp(env, sp.sp, sp.mask);
        cpu_x86_load_seg_real(env, R_CS, new_cs);
        env->eip = new_eip;
        cpu_load_eflags(env, new_fl, mask);
        return;
    }
    if (env->hflags & HF_LMA) {
        lm_iret(env, opsize_shift);
        return;
    }
    if (env->eflags & NT_MASK) {
        /* return from a nested task through the back link */
        uint16_t link = cpu_lduw_kernel(env, (uint32_t)env->tr.base);
        uint32_t e1, e2;
        if ((link & 4) || !seg_load_descriptor(env, link, &e1, &e2)) {
            raise_exception_err(env, EXCP_TS, link & 0xfffc);
        }
        int type = (e2 >> DESC_TYPE_SHIFT) & 0x1f;
        if (type != 0x3 && type != 0xb) {        /* must be a busy TSS */
            raise_exception_err(env, EXCP_TS, link & 0xfffc);
        }
        if (!(e2 & DESC_P_MASK)) {
            raise_exception_err(env, EXCP_NP, link & 0xfffc);
        }
        seg_task_switch(env, link, e1, e2, TS_IRET, (uint32_t)next_eip, -1, 0);
        return;
    }
    StackPtr sp = stack_cur(env);
    uint32_t new_eip = stack_pop(env, &sp, size);
    uint16_t new_cs = stack_pop(env, &sp, size);
    uint32_t new_fl = stack_pop(env, &sp, size);
    if (size == 4 && (new_fl & VM_MASK) && cpu_cpl(env) == 0) {
        /* return to virtual-8086 mode */
        uint32_t new_esp = stack_pop(env, &sp, 4);
        uint16_t new_ss = stack_pop(env, &sp, 4);
        uint16_t es = stack_pop(env, &sp, 4), ds = stack_pop(env, &sp, 4);
        uint16_t fs = stack_pop(env, &sp, 4), gs = stack_pop(env, &sp, 4);
        cpu_load_eflags(env, new_fl, (0xffffffffu & ~(VIF_MASK | VIP_MASK)) | VM_MASK);
        env->eflags |= VM_MASK;
        env->hflags = (env->hflags & ~HF_CPL_MASK) | 3;
        cpu_update_hflags(env);
        cpu_x86_load_seg_real(env, R_CS, new_cs);
        cpu_x86_load_seg_real(env, R_SS, new_ss);
        cpu_x86_load_seg_real(env, R_ES, es);
        cpu_x86_load_seg_real(env, R_DS, ds);
        cpu_x86_load_seg_real(env, R_FS, fs);
        cpu_x86_load_seg_real(env, R_GS, gs);
        env->regs[R_ESP] = new_esp;
        env->eip = new_eip & 0xffff;
        return;
    }
    return_to(env, &sp, size, new_eip, new_cs, 0, true, new_fl);
}

/* ---- task switching (SDM 7.3) ---- */

void seg_task_switch(CPUX86State *env, uint16_t tss_sel, uint32_t e1, uint32_t e2, int source,
                     uint32_t next_eip, int error_code, int ext)
{
    int type = (e2 >> DESC_TYPE_SHIFT) & 0xf;
    if (type == 5) {
        /* task gate: the TSS selector is in the gate */
        tss_sel = e1 >> 16;
        if (tss_sel & 4) {
            raise_exception_err(env, EXCP_GP, (tss_sel & 0xfffc) | ext);
        }
        if (!seg_load_descriptor(env, tss_sel, &e1, &e2)) {
            raise_exception_err(env, EXCP_GP, (tss_sel & 0xfffc) | ext);
        }
        type = (e2 >> DESC_TYPE_SHIFT) & 0xf;
        if (e2 & DESC_S_MASK || (type != 1 && type != 9)) {
            raise_exception_err(env, EXCP_GP, (tss_sel & 0xfffc) | ext);
        }
        if (!(e2 & DESC_P_MASK)) {
            raise_exception_err(env, EXCP_NP, (tss_sel & 0xfffc) | ext);
        }
    }
    if (source != TS_IRET && (type & 2)) {
        raise_exception_err(env, EXCP_GP, (tss_sel & 0xfffc) | ext);   /* busy */
    }
    bool new32 = type & 8;
    uint32_t tss_limit = desc_limit(e1, e2), tss_base = desc_base(e1, e2);
    if (tss_limit < (new32 ? 0x67u : 0x2bu)) {
        raise_exception_err(env, EXCP_TS, (tss_sel & 0xfffc) | ext);
    }
    vlog(LOG_PCALL, "task switch to %04x (source %d)\n", tss_sel, source);

    /* read the new task's state */
    uint32_t ncr3 = 0, neip, nefl, nregs[8];
    uint16_t nsegs[6], nldt;
    if (new32) {
        ncr3 = cpu_ldl_kernel(env, tss_base + 0x1c);
        neip = cpu_ldl_kernel(env, tss_base + 0x20);
        nefl = cpu_ldl_kernel(env, tss_base + 0x24);
        for (int i = 0; i < 8; i++) {
            nregs[i] = cpu_ldl_kernel(env, tss_base + 0x28 + i * 4);
        }
        for (int i = 0; i < 6; i++) {
            nsegs[i] = cpu_lduw_kernel(env, tss_base + 0x48 + i * 4);
        }
        nldt = cpu_lduw_kernel(env, tss_base + 0x60);
    } else {
        neip = cpu_lduw_kernel(env, tss_base + 0x0e);
        nefl = cpu_lduw_kernel(env, tss_base + 0x10);
        for (int i = 0; i < 8; i++) {
            nregs[i] = cpu_lduw_kernel(env, tss_base + 0x12 + i * 2) | 0xffff0000u;
        }
        for (int i = 0; i < 4; i++) {
            nsegs[i] = cpu_lduw_kernel(env, tss_base + 0x22 + i * 2);
        }
        nsegs[R_FS] = nsegs[R_GS] = 0;
        nldt = cpu_lduw_kernel(env, tss_base + 0x2a);
    }

    /* save the current state into the old TSS */
    uint32_t old_base = (uint32_t)env->tr.base;
    bool old32 = ((env->tr.flags >> DESC_TYPE_SHIFT) & 8) != 0;
    uint32_t oefl = cpu_compute_eflags(env);
    if (source == TS_JMP || source == TS_IRET) {
        oefl &= ~NT_MASK;
    }
    if (old32) {
        cpu_stl_kernel(env, old_base + 0x20, next_eip);
        cpu_stl_kernel(env, old_base + 0x24, oefl);
        for (int i = 0; i < 8; i++) {
            cpu_stl_kernel(env, old_base + 0x28 + i * 4, (uint32_t)env->regs[i]);
        }
        for (int i = 0; i < 6; i++) {
            cpu_stw_kernel(env, old_base + 0x48 + i * 4, env->segs[i].selector);
        }
    } else {
        cpu_stw_kernel(env, old_base + 0x0e, next_eip);
        cpu_stw_kernel(env, old_base + 0x10, oefl);
        for (int i = 0; i < 8; i++) {
            cpu_stw_kernel(env, old_base + 0x12 + i * 2, (uint16_t)env->regs[i]);
        }
        for (int i = 0; i < 4; i++) {
            cpu_stw_kernel(env, old_base + 0x22 + i * 2, env->segs[i].selector);
        }
    }

    /* busy bits */
    if (source == TS_JMP || source == TS_IRET) {
        uint32_t oe1, oe2;
        if (seg_load_descriptor(env, env->tr.selector, &oe1, &oe2)) {
            cpu_stl_kernel(env, (uint32_t)env->gdt.base + (env->tr.selector & ~7) + 4,
                           oe2 & ~(2 << DESC_TYPE_SHIFT));
        }
    }
    if (source == TS_CALL) {
        cpu_stw_kernel(env, tss_base, env->tr.selector);
        nefl |= NT_MASK;
    }
    if (source != TS_IRET) {
        e2 |= 2 << DESC_TYPE_SHIFT;
        cpu_stl_kernel(env, (uint32_t)env->gdt.base + (tss_sel & ~7) + 4, e2);
    }

    /* load the new task: from here on, faults happen in the new task */
    env->cr[0] |= CR0_TS;
    env->tr.selector = tss_sel;
    env->tr.base = tss_base;
    env->tr.limit = tss_limit;
    env->tr.flags = desc_flags(e2);
    if (new32 && (env->cr[0] & CR0_PG)) {
        env->cr[3] = ncr3;
        tlb_flush_nonglobal(env);
    }
    for (int i = 0; i < 8; i++) {
        env->regs[i] = new32 ? nregs[i] : ((env->regs[i] & 0xffff0000u) | (nregs[i] & 0xffff));
    }
    env->eip = neip;
    cpu_load_eflags(env, nefl, 0xffffffffu & ~(VIF_MASK | VIP_MASK));
    if (!new32) {
        env->eflags &= 0xffff;
    }
    /* selectors first (so a fault shows the new task's values), then checks */
    for (int i = 0; i < 6; i++) {
        env->segs[i].selector = nsegs[i];
    }
    if (env->eflags & VM_MASK) {
        env->hflags = (env->hflags & ~HF_CPL_MASK) | 3;
        cpu_update_hflags(env);
        for (int i = 0; i < 6; i++) {
            cpu_x86_load_seg_real(env, i, nsegs[i]);
        }
    } else {
        env->hflags = (env->hflags & ~HF_CPL_MASK) | (nsegs[R_CS] & 3);
        cpu_update_hflags(env);
    }

    /* LDT */
    if ((nldt & ~3) == 0) {
        env->ldt.selector = nldt;
        env->ldt.base = 0;
        env->ldt.limit = 0;
        env->ldt.flags = 0;
    } else {
        uint32_t l1, l2;
        if ((nldt & 4) || !seg_load_descriptor(env, nldt & ~4, &l1, &l2)) {
            raise_exception_err(env, EXCP_TS, nldt & 0xfffc);
        }
        if ((l2 & DESC_S_MASK) || ((l2 >> DESC_TYPE_SHIFT) & 0xf) != 2) {
            raise_exception_err(env, EXCP_TS, nldt & 0xfffc);
        }
        if (!(l2 & DESC_P_MASK)) {
            raise_exception_err(env, EXCP_TS, nldt & 0xfffc);
        }
        env->ldt.selector = nldt;
        env->ldt.base = desc_base(l1, l2);
        env->ldt.limit = desc_limit(l1, l2);
        env->ldt.flags = desc_flags(l2);
    }

    if (!(env->eflags & VM_MASK)) {
        int cpl = nsegs[R_CS] & 3;
        /* CS */
        uint16_t cs = nsegs[R_CS];
        uint32_t c1, c2;
        if ((cs & ~3) == 0 || !seg_load_descriptor(env, cs, &c1, &c2) ||
            !(c2 & DESC_S_MASK) || !(c2 & DESC_CS_MASK)) {
            raise_exception_err(env, EXCP_TS, cs & 0xfffc);
        }
        int cdpl = (c2 >> DESC_DPL_SHIFT) & 3;
        if ((c2 & DESC_C_MASK) ? cdpl > cpl : cdpl != cpl) {
            raise_exception_err(env, EXCP_TS, cs & 0xfffc);
        }
        if (!(c2 & DESC_P_MASK)) {
            raise_exception_err(env, EXCP_NP, cs & 0xfffc);
        }
        /* SS */
        uint16_t ss = nsegs[R_SS];
        uint32_t s1, s2;
        if ((ss & ~3) == 0 || (ss & 3) != cpl || !seg_load_descriptor(env, ss, &s1, &s2) ||
            !(s2 & DESC_S_MASK) || (s2 & DESC_CS_MASK) || !(s2 & DESC_W_MASK) ||
            (int)((s2 >> DESC_DPL_SHIFT) & 3) != cpl) {
            raise_exception_err(env, EXCP_TS, ss & 0xfffc);
        }
        if (!(s2 & DESC_P_MASK)) {
            raise_exception_err(env, EXCP_SS, ss & 0xfffc);
        }
        set_accessed(env, cs, &c2);
        seg_load_cache_from_desc(env, R_CS, cs, c1, c2);
        set_accessed(env, ss, &s2);
        seg_load_cache_from_desc(env, R_SS, ss, s1, s2);
        /* data segments */
        static const int data_segs[] = { R_ES, R_DS, R_FS, R_GS };
        for (int k = 0; k < 4; k++) {
            int sg = data_segs[k];
            uint16_t sel = nsegs[sg];
            if ((sel & ~3) == 0) {
                cpu_x86_load_seg_cache(env, sg, sel, 0, 0, 0);
                continue;
            }
            uint32_t d1, d2;
            if (!seg_load_descriptor(env, sel, &d1, &d2) || !(d2 & DESC_S_MASK) ||
                ((d2 & DESC_CS_MASK) && !(d2 & DESC_R_MASK))) {
                raise_exception_err(env, EXCP_TS, sel & 0xfffc);
            }
            int ddpl = (d2 >> DESC_DPL_SHIFT) & 3;
            if ((!(d2 & DESC_CS_MASK) || !(d2 & DESC_C_MASK)) && (ddpl < cpl || ddpl < (sel & 3))) {
                raise_exception_err(env, EXCP_TS, sel & 0xfffc);
            }
            if (!(d2 & DESC_P_MASK)) {
                raise_exception_err(env, EXCP_NP, sel & 0xfffc);
            }
            set_accessed(env, sel, &d2);
            seg_load_cache_from_desc(env, sg, sel, d1, d2);
        }
    }

    if (error_code >= 0) {
        StackPtr sp = stack_cur(env);
        stack_push(env, &sp, error_code, new32 ? 4 : 2);
        set_esp(env, sp.sp, sp.mask);
    }
    if (env->eip > env->segs[R_CS].limit) {
        raise_exception_err(env, EXCP_GP, 0);
    }
}

/* ---- LLDT / LTR / LAR / LSL / VERR / VERW ---- */

void helper_lldt(CPUX86State *env, uint16_t sel)
{
    if ((sel & ~3) == 0) {
        env->ldt.selector = sel;
        env->ldt.base = 0;
        env->ldt.limit = 0;
        env->ldt.flags = 0;
        return;
    }
    uint32_t e1, e2;
    if ((sel & 4) || !seg_load_descriptor(env, sel, &e1, &e2)) {
        raise_exception_err(env, EXCP_GP, sel & 0xfffc);
    }
    if ((e2 & DESC_S_MASK) || ((e2 >> DESC_TYPE_SHIFT) & 0xf) != 2) {
        raise_exception_err(env, EXCP_GP, sel & 0xfffc);
    }
    if (!(e2 & DESC_P_MASK)) {
        raise_exception_err(env, EXCP_NP, sel & 0xfffc);
    }
    uint64_t base = desc_base(e1, e2);
    if (env->hflags & HF_LMA) {
        base |= (uint64_t)lm_sysdesc_base_hi(env, sel) << 32;
        if (!is_canonical_addr(base)) {
            raise_exception_err(env, EXCP_GP, sel & 0xfffc);    /* as the LA57 checks */
        }
    }
    env->ldt.selector = sel;
    env->ldt.base = base;
    env->ldt.limit = desc_limit(e1, e2);
    env->ldt.flags = desc_flags(e2);
}

void helper_ltr(CPUX86State *env, uint16_t sel)
{
    if ((sel & ~3) == 0) {
        raise_exception_err(env, EXCP_GP, 0);
    }
    uint32_t e1, e2;
    if ((sel & 4) || !seg_load_descriptor(env, sel, &e1, &e2)) {
        raise_exception_err(env, EXCP_GP, sel & 0xfffc);
    }
    int type = (e2 >> DESC_TYPE_SHIFT) & 0xf;
    if ((e2 & DESC_S_MASK) || (type != 1 && type != 9)) {
        raise_exception_err(env, EXCP_GP, sel & 0xfffc);
    }
    if (!(e2 & DESC_P_MASK)) {
        raise_exception_err(env, EXCP_NP, sel & 0xfffc);
    }
    uint64_t hi = 0;
    if (env->hflags & HF_LMA) {
        if (type != 9) {
            raise_exception_err(env, EXCP_GP, sel & 0xfffc);   /* 64-bit TSS only */
        }
        hi = (uint64_t)lm_sysdesc_base_hi(env, sel) << 32;
        if (!is_canonical_addr(desc_base(e1, e2) | hi)) {
            raise_exception_err(env, EXCP_GP, sel & 0xfffc);
        }
    }
    e2 |= 2 << DESC_TYPE_SHIFT;                    /* mark busy */
    cpu_stl_kernel(env, env->gdt.base + (sel & ~7) + 4, e2);
    env->tr.selector = sel;
    env->tr.base = desc_base(e1, e2) | hi;
    env->tr.limit = desc_limit(e1, e2);
    env->tr.flags = desc_flags(e2);
}

static void set_zf(CPUX86State *env, bool z)
{
    /* CPU-A materialises the lazy flags before calling us */
    if (z) {
        env->eflags |= CC_Z;
    } else {
        env->eflags &= ~CC_Z;
    }
}

/* Common visibility rule of LAR/LSL/VERR/VERW for code/data descriptors. */
static bool visible(CPUX86State *env, uint16_t sel, uint32_t e2)
{
    int dpl = (e2 >> DESC_DPL_SHIFT) & 3;
    bool conforming = (e2 & DESC_CS_MASK) && (e2 & DESC_C_MASK);
    return conforming || (dpl >= cpu_cpl(env) && dpl >= (sel & 3));
}

uint32_t helper_lar(CPUX86State *env, uint16_t sel)
{
    uint32_t e1, e2;
    if ((sel & ~3) == 0 || !seg_load_descriptor(env, sel, &e1, &e2)) {
        set_zf(env, false);
        return 0;
    }
    if (!(e2 & DESC_S_MASK)) {
        int type = (e2 >> DESC_TYPE_SHIFT) & 0xf;
        static const bool ok[16] = { [1] = 1, [2] = 1, [3] = 1, [4] = 1, [5] = 1, [9] = 1, [11] = 1, [12] = 1 };
        int dpl = (e2 >> DESC_DPL_SHIFT) & 3;
        if (!ok[type] || dpl < cpu_cpl(env) || dpl < (sel & 3)) {
            set_zf(env, false);
            return 0;
        }
    } else if (!visible(env, sel, e2)) {
        set_zf(env, false);
        return 0;
    }
    set_zf(env, true);
    return e2 & 0x00f0ff00;
}

uint32_t helper_lsl(CPUX86State *env, uint16_t sel)
{
    uint32_t e1, e2;
    if ((sel & ~3) == 0 || !seg_load_descriptor(env, sel, &e1, &e2)) {
        set_zf(env, false);
        return 0;
    }
    if (!(e2 & DESC_S_MASK)) {
        int type = (e2 >> DESC_TYPE_SHIFT) & 0xf;
        static const bool ok[16] = { [1] = 1, [2] = 1, [3] = 1, [9] = 1, [11] = 1 };
        int dpl = (e2 >> DESC_DPL_SHIFT) & 3;
        if (!ok[type] || dpl < cpu_cpl(env) || dpl < (sel & 3)) {
            set_zf(env, false);
            return 0;
        }
    } else if (!visible(env, sel, e2)) {
        set_zf(env, false);
        return 0;
    }
    set_zf(env, true);
    return desc_limit(e1, e2);
}

void helper_verr(CPUX86State *env, uint16_t sel)
{
    uint32_t e1, e2;
    bool ok = (sel & ~3) && seg_load_descriptor(env, sel, &e1, &e2) && (e2 & DESC_S_MASK) &&
              (!(e2 & DESC_CS_MASK) || (e2 & DESC_R_MASK)) && visible(env, sel, e2);
    set_zf(env, ok);
}

void helper_verw(CPUX86State *env, uint16_t sel)
{
    uint32_t e1, e2;
    bool ok = (sel & ~3) && seg_load_descriptor(env, sel, &e1, &e2) && (e2 & DESC_S_MASK) &&
              !(e2 & DESC_CS_MASK) && (e2 & DESC_W_MASK) && visible(env, sel, e2);
    set_zf(env, ok);
}

void helper_enter_level(CPUX86State *env, int level, int data32, uint64_t t1)
{
    /* ENTER's nesting is done by the instruction layer (ops_mov.c) */
    (void)env; (void)level; (void)data32; (void)t1;
}

void helper_check_io(CPUX86State *env, uint16_t port, int size)
{
    if (!(env->hflags & HF_PE)) {
        return;
    }
    int iopl = (env->eflags & IOPL_MASK) >> IOPL_SHIFT;
    if (!(env->hflags & HF_VM86) && cpu_cpl(env) <= iopl) {
        return;
    }
    /* consult the I/O permission bitmap of a 32-bit TSS */
    int type = (env->tr.flags >> DESC_TYPE_SHIFT) & 0xf;
    /* TR holds a 32-bit TSS, normally busy (type 11); a 16-bit TSS has no bitmap */
    if (!(env->tr.flags & DESC_P_MASK) || (type != 9 && type != 11) || env->tr.limit < 0x67) {
        raise_exception_err(env, EXCP_GP, 0);
    }
    uint32_t io_base = cpu_lduw_kernel(env, (uint32_t)env->tr.base + 0x66);
    uint32_t off = io_base + (port >> 3);
    if (off + 1 > env->tr.limit) {
        raise_exception_err(env, EXCP_GP, 0);
    }
    uint16_t bits = cpu_lduw_kernel(env, (uint32_t)env->tr.base + off);
    if ((bits >> (port & 7)) & ((1 << size) - 1)) {
        raise_exception_err(env, EXCP_GP, 0);
    }
}
