/*
 * Device registry and typed properties: see device.h.
 */
#include "hw/core/device.h"
#include "util/keyval.h"
#include "block/block.h"
#include "block/node.h"
#include "block/blockdev.h"
#include "monitor/monitor.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chardev/chardev.h"
#include "net/net.h"
#include "util/log.h"

static GHashTable *classes;        /* name -> DeviceClass */
static GPtrArray *devices;         /* realized, creation order */


void device_class_register(const DeviceClass *cls)
{
    if (!classes) {
        classes = g_hash_table_new(g_str_hash, g_str_equal);
    }
    g_hash_table_insert(classes, (gpointer)cls->name, (gpointer)cls);
}

const DeviceClass *device_class_find(const char *name)
{
    return classes ? g_hash_table_lookup(classes, name) : NULL;
}

static gint class_cmp(gconstpointer a, gconstpointer b)
{
    return strcmp((*(const DeviceClass *const *)a)->name, (*(const DeviceClass *const *)b)->name);
}

void device_class_foreach(void (*fn)(const DeviceClass *cls, void *opaque), void *opaque)
{
    if (!classes) {
        return;
    }
    GPtrArray *list = g_ptr_array_new();
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, classes);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        g_ptr_array_add(list, v);
    }
    g_ptr_array_sort(list, class_cmp);
    for (unsigned i = 0; i < list->len; i++) {
        fn(g_ptr_array_index(list, i), opaque);
    }
    g_ptr_array_free(list, TRUE);
}

static const Property *find_prop(const DeviceClass *cls, const char *name)
{
    for (const Property *p = cls->props; p && p->name; p++) {
        if (!strcmp(p->name, name)) {
            return p;
        }
    }
    return NULL;
}

/* -global DRIVER.PROP=VALUE: property defaults that override the class's
 * for every device of that driver, applied by device_new before the
 * device's own properties (QEMU's global properties). */
typedef struct GlobalProp {
    char *driver, *prop, *value;
} GlobalProp;
static GPtrArray *global_props;

bool device_add_global(const char *spec, GError **errp)
{
    g_autofree char *driver = NULL, *prop = NULL, *value = NULL;
    if (strchr(spec, '.') && strchr(spec, '=') && strchr(spec, '.') < strchr(spec, '=')) {
        /* DRIVER.PROP=VALUE (the driver name may itself hold no '.') */
        const char *dot = strchr(spec, '.'), *eq = strchr(spec, '=');
        driver = g_strndup(spec, dot - spec);
        prop = g_strndup(dot + 1, eq - dot - 1);
        value = g_strdup(eq + 1);
    } else {
        /* driver=D,property=P,value=V */
        g_auto(GStrv) parts = g_strsplit(spec, ",", -1);
        for (int i = 0; parts[i]; i++) {
            const char *eq = strchr(parts[i], '=');
            if (!eq) {
                vireo_set_error(errp, "expected DRIVER.PROPERTY=VALUE or "
                                "driver=D,property=P,value=V");
                return false;
            }
            char **slot = !strncmp(parts[i], "driver=", 7) ? &driver :
                          !strncmp(parts[i], "property=", 9) ? &prop :
                          !strncmp(parts[i], "value=", 6) ? &value : NULL;
            if (!slot) {
                vireo_set_error(errp, "invalid parameter '%.*s'", (int)(eq - parts[i]), parts[i]);
                return false;
            }
            g_free(*slot);
            *slot = g_strdup(eq + 1);
        }
    }
    if (!driver || !*driver || !prop || !*prop || !value) {
        vireo_set_error(errp, "expected DRIVER.PROPERTY=VALUE");
        return false;
    }
    if (!device_class_find(driver)) {
        /* as QEMU: a warning, since scripts pass globals for other builds'
         * devices (kvm-unit-tests sets kvm-pit.lost_tick_policy) */
        warn_report("global %s.%s has invalid class name", driver, prop);
    }
    if (!global_props) {
        global_props = g_ptr_array_new();
    }
    GlobalProp *g = g_new(GlobalProp, 1);
    g->driver = g_steal_pointer(&driver);
    g->prop = g_steal_pointer(&prop);
    g->value = g_steal_pointer(&value);
    g_ptr_array_add(global_props, g);
    return true;
}

