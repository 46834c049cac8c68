/*
 * -device intel-iommu (VT-d) through qtest on -machine q35 (the only
 * machine that takes it, as on QEMU), programmed as a driver (and
 * kvm-unit-tests' intel_iommu test) does:
 *   - register reset values: VER 1.0, CAP/ECAP as QEMU reports them for
 *     aw-bits=39 (and 48), intremap=off without ECAP.IR, FECTL/IECTL
 *     masked, GSTS/FSTS 0;
 *   - the GCMD/GSTS handshakes (SRTP latches RTADDR, QIE, TE, SIRTP, IRE,
 *     CFI), register-based context/IOTLB invalidation completing;
 *   - queued invalidation: a wait descriptor's status write and its
 *     completion interrupt (IECTL/IEDATA/IEADDR) reaching the local APIC,
 *     an invalid descriptor stopping the queue with FSTS.IQE, a tail
 *     beyond the queue;
 *   - DMA remapping: edu's DMA (hw/misc/edu.c, as kvm-unit-tests drives
 *     it) through root/context/3-level page tables the test builds for
 *     its requester id: RAM -> device through a read-only mapping and
 *     device -> RAM across two non-contiguous pages reach the mapped
 *     pages, never the iova taken as a physical address; an unmapped iova
 *     (read or written) or a read-only one written is blocked (nothing
 *     moved), the fault recorded (FRCD, FSTS.PPF) and its fault event
 *     message delivered; fault processing disabled by the context entry
 *     records nothing; with TE off the bus address is the physical one;
 *   - interrupt remapping: edu's INTA, which the ICH9 LPC sends to I/O
 *     APIC pin 16 + PIRQE-H by slot (and to an ISA IRQ when a PIRQx_ROUT
 *     register routes it there): a remappable-format entry delivered as
 *     its IRTE's vector, a compatibility-format entry blocked (fault
 *     0x25) until CFI is set; virtio-net's MSI-X message in remappable
 *     format delivered as its IRTE's vector, and blocked by the IRTE's
 *     source-id check or an index past the table;
 *   - the DMAR table in the firmware's ACPI tables;
 *   - user errors: bad aw-bits, eim=on, two units, an unknown property,
 *     and the pc machine refusing the device.
 * The local APIC's IRR (read at 0xfee00200) shows which vector arrived.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "tests/qtest/libqtest.h"

#define VTD             0xfed90000ull
#define R_VER           0x00
#define R_CAP           0x08
#define R_ECAP          0x10
#define R_GCMD          0x18
#define R_GSTS          0x1c
#define R_RTADDR        0x20
#define R_CCMD          0x28
#define R_FSTS          0x34
#define R_FECTL         0x38
#define R_FEDATA        0x3c
#define R_FEADDR        0x40
#define R_IQH           0x80
#define R_IQT           0x88
#define R_IQA           0x90
#define R_ICS           0x9c
#define R_IECTL         0xa0
#define R_IEDATA        0xa4
#define R_IEADDR        0xa8
#define R_IRTA          0xb8
#define R_IOTLB         0xf8
#define R_FRCD          0x220

#define G_TE            (1u << 31)
#define G_SRTP          (1u << 30)
#define G_QIE           (1u << 26)
#define G_IRE           (1u << 25)
#define G_SIRTP         (1u << 24)
#define G_CFI           (1u << 23)

/* QEMU 7.2's values for intremap=on, eim=off, aw-bits=39, pt=on */
#define CAP_39          0x00d2008c22260206ull
#define ECAP_DEFAULT    0x0000000000f00f4aull

#define LAPIC           0xfee00000ull
#define IOAPIC          0xfec00000ull
#define LPC_DEVFN       (0x1f << 3)

/* edu in slot 3: requester id 00:03.0; its INTA reaches PIRQ E + (3 + 0)
 * mod 4 = PIRQH, I/O APIC pin 23 (hw/isa/ich9-lpc.c) */
#define EDU_SLOT        3
#define EDU_DEVFN       (EDU_SLOT << 3)
#define EDU_PIN         (16 + 4 + (EDU_SLOT & 3))
#define EDU_PIRQ_ROUT   (0x68 + (EDU_SLOT & 3))         /* PIRQH_ROUT */
#define EDU_MMIO        0xe0000000ull
#define EDU_IRQ_STATUS  0x24
#define EDU_IRQ_ACK     0x64
#define EDU_DMA_SRC     0x80
#define EDU_DMA_DST     0x88
#define EDU_DMA_CNT     0x90
#define EDU_DMA_CMD     0x98
#define DMA_START       0x1
#define DMA_TO_RAM      0x2
#define DMA_IRQ         0x4
#define EDU_BUF         0x40000ull                      /* device side, 4 KiB */
#define MS              1000000ll

/* guest RAM layout of the test */
#define ROOT            0x300000ull
#define CTX             0x301000ull
#define SL3             0x302000ull
#define SL2             0x303000ull
#define SL1             0x304000ull
#define IRT             0x310000ull
#define IQ              0x320000ull
#define STATUS          0x330000ull
#define SRC_PA          0x500000ull
#define BUF_PA0         0x600000ull
#define BUF_PA1         0x700000ull
#define SRC_IOVA        0x10000ull
#define BUF_IOVA        0x20000ull
#define HOLE_IOVA       0x30000ull

/* ---- helpers ---- */

static uint32_t rd(QTestState *s, unsigned reg) { return qtest_readl(s, VTD + reg); }
static uint64_t rdq(QTestState *s, unsigned reg) { return qtest_readq(s, VTD + reg); }
static void wr(QTestState *s, unsigned reg, uint32_t v) { qtest_writel(s, VTD + reg, v); }

