/*
 * edu (QEMU's educational PCI device, 1234:11e8) through qtest, as QEMU's
 * docs/specs/edu.rst describes it and kvm-unit-tests' lib/pci-edu.c uses it:
 *   - PCI identity (ids, revision 0x10, class 00ffh, INTA), BAR0 1 MiB of
 *     32-bit memory, and the MSI capability (05h): 64-bit, one vector,
 *     which Message Control bits and address bits software can write;
 *   - identification, liveness inversion, factorial (status bit 0 clear
 *     afterwards), the access sizes the registers take;
 *   - interrupt raise/acknowledge as INTx (the IOAPIC input the slot's
 *     INTA reaches) and as MSI (the message pointed at RAM, where
 *     pci_msi_send writes it), INTx kept low while MSI is on, MSI gated by
 *     bus mastering, the factorial interrupt;
 *   - DMA RAM -> device -> RAM at offsets, completing 100 ms (virtual)
 *     after the start command with interrupt 0x100; device-side ranges
 *     outside the 4 KiB buffer and transfers with bus mastering off move
 *     nothing.
 * Each case starts its own machine.
 */
#include <string.h>

#include "tests/qtest/libqtest.h"

#define SLOT        4
#define DEVFN       (SLOT << 3)
#define MMIO        0xe0000000ull

#define REG_ID          0x00
#define REG_ALIVE       0x04
#define REG_FACT        0x08
#define REG_STATUS      0x20
#define REG_IRQ_STATUS  0x24
#define REG_IRQ_RAISE   0x60
#define REG_IRQ_ACK     0x64
#define REG_DMA_SRC     0x80
#define REG_DMA_DST     0x88
#define REG_DMA_CNT     0x90
#define REG_DMA_CMD     0x98

#define DMA_START       0x1
#define DMA_TO_RAM      0x2
#define DMA_IRQ         0x4
#define BUF             0x40000ull     /* the device's buffer, device side */
#define BUF_SIZE        4096

#define CMD_MEM         0x0002
#define CMD_MASTER      0x0004

/* guest RAM the tests use */
#define RAM_SRC         0x300000ull
#define RAM_DST         0x310000ull
#define RAM_MSI         0x200000ull

#define MS              1000000ll

static uint32_t rd(QTestState *s, uint32_t reg)
{
    return qtest_readl(s, MMIO + reg);
}

static void wr(QTestState *s, uint32_t reg, uint32_t v)
{
    qtest_writel(s, MMIO + reg, v);
}

static QTestState *start(uint16_t command)
{
    QTestState *s = qtest_start("-device edu,addr=4");
    qtest_pci_writel(s, DEVFN, 0x10, (uint32_t)MMIO);
    qtest_pci_writew(s, DEVFN, 0x04, command);
    return s;
}

static uint8_t msi_cap(QTestState *s)
{
    uint8_t cap = 0;
    int guard = 48;
    for (uint8_t p = qtest_pci_readb(s, DEVFN, 0x34); p && guard--;
         p = qtest_pci_readb(s, DEVFN, p + 1)) {
        if (qtest_pci_readb(s, DEVFN, p) == 0x05) {
            cap = p;
        }
    }
    g_assert_cmpint(cap, !=, 0);
    return cap;
}

static uint16_t msi_ctrl(QTestState *s, uint8_t cap)
{
    return qtest_pci_readl(s, DEVFN, cap) >> 16;
}

/* slot S pin P drives PIRQ[(S - 1 + P - 1) & 3], PIRQA-D are IOAPIC 16-19
 * (as test-e1000-qtest.c) */
static int intx_line(QTestState *s)
{
    uint8_t pin = qtest_pci_readb(s, DEVFN, 0x3d);
    g_assert_cmpint(pin, ==, 1);
    return 16 + ((SLOT - 1 + pin - 1) & 3);
}

/* Program and start a transfer; the start bit must still read 1 until
 * the 100 ms are up, and the command completes after them. */
