/*
 * x87 FPU.  For now only what firmware probes for an FPU: FNINIT,
 * FNSTSW, FNSTCW, FLDCW, FNCLEX, FWAIT.  Everything else is reported
 * under -d unimp and raises #UD (or #NM when CR0.EM/TS say so).
 */
#ifndef TARGET_X86_FPU_H
#define TARGET_X86_FPU_H

#include "target/x86/cpu.h"

void fpu_reset(CPUX86State *env);

#endif