static void wrq(QTestState *s, unsigned reg, uint64_t v)
{
    qtest_ok(s, "writeq 0x%llx 0x%llx", (unsigned long long)(VTD + reg), (unsigned long long)v);
}

static void w64(QTestState *s, uint64_t addr, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++) {
        b[i] = v >> (8 * i);
    }
    qtest_memwrite(s, addr, b, 8);
}

/* GCMD as kvm-unit-tests writes it: the status so far plus one command */
static void gcmd_or(QTestState *s, uint32_t cmd)
{
    wr(s, R_GCMD, rd(s, R_GSTS) | cmd);
}

static void gcmd_clear(QTestState *s, uint32_t cmd)
{
    wr(s, R_GCMD, rd(s, R_GSTS) & ~cmd & ~(G_SRTP | G_SIRTP));
}

static bool irr(QTestState *s, uint8_t vector)
{
    return qtest_readl(s, LAPIC + 0x200 + (vector / 32) * 0x10) & (1u << (vector % 32));
}

static void lapic_enable(QTestState *s)
{
    qtest_writel(s, LAPIC + 0xf0, 0x1ff);           /* SVR: software enabled */
}

/* q35 (a later -machine wins over qtest_start's pc) with the unit and edu */
static QTestState *start(const char *iommu_opts)
{
    g_autofree char *args = g_strdup_printf("-machine q35 -device intel-iommu%s "
                                            "-device edu,addr=%d", iommu_opts, EDU_SLOT);
    return qtest_start(args);
}

/* ---- registers ---- */

static void test_reset_values(void)
{
    QTestState *s = start("");
    g_assert_cmphex(rd(s, R_VER), ==, 0x10);
    g_assert_cmphex(rdq(s, R_CAP), ==, CAP_39);
    g_assert_cmphex(rdq(s, R_ECAP), ==, ECAP_DEFAULT);
    g_assert_cmphex(rd(s, R_GSTS), ==, 0);
    g_assert_cmphex(rd(s, R_FSTS), ==, 0);
    g_assert_cmphex(rd(s, R_FECTL), ==, 0x80000000);
    g_assert_cmphex(rd(s, R_IECTL), ==, 0x80000000);
    g_assert_cmphex(rdq(s, R_RTADDR), ==, 0);
    g_assert_cmphex(rdq(s, R_IRTA), ==, 0);
    g_assert_cmphex(rdq(s, R_FRCD + 8), ==, 0);
    qtest_quit(s);

    s = start(",aw-bits=48,intremap=off,caching-mode=on,pt=off");
    uint64_t cap = rdq(s, R_CAP);
    g_assert_cmphex((cap >> 8) & 0x1f, ==, 0x6);            /* SAGAW: 39 and 48 bits */
    g_assert_cmphex((cap >> 16) & 0x3f, ==, 47);            /* MGAW */
    g_assert_cmphex(cap & 0x80, ==, 0x80);                  /* CM */
    g_assert_cmphex(rdq(s, R_ECAP), ==, 0xf02);             /* QI, IRO: no IR, no PT */
    gcmd_or(s, G_IRE);
    g_assert_cmphex(rd(s, R_GSTS) & G_IRE, ==, 0);          /* no IR: IRE ignored */
    qtest_quit(s);
}

static void test_handshakes(void)
{
    QTestState *s = start("");
    wrq(s, R_RTADDR, ROOT | 0xfff);
    g_assert_cmphex(rdq(s, R_RTADDR), ==, ROOT | 0xc00);    /* 9:0 reserved */
    g_assert_cmphex(rd(s, R_GSTS), ==, 0);                  /* not latched yet */
    gcmd_or(s, G_QIE);
    g_assert_cmphex(rd(s, R_GSTS), ==, G_QIE);
    gcmd_or(s, G_SRTP);
    g_assert_cmphex(rd(s, R_GSTS), ==, G_QIE | G_SRTP);
    wrq(s, R_IRTA, IRT | 0xf);
    gcmd_or(s, G_SIRTP);
    g_assert_cmphex(rd(s, R_GSTS), ==, G_QIE | G_SRTP | G_SIRTP);
    g_assert_cmphex(rdq(s, R_IRTA), ==, IRT | 0xf);
    gcmd_or(s, G_TE);
    gcmd_or(s, G_IRE);
    g_assert_cmphex(rd(s, R_GSTS), ==, G_TE | G_QIE | G_SRTP | G_SIRTP | G_IRE);
    gcmd_clear(s, G_TE);
    g_assert_cmphex(rd(s, R_GSTS) & G_TE, ==, 0);
    gcmd_or(s, G_CFI);
    g_assert_cmphex(rd(s, R_GSTS) & G_CFI, ==, G_CFI);
    g_assert_cmphex(rd(s, R_GCMD), ==, 0);                  /* write-only */
    g_assert_cmphex(rd(s, R_FSTS), ==, 0);

    /* register-based invalidation: done at once, at the granularity asked */
    wrq(s, R_CCMD, 1ull << 63 | 1ull << 61);                /* ICC, global */
    g_assert_cmphex(rdq(s, R_CCMD), ==, 1ull << 61 | 1ull << 59);
    wrq(s, R_IOTLB, 1ull << 63 | 2ull << 60 | 5ull << 32);  /* IVT, domain 5 */
    g_assert_cmphex(rdq(s, R_IOTLB), ==, 2ull << 60 | 2ull << 57 | 5ull << 32);

    /* a reset forgets everything */
    g_autofree char *r = qtest_qmp(s, "{\"execute\":\"system_reset\"}");
    g_assert_nonnull(strstr(r, "\"return\""));
    for (int i = 0; i < 10000 && rd(s, R_GSTS); i++) {
        g_usleep(100);
    }
    g_assert_cmphex(rd(s, R_GSTS), ==, 0);
    g_assert_cmphex(rdq(s, R_RTADDR), ==, 0);
    g_assert_cmphex(rd(s, R_FECTL), ==, 0x80000000);
    qtest_quit(s);
}