static void dma(QTestState *s, uint64_t src, uint64_t dst, uint64_t cnt, uint32_t cmd)
{
    qtest_writeq(s, MMIO + REG_DMA_SRC, src);
    qtest_writeq(s, MMIO + REG_DMA_DST, dst);
    qtest_writeq(s, MMIO + REG_DMA_CNT, cnt);
    wr(s, REG_DMA_CMD, cmd | DMA_START);
    g_assert_cmphex(rd(s, REG_DMA_CMD) & DMA_START, ==, DMA_START);
    qtest_clock_step(s, 100 * MS);
    g_assert_cmphex(rd(s, REG_DMA_CMD) & DMA_START, ==, 0);
}

static void fill(QTestState *s, uint64_t addr, uint8_t v, size_t len)
{
    uint8_t buf[BUF_SIZE];
    g_assert_cmpuint(len, <=, sizeof(buf));
    memset(buf, v, len);
    qtest_memwrite(s, addr, buf, len);
}

/* ---- identity ---- */

static void test_identity(void)
{
    QTestState *s = start(CMD_MEM);
    g_assert_cmphex(qtest_pci_readl(s, DEVFN, 0x00), ==, 0x11e81234);
    /* class 00h/ffh, prog-if 0, revision 0x10 */
    g_assert_cmphex(qtest_pci_readl(s, DEVFN, 0x08), ==, 0x00ff0010);
    g_assert_cmpint(qtest_pci_readb(s, DEVFN, 0x3d), ==, 1);
    g_assert_cmphex(qtest_pci_readl(s, DEVFN, 0x04) >> 16 & 0x10, ==, 0x10);   /* cap list */

    /* BAR0: 32-bit non-prefetchable memory, 1 MiB */
    qtest_pci_writel(s, DEVFN, 0x10, 0xffffffff);
    uint32_t bar0 = qtest_pci_readl(s, DEVFN, 0x10);
    g_assert_cmphex(bar0 & 0xf, ==, 0);
    g_assert_cmphex(~(bar0 & ~0xfu) + 1, ==, 1u << 20);
    g_assert_cmphex(qtest_pci_readl(s, DEVFN, 0x14), ==, 0);          /* nothing else */
    qtest_pci_writel(s, DEVFN, 0x10, (uint32_t)MMIO);

    /* MSI: 64-bit address, one vector requested, no per-vector masking */
    uint8_t cap = msi_cap(s);
    g_assert_cmphex(msi_ctrl(s, cap), ==, 0x0080);
    /* software writes Enable (bit 0) and Multiple Message Enable (6:4) only */
    qtest_pci_writew(s, DEVFN, cap + 2, 0xffff);
    g_assert_cmphex(msi_ctrl(s, cap), ==, 0x00f1);
    qtest_pci_writew(s, DEVFN, cap + 2, 0);
    g_assert_cmphex(msi_ctrl(s, cap), ==, 0x0080);
    /* the address is dword aligned; the upper dword is all writable; data
     * is 16 bits */
    qtest_pci_writel(s, DEVFN, cap + 4, 0xffffffff);
    g_assert_cmphex(qtest_pci_readl(s, DEVFN, cap + 4), ==, 0xfffffffc);
    qtest_pci_writel(s, DEVFN, cap + 8, 0xffffffff);
    g_assert_cmphex(qtest_pci_readl(s, DEVFN, cap + 8), ==, 0xffffffff);
    qtest_pci_writel(s, DEVFN, cap + 12, 0xffffffff);
    g_assert_cmphex(qtest_pci_readl(s, DEVFN, cap + 12), ==, 0x0000ffff);
    qtest_quit(s);
}

/* ---- registers ---- */

