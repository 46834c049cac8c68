/*
 * Device registry.  A device type is a static DeviceClass that registers
 * itself at start-up with DEVICE_REGISTER() — adding a device touches no
 * central list.  Instances start with a Device header; properties are a
 * table of typed fields at offsets in the instance, so
 * "-device isa-debugcon,chardev=d,iobase=0x402" works generically:
 *
 *     Device *d = device_new("isa-debugcon", &err);
 *     device_set_prop(d, "iobase", "0x402", &err);
 *     device_realize(d, &err);
 *
 * Machine-created devices use the same path (pc.c builds its chipset with
 * device_create(), passing props as "k=v,k=v").
 */
#ifndef HW_CORE_DEVICE_H
#define HW_CORE_DEVICE_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hw/core/irq.h"

typedef struct Device Device;
typedef struct DeviceClass DeviceClass;

typedef enum PropType {
    PROP_BOOL,
    PROP_U8,
    PROP_U16,
    PROP_U32,
    PROP_U64,
    PROP_I32,
    PROP_STRING,     /* char * (g_strdup'ed) */
    PROP_CHARDEV,    /* struct Chardev * looked up by id */
    PROP_SIZE,       /* uint64_t with K/M/G suffixes */
    PROP_PCI_ADDR,   /* int32: "slot" or "slot.fn" -> devfn, -1 = auto */
    PROP_NETDEV,     /* struct NetClientState * : a -netdev backend by id, not yet in use */
    PROP_MACADDR,    /* MACAddr (net/net.h): "52:54:00:12:34:56" */
    PROP_DRIVE,      /* struct BlockBackend * : a drive by id (-drive id=, if=none); the
                      * device must blk_attach_dev it in realize (one device per drive) */
} PropType;

typedef struct Property {
    const char *name;
    PropType type;
    size_t offset;          /* offsetof(Instance, field) */
    const char *defval;     /* textual default applied by device_new, or NULL */
    const char *desc;
} Property;

#define DEFINE_PROP(_name, _type, _struct, _field, _def) \
    { .name = (_name), .type = (_type), .offset = offsetof(_struct, _field), .defval = (_def) }
#define DEFINE_PROP_END { .name = NULL }

typedef enum DeviceBus { BUS_NONE, BUS_ISA, BUS_PCI, BUS_SYSTEM } DeviceBus;

/*
 * Hot-plug, as QEMU's device_add/device_del: the bus a device sits on
 * points dev->hotplug at its controller's handler when it realizes the
 * device (the PCI bus: the ACPI PCI hot-plug registers of the PIIX4 PM).
 * device_del asks the controller to tell the guest (unplug_request); the
 * guest's eject, or a machine reset, completes it with device_unplug().
 */
typedef struct HotplugHandler {
    /* dev was realized while the machine runs: tell the guest. */
    void (*plug)(void *opaque, Device *dev);
    /* Ask the guest to release dev. */
    bool (*unplug_request)(void *opaque, Device *dev, GError **errp);
    void *opaque;
} HotplugHandler;

struct DeviceClass {
    const char *name;             /* "-device" name */
    const char *desc;
    DeviceBus bus;
    size_t instance_size;         /* >= sizeof(Device), Device first */
    const Property *props;
    bool user_creatable;          /* may appear in -device */
    /* Called once after properties are set; report failure in *errp. */
    bool (*realize)(Device *dev, GError **errp);
    /* Undo realize (hot-unplug): give back every resource the bus and
     * the device took (ports, BARs, slot, drive, NIC, timers, bottom
     * halves).  Classes that have it and set hotpluggable may be
     * device_add'ed and device_del'ed. */
    void (*unrealize)(Device *dev);
    bool hotpluggable;
    /* Cold reset to power-on state (machine reset, system_reset). */
    void (*reset)(Device *dev);
    /* One-line state summary for "info qtree" (optional). */
    void (*print_info)(Device *dev, GString *out);
};

