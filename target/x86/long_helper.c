/*
 * Long mode (IA-32e) system operations (Intel SDM vol. 3, 5.8.8, 6.14,
 * 7.7 and vol. 2 for SYSCALL/SYSRET/SYSENTER/SYSEXIT/SWAPGS/IRET):
 * 64-bit IDT delivery with the 64-bit TSS stacks and IST, IRET and far
 * RET while EFER.LMA=1, the fast system-call instructions and SWAPGS.
 */
#include "target/x86/seg.h"
#include "util/log.h"

/* flat segments the fast system calls load (SDM: fixed values, not read
 * from the descriptor table) */
#define FLAT_CODE (DESC_P_MASK | DESC_S_MASK | DESC_CS_MASK | DESC_R_MASK | DESC_A_MASK | \
                   DESC_G_MASK)
#define FLAT_DATA (DESC_P_MASK | DESC_S_MASK | DESC_W_MASK | DESC_A_MASK | DESC_G_MASK | \
                   DESC_B_MASK)

static void load_flat(CPUX86State *env, int seg, uint16_t sel, uint32_t flags)
{
    cpu_x86_load_seg_cache(env, seg, sel, 0, 0xffffffff, flags);
}

static void set_cpl(CPUX86State *env, int cpl)
{
    env->hflags = (env->hflags & ~HF_CPL_MASK) | cpl;
}

static void mark_accessed(CPUX86State *env, uint16_t sel, uint32_t *e2)
{
    if (!(*e2 & DESC_A_MASK)) {
        *e2 |= DESC_A_MASK;
        uint64_t base = (sel & 4) ? env->ldt.base : env->gdt.base;
        cpu_stl_kernel(env, base + (sel & ~7) + 4, *e2);
    }
}

uint32_t lm_sysdesc_base_hi(CPUX86State *env, uint16_t sel)
{
    uint64_t base = env->gdt.base;
    uint32_t idx = sel & ~7;
    if (idx + 15 > env->gdt.limit) {
        raise_exception_err(env, EXCP_GP, sel & 0xfffc);
    }
    uint32_t hi = cpu_ldl_kernel(env, base + idx + 8);
    uint32_t type = (cpu_ldl_kernel(env, base + idx + 12) >> 8) & 0x1f;
    if (type != 0) {
        raise_exception_err(env, EXCP_GP, sel & 0xfffc);     /* upper half must be type 0 */
    }
    return hi;
}

/* ---- interrupts and exceptions through the 64-bit IDT ---- */

static uint64_t tss64_stack(CPUX86State *env, unsigned off, int ext)
{
    if (!(env->tr.flags & DESC_P_MASK) || off + 7 > env->tr.limit) {
        raise_exception_err(env, EXCP_TS, (env->tr.selector & 0xfffc) + ext);
    }
    return cpu_ldq_kernel(env, env->tr.base + off);
}

