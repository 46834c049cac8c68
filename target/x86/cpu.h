/*
 * The x86 CPU: architectural state and the interface the machine uses.
 *
 * Register state that can be derived (e.g. the arithmetic flags) is kept
 * lazily: cc_op says which operation last set the flags and cc_dst/cc_src/
 * cc_src2 hold its result and operands; cpu_compute_eflags() materialises
 * them.  Everything that selects how code is decoded (CPL, code/stack size,
 * PE/VM86/long mode, A20) is cached in hflags, which is part of the
 * translation-block key.
 */
#ifndef TARGET_X86_CPU_H
#define TARGET_X86_CPU_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>

#include "hw/core/irq.h"

typedef uint64_t target_ulong;     /* virtual addresses and register width */

/* general registers */
enum { R_EAX, R_ECX, R_EDX, R_EBX, R_ESP, R_EBP, R_ESI, R_EDI };
/* segment registers, in encoding order */
enum { R_ES, R_CS, R_SS, R_DS, R_FS, R_GS, R_NONE_SEG = 6 };

/* EFLAGS bits */
#define CC_C    0x0001
#define CC_P    0x0004
#define CC_A    0x0010
#define CC_Z    0x0040
#define CC_S    0x0080
#define CC_O    0x0800
#define CC_MASK (CC_C | CC_P | CC_A | CC_Z | CC_S | CC_O)
#define MXCSR_FLAGS 0x003f      /* IE DE ZE OE UE PE */
#define MXCSR_MASKS 0x1f80      /* their masks: all set at power-on */
#define TF_MASK   0x00000100
#define IF_MASK   0x00000200
#define DF_MASK   0x00000400
#define IOPL_MASK 0x00003000
#define IOPL_SHIFT 12
#define NT_MASK   0x00004000
#define RF_MASK   0x00010000
#define VM_MASK   0x00020000
#define AC_MASK   0x00040000
#define VIF_MASK  0x00080000
#define VIP_MASK  0x00100000
#define ID_MASK   0x00200000

/* Segment descriptor attribute bits as stored in SegmentCache.flags:
 * bits 8..23 of the descriptor's high dword, in place. */
#define DESC_TYPE_SHIFT 8
#define DESC_TYPE_MASK  (15 << DESC_TYPE_SHIFT)
#define DESC_A_MASK     (1 << 8)
#define DESC_W_MASK     (1 << 9)    /* data: writable */
#define DESC_R_MASK     (1 << 9)    /* code: readable */
#define DESC_E_MASK     (1 << 10)   /* data: expand-down */
#define DESC_C_MASK     (1 << 10)   /* code: conforming */
#define DESC_CS_MASK    (1 << 11)   /* code (vs data) */
#define DESC_S_MASK     (1 << 12)   /* code/data (vs system) */
#define DESC_DPL_SHIFT  13
#define DESC_DPL_MASK   (3 << DESC_DPL_SHIFT)
#define DESC_P_MASK     (1 << 15)
#define DESC_AVL_MASK   (1 << 20)
#define DESC_L_MASK     (1 << 21)
#define DESC_B_MASK     (1 << 22)   /* D/B: 32-bit */
#define DESC_G_MASK     (1 << 23)

typedef struct SegmentCache {
    uint16_t selector;
    uint64_t base;
    uint32_t limit;       /* expanded byte limit (G applied) */
    uint32_t flags;       /* DESC_* bits */
} SegmentCache;

typedef struct DescTable {
    uint64_t base;
    uint32_t limit;
} DescTable;