static void test_queued_invalidation(void)
{
    QTestState *s = start("");
    lapic_enable(s);
    wrq(s, R_IQA, IQ);                                      /* QS 0: 256 entries */
    wrq(s, R_IQT, 0);
    gcmd_or(s, G_QIE);
    g_assert_cmphex(rd(s, R_GSTS) & G_QIE, ==, G_QIE);
    wr(s, R_IEDATA, 0x55);
    wr(s, R_IEADDR, 0xfee00000);

    /* context-cache, IOTLB, IEC invalidations, then a wait with status
     * write: the status lands, IQH follows IQT */
    w64(s, IQ + 0x00, 0x1 | 1 << 4); w64(s, IQ + 0x08, 0);
    w64(s, IQ + 0x10, 0x2 | 1 << 4); w64(s, IQ + 0x18, 0);
    w64(s, IQ + 0x20, 0x4 | 1 << 4); w64(s, IQ + 0x28, 0);
    w64(s, IQ + 0x30, 0x5 | 1 << 5 | 0xcafef00dull << 32); w64(s, IQ + 0x38, STATUS);
    qtest_writel(s, STATUS, 0);
    wrq(s, R_IQT, 4 << 4);
    g_assert_cmphex(qtest_readl(s, STATUS), ==, 0xcafef00d);
    g_assert_cmphex(rdq(s, R_IQH), ==, 4 << 4);
    g_assert_cmphex(rd(s, R_ICS), ==, 0);
    g_assert_false(irr(s, 0x55));

    /* a wait with IF: ICS.IWC; masked, the event waits in IECTL.IP until
     * unmasked */
    w64(s, IQ + 0x40, 0x5 | 1 << 4); w64(s, IQ + 0x48, 0);
    wrq(s, R_IQT, 5 << 4);
    g_assert_cmphex(rd(s, R_ICS), ==, 1);
    g_assert_cmphex(rd(s, R_IECTL), ==, 0xc0000000);
    g_assert_false(irr(s, 0x55));
    wr(s, R_IECTL, 0);
    g_assert_true(irr(s, 0x55));
    g_assert_cmphex(rd(s, R_IECTL), ==, 0);
    wr(s, R_ICS, 1);
    g_assert_cmphex(rd(s, R_ICS), ==, 0);
    g_assert_cmphex(rd(s, R_FSTS), ==, 0);

    /* an invalid descriptor (device-TLB: no ECAP.DT) stops the queue on it */
    w64(s, IQ + 0x50, 0x3); w64(s, IQ + 0x58, 0);
    w64(s, IQ + 0x60, 0x5 | 1 << 5 | 0x1111ull << 32); w64(s, IQ + 0x68, STATUS);
    qtest_writel(s, STATUS, 0);
    wrq(s, R_IQT, 7 << 4);
    g_assert_cmphex(rd(s, R_FSTS), ==, 0x10);               /* IQE */
    g_assert_cmphex(rdq(s, R_IQH), ==, 5 << 4);
    g_assert_cmphex(qtest_readl(s, STATUS), ==, 0);
    /* fixed and IQE cleared: the queue goes on */
    w64(s, IQ + 0x50, 0x1 | 1 << 4);
    wr(s, R_FSTS, 0x10);
    g_assert_cmphex(rd(s, R_FSTS), ==, 0);
    g_assert_cmphex(rdq(s, R_IQH), ==, 7 << 4);
    g_assert_cmphex(qtest_readl(s, STATUS), ==, 0x1111);

    /* a tail past the queue's 256 entries */
    wrq(s, R_IQT, 300 << 4);
    g_assert_cmphex(rd(s, R_FSTS), ==, 0x10);
    g_assert_cmphex(rdq(s, R_IQH), ==, 7 << 4);
    qtest_quit(s);
}

/* ---- DMA remapping with edu's DMA ---- */

/* edu's BAR0 at EDU_MMIO, memory decoding and bus mastering on */
static void edu_enable(QTestState *s)
{
    qtest_pci_writel(s, EDU_DEVFN, 0x10, (uint32_t)EDU_MMIO);
    qtest_pci_writew(s, EDU_DEVFN, 0x04, 0x0006);
}

/* One edu transfer: it runs 100 ms of virtual time after the start
 * command (the start bit reads 1 until then) and always completes;
 * whether the IOMMU let it through shows only in memory and FRCD. */
static void edu_dma(QTestState *s, uint64_t src, uint64_t dst, uint64_t cnt, uint32_t cmd)
{
    qtest_writeq(s, EDU_MMIO + EDU_DMA_SRC, src);
    qtest_writeq(s, EDU_MMIO + EDU_DMA_DST, dst);
    qtest_writeq(s, EDU_MMIO + EDU_DMA_CNT, cnt);
    qtest_writel(s, EDU_MMIO + EDU_DMA_CMD, cmd | DMA_START);
    g_assert_cmphex(qtest_readl(s, EDU_MMIO + EDU_DMA_CMD) & DMA_START, ==, DMA_START);
    qtest_clock_step(s, 100 * MS);
    g_assert_cmphex(qtest_readl(s, EDU_MMIO + EDU_DMA_CMD) & DMA_START, ==, 0);
}

