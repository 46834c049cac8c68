/*
 * 8259A pair: init sequence, priority resolution, EOI flavours, rotation,
 * masks, special mask mode, poll, AEOI, edge vs level (ELCR), cascade and
 * the spurious IRQ7/IRQ15 vectors (Intel 8259A datasheet).
 */
#include <glib.h>

#include "hw/intc/i8259.h"
#include "tests/unit/isa-test-util.h"

static Device *pic;
static int intr;

static void intr_handler(void *opaque, int n, int level)
{
    intr = level;
}

static void set_irq(int n, int level)
{
    irq_set(device_get_gpio_in(pic, n), level);
}

static void pic_init_std(uint8_t icw4)
{
    outb_(0x20, 0x11); outb_(0x21, 0x08); outb_(0x21, 0x04); outb_(0x21, icw4);
    outb_(0xa0, 0x11); outb_(0xa1, 0x70); outb_(0xa1, 0x02); outb_(0xa1, icw4);
    outb_(0x21, 0x00);
    outb_(0xa1, 0x00);
    i8259_set_elcr(pic, 0);
    for (int i = 0; i < 16; i++) {
        set_irq(i, 0);
    }
}

static uint8_t read_isr(uint16_t base)
{
    outb_(base, 0x0b);
    uint8_t v = inb_(base);
    outb_(base, 0x0a);
    return v;
}

static uint8_t read_irr(uint16_t base)
{
    outb_(base, 0x0a);
    return inb_(base);
}

static void test_init_and_single(void)
{
    pic_init_std(0x01);
    g_assert_cmpint(inb_(0x21), ==, 0);
    outb_(0x21, 0xa5);
    g_assert_cmpint(inb_(0x21), ==, 0xa5);      /* OCW1 reads back as IMR */
    outb_(0x21, 0);
    g_assert_cmpint(intr, ==, 0);
    set_irq(3, 1);
    g_assert_cmpint(intr, ==, 1);
    g_assert_cmpint(read_irr(0x20), ==, 0x08);
    g_assert_cmpint(i8259_read_irq(pic), ==, 0x0b);
    g_assert_cmpint(intr, ==, 0);
    g_assert_cmpint(read_isr(0x20), ==, 0x08);
    g_assert_cmpint(read_irr(0x20), ==, 0x00);  /* edge latch cleared by INTA */
    outb_(0x20, 0x20);                           /* non-specific EOI */
    g_assert_cmpint(read_isr(0x20), ==, 0);
    /* an edge input held high does not request again */
    g_assert_cmpint(intr, ==, 0);
    set_irq(3, 0);
}

static void test_priority_nesting(void)
{
    pic_init_std(0x01);
    set_irq(5, 1);
    set_irq(1, 1);
    g_assert_cmpint(i8259_read_irq(pic), ==, 0x09);   /* IRQ1 beats IRQ5 */
    g_assert_cmpint(intr, ==, 0);                     /* 5 blocked by 1 in service */
    set_irq(0, 1);
    g_assert_cmpint(intr, ==, 1);                     /* 0 nests over 1 */
    g_assert_cmpint(i8259_read_irq(pic), ==, 0x08);
    g_assert_cmpint(read_isr(0x20), ==, 0x03);
    outb_(0x20, 0x20);                                /* clears the highest: IRQ0 */
    g_assert_cmpint(read_isr(0x20), ==, 0x02);
    g_assert_cmpint(intr, ==, 0);
    outb_(0x20, 0x20);
    g_assert_cmpint(intr, ==, 1);
    g_assert_cmpint(i8259_read_irq(pic), ==, 0x0d);
    outb_(0x20, 0x65);                                /* specific EOI IRQ5 */
    g_assert_cmpint(read_isr(0x20), ==, 0);
}

static void test_mask(void)
{
    pic_init_std(0x01);
    outb_(0x21, 0x10);
    set_irq(4, 1);
    g_assert_cmpint(intr, ==, 0);
    g_assert_cmpint(read_irr(0x20), ==, 0x10);   /* IRR latches masked requests */
    outb_(0x21, 0x00);
    g_assert_cmpint(intr, ==, 1);
    g_assert_cmpint(i8259_read_irq(pic), ==, 0x0c);
    outb_(0x20, 0x20);
}

static void test_cascade(void)
{
    pic_init_std(0x01);
    set_irq(10, 1);
    g_assert_cmpint(intr, ==, 1);
    g_assert_cmpint(i8259_read_irq(pic), ==, 0x72);
    g_assert_cmpint(read_isr(0x20), ==, 0x04);
    g_assert_cmpint(read_isr(0xa0), ==, 0x04);
    /* higher slave IRQ is blocked while cascade is in service (not SFNM) */
    set_irq(8, 1);
    g_assert_cmpint(intr, ==, 0);
    outb_(0xa0, 0x20);
    outb_(0x20, 0x20);
    g_assert_cmpint(intr, ==, 1);
    g_assert_cmpint(i8259_read_irq(pic), ==, 0x70);
    outb_(0xa0, 0x20);
    outb_(0x20, 0x20);
    g_assert_cmpint(intr, ==, 0);
}

