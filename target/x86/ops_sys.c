/*
 * System instructions: port I/O, CPUID/RDTSC/MSRs, control and debug
 * registers, descriptor-table registers, LDT/TR, LAR/LSL/VERR/VERW, ARPL,
 * CLI/STI.  The privilege rules are checked here; the state changes are
 * the system layer's (helper.h).
 */
#include "target/x86/ops.h"
#include "util/log.h"

static inline bool prot_mode(const CPUX86State *env)
{
    return (env->hflags & HF_PE) && !(env->hflags & HF_VM86);
}

/* E4/E5/EC/ED */
void op_in(CPUX86State *env, const DecodedInsn *d)
{
    uint16_t port = (d->op & 8) ? (uint16_t)env->regs[R_EDX] : (d->imm & 0xff);
    int size = 1 << d->ot;
    helper_check_io(env, port, size);
    reg_set(env, d->ot, R_EAX, cpu_io_read(env, port, size));
}

/* E6/E7/EE/EF */
void op_out(CPUX86State *env, const DecodedInsn *d)
{
    uint16_t port = (d->op & 8) ? (uint16_t)env->regs[R_EDX] : (d->imm & 0xff);
    int size = 1 << d->ot;
    helper_check_io(env, port, size);
    cpu_io_write(env, port, reg_get(env, d->ot, R_EAX), size);
}

void op_cpuid(CPUX86State *env, const DecodedInsn *d)
{
    helper_cpuid(env);
}

void op_rdtsc(CPUX86State *env, const DecodedInsn *d)
{
    if ((env->cr[4] & CR4_TSD) && (env->hflags & HF_PE) &&
        ((env->hflags & HF_VM86) || cpu_cpl(env) != 0)) {
        raise_exception_err(env, EXCP_GP, 0);
    }
    helper_rdtsc(env);
}

/*
 * RDPMC: #GP(0) outside ring 0 (and in virtual-8086 mode) without
 * CR4.PCE, and #GP(0) when ECX names no counter.  Vireo's CPUs have none
 * (CPUID leaf 0AH reports architectural performance monitoring version 0),
 * so every RDPMC ends in #GP(0) (SDM vol. 2, RDPMC).
 */
void op_rdpmc(CPUX86State *env, const DecodedInsn *d)
{
    raise_exception_err(env, EXCP_GP, 0);
}

void op_rdmsr(CPUX86State *env, const DecodedInsn *d)
{
    require_cpl0(env);
    helper_rdmsr(env);
}

void op_wrmsr(CPUX86State *env, const DecodedInsn *d)
{
    require_cpl0(env);
    helper_wrmsr(env);
}

/* 0F 20 / 0F 22: the ModRM mod field is ignored (always a register) */
void op_mov_cr(CPUX86State *env, const DecodedInsn *d)
{
    int cr = d->reg;
    bool mode64 = env->hflags & HF_CS64;
    if (cr == 1 || (cr > 4 && !(cr == 8 && mode64))) {
        raise_exception(env, EXCP_UD);
    }
    require_cpl0(env);
    if (cr == 8) {
        /* CR8 is the local APIC's TPR[7:4] (64-bit mode only) */
        if (d->op == 0x120) {
            env->regs[d->rm] = cpu_get_cr8(env);
        } else {
            cpu_set_cr8(env, env->regs[d->rm]);
        }
        return;
    }
    /* 64-bit mode moves 64 bits; elsewhere 32 */
    if (d->op == 0x120) {
        uint64_t v = helper_read_crN(env, cr);
        env->regs[d->rm] = mode64 ? v : (uint32_t)v;
    } else {
        uint64_t v = env->regs[d->rm];
        helper_write_crN(env, cr, mode64 ? v : (uint32_t)v);
    }
}

