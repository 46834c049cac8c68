/*
 * ISA devices through qtest: the 8259 (an input driven with set_irq_in
 * shows in IRR and on the PIC's INT output, masking holds it back), the
 * 16550A at COM1 (loopback echo, THRE interrupt on IRQ 4 gated by OUT2),
 * and isa-debug-exit ending Vireo with (value << 1) | 1.
 */
#include "tests/qtest/libqtest.h"

static void pic_init(QTestState *s)
{
    qtest_outb(s, 0x20, 0x11);      /* ICW1: edge, cascade, ICW4 */
    qtest_outb(s, 0x21, 0x08);      /* ICW2: vectors 0x08.. */
    qtest_outb(s, 0x21, 0x04);      /* ICW3: slave on IR2 */
    qtest_outb(s, 0x21, 0x01);      /* ICW4: 8086 mode */
    qtest_outb(s, 0xa0, 0x11);
    qtest_outb(s, 0xa1, 0x70);
    qtest_outb(s, 0xa1, 0x02);
    qtest_outb(s, 0xa1, 0x01);
}

static void test_pic(void)
{
    QTestState *s = qtest_start(NULL);
    pic_init(s);
    qtest_irq_intercept_out(s, "i8259");
    qtest_outb(s, 0x21, 0xff);                       /* everything masked */
    g_autofree char *r = qtest_cmd(s, "set_irq_in i8259 unnamed-gpio-in 3 1");
    g_assert_cmpstr(r, ==, "OK");
    qtest_outb(s, 0x20, 0x0a);                       /* OCW3: read IRR */
    g_assert_cmphex(qtest_inb(s, 0x20) & 0x08, ==, 0x08);
    g_assert_false(qtest_get_irq(s, 0));             /* masked: INT stays low */
    qtest_outb(s, 0x21, 0xf7);                       /* unmask IR3 */
    g_assert_true(qtest_get_irq(s, 0));
    qtest_outb(s, 0x21, 0xff);
    g_assert_false(qtest_get_irq(s, 0));
    g_autofree char *r2 = qtest_cmd(s, "set_irq_in i8259 unnamed-gpio-in 99 1");
    g_assert_true(g_str_has_prefix(r2, "FAIL"));
    qtest_quit(s);
}

static void test_serial(void)
{
    QTestState *s = qtest_start(NULL);
    qtest_irq_intercept_in(s, "ioapic");
    qtest_outb(s, 0x3f8 + 7, 0x5a);                  /* scratch register */
    g_assert_cmphex(qtest_inb(s, 0x3f8 + 7), ==, 0x5a);
    qtest_outb(s, 0x3f8 + 4, 0x10);                  /* MCR: loopback */
    qtest_outb(s, 0x3f8, 'V');
    g_assert_cmphex(qtest_inb(s, 0x3f8 + 5) & 0x01, ==, 0x01);    /* LSR.DR */
    g_assert_cmphex(qtest_inb(s, 0x3f8), ==, 'V');
    g_assert_cmphex(qtest_inb(s, 0x3f8 + 5) & 0x61, ==, 0x60);    /* empty, THRE|TEMT */
    /* THRE interrupt: only with OUT2 set does it reach IRQ 4 */
    qtest_outb(s, 0x3f8 + 4, 0x00);
    qtest_outb(s, 0x3f8 + 1, 0x02);                  /* IER: THRE */
    g_assert_false(qtest_get_irq(s, 4));
    qtest_outb(s, 0x3f8 + 4, 0x08);                  /* OUT2 */
    g_assert_true(qtest_get_irq(s, 4));
    g_assert_cmphex(qtest_inb(s, 0x3f8 + 2) & 0x0f, ==, 0x02);    /* IIR: THRE; reading clears */
    g_assert_false(qtest_get_irq(s, 4));
    qtest_quit(s);
}

static void test_debug_exit(void)
{
    QTestState *s = qtest_start("-device isa-debug-exit,iobase=0xf4,iosize=0x04");
    g_assert_cmpint(qtest_cmd_expect_exit(s, "outb 0xf4 0x21"), ==, (0x21 << 1) | 1);
}

/* QEMU's pc-testdev: scratch register at 0xe0 (any size, any offset) and
 * byte-wise at 0xe8, ISA IRQ lines at 0x2000+n, scratch MMIO at 0xff000000 */
static void test_pc_testdev(void)
{
    QTestState *s = qtest_start("-device pc-testdev");
    qtest_irq_intercept_in(s, "ioapic");
    qtest_outl(s, 0xe0, 0x87654321);
    g_assert_cmphex(qtest_inb(s, 0xe1), ==, 0x43);
    g_assert_cmphex(qtest_inw(s, 0xe2), ==, 0x8765);
    qtest_outb(s, 0xe9, 0xaa);
    g_assert_cmphex(qtest_inl(s, 0xe8), ==, 0x8765aa21);
    qtest_outb(s, 0x2000 + 5, 1);
    g_assert_true(qtest_get_irq(s, 5));
    qtest_outb(s, 0x2000 + 5, 0);
    g_assert_false(qtest_get_irq(s, 5));
    qtest_writel(s, 0xff000010, 0x11223344);
    g_assert_cmphex(qtest_readl(s, 0xff000010), ==, 0x11223344);
    g_assert_cmphex(qtest_readb(s, 0xff000011), ==, 0x33);
    qtest_quit(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qtest/isa/pic", test_pic);
    g_test_add_func("/qtest/isa/serial", test_serial);
    g_test_add_func("/qtest/isa/debug-exit", test_debug_exit);
    g_test_add_func("/qtest/isa/pc-testdev", test_pc_testdev);
    return g_test_run();
}