static void test_sfnm(void)
{
    pic_init_std(0x01);
    outb_(0x20, 0x11); outb_(0x21, 0x08); outb_(0x21, 0x04); outb_(0x21, 0x11);
    outb_(0x21, 0x00);
    set_irq(10, 1);
    g_assert_cmpint(i8259_read_irq(pic), ==, 0x72);
    set_irq(8, 1);                      /* fully nested: slave's higher IRQ passes */
    g_assert_cmpint(intr, ==, 1);
    g_assert_cmpint(i8259_read_irq(pic), ==, 0x70);
    pic_init_std(0x01);
}

static void test_spurious(void)
{
    pic_init_std(0x01);
    g_assert_cmpint(i8259_read_irq(pic), ==, 0x0f);   /* nothing pending: IRQ7 */
    g_assert_cmpint(read_isr(0x20), ==, 0);           /* and no ISR bit */

    /* a level request that goes away before INTA */
    i8259_set_elcr(pic, 1 << 5);
    set_irq(5, 1);
    g_assert_cmpint(intr, ==, 1);
    set_irq(5, 0);
    g_assert_cmpint(intr, ==, 0);
    g_assert_cmpint(i8259_read_irq(pic), ==, 0x0f);
    g_assert_cmpint(read_isr(0x20), ==, 0);

    /* same on the slave: master acknowledges IR2, slave gives IRQ15 */
    i8259_set_elcr(pic, 1 << 10);
    set_irq(10, 1);
    set_irq(10, 0);
    g_assert_cmpint(i8259_read_irq(pic), ==, 0x77);
    g_assert_cmpint(read_isr(0xa0), ==, 0);
    g_assert_cmpint(read_isr(0x20), ==, 0x04);
    outb_(0x20, 0x20);
}

static void test_level(void)
{
    pic_init_std(0x01);
    i8259_set_elcr(pic, (1 << 11) | (1 << 0));
    /* IRQ0 can never be level on the PIIX: ELCR bit 0 is forced to 0 */
    set_irq(0, 1);
    g_assert_cmpint(i8259_read_irq(pic), ==, 0x08);
    outb_(0x20, 0x20);
    g_assert_cmpint(intr, ==, 0);
    set_irq(0, 0);

    set_irq(11, 1);
    g_assert_cmpint(i8259_read_irq(pic), ==, 0x73);
    outb_(0xa0, 0x20);
    outb_(0x20, 0x20);
    g_assert_cmpint(intr, ==, 1);                /* still asserted: requests again */
    g_assert_cmpint(i8259_read_irq(pic), ==, 0x73);
    set_irq(11, 0);
    outb_(0xa0, 0x20);
    outb_(0x20, 0x20);
    g_assert_cmpint(intr, ==, 0);

    /* ICW1 LTIM makes every input of that chip level-sensitive */
    outb_(0x20, 0x19); outb_(0x21, 0x08); outb_(0x21, 0x04); outb_(0x21, 0x01);
    outb_(0x21, 0x00);
    set_irq(6, 1);
    g_assert_cmpint(i8259_read_irq(pic), ==, 0x0e);
    outb_(0x20, 0x20);
    g_assert_cmpint(intr, ==, 1);
    set_irq(6, 0);
    g_assert_cmpint(intr, ==, 0);
}

static void test_aeoi(void)
{
    pic_init_std(0x03);
    set_irq(4, 1);
    g_assert_cmpint(i8259_read_irq(pic), ==, 0x0c);
    g_assert_cmpint(read_isr(0x20), ==, 0);
    set_irq(5, 1);                         /* not blocked: nothing in service */
    g_assert_cmpint(intr, ==, 1);
    g_assert_cmpint(i8259_read_irq(pic), ==, 0x0d);
    set_irq(4, 0);
    set_irq(5, 0);
}