/* 0F 21 / 0F 23 */
void op_mov_dr(CPUX86State *env, const DecodedInsn *d)
{
    int dr = d->reg;
    if (dr > 7) {
        /* REX.R: there is no DR8-DR15 (SDM vol. 2, MOV--Move to/from
         * Debug Registers); env->dr has 8 entries */
        raise_exception(env, EXCP_UD);
    }
    if (dr == 4 || dr == 5) {
        if (env->cr[4] & CR4_DE) {
            raise_exception(env, EXCP_UD);
        }
        dr += 2;    /* aliases of DR6/DR7 without CR4.DE */
    }
    require_cpl0(env);
    if (env->dr[7] & (1u << 13)) {
        /* DR7.GD, general detect: any DR access is a #DB fault with DR6.BD;
         * the CPU clears GD so the handler can use the registers (17.2.4) */
        env->dr[6] |= 1u << 13;
        env->dr[7] &= ~(uint64_t)(1u << 13);
        raise_exception(env, EXCP_DB);
    }
    bool mode64 = env->hflags & HF_CS64;
    if (d->op == 0x121) {
        env->regs[d->rm] = mode64 ? env->dr[dr] : (uint32_t)env->dr[dr];
    } else {
        helper_write_drN(env, dr, mode64 ? env->regs[d->rm] : (uint32_t)env->regs[d->rm]);
    }
}

static void store_sel(CPUX86State *env, const DecodedInsn *d, uint16_t sel)
{
    if (d->mod == 3) {
        reg_set(env, d->opsize, d->rm, sel);
    } else {
        cpu_stw(env, d->seg, insn_ea(env, d), sel);
    }
}

static uint16_t load_sel(CPUX86State *env, const DecodedInsn *d)
{
    uint64_t ea = 0;
    return rm_load(env, d, 1, &ea);
}

/* 0F 00: SLDT STR LLDT LTR VERR VERW */
void op_grp6(CPUX86State *env, const DecodedInsn *d)
{
    if (!prot_mode(env)) {
        raise_exception(env, EXCP_UD);
    }
    switch (d->aux) {
    case 0: check_umip(env); store_sel(env, d, env->ldt.selector); break;
    case 1: check_umip(env); store_sel(env, d, env->tr.selector); break;
    case 2: {
        require_cpl0(env);
        helper_lldt(env, load_sel(env, d));
        break;
    }
    case 3: {
        require_cpl0(env);
        helper_ltr(env, load_sel(env, d));
        break;
    }
    case 4: {
        uint16_t sel = load_sel(env, d);
        cc_materialize(env);
        helper_verr(env, sel);
        break;
    }
    case 5: {
        uint16_t sel = load_sel(env, d);
        cc_materialize(env);
        helper_verw(env, sel);
        break;
    }
    default:
        raise_exception(env, EXCP_UD);
    }
}

