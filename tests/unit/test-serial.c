/*
 * 16550A UART: register file and DLAB, transmit to the chardev, THRE
 * interrupt rules, loopback (data and modem lines), FIFO trigger levels,
 * character timeout, overrun, the IIR priority order, and the OUT2 gate of
 * the PC's IRQ line (NS PC16550D datasheet).
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "chardev/chardev.h"
#include "hw/char/serial.h"
#include "tests/unit/isa-test-util.h"

#define COM1 0x3f8
enum { RBR = 0, IER = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

static Device *com1;
static char *tx_path;

static uint8_t rd(int reg) { return inb_(COM1 + reg); }
static void wr(int reg, uint8_t v) { outb_(COM1 + reg, v); }

static void uart_defaults(void)
{
    com1->cls->reset(com1);
    wr(LCR, 0x80);
    wr(0, 1);                           /* 115200 baud */
    wr(1, 0);
    wr(LCR, 0x03);                      /* 8N1 */
}

static void drain_rx(void)
{
    while (rd(LSR) & 0x01) {
        rd(RBR);
    }
}

static void test_reset_values(void)
{
    com1->cls->reset(com1);
    g_assert_cmpint(rd(IER), ==, 0);
    g_assert_cmpint(rd(IIR), ==, 0x01);
    g_assert_cmpint(rd(LCR), ==, 0);
    g_assert_cmpint(rd(MCR), ==, 0);
    g_assert_cmpint(rd(LSR), ==, 0x60);
    g_assert_cmpint(isa_irq_level[4], ==, 0);
}

static void test_dlab_and_scratch(void)
{
    uart_defaults();
    wr(LCR, 0x83);
    wr(0, 0x34);
    wr(1, 0x12);
    g_assert_cmpint(rd(0), ==, 0x34);
    g_assert_cmpint(rd(1), ==, 0x12);
    wr(LCR, 0x03);
    g_assert_cmpint(rd(IER), ==, 0);    /* IER untouched by divisor writes */
    wr(IER, 0xff);
    g_assert_cmpint(rd(IER), ==, 0x0f); /* upper IER bits are 0 on a 16550A */
    wr(IER, 0);
    wr(LCR, 0x83);
    g_assert_cmpint(rd(0) | (rd(1) << 8), ==, 0x1234);
    wr(LCR, 0x03);
    wr(SCR, 0xa5);
    g_assert_cmpint(rd(SCR), ==, 0xa5);
}

static void test_transmit(void)
{
    uart_defaults();
    const char *msg = "Hello, COM1\n";
    for (const char *p = msg; *p; p++) {
        g_assert_cmpint(rd(LSR) & 0x60, ==, 0x60);
        wr(0, *p);
    }
    char *got = NULL;
    gsize len = 0;
    g_assert_true(g_file_get_contents(tx_path, &got, &len, NULL));
    g_assert_cmpstr(got, ==, msg);
    g_free(got);
}

static void test_thre_interrupt(void)
{
    uart_defaults();
    wr(MCR, 0x08);                      /* OUT2: IRQ gate open */
    g_assert_cmpint(isa_irq_level[4], ==, 0);
    wr(IER, 0x02);                      /* THR already empty: interrupt at once */
    g_assert_cmpint(isa_irq_level[4], ==, 1);
    g_assert_cmpint(rd(IIR), ==, 0x02);
    /* reading IIR with THRE as the source clears it */
    g_assert_cmpint(rd(IIR), ==, 0x01);
    g_assert_cmpint(isa_irq_level[4], ==, 0);
    wr(0, 'x');                         /* THR empties again: new THRE interrupt */
    g_assert_cmpint(isa_irq_level[4], ==, 1);
    /* OUT2 gates the line on a PC */
    wr(MCR, 0x00);
    g_assert_cmpint(isa_irq_level[4], ==, 0);
    g_assert_cmpint(rd(IIR), ==, 0x02);
    /* the Linux THRE re-trigger probe: IER off and on raises it again */
    wr(MCR, 0x08);
    wr(IER, 0x00);
    g_assert_cmpint(isa_irq_level[4], ==, 0);
    wr(IER, 0x02);
    g_assert_cmpint(rd(IIR), ==, 0x02);
    wr(IER, 0);
    wr(MCR, 0);
}

