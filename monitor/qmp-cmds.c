/*
 * QMP commands.  Each returns its "return" value as a JsonNode (NULL for
 * {}) or sets a QMP_ERROR; arguments were checked against the table.
 * Reply shapes follow QEMU's QAPI schema, so clients parse them unchanged.
 */
#include "accel/accel.h"
#include "monitor/monitor-int.h"
#include "ui/console.h"

#include <string.h>
#include <unistd.h>

#include "config-host.h"
#include "hw/core/iostats.h"
#include "hw/i386/pc.h"
#include "hw/pci/pci.h"
#include "net/net.h"
#include "system/runstate.h"
#include "ui/vnc.h"

static JsonNode *node_obj(JsonObject *o)
{
    JsonNode *n = json_node_new(JSON_NODE_OBJECT);
    json_node_take_object(n, o);
    return n;
}

static JsonNode *node_arr(JsonArray *a)
{
    JsonNode *n = json_node_new(JSON_NODE_ARRAY);
    json_node_take_array(n, a);
    return n;
}

static JsonNode *cmd_qmp_capabilities(Monitor *mon, JsonObject *args, GError **errp)
{
    if (json_object_has_member(args, "enable")) {
        JsonNode *en = json_object_get_member(args, "enable");
        if (!JSON_NODE_HOLDS_ARRAY(en)) {
            g_set_error(errp, QMP_ERROR, QMP_ERR_GENERIC,
                        "Invalid parameter type for 'enable', expected: array");
            return NULL;
        }
        JsonArray *a = json_node_get_array(en);
        for (guint i = 0; i < json_array_get_length(a); i++) {
            JsonNode *e = json_array_get_element(a, i);
            const char *cap = JSON_NODE_HOLDS_VALUE(e) && json_node_get_value_type(e) == G_TYPE_STRING
                              ? json_node_get_string(e) : "?";
            g_set_error(errp, QMP_ERROR, QMP_ERR_GENERIC,
                        "Capability '%s' not available on this monitor", cap);
            return NULL;
        }
    }
    mon->negotiated = true;
    return NULL;
}

static JsonNode *cmd_query_version(Monitor *mon, JsonObject *args, GError **errp)
{
    int major, minor, micro;
    monitor_version(&major, &minor, &micro);
    JsonObject *q = json_object_new();
    json_object_set_int_member(q, "micro", micro);
    json_object_set_int_member(q, "minor", minor);
    json_object_set_int_member(q, "major", major);
    JsonObject *v = json_object_new();
    json_object_set_object_member(v, "qemu", q);
    json_object_set_string_member(v, "package", "Vireo " VIREO_VERSION);
    return node_obj(v);
}

static JsonNode *cmd_query_status(Monitor *mon, JsonObject *args, GError **errp)
{
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "status", runstate_name(runstate_get()));
    json_object_set_boolean_member(o, "singlestep", false);
    json_object_set_boolean_member(o, "running", vm_running());
    return node_obj(o);
}

static void add_command_name(const QmpCommand *c, void *opaque)
{
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "name", c->name);
    json_array_add_object_element(opaque, o);
}

static JsonNode *cmd_query_commands(Monitor *mon, JsonObject *args, GError **errp)
{
    JsonArray *a = json_array_new();
    qmp_foreach_command(add_command_name, a);
    return node_arr(a);
}

static JsonNode *cmd_query_name(Monitor *mon, JsonObject *args, GError **errp)
{
    JsonObject *o = json_object_new();
    if (monitor_vm_name()) {
        json_object_set_string_member(o, "name", monitor_vm_name());
    }
    return node_obj(o);
}

/* The machine types Vireo builds, in QEMU's query-machines form (test
 * harnesses such as libqtest ask which machines exist before using one). */
