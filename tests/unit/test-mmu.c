/*
 * Page walks of the softmmu (Intel SDM vol. 3, ch. 4): 32-bit paging with
 * 4 KiB and 4 MiB pages, PAE with 2 MiB pages and NX, 4-level paging;
 * Accessed/Dirty updates, #PF error codes and CR2, CR0.WP, U/S, reserved
 * bits, and A20 masking.  Page tables are built in guest RAM; faults are
 * caught from the CPU's exception longjmp.
 */
#include <glib.h>
#include <setjmp.h>
#include <string.h>

#include "hw/core/memory.h"
#include "target/x86/helper.h"

static MemoryRegion ram;
static X86CPU *cpu;

#define P 0x1
#define RW 0x2
#define US 0x4
#define A 0x20
#define D 0x40
#define PS 0x80
#define NX (1ULL << 63)

static void wq(hwaddr a, uint64_t v) { address_space_st(&address_space_memory, a, v, 8); }
static void wl(hwaddr a, uint32_t v) { address_space_st(&address_space_memory, a, v, 4); }
static uint64_t rq(hwaddr a) { return address_space_ld(&address_space_memory, a, 8); }

static void setup(void)
{
    static bool ready;
    if (!ready) {
        memory_region_init_ram(&ram, "ram", 16 << 20);
        memory_region_add_subregion(address_space_memory.root, 0, &ram);
        char *err = NULL;
        cpu = x86_cpu_new("max", &err);
        g_assert_null(err);
        ready = true;
    }
    memset(ram.ram, 0, 16 << 20);
    x86_cpu_reset(cpu);
    cpu->cr[0] |= CR0_PE;
    cpu_update_hflags(cpu);
}

/* Access la; return -1 if it succeeded, else the #PF error code (CR2 checked). */
static int try_access(uint64_t la, bool write, bool user, uint32_t val)
{
    cpu->hflags = (cpu->hflags & ~HF_CPL_MASK) | (user ? 3 : 0);
    if (sigsetjmp(cpu->jmp_env, 0)) {
        g_assert_cmpint(cpu->exception_index, ==, EXCP_PF);
        g_assert_cmphex(cpu->cr2, ==, la);
        return cpu->error_code;
    }
    if (write) {
        cpu_stl_linear(cpu, la, val);
    } else {
        (void)cpu_ldl_linear(cpu, la);
    }
    return -1;
}

static void paging_on(uint32_t cr4, uint64_t cr3)
{
    cpu->cr[4] = cr4;
    cpu->cr[3] = cr3;
    cpu->cr[0] |= CR0_PG;
    tlb_flush(cpu);
}

static void test_two_level(void)
{
    setup();
    /* PD at 0x10000; PT at 0x11000 maps 0x400000.. ; a 4M page at 0x800000 */
    wl(0x10000 + 1 * 4, 0x11000 | P | RW | US);
    wl(0x11000 + 0 * 4, 0x200000 | P | US);                 /* 0x400000 -> 0x200000, read-only */
    wl(0x11000 + 1 * 4, 0x201000 | P | RW);                 /* 0x401000 -> supervisor only */
    wl(0x10000 + 2 * 4, 0xc00000 | P | RW | US | PS);       /* 0x800000 -> 0xc00000, 4M */
    paging_on(CR4_PSE, 0x10000);

    wl(0x200000, 0x11223344);
    g_assert_cmphex(cpu_ldl_linear(cpu, 0x400000), ==, 0x11223344);
    g_assert_cmphex(rq(0x10000 + 4) & A, ==, A);            /* PDE accessed */
    g_assert_cmphex(rq(0x11000) & (A | D), ==, A);          /* PTE accessed, clean */

    /* read-only page: user write faults P|W|U; supervisor write allowed with WP=0 */
    g_assert_cmphex(try_access(0x400000, true, true, 1), ==, 0x7);
    g_assert_cmpint(try_access(0x400000, true, false, 0x55), ==, -1);
    g_assert_cmphex(rq(0x11000) & D, ==, D);                 /* now dirty */
    cpu->cr[0] |= CR0_WP;
    tlb_flush(cpu);
    g_assert_cmphex(try_access(0x400004, true, false, 1), ==, 0x3);   /* P|W, supervisor */
    /* supervisor-only page from user: P|U */
    g_assert_cmphex(try_access(0x401000, false, true, 0), ==, 0x5);
    /* not present: error code has P clear */
    g_assert_cmphex(try_access(0x402000, false, false, 0), ==, 0x0);
    g_assert_cmphex(try_access(0x402000, true, true, 0), ==, 0x6);

    /* 4M page */
    wl(0xc12344, 0xcafe);
    g_assert_cmphex(cpu_ldl_linear(cpu, 0x812344), ==, 0xcafe);
    /* the same PDE without CR4.PSE points at a page table instead */
    cpu->cr[4] = 0;
    tlb_flush(cpu);
    g_assert_cmpint(try_access(0x812344, false, false, 0), ==, 0x0);  /* that 'PT' is empty */
}