/* map 4 KiB at iova to pa in the 3-level tables (iova below 2 MiB) */
static void map_page(QTestState *s, uint64_t iova, uint64_t pa, unsigned perm)
{
    w64(s, SL1 + ((iova >> 12) & 511) * 8, pa | perm);
}

/* Root entry for bus 0, context entry for edu 00:03.0 (AW 39 bits,
 * domain 1, multi-level), SL3 -> SL2 -> SL1 for the first 2 MiB. */
static void build_tables(QTestState *s, bool fpd)
{
    uint8_t zero[4096] = { 0 };
    qtest_memwrite(s, ROOT, zero, sizeof(zero));
    qtest_memwrite(s, CTX, zero, sizeof(zero));
    qtest_memwrite(s, SL3, zero, sizeof(zero));
    qtest_memwrite(s, SL2, zero, sizeof(zero));
    qtest_memwrite(s, SL1, zero, sizeof(zero));
    w64(s, ROOT, CTX | 1);
    w64(s, CTX + EDU_DEVFN * 16, SL3 | (fpd ? 2 : 0) | 1);
    w64(s, CTX + EDU_DEVFN * 16 + 8, 1 | 1 << 8);
    w64(s, SL3, SL2 | 3);
    w64(s, SL2, SL1 | 3);
    map_page(s, SRC_IOVA, SRC_PA, 1);                       /* read-only: the device reads it */
    map_page(s, BUF_IOVA, BUF_PA0, 3);
    map_page(s, BUF_IOVA + 0x1000, BUF_PA1, 3);             /* not contiguous with the first */
}

static QTestState *start_dma(void)
{
    QTestState *s = start("");
    edu_enable(s);
    lapic_enable(s);
    build_tables(s, false);
    wrq(s, R_RTADDR, ROOT);
    gcmd_or(s, G_SRTP);
    gcmd_or(s, G_TE);
    g_assert_cmphex(rd(s, R_GSTS) & (G_TE | G_SRTP), ==, G_TE | G_SRTP);
    return s;
}

/* the fault record serviced: F cleared, then FSTS (PFO and the rest) */
static void fault_clear(QTestState *s)
{
    wr(s, R_FRCD + 12, 0x80000000);
    wr(s, R_FSTS, 0x7d);
    g_assert_cmphex(rd(s, R_FSTS), ==, 0);
}

