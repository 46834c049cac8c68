/*
 * Device registry and typed properties: defaults, QEMU option syntax
 * (",," escapes a comma), number/size/bool parsing, and errors that name
 * the device and the property.
 */
#include <glib.h>
#include <string.h>

#include "hw/core/device.h"

typedef struct TestDev {
    Device dev;
    uint8_t u8;
    uint32_t u32;
    uint64_t size;
    bool flag;
    char *name;
    int32_t devfn;
    int realized;
} TestDev;

static bool test_realize(Device *dev, GError **errp)
{
    TestDev *t = DEVICE_CAST(TestDev, dev);
    if (t->u32 == 0xdead) {
        vireo_set_error(errp, "test-dev: refused");
        return false;
    }
    t->realized++;
    return true;
}

static const Property test_props[] = {
    DEFINE_PROP("u8", PROP_U8, TestDev, u8, "7"),
    DEFINE_PROP("u32", PROP_U32, TestDev, u32, "0x10"),
    DEFINE_PROP("size", PROP_SIZE, TestDev, size, "1M"),
    DEFINE_PROP("flag", PROP_BOOL, TestDev, flag, "off"),
    DEFINE_PROP("name", PROP_STRING, TestDev, name, NULL),
    DEFINE_PROP("addr", PROP_PCI_ADDR, TestDev, devfn, "-1"),
    DEFINE_PROP_END,
};

static const DeviceClass test_class = {
    .name = "test-dev",
    .instance_size = sizeof(TestDev),
    .props = test_props,
    .user_creatable = true,
    .realize = test_realize,
};
DEVICE_REGISTER(test_class)

static void test_defaults_and_parse(void)
{
    GError *err = NULL;
    Device *d = device_new("test-dev", &err);
    g_assert_no_error(err);
    TestDev *t = DEVICE_CAST(TestDev, d);
    g_assert_cmpuint(t->u8, ==, 7);
    g_assert_cmpuint(t->u32, ==, 16);
    g_assert_cmpuint(t->size, ==, 1 << 20);
    g_assert_false(t->flag);
    g_assert_cmpint(t->devfn, ==, -1);
    g_assert_true(device_set_props_str(d, "u32=0x402,size=2G,flag,name=a,,b,addr=5.1,id=x", &err));
    g_assert_no_error(err);
    g_assert_cmpuint(t->u32, ==, 0x402);
    g_assert_cmpuint(t->size, ==, 2ULL << 30);
    g_assert_true(t->flag);
    g_assert_cmpstr(t->name, ==, "a,b");
    g_assert_cmpint(t->devfn, ==, 5 << 3 | 1);
    g_assert_true(device_realize(d, &err));
    g_assert_cmpint(t->realized, ==, 1);
    g_assert_true(device_find_by_id("x") == d);
}

static void test_errors(void)
{
    GError *err = NULL;
    g_assert_null(device_new("no-such-device", &err));
    g_assert_nonnull(strstr(err->message, "no-such-device"));
    g_clear_error(&err);

    Device *d = device_new("test-dev", &err);
    g_assert_false(device_set_prop(d, "bogus", "1", &err));
    g_assert_nonnull(strstr(err->message, "bogus"));
    g_assert_nonnull(strstr(err->message, "test-dev"));
    g_clear_error(&err);
    g_assert_false(device_set_prop(d, "u8", "256", &err));      /* out of range */
    g_clear_error(&err);
    g_assert_false(device_set_prop(d, "u32", "12abc", &err));
    g_clear_error(&err);
    g_assert_false(device_set_prop(d, "flag", "maybe", &err));
    g_clear_error(&err);
    g_assert_false(device_set_prop(d, "addr", "32", &err));     /* slot 0..31 */
    g_clear_error(&err);
    g_assert_true(device_set_prop(d, "u32", "0xdead", &err));
    g_assert_false(device_realize(d, &err));
    g_assert_nonnull(strstr(err->message, "refused"));
    g_clear_error(&err);
    device_free_unrealized(d);
}

/* -global: applied by device_new after the class defaults, before the
 * device's own properties; registered last, since globals stay. */
static void test_globals(void)
{
    GError *err = NULL;
    g_assert_true(device_add_global("test-dev.u32=0x402", &err));
    g_assert_true(device_add_global("driver=test-dev,property=flag,value=on", &err));
    g_assert_no_error(err);
    Device *d = device_new("test-dev", &err);
    g_assert_no_error(err);
    TestDev *t = DEVICE_CAST(TestDev, d);
    g_assert_cmpuint(t->u32, ==, 0x402);
    g_assert_true(t->flag);
    g_assert_cmpuint(t->u8, ==, 7);                  /* others keep their defaults */
    g_assert_true(device_set_props_str(d, "u32=5", &err));   /* -device wins */
    g_assert_cmpuint(t->u32, ==, 5);
    device_free_unrealized(d);

    g_assert_false(device_add_global("test-dev", &err));     /* no PROP=VALUE */
    g_clear_error(&err);
    g_assert_false(device_add_global("driver=test-dev,prop=u8,value=1", &err));
    g_clear_error(&err);
    /* a bad value is found when a device is made, and names the global */
    g_assert_true(device_add_global("test-dev.u8=300", &err));
    g_assert_null(device_new("test-dev", &err));
    g_assert_nonnull(strstr(err->message, "can't apply global test-dev.u8=300"));
    g_clear_error(&err);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/device/defaults-and-parse", test_defaults_and_parse);
    g_test_add_func("/device/errors", test_errors);
    g_test_add_func("/device/globals", test_globals);
    return g_test_run();
}
