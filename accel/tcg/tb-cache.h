/*
 * The translation-block cache of the TCG accelerator: blocks keyed by
 * (physical PC, CS base, decode-relevant hflags) in a hash table, a jump
 * cache indexed by the linear PC, and per physical page the blocks decoded
 * from it with a bitmap of their bytes, so a store into a page that holds
 * code drops exactly the blocks it overlaps (self-modifying code, DMA).
 * Invalidated blocks are freed only between blocks (tb_free_pending), so
 * a block that modifies itself finishes its instruction first.
 *
 * The cache is shared by every vCPU; target/x86/exec.c decodes blocks
 * (tb_gen) and runs them, and the softmmu asks tb_page_has_code() which
 * pages must take its slow write path.
 */
#ifndef ACCEL_TCG_TB_CACHE_H
#define ACCEL_TCG_TB_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "target/x86/decode.h"

#define TB_PAGE_BITS 12
#define TB_PAGE_SIZE (1u << TB_PAGE_BITS)

typedef struct TranslationBlock {
    uint64_t pc_lin;            /* CS base + EIP of the first instruction */
    uint64_t cs_base;
    uint64_t phys;              /* physical address of the first byte */
    uint64_t page2;             /* physical page the last insn spills into, or -1 */
    uint32_t flags;
    uint64_t eip_mask;          /* 0xffff for 16-bit code: IP wraps */
    uint32_t n_insns;
    uint32_t size;              /* bytes of guest code covered */
    bool invalid;
    struct TranslationBlock *hash_next;
    DecodedInsn insns[];
} TranslationBlock;

/* Set up on first use (idempotent); hooks the memory listener and the RAM
 * write hook so bus writes and remaps reach the cache. */
void tb_cache_init(void);
/* The block for this key, or NULL. */
TranslationBlock *tb_lookup(uint64_t phys, uint64_t cs_base, uint32_t flags, uint64_t lin);
/* The jump cache: the last block run at a linear PC (check its key). */
TranslationBlock *tb_jmp_get(uint64_t lin);
void tb_jmp_set(uint64_t lin, TranslationBlock *tb);
/* Enter a filled-in block: hash table and the pages it was decoded from. */
void tb_insert(TranslationBlock *tb);
/* Free the blocks invalidated since the last call (between blocks only). */
bool tb_free_needed(void);
void tb_free_pending(void);

/* Drop translated blocks that overlap [phys, phys+len). */
void tb_invalidate_phys_range(uint64_t phys, uint64_t len);
/* True if the physical page holds translated code. */
bool tb_page_has_code(uint64_t phys_page);
/* Drop every block (memory map changes, CR0/CR4 paging switches). */
void tb_flush_all(CPUX86State *env);

#endif