static void test_registers(void)
{
    QTestState *s = start(CMD_MEM);
    g_assert_cmphex(rd(s, REG_ID), ==, 0x010000ed);
    wr(s, REG_ID, 0);
    g_assert_cmphex(rd(s, REG_ID), ==, 0x010000ed);

    wr(s, REG_ALIVE, 0x12345678);
    g_assert_cmphex(rd(s, REG_ALIVE), ==, 0xedcba987);
    wr(s, REG_ALIVE, 0);
    g_assert_cmphex(rd(s, REG_ALIVE), ==, 0xffffffff);

    wr(s, REG_FACT, 10);
    g_assert_cmphex(rd(s, REG_STATUS) & 1, ==, 0);
    g_assert_cmpuint(rd(s, REG_FACT), ==, 3628800);
    wr(s, REG_FACT, 0);
    g_assert_cmpuint(rd(s, REG_FACT), ==, 1);
    /* 32-bit arithmetic: 13! = 6227020800 wraps; from 34! on it is 0 */
    wr(s, REG_FACT, 13);
    g_assert_cmpuint(rd(s, REG_FACT), ==, (uint32_t)6227020800ull);
    wr(s, REG_FACT, 33);
    g_assert_cmpuint(rd(s, REG_FACT), ==, 0x80000000);
    wr(s, REG_FACT, 0xffffffff);
    g_assert_cmpuint(rd(s, REG_FACT), ==, 0);

    /* status: only bit 7 is software's */
    wr(s, REG_STATUS, 0xffffffff);
    g_assert_cmphex(rd(s, REG_STATUS), ==, 0x80);
    wr(s, REG_STATUS, 0);
    g_assert_cmphex(rd(s, REG_STATUS), ==, 0);

    /* below 0x80 only 4-byte accesses count */
    wr(s, REG_ALIVE, 0x0f0f0f0f);
    qtest_writeb(s, MMIO + REG_ALIVE, 0x55);
    qtest_writeq(s, MMIO + REG_ALIVE, 0x1111111111111111ull);
    g_assert_cmphex(rd(s, REG_ALIVE), ==, 0xf0f0f0f0);
    g_assert_cmphex(qtest_readq(s, MMIO + REG_ID), ==, ~0ull);
    g_assert_cmphex(qtest_readb(s, MMIO + REG_ID), ==, 0xff);
    /* the DMA registers take 8 and 4 bytes (4: the low half, zero-extended) */
    qtest_writeq(s, MMIO + REG_DMA_SRC, 0x123456789abcdef0ull);
    g_assert_cmphex(qtest_readq(s, MMIO + REG_DMA_SRC), ==, 0x123456789abcdef0ull);
    g_assert_cmphex(rd(s, REG_DMA_SRC), ==, 0x9abcdef0);
    wr(s, REG_DMA_SRC, 0x1000);
    g_assert_cmphex(qtest_readq(s, MMIO + REG_DMA_SRC), ==, 0x1000);
    qtest_writeb(s, MMIO + REG_DMA_DST, 0x55);
    g_assert_cmphex(qtest_readq(s, MMIO + REG_DMA_DST), ==, 0);
    /* a command without the start bit is not taken */
    wr(s, REG_DMA_CMD, DMA_IRQ);
    g_assert_cmphex(rd(s, REG_DMA_CMD), ==, 0);
    /* unimplemented offsets read all-ones */
    g_assert_cmphex(rd(s, 0x0c), ==, 0xffffffff);
    g_assert_cmphex(rd(s, BUF), ==, 0xffffffff);
    qtest_quit(s);
}

/* ---- interrupts ---- */

