/*
 * fw_cfg through qtest: signature and ID on the I/O interface, the file
 * directory (big-endian count and entries), RAM size, and the DMA
 * interface reading the signature into guest RAM and flagging errors.
 */
#include <string.h>

#include "tests/qtest/libqtest.h"

static void fw_select(QTestState *s, uint16_t key) { qtest_outw(s, 0x510, key); }

static void fw_read(QTestState *s, void *buf, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        ((uint8_t *)buf)[i] = qtest_inb(s, 0x511);
    }
}

static void test_signature_id(void)
{
    QTestState *s = qtest_start(NULL);
    char sig[5] = { 0 };
    fw_select(s, 0x0000);
    fw_read(s, sig, 4);
    g_assert_cmpstr(sig, ==, "QEMU");
    uint32_t id = 0;
    fw_select(s, 0x0001);
    fw_read(s, &id, 4);
    g_assert_cmphex(id & 3, ==, 3);              /* traditional + DMA */
    /* the DMA signature register reads "QEMU CFG" (big-endian) */
    g_assert_cmphex(qtest_inl(s, 0x514), ==, 0x554d4551u);  /* bytes Q,E,M,U at 0x514.. */
    g_assert_cmphex(qtest_inl(s, 0x518), ==, 0x47464320u);  /* " CFG" */
    qtest_quit(s);
}

static void test_ram_size_and_files(void)
{
    QTestState *s = qtest_start("-m 96");
    uint64_t ram = 0;
    fw_select(s, 0x0003);                        /* FW_CFG_RAM_SIZE, little-endian */
    fw_read(s, &ram, 8);
    g_assert_cmpuint(ram, ==, 96ull << 20);
    uint8_t be[4];
    fw_select(s, 0x0019);                        /* file directory */
    fw_read(s, be, 4);
    uint32_t count = be[0] << 24 | be[1] << 16 | be[2] << 8 | be[3];
    g_assert_cmpuint(count, >=, 2);
    g_assert_cmpuint(count, <, 100);
    bool have_e820 = false, have_bootorder = false;
    for (uint32_t i = 0; i < count; i++) {
        uint8_t ent[64];
        fw_read(s, ent, sizeof(ent));
        char name[57];
        memcpy(name, ent + 8, 56);
        name[56] = 0;
        uint16_t sel = ent[4] << 8 | ent[5];
        g_assert_cmphex(sel, >=, 0x20);          /* files live at FW_CFG_FILE_FIRST.. */
        have_e820 |= !strcmp(name, "etc/e820");
        have_bootorder |= !strcmp(name, "bootorder");
    }
    g_assert_true(have_e820);
    g_assert_true(have_bootorder);
    qtest_quit(s);
}

/* -uuid and -boot reboot-timeout reach the firmware */
static void test_uuid_reboot_timeout(void)
{
    QTestState *s = qtest_start("-uuid 4600cb32-38ec-4b2f-8acb-81c6ea54f2d8 -boot reboot-timeout=15");
    static const uint8_t want[16] = { 0x46, 0x00, 0xcb, 0x32, 0x38, 0xec, 0x4b, 0x2f,
                                      0x8a, 0xcb, 0x81, 0xc6, 0xea, 0x54, 0xf2, 0xd8 };
    uint8_t uuid[16];
    fw_select(s, 0x0002);                        /* FW_CFG_UUID */
    fw_read(s, uuid, 16);
    g_assert_cmpmem(uuid, 16, want, 16);
    /* find etc/boot-fail-wait in the directory and read it */
    uint8_t be[4];
    fw_select(s, 0x0019);
    fw_read(s, be, 4);
    uint32_t count = be[0] << 24 | be[1] << 16 | be[2] << 8 | be[3];
    uint16_t sel = 0;
    for (uint32_t i = 0; i < count; i++) {
        uint8_t ent[64];
        fw_read(s, ent, sizeof(ent));
        if (!strcmp((char *)ent + 8, "etc/boot-fail-wait")) {
            sel = ent[4] << 8 | ent[5];
        }
    }
    g_assert_cmphex(sel, !=, 0);
    uint32_t wait = 0;
    fw_select(s, sel);
    fw_read(s, &wait, 4);
    g_assert_cmpuint(wait, ==, 15);
    qtest_quit(s);
}

static void dma_kick(QTestState *s, uint64_t desc)
{
    /* address register, big-endian: high half at 0x514, low half at 0x518 */
    qtest_outl(s, 0x514, __builtin_bswap32((uint32_t)(desc >> 32)));
    qtest_outl(s, 0x518, __builtin_bswap32((uint32_t)desc));
}

static void test_dma(QTestState *s, uint64_t target, uint32_t control, uint32_t *status)
{
    uint8_t d[16];
    uint32_t c = __builtin_bswap32(control), len = __builtin_bswap32(4);
    uint64_t a = __builtin_bswap64(target);
    memcpy(d, &c, 4);
    memcpy(d + 4, &len, 4);
    memcpy(d + 8, &a, 8);
    qtest_memwrite(s, 0x10000, d, sizeof(d));
    dma_kick(s, 0x10000);
    *status = __builtin_bswap32(qtest_readl(s, 0x10000));
}

static void test_dma_read(void)
{
    QTestState *s = qtest_start(NULL);
    uint32_t st;
    /* select key 0 (signature) and read 4 bytes into 0x20000 */
    test_dma(s, 0x20000, (0u << 16) | 0x08 | 0x02, &st);
    g_assert_cmphex(st, ==, 0);                  /* done, no error */
    char sig[5] = { 0 };
    qtest_memread(s, 0x20000, sig, 4);
    g_assert_cmpstr(sig, ==, "QEMU");
    /* writes to a read-only item are refused with the error bit */
    test_dma(s, 0x20000, (0u << 16) | 0x08 | 0x10, &st);
    g_assert_cmphex(st & 1, ==, 1);
    qtest_quit(s);
}

static void test_dma_id(void)
{
    test_dma_read();
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qtest/fw_cfg/signature-id", test_signature_id);
    g_test_add_func("/qtest/fw_cfg/ram-size-files", test_ram_size_and_files);
    g_test_add_func("/qtest/fw_cfg/dma", test_dma_id);
    g_test_add_func("/qtest/fw_cfg/uuid-reboot-timeout", test_uuid_reboot_timeout);
    return g_test_run();
}