/* A versioned machine's compatibility property (QEMU's compat props):
 * applied before every -global, so the user's own globals win. */
void device_add_compat_global(const char *driver, const char *prop, const char *value)
{
    if (!global_props) {
        global_props = g_ptr_array_new();
    }
    GlobalProp *g = g_new(GlobalProp, 1);
    g->driver = g_strdup(driver);
    g->prop = g_strdup(prop);
    g->value = g_strdup(value);
    g_ptr_array_insert(global_props, 0, g);
}

static bool apply_globals(Device *dev, GError **errp)
{
    for (guint i = 0; global_props && i < global_props->len; i++) {
        GlobalProp *g = global_props->pdata[i];
        if (strcmp(g->driver, dev->cls->name)) {
            continue;
        }
        GError *err = NULL;
        if (!device_set_prop(dev, g->prop, g->value, &err)) {
            vireo_set_error(errp, "can't apply global %s.%s=%s: %s", g->driver, g->prop,
                            g->value, err->message);
            g_error_free(err);
            return false;
        }
    }
    return true;
}

Device *device_new(const char *type, GError **errp)
{
    const DeviceClass *cls = device_class_find(type);
    if (!cls) {
        vireo_set_error(errp, "'%s' is not a valid device model name", type);
        return NULL;
    }
    Device *dev = g_malloc0(cls->instance_size < sizeof(Device) ? sizeof(Device) : cls->instance_size);
    dev->cls = cls;
    for (const Property *p = cls->props; p && p->name; p++) {
        if (p->defval && !device_set_prop(dev, p->name, p->defval, errp)) {
            g_free(dev);
            return NULL;
        }
    }
    if (!apply_globals(dev, errp)) {
        device_free_unrealized(dev);
        return NULL;
    }
    return dev;
}

static bool parse_u64(const char *s, uint64_t *out, bool size_suffix)
{
    if (size_suffix) {
        return parse_size(s, out);
    }
    char *end;
    errno = 0;
    if (!*s || *s == '-') {
        return false;
    }
    uint64_t v = strtoull(s, &end, 0);
    if (errno || *end) {
        return false;
    }
    *out = v;
    return true;
}

static bool parse_bool(const char *s, bool *out)
{
    if (!strcmp(s, "on") || !strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "1")) {
        *out = true;
    } else if (!strcmp(s, "off") || !strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "0")) {
        *out = false;
    } else {
        return false;
    }
    return true;
}