static void test_loopback(void)
{
    uart_defaults();
    g_autofree char *before = NULL;
    gsize before_len = 0;
    g_file_get_contents(tx_path, &before, &before_len, NULL);

    wr(MCR, 0x10);                      /* loopback, all modem outputs off */
    rd(MSR);
    g_assert_cmpint(rd(MSR) & 0xf0, ==, 0x00);
    wr(MCR, 0x1f);                      /* DTR RTS OUT1 OUT2 -> DSR CTS RI DCD */
    g_assert_cmpint(rd(MSR), ==, 0xf0 | 0x0b);     /* deltas for CTS DSR DCD */
    g_assert_cmpint(rd(MSR), ==, 0xf0);
    wr(MCR, 0x1b);                      /* OUT1 off: RI trailing edge */
    g_assert_cmpint(rd(MSR), ==, 0xb0 | 0x04);

    wr(0, 0x55);
    g_assert_cmpint(rd(LSR) & 0x61, ==, 0x61);
    g_assert_cmpint(rd(RBR), ==, 0x55);
    g_assert_cmpint(rd(LSR) & 0x01, ==, 0);
    /* interrupts work inside the UART, but the PC's IRQ line is gated */
    wr(IER, 0x01);
    wr(0, 0xaa);
    g_assert_cmpint(rd(IIR), ==, 0x04);
    g_assert_cmpint(isa_irq_level[4], ==, 0);
    g_assert_cmpint(rd(RBR), ==, 0xaa);
    g_assert_cmpint(rd(IIR) & 0x0f, ==, 0x01);
    wr(IER, 0);
    wr(MCR, 0);

    /* nothing looped back reached the chardev */
    g_autofree char *after = NULL;
    gsize after_len = 0;
    g_file_get_contents(tx_path, &after, &after_len, NULL);
    g_assert_cmpint(after_len, ==, before_len);
}

static void test_fifo_trigger_and_timeout(void)
{
    static const struct { uint8_t fcr; int level; } trig[] = {
        { 0x01, 1 }, { 0x41, 4 }, { 0x81, 8 }, { 0xc1, 14 },
    };
    for (unsigned t = 0; t < G_N_ELEMENTS(trig); t++) {
        uart_defaults();
        wr(FCR, trig[t].fcr | 0x06);
        g_assert_cmpint(rd(IIR), ==, 0xc1);         /* FIFOs enabled */
        wr(MCR, 0x10);
        wr(IER, 0x01);
        for (int i = 0; i < trig[t].level - 1; i++) {
            wr(0, i);
            g_assert_cmpint(rd(IIR), ==, 0xc1);
        }
        wr(0, 0x77);
        g_assert_cmpint(rd(IIR), ==, 0xc4);         /* trigger level reached */
        rd(RBR);
        if (trig[t].level > 1) {
            /* below the trigger now: the character timeout fires after 4 chars */
            g_assert_cmpint(rd(IIR), ==, 0xc1);
            clock_virtual_step(100 * 1000);
            g_assert_cmpint(rd(IIR), ==, 0xc1);
            clock_virtual_step(400 * 1000);
            g_assert_cmpint(rd(IIR), ==, 0xcc);
            rd(RBR);                                /* a read resets the timeout */
            if (trig[t].level > 2) {
                g_assert_cmpint(rd(IIR), ==, 0xc1);
            }
        }
        drain_rx();
        g_assert_cmpint(rd(IIR), ==, 0xc1);
        wr(IER, 0);
        wr(MCR, 0);
    }
}

static void test_fifo_order_and_overrun(void)
{
    uart_defaults();
    wr(FCR, 0x07);
    wr(MCR, 0x10);
    for (int i = 0; i < 17; i++) {
        wr(0, 0x30 + i);
    }
    uint8_t lsr = rd(LSR);
    g_assert_cmpint(lsr & 0x03, ==, 0x03);          /* DR + OE */
    g_assert_cmpint(rd(LSR) & 0x02, ==, 0);         /* OE cleared by the read */
    for (int i = 0; i < 16; i++) {
        g_assert_cmpint(rd(RBR), ==, 0x30 + i);     /* FIFO kept, 17th lost */
    }
    g_assert_cmpint(rd(LSR) & 0x01, ==, 0);
    /* FCR bit 1 clears the receive FIFO */
    wr(0, 1);
    wr(0, 2);
    wr(FCR, 0x03);
    g_assert_cmpint(rd(LSR) & 0x01, ==, 0);
    /* 16450 mode: one holding register, a new byte overwrites it */
    wr(FCR, 0x00);
    g_assert_cmpint(rd(IIR), ==, 0x01);
    wr(0, 'a');
    wr(0, 'b');
    g_assert_cmpint(rd(LSR) & 0x03, ==, 0x03);
    g_assert_cmpint(rd(RBR), ==, 'b');
    wr(MCR, 0);
}

