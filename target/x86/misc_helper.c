/*
 * Control and debug registers, MSRs, CPUID, TSC, HLT, INVLPG, port I/O
 * and the hflags cache (Intel SDM vol. 3 ch. 2 and 9, vol. 4 for MSRs).
 */
#include <string.h>

#include "system/cpus.h"
#include "hw/core/memory.h"
#include "target/x86/debug.h"
#include "hw/core/timer.h"
#include "hw/intc/apic.h"
#include "target/x86/helper.h"
#include "accel/tcg/lockstep.h"
#include "target/x86/seg.h"
#include "util/log.h"

void cpu_update_hflags(CPUX86State *env)
{
    uint32_t h = env->hflags & (HF_CPL_MASK | HF_INHIBIT_IRQ | HF_MOVSS | HF_SMM | HF_HALTED | HF_NMI_MASK);
    if (env->cr[0] & CR0_PE) {
        h |= HF_PE;
        if (env->eflags & VM_MASK) {
            h = (h & ~HF_CPL_MASK) | HF_VM86 | 3;
        }
    } else {
        h &= ~HF_CPL_MASK;               /* real mode runs at CPL 0 */
    }
    if (env->segs[R_CS].flags & DESC_B_MASK) {
        h |= HF_CS32;
    }
    if (env->efer & EFER_LMA) {
        h |= HF_LMA;
        /* CS.L selects 64-bit mode over compatibility mode (not in v86) */
        if ((env->segs[R_CS].flags & DESC_L_MASK) && !(h & HF_VM86)) {
            h |= HF_CS64;
        }
    }
    if (env->segs[R_SS].flags & DESC_B_MASK) {
        h |= HF_SS32;
    }
    if (!(h & HF_PE) || (h & HF_VM86) || env->segs[R_DS].base || env->segs[R_ES].base ||
        env->segs[R_SS].base) {
        h |= HF_ADDSEG;
    }
    if (env->eflags & TF_MASK) {
        h |= HF_TF;
    }
    if (env->cr[4] & CR4_SMAP) {
        h |= HF_SMAP;
    }
    env->hflags = h;
}

static bool has_feature(CPUX86State *env, uint32_t edx_bit)
{
    return env->cpuid_features & edx_bit;
}

#define CPUID_PSE (1u << 3)
#define CPUID_TSC (1u << 4)
#define CPUID_PAE (1u << 6)
#define CPUID_MTRR (1u << 12)
#define CPUID_PGE (1u << 13)
#define CPUID_PAT (1u << 16)
#define CPUID_DE (1u << 2)
#define CPUID_SEP (1u << 11)
#define MISC_ENABLE_LIMIT_CPUID (1ull << 22)
/* IA32_MISC_ENABLE bits software cannot change: perfmon available (7),
 * BTS unavailable (11), PEBS unavailable (12) */
#define MISC_ENABLE_RO ((1ull << 7) | (1ull << 11) | (1ull << 12))
#define CPUID_MCE (1u << 7)
#define CPUID_MCA (1u << 14)

uint32_t cpu_cr4_allowed(CPUX86State *env)
{
    uint32_t allowed = CR4_TSD | CR4_PCE;
    if (has_feature(env, CPUID_DE)) allowed |= CR4_DE;
    if (has_feature(env, CPUID_PSE)) allowed |= CR4_PSE;
    if (has_feature(env, CPUID_PAE)) allowed |= CR4_PAE;
    if (has_feature(env, CPUID_PGE)) allowed |= CR4_PGE;
    if (has_feature(env, CPUID_MCE)) allowed |= CR4_MCE;
    if (has_feature(env, 1u << 24)) allowed |= CR4_OSFXSR;       /* FXSR */
    if (has_feature(env, 1u << 25)) allowed |= CR4_OSXMMEXCPT;   /* SSE */
    if (env->cpuid_7_0_ebx & CPUID_7_EBX_SMEP) allowed |= CR4_SMEP;
    if (env->cpuid_7_0_ebx & CPUID_7_EBX_SMAP) allowed |= CR4_SMAP;
    if (env->cpuid_7_0_ecx & CPUID_7_ECX_UMIP) allowed |= CR4_UMIP;
    /* protection keys exist only with IA-32e paging, but the bits may be
     * set earlier; they take effect when long mode is active */
    if (env->cpuid_7_0_ecx & CPUID_7_ECX_PKU) allowed |= CR4_PKE;
    if (env->cpuid_7_0_ecx & CPUID_7_ECX_PKS) allowed |= CR4_PKS;
    return allowed;
}

