/*
 * Monitors: QMP (JSON, for management software) and HMP (the human
 * monitor).  Either kind sits on a chardev (socket, stdio, the stdio mux)
 * or, for tests and human-monitor-command, on an in-process output
 * callback fed with monitor_feed().
 */
#ifndef MONITOR_MONITOR_H
#define MONITOR_MONITOR_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chardev/chardev.h"

typedef struct Monitor Monitor;
typedef void (*MonitorOutFn)(void *opaque, const char *buf, size_t len);

/* Command line: -qmp SPEC, -monitor SPEC, -mon chardev=ID[,mode=control|readline][,pretty=on|off].
 * SPEC is a chardev spec (unix:..., tcp:..., stdio, chardev:ID, none).
 * These only record the option; monitor_init_cmdline() creates the monitors
 * once every -chardev exists.  Errors name the option. */
bool monitor_parse_qmp(const char *spec, GError **errp);
bool monitor_parse_hmp(const char *spec, GError **errp);
bool monitor_parse_mon(const char *opts, GError **errp);
/* True if any -qmp/-monitor/-mon was given (no default monitor then, as QEMU). */
bool monitor_cmdline_given(void);
bool monitor_init_cmdline(GError **errp);

/* A monitor on a chardev (HMP on a mux starts unfocused: banner on Ctrl-A c).
 * NULL with an error if the chardev has too many users.  Output that the
 * client leaves unread beyond the chardev's bound drops the client. */
Monitor *monitor_new_qmp(Chardev *chr, bool pretty, GError **errp);
Monitor *monitor_new_hmp(Chardev *chr, GError **errp);
/* A monitor whose output goes to fn (tests, fuzzing).  QMP greets at once. */
Monitor *monitor_new_qmp_custom(MonitorOutFn fn, void *opaque);
Monitor *monitor_new_hmp_custom(MonitorOutFn fn, void *opaque);
/* Input bytes as if they came from the chardev. */
void monitor_feed(Monitor *mon, const uint8_t *buf, size_t len);
/* Back to the state of a fresh connection (QMP: greeting, negotiation again). */
void monitor_reset(Monitor *mon);
void monitor_free(Monitor *mon);

/* -name */
void monitor_set_vm_name(const char *name);
const char *monitor_vm_name(void);

/* QMP events to every negotiated QMP monitor; data may be NULL (consumed). */
void qmp_event_send(const char *name, JsonObject *data);
/* The run-state events, called by system/runstate.c and the main loop. */
void qmp_event_shutdown(bool guest, const char *reason);
void qmp_event_reset(bool guest, const char *reason);

/* Run one HMP command line, output appended to out (human-monitor-command). */
void hmp_execute_line(const char *line, GString *out);

#endif
