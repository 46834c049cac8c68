/* Descriptor-table plumbing shared by seg_helper.c and excp_helper.c. */
#ifndef TARGET_X86_SEG_H
#define TARGET_X86_SEG_H

#include "target/x86/helper.h"

/* Read the 8-byte descriptor for sel from the GDT or LDT; false if the
 * selector is beyond the table's limit (or the LDT is null). */
bool seg_load_descriptor(CPUX86State *env, uint16_t sel, uint32_t *e1, uint32_t *e2);
static inline uint32_t desc_base(uint32_t e1, uint32_t e2)
{
    return (e1 >> 16) | ((e2 & 0xff) << 16) | (e2 & 0xff000000);
}
static inline uint32_t desc_limit(uint32_t e1, uint32_t e2)
{
    uint32_t l = (e1 & 0xffff) | (e2 & 0x000f0000);
    return (e2 & DESC_G_MASK) ? (l << 12) | 0xfff : l;
}
static inline uint32_t desc_flags(uint32_t e2)
{
    return e2 & 0x00f0ff00;
}
/* Load a segment register from a descriptor already checked. */
/* After a return to an outer privilege level (RET far, IRET): ES, DS, FS
 * and GS that the new CPL may not use become null (SDM vol. 2, IRET). */
void seg_null_inaccessible(CPUX86State *env, int cpl);
void seg_load_cache_from_desc(CPUX86State *env, int seg, uint16_t sel, uint32_t e1, uint32_t e2);
/* Inner-level stack of privilege level dpl from the current TSS. */
void seg_get_tss_stack(CPUX86State *env, int dpl, uint32_t *ss, uint32_t *esp);

/* Stack pushes/pops at an explicit privilege (mmu.c). */
void cpu_st_priv(CPUX86State *env, uint32_t la, uint32_t v, unsigned size, int cpl);
uint32_t cpu_ld_priv(CPUX86State *env, uint32_t la, unsigned size, int cpl);

/* Task switch sources */
enum { TS_JMP, TS_CALL, TS_IRET };
/* Switch to the TSS named by tss_sel (descriptor e1/e2); error_code >= 0
 * is pushed on the new task's stack (exceptions through task gates). */
void seg_task_switch(CPUX86State *env, uint16_t tss_sel, uint32_t e1, uint32_t e2, int source,
                     uint32_t next_eip, int error_code, int ext);

void mmu_register_cpu(CPUX86State *env);
void mmu_unregister_cpu(CPUX86State *env);

/* Long mode (long_helper.c, mmu.c) */
uint64_t cpu_ldq_kernel(CPUX86State *env, target_ulong la);
void cpu_st_priv64(CPUX86State *env, uint64_t la, uint64_t v, unsigned size, int cpl);
uint64_t cpu_ld_priv64(CPUX86State *env, uint64_t la, unsigned size, int cpl);
/* 64-bit IDT delivery (SDM 6.14); ret_rip: the address pushed */
void lm_do_interrupt(CPUX86State *env, int vector, int is_int, int error_code,
                     uint64_t ret_rip, int ext, bool push_err);
/* IRET and far RET while EFER.LMA=1 (64-bit and compatibility mode) */
void lm_iret(CPUX86State *env, int opsize_shift);
void lm_lret(CPUX86State *env, int opsize_shift, int imm16);
void lm_lcall(CPUX86State *env, uint16_t sel, uint64_t off, int opsize_shift, uint64_t next_eip);
/* LTR/LLDT in long mode: 16-byte system descriptors (upper base dword) */
uint32_t lm_sysdesc_base_hi(CPUX86State *env, uint16_t sel);
void lm_ljmp_gate(CPUX86State *env, uint16_t sel, uint32_t e1, uint32_t e2);

#endif