void helper_write_crN(CPUX86State *env, int reg, uint64_t val64)
{
    uint32_t val = (uint32_t)val64;
    switch (reg) {
    case 0: {
        if (val64 >> 32) {
            raise_exception_err(env, EXCP_GP, 0);      /* reserved bits 63:32 */
        }
        if ((val & CR0_PG) && !(val & CR0_PE)) {
            raise_exception_err(env, EXCP_GP, 0);
        }
        if ((val & CR0_NW) && !(val & CR0_CD)) {
            raise_exception_err(env, EXCP_GP, 0);
        }
        uint32_t old = env->cr[0];
        if ((val & CR0_PG) && !(old & CR0_PG) && (env->efer & EFER_LME)) {
            /* long-mode activation (SDM 9.8.5): PAE required, and not from
             * a 64-bit code segment */
            if (!(env->cr[4] & CR4_PAE) || (env->segs[R_CS].flags & DESC_L_MASK)) {
                raise_exception_err(env, EXCP_GP, 0);
            }
            env->efer |= EFER_LMA;
        } else if (!(val & CR0_PG) && (old & CR0_PG) && (env->efer & EFER_LMA)) {
            /* deactivation is only possible from compatibility mode */
            if (env->hflags & HF_CS64) {
                raise_exception_err(env, EXCP_GP, 0);
            }
            env->efer &= ~(uint64_t)EFER_LMA;
        }
        val |= CR0_ET;                    /* hardwired on P6 */
        env->cr[0] = val;
        if ((old ^ val) & (CR0_PG | CR0_WP | CR0_PE)) {
            tlb_flush(env);
        }
        cpu_update_hflags(env);
        break;
    }
    case 2:
        env->cr[2] = val;
        env->cr2 = (env->hflags & HF_LMA) ? val64 : val;
        break;
    case 3:
        if (env->hflags & HF_LMA) {
            /* bits above MAXPHYADDR (CPUID 0x80000008) are reserved */
            if (val64 >> x86_maxphyaddr(env)) {
                raise_exception_err(env, EXCP_GP, 0);
            }
            env->cr[3] = val64;
        } else {
            env->cr[3] = val;
        }
        tlb_flush_nonglobal(env);
        break;
    case 4: {
        uint32_t allowed = cpu_cr4_allowed(env);
        if ((val64 >> 32) || (val & ~allowed)) {
            raise_exception_err(env, EXCP_GP, 0);
        }
        if ((env->hflags & HF_LMA) && !(val & CR4_PAE)) {
            raise_exception_err(env, EXCP_GP, 0);   /* PAE cannot be cleared in long mode */
        }
        /* the TLB holds rights decided under the old SMEP/SMAP/PKE/PKS */
        if ((env->cr[4] ^ val) & (CR4_PSE | CR4_PAE | CR4_PGE | CR4_SMEP | CR4_SMAP |
                                  CR4_PKE | CR4_PKS)) {
            tlb_flush(env);
        }
        env->cr[4] = val;
        cpu_update_hflags(env);     /* HF_SMAP */
        break;
    }
    default:
        raise_exception(env, EXCP_UD);
    }
}

uint64_t helper_read_crN(CPUX86State *env, int reg)
{
    switch (reg) {
    case 0: return env->cr[0];
    case 2: return (env->hflags & HF_LMA) ? env->cr2 : (uint32_t)env->cr2;
    case 3: return env->cr[3];
    case 4: return env->cr[4];
    default: raise_exception(env, EXCP_UD);
    }
}

void helper_write_drN(CPUX86State *env, int reg, uint64_t val)
{
    if ((reg == 4 || reg == 5) && (env->cr[4] & CR4_DE)) {
        raise_exception(env, EXCP_UD);
    }
    if (reg == 4) {
        reg = 6;
    } else if (reg == 5) {
        reg = 7;
    }
    if (reg >= 6 && (val >> 32)) {
        raise_exception_err(env, EXCP_GP, 0);       /* DR6/DR7 bits 63:32 are reserved */
    }
    switch (reg) {
    case 6: env->dr[6] = (uint32_t)val | 0xffff0ff0; break;
    case 7: env->dr[7] = ((uint32_t)val & ~0xd000u) | 0x400; break;
    default: env->dr[reg] = (env->hflags & HF_LMA) ? val : (uint32_t)val; break;
    }
    x86_dr_update(env);
}

/*
 * Recompute which of DR0-3 are live breakpoints after a DR write (SDM vol. 3,
 * 17.2.4): enabled locally or globally, R/W 00 = instruction, 01 = data
 * write, 11 = data read or write; 10 (I/O, with CR4.DE) is not modelled.
 * Pages under a data breakpoint take the TLB slow path, so the TLB is
 * flushed whenever data breakpoints are or were live.
 */
void x86_dr_update(CPUX86State *env)
{
    uint32_t dr7 = (uint32_t)env->dr[7];
    uint8_t exec = 0, data = 0;
    for (int i = 0; i < 4; i++) {
        if (!((dr7 >> (2 * i)) & 3)) {
            continue;
        }
        unsigned rw = (dr7 >> (16 + 4 * i)) & 3;
        if (rw == 0) {
            exec |= 1u << i;
        } else if (rw == 1 || rw == 3) {
            data |= 1u << i;
        }
    }
    bool flush = data || env->dr_data_en;
    env->dr_exec_en = exec;
    env->dr_data_en = data;
    if (flush) {
        tlb_flush_all(env);
    }
}

