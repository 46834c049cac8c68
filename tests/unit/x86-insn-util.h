/*
 * Shared by test-x87.c and test-sse.c: a CPU in flat 32-bit protected mode
 * over 1 MiB of real guest RAM (the real softmmu, not a mock), and one-shot
 * execution of an instruction through the decoder and its handler, plus a
 * host-side stub builder so the very same instruction bytes run natively.
 */
#ifndef TESTS_UNIT_X86_INSN_UTIL_H
#define TESTS_UNIT_X86_INSN_UTIL_H

#include <glib.h>
#include <setjmp.h>
#include <string.h>
#include <sys/mman.h>

#include "hw/core/memory.h"
#include "target/x86/cpu.h"
#include "tests/unit/x86-flat-segs.h"
#include "target/x86/decode.h"
#include "target/x86/helper.h"

#define GUEST_RAM_SIZE (1u << 20)

static MemoryRegion xt_ram;
static X86CPU *xt_cpu;

typedef struct XtCode {
    const uint8_t *p;
    size_t n;
} XtCode;

static uint8_t xt_fetch(void *opaque, uint64_t la)
{
    const XtCode *c = opaque;
    return la < c->n ? c->p[la] : 0x90;
}

/* Fresh CPU in flat 32-bit ring-0 protected mode, CR0.NE=1, CR4.OSFXSR and
 * OSXMMEXCPT set, RAM cleared. */
static X86CPU *xt_setup(const char *model)
{
    if (!xt_cpu) {
        memory_region_init_ram(&xt_ram, "ram", GUEST_RAM_SIZE);
        memory_region_add_subregion(address_space_memory.root, 0, &xt_ram);
        char *err = NULL;
        xt_cpu = x86_cpu_new(model, &err);
        g_assert_null(err);
    }
    CPUX86State *env = xt_cpu;
    memset(xt_ram.ram, 0, GUEST_RAM_SIZE);
    x86_cpu_reset(env);
    env->cr[0] = CR0_PE | CR0_ET | CR0_NE | CR0_MP;
    env->cr[4] = CR4_OSFXSR | CR4_OSXMMEXCPT;
    x86_test_flat_segs(env);
    cpu_update_hflags(env);
    tlb_flush(env);
    return env;
}

/* Decode and execute one instruction (32-bit code); returns the exception
 * vector it raised, or -1. */
static int xt_exec(X86CPU *env, const uint8_t *code, size_t n)
{
    DecodedInsn d;
    XtCode c = { code, n };
    int len = x86_decode(&d, 0, true, xt_fetch, &c);
    env->insn_start_eip = 0x100;
    env->eip = 0x100 + d.len;
    env->exception_index = -1;
    if (len < 0 || d.len != n) {
        return len == -2 ? EXCP_UD : EXCP_GP;
    }
    if (sigsetjmp(env->jmp_env, 0) == 0) {
        d.handler(env, &d);
        return -1;
    }
    return env->exception_index;
}

static uint8_t *xt_mem(uint32_t addr)
{
    return (uint8_t *)xt_ram.ram + addr;
}

/* Executable page for host stubs. */
static uint8_t *xt_host_page(void)
{
    static uint8_t *page;
    if (!page) {
        page = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        g_assert(page != MAP_FAILED);
    }
    return page;
}

#endif