static void test_intx(void)
{
    QTestState *s = start(CMD_MEM);
    qtest_irq_intercept_in(s, "ioapic");
    int line = intx_line(s);
    g_assert_false(qtest_get_irq(s, line));

    wr(s, REG_IRQ_RAISE, 0x5);
    g_assert_cmphex(rd(s, REG_IRQ_STATUS), ==, 0x5);
    g_assert_true(qtest_get_irq(s, line));
    g_assert_cmphex(qtest_pci_readl(s, DEVFN, 0x04) >> 16 & 0x08, ==, 0x08);  /* Interrupt Status */
    /* acknowledging part of it keeps the line up */
    wr(s, REG_IRQ_ACK, 0x1);
    g_assert_cmphex(rd(s, REG_IRQ_STATUS), ==, 0x4);
    g_assert_true(qtest_get_irq(s, line));
    wr(s, REG_IRQ_ACK, 0x4);
    g_assert_cmphex(rd(s, REG_IRQ_STATUS), ==, 0);
    g_assert_false(qtest_get_irq(s, line));
    /* raising nothing raises nothing */
    wr(s, REG_IRQ_RAISE, 0);
    g_assert_false(qtest_get_irq(s, line));

    /* COMMAND.INTX_DISABLE masks the pin, the status stays */
    qtest_pci_writew(s, DEVFN, 0x04, CMD_MEM | 0x0400);
    wr(s, REG_IRQ_RAISE, 0x2);
    g_assert_false(qtest_get_irq(s, line));
    qtest_pci_writew(s, DEVFN, 0x04, CMD_MEM);
    g_assert_true(qtest_get_irq(s, line));
    wr(s, REG_IRQ_ACK, 0xffffffff);
    g_assert_false(qtest_get_irq(s, line));

    /* status bit 7: a finished factorial raises 0x1 */
    wr(s, REG_FACT, 5);
    g_assert_false(qtest_get_irq(s, line));
    wr(s, REG_STATUS, 0x80);
    wr(s, REG_FACT, 5);
    g_assert_cmpuint(rd(s, REG_FACT), ==, 120);
    g_assert_cmphex(rd(s, REG_IRQ_STATUS), ==, 0x1);
    g_assert_true(qtest_get_irq(s, line));
    wr(s, REG_IRQ_ACK, 0x1);
    g_assert_false(qtest_get_irq(s, line));
    qtest_quit(s);
}

static void test_msi(void)
{
    QTestState *s = start(CMD_MEM | CMD_MASTER);
    qtest_irq_intercept_in(s, "ioapic");
    int line = intx_line(s);
    uint8_t cap = msi_cap(s);

    /* a message to an address that is not the APIC's is a DWORD write:
     * point it at RAM and look there */
    qtest_pci_writel(s, DEVFN, cap + 4, (uint32_t)RAM_MSI);
    qtest_pci_writel(s, DEVFN, cap + 8, 0);
    qtest_pci_writew(s, DEVFN, cap + 12, 0x4321);
    qtest_pci_writew(s, DEVFN, cap + 2, 0x0001);
    g_assert_cmphex(msi_ctrl(s, cap), ==, 0x0081);
    qtest_writel(s, RAM_MSI, 0);

    wr(s, REG_IRQ_RAISE, 0x10);
    g_assert_cmphex(qtest_readl(s, RAM_MSI), ==, 0x4321);
    /* with MSI enabled the function does not use INTx */
    g_assert_cmphex(rd(s, REG_IRQ_STATUS), ==, 0x10);
    g_assert_false(qtest_get_irq(s, line));
    g_assert_cmpuint(qtest_irq_raises(s, line), ==, 0);
    /* turning MSI off with the condition still there: INTx takes over */
    qtest_pci_writew(s, DEVFN, cap + 2, 0);
    g_assert_true(qtest_get_irq(s, line));
    qtest_pci_writew(s, DEVFN, cap + 2, 0x0001);
    g_assert_false(qtest_get_irq(s, line));
    wr(s, REG_IRQ_ACK, 0x10);
    g_assert_cmphex(rd(s, REG_IRQ_STATUS), ==, 0);

    /* every raise is a message (an edge), the data as programmed */
    qtest_writel(s, RAM_MSI, 0);
    qtest_pci_writew(s, DEVFN, cap + 12, 0x0042);
    wr(s, REG_IRQ_RAISE, 0x1);
    g_assert_cmphex(qtest_readl(s, RAM_MSI), ==, 0x0042);
    qtest_writel(s, RAM_MSI, 0);
    wr(s, REG_IRQ_RAISE, 0x1);
    g_assert_cmphex(qtest_readl(s, RAM_MSI), ==, 0x0042);
    wr(s, REG_IRQ_ACK, 0x1);

    /* Multiple Message Enable above what was requested (one vector): the
     * function still uses one, so no data bit is replaced by a vector */
    qtest_pci_writew(s, DEVFN, cap + 12, 0x4321);
    qtest_pci_writew(s, DEVFN, cap + 2, 0x0051);          /* 32 vectors */
    qtest_writel(s, RAM_MSI, 0);
    wr(s, REG_IRQ_RAISE, 0x1);
    g_assert_cmphex(qtest_readl(s, RAM_MSI), ==, 0x4321);
    wr(s, REG_IRQ_ACK, 0x1);
    qtest_pci_writew(s, DEVFN, cap + 2, 0x0001);

    /* the upper address dword is used: 4 GiB up is no RAM here, the
     * message does not land at the low address */
    qtest_pci_writel(s, DEVFN, cap + 8, 1);
    qtest_writel(s, RAM_MSI, 0);
    wr(s, REG_IRQ_RAISE, 0x1);
    g_assert_cmphex(qtest_readl(s, RAM_MSI), ==, 0);
    wr(s, REG_IRQ_ACK, 0x1);
    qtest_pci_writel(s, DEVFN, cap + 8, 0);

    /* a message is a bus-master write: none without bus mastering */
    qtest_pci_writew(s, DEVFN, 0x04, CMD_MEM);
    wr(s, REG_IRQ_RAISE, 0x1);
    g_assert_cmphex(qtest_readl(s, RAM_MSI), ==, 0);
    g_assert_false(qtest_get_irq(s, line));
    wr(s, REG_IRQ_ACK, 0x1);
    qtest_pci_writew(s, DEVFN, 0x04, CMD_MEM | CMD_MASTER);

    /* the DMA completion interrupt goes out as MSI too */
    dma(s, RAM_SRC, BUF, 4, DMA_IRQ);
    g_assert_cmphex(rd(s, REG_IRQ_STATUS), ==, 0x100);
    g_assert_cmphex(qtest_readl(s, RAM_MSI), ==, 0x4321);
    g_assert_false(qtest_get_irq(s, line));
    qtest_quit(s);
}