/* Bytes a data breakpoint covers: DR7.LENn 00 = 1, 01 = 2, 11 = 4, 10 = 8. */
static unsigned dr_len(uint32_t dr7, int i)
{
    static const unsigned len[4] = { 1, 2, 8, 4 };
    return len[(dr7 >> (18 + 4 * i)) & 3];
}

bool x86_dr_page_watched(CPUX86State *env, uint64_t lin_page)
{
    for (int i = 0; i < 4; i++) {
        if ((env->dr_data_en >> i) & 1) {
            uint64_t a = env->dr[i] & ~(uint64_t)(dr_len((uint32_t)env->dr[7], i) - 1);
            if ((a & ~0xfffull) == lin_page) {
                return true;
            }
        }
    }
    return false;
}

void x86_dr_data_access(CPUX86State *env, uint64_t la, unsigned size, bool is_write)
{
    uint32_t dr7 = (uint32_t)env->dr[7];
    for (int i = 0; i < 4; i++) {
        if (!((env->dr_data_en >> i) & 1)) {
            continue;
        }
        unsigned rw = (dr7 >> (16 + 4 * i)) & 3;
        if (rw == 1 && !is_write) {
            continue;
        }
        unsigned len = dr_len(dr7, i);
        uint64_t a = env->dr[i] & ~(uint64_t)(len - 1);
        if (la < a + len && a < la + size) {
            env->dr_hit |= 1u << i;
        }
    }
}

uint8_t x86_dr_exec_match(CPUX86State *env, uint64_t lin_pc)
{
    uint8_t m = 0;
    for (int i = 0; i < 4; i++) {
        if (((env->dr_exec_en >> i) & 1) && env->dr[i] == lin_pc) {
            m |= 1u << i;
        }
    }
    return m;
}

void helper_lmsw(CPUX86State *env, uint16_t val)
{
    /* LMSW sets PE, MP, EM, TS; it cannot clear PE */
    uint32_t cr0 = (env->cr[0] & ~0xeu) | (val & 0xf) | (env->cr[0] & CR0_PE);
    helper_write_crN(env, 0, cr0);
}

void helper_clts(CPUX86State *env)
{
    env->cr[0] &= ~CR0_TS;
}

/* ---- TSC: 1 GHz, from the virtual clock, so firmware calibrating it
 * against the PIT (same clock) gets a consistent answer ---- */

static uint64_t tsc_now(CPUX86State *env)
{
    lockstep_check(env, "TSC read");
    return (uint64_t)clock_get_ns(CLOCK_VIRTUAL) + env->tsc_offset;
}

void helper_rdtsc(CPUX86State *env)
{
    if ((env->cr[4] & CR4_TSD) && cpu_cpl(env) != 0 && (env->hflags & HF_PE)) {
        raise_exception_err(env, EXCP_GP, 0);
    }
    uint64_t t = tsc_now(env);
    env->regs[R_EAX] = (uint32_t)t;
    env->regs[R_EDX] = (uint32_t)(t >> 32);
}

/* ---- CPUID ---- */

/* The APIC bit follows IA32_APIC_BASE.EN (SDM vol. 3, 10.4.3). */
static uint32_t cpuid_apic_hidden(CPUX86State *env)
{
    bool on = env->apic && (apic_get_base(env->apic) & APIC_BASE_ENABLE);
    return on ? 0 : 1u << 9;
}

