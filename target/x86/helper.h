/*
 * Internal CPU interface between the instruction layer (decode.c,
 * exec.c, ops_*.c: decoder, translation blocks, integer/string/BCD/x87
 * semantics) and the system layer (seg_helper.c, excp_helper.c, mmu.c,
 * misc_helper.c: segmentation, descriptor tables, exceptions/interrupt
 * delivery, far transfers, task switch, paging/TLB, control registers,
 * MSRs, CPUID, I/O permission).
 *
 * Conventions:
 *  - Faults never return: raise_exception*() restores env->eip to
 *    env->insn_start_eip and siglongjmp()s to env->jmp_env, where the exec
 *    loop delivers the exception.  Instruction handlers therefore commit
 *    architectural state only after their last access that can fault.
 *  - 'seg' arguments are R_ES..R_GS; offsets are effective addresses
 *    already truncated to the address size.
 */
#ifndef TARGET_X86_HELPER_H
#define TARGET_X86_HELPER_H

#include "target/x86/cpu.h"

/* ---------- exceptions (excp_helper.c) ---------- */
void raise_exception(CPUX86State *env, int vector) __attribute__((noreturn));
void raise_exception_err(CPUX86State *env, int vector, int error_code) __attribute__((noreturn));
/* INT n / INT3 / INTO: software interrupt, next_eip is the return address. */
void raise_interrupt(CPUX86State *env, int vector, int is_int, int error_code,
                     uint64_t next_eip) __attribute__((noreturn));
/*
 * Deliver env->exception_index (set by raise_*) or an external interrupt:
 * real-mode IVT, protected-mode IDT (interrupt/trap/task gates, privilege
 * change with stack switch, v86 exits, error codes), double fault and
 * triple fault (sets the reset request and returns false).
 */
bool do_interrupt(CPUX86State *env, int vector, int is_int, int error_code,
                  uint64_t next_eip, int is_hw);

/* ---------- memory access (mmu.c) ---------- */
/* Segmented data accesses: limit/type/rights checks (#GP/#SS), then linear. */
uint8_t  cpu_ldub(CPUX86State *env, int seg, target_ulong off);
uint16_t cpu_lduw(CPUX86State *env, int seg, target_ulong off);
uint32_t cpu_ldl(CPUX86State *env, int seg, target_ulong off);
uint64_t cpu_ldq(CPUX86State *env, int seg, target_ulong off);
void cpu_stb(CPUX86State *env, int seg, target_ulong off, uint8_t val);
void cpu_stw(CPUX86State *env, int seg, target_ulong off, uint16_t val);
void cpu_stl(CPUX86State *env, int seg, target_ulong off, uint32_t val);
void cpu_stq(CPUX86State *env, int seg, target_ulong off, uint64_t val);
/* Check that [off, off+len) is writable (resp. readable) in seg and its pages
 * are present/writable, without accessing: used before multi-part writes so
 * that the instruction faults before committing anything. */
void cpu_check_write(CPUX86State *env, int seg, target_ulong off, unsigned len);
/*
 * Locked read-modify-write, while env->lock_armed (exec.c exec_atomic):
 * the load takes the operand's host address (faulting as a store would);
 * the store is a compare-and-swap against the value loaded, and sets
 * env->lock_retry when another CPU changed it in between.  Operands that
 * are not plain RAM within a cache line hold a mutex for the instruction
 * instead (released by cpu_atomic_release).  ot: 0..3 = 1..8 bytes.
 */
uint64_t cpu_atomic_ld(CPUX86State *env, int seg, target_ulong off, int ot);
void cpu_atomic_st(CPUX86State *env, int seg, target_ulong off, int ot, uint64_t v);
/* LOCK CMPXCHG16B: lo and hi get the old value; true if it matched. */
bool cpu_atomic_cmpxchg16(CPUX86State *env, int seg, target_ulong off, uint64_t *lo, uint64_t *hi,
                          uint64_t new_lo, uint64_t new_hi);
void cpu_atomic_release(CPUX86State *env);
void cpu_check_read(CPUX86State *env, int seg, target_ulong off, unsigned len);

/* Linear-address accesses (descriptor tables, TSS, IDT: no segment checks).
 * is_user/ mmu_idx chosen as the SDM says for implicit supervisor accesses. */
