/*
 * Inside the monitor: the Monitor object shared by monitor.c (chardev glue,
 * command line), qmp.c (JSON stream, dispatch, events), qmp-cmds.c and hmp.c.
 */
#ifndef MONITOR_MONITOR_INT_H
#define MONITOR_MONITOR_INT_H

#include "monitor/monitor.h"

struct Monitor {
    bool is_qmp;
    Chardev *chr;             /* NULL for a custom-output monitor */
    MonitorOutFn out_fn;
    void *out_opaque;
    unsigned generation;      /* bumped by monitor_reset: stop using old input */

    /* QMP */
    bool pretty;
    bool negotiated;          /* qmp_capabilities done: commands and events */
    GString *msg;             /* the JSON value being framed */
    int depth;                /* {[ nesting of msg */
    bool in_str, esc;         /* inside a string / after a backslash */
    bool recovering;            /* after a lexical error: skip to a resync point */
    bool in_sq;               /* inside a 'single-quoted' string */

    /* HMP */
    bool on_mux;              /* shares the stdio mux: greet on Ctrl-A c */
    bool greeted;
    bool focused;
    GString *line;
    int esc_state;            /* swallowing an ANSI escape sequence */
    bool last_cr;
};

/* All monitors, for events. */
extern GPtrArray *monitor_list;

void monitor_write(Monitor *mon, const char *buf, size_t len);
/* HMP output: '\n' becomes "\r\n" as terminals and socat expect. */
void monitor_puts(Monitor *mon, const char *s);

/* qmp.c */
void qmp_greet(Monitor *mon);
void qmp_feed(Monitor *mon, const uint8_t *buf, size_t len);

/* QMP error classes (GError codes in QMP_ERROR). */
#define QMP_ERROR (qmp_error_quark())
GQuark qmp_error_quark(void);
typedef enum {
    QMP_ERR_GENERIC,
    QMP_ERR_COMMAND_NOT_FOUND,
    QMP_ERR_DEVICE_NOT_FOUND,
    QMP_ERR_DEVICE_NOT_ACTIVE,
    QMP_ERR_KVM_MISSING_CAP,
} QmpErrorClass;

/* qmp-cmds.c: a command gets its (validated) arguments and returns the
 * "return" value (NULL means {}), or sets *errp. */
typedef JsonNode *(*QmpHandler)(Monitor *mon, JsonObject *args, GError **errp);
typedef struct QmpCommand {
    const char *name;
    QmpHandler fn;
    /* "name:type" per argument, type s(tring) b(ool) i(nt) a(ny); a
     * leading '?' marks it optional: "device:s ?force:b" */
    const char *args;
} QmpCommand;
const QmpCommand *qmp_find_command(const char *name);
void qmp_foreach_command(void (*fn)(const QmpCommand *c, void *opaque), void *opaque);

/* LOCAL (a Vireo error, consumed) as a QMP GenericError with its text. */
void monitor_generic_error(GError **errp, GError *local);

/* Shared by QMP and HMP */
void monitor_do_system_powerdown(GError **errp);
bool monitor_do_cont(GError **errp);
/* block-cmds.c */
bool monitor_do_block_resize(const char *device, const char *node_name, int64_t size,
                             GError **errp);
bool monitor_do_eject(const char *device, const char *id, bool force, GError **errp);
bool monitor_do_change_medium(const char *device, const char *id, const char *filename,
                              const char *format, const char *ro_mode, GError **errp);
JsonNode *monitor_query_block(void);
JsonNode *monitor_query_blockstats(void);
bool monitor_blockdev_add(JsonObject *args, GError **errp);
bool monitor_blockdev_del(const char *node_name, GError **errp);
JsonNode *monitor_query_named_block_nodes(void);
void hmp_info_block(GString *out);
void hmp_info_blockstats(GString *out);
void hmp_commit(const char *device, GString *out);
void hmp_qemu_io(const char *args, GString *out);
/* DEVICE: a display device's id (NULL: the first console); FORMAT "ppm"
 * (NULL) or "png" */
bool monitor_do_screendump(const char *filename, const char *device, const char *format,
                           GError **errp);
void monitor_version(int *major, int *minor, int *micro);

/* device-cmds.c: hot-plug */
bool monitor_device_add_json(JsonObject *args, GError **errp);
bool monitor_device_add_str(const char *spec, GError **errp);
bool monitor_device_del(const char *id, GError **errp);
bool monitor_drive_add(const char *opts, GError **errp);

/* input-cmds.c */
JsonNode *qmp_cmd_send_key(Monitor *mon, JsonObject *args, GError **errp);
JsonNode *qmp_cmd_input_send_event(Monitor *mon, JsonObject *args, GError **errp);
void hmp_sendkey(const char *args, GString *out);
void hmp_mouse_move(const char *args, GString *out);
void hmp_mouse_button(const char *args, GString *out);

/* hmp.c */
void hmp_feed(Monitor *mon, const uint8_t *buf, size_t len);
void hmp_greet(Monitor *mon);

#endif