void helper_cpuid(CPUX86State *env)
{
    uint32_t leaf = (uint32_t)env->regs[R_EAX];
    uint32_t a = 0, b = 0, c = 0, d = 0;
    if (leaf >= 0x80000000u) {
        if (leaf > env->cpuid_xlevel) {
            leaf = env->cpuid_level;      /* out of range: highest basic leaf, as Intel does */
        }
    } else if (leaf > env->cpuid_level) {
        leaf = env->cpuid_level;
    }
    switch (leaf) {
    case 0:
        a = env->cpuid_level;
        if ((env->misc_enable & MISC_ENABLE_LIMIT_CPUID) && a > 2) {
            a = 2;                        /* "limit CPUID maxval" (SDM vol. 4, 2.1) */
        }
        b = env->cpuid_vendor[0];
        d = env->cpuid_vendor[1];
        c = env->cpuid_vendor[2];
        break;
    case 1:
        a = env->cpuid_version;
        /* CLFLUSH line 64 bytes; initial APIC ID (= the APIC's id) in [31:24] */
        b = (8 << 8) | ((uint32_t)env->cpu_index << 24);
        c = env->cpuid_ext_features;
        d = env->cpuid_features & ~cpuid_apic_hidden(env);
        break;
    case 7:
        if ((uint32_t)env->regs[R_ECX] == 0) {
            /* EAX: the last subleaf, 2 when it has a bit (1 is all zeros) */
            a = env->cpuid_7_2_edx ? 2 : 0;
            b = env->cpuid_7_0_ebx;
            /* OSPKE mirrors CR4.PKE */
            c = (env->cpuid_7_0_ecx & ~CPUID_7_ECX_OSPKE) |
                ((env->cr[4] & CR4_PKE) ? CPUID_7_ECX_OSPKE : 0);
            d = env->cpuid_7_0_edx;
        } else if ((uint32_t)env->regs[R_ECX] == 2) {
            d = env->cpuid_7_2_edx;
        }
        break;
    case 0xb: {
        /* extended topology: the x2APIC ID in EDX; the APIC ID is the CPU
         * index, so every CPU is a core (one thread each) of one package */
        uint32_t sub = (uint32_t)env->regs[R_ECX];
        unsigned shift = 0;
        while ((1u << shift) < env->nr_cpus) {
            shift++;
        }
        c = sub & 0xff;
        d = env->cpu_index;
        if (sub == 0) {                   /* SMT level */
            a = 0;
            b = 1;
            c |= 1 << 8;
        } else if (sub == 1) {            /* core level */
            a = shift;
            b = MAX(env->nr_cpus, 1u);
            c |= 2 << 8;
        }
        break;
    }
    case 0x80000000:
        a = env->cpuid_xlevel;
        break;
    case 0x80000001:
        c = env->cpuid_ext3_features;
        d = env->cpuid_ext2_features & ~cpuid_apic_hidden(env);    /* AMD's copy of it */
        /* SYSCALL is reported only in 64-bit mode by Intel parts; we follow
         * QEMU's models and report it whenever it is implemented */
        break;
    case 0x80000005:
        /* AMD's L1 TLB and cache leaf, answered for any vendor as QEMU
         * does: 255-entry TLBs, 64 KiB 2-way L1D and L1I with 64-byte
         * lines.  Linux divides by the L1I associativity on family 0x15. */
        a = b = 0x01ff01ff;
        c = d = (64 << 24) | (2 << 16) | (1 << 8) | 64;
        break;
    case 0x80000006:
        c = (64 << 0) | (8 << 12) | (512 << 16);    /* 512 KiB L2, 8-way, 64-byte lines */
        break;
    case 0x80000008:
        /* physical / linear address bits */
        a = x86_maxphyaddr(env) | ((env->cpuid_ext2_features & CPUID_EXT2_LM ? 48 : 32) << 8);
        break;
    case 0x80000002: case 0x80000003: case 0x80000004: {
        uint32_t w[4];
        memcpy(w, env->cpuid_model_id + (leaf - 0x80000002) * 16, 16);
        a = w[0]; b = w[1]; c = w[2]; d = w[3];
        break;
    }
    default:
        break;
    }
    env->regs[R_EAX] = a;
    env->regs[R_EBX] = b;
    env->regs[R_ECX] = c;
    env->regs[R_EDX] = d;
}

/* ---- MSRs ---- */

enum {
    MSR_TSC = 0x10, MSR_PLATFORM_ID = 0x17, MSR_APIC_BASE = 0x1b, MSR_BIOS_SIGN = 0x8b,
    MSR_MTRRCAP = 0xfe, MSR_SYSENTER_CS = 0x174, MSR_SYSENTER_ESP = 0x175,
    MSR_SYSENTER_EIP = 0x176, MSR_MISC_ENABLE = 0x1a0, MSR_MTRR_PHYS0 = 0x200,
    MSR_MTRR_FIX64K = 0x250, MSR_MTRR_FIX16K0 = 0x258, MSR_MTRR_FIX16K1 = 0x259,
    MSR_MTRR_FIX4K0 = 0x268, MSR_PAT = 0x277, MSR_MTRR_DEFTYPE = 0x2ff,
    MSR_EFER = 0xc0000080, MSR_STAR = 0xc0000081, MSR_LSTAR = 0xc0000082,
    MSR_CSTAR = 0xc0000083, MSR_FMASK = 0xc0000084, MSR_FS_BASE = 0xc0000100,
    MSR_GS_BASE = 0xc0000101, MSR_KERNEL_GS_BASE = 0xc0000102, MSR_TSC_AUX = 0xc0000103,
    MSR_PKRS = 0x6e1, MSR_ARCH_CAPABILITIES = 0x10a, MSR_SPEC_CTRL = 0x48, MSR_PRED_CMD = 0x49,
    MSR_MCG_CAP = 0x179, MSR_MCG_STATUS = 0x17a, MSR_MCG_CTL = 0x17b, MSR_MC0_CTL = 0x400,
    MSR_AMD_FIRST = 0xc0010000, MSR_AMD_LAST = 0xc0011fff,
};

#define MCG_CTL_P (1u << 8)         /* IA32_MCG_CTL is present */