uint8_t  cpu_ldub_linear(CPUX86State *env, target_ulong la);
uint16_t cpu_lduw_linear(CPUX86State *env, target_ulong la);
uint32_t cpu_ldl_linear(CPUX86State *env, target_ulong la);
uint64_t cpu_ldq_linear(CPUX86State *env, target_ulong la);
void cpu_stb_linear(CPUX86State *env, target_ulong la, uint8_t v);
void cpu_stw_linear(CPUX86State *env, target_ulong la, uint16_t v);
void cpu_stl_linear(CPUX86State *env, target_ulong la, uint32_t v);
/* Implicit supervisor access (GDT/IDT/TSS): ignores CPL for the U/S check. */
uint32_t cpu_ldl_kernel(CPUX86State *env, target_ulong la);
uint16_t cpu_lduw_kernel(CPUX86State *env, target_ulong la);
uint8_t  cpu_ldub_kernel(CPUX86State *env, target_ulong la);
void cpu_stl_kernel(CPUX86State *env, target_ulong la, uint32_t v);
void cpu_stw_kernel(CPUX86State *env, target_ulong la, uint16_t v);
void cpu_stb_kernel(CPUX86State *env, target_ulong la, uint8_t v);

/*
 * Code fetch for the translator: translate the linear address of code to a
 * physical address (page walk with execute permission; #PF on failure) and
 * return a host pointer to the page's bytes if it is RAM/ROM (NULL for MMIO:
 * the translator then fetches bytes one at a time with cpu_ldub_code()).
 */
uint64_t cpu_get_phys_code(CPUX86State *env, target_ulong la, const uint8_t **host_page);
uint8_t cpu_ldub_code(CPUX86State *env, target_ulong la);

/* Page walk for debuggers/monitor: -1 if unmapped.  No side effects. */
int64_t cpu_get_phys_page_debug(CPUX86State *env, target_ulong la);

void tlb_flush(CPUX86State *env);                 /* everything: mode and rights changes */
void tlb_flush_all(CPUX86State *env);             /* the same */
void tlb_flush_nonglobal(CPUX86State *env);       /* MOV to CR3, task switch: global pages stay */
void tlb_flush_page(CPUX86State *env, target_ulong la);   /* INVLPG */
void tlb_sites_flush(CPUX86State *env);       /* tier 1's load sites only (jit_site) */
/* memory_dirty_protect for TCG (hw/core/memory.h) */
void tlb_protect_host_range(const uint8_t *host, uint64_t len);

/* ---------- segmentation (seg_helper.c) ---------- */
/* MOV/POP to a segment register, LDS..LSS: all checks, raises #GP/#SS/#NP. */
void helper_load_seg(CPUX86State *env, int seg, uint16_t selector);
/* Real/v86-mode style load (base = sel << 4), used by the loaders above too. */
void cpu_x86_load_seg_real(CPUX86State *env, int seg, uint16_t selector);
/* Store a cache entry and recompute hflags (CS32/SS32/CPL/ADDSEG...). */
void cpu_x86_load_seg_cache(CPUX86State *env, int seg, uint16_t selector,
                            uint64_t base, uint32_t limit, uint32_t flags);
void helper_ljmp(CPUX86State *env, uint16_t sel, uint64_t off, uint64_t next_eip);
void helper_lcall(CPUX86State *env, uint16_t sel, uint64_t off, int opsize_shift,
                  uint64_t next_eip);    /* opsize_shift: 1=16-bit, 2=32-bit, 3=64-bit */
void helper_lret(CPUX86State *env, int opsize_shift, int imm16);
void helper_iret(CPUX86State *env, int opsize_shift, uint64_t next_eip);
void helper_lldt(CPUX86State *env, uint16_t sel);
void helper_ltr(CPUX86State *env, uint16_t sel);
/* LAR/LSL/VERR/VERW: return value and set ZF via env->eflags (cc_op EFLAGS). */
uint32_t helper_lar(CPUX86State *env, uint16_t sel);
uint32_t helper_lsl(CPUX86State *env, uint16_t sel);
void helper_verr(CPUX86State *env, uint16_t sel);
void helper_verw(CPUX86State *env, uint16_t sel);
void helper_enter_level(CPUX86State *env, int level, int data32, uint64_t t1);
/* IN/OUT/INS/OUTS permission: IOPL vs CPL, v86, TSS I/O bitmap -> #GP(0). */
void helper_check_io(CPUX86State *env, uint16_t port, int size);