static void test_pae_nx(void)
{
    setup();
    /* PDPT at 0x20000 (32-byte aligned); PD at 0x21000; PT at 0x22000 */
    wq(0x20000 + 0 * 8, 0x21000 | P);
    wq(0x21000 + 1 * 8, 0x400000 | P | RW | US | PS);         /* 0x200000: 2M page */
    wq(0x21000 + 2 * 8, 0x22000 | P | RW | US);
    wq(0x22000 + 0 * 8, 0x300000 | P | RW | US | NX);         /* 0x400000: no-exec */
    paging_on(CR4_PAE, 0x20000);

    wl(0x412340, 0x5a5a);
    g_assert_cmphex(cpu_ldl_linear(cpu, 0x212340), ==, 0x5a5a);
    g_assert_cmphex(rq(0x21000 + 8) & A, ==, A);

    /* bit 63 is reserved while EFER.NXE is off: a reserved-bit fault (P|RSVD) */
    g_assert_cmphex(try_access(0x400000, false, false, 0), ==, 0x9);
    cpu->efer |= EFER_NXE;
    tlb_flush(cpu);
    g_assert_cmpint(try_access(0x400000, false, false, 0), ==, -1);   /* data access fine */
    /* an instruction fetch from it faults P|I */
    if (sigsetjmp(cpu->jmp_env, 0)) {
        g_assert_cmpint(cpu->exception_index, ==, EXCP_PF);
        g_assert_cmphex(cpu->error_code, ==, 0x11);
    } else {
        (void)cpu_ldub_code(cpu, 0x400000);
        g_assert_not_reached();
    }
    /* the bit at MAXPHYADDR is reserved */
    wq(0x22000 + 1 * 8, (1ULL << x86_maxphyaddr(cpu)) | 0x301000 | P);
    g_assert_cmphex(try_access(0x401000, false, false, 0), ==, 0x9);
}

static void test_four_level(void)
{
    setup();
    /* PML4 0x30000 -> PDPT 0x31000 -> PD 0x32000 -> PT 0x33000; map
     * 0x00007f8000201000 (a high canonical address) and 0xffff800000000000 */
    uint64_t va = 0x00007f8000201000ULL;
    int i4 = (va >> 39) & 0x1ff, i3 = (va >> 30) & 0x1ff, i2 = (va >> 21) & 0x1ff, i1 = (va >> 12) & 0x1ff;
    wq(0x30000 + i4 * 8, 0x31000 | P | RW | US);
    wq(0x31000 + i3 * 8, 0x32000 | P | RW | US);
    wq(0x32000 + i2 * 8, 0x33000 | P | RW | US);
    wq(0x33000 + i1 * 8, 0x500000 | P | RW);                  /* supervisor only */
    cpu->efer = EFER_LME | EFER_LMA | EFER_NXE;
    cpu->hflags |= HF_LMA;
    paging_on(CR4_PAE, 0x30000);

    wl(0x500010, 0xabcdef01);
    g_assert_cmphex(cpu_ldl_linear(cpu, va + 0x10), ==, 0xabcdef01);
    g_assert_cmphex(rq(0x30000 + i4 * 8) & A, ==, A);          /* every level accessed */
    g_assert_cmphex(rq(0x31000 + i3 * 8) & A, ==, A);
    g_assert_cmphex(rq(0x32000 + i2 * 8) & A, ==, A);
    g_assert_cmpint(try_access(va, true, false, 7), ==, -1);
    g_assert_cmphex(rq(0x33000 + i1 * 8) & D, ==, D);
    g_assert_cmphex(try_access(va, false, true, 0), ==, 0x5);  /* user: P|U */
    /* the U/S bit of an upper level applies too */
    wq(0x33000 + i1 * 8, 0x500000 | P | RW | US);
    wq(0x31000 + i3 * 8, 0x32000 | P | RW);                    /* PDPTE: supervisor */
    tlb_flush(cpu);
    g_assert_cmphex(try_access(va, false, true, 0), ==, 0x5);
    /* PS in a PML4E is reserved; 1 GiB pages are not offered */
    wq(0x30000 + i4 * 8, 0x31000 | P | RW | US | PS);
    tlb_flush(cpu);
    g_assert_cmphex(try_access(va, false, false, 0), ==, 0x9);
    /* an unmapped half of the address space */
    g_assert_cmphex(try_access(0xffff800000000000ULL, false, false, 0), ==, 0x0);
}