/* 0F 01: SGDT SIDT LGDT LIDT SMSW LMSW INVLPG */
void op_grp7(CPUX86State *env, const DecodedInsn *d)
{
    bool mode64 = env->hflags & HF_CS64;
    if (d->mod == 3 && d->aux == 7) {
        switch (d->modrm & 7) {
        case 0:     /* 0F 01 F8: SWAPGS */
            if (!mode64) {
                raise_exception(env, EXCP_UD);
            }
            require_cpl0(env);
            helper_swapgs(env);
            return;
        case 1:     /* 0F 01 F9: RDTSCP */
            if (!(env->cpuid_ext2_features & CPUID_EXT2_RDTSCP)) {
                raise_exception(env, EXCP_UD);
            }
            op_rdtsc(env, d);
            env->regs[R_ECX] = (uint32_t)env->tsc_aux;
            return;
        default:
            raise_exception(env, EXCP_UD);
        }
    }
    if (d->mod == 3 && d->aux == 1 && ((d->modrm & 7) == 2 || (d->modrm & 7) == 3)) {
        /* 0F 01 CA CLAC / CB STAC: no flush needed, AC selects the MMU mode */
        if (!(env->cpuid_7_0_ebx & CPUID_7_EBX_SMAP) || cpu_cpl(env) != 0) {
            raise_exception(env, EXCP_UD);
        }
        if ((d->modrm & 7) == 3) {
            env->eflags |= AC_MASK;
        } else {
            env->eflags &= ~AC_MASK;
        }
        return;
    }
    if (d->mod == 3 && d->aux == 5 && ((d->modrm & 7) == 6 || (d->modrm & 7) == 7)) {
        /* 0F 01 EE RDPKRU / EF WRPKRU */
        if (!(env->cr[4] & CR4_PKE)) {
            raise_exception(env, EXCP_UD);
        }
        if ((d->modrm & 7) == 6) {
            if ((uint32_t)env->regs[R_ECX] != 0) {
                raise_exception_err(env, EXCP_GP, 0);
            }
            env->regs[R_EAX] = env->pkru;
            env->regs[R_EDX] = 0;
        } else {
            if ((uint32_t)env->regs[R_ECX] != 0 || (uint32_t)env->regs[R_EDX] != 0) {
                raise_exception_err(env, EXCP_GP, 0);
            }
            env->pkru = (uint32_t)env->regs[R_EAX];
            tlb_flush(env);               /* cached rights of user pages change */
        }
        return;
    }
    if (d->mod == 3 && d->aux != 4 && d->aux != 6) {
        raise_exception(env, EXCP_UD);
    }
    switch (d->aux) {
    case 0: case 1: {
        /* 64-bit mode stores a 10-byte pseudo-descriptor (8-byte base) */
        check_umip(env);
        DescTable *t = d->aux ? &env->idt : &env->gdt;
        uint64_t ea = insn_ea(env, d);
        uint64_t base = t->base;
        if (!mode64) {
            base = (uint32_t)base;
            if (d->opsize == 1) {
                base &= 0xffffff;
            }
        }
        cpu_check_write(env, d->seg, ea, mode64 ? 10 : 6);
        cpu_stw(env, d->seg, ea, t->limit);
        if (mode64) {
            cpu_stq(env, d->seg, ea + 2, base);
        } else {
            cpu_stl(env, d->seg, ad_trunc(d->adsize, ea + 2), base);
        }
        break;
    }
    case 2: case 3: {
        require_cpl0(env);
        uint64_t ea = insn_ea(env, d);
        uint16_t limit = cpu_lduw(env, d->seg, ea);
        uint64_t base;
        if (mode64) {
            base = cpu_ldq(env, d->seg, ea + 2);
            if (!is_canonical(base)) {
                raise_exception_err(env, EXCP_GP, 0);
            }
        } else {
            base = cpu_ldl(env, d->seg, ad_trunc(d->adsize, ea + 2));
            if (d->opsize == 1) {
                base &= 0xffffff;
            }
        }
        DescTable *t = (d->aux == 3) ? &env->idt : &env->gdt;
        t->base = base;
        t->limit = limit;
        break;
    }
    case 4:
        check_umip(env);
        if (d->mod == 3) {
            reg_set(env, d->opsize, d->rm, (uint32_t)env->cr[0]);
        } else {
            cpu_stw(env, d->seg, insn_ea(env, d), env->cr[0]);
        }
        break;
    case 6:
        require_cpl0(env);
        helper_lmsw(env, load_sel(env, d));
        break;
    case 5:             /* only the register forms RDPKRU/WRPKRU exist */
        raise_exception(env, EXCP_UD);
    case 7:
        require_cpl0(env);
        if (mode64) {
            uint64_t b = (d->seg == R_FS || d->seg == R_GS) ? env->segs[d->seg].base : 0;
            helper_invlpg(env, b + insn_ea(env, d));
        } else {
            helper_invlpg(env, (uint32_t)(env->segs[d->seg].base + insn_ea(env, d)));
        }
        break;
    default:
        raise_exception(env, EXCP_UD);
    }
}

/* 0F 02 LAR, 0F 03 LSL: destination written only when ZF is set */
void op_lar(CPUX86State *env, const DecodedInsn *d)
{
    if (!prot_mode(env)) {
        raise_exception(env, EXCP_UD);
    }
    uint16_t sel = load_sel(env, d);
    cc_materialize(env);
    uint32_t v = helper_lar(env, sel);
    if (env->eflags & CC_Z) {
        reg_set(env, d->ot, d->reg, v);
    }
}

void op_lsl(CPUX86State *env, const DecodedInsn *d)
{
    if (!prot_mode(env)) {
        raise_exception(env, EXCP_UD);
    }
    uint16_t sel = load_sel(env, d);
    cc_materialize(env);
    uint32_t v = helper_lsl(env, sel);
    if (env->eflags & CC_Z) {
        reg_set(env, d->ot, d->reg, v);
    }
}

void op_clts(CPUX86State *env, const DecodedInsn *d)
{
    require_cpl0(env);
    helper_clts(env);
}

/* INVD, WBINVD: we have no caches to manage */
void op_invd(CPUX86State *env, const DecodedInsn *d)
{
    require_cpl0(env);
}

