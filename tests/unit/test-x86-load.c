/*
 * Linux bzImage setup-header handling of -kernel (hw/i386/x86-load.c):
 * placement and the fields a boot loader fills, per the kernel's
 * Documentation/x86/boot.rst, on a synthetic header.
 */
#include <glib.h>
#include <string.h>

#include "hw/i386/x86-load.h"

#define MiB (1024 * 1024)

static uint32_t rd32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint16_t rd16(const uint8_t *p) { return p[0] | p[1] << 8; }

/* A 2.15 bzImage: 30 setup sectors, LOADED_HIGH, 2047-byte cmdline. */
static uint8_t *make_kernel(size_t len, uint16_t version)
{
    uint8_t *k = g_malloc0(len);
    k[0x1f1] = 30;
    k[0x1fe] = 0x55; k[0x1ff] = 0xaa;
    memcpy(k + 0x202, "HdrS", 4);
    k[0x206] = version; k[0x207] = version >> 8;
    k[0x211] = 0x01;                                  /* LOADED_HIGH */
    k[0x22c] = 0xff; k[0x22d] = 0xff; k[0x22e] = 0xff; k[0x22f] = 0x7f;  /* initrd_addr_max */
    k[0x232] = 0x20;                                  /* kernel_alignment 2 MiB */
    k[0x238] = 0xff; k[0x239] = 0x07;                 /* cmdline_size 2047 */
    return k;
}

static void test_modern(void)
{
    size_t len = 4 * MiB;
    uint8_t *k = make_kernel(len, 0x20f);
    X86LinuxImage li;
    char *err = NULL;
    g_assert_true(x86_linux_prepare(k, len, 100, 1 * MiB, 128 * MiB, &li, &err));
    g_assert_cmphex(li.setup_addr, ==, 0x10000);
    g_assert_cmpuint(li.setup_size, ==, 31 * 512);
    g_assert_cmphex(li.cmdline_addr, ==, 0x20000);
    g_assert_cmphex(li.prot_addr, ==, 0x100000);
    g_assert_cmpuint(li.prot_size, ==, len - 31 * 512);
    /* initrd: page aligned, ends below top of RAM minus SeaBIOS's reserve */
    g_assert_cmphex(li.initrd_addr & 0xfff, ==, 0);
    g_assert_cmpuint(li.initrd_addr + 1 * MiB, <=, 128 * MiB - X86_LOAD_TOP_RESERVE);
    g_assert_cmpuint(li.initrd_addr, >=, 0x100000 + li.prot_size);
    const uint8_t *s = li.setup;
    g_assert_cmphex(s[0x210], ==, 0xff);                      /* type_of_loader */
    g_assert_cmphex(s[0x211], ==, 0x81);                      /* + CAN_USE_HEAP */
    g_assert_cmphex(rd16(s + 0x224), ==, 0x20000 - 0x10000 - 0x200);  /* heap_end_ptr */
    g_assert_cmphex(rd32(s + 0x228), ==, 0x20000);            /* cmd_line_ptr */
    g_assert_cmphex(rd32(s + 0x218), ==, li.initrd_addr);     /* ramdisk_image */
    g_assert_cmphex(rd32(s + 0x21c), ==, 1 * MiB);            /* ramdisk_size */
    g_assert_cmphex(rd16(s + 0x1fa), ==, 0xffff);             /* vid_mode normal */
    g_free(li.setup);

    /* initrd_addr_max is honoured when RAM reaches above it */
    k[0x22f] = 0x03;                                          /* 0x03ffffff */
    g_assert_true(x86_linux_prepare(k, len, 0, 1 * MiB, 1024ULL * MiB, &li, &err));
    g_assert_cmphex(li.initrd_addr, ==, 0x4000000 - 1 * MiB);
    g_free(li.setup);
    g_free(k);
}

static void test_old_protocol(void)
{
    size_t len = 1 * MiB;
    uint8_t *k = make_kernel(len, 0x201);
    X86LinuxImage li;
    char *err = NULL;
    /* 2.01: real-mode part at 0x90000, command line through the old magic */
    g_assert_true(x86_linux_prepare(k, len, 200, 0, 64 * MiB, &li, &err));
    g_assert_cmphex(li.setup_addr, ==, 0x90000);
    g_assert_cmphex(li.cmdline_addr, ==, 0x9a000);
    g_assert_cmphex(rd16(li.setup + 0x20), ==, 0xa33f);
    g_assert_cmphex(rd16(li.setup + 0x22), ==, 0xa000);
    g_assert_cmphex(li.initrd_addr, ==, 0);
    g_free(li.setup);
    /* before 2.06 the command line is limited to 255 bytes */
    g_assert_false(x86_linux_prepare(k, len, 256, 0, 64 * MiB, &li, &err));
    g_assert_nonnull(strstr(err, "command line"));
    g_free(err);
    g_free(k);
}

static void test_errors(void)
{
    size_t len = 1 * MiB;
    uint8_t *k = make_kernel(len, 0x20f);
    X86LinuxImage li;
    char *err = NULL;

    g_assert_false(x86_linux_prepare(k, len, 2048, 0, 64 * MiB, &li, &err));   /* > cmdline_size */
    g_clear_pointer(&err, g_free);
    g_assert_false(x86_linux_prepare(k, len, 0, 62 * MiB, 64 * MiB, &li, &err)); /* initrd too big */
    g_clear_pointer(&err, g_free);
    g_assert_false(x86_linux_prepare(k, len, 0, 0, 1 * MiB, &li, &err));        /* kernel > RAM */
    g_clear_pointer(&err, g_free);
    g_assert_false(x86_linux_prepare(k, 0x400, 0, 0, 64 * MiB, &li, &err));     /* setup past EOF */
    g_clear_pointer(&err, g_free);
    k[0x232] = 0x30;                                                            /* alignment 3 MiB */
    g_assert_false(x86_linux_prepare(k, len, 0, 0, 64 * MiB, &li, &err));
    g_clear_pointer(&err, g_free);
    k[0x232] = 0x20;
    k[0x211] = 0;                                                               /* zImage */
    g_assert_false(x86_linux_prepare(k, len, 0, 0, 64 * MiB, &li, &err));
    g_clear_pointer(&err, g_free);
    k[0x211] = 1;
    k[0x1fe] = 0;                                                               /* boot_flag */
    g_assert_false(x86_linux_prepare(k, len, 0, 0, 64 * MiB, &li, &err));
    g_clear_pointer(&err, g_free);
    k[0x1fe] = 0x55;
    k[0x202] = 'X';                                                             /* no HdrS */
    g_assert_false(x86_linux_prepare(k, len, 0, 0, 64 * MiB, &li, &err));
    g_clear_pointer(&err, g_free);
    g_free(k);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/x86-load/linux/modern", test_modern);
    g_test_add_func("/x86-load/linux/old-protocol", test_old_protocol);
    g_test_add_func("/x86-load/linux/errors", test_errors);
    return g_test_run();
}