void lm_do_interrupt(CPUX86State *env, int vector, int is_int, int error_code,
                     uint64_t ret_rip, int ext, bool push_err)
{
    uint32_t idx = vector * 16;
    int errv = vector * 8 + 2 + ext;
    if (idx + 15 > env->idt.limit) {
        raise_exception_err(env, EXCP_GP, errv);
    }
    uint64_t gate = env->idt.base + idx;
    uint32_t e1 = cpu_ldl_kernel(env, gate);
    uint32_t e2 = cpu_ldl_kernel(env, gate + 4);
    uint32_t e3 = cpu_ldl_kernel(env, gate + 8);
    int type = (e2 >> DESC_TYPE_SHIFT) & 0x1f;
    if (type != 14 && type != 15) {
        raise_exception_err(env, EXCP_GP, errv);    /* only 64-bit interrupt/trap gates */
    }
    int dpl = (e2 >> DESC_DPL_SHIFT) & 3;
    int cpl = cpu_cpl(env);
    if (is_int && dpl < cpl) {
        raise_exception_err(env, EXCP_GP, vector * 8 + 2);
    }
    if (!(e2 & DESC_P_MASK)) {
        raise_exception_err(env, EXCP_NP, errv);
    }
    uint16_t sel = e1 >> 16;
    uint64_t target = ((uint64_t)e3 << 32) | (e2 & 0xffff0000) | (e1 & 0xffff);
    int ist = e2 & 7;
    if ((sel & ~3) == 0) {
        raise_exception_err(env, EXCP_GP, ext);
    }
    uint32_t c1, c2;
    if (!seg_load_descriptor(env, sel, &c1, &c2)) {
        raise_exception_err(env, EXCP_GP, (sel & 0xfffc) + ext);
    }
    int cdpl = (c2 >> DESC_DPL_SHIFT) & 3;
    if (!(c2 & DESC_S_MASK) || !(c2 & DESC_CS_MASK) || cdpl > cpl ||
        !(c2 & DESC_L_MASK) || (c2 & DESC_B_MASK)) {
        raise_exception_err(env, EXCP_GP, (sel & 0xfffc) + ext);
    }
    if (!(c2 & DESC_P_MASK)) {
        raise_exception_err(env, EXCP_NP, (sel & 0xfffc) + ext);
    }
    if (!is_canonical_addr(target)) {
        raise_exception_err(env, EXCP_GP, ext);
    }
    int new_cpl = (c2 & DESC_C_MASK) ? cpl : cdpl;
    uint64_t rsp;
    if (ist) {
        rsp = tss64_stack(env, 0x24 + (ist - 1) * 8, ext);
    } else if (new_cpl < cpl) {
        rsp = tss64_stack(env, 4 + new_cpl * 8, ext);
    } else {
        rsp = env->regs[R_ESP];
    }
    rsp &= ~0xfull;                 /* the frame is 16-byte aligned */
    uint32_t old_eflags = cpu_compute_eflags(env);
    uint64_t sp = rsp;
#define PUSHQ(v) do { sp -= 8; cpu_st_priv64(env, sp, (v), 8, new_cpl); } while (0)
    PUSHQ(env->segs[R_SS].selector);
    PUSHQ(env->regs[R_ESP]);
    PUSHQ(old_eflags);
    PUSHQ(env->segs[R_CS].selector);
    PUSHQ(ret_rip);
    if (push_err) {
        PUSHQ((uint32_t)error_code);
    }
#undef PUSHQ
    if (new_cpl != cpl) {
        /* SS becomes a null selector carrying the new CPL */
        set_cpl(env, new_cpl);
        cpu_x86_load_seg_cache(env, R_SS, new_cpl, 0, 0, 0);
    }
    env->regs[R_ESP] = sp;
    mark_accessed(env, sel, &c2);
    set_cpl(env, new_cpl);
    seg_load_cache_from_desc(env, R_CS, (sel & 0xfffc) | new_cpl, c1, c2);
    env->eip = target;
    env->eflags &= ~(TF_MASK | VM_MASK | RF_MASK | NT_MASK);
    if (!(type & 1)) {
        env->eflags &= ~IF_MASK;
    }
    cpu_update_hflags(env);
}

/* ---- IRET / far RET with EFER.LMA=1 ---- */

/* Check the code segment of a return to new_cs; returns its descriptor. */
static void check_return_cs(CPUX86State *env, uint16_t new_cs, uint32_t *e1, uint32_t *e2)
{
    int cpl = cpu_cpl(env), rpl = new_cs & 3;
    if ((new_cs & ~3) == 0) {
        raise_exception_err(env, EXCP_GP, 0);
    }
    if (!seg_load_descriptor(env, new_cs, e1, e2)) {
        raise_exception_err(env, EXCP_GP, new_cs & 0xfffc);
    }
    if (!(*e2 & DESC_S_MASK) || !(*e2 & DESC_CS_MASK) || rpl < cpl ||
        ((*e2 & DESC_L_MASK) && (*e2 & DESC_B_MASK))) {
        raise_exception_err(env, EXCP_GP, new_cs & 0xfffc);
    }
    int dpl = (*e2 >> DESC_DPL_SHIFT) & 3;
    if ((*e2 & DESC_C_MASK) ? dpl > rpl : dpl != rpl) {
        raise_exception_err(env, EXCP_GP, new_cs & 0xfffc);
    }
    if (!(*e2 & DESC_P_MASK)) {
        raise_exception_err(env, EXCP_NP, new_cs & 0xfffc);
    }
}