/* CR0 / CR4 / EFER bits */
#define CR0_PE (1u << 0)
#define CR0_MP (1u << 1)
#define CR0_EM (1u << 2)
#define CR0_TS (1u << 3)
#define CR0_ET (1u << 4)
#define CR0_NE (1u << 5)
#define CR0_WP (1u << 16)
#define CR0_AM (1u << 18)
#define CR0_NW (1u << 29)
#define CR0_CD (1u << 30)
#define CR0_PG (1u << 31)
#define CR4_VME (1u << 0)
#define CR4_PVI (1u << 1)
#define CR4_TSD (1u << 2)
#define CR4_DE  (1u << 3)
#define CR4_PSE (1u << 4)
#define CR4_PAE (1u << 5)
#define CR4_MCE (1u << 6)
#define CR4_PGE (1u << 7)
#define CR4_PCE (1u << 8)
#define CR4_OSFXSR (1u << 9)
#define CR4_OSXMMEXCPT (1u << 10)
#define CR4_UMIP (1u << 11)
#define CR4_SMEP (1u << 20)
#define CR4_SMAP (1u << 21)
#define CR4_PKE  (1u << 22)
#define CR4_PKS  (1u << 24)
/* CPUID 7.0 bits for the access-rights features (SDM vol. 3, 4.6) */
#define CPUID_7_EBX_SMEP (1u << 7)
#define CPUID_7_EBX_SMAP (1u << 20)
#define CPUID_7_ECX_UMIP (1u << 2)
#define CPUID_7_ECX_PKU  (1u << 3)
#define CPUID_7_ECX_OSPKE (1u << 4)
#define CPUID_7_ECX_PKS  (1u << 31)
#define CPUID_7_EDX_SPEC_CTRL (1u << 26)         /* IBRS and IBPB: IA32_SPEC_CTRL, IA32_PRED_CMD */
#define CPUID_7_EDX_STIBP (1u << 27)
#define CPUID_7_EDX_ARCH_CAPABILITIES (1u << 29)
#define CPUID_7_EDX_SSBD (1u << 31)
#define CPUID_7_2_EDX_BHI_CTRL (1u << 4)          /* IA32_SPEC_CTRL.BHI_DIS_S (bit 10) */
#define EFER_SCE (1u << 0)
#define EFER_LME (1u << 8)
#define EFER_LMA (1u << 10)
#define EFER_NXE (1u << 11)

/* CPUID 1 ECX bits used outside the CPU model code */
#define CPUID_EXT_X2APIC       (1u << 21)
#define CPUID_EXT_TSC_DEADLINE (1u << 24)

/* CPUID 0x80000001 EDX bits used outside the CPU model code */
#define CPUID_EXT2_SYSCALL (1u << 11)
#define CPUID_EXT2_NX      (1u << 20)
#define CPUID_EXT2_RDTSCP  (1u << 27)
#define CPUID_EXT2_LM      (1u << 29)