static void test_dma_remap(void)
{
    QTestState *s = start_dma();
    static uint8_t pat[4096], inv[4096], fill[8192], got[8192], before[4096];
    for (int i = 0; i < 4096; i++) {
        pat[i] = i * 7 + (i >> 8) * 13 + 1;
        inv[i] = ~pat[i];
    }
    memset(fill, 0x5a, sizeof(fill));
    /* the iovas taken as physical addresses hold something else */
    qtest_memwrite(s, SRC_PA, pat, sizeof(pat));
    qtest_memwrite(s, SRC_IOVA, fill, 4096);
    qtest_memwrite(s, BUF_IOVA, fill, sizeof(fill));
    qtest_memwrite(s, BUF_PA0, fill, 4096);
    qtest_memwrite(s, BUF_PA1, fill, 4096);

    /* RAM -> device through the read-only mapping, then device -> RAM
     * across the two mapped pages: the second half of the first page and
     * the first half of the second get what SRC_PA holds */
    edu_dma(s, SRC_IOVA, EDU_BUF, 4096, 0);
    edu_dma(s, EDU_BUF, BUF_IOVA + 0x800, 4096, DMA_TO_RAM);
    qtest_memread(s, BUF_PA0, got, 4096);
    g_assert_cmpmem(got, 0x800, fill, 0x800);
    g_assert_cmpmem(got + 0x800, 0x800, pat, 0x800);
    qtest_memread(s, BUF_PA1, got, 4096);
    g_assert_cmpmem(got, 0x800, pat + 0x800, 0x800);
    g_assert_cmpmem(got + 0x800, 0x800, fill, 0x800);
    qtest_memread(s, BUF_IOVA, got, 8192);
    g_assert_cmpmem(got, 8192, fill, 8192);                 /* untranslated: untouched */
    g_assert_cmphex(rd(s, R_FSTS), ==, 0);
    g_assert_cmphex(rdq(s, R_FRCD + 8), ==, 0);

    /* an unmapped iova written: blocked, nothing written, the fault
     * recorded with its reason (no write permission), source 00:03.0 and
     * page; the fault event goes out once FECTL is unmasked */
    wr(s, R_FEDATA, 0x66);
    wr(s, R_FEADDR, 0xfee00000);
    qtest_memwrite(s, HOLE_IOVA, fill, 4096);
    edu_dma(s, EDU_BUF, HOLE_IOVA, 4096, DMA_TO_RAM);
    qtest_memread(s, HOLE_IOVA, got, 4096);
    g_assert_cmpmem(got, 4096, fill, 4096);
    g_assert_cmphex(rd(s, R_FSTS) & 0x2, ==, 0x2);          /* PPF */
    uint64_t hi = rdq(s, R_FRCD + 8);
    g_assert_cmphex(hi >> 63, ==, 1);                       /* F */
    g_assert_cmphex((hi >> 62) & 1, ==, 0);                 /* a write request */
    g_assert_cmphex((hi >> 32) & 0xff, ==, 0x05);           /* no write permission */
    g_assert_cmphex(hi & 0xffff, ==, EDU_DEVFN);
    g_assert_cmphex(rdq(s, R_FRCD), ==, HOLE_IOVA);
    g_assert_cmphex(rd(s, R_FECTL), ==, 0xc0000000);        /* masked: pending */
    g_assert_false(irr(s, 0x66));
    wr(s, R_FECTL, 0);
    g_assert_true(irr(s, 0x66));
    g_assert_cmphex(rd(s, R_FECTL), ==, 0);
    fault_clear(s);

    /* an unmapped iova read: nothing reaches the device (its buffer still
     * has SRC_PA's bytes, not the iova's), a read fault, the event sent
     * at once now that FECTL is unmasked */
    wr(s, R_FEDATA, 0x67);
    edu_dma(s, HOLE_IOVA, EDU_BUF, 4096, 0);
    hi = rdq(s, R_FRCD + 8);
    g_assert_cmphex(hi >> 62, ==, 3);                       /* F, a read request */
    g_assert_cmphex((hi >> 32) & 0xff, ==, 0x06);           /* no read permission */
    g_assert_cmphex(hi & 0xffff, ==, EDU_DEVFN);
    g_assert_cmphex(rdq(s, R_FRCD), ==, HOLE_IOVA);
    g_assert_true(irr(s, 0x67));
    fault_clear(s);
    edu_dma(s, EDU_BUF, BUF_IOVA, 4096, DMA_TO_RAM);
    qtest_memread(s, BUF_PA0, got, 4096);
    g_assert_cmpmem(got, 4096, pat, 4096);
    g_assert_cmphex(rd(s, R_FSTS), ==, 0);

    /* a read-only page written by the device: blocked too, at the mapped
     * page and at the iova */
    edu_dma(s, EDU_BUF + 8, SRC_IOVA + 8, 8, DMA_TO_RAM);
    hi = rdq(s, R_FRCD + 8);
    g_assert_cmphex(hi >> 62, ==, 2);                       /* F, a write request */
    g_assert_cmphex((hi >> 32) & 0xff, ==, 0x05);
    g_assert_cmphex(rdq(s, R_FRCD), ==, SRC_IOVA);
    qtest_memread(s, SRC_PA, got, 4096);
    g_assert_cmpmem(got, 4096, pat, 4096);
    qtest_memread(s, SRC_IOVA, got, 4096);
    g_assert_cmpmem(got, 4096, fill, 4096);
    fault_clear(s);

    /* fault processing disabled in the context entry: blocked, not
     * recorded, no fault event */
    build_tables(s, true);
    wr(s, R_FEDATA, 0x68);
    edu_dma(s, EDU_BUF, HOLE_IOVA, 4096, DMA_TO_RAM);
    qtest_memread(s, HOLE_IOVA, got, 4096);
    g_assert_cmpmem(got, 4096, fill, 4096);
    g_assert_cmphex(rd(s, R_FSTS), ==, 0);
    g_assert_cmphex(rdq(s, R_FRCD + 8) >> 63, ==, 0);       /* F still clear */
    g_assert_false(irr(s, 0x68));
    /* the mapped pages still work with it */
    edu_dma(s, EDU_BUF, BUF_IOVA + 0x1000, 16, DMA_TO_RAM);
    qtest_memread(s, BUF_PA1, got, 16);
    g_assert_cmpmem(got, 16, pat, 16);

    /* translation off again: the bus address is the physical one, both
     * ways, and the mapped pages are left alone */
    gcmd_clear(s, G_TE);
    g_assert_cmphex(rd(s, R_GSTS) & G_TE, ==, 0);
    qtest_memwrite(s, SRC_IOVA, inv, sizeof(inv));
    qtest_memread(s, BUF_PA0, before, sizeof(before));
    edu_dma(s, SRC_IOVA, EDU_BUF, 4096, 0);
    edu_dma(s, EDU_BUF, BUF_IOVA, 4096, DMA_TO_RAM);
    qtest_memread(s, BUF_IOVA, got, 4096);
    g_assert_cmpmem(got, 4096, inv, 4096);
    qtest_memread(s, BUF_PA0, got, 4096);
    g_assert_cmpmem(got, 4096, before, 4096);
    g_assert_cmphex(rd(s, R_FSTS), ==, 0);
    qtest_quit(s);
}

/* ---- interrupt remapping ---- */

static void irte(QTestState *s, unsigned index, uint8_t vector, uint8_t dest, uint16_t sid,
                 unsigned svt)
{
    w64(s, IRT + index * 16, 1 | (uint64_t)vector << 16 | (uint64_t)dest << 40);
    w64(s, IRT + index * 16 + 8, sid | (uint64_t)svt << 18);
}

static void ir_enable(QTestState *s)
{
    uint8_t zero[4096] = { 0 };
    qtest_memwrite(s, IRT, zero, sizeof(zero));
    wrq(s, R_IRTA, IRT | 7);                                /* 256 entries */
    gcmd_or(s, G_SIRTP);
    gcmd_or(s, G_IRE);
    g_assert_cmphex(rd(s, R_GSTS) & (G_IRE | G_SIRTP), ==, G_IRE | G_SIRTP);
}

static void ioapic_rte(QTestState *s, int pin, uint32_t lo, uint32_t hi)
{
    qtest_writel(s, IOAPIC, 0x10 + 2 * pin);
    qtest_writel(s, IOAPIC + 0x10, lo);
    qtest_writel(s, IOAPIC, 0x11 + 2 * pin);
    qtest_writel(s, IOAPIC + 0x10, hi);
}

/* edu's DMA-completion interrupt as INTx (MSI off): a short transfer
 * with TE off, raising 0x100, then acknowledged so that the line falls
 * and the next one is a new edge */