/*
 * Common tail: pop (or take) SS:RSP when needed and load everything.
 * always_ss: 64-bit mode IRET pops SS:RSP even without a privilege change.
 */
static void lm_return(CPUX86State *env, uint64_t sp, unsigned size, uint64_t new_rip,
                      uint16_t new_cs, int imm, bool is_iret, uint32_t new_fl, bool always_ss)
{
    int cpl = cpu_cpl(env);
    int rpl = new_cs & 3;
    uint32_t e1, e2;
    check_return_cs(env, new_cs, &e1, &e2);
    bool to64 = e2 & DESC_L_MASK;
    if (to64) {
        if (!is_canonical_addr(new_rip)) {
            raise_exception_err(env, EXCP_GP, 0);
        }
    } else {
        new_rip = (uint32_t)new_rip;
        if (new_rip > desc_limit(e1, e2)) {
            raise_exception_err(env, EXCP_GP, 0);
        }
    }
    sp += imm;
    bool pop_ss = always_ss || rpl != cpl;
    uint64_t new_rsp = 0;
    uint16_t new_ss = 0;
    uint32_t se1 = 0, se2 = 0;
    if (pop_ss) {
        new_rsp = cpu_ld_priv64(env, sp, size, cpl);
        new_ss = cpu_ld_priv64(env, sp + size, size, cpl);
        sp += 2 * size;
        if ((new_ss & ~3) == 0) {
            /* a null SS is allowed when returning to 64-bit code at CPL < 3 */
            if (!to64 || rpl == 3) {
                raise_exception_err(env, EXCP_GP, 0);
            }
        } else {
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
        }
        if (!is_iret) {
            new_rsp += imm;
        }
    }
    uint32_t fl_mask = TF_MASK | AC_MASK | ID_MASK | RF_MASK | NT_MASK | CC_MASK | DF_MASK;
    if (cpl <= (int)((env->eflags & IOPL_MASK) >> IOPL_SHIFT)) {
        fl_mask |= IF_MASK;
    }
    if (cpl == 0) {
        fl_mask |= IOPL_MASK | VIF_MASK | VIP_MASK;
    }
    if (size == 2) {
        fl_mask &= 0xffff;
    }
    /* commit */
    mark_accessed(env, new_cs, &e2);
    set_cpl(env, rpl);
    seg_load_cache_from_desc(env, R_CS, new_cs, e1, e2);
    if (pop_ss) {
        if ((new_ss & ~3) == 0) {
            cpu_x86_load_seg_cache(env, R_SS, new_ss, 0, 0, 0);
        } else {
            mark_accessed(env, new_ss, &se2);
            seg_load_cache_from_desc(env, R_SS, new_ss, se1, se2);
        }
        if (to64) {
            env->regs[R_ESP] = new_rsp;
        } else if (se2 & DESC_B_MASK) {
            env->regs[R_ESP] = (uint32_t)new_rsp;
        } else {
            env->regs[R_ESP] = (env->regs[R_ESP] & ~0xffffull) | (new_rsp & 0xffff);
        }
    } else {
        uint64_t m = (env->hflags & HF_CS64) || to64 ? ~0ull :
                     (env->segs[R_SS].flags & DESC_B_MASK) ? 0xffffffffull : 0xffff;
        env->regs[R_ESP] = (env->regs[R_ESP] & ~m) | (sp & m);
    }
    if (rpl > cpl) {
        seg_null_inaccessible(env, rpl);
    }
    env->eip = new_rip;
    if (is_iret) {
        cpu_load_eflags(env, new_fl, fl_mask);
    }
    cpu_update_hflags(env);
}