static JsonNode *cmd_query_machines(Monitor *mon, JsonObject *args, GError **errp)
{
    static const struct { const char *name, *alias, *desc; bool def; int cpu_max; } m[] = {
        { "pc-i440fx-7.2", "pc", "Standard PC (i440FX + PIIX, 1996)", true, PC_MAX_CPUS },
        { "pc-q35-7.2", "q35", "Standard PC (Q35 + ICH9, 2009)", false, PC_MAX_CPUS },
        { "none", NULL, "empty machine", false, 1 },
    };
    JsonArray *a = json_array_new();
    for (size_t i = 0; i < G_N_ELEMENTS(m); i++) {
        JsonObject *o = json_object_new();
        json_object_set_string_member(o, "name", m[i].name);
        if (m[i].alias) {
            json_object_set_string_member(o, "alias", m[i].alias);
        }
        if (m[i].def) {
            json_object_set_boolean_member(o, "is-default", TRUE);
        }
        json_object_set_int_member(o, "cpu-max", m[i].cpu_max);
        json_object_set_boolean_member(o, "hotpluggable-cpus", FALSE);
        json_object_set_boolean_member(o, "numa-mem-supported", FALSE);
        json_object_set_boolean_member(o, "deprecated", FALSE);
        if (m[i].def) {
            json_object_set_string_member(o, "default-cpu-type", "qemu64-x86_64-cpu");
            json_object_set_string_member(o, "default-ram-id", "pc.ram");
        }
        json_array_add_object_element(a, o);
    }
    return node_arr(a);
}

static JsonNode *cmd_stop(Monitor *mon, JsonObject *args, GError **errp)
{
    vm_stop();
    return NULL;
}

bool monitor_do_cont(GError **errp)
{
    RunState st = runstate_get();
    /* a guest that powered off or panicked cannot just go on */
    if (st == RUN_STATE_SHUTDOWN || st == RUN_STATE_GUEST_PANICKED) {
        g_set_error(errp, QMP_ERROR, QMP_ERR_GENERIC, "Resetting the Virtual Machine is required");
        return false;
    }
    vm_start();
    return true;
}

static JsonNode *cmd_cont(Monitor *mon, JsonObject *args, GError **errp)
{
    monitor_do_cont(errp);
    return NULL;
}

static JsonNode *cmd_system_reset(Monitor *mon, JsonObject *args, GError **errp)
{
    system_reset_request(SHUTDOWN_CAUSE_HOST_QMP_SYSTEM_RESET);
    return NULL;
}

void monitor_do_system_powerdown(GError **errp)
{
    /* the PIIX4 PM power button: an ACPI guest shuts itself down */
    qmp_event_send("POWERDOWN", NULL);
    pc_system_powerdown();
}

static JsonNode *cmd_system_powerdown(Monitor *mon, JsonObject *args, GError **errp)
{
    monitor_do_system_powerdown(errp);
    return NULL;
}

static JsonNode *cmd_quit(Monitor *mon, JsonObject *args, GError **errp)
{
    /* the main loop sends SHUTDOWN and exits after this reply is out */
    system_shutdown_request(SHUTDOWN_CAUSE_HOST_QMP_QUIT);
    return NULL;
}

static JsonNode *cmd_query_cpus_fast(Monitor *mon, JsonObject *args, GError **errp)
{
    JsonArray *a = json_array_new();
    JsonObject *props = json_object_new();
    json_object_set_int_member(props, "core-id", 0);
    json_object_set_int_member(props, "thread-id", 0);
    json_object_set_int_member(props, "socket-id", 0);
    JsonObject *cpu = json_object_new();
    json_object_set_int_member(cpu, "cpu-index", 0);
    json_object_set_string_member(cpu, "qom-path", "/machine/unattached/device[0]");
    /* one thread runs the CPU and the main loop */
    json_object_set_int_member(cpu, "thread-id", getpid());
    json_object_set_object_member(cpu, "props", props);
    json_object_set_string_member(cpu, "target", "x86_64");
    json_array_add_object_element(a, cpu);
    return node_arr(a);
}

static JsonNode *cmd_query_block(Monitor *mon, JsonObject *args, GError **errp)
{
    return monitor_query_block();
}

static JsonNode *cmd_query_blockstats(Monitor *mon, JsonObject *args, GError **errp)
{
    return monitor_query_blockstats();
}

static const char *pci_class_desc(uint16_t cls)
{
    switch (cls) {
    case 0x0101: return "IDE controller";
    case 0x0200: return "Ethernet controller";
    case 0x0300: return "VGA controller";
    case 0x0600: return "Host bridge";
    case 0x0601: return "ISA bridge";
    case 0x0680: return "Bridge";
    case 0x0c03: return "USB controller";
    default: return NULL;
    }
}

