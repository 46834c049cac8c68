/*
 * The qtest protocol itself, as QEMU's libqtest parses it: reply formats
 * for port and memory access, hex and base64 transfers, memset, the manual
 * virtual clock, errors for bad commands, and SIGTERM ending Vireo with 0.
 */
#include <string.h>

#include "tests/qtest/libqtest.h"

static void test_formats(void)
{
    QTestState *s = qtest_start(NULL);
    g_autofree char *r1 = qtest_cmd(s, "outb 0x70 0x0a");
    g_assert_cmpstr(r1, ==, "OK");
    /* in* replies are "OK 0x%04x", read* replies "OK 0x%016x" */
    g_autofree char *r2 = qtest_cmd(s, "inb 0x70");
    g_assert_true(g_str_has_prefix(r2, "OK 0x") && strlen(r2) == strlen("OK 0x0000"));
    g_autofree char *r3 = qtest_cmd(s, "writel 0x1000 0xdeadbeef");
    g_assert_cmpstr(r3, ==, "OK");
    g_autofree char *r4 = qtest_cmd(s, "readl 0x1000");
    g_assert_cmpstr(r4, ==, "OK 0x00000000deadbeef");
    g_autofree char *r5 = qtest_cmd(s, "readb 0x1000");
    g_assert_cmpstr(r5, ==, "OK 0x00000000000000ef");   /* little-endian guest RAM */
    g_autofree char *r6 = qtest_cmd(s, "read 0x1000 4");
    g_assert_cmpstr(r6, ==, "OK 0xefbeadde");
    g_autofree char *r7 = qtest_cmd(s, "b64read 0x1000 4");
    g_assert_cmpstr(r7, ==, "OK 776t3g==");
    qtest_quit(s);
}

static void test_transfers(void)
{
    QTestState *s = qtest_start("-m 64");
    uint8_t pat[300], back[300];
    for (unsigned i = 0; i < sizeof(pat); i++) {
        pat[i] = i * 7 + 3;
    }
    qtest_memwrite(s, 0x200000, pat, sizeof(pat));
    qtest_memread(s, 0x200000, back, sizeof(back));
    g_assert_cmpmem(pat, sizeof(pat), back, sizeof(back));
    /* short hex data is zero-filled at the end */
    qtest_ok(s, "write 0x300000 4 0xaabb");
    g_assert_cmphex(qtest_readl(s, 0x300000), ==, 0xbbaa);
    /* b64write, then memset over the middle */
    qtest_ok(s, "b64write 0x400000 4 AQIDBA==");
    g_assert_cmphex(qtest_readl(s, 0x400000), ==, 0x04030201);
    qtest_ok(s, "memset 0x400001 2 0x77");
    g_assert_cmphex(qtest_readl(s, 0x400000), ==, 0x04777701);
    qtest_ok(s, "memset 0x400000 0 0x11");              /* size 0 does nothing */
    g_assert_cmphex(qtest_readl(s, 0x400000), ==, 0x04777701);
    /* writeq/readq round trip */
    qtest_ok(s, "writeq 0x500000 0x0102030405060708");
    g_assert_cmphex(qtest_readq(s, 0x500000), ==, 0x0102030405060708ull);
    qtest_quit(s);
}

static void test_clock(void)
{
    QTestState *s = qtest_start(NULL);
    /* nothing moves on its own under -accel qtest; a zero step is refused */
    g_autofree char *r0 = qtest_cmd(s, "clock_step 0");
    g_assert_cmpstr(r0, ==, "FAIL could not advance time");
    int64_t t0 = qtest_clock_step(s, 1000);
    g_assert_cmpint(t0, ==, 1000);
    g_assert_cmpint(qtest_clock_step(s, 1000000), ==, 1001000);
    /* step to the next deadline: the PIT/RTC have timers armed */
    int64_t t1 = qtest_clock_step(s, -1);
    g_assert_cmpint(t1, >, 1001000);
    g_assert_cmpint(qtest_clock_set(s, 5000000000LL), ==, 5000000000LL);
    /* the clock never goes back */
    g_autofree char *r = qtest_cmd(s, "clock_set 10");
    g_assert_cmpstr(r, ==, "FAIL 5000000000");
    qtest_quit(s);
}

static void test_errors(void)
{
    QTestState *s = qtest_start(NULL);
    g_autofree char *r1 = qtest_cmd(s, "frobnicate 1 2");
    g_assert_cmpstr(r1, ==, "FAIL Unknown command 'frobnicate'");
    g_autofree char *r2 = qtest_cmd(s, "write 0x1000 4 0");
    g_assert_cmpstr(r2, ==, "ERR invalid argument size");
    g_autofree char *r3 = qtest_cmd(s, "irq_intercept_in /machine/nosuchdevice");
    g_assert_cmpstr(r3, ==, "FAIL Unknown device");
    /* malformed numbers and out-of-range ports fail instead of crashing */
    g_autofree char *r4 = qtest_cmd(s, "outb 0x10000 1");
    g_assert_true(g_str_has_prefix(r4, "FAIL"));
    g_autofree char *r5 = qtest_cmd(s, "readl zzz");
    g_assert_true(g_str_has_prefix(r5, "FAIL"));
    g_autofree char *r6 = qtest_cmd(s, "read 0 0");
    g_assert_true(g_str_has_prefix(r6, "FAIL"));
    g_autofree char *r7 = qtest_cmd(s, "read 0 0x7fffffffffff");
    g_assert_true(g_str_has_prefix(r7, "FAIL"));
    /* and the connection still works */
    g_assert_cmphex(qtest_readl(s, 0x1000), ==, 0);
    qtest_quit(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qtest/protocol/formats", test_formats);
    g_test_add_func("/qtest/protocol/transfers", test_transfers);
    g_test_add_func("/qtest/protocol/clock", test_clock);
    g_test_add_func("/qtest/protocol/errors", test_errors);
    return g_test_run();
}
