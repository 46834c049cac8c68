/*
 * The q35 machine's chipset through qtest (hw/pci/q35.c, hw/isa/ich9-lpc.c):
 *   - identity: MCH 8086:29c0 at 00.0, ICH9 LPC 8086:2918 (ISA bridge,
 *     multi-function) at 1f.0, no PIIX3;
 *   - MMCONFIG: off at reset (PCIEXBAR 0xb0000000 without enable); when
 *     enabled, config space by address (bus 27:20, devfn 19:12, register
 *     11:0), writes included, extended registers all ones; moved and
 *     shrunk to 64 buses, the old window gone and bus 64 outside;
 *   - PAM0 at 0x90 (0xf0000 shadowing) and SMRAM at 0x9d (D_OPEN, D_LCK);
 *   - ESMRAMC: TSEG (1/2/8 MiB or the extended size) hidden at the top of
 *     RAM below 4G once T_EN and G_SMRAME, EXT_TSEG_MBYTES answering its
 *     query, high SMRAM at 0xfeda0000 with H_SMRAME, D_LCK freezing it;
 *   - PIRQ routing: edu's INTA in slot 4 reaches PIRQE + (4 + 0) mod 4 =
 *     PIRQE: IOAPIC pin 20 always, and ISA IRQ 10 once PIRQE_ROUT says so;
 *   - the PM block: absent until PMBASE and ACPI_EN, then the PM timer
 *     counts at 3.579545 MHz, APMC ACPI enable (2) and disable (3) flip
 *     SCI_EN, SMI_EN holds APMC_EN, GPE0 is 16 bytes at PMBASE+0x20.
 */
#include "tests/qtest/libqtest.h"

#define LPC         (0x1f << 3)
#define PCIEXBAR    0x60
#define MMCFG       0xb0000000ull
#define PMBASE      0x600

static QTestState *start(const char *more)
{
    g_autofree char *args = g_strdup_printf("-machine q35 %s", more ? more : "");
    return qtest_start(args);
}

static void test_ids(void)
{
    QTestState *s = start(NULL);
    g_assert_cmphex(qtest_pci_readl(s, 0, 0), ==, 0x29c08086);
    g_assert_cmphex(qtest_pci_readl(s, LPC, 0), ==, 0x29188086);
    g_assert_cmphex(qtest_pci_readl(s, LPC, 0x08) >> 16, ==, 0x0601);
    g_assert_cmphex(qtest_pci_readb(s, LPC, 0x0e) & 0x80, ==, 0x80);
    g_assert_cmphex(qtest_pci_readl(s, 1 << 3, 0), !=, 0x70008086);
    qtest_quit(s);
}

static void test_mmconfig(void)
{
    QTestState *s = start(NULL);
    g_assert_cmphex(qtest_pci_readl(s, 0, PCIEXBAR), ==, 0xb0000000);
    g_assert_cmphex(qtest_readl(s, MMCFG), ==, 0xffffffff);         /* not decoded yet */
    qtest_pci_writel(s, 0, PCIEXBAR, 0xb0000001);
    g_assert_cmphex(qtest_readl(s, MMCFG), ==, 0x29c08086);
    g_assert_cmphex(qtest_readl(s, MMCFG + (0x1full << 15)), ==, 0x29188086);
    g_assert_cmphex(qtest_readb(s, MMCFG + (0x1full << 15) + 2), ==, 0x18);
    g_assert_cmphex(qtest_readl(s, MMCFG + (0x1dull << 15)), ==, 0xffffffff);  /* empty slot */
    g_assert_cmphex(qtest_readl(s, MMCFG + (1ull << 20)), ==, 0xffffffff);     /* bus 1 */
    g_assert_cmphex(qtest_readl(s, MMCFG + 0x100), ==, 0xffffffff);  /* extended space */
    /* a write through MMCONFIG is a config write (PIRQA_ROUT) */
    qtest_writeb(s, MMCFG + (0x1full << 15) + 0x60, 0x0b);
    g_assert_cmphex(qtest_pci_readb(s, LPC, 0x60), ==, 0x0b);

    /* 64 buses at 0xe0000000: the old window is gone, bus 63 decodes,
     * bus 64 is past the end */
    qtest_pci_writel(s, 0, PCIEXBAR, 0xe0000005);
    g_assert_cmphex(qtest_readl(s, MMCFG), ==, 0xffffffff);
    g_assert_cmphex(qtest_readl(s, 0xe0000000), ==, 0x29c08086);
    g_assert_cmphex(qtest_readl(s, 0xe0000000 + (63ull << 20)), ==, 0xffffffff);
    g_assert_cmphex(qtest_readl(s, 0xe0000000 + (64ull << 20)), ==, 0xffffffff);
    /* and off again */
    qtest_pci_writel(s, 0, PCIEXBAR, 0xe0000004);
    g_assert_cmphex(qtest_readl(s, 0xe0000000), ==, 0xffffffff);
    qtest_quit(s);
}