static void test_a20(void)
{
    setup();
    wl(0x000010, 0x1111);
    wl(0x100010, 0x2222);
    g_assert_cmphex(cpu_ldl_linear(cpu, 0x100010), ==, 0x2222);
    x86_cpu_set_a20(cpu, false);
    g_assert_cmphex(cpu_ldl_linear(cpu, 0x100010), ==, 0x1111);   /* wraps to 0x10 */
    x86_cpu_set_a20(cpu, true);
    g_assert_cmphex(cpu_ldl_linear(cpu, 0x100010), ==, 0x2222);
}


/* ---- IA-32e activation rules (SDM vol. 3 9.8.5, MOV CR, WRMSR) ---- */

static int cr_write(int reg, uint64_t v)
{
    if (sigsetjmp(cpu->jmp_env, 0)) {
        return cpu->exception_index;
    }
    helper_write_crN(cpu, reg, v);
    return -1;
}

static int efer_write(uint64_t v)
{
    if (sigsetjmp(cpu->jmp_env, 0)) {
        return cpu->exception_index;
    }
    cpu->regs[R_ECX] = 0xc0000080;
    cpu->regs[R_EAX] = (uint32_t)v;
    cpu->regs[R_EDX] = v >> 32;
    helper_wrmsr(cpu);
    return -1;
}

static void test_longmode_activation(void)
{
    setup();
    g_assert_cmpint(efer_write(EFER_LME | EFER_NXE), ==, -1);
    /* PG with LME but without PAE: #GP, nothing changes */
    g_assert_cmpint(cr_write(0, cpu->cr[0] | CR0_PG), ==, EXCP_GP);
    g_assert_false(cpu->cr[0] & CR0_PG);
    g_assert_false(cpu->efer & EFER_LMA);
    /* with PAE: long mode becomes active, compatibility mode first */
    g_assert_cmpint(cr_write(4, CR4_PAE), ==, -1);
    g_assert_cmpint(cr_write(3, 0x10000), ==, -1);
    g_assert_cmpint(cr_write(0, cpu->cr[0] | CR0_PG), ==, -1);
    g_assert_true(cpu->efer & EFER_LMA);
    g_assert_true(cpu->hflags & HF_LMA);
    g_assert_false(cpu->hflags & HF_CS64);
    /* LMA is read-only, LME is locked while paging is on */
    g_assert_cmpint(efer_write(EFER_LME | EFER_NXE), ==, -1);
    g_assert_true(cpu->efer & EFER_LMA);
    g_assert_cmpint(efer_write(EFER_NXE), ==, EXCP_GP);
    /* PAE is locked, CR3 takes 64-bit values below MAXPHYADDR */
    g_assert_cmpint(cr_write(4, 0), ==, EXCP_GP);
    g_assert_cmpint(cr_write(3, 0x100000000ull), ==, -1);
    g_assert_cmphex(helper_read_crN(cpu, 3), ==, 0x100000000ull);
    g_assert_cmpint(cr_write(3, 1ull << 48), ==, EXCP_GP);    /* max: MAXPHYADDR 48 */
    g_assert_cmpint(cr_write(3, 1ull << 47), ==, -1);
    g_assert_cmpint(cr_write(3, 0x10000), ==, -1);
    /* a CS with L=1 selects 64-bit mode; PG cannot be cleared there */
    cpu->segs[R_CS].flags = (cpu->segs[R_CS].flags & ~DESC_B_MASK) | DESC_L_MASK;
    cpu_update_hflags(cpu);
    g_assert_true(cpu->hflags & HF_CS64);
    g_assert_cmpint(cr_write(0, cpu->cr[0] & ~CR0_PG), ==, EXCP_GP);
    g_assert_true(cpu->efer & EFER_LMA);
    /* from compatibility mode, clearing PG leaves IA-32e mode */
    cpu->segs[R_CS].flags = (cpu->segs[R_CS].flags & ~DESC_L_MASK) | DESC_B_MASK;
    cpu_update_hflags(cpu);
    g_assert_cmpint(cr_write(0, cpu->cr[0] & ~CR0_PG), ==, -1);
    g_assert_false(cpu->efer & EFER_LMA);
    g_assert_false(cpu->hflags & (HF_LMA | HF_CS64));
    /* activating from a CS with L=1 is #GP */
    cpu->segs[R_CS].flags |= DESC_L_MASK;
    g_assert_cmpint(cr_write(0, cpu->cr[0] | CR0_PG), ==, EXCP_GP);
    g_assert_false(cpu->efer & EFER_LMA);
}