static void edu_intx(QTestState *s)
{
    edu_dma(s, SRC_PA, EDU_BUF, 4, DMA_IRQ);
    g_assert_cmphex(qtest_readl(s, EDU_MMIO + EDU_IRQ_STATUS), ==, 0x100);
    qtest_writel(s, EDU_MMIO + EDU_IRQ_ACK, 0x100);
}

static void test_ioapic_remap(void)
{
    QTestState *s = start("");
    edu_enable(s);
    lapic_enable(s);
    ir_enable(s);
    /* the IOAPIC's messages carry no source id (as in QEMU): an IRTE that
     * names another source still takes them */
    irte(s, 5, 0x81, 0, 0x1234, 1);
    /* edu's PIRQ pin, edge, remappable format, index 5; the entry's own
     * vector (0x71) is what the IRTE overrides */
    ioapic_rte(s, EDU_PIN, 0x71, 1u << 16 | 5u << 17);
    edu_intx(s);
    g_assert_true(irr(s, 0x81));
    g_assert_false(irr(s, 0x71));
    g_assert_cmphex(rd(s, R_FSTS), ==, 0);

    /* index 0x8005 (handle[15] in bit 11): past the 256 entries */
    ioapic_rte(s, EDU_PIN, 0x72 | 1u << 11, 1u << 16 | 5u << 17);
    edu_intx(s);
    g_assert_false(irr(s, 0x72));
    uint64_t hi = rdq(s, R_FRCD + 8);
    g_assert_cmphex(hi >> 63, ==, 1);
    g_assert_cmphex((hi >> 32) & 0xff, ==, 0x21);
    g_assert_cmphex(hi & 0xffff, ==, 0xff00);               /* the IOAPIC's source id */
    g_assert_cmphex(rdq(s, R_FRCD) >> 48, ==, 0x8005);
    wr(s, R_FRCD + 12, 0x80000000);

    /* a compatibility-format entry is blocked while CFI is clear ... */
    ioapic_rte(s, EDU_PIN, 0x73, 0);
    edu_intx(s);
    g_assert_false(irr(s, 0x73));
    g_assert_cmphex(rdq(s, R_FRCD + 8) >> 63, ==, 1);
    g_assert_cmphex((rdq(s, R_FRCD + 8) >> 32) & 0xff, ==, 0x25);
    wr(s, R_FRCD + 12, 0x80000000);
    /* ... and passes once CFI is set */
    gcmd_or(s, G_CFI);
    g_assert_cmphex(rd(s, R_GSTS) & G_CFI, ==, G_CFI);
    edu_intx(s);
    g_assert_true(irr(s, 0x73));
    g_assert_cmphex(rdq(s, R_FRCD + 8) >> 63, ==, 0);

    /* not present */
    ioapic_rte(s, EDU_PIN, 0x74, 1u << 16 | 6u << 17);
    edu_intx(s);
    g_assert_false(irr(s, 0x74));
    g_assert_cmphex(rdq(s, R_FRCD + 8) >> 63, ==, 1);
    g_assert_cmphex((rdq(s, R_FRCD + 8) >> 32) & 0xff, ==, 0x22);
    wr(s, R_FRCD + 12, 0x80000000);

    /* PIRQH routed to ISA IRQ 11 as well: that pin's remappable entry
     * (index 7) is remapped the same way; edu's own pin masked */
    ioapic_rte(s, EDU_PIN, 0x75 | 1u << 16, 1u << 16 | 5u << 17);
    irte(s, 7, 0x87, 0, 0, 0);
    ioapic_rte(s, 11, 0x76, 1u << 16 | 7u << 17);
    qtest_pci_writeb(s, LPC_DEVFN, EDU_PIRQ_ROUT, 0x0b);
    edu_intx(s);
    g_assert_true(irr(s, 0x87));
    g_assert_false(irr(s, 0x76));
    g_assert_cmphex(rd(s, R_FSTS), ==, 0);
    qtest_quit(s);
}

/* virtio-net's MSI-X vector 0 in remappable format (KUT's layout: handle
 * in address bits 19:5, format bit 4); a transmit completion fires it */
#define VN_DEVFN    (4 << 3)
#define BAR4        0xe0000000ull
#define BAR1        0xe0100000ull
#define COMMON      (BAR4 + 0x0000)
#define NOTIFY      (BAR4 + 0x3000)
#define TXQ         0x110000ull
#define TXBUF       0x200000ull

static void w16(QTestState *s, uint64_t a, uint16_t v) { uint8_t b[2] = { v, v >> 8 }; qtest_memwrite(s, a, b, 2); }