/* ---- DMA ---- */

static void test_dma(void)
{
    QTestState *s = start(CMD_MEM | CMD_MASTER);
    qtest_irq_intercept_in(s, "ioapic");
    int line = intx_line(s);
    static const uint8_t pattern[] = "edu DMA round trip!";   /* 20 bytes */
    qtest_memwrite(s, RAM_SRC, pattern, sizeof(pattern));
    fill(s, RAM_DST, 0xaa, 64);

    /* RAM -> device at buffer offset 0x123, interrupt 0x100 when done; it
     * completes 100 ms after the start and not before */
    qtest_writeq(s, MMIO + REG_DMA_SRC, RAM_SRC);
    qtest_writeq(s, MMIO + REG_DMA_DST, BUF + 0x123);
    qtest_writeq(s, MMIO + REG_DMA_CNT, sizeof(pattern));
    wr(s, REG_DMA_CMD, DMA_START | DMA_IRQ);
    qtest_clock_step(s, 50 * MS);
    g_assert_cmphex(rd(s, REG_DMA_CMD), ==, DMA_START | DMA_IRQ);
    g_assert_false(qtest_get_irq(s, line));
    /* while it runs, its registers and a new command are not taken */
    qtest_writeq(s, MMIO + REG_DMA_SRC, 0x1234);
    qtest_writeq(s, MMIO + REG_DMA_CNT, 1);
    wr(s, REG_DMA_CMD, DMA_START | DMA_TO_RAM);
    g_assert_cmphex(qtest_readq(s, MMIO + REG_DMA_SRC), ==, RAM_SRC);
    g_assert_cmphex(qtest_readq(s, MMIO + REG_DMA_CNT), ==, sizeof(pattern));
    g_assert_cmphex(rd(s, REG_DMA_CMD), ==, DMA_START | DMA_IRQ);
    qtest_clock_step(s, 50 * MS);
    g_assert_cmphex(rd(s, REG_DMA_CMD), ==, DMA_IRQ);
    g_assert_cmphex(rd(s, REG_IRQ_STATUS), ==, 0x100);
    g_assert_true(qtest_get_irq(s, line));
    wr(s, REG_IRQ_ACK, 0x100);
    g_assert_false(qtest_get_irq(s, line));

    /* device -> RAM from offset 0x123 to an odd RAM address, no interrupt */
    dma(s, BUF + 0x123, RAM_DST + 3, sizeof(pattern), DMA_TO_RAM);
    uint8_t got[64];
    qtest_memread(s, RAM_DST, got, sizeof(got));
    g_assert_cmpmem(got + 3, sizeof(pattern), pattern, sizeof(pattern));
    for (size_t i = 0; i < sizeof(got); i++) {
        if (i < 3 || i >= 3 + sizeof(pattern)) {
            g_assert_cmphex(got[i], ==, 0xaa);
        }
    }
    g_assert_cmphex(rd(s, REG_IRQ_STATUS), ==, 0);
    g_assert_false(qtest_get_irq(s, line));

    /* the last byte of the buffer is reachable, a byte from the middle of
     * what was sent comes back */
    dma(s, RAM_SRC + 4, BUF + BUF_SIZE - 1, 1, 0);
    fill(s, RAM_DST, 0, 1);
    dma(s, BUF + BUF_SIZE - 1, RAM_DST, 1, DMA_TO_RAM);
    g_assert_cmphex(qtest_readb(s, RAM_DST), ==, pattern[4]);
    qtest_quit(s);
}