/* One MAXPHYADDR per model for CPUID 0x80000008, MOV CR3 and the page
 * walker (issue #8 part 5): qemu64 40 bits as QEMU TCG, max 48, qemu32
 * (no leaf 0x80000008, PAE) 36 (SDM vol. 3, 4.1.4). */
static void test_maxphyaddr(void)
{
    static const struct { const char *model; unsigned bits; bool lm; } m[] = {
        { "qemu64", 40, true }, { "max", 48, true }, { "qemu32", 36, false },
    };
    setup();
    X86CPU *saved = cpu;
    for (unsigned i = 0; i < G_N_ELEMENTS(m); i++) {
        char *err = NULL;
        cpu = x86_cpu_new(m[i].model, &err);
        g_assert_null(err);
        x86_cpu_reset(cpu);
        g_assert_cmpuint(x86_maxphyaddr(cpu), ==, m[i].bits);
        cpu->regs[R_EAX] = 0x80000000;
        helper_cpuid(cpu);
        if (m[i].lm) {
            g_assert_cmphex(cpu->regs[R_EAX], >=, 0x80000008);
            cpu->regs[R_EAX] = 0x80000008;
            cpu->regs[R_ECX] = 0;
            helper_cpuid(cpu);
            g_assert_cmpuint(cpu->regs[R_EAX] & 0xff, ==, m[i].bits);
        } else {
            g_assert_cmphex(cpu->regs[R_EAX], <, 0x80000008);
        }
        /* PAE paging: a PTE address bit just below MAXPHYADDR is an
         * address, the bit at it is reserved */
        cpu->cr[0] |= CR0_PE;
        cpu_update_hflags(cpu);
        wq(0x20000, 0x21000 | P);
        wq(0x21000 + 2 * 8, 0x22000 | P | RW);
        wq(0x22000, (1ULL << (m[i].bits - 1)) | 0x300000 | P);
        wq(0x22000 + 8, (1ULL << m[i].bits) | 0x301000 | P);
        paging_on(CR4_PAE, 0x20000);
        g_assert_cmpint(try_access(0x400000, false, false, 0), ==, -1);
        g_assert_cmphex(try_access(0x401000, false, false, 0), ==, 0x9);
        if (m[i].lm) {
            /* in long mode MOV CR3 refuses the bit at MAXPHYADDR */
            cpu->efer = EFER_LME | EFER_LMA;
            cpu->hflags |= HF_LMA;
            g_assert_cmpint(cr_write(3, 1ull << (m[i].bits - 1)), ==, -1);
            g_assert_cmpint(cr_write(3, 1ull << m[i].bits), ==, EXCP_GP);
        }
        x86_cpu_free(cpu);
    }
    cpu = saved;
}

/* PSE-36 (SDM vol. 3, 4.3 and table 4-4): a 4 MiB PDE's bits 20:13 are
 * physical address bits 39:32, up to MAXPHYADDR (36 on a 32-bit CPU); the
 * bits above it are reserved. */
static void test_pse36(void)
{
    static MemoryRegion high;                   /* 16 MiB of RAM seen at 4 GiB */
    static bool mapped;
    setup();
    if (!mapped) {
        memory_region_init_alias(&high, "high", &ram, 0, 16 << 20);
        memory_region_add_subregion(address_space_memory.root, 1ull << 32, &high);
        mapped = true;
    }
    X86CPU *saved = cpu;
    char *err = NULL;
    cpu = x86_cpu_new("qemu32,+pse36", &err);
    g_assert_null(err);
    g_assert_cmphex(cpu->cpuid_features & (1u << 17), ==, 1u << 17);
    g_assert_cmpuint(x86_maxphyaddr(cpu), ==, 36);
    x86_cpu_reset(cpu);
    cpu->cr[0] |= CR0_PE;
    cpu_update_hflags(cpu);

    wl(0x10000 + 2 * 4, 0x400000 | 1u << 13 | P | RW | PS);    /* 0x800000 -> 4G + 4M */
    wl(0x10000 + 3 * 4, 0x400000 | 1u << 17 | P | RW | PS);    /* address bit 36: reserved */
    paging_on(CR4_PSE, 0x10000);
    wl(0x412344, 0xbeef);            /* the alias: 4G + 0x412344 is RAM 0x412344 */
    g_assert_cmphex(cpu_ldl_linear(cpu, 0x812344), ==, 0xbeef);
    g_assert_cmphex(address_space_ld(&address_space_memory, (1ull << 32) + 0x412344, 4),
                    ==, 0xbeef);
    g_assert_cmphex(try_access(0xc00000, false, false, 0), ==, 0x9);   /* P|RSVD */
    x86_cpu_free(cpu);
    cpu = saved;
}