static void test_pam_smram(void)
{
    QTestState *s = start(NULL);
    uint32_t rom = qtest_readl(s, 0xffff0);
    qtest_pci_writeb(s, 0, 0x90, 0x30);                     /* PAM0: DRAM read/write */
    qtest_writel(s, 0xffff0, 0x11223344);
    g_assert_cmphex(qtest_readl(s, 0xffff0), ==, 0x11223344);
    qtest_pci_writeb(s, 0, 0x90, 0x00);
    g_assert_cmphex(qtest_readl(s, 0xffff0), ==, rom);
    /* the i440FX's SMRAM register is plain data here */
    g_assert_cmphex(qtest_pci_readb(s, 0, 0x72), ==, 0x00);

    g_assert_cmphex(qtest_pci_readb(s, 0, 0x9d), ==, 0x02);
    qtest_pci_writeb(s, 0, 0x9d, 0x4a);                     /* D_OPEN | G_SMRAME */
    qtest_writel(s, 0xa8000, 0x5eaf00d);
    g_assert_cmphex(qtest_readl(s, 0xa8000), ==, 0x5eaf00d);
    qtest_pci_writeb(s, 0, 0x9d, 0x1a);                     /* D_LCK: closed for good */
    g_assert_cmphex(qtest_readl(s, 0xa8000), !=, 0x5eaf00d);
    qtest_pci_writeb(s, 0, 0x9d, 0x4a);
    g_assert_cmphex(qtest_pci_readb(s, 0, 0x9d), ==, 0x1a);
    g_assert_cmphex(qtest_readl(s, 0xa8000), !=, 0x5eaf00d);
    qtest_quit(s);
}

/* ESMRAMC: TSEG at the top of RAM below 4G and high SMRAM at 0xfeda0000
 * (what the rest of the system sees: SMM's view is not reachable from
 * qtest) */