/* ---------- control/system (misc_helper.c) ---------- */
void helper_write_crN(CPUX86State *env, int reg, uint64_t val);  /* #GP on reserved bits */
/* CR4 bits and EFER bits (LMA aside) this CPU model lets software set */
uint32_t cpu_cr4_allowed(CPUX86State *env);
uint64_t cpu_efer_allowed(CPUX86State *env);
uint64_t helper_read_crN(CPUX86State *env, int reg);
void helper_write_drN(CPUX86State *env, int reg, uint64_t val);
void helper_lmsw(CPUX86State *env, uint16_t val);
void helper_clts(CPUX86State *env);
void helper_cpuid(CPUX86State *env);            /* in: EAX/ECX; out: EAX..EDX */
void helper_rdtsc(CPUX86State *env);
/* #GP for unknown MSRs (logged -d unimp), except AMD's range with an AMD vendor */
void helper_rdmsr(CPUX86State *env);
void helper_wrmsr(CPUX86State *env);
void helper_hlt(CPUX86State *env, uint64_t next_eip);
/* MOV to/from CR8 (64-bit mode): TPR[7:4] of the local APIC; #GP on
 * reserved bits 63:4.  Without an APIC, CR8 reads 0. */
void cpu_set_cr8(CPUX86State *env, uint64_t val);
uint64_t cpu_get_cr8(CPUX86State *env);   /* sets HF_HALTED, exits the loop */
void helper_invlpg(CPUX86State *env, target_ulong la);
/* long mode and fast system calls (seg_helper.c); next_eip: return address */
void helper_swapgs(CPUX86State *env);
void helper_syscall(CPUX86State *env, uint64_t next_eip);
void helper_sysret(CPUX86State *env, int opsize_shift);
void helper_sysenter(CPUX86State *env);
void helper_sysexit(CPUX86State *env, int opsize_shift);
/* Recompute hflags from CR0/EFER/segments/eflags after a mode change. */
void cpu_update_hflags(CPUX86State *env);
/* I/O port access for IN/OUT (goes to address_space_io). */
uint32_t cpu_io_read(CPUX86State *env, uint16_t port, int size);
void cpu_io_write(CPUX86State *env, uint16_t port, uint32_t val, int size);

/* requested by CPU-A */
/*
 * Host pointer for the bytes [off, off+len) of segment seg when they are
 * ordinary RAM inside one guest page and the access (read, or write if
 * is_write) passes the segment and paging checks; for writes the page must
 * hold no translated code.  Returns NULL when any of that does not hold
 * (MMIO, ROM write, code page, page crossing): the caller then falls back
 * to the cpu_ld and cpu_st accessors.  It may raise the fault the access itself would
 * raise.  Lets REP MOVS/STOS run as memcpy/memset (ops_string.c).
 */
uint8_t *cpu_host_ptr(CPUX86State *env, int seg, target_ulong off, unsigned len, bool is_write);

/* ---------- System Management Mode (smm_helper.c, SDM vol. 3 ch. 34) ---------- */
/* A pending SMI outside SMM, at an instruction boundary: save the state
 * to SMRAM (SMBASE + 0x8000 + 0x7e00..0x7fff, QEMU's map: the AMD64 one
 * on CPUs with long mode, else the 32-bit one) and load the entry state. */
void do_smm_enter(CPUX86State *env);
/* RSM (0F AA) in SMM: restore the saved state and leave SMM, or put the
 * CPU into shutdown (EXCP_SHUTDOWN) when that state is invalid. */
void helper_rsm(CPUX86State *env);

/* ---------- provided by the TCG block cache (accel/tcg/tb-cache.h):
 * tb_invalidate_phys_range, tb_page_has_code, tb_flush_all ---------- */
#include "accel/tcg/tb-cache.h"

static inline int cpu_cpl(const CPUX86State *env) { return env->hflags & HF_CPL_MASK; }
static inline int cpu_mmu_index(const CPUX86State *env)
{
    if (cpu_cpl(env) == 3) {
        return 1;
    }
    return ((env->eflags & AC_MASK) && (env->cr[4] & CR4_SMAP)) ? 2 : 0;
}

#endif