bool device_set_prop(Device *dev, const char *name, const char *value, GError **errp)
{
    const DeviceClass *cls = dev->cls;
    if (!strcmp(name, "id") && !find_prop(cls, "id")) {
        bool ok = g_ascii_isalpha(value[0]);
        for (const char *c = value; ok && *c; c++) {
            ok = g_ascii_isalnum(*c) || *c == '-' || *c == '.' || *c == '_';
        }
        if (!ok) {
            vireo_set_error(errp, "Parameter 'id' expects an identifier (letters, digits, "
                            "'-', '.', '_', starting with a letter)");
            return false;
        }
        g_free(dev->id);
        dev->id = g_strdup(value);
        return true;
    }
    const Property *p = find_prop(cls, name);
    if (!p) {
        vireo_set_error(errp, "device '%s' has no property '%s'", cls->name, name);
        return false;
    }
    void *field = (char *)dev + p->offset;
    uint64_t v = 0;
    uint64_t max = UINT64_MAX;
    switch (p->type) {
    case PROP_BOOL: {
        bool b;
        if (!parse_bool(value, &b)) {
            goto bad;
        }
        *(bool *)field = b;
        return true;
    }
    case PROP_STRING:
        g_free(*(char **)field);
        *(char **)field = g_strdup(value);
        return true;
    case PROP_CHARDEV: {
        Chardev *chr = chardev_find(value);
        if (!chr) {
            vireo_set_error(errp, "device '%s': chardev '%s' not found", cls->name, value);
            return false;
        }
        *(Chardev **)field = chr;
        return true;
    }
    case PROP_DRIVE: {
        /* a -drive id, else (as QEMU) a -blockdev node-name, which gets
         * an anonymous drive of its own */
        BlockBackend *blk = blk_by_name(value);
        if (!blk) {
            GError *local = NULL;
            blk = blockdev_backend_for_node(value, cls->name, &local);
            if (local) {
                vireo_set_error(errp, "Property '%s.%s' can't take value '%s': %s", cls->name,
                                name, value, local->message);
                g_error_free(local);
                return false;
            }
        }
        if (!blk) {
            vireo_set_error(errp, "Property '%s.%s' can't find value '%s'", cls->name, name, value);
            return false;
        }
        if (blk_get_attached_dev(blk)) {
            vireo_set_error(errp, "Property '%s.%s' can't take value '%s', it's in use",
                            cls->name, name, value);
            return false;
        }
        *(BlockBackend **)field = blk;
        return true;
    }
    case PROP_NETDEV: {
        NetClientState *nc = net_netdev_find(value);
        if (!nc) {
            vireo_set_error(errp, "Property '%s.%s' can't find value '%s'", cls->name, name, value);
            return false;
        }
        if (nc->peer) {
            vireo_set_error(errp, "Property '%s.%s' can't take value '%s', it's in use",
                            cls->name, name, value);
            return false;
        }
        *(NetClientState **)field = nc;
        return true;
    }
    case PROP_MACADDR:
        if (!net_parse_macaddr(value, (MACAddr *)field)) {
            vireo_set_error(errp, "Property '%s.%s' doesn't take value '%s'", cls->name, name, value);
            return false;
        }
        return true;
    case PROP_PCI_ADDR: {
        unsigned slot, fn = 0;
        char extra;
        if (!strcmp(value, "-1")) {
            *(int32_t *)field = -1;         /* first free slot */
            return true;
        }
        int n = sscanf(value, "%x.%x%c", &slot, &fn, &extra);
        if ((n != 1 && n != 2) || slot > 31 || fn > 7) {
            goto bad;
        }
        *(int32_t *)field = (int32_t)(slot << 3 | fn);
        return true;
    }
    case PROP_I32: {
        char *end;
        errno = 0;
        long long s = strtoll(value, &end, 0);
        if (errno || *end || !*value || s < INT32_MIN || s > INT32_MAX) {
            goto bad;
        }
        *(int32_t *)field = (int32_t)s;
        return true;
    }
    case PROP_SIZE:
        if (!parse_u64(value, &v, true)) {
            goto bad;
        }
        *(uint64_t *)field = v;
        return true;
    case PROP_U8: max = UINT8_MAX; break;
    case PROP_U16: max = UINT16_MAX; break;
    case PROP_U32: max = UINT32_MAX; break;
    case PROP_U64: break;
    }
    if (!parse_u64(value, &v, false) || v > max) {
        goto bad;
    }
    switch (p->type) {
    case PROP_U8: *(uint8_t *)field = v; break;
    case PROP_U16: *(uint16_t *)field = v; break;
    case PROP_U32: *(uint32_t *)field = v; break;
    default: *(uint64_t *)field = v; break;
    }
    return true;
bad:
    vireo_set_error(errp, "device '%s': invalid value '%s' for property '%s'", cls->name, value, name);
    return false;
}