static QTestState *start_net(void)
{
    QTestState *s = qtest_start("-machine q35 -device intel-iommu -netdev user,id=n0 "
                                "-device virtio-net-pci,netdev=n0,addr=4");
    qtest_pci_writel(s, VN_DEVFN, 0x14, BAR1);
    qtest_pci_writel(s, VN_DEVFN, 0x20, BAR4);
    qtest_pci_writel(s, VN_DEVFN, 0x24, 0);
    qtest_pci_writew(s, VN_DEVFN, 0x04, 0x0006);
    uint8_t cap = 0;
    for (uint8_t p = qtest_pci_readb(s, VN_DEVFN, 0x34); p; p = qtest_pci_readb(s, VN_DEVFN, p + 1)) {
        if (qtest_pci_readb(s, VN_DEVFN, p) == 0x11) {
            cap = p;
        }
    }
    g_assert_cmpint(cap, !=, 0);
    qtest_pci_writew(s, VN_DEVFN, cap + 2, 0x8000);         /* MSI-X on */
    /* feature negotiation: VERSION_1 only */
    qtest_writeb(s, COMMON + 20, 0);
    qtest_writeb(s, COMMON + 20, 1 | 2);
    qtest_writel(s, COMMON + 8, 1);
    qtest_writel(s, COMMON + 12, 1);
    qtest_writeb(s, COMMON + 20, 1 | 2 | 8);
    /* TX queue 1, 8 entries, vector 0 */
    qtest_ok(s, "writew 0x%llx 0x%x", (unsigned long long)(COMMON + 22), 1);
    qtest_ok(s, "writew 0x%llx 0x%x", (unsigned long long)(COMMON + 24), 8);
    qtest_ok(s, "writew 0x%llx 0x%x", (unsigned long long)(COMMON + 26), 0);
    qtest_writel(s, COMMON + 32, TXQ);
    qtest_writel(s, COMMON + 36, 0);
    qtest_writel(s, COMMON + 40, TXQ + 0x1000);
    qtest_writel(s, COMMON + 44, 0);
    qtest_writel(s, COMMON + 48, TXQ + 0x2000);
    qtest_writel(s, COMMON + 52, 0);
    qtest_ok(s, "writew 0x%llx 0x%x", (unsigned long long)(COMMON + 28), 1);
    qtest_writeb(s, COMMON + 20, 1 | 2 | 4 | 8);
    lapic_enable(s);
    return s;
}

/* queue one 72-byte frame (header + 60 bytes) as entry n and wait for the
 * used ring */
static void net_tx(QTestState *s, uint16_t n)
{
    uint8_t frame[72] = { 0 };
    memset(frame + 12, 0xff, 6);
    qtest_memwrite(s, TXBUF, frame, sizeof(frame));
    uint8_t d[16] = { 0 };
    for (int k = 0; k < 8; k++) {
        d[k] = TXBUF >> (8 * k);
    }
    d[8] = sizeof(frame);
    qtest_memwrite(s, TXQ + 16ull * (n % 8), d, 16);
    w16(s, TXQ + 0x1000 + 4 + 2 * (n % 8), n % 8);
    w16(s, TXQ + 0x1000 + 2, n + 1);
    qtest_writel(s, NOTIFY + 4, 1);
    for (int i = 0; i < 20000; i++) {
        uint8_t b[2];
        qtest_memread(s, TXQ + 0x2000 + 2, b, 2);
        if ((uint16_t)(b[0] | b[1] << 8) == n + 1) {
            return;
        }
        g_usleep(100);
    }
    g_assert_not_reached();
}

static void msix_vector0(QTestState *s, uint32_t addr, uint32_t data)
{
    qtest_writel(s, BAR1 + 0, addr);
    qtest_writel(s, BAR1 + 4, 0);
    qtest_writel(s, BAR1 + 8, data);
    qtest_writel(s, BAR1 + 12, 0);
}

static void test_msi_remap(void)
{
    QTestState *s = start_net();
    ir_enable(s);
    /* index 9, full source-id check against 00:04.0 */
    irte(s, 9, 0x91, 0, VN_DEVFN, 1);
    msix_vector0(s, 0xfee00000 | 9 << 5 | 1 << 4, 0);
    net_tx(s, 0);
    g_assert_true(irr(s, 0x91));
    g_assert_cmphex(rd(s, R_FSTS), ==, 0);

    /* SHV: handle 8 + subhandle 1 = index 9 again */
    irte(s, 9, 0x92, 0, VN_DEVFN, 1);
    msix_vector0(s, 0xfee00000 | 8 << 5 | 1 << 4 | 1 << 3, 1);
    net_tx(s, 1);
    g_assert_true(irr(s, 0x92));

    /* the IRTE names another source: blocked, fault 0x26 */
    irte(s, 9, 0x93, 0, 0x0010, 1);
    msix_vector0(s, 0xfee00000 | 9 << 5 | 1 << 4, 0);
    net_tx(s, 2);
    g_assert_false(irr(s, 0x93));
    uint64_t hi = rdq(s, R_FRCD + 8);
    g_assert_cmphex((hi >> 32) & 0xff, ==, 0x26);
    g_assert_cmphex(hi & 0xffff, ==, VN_DEVFN);
    g_assert_cmphex(rdq(s, R_FRCD) >> 48, ==, 9);
    wr(s, R_FRCD + 12, 0x80000000);

    /* ... unless the IRTE's qualifier ignores function bits: 00:02.0-7 */
    irte(s, 9, 0x94, 0, VN_DEVFN | 5, 1);
    w64(s, IRT + 9 * 16 + 8, (VN_DEVFN | 5) | 3ull << 16 | 1ull << 18);
    net_tx(s, 3);
    g_assert_true(irr(s, 0x94));

    /* an index past the table (256 entries) */
    msix_vector0(s, 0xfee00000 | 300 << 5 | 1 << 4, 0);
    net_tx(s, 4);
    g_assert_cmphex((rdq(s, R_FRCD + 8) >> 32) & 0xff, ==, 0x21);
    wr(s, R_FRCD + 12, 0x80000000);

    /* IR off: the message is taken as it is (compatibility format) */
    gcmd_clear(s, G_IRE);
    msix_vector0(s, 0xfee00000, 0x95);
    net_tx(s, 5);
    g_assert_true(irr(s, 0x95));
    qtest_quit(s);
}

/* ---- ACPI: the DMAR table reaches the firmware's table blob ---- */