/* current stack pointer as a linear address for pops (SS base ignored in 64-bit mode) */
static uint64_t cur_sp_lin(CPUX86State *env, uint64_t *sp_off)
{
    if (env->hflags & HF_CS64) {
        *sp_off = env->regs[R_ESP];
        return 0;
    }
    uint64_t m = (env->segs[R_SS].flags & DESC_B_MASK) ? 0xffffffffull : 0xffff;
    *sp_off = env->regs[R_ESP] & m;
    return env->segs[R_SS].base;
}

void lm_iret(CPUX86State *env, int opsize_shift)
{
    unsigned size = 1u << opsize_shift;
    int cpl = cpu_cpl(env);
    if (env->eflags & NT_MASK) {
        raise_exception_err(env, EXCP_GP, 0);       /* no task switches in IA-32e mode */
    }
    uint64_t off, base = cur_sp_lin(env, &off);
    uint64_t la = base + off;
    uint64_t new_rip = cpu_ld_priv64(env, la, size, cpl);
    uint16_t new_cs = cpu_ld_priv64(env, la + size, size, cpl);
    uint32_t new_fl = cpu_ld_priv64(env, la + 2 * size, size, cpl);
    if (new_fl & VM_MASK) {
        raise_exception_err(env, EXCP_GP, 0);       /* no v86 in IA-32e mode */
    }
    lm_return(env, la + 3 * size, size, new_rip, new_cs, 0, true, new_fl,
              (env->hflags & HF_CS64) != 0);
}

void lm_lret(CPUX86State *env, int opsize_shift, int imm16)
{
    unsigned size = 1u << opsize_shift;
    int cpl = cpu_cpl(env);
    uint64_t off, base = cur_sp_lin(env, &off);
    uint64_t la = base + off;
    uint64_t new_rip = cpu_ld_priv64(env, la, size, cpl);
    uint16_t new_cs = cpu_ld_priv64(env, la + size, size, cpl);
    lm_return(env, la + 2 * size, size, new_rip, new_cs, imm16, false, 0, false);
}

/* ---- SWAPGS, SYSCALL/SYSRET, SYSENTER/SYSEXIT ---- */

void helper_swapgs(CPUX86State *env)
{
    uint64_t t = env->segs[R_GS].base;
    env->segs[R_GS].base = env->kernelgsbase;
    env->kernelgsbase = t;
}

/*
 * Intel: SYSCALL exists only in 64-bit mode.  AMD (any other vendor, as
 * QEMU) also takes it in compatibility mode, to CSTAR, and in legacy mode,
 * to STAR[31:0] with a 32-bit CS (AMD APM vol. 3, SYSCALL).
 */
void helper_syscall(CPUX86State *env, uint64_t next_eip)
{
    bool from64 = env->hflags & HF_CS64;
    if (!(env->efer & EFER_SCE) || (!from64 && x86_cpu_is_intel(env))) {
        raise_exception(env, EXCP_UD);
    }
    uint16_t sel = (env->star >> 32) & 0xfffc;
    set_cpl(env, 0);
    if (env->hflags & HF_LMA) {
        env->regs[R_ECX] = next_eip;
        env->regs[R_ESP + 7] = cpu_compute_eflags(env) & ~RF_MASK;     /* R11 */
        load_flat(env, R_CS, sel, FLAT_CODE | DESC_L_MASK);
        cpu_load_eflags(env, 0, (uint32_t)env->fmask | RF_MASK);
        env->eip = from64 ? env->lstar : env->cstar;
    } else {
        env->regs[R_ECX] = (uint32_t)next_eip;
        load_flat(env, R_CS, sel, FLAT_CODE | DESC_B_MASK);
        cpu_load_eflags(env, 0, IF_MASK | RF_MASK | VM_MASK);
        env->eip = (uint32_t)env->star;
    }
    load_flat(env, R_SS, sel + 8, FLAT_DATA);
    cpu_update_hflags(env);
}

