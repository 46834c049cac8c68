/*
 * x87 FPU: the D8..DF escape instructions, WAIT, FXSAVE/FXRSTOR.
 *
 * Decoder-independent: the decoder passes the escape opcode, the ModRM
 * byte and (for memory forms) the segment and effective address.  All
 * architectural x87 state lives in env->fpu (cpu.h):
 *   fcw        control word as software sees it (bit 6 reads as 1)
 *   fsw        status word WITHOUT the TOP field (bits 11..13 kept 0)
 *   top        stack top, 0..7
 *   st[p]      PHYSICAL register p (ST(i) is st[(top + i) & 7])
 *   ftw_tag    full 16-bit tag word, 2 bits per PHYSICAL register
 *              (00 valid, 01 zero, 10 special, 11 empty), always kept
 *              consistent with st[] so FNSTENV/FNSAVE store it as is
 *   fop/fip/fcs/fdp/fds  last non-control instruction's opcode and pointers
 *   xmm/mxcsr  SSE state carried by FXSAVE/FXRSTOR only
 * Arithmetic uses host long double (x86 hosts); see x87.c.
 */
#ifndef TARGET_X86_X87_H
#define TARGET_X86_X87_H

#include <stdbool.h>
#include <stdint.h>

#include "target/x86/cpu.h"

/* FSW bits */
#define X87_FSW_IE  0x0001
#define X87_FSW_DE  0x0002
#define X87_FSW_ZE  0x0004
#define X87_FSW_OE  0x0008
#define X87_FSW_UE  0x0010
#define X87_FSW_PE  0x0020
#define X87_FSW_SF  0x0040
#define X87_FSW_ES  0x0080
#define X87_FSW_C0  0x0100
#define X87_FSW_C1  0x0200
#define X87_FSW_C2  0x0400
#define X87_FSW_TOP 0x3800
#define X87_FSW_C3  0x4000
#define X87_FSW_B   0x8000

/* MXCSR bits FXRSTOR accepts (DAZ supported); others give #GP(0). */
#define X87_MXCSR_MASK 0x0000ffffu

/*
 * Called when an unmasked x87 exception becomes pending while CR0.NE = 0
 * (the FERR# output, which the PC routes to IRQ13).  NULL: nobody listens.
 */
extern void (*x87_ferr_hook)(CPUX86State *env);

/* FNINIT state: FCW 0x37F, FSW 0, all tags empty, pointers cleared. */
void x87_reset(CPUX86State *env);

/*
 * Execute one escape instruction D8..DF.  For memory forms (mod != 3) seg
 * (R_ES..R_GS) and ea give the operand; opsize32 selects the 16/32-bit
 * FNSTENV/FLDENV/FNSAVE/FRSTOR layout (real vs protected format follows
 * CR0.PE and EFLAGS.VM).  fcs:fip is this instruction's address, recorded
 * in the FPU instruction pointer.  Raises #NM (CR0.EM/TS), #MF (pending
 * unmasked exception at a waiting instruction, CR0.NE = 1), #UD (reserved
 * encodings) and whatever the memory accesses raise.
 */
void x87_exec(CPUX86State *env, uint8_t opcode, uint8_t modrm, int seg, uint64_t ea,
              bool opsize32, uint16_t fcs, uint64_t fip);

/* WAIT/FWAIT: #NM if CR0.MP and CR0.TS, #MF if an unmasked exception is pending. */
void x87_fwait(CPUX86State *env);

/* 512-byte FXSAVE area (legacy/32-bit layout; XMM8-15 too in 64-bit mode;
 * fx64: the REX.W form FXSAVE64 with 64-bit FIP/FDP and no FCS/FDS).
 * #NM if CR0.EM/TS, #GP(0) unless the linear address is 16-byte aligned. */
void x87_fxsave(CPUX86State *env, int seg, uint64_t ea, bool fx64);
/* Also #GP(0) for reserved MXCSR bits, before anything is changed. */
void x87_fxrstor(CPUX86State *env, int seg, uint64_t ea, bool fx64);

/*
 * MMX aliasing.  x87_mmx_enter() is what every MMX instruction (except
 * EMMS) does before touching MMn: #MF for a pending unmasked x87 exception
 * (CR0.NE = 1), then TOP = 0 and every register tagged in use.  MMn is the
 * significand of PHYSICAL register n; writes set its exponent/sign to all
 * ones.  x87_emms() tags all registers empty.
 */
void x87_mmx_enter(CPUX86State *env);
/* Only the #MF check of x87_mmx_enter (before operands are fetched). */
void x87_mmx_check(CPUX86State *env);
uint64_t x87_mmx_get(CPUX86State *env, int n);
void x87_mmx_set(CPUX86State *env, int n, uint64_t v);
void x87_emms(CPUX86State *env);

uint16_t x87_get_fsw(CPUX86State *env);            /* TOP merged in */
uint16_t x87_get_ftw_abridged(CPUX86State *env);   /* FXSAVE form: bit p = register p in use */

#endif