static void pci_dev_json(PCIDevice *d, void *opaque)
{
    JsonArray *devs = opaque;
    JsonObject *o = json_object_new();
    uint16_t cls = pci_get_word(d->config + PCI_CLASS_DEVICE);
    json_object_set_int_member(o, "bus", 0);
    json_object_set_int_member(o, "slot", PCI_SLOT(d->devfn));
    json_object_set_int_member(o, "function", PCI_FUNC(d->devfn));
    JsonObject *ci = json_object_new();
    if (pci_class_desc(cls)) {
        json_object_set_string_member(ci, "desc", pci_class_desc(cls));
    }
    json_object_set_int_member(ci, "class", cls);
    json_object_set_object_member(o, "class_info", ci);
    JsonObject *id = json_object_new();
    json_object_set_int_member(id, "device", pci_get_word(d->config + PCI_DEVICE_ID));
    json_object_set_int_member(id, "vendor", pci_get_word(d->config + PCI_VENDOR_ID));
    json_object_set_int_member(id, "subsystem", pci_get_word(d->config + PCI_SUBSYSTEM_ID));
    json_object_set_int_member(id, "subsystem-vendor",
                               pci_get_word(d->config + PCI_SUBSYSTEM_VENDOR_ID));
    json_object_set_object_member(o, "id", id);
    if (d->config[PCI_INTERRUPT_PIN]) {
        json_object_set_int_member(o, "irq", d->config[PCI_INTERRUPT_LINE]);
        json_object_set_int_member(o, "irq_pin", d->config[PCI_INTERRUPT_PIN]);
    }
    json_object_set_string_member(o, "qdev_id", d->qdev.id ? d->qdev.id : "");
    JsonArray *regions = json_array_new();
    for (int i = 0; i < PCI_NUM_BARS; i++) {
        PCIBar *b = &d->bars[i];
        if (!b->mr) {
            continue;
        }
        JsonObject *r = json_object_new();
        json_object_set_int_member(r, "bar", i);
        bool io = b->type & PCI_BAR_IO;
        json_object_set_string_member(r, "type", io ? "io" : "memory");
        json_object_set_int_member(r, "address", b->mapped ? (gint64)b->addr : -1);
        json_object_set_int_member(r, "size", b->size);
        if (!io) {
            json_object_set_boolean_member(r, "prefetch", false);
            json_object_set_boolean_member(r, "mem_type_64", b->type & PCI_BAR_MEM64);
        }
        json_array_add_object_element(regions, r);
    }
    json_object_set_array_member(o, "regions", regions);
    json_array_add_object_element(devs, o);
}

static JsonNode *cmd_query_pci(Monitor *mon, JsonObject *args, GError **errp)
{
    JsonArray *buses = json_array_new();
    PCIBus *bus = pci_default_bus();
    if (bus) {
        JsonArray *devs = json_array_new();
        pci_bus_foreach(bus, pci_dev_json, devs);
        JsonObject *b = json_object_new();
        json_object_set_int_member(b, "bus", 0);
        json_object_set_array_member(b, "devices", devs);
        json_array_add_object_element(buses, b);
    }
    return node_arr(buses);
}

static void chardev_json(const char *id, Chardev *chr, void *opaque)
{
    JsonObject *o = json_object_new();
    g_autofree char *fn = chardev_filename(chr);
    json_object_set_boolean_member(o, "frontend-open", chardev_is_open(chr));
    json_object_set_string_member(o, "filename", fn);
    json_object_set_string_member(o, "label", id);
    json_array_add_object_element(opaque, o);
}

static JsonNode *cmd_query_chardev(Monitor *mon, JsonObject *args, GError **errp)
{
    JsonArray *a = json_array_new();
    chardev_foreach(chardev_json, a);
    return node_arr(a);
}

static JsonNode *cmd_query_kvm(Monitor *mon, JsonObject *args, GError **errp)
{
    JsonObject *o = json_object_new();
    const AccelOps *accel = accel_current();
    json_object_set_boolean_member(o, "enabled", accel && !strcmp(accel->name, "kvm"));
    json_object_set_boolean_member(o, "present", access("/dev/kvm", R_OK | W_OK) == 0);
    return node_obj(o);
}

/* The QOM parent type a device class of ours corresponds to. */
static const char *qom_parent_of(const DeviceClass *cls)
{
    switch (cls->bus) {
    case BUS_ISA: return "isa-device";
    case BUS_PCI: return "pci-device";
    case BUS_SYSTEM: return "sys-bus-device";
    default: return "device";
    }
}

typedef struct {
    JsonArray *out;
    const char *implements;
} ListTypes;