void helper_sysret(CPUX86State *env, int opsize_shift)
{
    if (!(env->efer & EFER_SCE) || !(env->hflags & HF_CS64)) {
        raise_exception(env, EXCP_UD);
    }
    if (cpu_cpl(env) != 0) {
        raise_exception_err(env, EXCP_GP, 0);
    }
    uint16_t sel = (env->star >> 48) & 0xffff;
    uint64_t rip = env->regs[R_ECX];
    if (opsize_shift == 3) {
        if (!is_canonical_addr(rip)) {
            raise_exception_err(env, EXCP_GP, 0);
        }
    } else {
        rip = (uint32_t)rip;
    }
    uint32_t fl = (uint32_t)env->regs[R_ESP + 7];                   /* R11 */
    set_cpl(env, 3);
    if (opsize_shift == 3) {
        load_flat(env, R_CS, (sel + 16) | 3, FLAT_CODE | DESC_L_MASK | (3 << DESC_DPL_SHIFT));
    } else {
        load_flat(env, R_CS, sel | 3, FLAT_CODE | DESC_B_MASK | (3 << DESC_DPL_SHIFT));
    }
    /* SS keeps its cached attributes per the SDM except selector/DPL; a
     * flat writable data segment is what every OS sets up */
    load_flat(env, R_SS, (sel + 8) | 3, FLAT_DATA | (3 << DESC_DPL_SHIFT));
    cpu_load_eflags(env, fl, 0x3c7fd7 & ~VM_MASK);
    env->eip = rip;
    cpu_update_hflags(env);
}

void helper_sysenter(CPUX86State *env)
{
    uint16_t cs = env->sysenter_cs & 0xfffc;
    if (!(env->cr[0] & CR0_PE) || cs == 0) {
        raise_exception_err(env, EXCP_GP, 0);
    }
    bool lma = env->efer & EFER_LMA;
    cpu_load_eflags(env, 0, VM_MASK | IF_MASK | RF_MASK);
    set_cpl(env, 0);
    load_flat(env, R_CS, cs, FLAT_CODE | (lma ? DESC_L_MASK : DESC_B_MASK));
    load_flat(env, R_SS, cs + 8, FLAT_DATA);
    env->regs[R_ESP] = lma ? env->sysenter_esp : (uint32_t)env->sysenter_esp;
    env->eip = lma ? env->sysenter_eip : (uint32_t)env->sysenter_eip;
    cpu_update_hflags(env);
}

void helper_sysexit(CPUX86State *env, int opsize_shift)
{
    uint16_t cs = env->sysenter_cs & 0xfffc;
    if (!(env->cr[0] & CR0_PE) || cs == 0 || cpu_cpl(env) != 0 || (env->hflags & HF_VM86)) {
        raise_exception_err(env, EXCP_GP, 0);
    }
    set_cpl(env, 3);
    if (opsize_shift == 3) {
        if (!is_canonical_addr(env->regs[R_EDX]) || !is_canonical_addr(env->regs[R_ECX])) {
            raise_exception_err(env, EXCP_GP, 0);
        }
        load_flat(env, R_CS, (cs + 32) | 3, FLAT_CODE | DESC_L_MASK | (3 << DESC_DPL_SHIFT));
        load_flat(env, R_SS, (cs + 40) | 3, FLAT_DATA | (3 << DESC_DPL_SHIFT));
        env->regs[R_ESP] = env->regs[R_ECX];
        env->eip = env->regs[R_EDX];
    } else {
        load_flat(env, R_CS, (cs + 16) | 3, FLAT_CODE | DESC_B_MASK | (3 << DESC_DPL_SHIFT));
        load_flat(env, R_SS, (cs + 24) | 3, FLAT_DATA | (3 << DESC_DPL_SHIFT));
        env->regs[R_ESP] = (uint32_t)env->regs[R_ECX];
        env->eip = (uint32_t)env->regs[R_EDX];
    }
    cpu_update_hflags(env);
}

/*
 * A 64-bit call gate (16 bytes, type 12; the only gate far CALL/JMP take
 * in IA-32e mode, SDM vol. 3, 5.8.3.1): checks the gate and the 64-bit
 * code segment it names; returns the target offset, the code selector and
 * its descriptor.
 */