/* 48-bit linear addresses: bits 63..47 must equal bit 47 */
static inline bool is_canonical_addr(uint64_t a)
{
    /* shift as unsigned (a signed left shift of a negative value is UB),
     * then sign-extend bit 47 with an arithmetic right shift */
    return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

/* hflags: the mode bits that change decoding; part of the TB key. */
#define HF_CPL_MASK     0x0003     /* current privilege level */
#define HF_CS32         (1u << 2)  /* default operand/address size 32 */
#define HF_SS32         (1u << 3)  /* stack is 32-bit (B bit of SS) */
#define HF_PE           (1u << 4)
#define HF_VM86         (1u << 5)
#define HF_ADDSEG       (1u << 6)  /* some of DS/ES/SS has a non-zero base */
#define HF_LMA          (1u << 7)
#define HF_CS64         (1u << 8)
#define HF_TF           (1u << 9)  /* single-step trap pending after insn */
#define HF_INHIBIT_IRQ  (1u << 10) /* interrupt shadow (MOV SS/POP SS/STI) */
#define HF_SMM          (1u << 11)
#define HF_HALTED       (1u << 12)
#define HF_NMI_MASK     (1u << 13) /* an NMI handler runs: further NMIs wait for IRET */
#define HF_MOVSS        (1u << 14) /* MOV SS/POP SS shadow: #DB traps wait one insn too */
#define HF_SMAP         (1u << 15) /* CR4.SMAP: EFLAGS.AC may pick the SMAP mmu index */

/* Exception vectors */
enum {
    EXCP_DE = 0, EXCP_DB = 1, EXCP_NMI = 2, EXCP_BP = 3, EXCP_OF = 4,
    EXCP_BR = 5, EXCP_UD = 6, EXCP_NM = 7, EXCP_DF = 8, EXCP_TS = 10,
    EXCP_NP = 11, EXCP_SS = 12, EXCP_GP = 13, EXCP_PF = 14, EXCP_MF = 16,
    EXCP_AC = 17, EXCP_MC = 18, EXCP_XM = 19,
    /* not a vector: the CPU enters the shutdown state (RSM found an
     * invalid save state); the machine resets as on a triple fault */
    EXCP_SHUTDOWN = 0x100,
};

/* interrupt_request bits (set from device code, read by the exec loop) */
#define CPU_INTERRUPT_HARD  (1u << 0)   /* INTR line asserted (PIC/APIC) */
#define CPU_INTERRUPT_NMI   (1u << 1)
#define CPU_INTERRUPT_EXIT  (1u << 2)   /* leave cpu_exec() soon (main loop work) */
#define CPU_INTERRUPT_INIT  (1u << 3)
#define CPU_INTERRUPT_SIPI  (1u << 4)
#define CPU_INTERRUPT_SMI   (1u << 5)   /* SMI# (APMC port, SMI IPI): taken outside SMM */
#define CPU_INTERRUPT_TLB_FLUSH (1u << 6) /* another thread changed the memory map:
                                             flush this CPU's TLB between blocks */

/* x87 (complete model arrives with the Linux issue; FNINIT/FNSTSW/FNSTCW now). */
typedef struct X86FPUState {
    uint16_t fcw, fsw, ftw_tag;   /* ftw_tag: full 16-bit tag word */
    uint8_t top;
    long double st[8];
    uint16_t fop;
    uint64_t fip, fdp;
    uint16_t fcs, fds;
    /* SSE state saved/restored by FXSAVE/FXRSTOR (target/x86/x87.c). */
    uint8_t xmm[16][16];
    uint32_t mxcsr;
} X86FPUState;

#define TLB_BITS 12
#define TLB_SIZE (1 << TLB_BITS)
#define TLB_USED_MAX 2048
/* 0: supervisor (CPL<3, and implicit supervisor accesses), 1: user (CPL 3),
 * 2: explicit supervisor access with EFLAGS.AC=1 under CR4.SMAP, which may
 * touch user pages; a mode of its own so that STAC/CLAC/POPF need no flush. */
#define NB_MMU_MODES 3

/* One softmmu TLB entry: virtual page -> host addend for RAM.  An address
 * field that does not match (or has TLB_SLOW set) sends the access to the
 * slow path (MMIO, code pages, not-present). */
typedef struct TLBEntry {
    uint64_t addr_read;      /* page | flags, or -1 */
    uint64_t addr_write;
    uint64_t addr_code;
    uintptr_t addend;        /* host = guest_vaddr + addend */
    uint64_t paddr;          /* physical page */
    uint64_t pad[3];         /* 64 bytes: tier 1 indexes the table with a shift */
} TLBEntry;
/* tier 1's one-entry TLB of a translated load (CPUX86State.jit_site) */
typedef struct JitSite {
    uint64_t tag;
    uintptr_t addend;
} JitSite;
#define JIT_SITES 4096
#define TLB_SLOW  (1u << 1)  /* page-aligned addresses leave low bits free */
#define TLB_MMIO  (1u << 2)
/* a RAM page whose region logs dirty pages and that is clean: the first
 * store goes slow (and marks it), then the entry is refilled fast */
#define TLB_NOTDIRTY (1u << 3)
/* -accel tcg,lockstep=on: a plain RAM page whose stores go slow anyway, so
 * that accel/tcg/lockstep.c sees (and can undo) every one of them */
#define TLB_LOCKSTEP (1u << 4)

/* Machine-check banks offered in IA32_MCG_CAP (QEMU's pc offers 10 too). */
#define MCE_BANKS 10

typedef struct CPUX86State {
    /* general registers, 64-bit wide for long mode later */
    uint64_t regs[16];
    uint64_t eip;
    uint32_t eflags;          /* everything except CC_MASK bits while cc_op != CC_OP_EFLAGS */
    int cc_op;                /* enum CCOp, lazy flags (flags.h) */
    uint64_t cc_dst, cc_src, cc_src2;

    SegmentCache segs[6];
    SegmentCache ldt, tr;
    DescTable gdt, idt;

    uint64_t cr[5];           /* CR0, (CR1), CR2 (low), CR3 (64-bit in long mode), CR4 */
    uint64_t cr2;             /* full-width CR2 */
    uint64_t dr[8];
    uint8_t dr_exec_en;       /* DR7: enabled instruction breakpoints (bit n = DRn) */
    uint8_t dr_data_en;       /* DR7: enabled data-write or data-read/write breakpoints */
    uint8_t dr_hit;           /* data breakpoints hit by the current instruction */
    uint64_t efer;
    uint32_t hflags;
    uint32_t a20_mask;        /* ~(1<<20) when A20 is off */

    X86FPUState fpu;

    /* MSRs held as data */
    uint64_t tsc_offset;      /* guest TSC = host-derived count + offset */
    uint32_t sysenter_cs;
    uint64_t sysenter_esp, sysenter_eip;
    uint64_t apic_base;
    uint64_t pat;
    uint64_t mtrr_deftype, mtrr_fixed[11], mtrr_var[16];
    uint64_t star, lstar, cstar, fmask, kernelgsbase;
    uint64_t tsc_aux;
    uint32_t pkru;            /* protection-key rights, user pages (RDPKRU/WRPKRU) */
    uint32_t pkrs;            /* IA32_PKRS: the same for supervisor pages */
    uint64_t spec_ctrl;       /* IA32_SPEC_CTRL: IBRS, STIBP, SSBD (no effect: nothing speculates) */
    uint64_t smbase;          /* SMRAM base (SDM vol. 3, 34.4): 0x30000 after RESET */
    bool smm_nmi_blocked;     /* NMIs were blocked when the SMI came: RSM keeps them so */
    /* machine-check architecture (SDM vol. 3 ch. 15): MCG_STATUS, MCG_CTL
     * and per bank CTL, STATUS, ADDR, MISC; no error is ever logged */
    uint64_t mcg_status, mcg_ctl;
    uint64_t misc_enable;     /* IA32_MISC_ENABLE */
    uint64_t mce_banks[MCE_BANKS * 4];

    /* CPUID model */
    uint32_t cpuid_level, cpuid_xlevel;
    uint32_t cpuid_vendor[3];
    uint32_t cpuid_version;          /* leaf 1 EAX */
    uint32_t cpuid_features;         /* leaf 1 EDX */
    uint8_t phys_bits;               /* MAXPHYADDR; 0: from the model (x86_maxphyaddr) */
    uint32_t cpuid_ext_features;     /* leaf 1 ECX */
    uint32_t cpuid_ext2_features;    /* 0x80000001 EDX */
    uint32_t cpuid_ext3_features;    /* 0x80000001 ECX */
    uint32_t cpuid_7_0_ebx, cpuid_7_0_ecx, cpuid_7_0_edx;   /* leaf 7 subleaf 0 */
    uint32_t cpuid_7_2_edx;                                 /* leaf 7 subleaf 2 */
    char cpuid_model_id[48];
    uint32_t nr_cpus;                /* CPUs of the machine (CPUID 0xB topology) */

    /* softmmu */
    TLBEntry tlb[NB_MMU_MODES][TLB_SIZE];

    /*
     * What every tier-1 block reads or writes, packed into one cache line.
     * Its offset modulo 4 KiB decides which TLB entries it aliases (a load
     * of an entry right after a store here with the same low 12 address
     * bits stalls): packed, that is 2% of the page indices; spread over
     * 0x168 bytes it was 9%, and a busybox loop whose hot code pages fell
     * there ran 35% slower.  Right after the TLB (whose 64-byte entries
     * make 4 KiB of it 64 of them): the entries it aliases are those of
     * page indices 0 modulo 64.
     */
    uint64_t instr_count;             /* retired instructions (statistics, the budget) */
    uint64_t jit_end_count;   /* tier 1: chained code leaves when instr_count reaches this */
    int64_t jit_count;        /* while tier 1 runs: its count, instr_count - jit_end_count */
    bool jit_counting;        /* jit_count holds the count (jit_count_sync folds it back) */
    uint64_t jit_grp[4];      /* tier 1's TLB groups: a host address, or 0 (accel/tcg/jit.c) */
    uint32_t jit_csr;         /* tier 1's scalar SSE: the host MXCSR on its way in and out */
    void *tb_jmp_cache;       /* last block run at a linear PC, by hash (accel/tcg/tb-cache.c) */
    uint64_t insn_start_eip;  /* EIP of the instruction being executed */
    volatile uint32_t interrupt_request;

    /* execution */
    uint32_t nmi_queued;      /* NMIs sent, not yet counted into nmi_pending (atomic) */
    uint32_t nmi_pending;     /* NMIs waiting, at most 2 (1 while NMIs are blocked) */
    int exception_index;      /* pending exception vector or -1 */
    int error_code;
    int exception_is_int;     /* software INT n (affects DPL check, EIP) */
    uint64_t exception_next_eip;
    int old_exception;        /* for double-fault classification, -1 */
    uint8_t insn_rex;         /* REX prefix of that instruction (byte registers) */
    sigjmp_buf jmp_env;       /* raise_exception() longjmps here */
    /* a locked read-modify-write in progress (exec.c exec_atomic) */
    bool lock_armed;          /* rmw_ld/rmw_st go through cpu_atomic_ld/st */
    bool lock_retry;          /* the compare-and-swap lost: run the instruction again */
    bool lock_fallback;       /* holds the mutex of locked accesses that are not plain RAM */
    uint8_t *lock_host;       /* host address of the operand (NULL: fallback) */
    uint64_t lock_old;        /* the value the instruction read */

    /* machine hooks */
    int (*intr_ack)(void *opaque);    /* INTR acknowledge: vector (PIC/APIC), -1 if none */
    void *intr_opaque;
    void *apic;                       /* this CPU's local APIC (hw/intc/apic.h Device), or NULL */
    /* Physical memory as this CPU sees it in System Management Mode
     * (SMRAM visible), set by the machine; NULL: the CPU has no SMM and
     * SMIs are dropped.  Outside SMM it uses address_space_memory. */
    struct AddressSpace *smm_as;
    int cpu_index;
    bool pause_yields;        /* PAUSE ends the slice (other vCPUs share the thread) */
    bool wait_sipi;           /* an AP after RESET/INIT: only a SIPI starts it */
    uint8_t sipi_vector;

    /* the TCG accelerator's per-vCPU state (accel/tcg/tb-cache.c) */
    uint64_t tb_epoch;        /* quiescent-state epoch published between blocks, 0 outside x86_cpu_exec */
    /* tier 1 (accel/tcg/jit.c): statistics for HMP info jit */
    uint64_t jit_slot_exits;  /* block ends left to the loop through an unlinked slot */
    uint64_t jit_runs;        /* tier-1 code entered from the loop */
    uint64_t tb_runs;         /* tier-0 blocks run */
    /* accel/tcg/lockstep.c: a block is being compared under both tiers:
     * stores are logged, side effects beyond CPU and RAM abort it */
    uint8_t lockstep_rec;
    /*
     * The TLB entries filled since the last flush ((mode << TLB_BITS) |
     * index; more than TLB_USED_MAX: untracked, the next flush clears all),
     * so a MOV to CR3 clears only those and keeps the global ones (SDM
     * vol. 3, 4.10.4.1): Linux's PTI writes CR3 on every kernel entry and
     * exit.  Last in the struct: the JIT's hot fields keep their offsets.
     */
    unsigned tlb_nused;
    uint16_t tlb_used[TLB_USED_MAX];
    uint8_t tlb_global[NB_MMU_MODES][TLB_SIZE];   /* the entry maps a global page (CR4.PGE) */
    /*
     * Tier 1's load sites (accel/tcg/jit.c): a translated load (in a
     * block that loops on itself) of the supervisor or the user mmu index
     * first tries a one-entry TLB of its own, which needs no index
     * computed from the address, so its host address is ready as soon as
     * the address is.  An entry holds what a
     * hit of the real TLB gave: tag = page | jit_site_key, and the addend.
     * Every TLB flush moves jit_site_key on (tlb_sites_flush), which
     * retires all entries at once; tag 1 never matches.  Loads only: the
     * fast writes of a page can be taken away by another thread (code
     * pages, dirty logging), which the TLB's tag alone handles.
     */
    uint64_t jit_site_key;
    JitSite jit_site[2][JIT_SITES];
} CPUX86State;

typedef CPUX86State X86CPU;

/* cc_op values for lazy flags (flags.c computes from these) */
typedef enum CCOp {
    CC_OP_EFLAGS = 0,   /* flags are in eflags already */
    CC_OP_ADDB, CC_OP_ADDW, CC_OP_ADDL, CC_OP_ADDQ,
    CC_OP_ADCB, CC_OP_ADCW, CC_OP_ADCL, CC_OP_ADCQ,
    CC_OP_SUBB, CC_OP_SUBW, CC_OP_SUBL, CC_OP_SUBQ,
    CC_OP_SBBB, CC_OP_SBBW, CC_OP_SBBL, CC_OP_SBBQ,
    CC_OP_LOGICB, CC_OP_LOGICW, CC_OP_LOGICL, CC_OP_LOGICQ,
    CC_OP_INCB, CC_OP_INCW, CC_OP_INCL, CC_OP_INCQ,
    CC_OP_DECB, CC_OP_DECW, CC_OP_DECL, CC_OP_DECQ,
    CC_OP_SHLB, CC_OP_SHLW, CC_OP_SHLL, CC_OP_SHLQ,
    CC_OP_SARB, CC_OP_SARW, CC_OP_SARL, CC_OP_SARQ,
    CC_OP_MULB, CC_OP_MULW, CC_OP_MULL, CC_OP_MULQ,
    CC_OP_NB,
} CCOp;

/* ---- interface used by the machine (hw/i386/pc.c, main loop) ---- */

/* cpu_model: "MODEL[,OPTION...]" as -cpu takes it ("qemu64", "Haswell,-avx2",
 * "EPYC,enforce", ...); NULL = default (qemu64).  Features Vireo lacks are
 * filtered out, with a warning on stderr unless check=off.  Returns NULL
 * and sets *err (g_strdup'd message) for an unknown model or feature, a bad
 * property value, or with "enforce" when something was filtered out. */
X86CPU *x86_cpu_new(const char *cpu_model, char **err);
/* -cpu help: the models and the CPUID flags, on stdout. */
void x86_cpu_list(void);
/* MAXPHYADDR: one value for CPUID 0x80000008, the CR3 check and the page
 * walker's reserved bits.  phys-bits if set, else as QEMU TCG: 40 for
 * 64-bit CPUs, 36 for 32-bit ones with PAE or PSE-36, else 32 (SDM vol. 3,
 * 4.1.4) -- whether or not the model reaches leaf 0x80000008. */
static inline unsigned x86_maxphyaddr(const CPUX86State *env)
{
    if (env->phys_bits) {
        return env->phys_bits;
    }
    if (env->cpuid_ext2_features & CPUID_EXT2_LM) {
        return 40;
    }
    return (env->cpuid_features & (1u << 6 | 1u << 17)) ? 36 : 32;    /* PAE, PSE-36 */
}
/* CPUID vendor "GenuineIntel": where Intel and AMD parts differ, the
 * model follows the vendor the guest sees. */
static inline bool x86_cpu_is_intel(const CPUX86State *env)
{
    return env->cpuid_vendor[0] == 0x756e6547 && env->cpuid_vendor[1] == 0x49656e69 &&
           env->cpuid_vendor[2] == 0x6c65746e;
}
/* The CPU this thread is running guest code for (set by accel_vcpu_exec),
 * or NULL: per-CPU devices such as the local APIC's MMIO page answer the
 * CPU that accesses them. */
extern __thread X86CPU *current_cpu;
/* Frees a CPU from x86_cpu_new (it leaves the TLB-flush list). */
void x86_cpu_free(X86CPU *cpu);
void x86_cpu_reset(X86CPU *cpu);          /* power-on state: CS:IP f000:fff0, base ffff0000 */
/* Set the INTR input (from the PIC output). */
void x86_cpu_set_intr(X86CPU *cpu, int level);
void x86_cpu_set_nmi(X86CPU *cpu);
/* SMI# (target/x86/smm_helper.c): the CPU enters System Management Mode
 * at the next instruction boundary outside SMM; one SMI that arrives in
 * SMM waits for RSM.  Dropped (logged with -d unimp) without cpu->smm_as. */
void x86_cpu_smi(X86CPU *cpu);
/* A startup IPI: an AP waiting for SIPI starts in real mode at vector:0000. */
void x86_cpu_sipi(X86CPU *cpu, uint8_t vector);
/* An INIT IPI: the CPU takes it between instructions (x86_cpu_do_init). */
void x86_cpu_init_request(X86CPU *cpu);
void x86_cpu_set_a20(X86CPU *cpu, bool enabled);
/* INIT (from the local APIC): reset as SDM vol. 3 table 9-1's INIT column
 * says: x87/SSE state, MTRRs, PAT, the TSC and the APIC base are kept. */
void x86_cpu_do_init(X86CPU *cpu);
/* Ask the CPU to return from x86_cpu_exec() at the next block boundary. */
void x86_cpu_kick(X86CPU *cpu);
/* The CPU has something to do although halted or waiting for SIPI (an
 * interrupt it can take, INIT, SIPI, a kick). */
bool x86_cpu_has_work(const X86CPU *cpu);
/* Set by the vCPU thread layer (system/cpus.c): called, with the BQL
 * held, after an interrupt or kick was raised for cpu, to wake its thread
 * if it sleeps.  NULL when the vCPUs share the main thread. */
extern void (*x86_cpu_notify)(X86CPU *cpu);
/* Flush cpu's TLB: at once if this thread runs it (or no vCPU threads
 * exist), else it flushes itself before its next block (its thread may be
 * using the entries). */
void x86_cpu_tlb_flush_async(X86CPU *cpu);

/* Why x86_cpu_exec returned */
typedef enum {
    CPU_EXIT_BUDGET,      /* ran its slice */
    CPU_EXIT_HALTED,      /* HLT with no interrupt deliverable */
    CPU_EXIT_KICKED,      /* CPU_INTERRUPT_EXIT */
    CPU_EXIT_RESET,       /* triple fault: machine must reset */
    CPU_EXIT_DEBUG,       /* a debugger hook stopped before an instruction */
} CPUExitReason;

/* Run until about max_insns instructions retired or an exit condition. */
CPUExitReason x86_cpu_exec(X86CPU *cpu, int64_t max_insns);

/* For -d cpu and monitor "info registers". */
void x86_cpu_dump_state(X86CPU *cpu, void (*print)(void *opaque, const char *line), void *opaque);
uint32_t cpu_compute_eflags(CPUX86State *env);
void cpu_load_eflags(CPUX86State *env, uint32_t eflags, uint32_t update_mask);

#endif