bool device_set_props_str(Device *dev, const char *opts, GError **errp)
{
    /* QEMU option syntax: k=v,k=v with ",," standing for a literal comma. */
    const char *p = opts;
    while (p && *p) {
        GString *key = g_string_new(NULL), *val = NULL;
        while (*p && *p != '=' && *p != ',') {
            g_string_append_c(key, *p++);
        }
        if (*p == '=') {
            p++;
            val = g_string_new(NULL);
            while (*p) {
                if (*p == ',') {
                    if (p[1] == ',') {
                        g_string_append_c(val, ',');
                        p += 2;
                        continue;
                    }
                    break;
                }
                g_string_append_c(val, *p++);
            }
        }
        if (*p == ',') {
            p++;
        }
        bool ok;
        if (!key->len) {
            ok = true;
        } else if (!val) {
            /* bare "flag" means flag=on, as QEMU accepts for booleans */
            ok = device_set_prop(dev, key->str, "on", errp);
        } else {
            ok = device_set_prop(dev, key->str, val->str, errp);
        }
        g_string_free(key, TRUE);
        if (val) {
            g_string_free(val, TRUE);
        }
        if (!ok) {
            return false;
        }
    }
    return true;
}

void device_free_unrealized(Device *dev)
{
    if (!dev) {
        return;
    }
    for (const Property *p = dev->cls->props; p && p->name; p++) {
        void *field = (uint8_t *)dev + p->offset;
        if (p->type == PROP_STRING) {
            g_free(*(char **)field);
        } else if (p->type == PROP_DRIVE) {
            /* the anonymous drive device_set_prop made over a -blockdev
             * node for this device: the node is free again */
            BlockBackend *blk = *(BlockBackend **)field;
            if (blk && !*blk_name(blk) && !blk_get_attached_dev(blk)) {
                blk_unref(blk);
            }
        }
    }
    g_free(dev->id);
    g_free(dev);
}

bool device_realize(Device *dev, GError **errp)
{
    if (dev->id && device_find_by_id(dev->id)) {
        vireo_set_error(errp, "duplicate device id '%s'", dev->id);
        return false;
    }
    if (dev->cls->realize && !dev->cls->realize(dev, errp)) {
        return false;
    }
    dev->realized = true;
    if (!dev->id && dev->cls->user_creatable) {
        static unsigned anon;
        dev->anon_index = anon++;
    }
    if (!devices) {
        devices = g_ptr_array_new();
    }
    g_ptr_array_add(devices, dev);
    return true;
}

Device *device_create(const char *type, const char *opts)
{
    GError *err = NULL;
    Device *dev = device_new(type, &err);
    if (!dev || !device_set_props_str(dev, opts, &err) || !device_realize(dev, &err)) {
        fatal("%s", err->message);
    }
    return dev;
}

/* ---- hot-plug ---- */

char *device_qom_path(const Device *dev)
{
    return dev->id ? g_strdup_printf("/machine/peripheral/%s", dev->id)
                   : g_strdup_printf("/machine/peripheral-anon/device[%u]", dev->anon_index);
}

static bool can_hotplug(const DeviceClass *cls, GError **errp)
{
    if (!cls->hotpluggable || !cls->unrealize) {
        vireo_set_error(errp, "Device '%s' does not support hotplugging", cls->name);
        return false;
    }
    return true;
}

bool device_hotplug(Device *dev, GError **errp)
{
    if (!can_hotplug(dev->cls, errp)) {
        device_free_unrealized(dev);
        return false;
    }
    if (!device_realize(dev, errp)) {
        device_free_unrealized(dev);
        return false;
    }
    if (!dev->hotplug) {
        vireo_set_error(errp, "Bus of device '%s' does not support hotplugging", dev->cls->name);
        g_ptr_array_remove(devices, dev);
        /* the drives stay as they were (a failed device_add deletes none) */
        for (const Property *p = dev->cls->props; p && p->name; p++) {
            BlockBackend *blk = *(BlockBackend **)((uint8_t *)dev + p->offset);
            if (p->type == PROP_DRIVE && blk) {
                blk_drain_all();
                blk_detach_dev(blk, dev);
            }
        }
        dev->cls->unrealize(dev);
        device_free_unrealized(dev);
        return false;
    }
    if (dev->cls->reset) {
        dev->cls->reset(dev);
    }
    dev->hotplug->plug(dev->hotplug->opaque, dev);
    return true;
}