/* Copy the whole device buffer to RAM_DST + 0x1000 and compare. */
static void check_buf(QTestState *s, const uint8_t *want)
{
    static uint8_t got[BUF_SIZE];
    dma(s, BUF, RAM_DST + 0x1000, BUF_SIZE, DMA_TO_RAM);
    qtest_memread(s, RAM_DST + 0x1000, got, BUF_SIZE);
    g_assert_cmpmem(got, BUF_SIZE, want, BUF_SIZE);
}

static void test_dma_bounds(void)
{
    QTestState *s = start(CMD_MEM | CMD_MASTER);
    static uint8_t buf[BUF_SIZE];
    for (int i = 0; i < BUF_SIZE; i++) {
        buf[i] = i * 7 + 1;
    }
    qtest_memwrite(s, RAM_SRC, buf, BUF_SIZE);
    /* the whole buffer in one transfer is fine */
    dma(s, RAM_SRC, BUF, BUF_SIZE, 0);
    check_buf(s, buf);

    /* into the device: past the end, before the start, a count that wraps
     * the address space, a count larger than the buffer; the command
     * completes and nothing moves (the source RAM differs now) */
    fill(s, RAM_SRC, 0xee, BUF_SIZE);
    static const struct { uint64_t dev, cnt; } bad[] = {
        { BUF + BUF_SIZE - 8, 16 },
        { BUF + BUF_SIZE, 1 },
        { BUF - 8, 16 },
        { BUF - 1, 1 },
        { BUF + 8, ~0ull - 7 },
        { BUF, BUF_SIZE + 1 },
        { ~0ull - 3, 8 },
        { 0, 16 },
    };
    for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
        dma(s, RAM_SRC, bad[i].dev, bad[i].cnt, DMA_IRQ);
        /* the command ends as any other, with its interrupt */
        g_assert_cmphex(rd(s, REG_IRQ_STATUS), ==, 0x100);
        wr(s, REG_IRQ_ACK, 0x100);
    }
    check_buf(s, buf);

    /* out of the device: RAM stays as it was */
    for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
        fill(s, RAM_DST, 0x5a, 64);
        dma(s, bad[i].dev, RAM_DST, bad[i].cnt, DMA_TO_RAM);
        uint8_t got[64];
        qtest_memread(s, RAM_DST, got, sizeof(got));
        for (size_t j = 0; j < sizeof(got); j++) {
            g_assert_cmphex(got[j], ==, 0x5a);
        }
    }
    /* still alive, still right */
    g_assert_cmphex(rd(s, REG_ID), ==, 0x010000ed);
    check_buf(s, buf);
    qtest_quit(s);
}

