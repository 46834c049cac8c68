/*
 * PCI hot-plug through qtest and QMP/HMP, the way a guest's ACPI code and
 * a management tool see it:
 *   - the PIIX4 hot-plug registers at 0xae00: RMV has the slots of the
 *     host bridge and PIIX3 clear, the others set;
 *   - device_add virtio-blk-pci at slot 5: the function answers in config
 *     space, UP has bit 5, GPE0 status bit 1 is set (the DSDT's _E01);
 *   - device_del: DOWN has bit 5; the guest's eject (a write of bit 5 to
 *     EJ) removes it: DEVICE_DELETED with its id and path, the slot reads
 *     all-ones, the -drive went with it (query-block);
 *   - an unplug the guest never answers completes at system_reset;
 *   - device_add of a device that cannot be hot-plugged, with a bad
 *     property or a duplicate id fails with a message and leaves the slot
 *     free; device_del of an unknown id fails;
 *   - HMP drive_add (if=none only) / drive_del, and drive_del of a drive a
 *     device uses: the drive leaves query-block, the device stays.
 */
#include <string.h>

#include "tests/qtest/libqtest.h"

#define PCIHP_UP    0xae00
#define PCIHP_DOWN  0xae04
#define PCIHP_EJ    0xae08
#define PCIHP_RMV   0xae0c
#define GPE0_STS    0xafe0
#define SLOT        5
#define DEVFN       (SLOT << 3)

static QTestState *start(void)
{
    return qtest_start("-machine pc -nodefaults "
                       "-drive if=none,id=d0,file=null-co://,format=raw "
                       "-drive if=none,id=d1,file=null-co://,format=raw "
                       "-drive if=none,id=d2,file=null-co://,format=raw");
}

static void assert_reply(char *reply, const char *want)
{
    if (!strstr(reply, want)) {
        g_printerr("reply: %s\nwanted: %s\n", reply, want);
        g_assert_not_reached();
    }
    g_free(reply);
}

/* the next DEVICE_DELETED event (others skipped) */
static char *wait_deleted(QTestState *s)
{
    for (int i = 0; i < 100; i++) {
        char *line = qtest_qmp_recv(s);
        if (strstr(line, "\"DEVICE_DELETED\"")) {
            return line;
        }
        g_free(line);
    }
    g_assert_not_reached();
}

static void clear_gpe(QTestState *s)
{
    qtest_outb(s, GPE0_STS, 0xff);
    g_assert_cmpint(qtest_inb(s, GPE0_STS), ==, 0);
}

static void test_plug_eject(void)
{
    QTestState *s = start();
    uint32_t rmv = qtest_inl(s, PCIHP_RMV);
    g_assert_cmphex(rmv & 3, ==, 0);                 /* host bridge, PIIX3 */
    g_assert_cmphex(rmv & (1u << SLOT), ==, 1u << SLOT);
    g_assert_cmphex(qtest_pci_readl(s, DEVFN, 0), ==, 0xffffffffu);
    clear_gpe(s);

    assert_reply(qtest_qmp(s, "{'execute':'device_add','arguments':{'driver':'virtio-blk-pci',"
                              "'drive':'d0','id':'v0','addr':'5'}}"), "{\"return\":{}}");
    g_assert_cmphex(qtest_pci_readl(s, DEVFN, 0) & 0xffff, ==, 0x1af4);
    g_assert_cmphex(qtest_inl(s, PCIHP_UP), ==, 1u << SLOT);
    g_assert_cmphex(qtest_inb(s, GPE0_STS) & 2, ==, 2);
    clear_gpe(s);

    assert_reply(qtest_qmp(s, "{'execute':'device_del','arguments':{'id':'v0'}}"),
                 "{\"return\":{}}");
    g_assert_cmphex(qtest_inl(s, PCIHP_DOWN), ==, 1u << SLOT);
    g_assert_cmphex(qtest_inb(s, GPE0_STS) & 2, ==, 2);
    /* still there until the guest ejects it */
    g_assert_cmphex(qtest_pci_readl(s, DEVFN, 0) & 0xffff, ==, 0x1af4);
    assert_reply(qtest_qmp(s, "{'execute':'query-block'}"), "\"device\":\"d0\"");

    qtest_outl(s, PCIHP_EJ, 1u << SLOT);
    assert_reply(wait_deleted(s), "\"data\":{\"device\":\"v0\",\"path\":\"/machine/peripheral/v0\"}");
    g_assert_cmphex(qtest_pci_readl(s, DEVFN, 0), ==, 0xffffffffu);
    g_assert_cmphex(qtest_inl(s, PCIHP_UP), ==, 0);
    g_assert_cmphex(qtest_inl(s, PCIHP_DOWN), ==, 0);
    char *blocks = qtest_qmp(s, "{'execute':'query-block'}");
    g_assert_null(strstr(blocks, "\"device\":\"d0\""));
    g_assert_nonnull(strstr(blocks, "\"device\":\"d1\""));
    g_free(blocks);

    /* the slot is free again; an e1000 there, unplugged at reset */
    assert_reply(qtest_qmp(s, "{'execute':'device_add','arguments':{'driver':'e1000',"
                              "'addr':'5'}}"), "{\"return\":{}}");
    g_assert_cmphex(qtest_pci_readl(s, DEVFN, 0), ==, 0x100e8086u);
    assert_reply(qtest_qmp(s, "{'execute':'device_del','arguments':"
                              "{'id':'/machine/peripheral/none'}}"), "Device '/machine/peripheral/none' not found");
    /* without id=, it is named by its path only: nothing to device_del it by */
    qtest_quit(s);
}