bool device_unplug_request(Device *dev, GError **errp)
{
    if (!can_hotplug(dev->cls, errp)) {
        return false;
    }
    if (!dev->hotplug) {
        vireo_set_error(errp, "Bus of device '%s' does not support hotplugging",
                        dev->id ? dev->id : dev->cls->name);
        return false;
    }
    return dev->hotplug->unplug_request(dev->hotplug->opaque, dev, errp);
}

void device_unplug(Device *dev)
{
    g_ptr_array_remove(devices, dev);
    /* First the drives: their requests complete (drive_release drains)
     * while the device is whole; then a -drive goes with its device and a
     * -blockdev node's drive is dropped. */
    for (const Property *p = dev->cls->props; p && p->name; p++) {
        if (p->type == PROP_DRIVE) {
            BlockBackend **blk = (BlockBackend **)((uint8_t *)dev + p->offset);
            drive_release(*blk, dev);
            *blk = NULL;
        }
    }
    dev->cls->unrealize(dev);
    JsonObject *o = json_object_new();
    if (dev->id) {
        json_object_set_string_member(o, "device", dev->id);
    }
    g_autofree char *path = device_qom_path(dev);
    json_object_set_string_member(o, "path", path);
    g_free(dev->gpio_in);
    g_free(dev->gpio_out);
    device_free_unrealized(dev);
    qmp_event_send("DEVICE_DELETED", o);
}

void device_foreach(void (*fn)(Device *dev, void *opaque), void *opaque)
{
    if (!devices) {
        return;
    }
    for (unsigned i = 0; i < devices->len; i++) {
        fn(g_ptr_array_index(devices, i), opaque);
    }
}

void devices_reset_all(void)
{
    if (!devices) {
        return;
    }
    /* a reset may complete a hot-unplug (PIIX4's ACPI PCI hot-plug), so
     * walk a copy and skip what has gone */
    GPtrArray *snap = g_ptr_array_copy(devices, NULL, NULL);
    for (unsigned i = 0; i < snap->len; i++) {
        Device *dev = g_ptr_array_index(snap, i);
        if (g_ptr_array_find(devices, dev, NULL) && dev->cls->reset) {
            dev->cls->reset(dev);
        }
    }
    g_ptr_array_free(snap, TRUE);
}

Device *device_find_by_id(const char *id)
{
    if (!devices || !id) {
        return NULL;
    }
    for (unsigned i = 0; i < devices->len; i++) {
        Device *dev = g_ptr_array_index(devices, i);
        if (dev->id && !strcmp(dev->id, id)) {
            return dev;
        }
    }
    return NULL;
}

/* ---- GPIO lines ---- */

void device_init_gpio_in(Device *dev, IRQHandler handler, int n)
{
    dev->gpio_in = irq_new_array(handler, dev, n);
    dev->n_gpio_in = n;
}

void device_init_gpio_out(Device *dev, IRQ *pins, int n)
{
    dev->gpio_out = g_new0(IRQ *, n);
    for (int i = 0; i < n; i++) {
        dev->gpio_out[i] = &pins[i];
    }
    dev->n_gpio_out = n;
}

IRQ device_get_gpio_in(Device *dev, int n)
{
    g_assert(n >= 0 && n < dev->n_gpio_in);
    return dev->gpio_in[n];
}

void device_connect_gpio_out(Device *dev, int n, IRQ target)
{
    g_assert(n >= 0 && n < dev->n_gpio_out);
    *dev->gpio_out[n] = target;
}
