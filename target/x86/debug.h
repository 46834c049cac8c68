/*
 * Debugger hooks into the CPU loop and the softmmu (used by the gdbstub).
 * Zero cost while x86_debug_mode is 0: the loop tests one global per
 * block and the TLB marks no page for watching.
 */
#ifndef TARGET_X86_DEBUG_H
#define TARGET_X86_DEBUG_H

#include <stdbool.h>
#include <stdint.h>

#include "target/x86/cpu.h"

#define X86_DEBUG_ONE_INSN 1u   /* run one instruction at a time, asking insn_check first */
#define X86_DEBUG_NOIRQ    2u   /* do not take interrupts (gdb single-step, as QEMU) */
#define X86_DEBUG_WATCH    4u   /* some pages are watched: see page_watched */
#define X86_DEBUG_BREAK    8u   /* breakpoints exist: insn_check at each block start, and a
                                   block with a breakpoint inside (range_has_break) runs one
                                   instruction at a time; other blocks run at full speed */

typedef struct X86DebugHooks {
    /* Before each instruction in ONE_INSN mode (each block in BREAK mode), lin_pc = CS base + EIP.
     * true: stop here (x86_cpu_exec returns CPU_EXIT_DEBUG, nothing executed). */
    bool (*insn_check)(CPUX86State *env, uint64_t lin_pc);
    /* Is there a breakpoint at a linear address in [start, end)? */
    bool (*range_has_break)(uint64_t start, uint64_t end);
    /* Is this linear page watched?  Such pages take the TLB slow path. */
    bool (*page_watched)(uint64_t lin_page);
    /* A load/store of size bytes at linear address la on a watched page,
     * after it happened; the hook may kick the CPU out (x86_cpu_kick). */
    void (*mem_access)(CPUX86State *env, uint64_t la, unsigned size, bool is_write);
} X86DebugHooks;

extern unsigned x86_debug_mode;
extern const X86DebugHooks *x86_debug_hooks;

/* Change the mode (flushes the TLB when watching starts or stops). */
void x86_debug_set_mode(CPUX86State *env, unsigned mode);

/* Guest debug registers (misc_helper.c): recompute after DR7/DR0-3 change;
 * page test for the TLB; record a data access on a watched page (sets
 * env->dr_hit); instruction breakpoints matching a linear PC. */
void x86_dr_update(CPUX86State *env);
bool x86_dr_page_watched(CPUX86State *env, uint64_t lin_page);
void x86_dr_data_access(CPUX86State *env, uint64_t la, unsigned size, bool is_write);
uint8_t x86_dr_exec_match(CPUX86State *env, uint64_t lin_pc);

#endif