static void test_tseg_high_smram(void)
{
    QTestState *s = start("-m 128 -global mch.extended-tseg-mbytes=4");
    const uint64_t top = 128ull << 20;
    g_assert_cmphex(qtest_pci_readb(s, 0, 0x9e), ==, 0x38);
    qtest_writeb(s, top - (2 << 20), 0x5a);
    qtest_writeb(s, top - 1, 0x77);
    /* T_EN alone: nothing until G_SMRAME */
    qtest_pci_writeb(s, 0, 0x9e, 0x38 | 0x02 | 0x01);           /* 2 MiB, T_EN */
    g_assert_cmphex(qtest_readb(s, top - 1), ==, 0x77);
    qtest_pci_writeb(s, 0, 0x9d, 0x0a);                         /* G_SMRAME */
    g_assert_cmphex(qtest_readb(s, top - 1), ==, 0xff);
    g_assert_cmphex(qtest_readb(s, top - (2 << 20)), ==, 0xff);
    g_assert_cmphex(qtest_readb(s, top - (2 << 20) - 1), ==, 0x00);
    qtest_writeb(s, top - 1, 0x11);                             /* dropped */
    /* the extended size (3): the property's 4 MiB */
    qtest_pci_writeb(s, 0, 0x9e, 0x38 | 0x06 | 0x01);
    g_assert_cmphex(qtest_readb(s, top - (4 << 20)), ==, 0xff);
    g_assert_cmphex(qtest_readb(s, top - (4 << 20) - 1), ==, 0x00);
    qtest_pci_writew(s, 0, 0x50, 0xffff);                       /* EXT_TSEG_MBYTES query */
    g_assert_cmphex(qtest_pci_readl(s, 0, 0x50) & 0xffff, ==, 4);
    qtest_pci_writeb(s, 0, 0x9e, 0x38);                         /* T_EN off: RAM again */
    g_assert_cmphex(qtest_readb(s, top - 1), ==, 0x77);
    g_assert_cmphex(qtest_readb(s, top - (2 << 20)), ==, 0x5a);

    /* H_SMRAME with D_OPEN: SMRAM at 0xfeda0000, the VGA window at 0xa0000 */
    qtest_pci_writeb(s, 0, 0x9d, 0x4a);                         /* D_OPEN | G_SMRAME */
    qtest_writel(s, 0xa0010, 0xc0ffee11);
    g_assert_cmphex(qtest_readl(s, 0xfeda0010), ==, 0xffffffff);
    qtest_pci_writeb(s, 0, 0x9e, 0x38 | 0x80);
    g_assert_cmphex(qtest_readl(s, 0xfeda0010), ==, 0xc0ffee11);
    g_assert_cmphex(qtest_readl(s, 0xa0010), !=, 0xc0ffee11);
    qtest_pci_writeb(s, 0, 0x9d, 0x0a);                         /* closed: gone */
    g_assert_cmphex(qtest_readl(s, 0xfeda0010), ==, 0xffffffff);

    /* D_LCK freezes ESMRAMC; TSEG set before stays */
    qtest_pci_writeb(s, 0, 0x9e, 0x38 | 0x01);                  /* 1 MiB */
    qtest_pci_writeb(s, 0, 0x9d, 0x1a);                         /* D_LCK */
    qtest_pci_writeb(s, 0, 0x9e, 0x38);
    g_assert_cmphex(qtest_pci_readb(s, 0, 0x9e), ==, 0x39);
    g_assert_cmphex(qtest_readb(s, top - 1), ==, 0xff);
    qtest_quit(s);
}

#define EDU_DEVFN   (4 << 3)
#define EDU_MMIO    0xe0000000ull

static void test_pirq(void)
{
    QTestState *s = start("-device edu,addr=4");
    qtest_irq_intercept_in(s, "ioapic");
    g_assert_cmphex(qtest_pci_readl(s, EDU_DEVFN, 0), ==, 0x11e81234);
    qtest_pci_writel(s, EDU_DEVFN, 0x10, (uint32_t)EDU_MMIO);
    qtest_pci_writew(s, EDU_DEVFN, 0x04, 0x0006);           /* memory, bus master */

    qtest_writel(s, EDU_MMIO + 0x60, 1);                    /* raise */
    g_assert_true(qtest_get_irq(s, 20));                    /* PIRQE -> GSI 20 */
    g_assert_false(qtest_get_irq(s, 10));                   /* not routed yet */
    qtest_pci_writeb(s, LPC, 0x68, 0x0a);                   /* PIRQE -> IRQ 10 */
    g_assert_true(qtest_get_irq(s, 10));
    g_assert_false(qtest_get_irq(s, 11));
    qtest_pci_writeb(s, LPC, 0x68, 0x0b);                   /* moved: 10 released */
    g_assert_false(qtest_get_irq(s, 10));
    g_assert_true(qtest_get_irq(s, 11));
    qtest_writel(s, EDU_MMIO + 0x64, 1);                    /* acknowledge */
    g_assert_false(qtest_get_irq(s, 11));
    g_assert_false(qtest_get_irq(s, 20));
    qtest_writel(s, EDU_MMIO + 0x60, 1);
    qtest_pci_writeb(s, LPC, 0x68, 0x8b);                   /* IRQEN#: not routed */
    g_assert_false(qtest_get_irq(s, 11));
    g_assert_true(qtest_get_irq(s, 20));
    qtest_quit(s);
}

