/*
 * Fuzz the option strings a user types on the command line, through the
 * entry points that report errors with GError instead of exiting:
 * util/keyval (QEMU's key=value,,escaped syntax, implied keys, bools,
 * numbers, repeated keys), -device TYPE,props (device_new and every
 * property type's parser: ids, numbers, sizes, bools, MACs, PCI
 * addresses, chardev/netdev references), -chardev's option loop, -netdev
 * (user networking's address and prefix parsing) and -d items.
 *
 * The first byte chooses the option, the rest up to a NUL is its
 * argument.  Nothing may reach the host: -netdev runs only for type
 * user without hostfwd/guestfwd (those bind ports or run
 * commands) and every backend is freed after the input; -chardev only
 * without id=, so it stops at the error before opening anything; strings
 * containing "help" are skipped (help lists and exits).  -m, -smp, -boot,
 * -machine and -cpu are parsed in system/main.c or allocate a CPU that
 * cannot be freed, so they are not reached here.
 */
#include <string.h>

#include "chardev/chardev.h"
#include "hw/core/device.h"
#include "net/net.h"
#include "util/keyval.h"
#include "util/log.h"
#include "fuzz-driver.h"

static const char *fuzz_name = "cmdline";

static void fuzz_setup(void)
{
    GError *err = NULL;

    /* something for chardev= and netdev= properties to find */
    chardev_new_from_opts("null,id=fuzz-chr", &err);
    g_assert_no_error(err);
}

static void fuzz_keyval(const char *s, const char *implied)
{
    GError *err = NULL;
    KeyVal *kv = keyval_parse(s, implied, &err);
    if (!kv) {
        g_clear_error(&err);
        return;
    }
    bool b;
    uint64_t u;
    keyval_take(kv, "id");
    if (implied) {
        keyval_take(kv, implied);
    }
    if (!keyval_take_bool(kv, "on", false, &b, &err)) {
        g_clear_error(&err);
    }
    if (!keyval_take_u64(kv, "size", 0, &u, &err)) {
        g_clear_error(&err);
    }
    GPtrArray *all = keyval_take_all(kv, "hostfwd");
    g_ptr_array_free(all, TRUE);
    keyval_unused(kv);
    keyval_free(kv);
}

/* -device TYPE[,props], split as system/main.c does; not realized. */
static void fuzz_device(const char *s)
{
    const char *comma = strchr(s, ',');
    g_autofree char *type = comma ? g_strndup(s, comma - s) : g_strdup(s);
    GError *err = NULL;
    Device *dev = device_new(type, &err);
    if (!dev) {
        g_clear_error(&err);
        return;
    }
    if (!device_set_props_str(dev, comma ? comma + 1 : "", &err)) {
        g_clear_error(&err);
    }
    device_free_unrealized(dev);
}

/* -chardev, only when it has no id: parsed to the end, nothing created. */
static void fuzz_chardev(const char *s)
{
    g_auto(GStrv) parts = g_strsplit(s, ",", -1);
    for (gchar **p = parts + (parts[0] ? 1 : 0); *p; p++) {
        if (!strcmp(*p, "id") || g_str_has_prefix(*p, "id=")) {
            return;
        }
    }
    GError *err = NULL;
    Chardev *chr = chardev_new_from_opts(s, &err);
    g_assert_null(chr);
    g_clear_error(&err);
}

/* -netdev: user networking without host ports or commands (hub ports
 * are left out: hubs are never freed, each new hubid would stay). */
static void fuzz_netdev(const char *s)
{
    if (strstr(s, "fwd")) {
        return;
    }
    GError *err = NULL;
    KeyVal *kv = keyval_parse(s, "type", &err);
    if (!kv) {
        g_clear_error(&err);
        return;
    }
    const char *type = keyval_take(kv, "type");
    bool safe = type && !strcmp(type, "user");
    keyval_free(kv);
    if (!safe) {
        return;
    }
    /* libslirp warns about values it then ignores (a dnssearch= name it
     * cannot encode); g_test_init made warnings fatal, but those are not
     * ours to fix.  Ours report errors with GError. */
    GLogLevelFlags fatal = g_log_set_always_fatal(G_LOG_FATAL_MASK);
    g_log_set_always_fatal(fatal & ~G_LOG_LEVEL_WARNING);
    if (!net_netdev_add(s, &err)) {
        g_clear_error(&err);
    }
    g_log_set_always_fatal(fatal);
    net_cleanup();
}

static void fuzz_log(const char *s)
{
    uint32_t mask;
    char *bad = NULL;
    log_parse_mask(s, &mask, &bad);
    g_free(bad);
}

static void fuzz_one(const uint8_t *data, size_t size)
{
    if (!size) {
        return;
    }
    g_autofree char *s = g_strndup((const char *)data + 1, size - 1);
    if (strstr(s, "help")) {
        return;
    }
    switch (data[0] % 6) {
    case 0:
        fuzz_keyval(s, NULL);
        break;
    case 1:
        fuzz_keyval(s, "type");
        break;
    case 2:
        fuzz_device(s);
        break;
    case 3:
        fuzz_chardev(s);
        break;
    case 4:
        fuzz_netdev(s);
        break;
    default:
        fuzz_log(s);
        break;
    }
}