static void test_rotation(void)
{
    pic_init_std(0x01);
    outb_(0x20, 0xc3);                     /* set priority: IRQ3 lowest, IRQ4 highest */
    set_irq(1, 1);
    set_irq(5, 1);
    g_assert_cmpint(i8259_read_irq(pic), ==, 0x0d);
    outb_(0x20, 0xa0);                     /* rotate on non-specific EOI: 5 lowest */
    g_assert_cmpint(read_isr(0x20), ==, 0);
    g_assert_cmpint(i8259_read_irq(pic), ==, 0x09);
    outb_(0x20, 0xe1);                     /* rotate on specific EOI 1: 2 highest */
    g_assert_cmpint(read_isr(0x20), ==, 0);
    set_irq(1, 0);
    set_irq(5, 0);
    set_irq(7, 1);
    set_irq(3, 1);
    g_assert_cmpint(i8259_read_irq(pic), ==, 0x0b);   /* 3 before 7 after 2 */
    outb_(0x20, 0x20);
    g_assert_cmpint(i8259_read_irq(pic), ==, 0x0f);
    g_assert_cmpint(read_isr(0x20), ==, 0x80);        /* real IRQ7: ISR set */
    outb_(0x20, 0x20);
    set_irq(7, 0);
    set_irq(3, 0);
}

static void test_poll(void)
{
    pic_init_std(0x01);
    outb_(0x21, 0xff);                     /* polling works with the CPU side masked */
    outb_(0x21, 0x00);
    set_irq(6, 1);
    outb_(0x20, 0x0c);                     /* OCW3 poll */
    g_assert_cmpint(inb_(0x20), ==, 0x86);
    g_assert_cmpint(read_isr(0x20), ==, 0x40);
    outb_(0x20, 0x0c);
    g_assert_cmpint(inb_(0x20), ==, 0x00);  /* nothing else pending */
    outb_(0x20, 0x20);
    set_irq(6, 0);
}

static void test_special_mask(void)
{
    pic_init_std(0x01);
    set_irq(1, 1);
    g_assert_cmpint(i8259_read_irq(pic), ==, 0x09);
    set_irq(5, 1);
    g_assert_cmpint(intr, ==, 0);
    outb_(0x21, 0x02);                     /* mask the in-service level */
    outb_(0x20, 0x68);                     /* enter special mask mode */
    g_assert_cmpint(intr, ==, 1);          /* lower priority enabled */
    g_assert_cmpint(i8259_read_irq(pic), ==, 0x0d);
    outb_(0x20, 0x65);
    outb_(0x20, 0x48);                     /* leave special mask mode */
    outb_(0x21, 0x00);
    outb_(0x20, 0x61);
    g_assert_cmpint(read_isr(0x20), ==, 0);
    set_irq(1, 0);
    set_irq(5, 0);
}

static void test_reinit_clears(void)
{
    pic_init_std(0x01);
    outb_(0x21, 0x55);
    set_irq(3, 1);
    g_assert_cmpint(i8259_read_irq(pic), ==, 0x0b);
    /* ICW1 clears IMR and ISR */
    pic_init_std(0x01);
    outb_(0x20, 0x11);
    g_assert_cmpint(inb_(0x21), ==, 0);
    outb_(0x21, 0x20); outb_(0x21, 0x04); outb_(0x21, 0x01);
    g_assert_cmpint(read_isr(0x20), ==, 0);
    set_irq(3, 0);
    set_irq(3, 1);
    g_assert_cmpint(i8259_read_irq(pic), ==, 0x23);   /* new vector base */
    outb_(0x20, 0x20);
    set_irq(3, 0);

    /* ICW1 resets edge sensing: a line held high needs a new rising edge,
     * and re-announcing the same level is not one */
    set_irq(4, 1);
    outb_(0x20, 0x11); outb_(0x21, 0x08); outb_(0x21, 0x04); outb_(0x21, 0x01);
    outb_(0x21, 0x00);
    g_assert_cmpint(intr, ==, 0);
    set_irq(4, 1);
    g_assert_cmpint(intr, ==, 0);
    set_irq(4, 0);
    set_irq(4, 1);
    g_assert_cmpint(intr, ==, 1);
    g_assert_cmpint(i8259_read_irq(pic), ==, 0x0c);
    outb_(0x20, 0x20);
    set_irq(4, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    isa_test_init();
    pic = device_create("i8259", "");
    device_connect_gpio_out(pic, 0, irq_new(intr_handler, NULL, 0));
    g_test_add_func("/pic/init_and_single", test_init_and_single);
    g_test_add_func("/pic/priority_nesting", test_priority_nesting);
    g_test_add_func("/pic/mask", test_mask);
    g_test_add_func("/pic/cascade", test_cascade);
    g_test_add_func("/pic/sfnm", test_sfnm);
    g_test_add_func("/pic/spurious", test_spurious);
    g_test_add_func("/pic/level", test_level);
    g_test_add_func("/pic/aeoi", test_aeoi);
    g_test_add_func("/pic/rotation", test_rotation);
    g_test_add_func("/pic/poll", test_poll);
    g_test_add_func("/pic/special_mask", test_special_mask);
    g_test_add_func("/pic/reinit_clears", test_reinit_clears);
    return g_test_run();
}