void op_arpl(CPUX86State *env, const DecodedInsn *d)
{
    if (!prot_mode(env)) {
        raise_exception(env, EXCP_UD);
    }
    uint64_t ea = 0;
    uint16_t dst = rm_load(env, d, 1, &ea);
    uint16_t src = reg_get(env, 1, d->reg);
    bool zf = (dst & 3) < (src & 3);
    if (zf) {
        rm_store(env, d, 1, ea, (dst & ~3) | (src & 3));
    }
    cc_materialize(env);
    env->eflags = zf ? (env->eflags | CC_Z) : (env->eflags & ~CC_Z);
}

/*
 * CLI/STI: allowed when CPL <= IOPL; otherwise VME (v86) or PVI (CPL 3)
 * redirect to VIF, else #GP(0).
 */
static int if_access(CPUX86State *env)
{
    int iopl = (env->eflags & IOPL_MASK) >> IOPL_SHIFT;
    if (!(env->hflags & HF_PE)) {
        return 0;
    }
    if (env->hflags & HF_VM86) {
        if (iopl == 3) {
            return 0;
        }
        return (env->cr[4] & CR4_VME) ? 1 : -1;
    }
    if (cpu_cpl(env) <= iopl) {
        return 0;
    }
    return (cpu_cpl(env) == 3 && (env->cr[4] & CR4_PVI)) ? 1 : -1;
}

void op_cli(CPUX86State *env, const DecodedInsn *d)
{
    switch (if_access(env)) {
    case 0: env->eflags &= ~IF_MASK; break;
    case 1: env->eflags &= ~VIF_MASK; break;
    default: raise_exception_err(env, EXCP_GP, 0);
    }
}

void op_sti(CPUX86State *env, const DecodedInsn *d)
{
    switch (if_access(env)) {
    case 0:
        if (!(env->eflags & IF_MASK)) {
            env->hflags |= HF_INHIBIT_IRQ;   /* one-instruction shadow */
        }
        env->eflags |= IF_MASK;
        break;
    case 1:
        if (env->eflags & VIP_MASK) {
            raise_exception_err(env, EXCP_GP, 0);
        }
        env->eflags |= VIF_MASK;
        break;
    default:
        raise_exception_err(env, EXCP_GP, 0);
    }
}

/* 0F AA: resume from System Management Mode; #UD outside it */
void op_rsm(CPUX86State *env, const DecodedInsn *d)
{
    if (!(env->hflags & HF_SMM)) {
        raise_exception(env, EXCP_UD);
    }
    helper_rsm(env);
}

/* 0F 05 SYSCALL, 0F 07 SYSRET (long mode), 0F 34 SYSENTER, 0F 35 SYSEXIT */
void op_syscall(CPUX86State *env, const DecodedInsn *d)
{
    if (!(env->cpuid_ext2_features & CPUID_EXT2_SYSCALL)) {
        raise_exception(env, EXCP_UD);
    }
    helper_syscall(env, env->eip);
}

void op_sysret(CPUX86State *env, const DecodedInsn *d)
{
    if (!(env->cpuid_ext2_features & CPUID_EXT2_SYSCALL)) {
        raise_exception(env, EXCP_UD);
    }
    bool tf = env->eflags & TF_MASK;
    helper_sysret(env, d->opsize == 3 ? 3 : 2);
    if (!tf && (env->eflags & TF_MASK)) {
        /* TF loaded from R11: the single-step trap comes after SYSRET
         * itself, at the instruction it returns to (with TF already set
         * before, tb_run_one raises it) */
        env->dr[6] |= 0x4000;
        env->insn_start_eip = env->eip;
        raise_exception(env, EXCP_DB);
    }
}

static bool has_sep(const CPUX86State *env)
{
    return env->cpuid_features & (1u << 11);
}

void op_sysenter(CPUX86State *env, const DecodedInsn *d)
{
    if (!has_sep(env)) {
        raise_exception(env, EXCP_UD);
    }
    helper_sysenter(env);
}

void op_sysexit(CPUX86State *env, const DecodedInsn *d)
{
    if (!has_sep(env)) {
        raise_exception(env, EXCP_UD);
    }
    helper_sysexit(env, d->opsize == 3 ? 3 : 2);
}