/*
 * IA32_ARCH_CAPABILITIES (SDM vol. 4, table 2-2): Vireo's CPUs do not
 * speculate, so they report "not affected" for every speculative-execution
 * and buffer-sampling issue the MSR has a bit for: RDCL_NO (0, Meltdown),
 * SKIP_L1DFL_VMENTRY (3), SSB_NO (4), MDS_NO (5), IF_PSCHANGE_MC_NO (6),
 * TAA_NO (8), SBDR_SSDP_NO (13), FBSDP_NO (14), PSDP_NO (15), BHI_NO (20),
 * PBRSB_NO (24), GDS_NO (26), RFDS_NO (27).  Bits that promise an MSR or
 * a control Vireo lacks (TSX_CTRL, FB_CLEAR, ...) stay clear; IBRS_ALL
 * (1, enhanced IBRS) is set when CPUID reports IA32_SPEC_CTRL, whose IBRS
 * bit it promises may stay set.
 * Without it a guest kernel takes an Intel CPU for vulnerable and pays for
 * page-table isolation and buffer clearing on every kernel entry; without
 * IBRS_ALL, Linux builds every indirect branch as a retpoline.
 */
#define ARCH_CAP_NOT_AFFECTED \
    ((1u << 0) | (1u << 3) | (1u << 4) | (1u << 5) | (1u << 6) | (1u << 8) | (1u << 13) | \
     (1u << 14) | (1u << 15) | (1u << 20) | (1u << 24) | (1u << 26) | (1u << 27))
#define ARCH_CAP_IBRS_ALL (1u << 1)

/*
 * IA32_SPEC_CTRL (SDM vol. 4, table 2-2) exists when CPUID.7.0:EDX
 * enumerates any of its bits: IBRS (0) with bit 26, STIBP (1) with bit
 * 27, SSBD (2) with bit 31, and BHI_DIS_S (10) with CPUID.7.2:EDX bit 4;
 * the others are reserved (#GP when set).  Its
 * bits only restrict speculation, which Vireo's CPUs do not do, so they
 * are kept and read back and change nothing else.
 */
static uint64_t spec_ctrl_valid(const CPUX86State *env)
{
    return ((env->cpuid_7_0_edx & CPUID_7_EDX_SPEC_CTRL) ? 1u : 0) |
           ((env->cpuid_7_0_edx & CPUID_7_EDX_STIBP) ? 2u : 0) |
           ((env->cpuid_7_0_edx & CPUID_7_EDX_SSBD) ? 4u : 0) |
           ((env->cpuid_7_2_edx & CPUID_7_2_EDX_BHI_CTRL) ? 1u << 10 : 0);
}

/* Machine-check MSRs exist when CPUID has both MCE and MCA. */
static bool has_mca(CPUX86State *env)
{
    return (env->cpuid_features & (CPUID_MCE | CPUID_MCA)) == (CPUID_MCE | CPUID_MCA);
}

/* Index into mce_banks of an IA32_MCi_{CTL,STATUS,ADDR,MISC} MSR, or -1. */
static int mce_bank_index(CPUX86State *env, uint32_t msr)
{
    if (has_mca(env) && msr >= MSR_MC0_CTL && msr < MSR_MC0_CTL + MCE_BANKS * 4) {
        return msr - MSR_MC0_CTL;
    }
    return -1;
}

static bool has_lm(CPUX86State *env)
{
    return env->cpuid_ext2_features & CPUID_EXT2_LM;
}

static bool has_syscall(CPUX86State *env)
{
    return env->cpuid_ext2_features & (CPUID_EXT2_SYSCALL | CPUID_EXT2_LM);
}

uint64_t cpu_efer_allowed(CPUX86State *env)
{
    uint64_t ok = 0;
    if (env->cpuid_ext2_features & CPUID_EXT2_NX) ok |= EFER_NXE;
    if (has_syscall(env)) ok |= EFER_SCE;
    if (has_lm(env)) ok |= EFER_LME;
    return ok;
}

static int mtrr_fixed_index(uint32_t msr)
{
    if (msr == MSR_MTRR_FIX64K) return 0;
    if (msr == MSR_MTRR_FIX16K0) return 1;
    if (msr == MSR_MTRR_FIX16K1) return 2;
    if (msr >= MSR_MTRR_FIX4K0 && msr < MSR_MTRR_FIX4K0 + 8) return 3 + msr - MSR_MTRR_FIX4K0;
    return -1;
}

/*
 * AMD's model-specific MSRs (system and northbridge configuration, HWCR,
 * the interrupt-pending message...), which Linux reads and writes with
 * plain RDMSR/WRMSR when the vendor is AMD: zeros, writes ignored, as QEMU
 * TCG answers every MSR it does not know.  Outside this range, and for
 * Intel, an unknown MSR is #GP as on hardware.
 */
static bool amd_model_msr(CPUX86State *env, uint32_t msr)
{
    return !x86_cpu_is_intel(env) && msr >= MSR_AMD_FIRST && msr <= MSR_AMD_LAST;
}

static void __attribute__((noreturn)) msr_fault(CPUX86State *env, uint32_t msr, bool write)
{
    vlog(LOG_UNIMP, "%s of unknown MSR 0x%x\n", write ? "wrmsr" : "rdmsr", msr);
    raise_exception_err(env, EXCP_GP, 0);
}