static uint64_t lm_call_gate(CPUX86State *env, uint16_t sel, uint32_t e1, uint32_t e2,
                             uint16_t *csel, uint32_t *ce1, uint32_t *ce2)
{
    int cpl = cpu_cpl(env);
    int dpl = (e2 >> DESC_DPL_SHIFT) & 3;
    if (((e2 >> DESC_TYPE_SHIFT) & 0x1f) != 12 || dpl < cpl || dpl < (sel & 3)) {
        raise_exception_err(env, EXCP_GP, sel & 0xfffc);
    }
    if (!(e2 & DESC_P_MASK)) {
        raise_exception_err(env, EXCP_NP, sel & 0xfffc);
    }
    /* the upper 8 bytes: offset 63:32, then a type field that must be 0 */
    uint64_t table = (sel & 4) ? env->ldt.base : env->gdt.base;
    uint32_t limit = (sel & 4) ? env->ldt.limit : env->gdt.limit;
    if ((sel & ~7) + 15 > limit) {
        raise_exception_err(env, EXCP_GP, sel & 0xfffc);
    }
    uint32_t e3 = cpu_ldl_kernel(env, table + (sel & ~7) + 8);
    uint32_t e4 = cpu_ldl_kernel(env, table + (sel & ~7) + 12);
    if ((e4 >> 8) & 0x1f) {
        raise_exception_err(env, EXCP_GP, sel & 0xfffc);
    }
    *csel = e1 >> 16;
    if ((*csel & ~3) == 0) {
        raise_exception_err(env, EXCP_GP, 0);
    }
    if (!seg_load_descriptor(env, *csel, ce1, ce2)) {
        raise_exception_err(env, EXCP_GP, *csel & 0xfffc);
    }
    int cdpl = (*ce2 >> DESC_DPL_SHIFT) & 3;
    if (!(*ce2 & DESC_S_MASK) || !(*ce2 & DESC_CS_MASK) || !(*ce2 & DESC_L_MASK) ||
        (*ce2 & DESC_B_MASK) || cdpl > cpl) {
        raise_exception_err(env, EXCP_GP, *csel & 0xfffc);
    }
    if (!(*ce2 & DESC_P_MASK)) {
        raise_exception_err(env, EXCP_NP, *csel & 0xfffc);
    }
    uint64_t target = ((uint64_t)e3 << 32) | (e2 & 0xffff0000) | (e1 & 0xffff);
    if (!is_canonical_addr(target)) {
        raise_exception_err(env, EXCP_GP, 0);
    }
    return target;
}

/* Far JMP with EFER.LMA=1 through a 64-bit call gate: no privilege change
 * (a non-conforming target must have DPL = CPL). */
void lm_ljmp_gate(CPUX86State *env, uint16_t sel, uint32_t e1, uint32_t e2)
{
    int cpl = cpu_cpl(env);
    uint16_t csel;
    uint32_t ce1, ce2;
    uint64_t target = lm_call_gate(env, sel, e1, e2, &csel, &ce1, &ce2);
    if (!(ce2 & DESC_C_MASK) && (int)((ce2 >> DESC_DPL_SHIFT) & 3) != cpl) {
        raise_exception_err(env, EXCP_GP, csel & 0xfffc);
    }
    mark_accessed(env, csel, &ce2);
    seg_load_cache_from_desc(env, R_CS, (csel & 0xfffc) | cpl, ce1, ce2);
    env->eip = target;
    cpu_update_hflags(env);
}

/* Far CALL through a 64-bit call gate: to an inner level the stack comes
 * from TSS.RSPn with a null SS carrying the new CPL and takes the old
 * SS:RSP; CS:RIP go on as 8-byte slots; no parameters are copied. */
