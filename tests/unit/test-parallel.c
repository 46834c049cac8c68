/*
 * Parallel port: the data register reads back (how firmware detects the
 * port), an idle printer reports not-busy/selected/no-error, a byte goes
 * out on STROBE's falling edge only, and the acknowledge interrupt
 * follows the control register's IRQ enable.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "chardev/chardev.h"
#include "hw/core/device.h"
#include "tests/unit/isa-test-util.h"

static char *out_path;

static uint8_t inb(uint16_t p) { return address_space_ld(&address_space_io, p, 1); }
static void outb(uint16_t p, uint8_t v) { address_space_st(&address_space_io, p, v, 1); }

static void test_parallel(void)
{
    GError *err = NULL;
    isa_test_init();
    out_path = g_build_filename(g_get_tmp_dir(), "vireo-test-lpt.txt", NULL);
    char *opts = g_strdup_printf("file,id=lpt0,path=%s", out_path);
    g_assert_nonnull(chardev_new_from_opts(opts, &err));
    g_free(opts);
    Device *d = device_create("isa-parallel", "index=0,chardev=lpt0");
    d->cls->reset(d);

    /* detection: what is written to the data register reads back */
    outb(0x378, 0xaa);
    g_assert_cmphex(inb(0x378), ==, 0xaa);
    outb(0x378, 0x55);
    g_assert_cmphex(inb(0x378), ==, 0x55);
    /* an idle, ready printer */
    g_assert_cmphex(inb(0x379) & 0xf8, ==, 0xd8);

    /* 'H' then 'i': latched on STROBE's falling edge, not on the data write */
    isa_test_clear_edges();
    outb(0x37a, 0x0c | 0x10);              /* INIT, SELECT IN, IRQ enable */
    outb(0x378, 'H');
    outb(0x37a, 0x1d);                     /* STROBE high */
    outb(0x37a, 0x1c);                     /* STROBE low: printed, ACK */
    g_assert_cmpint(isa_irq_edges[7], ==, 1);
    outb(0x37a, 0x0c);                     /* IRQ off */
    outb(0x378, 'i');
    outb(0x37a, 0x0d);
    outb(0x37a, 0x0c);
    g_assert_cmpint(isa_irq_edges[7], ==, 1);
    outb(0x37a, 0x0c);                     /* no edge: nothing printed */

    gchar *text = NULL;
    gsize len = 0;
    g_assert_true(g_file_get_contents(out_path, &text, &len, NULL));
    g_assert_cmpuint(len, ==, 2);
    g_assert_cmpint(memcmp(text, "Hi", 2), ==, 0);
    g_free(text);
    g_unlink(out_path);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/parallel/registers-and-strobe", test_parallel);
    return g_test_run();
}
