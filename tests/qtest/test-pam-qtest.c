/*
 * i440FX PAM shadowing through qtest: with PAM off the BIOS ROM answers at
 * 0xF0000; read/write DRAM hides it; read-only DRAM ignores writes; turning
 * PAM off again shows the ROM, with the DRAM contents kept underneath.
 * Also the host bridge and ISA bridge identify as QEMU's pc has them, and
 * SMRAM as the machine shows it to devices and qtest (never the SMM view):
 * the VGA window unless D_OPEN; with -machine smm=off the PIIX4 comes up
 * with DEVACTB.APMC_EN set (SMM "already set up"), with SMM it does not.
 */
#include "tests/qtest/libqtest.h"

#define PAM0 0x59

static void test_ids(void)
{
    QTestState *s = qtest_start(NULL);
    g_assert_cmphex(qtest_pci_readl(s, 0x00, 0), ==, 0x12378086);       /* 00:00.0 i440FX */
    g_assert_cmphex(qtest_pci_readl(s, 0x08, 0), ==, 0x70008086);       /* 00:01.0 PIIX3 */
    g_assert_cmphex(qtest_pci_readl(s, 0x1f << 3, 0), ==, 0xffffffff);  /* empty slot */
    qtest_quit(s);
}

static void test_pam_f0000(void)
{
    QTestState *s = qtest_start(NULL);
    uint32_t rom = qtest_readl(s, 0xffff0);
    g_assert_cmphex(rom, ==, qtest_readl(s, 0xfffffff0));   /* the BIOS at both places */
    qtest_pci_writeb(s, 0x00, PAM0, 0x30);                  /* F0000: DRAM read/write */
    qtest_writel(s, 0xffff0, 0x11223344);
    g_assert_cmphex(qtest_readl(s, 0xffff0), ==, 0x11223344);
    g_assert_cmphex(qtest_readl(s, 0xfffffff0), ==, rom);   /* the high alias stays ROM */
    qtest_pci_writeb(s, 0x00, PAM0, 0x10);                  /* DRAM read-only */
    qtest_writel(s, 0xffff0, 0x55667788);
    g_assert_cmphex(qtest_readl(s, 0xffff0), ==, 0x11223344);
    qtest_pci_writeb(s, 0x00, PAM0, 0x00);                  /* off: ROM again */
    g_assert_cmphex(qtest_readl(s, 0xffff0), ==, rom);
    qtest_pci_writeb(s, 0x00, PAM0, 0x30);                  /* DRAM kept its contents */
    g_assert_cmphex(qtest_readl(s, 0xffff0), ==, 0x11223344);
    qtest_quit(s);
}

#define SMRAM 0x72
#define PM_DEVFN 0x0b

static void test_smram(void)
{
    QTestState *s = qtest_start(NULL);
    g_assert_cmphex(qtest_pci_readb(s, 0x00, SMRAM), ==, 0x02);
    qtest_pci_writeb(s, 0x00, SMRAM, 0x4a);                 /* D_OPEN | G_SMRAME */
    qtest_writel(s, 0xa8000, 0x5eaf00d);
    g_assert_cmphex(qtest_readl(s, 0xa8000), ==, 0x5eaf00d);
    qtest_pci_writeb(s, 0x00, SMRAM, 0x0a);                 /* closed: SMM only */
    g_assert_cmphex(qtest_readl(s, 0xa8000), !=, 0x5eaf00d);
    qtest_pci_writeb(s, 0x00, SMRAM, 0x4a);
    g_assert_cmphex(qtest_readl(s, 0xa8000), ==, 0x5eaf00d);
    qtest_quit(s);
}

static void test_apmc_en(void)
{
    QTestState *s = qtest_start(NULL);
    g_assert_cmphex(qtest_pci_readl(s, PM_DEVFN, 0x58) & (1u << 25), ==, 0);
    qtest_quit(s);
    s = qtest_start("-machine smm=off");
    g_assert_cmphex(qtest_pci_readl(s, PM_DEVFN, 0x58) & (1u << 25), !=, 0);
    qtest_quit(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qtest/i440fx/ids", test_ids);
    g_test_add_func("/qtest/i440fx/pam-f0000", test_pam_f0000);
    g_test_add_func("/qtest/i440fx/smram", test_smram);
    g_test_add_func("/qtest/piix4/apmc-en-and-smm-off", test_apmc_en);
    return g_test_run();
}
