/*
 * MMX/SSE (sse.c).  The decoder calls op_sse/op_popcnt (ops.h); the CPU
 * models ask which of the SSE3..SSE4.2 groups the host backend can run.
 */
#ifndef TARGET_X86_SSE_H
#define TARGET_X86_SSE_H

#include <stdint.h>

/* CPUID leaf 1 ECX bits (SSE3, SSSE3, SSE4.1, SSE4.2) the host executes. */
uint32_t sse_host_features(void);

#endif