static void list_device_type(const DeviceClass *cls, void *opaque)
{
    ListTypes *lt = opaque;
    const char *parent = qom_parent_of(cls);
    if (lt->implements && strcmp(lt->implements, "device") && strcmp(lt->implements, parent)) {
        return;
    }
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "name", cls->name);
    json_object_set_string_member(o, "parent", parent);
    json_array_add_object_element(lt->out, o);
}

/*
 * qom-list-types: the device types (libqtest's qtest_has_device() asks with
 * implements=device).  Vireo has no abstract types to list.
 */
static JsonNode *cmd_qom_list_types(Monitor *mon, JsonObject *args, GError **errp)
{
    ListTypes lt = {
        .out = json_array_new(),
        .implements = json_object_has_member(args, "implements")
                      ? json_object_get_string_member(args, "implements") : NULL,
    };
    device_class_foreach(list_device_type, &lt);
    return node_arr(lt.out);
}

static JsonNode *cmd_human_monitor_command(Monitor *mon, JsonObject *args, GError **errp)
{
    if (json_object_has_member(args, "cpu-index") &&
        json_object_get_int_member(args, "cpu-index") != 0) {
        g_set_error(errp, QMP_ERROR, QMP_ERR_GENERIC,
                    "Parameter 'cpu-index' expects a CPU number (this machine has CPU 0 only)");
        return NULL;
    }
    GString *out = g_string_new(NULL);
    hmp_execute_line(json_object_get_string_member(args, "command-line"), out);
    /* the same "\r\n" line ends a human monitor prints */
    GString *crlf = g_string_new(NULL);
    for (const char *p = out->str; *p; p++) {
        if (*p == '\n') {
            g_string_append_c(crlf, '\r');
        }
        g_string_append_c(crlf, *p);
    }
    JsonNode *n = json_node_new(JSON_NODE_VALUE);
    json_node_set_string(n, crlf->str);
    g_string_free(crlf, TRUE);
    g_string_free(out, TRUE);
    return n;
}

/* No drives exist yet: every device name is unknown, as in QEMU. */
static const char *device_or_id(JsonObject *args, GError **errp)
{
    bool has_dev = json_object_has_member(args, "device");
    bool has_id = json_object_has_member(args, "id");
    if (has_dev == has_id) {
        g_set_error(errp, QMP_ERROR, QMP_ERR_GENERIC, "Need exactly one of 'device' and 'id'");
        return NULL;
    }
    return json_object_get_string_member(args, has_dev ? "device" : "id");
}

static const char *opt_str(JsonObject *args, const char *key)
{
    return json_object_has_member(args, key) ? json_object_get_string_member(args, key) : NULL;
}

static int64_t opt_int(JsonObject *args, const char *key, int64_t def)
{
    return json_object_has_member(args, key) ? json_object_get_int_member(args, key) : def;
}

static JsonNode *cmd_eject(Monitor *mon, JsonObject *args, GError **errp)
{
    if (device_or_id(args, errp)) {
        bool force = json_object_has_member(args, "force") &&
                     json_object_get_boolean_member(args, "force");
        monitor_do_eject(opt_str(args, "device"), opt_str(args, "id"), force, errp);
    }
    return NULL;
}

static JsonNode *cmd_block_resize(Monitor *mon, JsonObject *args, GError **errp)
{
    monitor_do_block_resize(opt_str(args, "device"), opt_str(args, "node-name"),
                            json_object_get_int_member(args, "size"), errp);
    return NULL;
}

static JsonNode *cmd_blockdev_add(Monitor *mon, JsonObject *args, GError **errp)
{
    monitor_blockdev_add(args, errp);
    return NULL;
}

static JsonNode *cmd_blockdev_del(Monitor *mon, JsonObject *args, GError **errp)
{
    monitor_blockdev_del(json_object_get_string_member(args, "node-name"), errp);
    return NULL;
}

static JsonNode *cmd_device_add(Monitor *mon, JsonObject *args, GError **errp)
{
    monitor_device_add_json(args, errp);
    return NULL;
}

static JsonNode *cmd_device_del(Monitor *mon, JsonObject *args, GError **errp)
{
    monitor_device_del(json_object_get_string_member(args, "id"), errp);
    return NULL;
}

static JsonNode *cmd_query_named_block_nodes(Monitor *mon, JsonObject *args, GError **errp)
{
    return monitor_query_named_block_nodes();
}

static JsonNode *cmd_blockdev_change_medium(Monitor *mon, JsonObject *args, GError **errp)
{
    if (device_or_id(args, errp)) {
        monitor_do_change_medium(opt_str(args, "device"), opt_str(args, "id"),
                                 opt_str(args, "filename"), opt_str(args, "format"),
                                 opt_str(args, "read-only-mode"), errp);
    }
    return NULL;
}