static void lm_lcall_gate(CPUX86State *env, uint16_t sel, uint32_t e1, uint32_t e2,
                          uint64_t next_eip)
{
    int cpl = cpu_cpl(env);
    uint16_t csel;
    uint32_t ce1, ce2;
    uint64_t target = lm_call_gate(env, sel, e1, e2, &csel, &ce1, &ce2);
    int cdpl = (ce2 >> DESC_DPL_SHIFT) & 3;
    int new_cpl = (ce2 & DESC_C_MASK) ? cpl : cdpl;
    uint64_t old_rsp = env->regs[R_ESP], sp;
    if (new_cpl < cpl) {
        sp = tss64_stack(env, 4 + new_cpl * 8, 0);
        if (!is_canonical_addr(sp)) {
            raise_exception_err(env, EXCP_SS, 0);
        }
    } else {
        uint64_t off;
        sp = cur_sp_lin(env, &off) + off;
    }
#define PUSHQ(v) do { sp -= 8; cpu_st_priv64(env, sp, (v), 8, new_cpl); } while (0)
    if (new_cpl < cpl) {
        PUSHQ(env->segs[R_SS].selector);
        PUSHQ(old_rsp);
    }
    PUSHQ(env->segs[R_CS].selector);
    PUSHQ(next_eip);
#undef PUSHQ
    if (new_cpl < cpl) {
        set_cpl(env, new_cpl);
        cpu_x86_load_seg_cache(env, R_SS, new_cpl, 0, 0, 0);
        env->regs[R_ESP] = sp;
    } else if (env->hflags & HF_CS64) {
        env->regs[R_ESP] = sp;
    } else {
        /* same level from compatibility mode: the pushes went through SS */
        uint64_t m = (env->segs[R_SS].flags & DESC_B_MASK) ? 0xffffffffull : 0xffff;
        env->regs[R_ESP] = (old_rsp & ~m) | ((sp - env->segs[R_SS].base) & m);
    }
    mark_accessed(env, csel, &ce2);
    seg_load_cache_from_desc(env, R_CS, (csel & 0xfffc) | new_cpl, ce1, ce2);
    env->eip = target;
    cpu_update_hflags(env);
}

/* Far CALL with EFER.LMA=1: to a code segment, pushing CS and the return
 * RIP at the operand size on the current stack, or through a 64-bit call
 * gate. */
void lm_lcall(CPUX86State *env, uint16_t sel, uint64_t off, int opsize_shift, uint64_t next_eip)
{
    int cpl = cpu_cpl(env);
    unsigned size = 1u << opsize_shift;
    uint32_t e1, e2;
    if ((sel & ~3) == 0) {
        raise_exception_err(env, EXCP_GP, 0);
    }
    if (!seg_load_descriptor(env, sel, &e1, &e2)) {
        raise_exception_err(env, EXCP_GP, sel & 0xfffc);
    }
    if (!(e2 & DESC_S_MASK)) {
        lm_lcall_gate(env, sel, e1, e2, next_eip);
        return;
    }
    int dpl = (e2 >> DESC_DPL_SHIFT) & 3;
    if (!(e2 & DESC_CS_MASK) || ((e2 & DESC_L_MASK) && (e2 & DESC_B_MASK)) ||
        ((e2 & DESC_C_MASK) ? dpl > cpl : ((sel & 3) > cpl || dpl != cpl))) {
        raise_exception_err(env, EXCP_GP, sel & 0xfffc);
    }
    if (!(e2 & DESC_P_MASK)) {
        raise_exception_err(env, EXCP_NP, sel & 0xfffc);
    }
    bool to64 = e2 & DESC_L_MASK;
    if (to64 ? !is_canonical_addr(off) : (uint32_t)off > desc_limit(e1, e2)) {
        raise_exception_err(env, EXCP_GP, 0);
    }
    uint64_t off_sp, base = cur_sp_lin(env, &off_sp);
    uint64_t m = (env->hflags & HF_CS64) ? ~0ull :
                 (env->segs[R_SS].flags & DESC_B_MASK) ? 0xffffffffull : 0xffff;
    uint64_t sp = (off_sp - size) & m;
    cpu_st_priv64(env, base + sp, env->segs[R_CS].selector, size, cpl);
    sp = (sp - size) & m;
    cpu_st_priv64(env, base + sp, next_eip, size, cpl);
    mark_accessed(env, sel, &e2);
    seg_load_cache_from_desc(env, R_CS, (sel & 0xfffc) | cpl, e1, e2);
    env->regs[R_ESP] = (env->regs[R_ESP] & ~m) | sp;
    env->eip = to64 ? off : (uint32_t)off;
    cpu_update_hflags(env);
}
