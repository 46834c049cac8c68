/*
 * Tier 1 of the TCG accelerator: translation blocks turned into x86-64
 * host code (accel/tcg/jit.c).
 *
 * What is emitted today is call-threaded code: for every guest instruction
 * the block's host code stores the instruction's EIP, next EIP and REX
 * into CPUX86State and calls the same handler tier 0 would call, with the
 * same DecodedInsn, by a direct call.  Guest state therefore lives in
 * CPUX86State at every call, and a fault in a handler leaves exactly the
 * state tier 0 would leave (no unwinding table is needed yet).  What tier 1
 * saves is the interpreter's dispatch: the indirect call through the
 * DecodedInsn, the per-instruction loop bookkeeping and, through direct
 * chaining, the block lookup between blocks of the same guest page.
 *
 * Code cache: shared anonymous memory mapped twice (mremap), writable and executable (W^X), a
 * bump allocator; when full every block is dropped (tb_flush_all) and the
 * memory is reused once no vCPU can be in the old code (the block cache's
 * epochs).  A block's code starts with a "dead" byte that tb-cache.c sets
 * when the block is invalidated; the code tests it on entry and after
 * every instruction, as tier 0 tests tb->invalid, so chained jumps into a
 * dropped block and a block that overwrites itself leave to the loop.
 */
#ifndef ACCEL_TCG_JIT_H
#define ACCEL_TCG_JIT_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "accel/tcg/tb-cache.h"

enum { JIT_TIER_AUTO = -1, JIT_TIER_0 = 0, JIT_TIER_1 = 1 };

/* -accel tcg options: tier=0|1|auto, tb-size=MB (lockstep=on is
 * accel/tcg/lockstep.h); -perfmap.  Called while options are parsed. */
void jit_set_tier(int tier);
void jit_set_tb_size_mb(uint64_t mb);
void jit_set_perfmap(bool on);
/* Map the code cache if tier 1 may be used.  False with an error when
 * tier=1 was asked and the host refuses executable memory; with tier=auto
 * it warns and stays on tier 0. */
bool jit_init(GError **errp);

/* The tier chosen: blocks are translated after this many runs in tier 0
 * (0: tier 1 is off). */
extern unsigned jit_threshold;

/* Translate a block (BQL held).  False: not now (cache being recycled). */
bool jit_translate(const CPUX86State *env, TranslationBlock *tb);
/* Run a translated block and whatever it chains to.  Returns the exit slot
 * the code left through (a direct successor not yet chained), or NULL. */
struct JitSlot *jit_run(CPUX86State *env, TranslationBlock *tb);

/* instr_count from tier 1's jit_count, after its code returned or a fault
 * left it by longjmp */
static inline void jit_count_sync(CPUX86State *env)
{
    if (env->jit_counting) {
        env->instr_count = env->jit_end_count + (uint64_t)env->jit_count;
        env->jit_counting = false;
    }
}
/* The block that exit slot leads to has been found: patch the jump. */
void jit_chain(CPUX86State *env, struct JitSlot *slot, TranslationBlock *next);
/* tb-cache.c: the block is being dropped. */
void jit_tb_retire(TranslationBlock *tb);

/* The block's host code, disassembled, one line per instruction
 * (-d out_asm, lockstep's report). */
void jit_disas(const TranslationBlock *tb, void (*print)(void *opaque, const char *line),
               void *opaque);

/* HMP info jit */
void jit_info(GString *out);

#endif
