/*
 * -accel tcg,lockstep=on (accel/tcg/lockstep.c, issue #9): every block is
 * run by tier 0 and by tier 1 from the same state, and the two end states
 * -- registers, flags, segments, control and FPU state, the exception
 * raised, and every byte either run stored -- must be equal.  The first
 * difference stops Vireo with a report (exit status 1).
 *
 * While a block is being compared (env->lockstep_rec) its stores are
 * logged and undone between the two runs, and anything whose effect
 * reaches beyond the CPU and RAM (port I/O, MMIO, time, the APIC, code
 * invalidation) aborts the comparison before it happens: the block is
 * then run once, normally, and counted as skipped.  The hooks below sit
 * on slow paths only; with lockstep off nothing in translated code or in
 * tier 0's fast paths changes.
 */
#ifndef ACCEL_TCG_LOCKSTEP_H
#define ACCEL_TCG_LOCKSTEP_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "accel/tcg/tb-cache.h"
#include "target/x86/cpu.h"

/* -accel tcg,lockstep=on given (set while options are parsed) */
extern bool lockstep_on;
void lockstep_enable(void);

/* Run one block under both tiers and compare (exec.c's loop, instead of
 * running it).  A fault both tiers raise alike is delivered through
 * env->jmp_env as usual. */
void lockstep_block(CPUX86State *env, TranslationBlock *tb);

/* A side effect outside CPU+RAM is about to happen: give up comparing
 * this block (restores the state it started from; never returns). */
void __attribute__((noreturn)) lockstep_abort(CPUX86State *env, const char *why);

static inline void lockstep_check(CPUX86State *env, const char *why)
{
    if (__builtin_expect(env->lockstep_rec, 0)) {
        lockstep_abort(env, why);
    }
}

/* A store to plain RAM at host (la: its linear address, or physical for
 * paging-structure A/D updates) of size bytes of val, about to be done. */
void lockstep_log_store(CPUX86State *env, uint8_t *host, uint64_t la, unsigned size,
                        uint64_t val, bool phys);
/* A TLB entry (NULL: all of them) is about to change. */
void lockstep_tlb_save(CPUX86State *env, TLBEntry *e);

/* HMP info jit */
void lockstep_info(GString *out);

#endif