static void test_priorities(void)
{
    uart_defaults();
    wr(MCR, 0x10);
    rd(MSR);                            /* entering loopback changed the modem inputs */
    wr(IER, 0x0f);
    wr(0, 'a');
    wr(0, 'b');                         /* overrun in 16450 mode */
    /* line status > received data > THRE > modem status */
    g_assert_cmpint(rd(IIR), ==, 0x06);
    rd(LSR);
    g_assert_cmpint(rd(IIR), ==, 0x04);
    rd(RBR);
    g_assert_cmpint(rd(IIR), ==, 0x02);
    g_assert_cmpint(rd(IIR), ==, 0x01);
    wr(MCR, 0x12);                      /* loopback RTS -> CTS change */
    g_assert_cmpint(rd(IIR), ==, 0x00);
    g_assert_cmpint(rd(MSR) & 0x11, ==, 0x11);
    g_assert_cmpint(rd(IIR), ==, 0x01);
    wr(IER, 0);
    wr(MCR, 0);
}

static void test_irq_line(void)
{
    uart_defaults();
    wr(FCR, 0x01);
    wr(IER, 0x01);
    wr(MCR, 0x10);
    wr(0, 'z');
    g_assert_cmpint(isa_irq_level[4], ==, 0);       /* gated in loopback */
    wr(MCR, 0x08);                                  /* leave loopback, OUT2 on */
    g_assert_cmpint(isa_irq_level[4], ==, 1);
    g_assert_cmpint(rd(RBR), ==, 'z');
    g_assert_cmpint(isa_irq_level[4], ==, 0);
    wr(IER, 0);
    wr(MCR, 0);
}

static void test_com2(void)
{
    Device *com2 = device_create("isa-serial", "index=1");
    (void)com2;
    outb_(0x2f8 + MCR, 0x08);
    outb_(0x2f8 + IER, 0x02);
    g_assert_cmpint(isa_irq_level[3], ==, 1);
    g_assert_cmpint(inb_(0x2f8 + IIR), ==, 0x02);
    g_assert_cmpint(isa_irq_level[3], ==, 0);
    outb_(0x2f8 + IER, 0);
    /* a bad index is a realize error, not a crash */
    GError *err = NULL;
    Device *bad = device_new("isa-serial", &err);
    g_assert_nonnull(bad);
    g_assert_true(device_set_prop(bad, "index", "7", &err));
    g_assert_false(device_realize(bad, &err));
    g_assert_nonnull(err);
    g_error_free(err);
    device_free_unrealized(bad);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    isa_test_init();
    int fd = g_file_open_tmp("vireo-serial-XXXXXX", &tx_path, NULL);
    g_assert_cmpint(fd, >=, 0);
    close(fd);
    GError *err = NULL;
    g_autofree char *opts = g_strdup_printf("file,id=ser0,path=%s", tx_path);
    g_assert_nonnull(chardev_new_from_opts(opts, &err));
    com1 = device_create("isa-serial", "index=0,chardev=ser0");
    g_test_add_func("/serial/reset_values", test_reset_values);
    g_test_add_func("/serial/dlab_and_scratch", test_dlab_and_scratch);
    g_test_add_func("/serial/transmit", test_transmit);
    g_test_add_func("/serial/thre_interrupt", test_thre_interrupt);
    g_test_add_func("/serial/loopback", test_loopback);
    g_test_add_func("/serial/fifo_trigger_and_timeout", test_fifo_trigger_and_timeout);
    g_test_add_func("/serial/fifo_order_and_overrun", test_fifo_order_and_overrun);
    g_test_add_func("/serial/priorities", test_priorities);
    g_test_add_func("/serial/irq_line", test_irq_line);
    g_test_add_func("/serial/com2", test_com2);
    int ret = g_test_run();
    g_unlink(tx_path);
    return ret;
}