static void test_dma_no_master(void)
{
    QTestState *s = start(CMD_MEM);
    static uint8_t zero[BUF_SIZE];
    uint8_t pat[16];
    for (int i = 0; i < 16; i++) {
        pat[i] = 0x80 + i;
    }
    qtest_memwrite(s, RAM_SRC, pat, sizeof(pat));
    fill(s, RAM_DST, 0x5a, 64);

    /* RAM -> device: nothing read (the buffer keeps its zeros, not the
     * pattern nor the all-ones of a refused read) */
    dma(s, RAM_SRC, BUF, sizeof(pat), 0);
    /* device -> RAM: nothing written */
    dma(s, BUF, RAM_DST, 16, DMA_TO_RAM);
    uint8_t got[64];
    qtest_memread(s, RAM_DST, got, sizeof(got));
    for (size_t j = 0; j < sizeof(got); j++) {
        g_assert_cmphex(got[j], ==, 0x5a);
    }

    qtest_pci_writew(s, DEVFN, 0x04, CMD_MEM | CMD_MASTER);
    check_buf(s, zero);
    /* and with bus mastering on the same transfer works */
    dma(s, RAM_SRC, BUF, sizeof(pat), 0);
    dma(s, BUF, RAM_DST, 16, DMA_TO_RAM);
    qtest_memread(s, RAM_DST, got, 16);
    g_assert_cmpmem(got, 16, pat, sizeof(pat));
    qtest_quit(s);
}

/* ---- reset ---- */

static void test_reset(void)
{
    QTestState *s = start(CMD_MEM | CMD_MASTER);
    uint8_t cap = msi_cap(s);
    qtest_pci_writew(s, DEVFN, cap + 2, 0x0001);
    wr(s, REG_ALIVE, 0);
    wr(s, REG_IRQ_RAISE, 0x3);
    qtest_writeq(s, MMIO + REG_DMA_SRC, RAM_SRC);
    wr(s, REG_DMA_CMD, DMA_START);
    g_autofree char *r = qtest_qmp(s, "{\"execute\":\"system_reset\"}");
    g_assert_nonnull(strstr(r, "\"return\""));
    /* the main loop carries the reset out after the reply: the BAR and
     * command register come back to power-on, then map them again */
    for (int i = 0; i < 100 && qtest_pci_readl(s, DEVFN, 0x10); i++) {
        qtest_clock_step(s, 1000000);
    }
    g_assert_cmphex(qtest_pci_readl(s, DEVFN, 0x10), ==, 0);
    qtest_pci_writel(s, DEVFN, 0x10, (uint32_t)MMIO);
    qtest_pci_writew(s, DEVFN, 0x04, CMD_MEM);
    g_assert_cmphex(msi_ctrl(s, cap), ==, 0x0080);
    g_assert_cmphex(rd(s, REG_ALIVE), ==, 0);
    g_assert_cmphex(rd(s, REG_IRQ_STATUS), ==, 0);
    g_assert_cmphex(rd(s, REG_DMA_CMD), ==, 0);
    g_assert_cmphex(qtest_readq(s, MMIO + REG_DMA_SRC), ==, 0);
    qtest_quit(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qtest/edu/identity", test_identity);
    g_test_add_func("/qtest/edu/registers", test_registers);
    g_test_add_func("/qtest/edu/intx", test_intx);
    g_test_add_func("/qtest/edu/msi", test_msi);
    g_test_add_func("/qtest/edu/dma", test_dma);
    g_test_add_func("/qtest/edu/dma-bounds", test_dma_bounds);
    g_test_add_func("/qtest/edu/dma-no-master", test_dma_no_master);
    g_test_add_func("/qtest/edu/reset", test_reset);
    return g_test_run();
}