/*
 * MOV to CR3 drops every translation of a non-global page (SDM vol. 3,
 * 4.10.4.1): a PTE changed without INVLPG takes effect after it.  Vireo
 * keeps global ones (G with CR4.PGE), as hardware may; clearing CR4.PGE
 * drops them too.  The fill list overflowing falls back to a full flush.
 */
static void test_cr3_global(void)
{
    setup();
    wl(0x10000 + 1 * 4, 0x11000 | P | RW);
    wl(0x11000 + 0 * 4, 0x200000 | P | RW | 0x100);          /* 0x400000: global */
    wl(0x11000 + 1 * 4, 0x201000 | P | RW);                  /* 0x401000: not */
    wl(0x200000, 0xaaaa);
    wl(0x201000, 0xbbbb);
    wl(0x202000, 0xcccc);
    paging_on(CR4_PGE, 0x10000);
    g_assert_cmphex(cpu_ldl_linear(cpu, 0x400000), ==, 0xaaaa);
    g_assert_cmphex(cpu_ldl_linear(cpu, 0x401000), ==, 0xbbbb);
    /* both PTEs now point at 0x202000, without INVLPG */
    wl(0x11000 + 0 * 4, 0x202000 | P | RW | 0x100);
    wl(0x11000 + 1 * 4, 0x202000 | P | RW);
    g_assert_cmphex(cpu_ldl_linear(cpu, 0x401000), ==, 0xbbbb);  /* still cached */
    helper_write_crN(cpu, 3, 0x10000);
    g_assert_cmphex(cpu_ldl_linear(cpu, 0x401000), ==, 0xcccc);  /* non-global: walked again */
    g_assert_cmphex(cpu_ldl_linear(cpu, 0x400000), ==, 0xaaaa);  /* global: kept */
    /* CR4.PGE off flushes globals too */
    helper_write_crN(cpu, 4, 0);
    g_assert_cmphex(cpu_ldl_linear(cpu, 0x400000), ==, 0xcccc);

    /* more fills than the list tracks: MOV to CR3 clears everything */
    helper_write_crN(cpu, 4, CR4_PGE);
    wl(0x11000 + 0 * 4, 0x200000 | P | RW | 0x100);
    g_assert_cmphex(cpu_ldl_linear(cpu, 0x400000), ==, 0xaaaa);
    /* (the list holds each entry once: TLB_USED_MAX + 8 pages, through
     * page tables at 0x11000, 0x12000, ... one after the other) */
    unsigned npages = TLB_USED_MAX + 8;
    g_assert_cmpuint(npages, <=, 4 * 1024);
    for (unsigned t = 1; t < (npages + 1023) / 1024; t++) {
        wl(0x10000 + (1 + t) * 4, (0x11000 + t * 0x1000) | P | RW);
    }
    for (unsigned i = 2; i < npages; i++) {
        wl(0x11000 + i * 4, 0x300000 | P | RW);
    }
    for (unsigned i = 2; i < npages; i++) {
        (void)cpu_ldl_linear(cpu, 0x400000 + i * 0x1000);
    }
    g_assert_cmpuint(cpu->tlb_nused, >, TLB_USED_MAX);
    wl(0x11000 + 0 * 4, 0x202000 | P | RW | 0x100);
    wl(0x11000 + 2 * 4, 0x201000 | P | RW);
    helper_write_crN(cpu, 3, 0x10000);
    g_assert_cmpuint(cpu->tlb_nused, ==, 0);
    g_assert_cmphex(cpu_ldl_linear(cpu, 0x402000), ==, 0xbbbb);
    g_assert_cmphex(cpu_ldl_linear(cpu, 0x400000), ==, 0xcccc);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/mmu/two-level", test_two_level);
    g_test_add_func("/mmu/pae-nx", test_pae_nx);
    g_test_add_func("/mmu/four-level", test_four_level);
    g_test_add_func("/mmu/a20", test_a20);
    g_test_add_func("/mmu/longmode-activation", test_longmode_activation);
    g_test_add_func("/mmu/maxphyaddr", test_maxphyaddr);
    g_test_add_func("/mmu/pse36", test_pse36);
    g_test_add_func("/mmu/cr3-global", test_cr3_global);
    return g_test_run();
}
