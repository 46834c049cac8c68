/*
 * pc-testdev and -machine none through qtest: the scratch register seen
 * whole at 0xe0 and byte by byte at 0xe8 (what QEMU's endianness-test
 * checks), its ISA IRQ lines and MMIO buffer; and the QMP queries
 * libqtest makes on a -machine none instance before it picks a machine
 * or a device.
 */
#include "tests/qtest/libqtest.h"

#include <string.h>

static void test_split_combine(void)
{
    QTestState *s = qtest_start("-device pc-testdev");
    /* whole accesses at 0xe0 */
    qtest_outl(s, 0xe0, 0x87654321);
    g_assert_cmphex(qtest_inw(s, 0xe2), ==, 0x8765);
    g_assert_cmphex(qtest_inb(s, 0xe1), ==, 0x43);
    qtest_outw(s, 0xe2, 0x8866);
    g_assert_cmphex(qtest_inl(s, 0xe0), ==, 0x88664321);
    qtest_outb(s, 0xe0, 0x22);
    g_assert_cmphex(qtest_inl(s, 0xe0), ==, 0x88664322);
    /* the byte-wide window: wide accesses are split into bytes, same register */
    qtest_outl(s, 0xe8, 0x12345678);
    g_assert_cmphex(qtest_inl(s, 0xe0), ==, 0x12345678);
    g_assert_cmphex(qtest_inw(s, 0xea), ==, 0x1234);
    qtest_outw(s, 0xea, 0x8866);
    g_assert_cmphex(qtest_inl(s, 0xe0), ==, 0x88665678);
    qtest_outb(s, 0xeb, 0x87);
    g_assert_cmphex(qtest_inl(s, 0xe8), ==, 0x87665678);
    g_assert_cmphex(qtest_inw(s, 0xe8), ==, 0x5678);
    qtest_quit(s);
}

static void test_irq_lines_and_iomem(void)
{
    QTestState *s = qtest_start("-device pc-testdev");
    qtest_irq_intercept_in(s, "ioapic");
    g_assert_false(qtest_get_irq(s, 5));
    qtest_outb(s, 0x2005, 1);
    g_assert_true(qtest_get_irq(s, 5));
    qtest_outb(s, 0x2005, 0);
    g_assert_false(qtest_get_irq(s, 5));
    qtest_outb(s, 0x2017, 1);            /* no ISA IRQ 23: ignored */

    qtest_writel(s, 0xff000010, 0xdeadbeef);
    g_assert_cmphex(qtest_readq(s, 0xff00000c), ==, 0xdeadbeef00000000ull);
    g_assert_cmphex(qtest_readb(s, 0xff000013), ==, 0xde);
    qtest_quit(s);
}

static void test_machine_none_queries(void)
{
    QTestState *s = qtest_start("-machine none");
    g_autofree char *m = qtest_qmp(s, "{ 'execute': 'query-machines' }");
    g_assert_nonnull(strstr(m, "\"alias\":\"pc\""));
    g_assert_nonnull(strstr(m, "{\"name\":\"none\""));
    g_autofree char *t = qtest_qmp(s, "{'execute': 'qom-list-types', 'arguments': "
                                      "{'abstract': false, 'implements': 'device'}}");
    g_assert_nonnull(strstr(t, "{\"name\":\"pc-testdev\",\"parent\":\"isa-device\"}"));
    g_assert_nonnull(strstr(t, "{\"name\":\"i440FX\",\"parent\":\"pci-device\"}"));
    g_autofree char *p = qtest_qmp(s, "{ 'execute': 'qom-list-types', "
                                      "'arguments': { 'implements': 'pci-device' } }");
    g_assert_null(strstr(p, "pc-testdev"));
    /* no board: nothing answers at the ports or in memory */
    g_assert_cmphex(qtest_inb(s, 0x71), ==, 0xff);
    g_autofree char *r = qtest_qmp(s, "{ 'execute': 'system_reset' }");
    g_assert_cmpstr(r, ==, "{\"return\":{}}");
    qtest_quit(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qtest/testdev/split-combine", test_split_combine);
    g_test_add_func("/qtest/testdev/irq-lines-iomem", test_irq_lines_and_iomem);
    g_test_add_func("/qtest/machine-none/queries", test_machine_none_queries);
    return g_test_run();
}