static void rdmsr_locked(CPUX86State *env)
{
    if (cpu_cpl(env) != 0 && (env->hflags & HF_PE)) {
        raise_exception_err(env, EXCP_GP, 0);
    }
    uint32_t msr = (uint32_t)env->regs[R_ECX];
    uint64_t v;
    bool mtrr = has_feature(env, CPUID_MTRR);
    int fx;
    switch (msr) {
    case MSR_TSC: v = tsc_now(env); break;
    case MSR_PLATFORM_ID: v = 0; break;
    case MSR_BIOS_SIGN: v = 0; break;
    case MSR_SYSENTER_CS: v = env->sysenter_cs; break;
    case MSR_SYSENTER_ESP: v = env->sysenter_esp; break;
    case MSR_SYSENTER_EIP: v = env->sysenter_eip; break;
    case MSR_MISC_ENABLE: v = env->misc_enable; break;
    case MSR_APIC_BASE:
        if (!env->apic) msr_fault(env, msr, false);
        v = apic_get_base(env->apic);
        break;
    case MSR_TSC_DEADLINE:
    case MSR_X2APIC_FIRST ... MSR_X2APIC_LAST:
        lockstep_check(env, "APIC MSR");
        if (!env->apic || !apic_msr_read(env->apic, msr, &v)) {
            raise_exception_err(env, EXCP_GP, 0);
        }
        break;
    case MSR_PAT:
        if (!has_feature(env, CPUID_PAT)) msr_fault(env, msr, false);
        v = env->pat;
        break;
    case MSR_EFER:
        if (!(env->cpuid_ext2_features & (CPUID_EXT2_NX | CPUID_EXT2_LM | CPUID_EXT2_SYSCALL))) {
            msr_fault(env, msr, false);
        }
        v = env->efer;
        break;
    case MSR_STAR:
        if (!has_syscall(env)) msr_fault(env, msr, false);
        v = env->star;
        break;
    case MSR_LSTAR: case MSR_CSTAR: case MSR_FMASK: case MSR_FS_BASE: case MSR_GS_BASE:
    case MSR_KERNEL_GS_BASE:
        if (!has_lm(env)) msr_fault(env, msr, false);
        v = msr == MSR_LSTAR ? env->lstar : msr == MSR_CSTAR ? env->cstar :
            msr == MSR_FMASK ? env->fmask : msr == MSR_FS_BASE ? env->segs[R_FS].base :
            msr == MSR_GS_BASE ? env->segs[R_GS].base : env->kernelgsbase;
        break;
    case MSR_TSC_AUX:
        if (!(env->cpuid_ext2_features & CPUID_EXT2_RDTSCP)) msr_fault(env, msr, false);
        v = env->tsc_aux;
        break;
    case MSR_PKRS:
        if (!(env->cpuid_7_0_ecx & CPUID_7_ECX_PKS)) msr_fault(env, msr, false);
        v = env->pkrs;
        break;
    case MSR_ARCH_CAPABILITIES:
        if (!(env->cpuid_7_0_edx & CPUID_7_EDX_ARCH_CAPABILITIES)) msr_fault(env, msr, false);
        v = ARCH_CAP_NOT_AFFECTED |
            ((env->cpuid_7_0_edx & CPUID_7_EDX_SPEC_CTRL) ? ARCH_CAP_IBRS_ALL : 0);
        break;
    case MSR_SPEC_CTRL:
        if (!spec_ctrl_valid(env)) msr_fault(env, msr, false);
        v = env->spec_ctrl;
        break;
    case MSR_MTRRCAP:
        if (!mtrr) msr_fault(env, msr, false);
        v = 0x500 | 8;                           /* fixed ranges, WC, 8 variable */
        break;
    case MSR_MCG_CAP:
        if (!has_mca(env)) msr_fault(env, msr, false);
        v = MCG_CTL_P | MCE_BANKS;
        break;
    case MSR_MCG_STATUS:
        if (!has_mca(env)) msr_fault(env, msr, false);
        v = env->mcg_status;
        break;
    case MSR_MCG_CTL:
        if (!has_mca(env)) msr_fault(env, msr, false);
        v = env->mcg_ctl;
        break;
    case MSR_MTRR_DEFTYPE:
        if (!mtrr) msr_fault(env, msr, false);
        v = env->mtrr_deftype;
        break;
    default:
        if (mtrr && (fx = mtrr_fixed_index(msr)) >= 0) {
            v = env->mtrr_fixed[fx];
        } else if (mtrr && msr >= MSR_MTRR_PHYS0 && msr < MSR_MTRR_PHYS0 + 16) {
            v = env->mtrr_var[msr - MSR_MTRR_PHYS0];
        } else if ((fx = mce_bank_index(env, msr)) >= 0) {
            v = env->mce_banks[fx];
        } else if (amd_model_msr(env, msr)) {
            v = 0;
        } else {
            msr_fault(env, msr, false);
        }
        break;
    }
    env->regs[R_EAX] = (uint32_t)v;
    env->regs[R_EDX] = (uint32_t)(v >> 32);
}