bool monitor_do_screendump(const char *filename, const char *device, const char *format,
                           GError **errp)
{
    int index = 0;
    if (device) {
        index = console_index_by_name(device);
        if (index < 0) {
            g_set_error(errp, QMP_ERROR, QMP_ERR_DEVICE_NOT_FOUND, "Device '%s' not found", device);
            return false;
        }
    }
    GError *local = NULL;
    if (!console_screendump(filename, index, format, &local)) {
        monitor_generic_error(errp, local);
        return false;
    }
    return true;
}

static JsonNode *cmd_screendump(Monitor *mon, JsonObject *args, GError **errp)
{
    monitor_do_screendump(json_object_get_string_member(args, "filename"),
                          opt_str(args, "device"), opt_str(args, "format"), errp);
    return NULL;
}

static JsonArray *hist_json(const uint64_t *h, const char *bound, bool size)
{
    JsonArray *a = json_array_new();
    for (unsigned b = 0; b < IOSTATS_HIST; b++) {
        if (!h[b]) {
            continue;
        }
        JsonObject *o = json_object_new();
        if (b < IOSTATS_HIST - 1) {
            /* latency: below 2^b us; size: at most 2^(b+6) bytes */
            json_object_set_int_member(o, bound, (gint64)1 << (size ? b + IOSTATS_SIZE_SHIFT : b));
        }
        json_object_set_int_member(o, "count", (gint64)h[b]);
        json_array_add_object_element(a, o);
    }
    return a;
}

static void iostats_json(const char *name, const char *kind, const IOStats *st,
                         const IOReqStats req[IOREQ__MAX], void *opaque)
{
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "device", name);
    json_object_set_string_member(o, "kind", kind);
    static const char *const fields[] = {
        "exits", "kicks", "kicks-suppressed", "interrupts", "interrupts-coalesced",
        "copy-bytes", "copy-buffers", "bh-runs", "tx-requests", "rx-requests",
        "tx-bytes", "rx-bytes", "rx-coalesced", "device-ns", "device-cpu-ns",
    };
    G_STATIC_ASSERT(G_N_ELEMENTS(fields) == IOSTATS_NFIELDS);
    const uint64_t *v = (const uint64_t *)st;
    for (size_t i = 0; i < IOSTATS_NFIELDS; i++) {
        json_object_set_int_member(o, fields[i], (gint64)v[i]);
    }
    /* per request kind: count, bytes, mean latency and the histograms
     * (non-empty buckets; the last one has no bound) */
    JsonArray *reqs = json_array_new();
    for (unsigned k = 0; k < IOREQ__MAX; k++) {
        const IOReqStats *r = &req[k];
        if (!r->count) {
            continue;
        }
        JsonObject *ro = json_object_new();
        json_object_set_string_member(ro, "kind", iostats_req_kind_name(k));
        json_object_set_int_member(ro, "count", (gint64)r->count);
        json_object_set_int_member(ro, "bytes", (gint64)r->bytes);
        json_object_set_int_member(ro, "latency-ns", (gint64)r->latency_ns);
        json_object_set_int_member(ro, "latency-ns-mean", (gint64)(r->latency_ns / r->count));
        json_object_set_array_member(ro, "latency-histogram",
                                     hist_json(r->latency_hist, "below-us", false));
        json_object_set_array_member(ro, "size-histogram",
                                     hist_json(r->size_hist, "max-bytes", true));
        json_array_add_object_element(reqs, ro);
    }
    json_object_set_array_member(o, "requests", reqs);
    json_array_add_object_element(opaque, o);
}

static JsonNode *cmd_query_iostats(Monitor *mon, JsonObject *args, GError **errp)
{
    JsonArray *a = json_array_new();
    iostats_foreach(iostats_json, a);
    if (json_object_has_member(args, "reset") && json_object_get_boolean_member(args, "reset")) {
        iostats_reset();
    }
    return node_arr(a);
}

static JsonNode *cmd_set_link(Monitor *mon, JsonObject *args, GError **errp)
{
    GError *err = NULL;
    if (!net_set_link(json_object_get_string_member(args, "name"),
                      json_object_get_boolean_member(args, "up"), &err)) {
        g_set_error(errp, QMP_ERROR, QMP_ERR_DEVICE_NOT_FOUND, "%s", err->message);
        g_error_free(err);
    }
    return NULL;
}