struct Device {
    const DeviceClass *cls;
    char *id;                     /* "id=" property, may be NULL */
    bool realized;
    /* GPIO lines, QEMU-qdev style but unnamed: inputs are lines others
     * drive into this device; outputs are the device's own IRQ fields that
     * the machine points at someone else's input. */
    IRQ *gpio_in;
    int n_gpio_in;
    IRQ **gpio_out;               /* pointers to the device's IRQ fields */
    int n_gpio_out;
    const HotplugHandler *hotplug; /* set by the bus at realize; NULL: no hot-plug there */
    unsigned anon_index;          /* without id=: N in /machine/peripheral-anon/device[N] */
};

/* Inputs 0..n-1 call handler(dev, n, level). */
void device_init_gpio_in(Device *dev, IRQHandler handler, int n);
/* Register the device's own IRQ fields pins[0..n-1] as outputs 0..n-1. */
void device_init_gpio_out(Device *dev, IRQ *pins, int n);
IRQ device_get_gpio_in(Device *dev, int n);
void device_connect_gpio_out(Device *dev, int n, IRQ target);

void device_class_register(const DeviceClass *cls);
const DeviceClass *device_class_find(const char *name);
/* Iterate over all registered classes (for -device help). */
void device_class_foreach(void (*fn)(const DeviceClass *cls, void *opaque), void *opaque);

/* -global: DRIVER.PROP=VALUE or driver=D,property=P,value=V, applied by
 * device_new to every later device of that driver.  An unknown driver is a
 * warning (as QEMU); a bad property or value fails when such a device is
 * created. */
bool device_add_global(const char *spec, GError **errp);
/* A machine version's compatibility default for DRIVER.PROP, below every
 * -global (QEMU's compat properties). */
void device_add_compat_global(const char *driver, const char *prop, const char *value);
/* Allocates instance_size zeroed bytes and applies property defaults, then
 * the -global properties for its driver. */
Device *device_new(const char *type, GError **errp);
bool device_set_prop(Device *dev, const char *name, const char *value, GError **errp);
/* Parse "k=v,k=v" (QEMU option syntax, ",," escapes a comma). */
bool device_set_props_str(Device *dev, const char *opts, GError **errp);
bool device_realize(Device *dev, GError **errp);
/* Free a device that was never realized (or whose realize failed): its
 * string properties, id and instance.  A device that failed to realize has
 * registered nothing (realize must undo its own partial work). */
void device_free_unrealized(Device *dev);
/* new + props + realize; on error prints one line naming the problem and exits 1. */
Device *device_create(const char *type, const char *opts);

/* device_add: realize a device of a hotpluggable class while the machine
 * runs and tell the guest through its bus's hot-plug controller.  On
 * failure the device is freed and *errp says why. */
bool device_hotplug(Device *dev, GError **errp);
/* device_del: ask the guest to release the device (completion, possibly
 * much later, emits DEVICE_DELETED). */
bool device_unplug_request(Device *dev, GError **errp);
/* Complete a hot-unplug: unrealize, forget, free, emit QMP DEVICE_DELETED. */
void device_unplug(Device *dev);
/* QOM-style path QEMU gives a -device/device_add device:
 * /machine/peripheral/ID or /machine/peripheral-anon/device[N] (g_free it). */
char *device_qom_path(const Device *dev);

/* All realized devices in creation order; reset walks them. */
void device_foreach(void (*fn)(Device *dev, void *opaque), void *opaque);
void devices_reset_all(void);
Device *device_find_by_id(const char *id);

#define DEVICE_REGISTER(cls) \
    static void __attribute__((constructor)) device_register_##cls(void) \
    { device_class_register(&(cls)); }

#define DEVICE_CAST(type, dev) ((type *)(dev))

/* Error helper (VIREO_ERROR, vireo_set_error) */
#include "util/error.h"

#endif