static void wrmsr_locked(CPUX86State *env)
{
    if (cpu_cpl(env) != 0 && (env->hflags & HF_PE)) {
        raise_exception_err(env, EXCP_GP, 0);
    }
    uint32_t msr = (uint32_t)env->regs[R_ECX];
    uint64_t v = ((uint64_t)(uint32_t)env->regs[R_EDX] << 32) | (uint32_t)env->regs[R_EAX];
    bool mtrr = has_feature(env, CPUID_MTRR);
    int fx;
    switch (msr) {
    case MSR_TSC:
        lockstep_check(env, "TSC write");
        env->tsc_offset = v - (uint64_t)clock_get_ns(CLOCK_VIRTUAL);
        break;
    case MSR_BIOS_SIGN:
    case MSR_PLATFORM_ID:
        break;
    case MSR_ARCH_CAPABILITIES:                  /* read-only */
        raise_exception_err(env, EXCP_GP, 0);
    case MSR_SPEC_CTRL:
        if (!spec_ctrl_valid(env)) msr_fault(env, msr, true);
        if (v & ~spec_ctrl_valid(env)) {
            raise_exception_err(env, EXCP_GP, 0);
        }
        env->spec_ctrl = v;
        break;
    case MSR_PRED_CMD:
        /* write-only: bit 0 IBPB (a barrier with nothing to stop here) */
        if (!(env->cpuid_7_0_edx & CPUID_7_EDX_SPEC_CTRL)) msr_fault(env, msr, true);
        if (v & ~1ull) {
            raise_exception_err(env, EXCP_GP, 0);
        }
        break;
    case MSR_SYSENTER_CS: env->sysenter_cs = (uint32_t)v; break;
    case MSR_SYSENTER_ESP:
    case MSR_SYSENTER_EIP:
        if (has_lm(env) && !is_canonical_addr(v)) {
            raise_exception_err(env, EXCP_GP, 0);
        }
        if (!has_lm(env)) {
            v = (uint32_t)v;
        }
        if (msr == MSR_SYSENTER_ESP) {
            env->sysenter_esp = v;
        } else {
            env->sysenter_eip = v;
        }
        break;
    case MSR_STAR:
        if (!has_syscall(env)) msr_fault(env, msr, true);
        env->star = v;
        break;
    case MSR_LSTAR: case MSR_CSTAR: case MSR_FS_BASE: case MSR_GS_BASE:
    case MSR_KERNEL_GS_BASE:
        if (!has_lm(env)) msr_fault(env, msr, true);
        if (!is_canonical_addr(v)) {
            raise_exception_err(env, EXCP_GP, 0);
        }
        if (msr == MSR_LSTAR) {
            env->lstar = v;
        } else if (msr == MSR_CSTAR) {
            env->cstar = v;
        } else if (msr == MSR_FS_BASE) {
            env->segs[R_FS].base = v;
        } else if (msr == MSR_GS_BASE) {
            env->segs[R_GS].base = v;
        } else {
            env->kernelgsbase = v;
        }
        break;
    case MSR_FMASK:
        if (!has_lm(env)) msr_fault(env, msr, true);
        env->fmask = (uint32_t)v;
        break;
    case MSR_PKRS:
        if (!(env->cpuid_7_0_ecx & CPUID_7_ECX_PKS)) msr_fault(env, msr, true);
        if (v >> 32) {
            raise_exception_err(env, EXCP_GP, 0);   /* bits 63:32 reserved */
        }
        env->pkrs = (uint32_t)v;
        tlb_flush(env);                   /* cached rights of supervisor pages change */
        break;
    case MSR_TSC_AUX:
        if (!(env->cpuid_ext2_features & CPUID_EXT2_RDTSCP)) msr_fault(env, msr, true);
        if (v >> 32) {
            raise_exception_err(env, EXCP_GP, 0);
        }
        env->tsc_aux = v;
        break;
    case MSR_MISC_ENABLE:
        env->misc_enable = (v & ~MISC_ENABLE_RO) | (env->misc_enable & MISC_ENABLE_RO);
        break;
    case MSR_APIC_BASE:
        if (!env->apic) msr_fault(env, msr, true);
        lockstep_check(env, "APIC MSR");
        if (!apic_set_base(env->apic, v)) {
            raise_exception_err(env, EXCP_GP, 0);
        }
        break;
    case MSR_TSC_DEADLINE:
    case MSR_X2APIC_FIRST ... MSR_X2APIC_LAST:
        lockstep_check(env, "APIC MSR");
        if (!env->apic || !apic_msr_write(env->apic, msr, v)) {
            raise_exception_err(env, EXCP_GP, 0);
        }
        break;
    case MSR_PAT: {
        if (!has_feature(env, CPUID_PAT)) msr_fault(env, msr, true);
        /* each byte must be a valid memory type: 0, 1, 4, 5, 6, 7 */
        for (int i = 0; i < 8; i++) {
            uint8_t t = v >> (i * 8);
            if (t > 7 || t == 2 || t == 3) {
                raise_exception_err(env, EXCP_GP, 0);
            }
        }
        env->pat = v;
        break;
    }
    case MSR_EFER: {
        uint64_t ok = cpu_efer_allowed(env);
        if (!ok) msr_fault(env, msr, true);
        /* LMA is read-only (writes are ignored); LME cannot change while
         * paging is on (SDM 2.2.1) */
        if ((v & ~(ok | EFER_LMA)) ||
            (((v ^ env->efer) & EFER_LME) && (env->cr[0] & CR0_PG))) {
            raise_exception_err(env, EXCP_GP, 0);
        }
        v = (v & ~(uint64_t)EFER_LMA) | (env->efer & EFER_LMA);
        if ((env->efer ^ v) & EFER_NXE) {
            tlb_flush(env);
        }
        env->efer = v;
        break;
    }
    case MSR_MCG_CAP:
        msr_fault(env, msr, true);                /* read-only */
    case MSR_MCG_STATUS:
        if (!has_mca(env)) msr_fault(env, msr, true);
        env->mcg_status = v;
        break;
    case MSR_MCG_CTL:
        /* all ones enables every feature, all zeros none; other values are
         * not architected: ignored, as the register keeps its meaning */
        if (!has_mca(env)) msr_fault(env, msr, true);
        if (v == 0 || v == ~0ULL) {
            env->mcg_ctl = v;
        }
        break;
    case MSR_MTRR_DEFTYPE:
        if (!mtrr) msr_fault(env, msr, true);
        if (v & ~0xcffULL) {
            raise_exception_err(env, EXCP_GP, 0);
        }
        env->mtrr_deftype = v;
        break;
    default:
        if (mtrr && (fx = mtrr_fixed_index(msr)) >= 0) {
            env->mtrr_fixed[fx] = v;
        } else if (mtrr && msr >= MSR_MTRR_PHYS0 && msr < MSR_MTRR_PHYS0 + 16) {
            env->mtrr_var[msr - MSR_MTRR_PHYS0] = v;
        } else if ((fx = mce_bank_index(env, msr)) >= 0) {
            /* MCi_CTL takes only all zeros or all ones (bits 0 and 10 may
             * read as 0 on some parts); MCi_STATUS only 0, to clear a
             * logged error (SDM 15.3.2.1, 15.3.2.2): #GP otherwise, as
             * on hardware and under KVM */
            if ((fx % 4 == 0 && v != 0 && (v | (1u << 10) | 1) != ~0ULL) ||
                (fx % 4 == 1 && v != 0)) {
                raise_exception_err(env, EXCP_GP, 0);
            }
            env->mce_banks[fx] = v;
        } else if (!amd_model_msr(env, msr)) {
            msr_fault(env, msr, true);
        }
        break;
    }
}

