/*
 * Hot-plug from the monitors: QMP device_add/device_del, HMP device_add,
 * device_del, drive_add and drive_del.  The work is done by the device
 * registry (hw/core/device.c: device_hotplug, device_unplug_request) and
 * the drive table (block/blockdev.c); this file turns the commands'
 * arguments into their calls.
 */
#include <string.h>

#include "block/blockdev.h"
#include "hw/core/device.h"
#include "monitor/monitor-int.h"

/* Common to both monitors: a new device of type driver, props already set
 * by set_props (returns false with *errp). */
static bool device_add_common(const char *driver,
                              bool (*set_props)(Device *dev, void *opaque, GError **errp),
                              void *opaque, GError **errp)
{
    const DeviceClass *cls = driver ? device_class_find(driver) : NULL;
    if (!driver) {
        vireo_set_error(errp, "Parameter 'driver' is missing");
        return false;
    }
    if (!cls) {
        vireo_set_error(errp, "'%s' is not a valid device model name", driver);
        return false;
    }
    if (!cls->user_creatable) {
        vireo_set_error(errp, "Parameter 'driver' expects a pluggable device type");
        return false;
    }
    Device *dev = device_new(driver, errp);
    if (!dev) {
        return false;
    }
    if (!set_props(dev, opaque, errp)) {
        device_free_unrealized(dev);
        return false;
    }
    return device_hotplug(dev, errp);
}

/* QMP's members are typed: strings as given, numbers and booleans as the
 * command line spells them. */
static bool set_json_props(Device *dev, void *opaque, GError **errp)
{
    JsonObject *args = opaque;
    GList *members = json_object_get_members(args);
    bool ok = true;
    for (GList *l = members; l && ok; l = l->next) {
        const char *key = l->data;
        if (!strcmp(key, "driver")) {
            continue;
        }
        JsonNode *n = json_object_get_member(args, key);
        g_autofree char *val = NULL;
        if (JSON_NODE_HOLDS_VALUE(n)) {
            GType t = json_node_get_value_type(n);
            if (t == G_TYPE_STRING) {
                val = g_strdup(json_node_get_string(n));
            } else if (t == G_TYPE_INT64) {
                val = g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(n));
            } else if (t == G_TYPE_BOOLEAN) {
                val = g_strdup(json_node_get_boolean(n) ? "on" : "off");
            }
        }
        if (!val) {
            vireo_set_error(errp, "Parameter '%s' expects a string, number or boolean", key);
            ok = false;
        } else {
            ok = device_set_prop(dev, key, val, errp);
        }
    }
    g_list_free(members);
    return ok;
}

bool monitor_device_add_json(JsonObject *args, GError **errp)
{
    const char *driver = json_object_has_member(args, "driver")
                         ? json_object_get_string_member(args, "driver") : NULL;
    return device_add_common(driver, set_json_props, args, errp);
}

static bool set_str_props(Device *dev, void *opaque, GError **errp)
{
    return device_set_props_str(dev, opaque, errp);
}

/* HMP: device_add DRIVER[,prop=value][,...], the -device syntax */
bool monitor_device_add_str(const char *spec, GError **errp)
{
    const char *comma = strchr(spec, ',');
    g_autofree char *driver = comma ? g_strndup(spec, comma - spec) : g_strdup(spec);
    return device_add_common(*driver ? driver : NULL, set_str_props,
                             (void *)(comma ? comma + 1 : ""), errp);
}

bool monitor_device_del(const char *id, GError **errp)
{
    /* QEMU takes a device id or its QOM path */
    const char *name = g_str_has_prefix(id, "/machine/peripheral/")
                       ? id + strlen("/machine/peripheral/") : id;
    Device *dev = device_find_by_id(name);
    if (!dev) {
        vireo_set_error(errp, "Device '%s' not found", id);
        return false;
    }
    return device_unplug_request(dev, errp);
}

/* HMP drive_add [[DOMAIN:]BUS:]SLOT OPTS: as QEMU's, only if=none drives
 * can be added while the machine runs (the address is for if=pci, which
 * QEMU no longer has either). */
bool monitor_drive_add(const char *opts, GError **errp)
{
    DriveInfo *d = drive_add(opts, errp);
    if (!d) {
        return false;
    }
    if (d->type != IF_NONE) {
        vireo_set_error(errp, "Can't hot-add drive to type %d", d->type);
        drive_del(d->id, NULL);
        return false;
    }
    return true;
}