static uint32_t pm_tmr(QTestState *s)
{
    return qtest_inl(s, PMBASE + 8);
}

static void test_pm(void)
{
    QTestState *s = start(NULL);
    g_assert_cmphex(qtest_pci_readl(s, LPC, 0x40), ==, 0x00000001);
    g_assert_cmphex(qtest_inl(s, PMBASE + 8), ==, 0xffffffff);     /* not decoded */
    qtest_pci_writel(s, LPC, 0x40, PMBASE | 0x7f);
    g_assert_cmphex(qtest_pci_readl(s, LPC, 0x40), ==, PMBASE | 1); /* 128-byte aligned */
    g_assert_cmphex(qtest_inl(s, PMBASE + 8), ==, 0xffffffff);     /* ACPI_EN still clear */
    qtest_pci_writeb(s, LPC, 0x44, 0x80);

    uint32_t t0 = pm_tmr(s);
    qtest_clock_step(s, 1000000);                                   /* 1 ms */
    uint32_t t1 = pm_tmr(s);
    g_assert_cmpuint((t1 - t0) & 0xffffff, >=, 3579);
    g_assert_cmpuint((t1 - t0) & 0xffffff, <=, 3581);

    g_assert_cmphex(qtest_inw(s, PMBASE + 4) & 1, ==, 0);           /* SCI_EN */
    qtest_outb(s, 0xb2, 0x02);
    g_assert_cmphex(qtest_inw(s, PMBASE + 4) & 1, ==, 1);
    qtest_outb(s, 0xb2, 0x03);
    g_assert_cmphex(qtest_inw(s, PMBASE + 4) & 1, ==, 0);

    /* with SMM (the default under qtest) firmware finds APMC_EN clear */
    g_assert_cmphex(qtest_inl(s, PMBASE + 0x30), ==, 0);
    qtest_outl(s, PMBASE + 0x30, 0x21);
    g_assert_cmphex(qtest_inl(s, PMBASE + 0x30), ==, 0x21);

    /* GPE0: 8 bytes of status, then 8 of enable */
    qtest_outb(s, PMBASE + 0x28, 0x5a);
    g_assert_cmphex(qtest_inb(s, PMBASE + 0x28), ==, 0x5a);
    g_assert_cmphex(qtest_inb(s, PMBASE + 0x20), ==, 0x00);
    qtest_quit(s);
}

static void test_smm_off(void)
{
    QTestState *s = start("-machine smm=off");
    qtest_pci_writel(s, LPC, 0x40, PMBASE);
    qtest_pci_writeb(s, LPC, 0x44, 0x80);
    /* SMM "already set up": SeaBIOS leaves it alone */
    g_assert_cmphex(qtest_inl(s, PMBASE + 0x30) & 0x20, ==, 0x20);
    qtest_quit(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qtest/q35/ids", test_ids);
    g_test_add_func("/qtest/q35/mmconfig", test_mmconfig);
    g_test_add_func("/qtest/q35/pam-smram", test_pam_smram);
    g_test_add_func("/qtest/q35/tseg-high-smram", test_tseg_high_smram);
    g_test_add_func("/qtest/q35/pirq", test_pirq);
    g_test_add_func("/qtest/q35/pm", test_pm);
    g_test_add_func("/qtest/q35/smm-off", test_smm_off);
    return g_test_run();
}