/* QEMU's defaults: 50 ms, at most 550, 5 rounds, 100 ms more each */
static JsonNode *cmd_announce_self(Monitor *mon, JsonObject *args, GError **errp)
{
    GError *err = NULL;
    if (json_object_has_member(args, "interfaces")) {
        g_set_error(errp, QMP_ERROR, QMP_ERR_GENERIC,
                    "announce-self: 'interfaces' is not supported (every NIC announces)");
        return NULL;
    }
    if (!net_announce_self(opt_int(args, "initial", 50), opt_int(args, "max", 550),
                           opt_int(args, "rounds", 5), opt_int(args, "step", 100),
                           opt_str(args, "id"), &err)) {
        g_set_error(errp, QMP_ERROR, QMP_ERR_GENERIC, "%s", err->message);
        g_error_free(err);
    }
    return NULL;
}

static JsonNode *cmd_query_vnc(Monitor *mon, JsonObject *args, GError **errp)
{
    return vnc_query_json();
}

static JsonNode *cmd_change_vnc_password(Monitor *mon, JsonObject *args, GError **errp)
{
    GError *err = NULL;
    if (!vnc_set_password(json_object_get_string_member(args, "password"), &err)) {
        monitor_generic_error(errp, err);
    }
    return NULL;
}

static const QmpCommand commands[] = {
    { "qmp_capabilities", cmd_qmp_capabilities, "?enable:a" },
    { "query-version", cmd_query_version, NULL },
    { "query-status", cmd_query_status, NULL },
    { "query-commands", cmd_query_commands, NULL },
    { "query-name", cmd_query_name, NULL },
    { "query-machines", cmd_query_machines, NULL },
    { "query-kvm", cmd_query_kvm, NULL },
    { "qom-list-types", cmd_qom_list_types, "?implements:s ?abstract:b" },
    { "stop", cmd_stop, NULL },
    { "cont", cmd_cont, NULL },
    { "system_reset", cmd_system_reset, NULL },
    { "system_powerdown", cmd_system_powerdown, NULL },
    { "quit", cmd_quit, NULL },
    { "query-cpus-fast", cmd_query_cpus_fast, NULL },
    { "query-block", cmd_query_block, NULL },
    { "query-blockstats", cmd_query_blockstats, "?query-nodes:b" },
    { "query-pci", cmd_query_pci, NULL },
    { "query-chardev", cmd_query_chardev, NULL },
    { "human-monitor-command", cmd_human_monitor_command, "command-line:s ?cpu-index:i" },
    { "eject", cmd_eject, "?device:s ?id:s ?force:b" },
    { "block_resize", cmd_block_resize, "?device:s ?node-name:s size:i" },
    { "blockdev-change-medium", cmd_blockdev_change_medium,
      "?device:s ?id:s filename:s ?format:s ?force:b ?read-only-mode:s" },
    /* blockdev-add's members are BlockdevOptions, checked by block/node.c */
    { "blockdev-add", cmd_blockdev_add, "*" },
    /* device_add's members are the device's properties, checked by it */
    { "device_add", cmd_device_add, "*" },
    { "device_del", cmd_device_del, "id:s" },
    { "blockdev-del", cmd_blockdev_del, "node-name:s" },
    { "query-named-block-nodes", cmd_query_named_block_nodes, "?flat:b" },
    { "set_link", cmd_set_link, "name:s up:b" },
    { "announce-self", cmd_announce_self, "?initial:i ?max:i ?rounds:i ?step:i ?id:s ?interfaces:a" },
    { "send-key", qmp_cmd_send_key, "keys:a ?hold-time:i" },
    { "input-send-event", qmp_cmd_input_send_event, "events:a ?device:s ?head:i" },
    { "query-iostats", cmd_query_iostats, "?reset:b" },
    { "query-vnc", cmd_query_vnc, NULL },
    { "change-vnc-password", cmd_change_vnc_password, "password:s" },
    { "screendump", cmd_screendump, "filename:s ?device:s ?head:i ?format:s" },
};

const QmpCommand *qmp_find_command(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++) {
        if (!strcmp(commands[i].name, name)) {
            return &commands[i];
        }
    }
    return NULL;
}

void qmp_foreach_command(void (*fn)(const QmpCommand *c, void *opaque), void *opaque)
{
    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++) {
        fn(&commands[i], opaque);
    }
}