static void test_unplug_at_reset(void)
{
    QTestState *s = start();
    assert_reply(qtest_qmp(s, "{'execute':'device_add','arguments':{'driver':'virtio-blk-pci',"
                              "'drive':'d1','id':'v1','addr':'5'}}"), "{\"return\":{}}");
    assert_reply(qtest_qmp(s, "{'execute':'device_del','arguments':{'id':'v1'}}"),
                 "{\"return\":{}}");
    assert_reply(qtest_qmp(s, "{'execute':'system_reset'}"), "{\"return\":{}}");
    assert_reply(wait_deleted(s), "\"device\":\"v1\"");
    g_assert_cmphex(qtest_pci_readl(s, DEVFN, 0), ==, 0xffffffffu);
    g_assert_cmphex(qtest_inl(s, PCIHP_DOWN), ==, 0);
    qtest_quit(s);
}

static void test_errors(void)
{
    QTestState *s = start();
    assert_reply(qtest_qmp(s, "{'execute':'device_add','arguments':{'driver':'isa-debugcon'}}"),
                 "Device 'isa-debugcon' does not support hotplugging");
    assert_reply(qtest_qmp(s, "{'execute':'device_add','arguments':{'driver':'no-such'}}"),
                 "'no-such' is not a valid device model name");
    assert_reply(qtest_qmp(s, "{'execute':'device_add','arguments':{'driver':'virtio-blk-pci',"
                              "'drive':'d0','addr':'5','num-queues':0}}"), "num-queues");
    assert_reply(qtest_qmp(s, "{'execute':'device_add','arguments':{'driver':'virtio-blk-pci',"
                              "'drive':'d0','addr':'5','serial':[1]}}"), "expects a string");
    g_assert_cmphex(qtest_pci_readl(s, DEVFN, 0), ==, 0xffffffffu);   /* nothing left behind */
    assert_reply(qtest_qmp(s, "{'execute':'device_add','arguments':{'driver':'virtio-blk-pci',"
                              "'drive':'d0','id':'x','addr':'5'}}"), "{\"return\":{}}");
    /* a duplicate id fails and leaves the first device, and the drive, alone */
    assert_reply(qtest_qmp(s, "{'execute':'device_add','arguments':{'driver':'virtio-blk-pci',"
                              "'drive':'d1','id':'x','addr':'6'}}"), "duplicate device id 'x'");
    g_assert_cmphex(qtest_pci_readl(s, 6 << 3, 0), ==, 0xffffffffu);
    assert_reply(qtest_qmp(s, "{'execute':'device_add','arguments':{'driver':'virtio-blk-pci',"
                              "'drive':'d1','id':'y','addr':'6'}}"), "{\"return\":{}}");
    assert_reply(qtest_qmp(s, "{'execute':'device_del','arguments':{'id':'nope'}}"),
                 "Device 'nope' not found");
    qtest_quit(s);
}

static void test_hmp_drives(void)
{
    QTestState *s = start();
    assert_reply(qtest_qmp(s, "{'execute':'human-monitor-command','arguments':{'command-line':"
                              "'drive_add 0 if=none,id=d3,file=null-co://,format=raw'}}"),
                 "{\"return\":\"OK\\r\\n\"}");
    assert_reply(qtest_qmp(s, "{'execute':'query-block'}"), "\"device\":\"d3\"");
    assert_reply(qtest_qmp(s, "{'execute':'human-monitor-command','arguments':{'command-line':"
                              "'drive_add 0 file=null-co://,format=raw'}}"),
                 "Can't hot-add drive to type");
    assert_reply(qtest_qmp(s, "{'execute':'human-monitor-command','arguments':{'command-line':"
                              "'drive_del d3'}}"), "{\"return\":\"\"}");
    char *blocks = qtest_qmp(s, "{'execute':'query-block'}");
    g_assert_null(strstr(blocks, "\"device\":\"d3\""));
    g_free(blocks);
    assert_reply(qtest_qmp(s, "{'execute':'human-monitor-command','arguments':{'command-line':"
                              "'drive_del d3'}}"), "Device 'd3' not found");

    /* HMP device_add on d2, then drive_del under it: the device stays */
    assert_reply(qtest_qmp(s, "{'execute':'human-monitor-command','arguments':{'command-line':"
                              "'device_add virtio-blk-pci,drive=d2,id=v2,addr=5'}}"),
                 "{\"return\":\"\"}");
    assert_reply(qtest_qmp(s, "{'execute':'human-monitor-command','arguments':{'command-line':"
                              "'drive_del d2'}}"), "{\"return\":\"\"}");
    blocks = qtest_qmp(s, "{'execute':'query-block'}");
    g_assert_null(strstr(blocks, "\"device\":\"d2\""));
    g_free(blocks);
    g_assert_cmphex(qtest_pci_readl(s, DEVFN, 0) & 0xffff, ==, 0x1af4);
    assert_reply(qtest_qmp(s, "{'execute':'human-monitor-command','arguments':{'command-line':"
                              "'device_del v2'}}"), "{\"return\":\"\"}");
    qtest_outl(s, PCIHP_EJ, 1u << SLOT);
    assert_reply(wait_deleted(s), "\"device\":\"v2\"");
    qtest_quit(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/pcihp/plug-eject", test_plug_eject);
    g_test_add_func("/pcihp/unplug-at-reset", test_unplug_at_reset);
    g_test_add_func("/pcihp/errors", test_errors);
    g_test_add_func("/pcihp/hmp-drives", test_hmp_drives);
    return g_test_run();
}
