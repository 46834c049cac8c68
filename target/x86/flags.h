/*
 * Lazy condition codes.
 *
 * The last flag-setting operation is recorded as (cc_op, cc_dst, cc_src,
 * cc_src2) and the flags are only computed when something reads them.
 * Conventions per CCOp family (operands already masked to the size):
 *   ADD/SUB:   dst = result, src = second operand
 *   ADC/SBB:   as ADD/SUB, src2 = carry in (0/1)
 *   LOGIC:     dst = result
 *   INC/DEC:   dst = result, src = CF before the instruction (preserved)
 *   SHL:       dst = result, src = operand shifted by count-1 (its MSB is CF)
 *   SAR:       dst = result, src = operand shifted right by count-1 (bit 0 is CF);
 *              also used for SHR, where OF = MSB(src ^ dst) gives the SDM's
 *              "MSB of the original operand" for count 1.
 *   MUL:       dst = low half of the result, src = nonzero iff CF=OF=1
 *   EFLAGS:    the flags are in env->eflags
 */
#ifndef TARGET_X86_FLAGS_H
#define TARGET_X86_FLAGS_H

#include "target/x86/cpu.h"

uint32_t cc_compute_all(const CPUX86State *env);
uint32_t cc_compute_c(const CPUX86State *env);
/* Evaluate condition code 0..15 as used by Jcc/SETcc/CMOVcc. */
bool cc_test(const CPUX86State *env, int cond);
/* Bring the flags into env->eflags and switch to CC_OP_EFLAGS. */
void cc_materialize(CPUX86State *env);

extern const uint8_t cc_parity_table[256];

#endif