static char *fw_cfg_file(QTestState *s, const char *name, size_t *len)
{
    qtest_outw(s, 0x510, 0x19);
    uint8_t b[4];
    for (int i = 0; i < 4; i++) {
        b[i] = qtest_inb(s, 0x511);
    }
    uint32_t count = (uint32_t)b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3];
    for (uint32_t i = 0; i < count; i++) {
        uint8_t e[64];
        for (int k = 0; k < 64; k++) {
            e[k] = qtest_inb(s, 0x511);
        }
        uint32_t size = (uint32_t)e[0] << 24 | e[1] << 16 | e[2] << 8 | e[3];
        uint16_t sel = e[4] << 8 | e[5];
        if (!strcmp((char *)e + 8, name)) {
            char *data = g_malloc(size + 1);
            qtest_outw(s, 0x510, sel);
            for (uint32_t k = 0; k < size; k++) {
                data[k] = qtest_inb(s, 0x511);
            }
            *len = size;
            return data;
        }
    }
    return NULL;
}

static void test_dmar_table(void)
{
    QTestState *s = start("");
    size_t len = 0;
    g_autofree char *t = fw_cfg_file(s, "etc/acpi/tables", &len);
    g_assert_nonnull(t);
    const uint8_t *d = memmem(t, len, "DMAR", 4);
    g_assert_nonnull(d);
    uint32_t tlen = d[4] | d[5] << 8 | d[6] << 16 | (uint32_t)d[7] << 24;
    g_assert_cmpuint(tlen, ==, 36 + 12 + 16 + 8);
    g_assert_cmphex(d[36], ==, 38);                         /* host address width - 1 */
    g_assert_cmphex(d[37], ==, 1);                          /* INTR_REMAP */
    const uint8_t *drhd = d + 48;
    g_assert_cmphex(drhd[0] | drhd[1] << 8, ==, 0);         /* DRHD */
    g_assert_cmphex(drhd[4], ==, 1);                        /* INCLUDE_PCI_ALL */
    uint64_t base = 0;
    for (int i = 0; i < 8; i++) {
        base |= (uint64_t)drhd[8 + i] << (8 * i);
    }
    g_assert_cmphex(base, ==, VTD);
    g_assert_cmphex(drhd[16], ==, 3);                       /* scope: IOAPIC */
    g_assert_cmphex(drhd[21], ==, 0xff);                    /* bus ff, 00.0 */
    g_assert_cmphex(drhd[22] | drhd[23], ==, 0);
    qtest_quit(s);

    s = qtest_start("-machine q35");
    g_autofree char *t2 = fw_cfg_file(s, "etc/acpi/tables", &len);
    g_assert_null(memmem(t2, len, "DMAR", 4));
    qtest_quit(s);

    s = start(",intremap=off");
    g_autofree char *t3 = fw_cfg_file(s, "etc/acpi/tables", &len);
    d = memmem(t3, len, "DMAR", 4);
    g_assert_nonnull(d);
    g_assert_cmphex(d[37], ==, 0);
    qtest_quit(s);
}

/* ---- user errors ---- */

static void expect_user_error(const char *args, const char *msg)
{
    const char *bin = g_getenv("VIREO_BINARY");
    g_autofree char *def = g_strdup_printf("%s/vireo", g_getenv("BUILD") ? g_getenv("BUILD") : "build");
    g_autofree char *cmd = g_strdup_printf("%s -machine accel=qtest -display none %s",
                                           bin ? bin : def, args);
    gchar **argv = NULL;
    g_assert_true(g_shell_parse_argv(cmd, NULL, &argv, NULL));
    g_autofree char *out = NULL, *err = NULL;
    int st = 0;
    g_assert_true(g_spawn_sync(NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &st, NULL));
    g_strfreev(argv);
    g_assert_true(WIFEXITED(st));
    g_assert_cmpint(WEXITSTATUS(st), ==, 1);
    if (!strstr(err, msg)) {
        g_error("expected \"%s\" in: %s", msg, err);
    }
    g_assert_cmpint(strchr(err, '\n') - err + 1, ==, (int)strlen(err));
}

#define Q35 "-machine q35 "

static void test_user_errors(void)
{
    expect_user_error(Q35 "-device intel-iommu,aw-bits=40",
                      "Supported values for aw-bits are: 39, 48");
    expect_user_error(Q35 "-device intel-iommu,intremap=off,eim=on",
                      "eim=on cannot be selected without intremap=on");
    expect_user_error(Q35 "-device intel-iommu,eim=on", "eim=on requires");
    expect_user_error(Q35 "-device intel-iommu,intremap=maybe",
                      "Parameter 'intremap' does not accept value 'maybe'");
    expect_user_error(Q35 "-device intel-iommu -device intel-iommu", "multiple vIOMMUs");
    expect_user_error(Q35 "-device intel-iommu,bogus=1", "bogus");
    /* q35 only, as on QEMU */
    expect_user_error("-machine pc -device intel-iommu",
                      "Parameter 'driver' expects a dynamic sysbus device type for the machine");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/intel-iommu/reset-values", test_reset_values);
    g_test_add_func("/intel-iommu/handshakes", test_handshakes);
    g_test_add_func("/intel-iommu/queued-invalidation", test_queued_invalidation);
    g_test_add_func("/intel-iommu/dma-remap", test_dma_remap);
    g_test_add_func("/intel-iommu/ioapic-remap", test_ioapic_remap);
    g_test_add_func("/intel-iommu/msi-remap", test_msi_remap);
    g_test_add_func("/intel-iommu/dmar-table", test_dmar_table);
    g_test_add_func("/intel-iommu/user-errors", test_user_errors);
    return g_test_run();
}
