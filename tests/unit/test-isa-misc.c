/*
 * The small ISA devices: the 8237 register file (flip-flop, mask, mode,
 * master clear, page registers incl. the POST port), isa-debugcon and
 * isa-debug-exit (exit status (v << 1) | 1, as QEMU).
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "chardev/chardev.h"
#include "tests/unit/isa-test-util.h"

static void test_dma(void)
{
    outb_(0x0d, 0);                     /* master clear: all channels masked */
    g_assert_cmpint(inb_(0x0f) & 0x0f, ==, 0x0f);
    outb_(0x0c, 0);                     /* clear flip-flop */
    outb_(0x04, 0x34);                  /* ch2 address low, high */
    outb_(0x04, 0x12);
    outb_(0x05, 0xff);                  /* ch2 count */
    outb_(0x05, 0x01);
    outb_(0x0c, 0);
    g_assert_cmpint(inb_(0x04), ==, 0x34);
    g_assert_cmpint(inb_(0x04), ==, 0x12);
    uint8_t lo = inb_(0x05);            /* low byte first (flip-flop) */
    uint8_t hi = inb_(0x05);
    g_assert_cmpint(lo | (hi << 8), ==, 0x01ff);
    outb_(0x0a, 0x02);                  /* unmask ch2 */
    g_assert_cmpint(inb_(0x0f) & 0x0f, ==, 0x0b);
    outb_(0x0b, 0x46);                  /* mode: single, write, ch2 */
    outb_(0x0e, 0);                     /* clear all masks */
    g_assert_cmpint(inb_(0x0f) & 0x0f, ==, 0);
    /* second controller: word-spaced ports */
    outb_(0xda, 0);
    g_assert_cmpint(inb_(0xde) & 0x0f, ==, 0x0f);
    outb_(0xd6, 0xc0);                  /* cascade mode on ch4 (SeaBIOS) */
    outb_(0xd4, 0x00);
    g_assert_cmpint(inb_(0xde) & 0x0f, ==, 0x0e);
    /* page registers, and 0x80 (POST codes) is just one of them */
    outb_(0x81, 0x0a);
    g_assert_cmpint(inb_(0x81), ==, 0x0a);
    outb_(0x80, 0x55);
    g_assert_cmpint(inb_(0x80), ==, 0x55);
}

static void test_debugcon(void)
{
    char *path = NULL;
    int fd = g_file_open_tmp("vireo-debugcon-XXXXXX", &path, NULL);
    g_assert_cmpint(fd, >=, 0);
    close(fd);
    GError *err = NULL;
    g_autofree char *opts = g_strdup_printf("file,id=dbg,path=%s", path);
    g_assert_nonnull(chardev_new_from_opts(opts, &err));
    device_create("isa-debugcon", "iobase=0x402,chardev=dbg");
    g_assert_cmpint(inb_(0x402), ==, 0xe9);     /* SeaBIOS's presence check */
    for (const char *p = "SeaBIOS\n"; *p; p++) {
        outb_(0x402, *p);
    }
    g_autofree char *got = NULL;
    g_assert_true(g_file_get_contents(path, &got, NULL, NULL));
    g_assert_cmpstr(got, ==, "SeaBIOS\n");
    g_unlink(path);
    g_free(path);

    /* no chardev: a clear realize error */
    Device *d = device_new("isa-debugcon", &err);
    g_assert_false(device_realize(d, &err));
    g_assert_nonnull(err);
    g_clear_error(&err);
    device_free_unrealized(d);
}

static void test_debug_exit(void)
{
    device_create("isa-debug-exit", "iobase=0xf4,iosize=4");
    for (int v = 0; v < 3; v++) {
        pid_t pid = fork();
        if (pid == 0) {
            outb_(0xf4, v);
            _exit(100);                 /* not reached */
        }
        int status = 0;
        g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
        g_assert_true(WIFEXITED(status));
        g_assert_cmpint(WEXITSTATUS(status), ==, (v << 1) | 1);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    isa_test_init();
    device_create("i8257", "");
    g_test_add_func("/isa/dma", test_dma);
    g_test_add_func("/isa/debugcon", test_debugcon);
    g_test_add_func("/isa/debug_exit", test_debug_exit);
    return g_test_run();
}
