/*
 * For the CPU unit tests: flat 4 GiB segments (CS 0x08 code, the others
 * 0x10 data, base 0, present, accessed, 32-bit) as a protected-mode kernel
 * sets them up.  The caller sets CR0/CR4/EFER and calls cpu_update_hflags.
 */
#ifndef TESTS_UNIT_X86_FLAT_SEGS_H
#define TESTS_UNIT_X86_FLAT_SEGS_H

#include "target/x86/cpu.h"

static inline void x86_test_flat_segs(CPUX86State *env)
{
    for (int i = 0; i < 6; i++) {
        env->segs[i].selector = i == R_CS ? 0x08 : 0x10;
        env->segs[i].base = 0;
        env->segs[i].limit = 0xffffffff;
        env->segs[i].flags = DESC_P_MASK | DESC_S_MASK | DESC_B_MASK | DESC_W_MASK |
                             DESC_G_MASK | DESC_A_MASK | (i == R_CS ? DESC_CS_MASK : 0);
    }
}

#endif
