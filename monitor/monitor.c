/*
 * Monitor objects: binding to chardevs (input, OPENED/CLOSED and mux focus
 * events), output, and the -qmp/-monitor/-mon command-line options.
 * The protocols live in qmp.c and hmp.c.
 */
#include "monitor/monitor-int.h"

#include <stdio.h>
#include <string.h>

#include "hw/core/device.h"

GPtrArray *monitor_list;
static char *vm_name;

typedef struct MonOpt {
    bool qmp;
    bool pretty;
    char *spec;        /* chardev spec (-qmp/-monitor) */
    char *chardev_id;  /* -mon chardev=ID */
} MonOpt;
static GPtrArray *mon_opts;

void monitor_set_vm_name(const char *name)
{
    g_free(vm_name);
    /* -name [guest=]NAME[,process=...][,debug-threads=...] */
    gchar **parts = g_strsplit(name, ",", -1);
    vm_name = NULL;
    for (gchar **p = parts; *p; p++) {
        if (g_str_has_prefix(*p, "guest=")) {
            vm_name = g_strdup(*p + 6);
        } else if (p == parts && !strchr(*p, '=')) {
            vm_name = g_strdup(*p);
        }
    }
    g_strfreev(parts);
}

const char *monitor_vm_name(void)
{
    return vm_name;
}

void monitor_write(Monitor *mon, const char *buf, size_t len)
{
    if (mon->out_fn) {
        mon->out_fn(mon->out_opaque, buf, len);
    } else if (mon->chr && len && chardev_write(mon->chr, (const uint8_t *)buf, (int)len) == 0) {
        /* the client stopped reading: bounded output, so it goes */
        chardev_drop_peer(mon->chr, "output buffer full (the client is not reading)");
    }
}

void monitor_puts(Monitor *mon, const char *s)
{
    GString *o = g_string_sized_new(strlen(s) + 16);
    for (; *s; s++) {
        if (*s == '\n') {
            g_string_append_c(o, '\r');
        }
        g_string_append_c(o, *s);
    }
    monitor_write(mon, o->str, o->len);
    g_string_free(o, TRUE);
}

static Monitor *monitor_alloc(bool qmp)
{
    Monitor *mon = g_new0(Monitor, 1);
    mon->is_qmp = qmp;
    mon->msg = g_string_new(NULL);
    mon->line = g_string_new(NULL);
    if (!monitor_list) {
        monitor_list = g_ptr_array_new();
    }
    g_ptr_array_add(monitor_list, mon);
    return mon;
}

void monitor_reset(Monitor *mon)
{
    mon->generation++;
    mon->negotiated = false;
    g_string_truncate(mon->msg, 0);
    mon->depth = 0;
    mon->in_str = mon->in_sq = mon->esc = false;
    mon->recovering = false;
    g_string_truncate(mon->line, 0);
    mon->esc_state = 0;
    mon->last_cr = false;
}

void monitor_free(Monitor *mon)
{
    if (monitor_list) {
        g_ptr_array_remove(monitor_list, mon);
    }
    g_string_free(mon->msg, TRUE);
    g_string_free(mon->line, TRUE);
    g_free(mon);
}

void monitor_feed(Monitor *mon, const uint8_t *buf, size_t len)
{
    if (mon->is_qmp) {
        qmp_feed(mon, buf, len);
    } else {
        hmp_feed(mon, buf, len);
    }
}

static int mon_can_read(void *opaque)
{
    return 4096;
}

static void mon_read(void *opaque, const uint8_t *buf, int len)
{
    monitor_feed(opaque, buf, len);
}

static void mon_event(void *opaque, int event)
{
    Monitor *mon = opaque;
    switch (event) {
    case CHR_EVENT_OPENED:
        monitor_reset(mon);
        if (mon->is_qmp) {
            qmp_greet(mon);
        } else if (!mon->on_mux || chardev_frontend_focused(mon->chr, mon)) {
            mon->focused = true;
            hmp_greet(mon);
        }
        break;
    case CHR_EVENT_CLOSED:
        /* the next peer negotiates afresh */
        monitor_reset(mon);
        break;
    case CHR_EVENT_MUX_IN:
        mon->focused = true;
        hmp_greet(mon);
        break;
    case CHR_EVENT_MUX_OUT:
        mon->focused = false;
        break;
    }
}

static Monitor *monitor_attach(Monitor *mon, Chardev *chr, GError **errp)
{
    mon->chr = chr;
    mon->on_mux = chardev_is_mux(chr);
    if (!chardev_set_handlers(chr, mon_can_read, mon_read, mon, errp) ||
        !chardev_set_event_handler(chr, mon_event, mon, errp)) {
        chardev_remove_frontend(chr, mon);
        monitor_free(mon);
        return NULL;
    }
    return mon;
}