/* MSRs reach the local APIC, the MTRR-driven memory map and timers: under
 * the BQL (a #GP leaves through x86_cpu_exec's landing pad, which drops it) */
void helper_rdmsr(CPUX86State *env)
{
    bool locked = bql_lock_if_needed();
    rdmsr_locked(env);
    bql_unlock_if(locked);
}

void helper_wrmsr(CPUX86State *env)
{
    bool locked = bql_lock_if_needed();
    wrmsr_locked(env);
    bql_unlock_if(locked);
}

/* ---- CR8: the task priority (TPR[7:4]) of the local APIC (SDM 10.8.6.1) ---- */

void cpu_set_cr8(CPUX86State *env, uint64_t val)
{
    if (val & ~0xfull) {
        raise_exception_err(env, EXCP_GP, 0);
    }
    if (env->apic) {
        lockstep_check(env, "CR8 write (APIC TPR)");
        bool locked = bql_lock_if_needed();
        apic_set_tpr_cr8(env->apic, (uint8_t)val);
        bql_unlock_if(locked);
    }
}

uint64_t cpu_get_cr8(CPUX86State *env)
{
    if (!env->apic) {
        return 0;
    }
    bool locked = bql_lock_if_needed();
    uint64_t v = apic_get_tpr_cr8(env->apic);
    bql_unlock_if(locked);
    return v;
}

void helper_hlt(CPUX86State *env, uint64_t next_eip)
{
    if ((env->hflags & HF_PE) && cpu_cpl(env) != 0) {
        raise_exception_err(env, EXCP_GP, 0);
    }
    env->hflags |= HF_HALTED;
    env->eip = next_eip;
}

void helper_invlpg(CPUX86State *env, target_ulong la)
{
    tlb_flush_page(env, la);
}

/* port I/O reaches the device models: under the BQL */
uint32_t cpu_io_read(CPUX86State *env, uint16_t port, int size)
{
    lockstep_check(env, "port I/O");
    bool locked = bql_lock_if_needed();
    uint32_t v = (uint32_t)address_space_ld(&address_space_io, port, size);
    bql_unlock_if(locked);
    return v;
}

void cpu_io_write(CPUX86State *env, uint16_t port, uint32_t val, int size)
{
    lockstep_check(env, "port I/O");
    bool locked = bql_lock_if_needed();
    address_space_st(&address_space_io, port, val, size);
    bql_unlock_if(locked);
}