Monitor *monitor_new_qmp(Chardev *chr, bool pretty, GError **errp)
{
    Monitor *mon = monitor_alloc(true);
    mon->pretty = pretty;
    return monitor_attach(mon, chr, errp);
}

Monitor *monitor_new_hmp(Chardev *chr, GError **errp)
{
    return monitor_attach(monitor_alloc(false), chr, errp);
}

Monitor *monitor_new_qmp_custom(MonitorOutFn fn, void *opaque)
{
    Monitor *mon = monitor_alloc(true);
    mon->out_fn = fn;
    mon->out_opaque = opaque;
    qmp_greet(mon);
    return mon;
}

Monitor *monitor_new_hmp_custom(MonitorOutFn fn, void *opaque)
{
    Monitor *mon = monitor_alloc(false);
    mon->out_fn = fn;
    mon->out_opaque = opaque;
    mon->focused = true;
    hmp_greet(mon);
    return mon;
}

/* ---- command line ---- */

static void add_opt(bool qmp, bool pretty, const char *spec, const char *id)
{
    if (!mon_opts) {
        mon_opts = g_ptr_array_new();
    }
    MonOpt *o = g_new0(MonOpt, 1);
    o->qmp = qmp;
    o->pretty = pretty;
    o->spec = g_strdup(spec);
    o->chardev_id = g_strdup(id);
    g_ptr_array_add(mon_opts, o);
}

bool monitor_parse_qmp(const char *spec, GError **errp)
{
    add_opt(true, false, spec, NULL);
    return true;
}

bool monitor_parse_hmp(const char *spec, GError **errp)
{
    add_opt(false, false, spec, NULL);
    return true;
}

bool monitor_parse_mon(const char *opts, GError **errp)
{
    gchar **parts = g_strsplit(opts, ",", -1);
    const char *id = NULL;
    bool qmp = false, pretty = false, ok = true;
    for (gchar **p = parts; *p && ok; p++) {
        char *eq = strchr(*p, '=');
        const char *val = eq ? eq + 1 : "on";
        if (eq) {
            *eq = 0;
        }
        if (!strcmp(*p, "chardev") || (p == parts && !eq)) {
            id = eq ? val : *p;
        } else if (!strcmp(*p, "mode")) {
            if (!strcmp(val, "control")) {
                qmp = true;
            } else if (!strcmp(val, "readline")) {
                qmp = false;
            } else {
                vireo_set_error(errp, "invalid monitor mode '%s' (control or readline)", val);
                ok = false;
            }
        } else if (!strcmp(*p, "pretty")) {
            pretty = !strcmp(val, "on");
        } else if (!strcmp(*p, "id") || !strcmp(*p, "default")) {
            /* accepted */
        } else {
            vireo_set_error(errp, "unknown monitor option '%s'", *p);
            ok = false;
        }
    }
    if (ok && !id) {
        vireo_set_error(errp, "parameter 'chardev' is missing");
        ok = false;
    }
    if (ok) {
        add_opt(qmp, pretty, NULL, id);
    }
    g_strfreev(parts);
    return ok;
}

bool monitor_cmdline_given(void)
{
    return mon_opts && mon_opts->len;
}

bool monitor_init_cmdline(GError **errp)
{
    static int compat;
    for (unsigned i = 0; mon_opts && i < mon_opts->len; i++) {
        MonOpt *o = g_ptr_array_index(mon_opts, i);
        Chardev *chr;
        if (o->chardev_id) {
            chr = chardev_find(o->chardev_id);
            if (!chr) {
                vireo_set_error(errp, "-mon: chardev '%s' not found", o->chardev_id);
                return false;
            }
        } else {
            /* QEMU names these chardevs compat_monitorN */
            char label[32];
            snprintf(label, sizeof(label), "compat_monitor%d", compat++);
            GError *err = NULL;
            chr = chardev_new_from_spec(o->spec, label, &err);
            if (!chr) {
                if (err) {
                    vireo_set_error(errp, "%s %s: %s", o->qmp ? "-qmp" : "-monitor", o->spec,
                                    err->message);
                    g_error_free(err);
                    return false;
                }
                continue;      /* "none" */
            }
        }
        if (!(o->qmp ? monitor_new_qmp(chr, o->pretty, errp) : monitor_new_hmp(chr, errp))) {
            return false;
        }
    }
    return true;
}

void monitor_generic_error(GError **errp, GError *local)
{
    g_set_error_literal(errp, QMP_ERROR, QMP_ERR_GENERIC, local->message);
    g_error_free(local);
}
