/*
 * QMP: the JSON monitor.  Input is a byte stream of JSON objects; it is cut
 * into complete values here (only the nesting and string state is tracked,
 * so objects split over several reads and several objects in one read both
 * work), then each value is parsed by json-glib and dispatched.  Output is
 * one JSON object per line, ended "\r\n" as QEMU does, written by
 * json-glib's generator.
 *
 * Protocol state as QEMU's: a greeting on connection; until
 * qmp_capabilities only that command is accepted (CommandNotFound for the
 * rest) and no events are sent; errors are {"error": {"class", "desc"}};
 * a request's "id" is echoed in its reply.
 */
#include "monitor/monitor-int.h"

#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "config-host.h"

/* Bounds on one input value, so a client cannot make us buffer without end. */
#define QMP_MAX_MSG   (1 << 20)
#define QMP_MAX_DEPTH 1024

G_DEFINE_QUARK(vireo-qmp-error-quark, qmp_error)

static const char *const error_class_names[] = {
    [QMP_ERR_GENERIC] = "GenericError",
    [QMP_ERR_COMMAND_NOT_FOUND] = "CommandNotFound",
    [QMP_ERR_DEVICE_NOT_FOUND] = "DeviceNotFound",
    [QMP_ERR_DEVICE_NOT_ACTIVE] = "DeviceNotActive",
    [QMP_ERR_KVM_MISSING_CAP] = "KVMMissingCap",
};

void monitor_version(int *major, int *minor, int *micro)
{
    *major = *minor = *micro = 0;
    sscanf(VIREO_VERSION, "%d.%d.%d", major, minor, micro);
}

static void qmp_send_node(Monitor *mon, JsonNode *root)
{
    JsonGenerator *gen = json_generator_new();
    json_generator_set_pretty(gen, mon->pretty);
    json_generator_set_root(gen, root);
    gsize len;
    gchar *text = json_generator_to_data(gen, &len);
    GString *line = g_string_new_len(text, len);
    g_string_append(line, "\r\n");
    monitor_write(mon, line->str, line->len);
    g_string_free(line, TRUE);
    g_free(text);
    g_object_unref(gen);
}

static void qmp_send_object(Monitor *mon, JsonObject *obj)
{
    JsonNode *root = json_node_new(JSON_NODE_OBJECT);
    json_node_take_object(root, obj);
    qmp_send_node(mon, root);
    json_node_unref(root);
}

void qmp_greet(Monitor *mon)
{
    int major, minor, micro;
    monitor_version(&major, &minor, &micro);
    /* Vireo's version in the structure QEMU uses, which clients parse. */
    JsonObject *qemu = json_object_new();
    json_object_set_int_member(qemu, "micro", micro);
    json_object_set_int_member(qemu, "minor", minor);
    json_object_set_int_member(qemu, "major", major);
    JsonObject *version = json_object_new();
    json_object_set_object_member(version, "qemu", qemu);
    json_object_set_string_member(version, "package", "Vireo " VIREO_VERSION);
    JsonObject *qmp = json_object_new();
    json_object_set_object_member(qmp, "version", version);
    /* no out-of-band execution: nothing to offer */
    json_object_set_array_member(qmp, "capabilities", json_array_new());
    JsonObject *greeting = json_object_new();
    json_object_set_object_member(greeting, "QMP", qmp);
    qmp_send_object(mon, greeting);
}

static void qmp_send_error(Monitor *mon, JsonNode *id, int cls, const char *desc)
{
    JsonObject *err = json_object_new();
    if (cls < 0 || cls >= (int)G_N_ELEMENTS(error_class_names)) {
        cls = QMP_ERR_GENERIC;
    }
    json_object_set_string_member(err, "class", error_class_names[cls]);
    json_object_set_string_member(err, "desc", desc);
    JsonObject *resp = json_object_new();
    json_object_set_object_member(resp, "error", err);
    if (id) {
        json_object_set_member(resp, "id", json_node_copy(id));
    }
    qmp_send_object(mon, resp);
}

static void qmp_send_return(Monitor *mon, JsonNode *id, JsonNode *ret)
{
    JsonObject *resp = json_object_new();
    if (!ret) {
        ret = json_node_new(JSON_NODE_OBJECT);
        json_node_take_object(ret, json_object_new());
    }
    json_object_set_member(resp, "return", ret);
    if (id) {
        json_object_set_member(resp, "id", json_node_copy(id));
    }
    qmp_send_object(mon, resp);
}

static const char *arg_type_name(char t)
{
    switch (t) {
    case 's': return "string";
    case 'b': return "boolean";
    case 'i': return "integer";
    default: return "any";
    }
}

static bool arg_type_ok(char t, JsonNode *n)
{
    if (t == 'a') {
        return true;
    }
    if (!JSON_NODE_HOLDS_VALUE(n)) {
        return false;
    }
    GType vt = json_node_get_value_type(n);
    switch (t) {
    case 's': return vt == G_TYPE_STRING;
    case 'b': return vt == G_TYPE_BOOLEAN;
    case 'i': return vt == G_TYPE_INT64;
    default: return false;
    }
}

/* Check arguments against the command's "name:type" list, QEMU's messages. */
static bool qmp_check_args(const QmpCommand *cmd, JsonObject *args, GError **errp)
{
    gchar **spec = g_strsplit(cmd->args ? cmd->args : "", " ", -1);
    bool ok = true;
    for (gchar **s = spec; *s && ok; s++) {
        if (!**s || !strcmp(*s, "*")) {
            continue;
        }
        bool optional = **s == '?';
        const char *name = *s + optional;
        char *colon = strchr(name, ':');
        char type = colon ? colon[1] : 'a';
        g_autofree char *key = colon ? g_strndup(name, colon - name) : g_strdup(name);
        JsonNode *n = json_object_get_member(args, key);
        if (!n) {
            if (!optional) {
                g_set_error(errp, QMP_ERROR, QMP_ERR_GENERIC, "Parameter '%s' is missing", key);
                ok = false;
            }
        } else if (!arg_type_ok(type, n)) {
            g_set_error(errp, QMP_ERROR, QMP_ERR_GENERIC,
                        "Invalid parameter type for '%s', expected: %s", key, arg_type_name(type));
            ok = false;
        }
    }
    /* "*": the command checks its own members */
    if (ok && g_strcmp0(cmd->args, "*")) {
        GList *members = json_object_get_members(args);
        for (GList *m = members; m && ok; m = m->next) {
            bool known = false;
            for (gchar **s = spec; *s && !known; s++) {
                const char *name = **s == '?' ? *s + 1 : *s;
                size_t l = strcspn(name, ":");
                known = l && strlen(m->data) == l && !strncmp(name, m->data, l);
            }
            if (!known) {
                g_set_error(errp, QMP_ERROR, QMP_ERR_GENERIC, "Parameter '%s' is unexpected",
                            (const char *)m->data);
                ok = false;
            }
        }
        g_list_free(members);
    }
    g_strfreev(spec);
    return ok;
}

static void qmp_dispatch(Monitor *mon, JsonObject *req)
{
    JsonNode *id = json_object_get_member(req, "id");
    JsonNode *exec = json_object_get_member(req, "execute");
    JsonNode *argn = json_object_get_member(req, "arguments");

    if (!exec) {
        qmp_send_error(mon, id, QMP_ERR_GENERIC,
                       json_object_has_member(req, "exec-oob")
                       ? "QMP input member 'exec-oob' is not supported: out-of-band is not enabled"
                       : "QMP input lacks member 'execute'");
        return;
    }
    if (!JSON_NODE_HOLDS_VALUE(exec) || json_node_get_value_type(exec) != G_TYPE_STRING) {
        qmp_send_error(mon, id, QMP_ERR_GENERIC, "QMP input member 'execute' must be a string");
        return;
    }
    if (argn && !JSON_NODE_HOLDS_OBJECT(argn)) {
        qmp_send_error(mon, id, QMP_ERR_GENERIC, "QMP input member 'arguments' must be an object");
        return;
    }
    GList *members = json_object_get_members(req);
    for (GList *m = members; m; m = m->next) {
        const char *k = m->data;
        if (strcmp(k, "execute") && strcmp(k, "arguments") && strcmp(k, "id")) {
            g_autofree char *msg = g_strdup_printf("QMP input member '%s' is unexpected", k);
            qmp_send_error(mon, id, QMP_ERR_GENERIC, msg);
            g_list_free(members);
            return;
        }
    }
    g_list_free(members);

    const char *name = json_node_get_string(exec);
    bool is_caps = !strcmp(name, "qmp_capabilities");
    if (!mon->negotiated && !is_caps) {
        qmp_send_error(mon, id, QMP_ERR_COMMAND_NOT_FOUND,
                       "Expecting capabilities negotiation with 'qmp_capabilities'");
        return;
    }
    if (mon->negotiated && is_caps) {
        qmp_send_error(mon, id, QMP_ERR_COMMAND_NOT_FOUND,
                       "Capabilities negotiation is already complete, command ignored");
        return;
    }
    const QmpCommand *cmd = qmp_find_command(name);
    if (!cmd) {
        g_autofree char *msg = g_strdup_printf("The command %s has not been found", name);
        qmp_send_error(mon, id, QMP_ERR_COMMAND_NOT_FOUND, msg);
        return;
    }
    JsonObject *args = argn ? json_object_ref(json_node_get_object(argn)) : json_object_new();
    GError *err = NULL;
    JsonNode *ret = NULL;
    /* keep id alive: a command (quit, a write error) may reset the monitor */
    JsonNode *idc = id ? json_node_copy(id) : NULL;
    if (qmp_check_args(cmd, args, &err)) {
        ret = cmd->fn(mon, args, &err);
    }
    if (err) {
        qmp_send_error(mon, idc, err->domain == QMP_ERROR ? err->code : QMP_ERR_GENERIC,
                       err->message);
        g_error_free(err);
        if (ret) {
            json_node_unref(ret);
        }
    } else {
        qmp_send_return(mon, idc, ret);
    }
    if (idc) {
        json_node_unref(idc);
    }
    json_object_unref(args);
}

/* One complete JSON text from the stream. */
static void qmp_handle_message(Monitor *mon, const char *text, size_t len)
{
    JsonParser *parser = json_parser_new_immutable();
    GError *err = NULL;
    if (!json_parser_load_from_data(parser, text, len, &err)) {
        g_autofree char *msg = g_strdup_printf("JSON parse error, %s", err->message);
        qmp_send_error(mon, NULL, QMP_ERR_GENERIC, msg);
        g_error_free(err);
    } else {
        JsonNode *root = json_parser_get_root(parser);
        if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
            qmp_send_error(mon, NULL, QMP_ERR_GENERIC, "QMP input must be a JSON object");
        } else {
            qmp_dispatch(mon, json_node_get_object(root));
        }
    }
    g_object_unref(parser);
}

static void qmp_flush(Monitor *mon)
{
    if (!mon->msg->len) {
        return;
    }
    /* detach the text first: dispatch may reset the monitor */
    gsize len = mon->msg->len;
    gchar *text = g_string_free(mon->msg, FALSE);
    mon->msg = g_string_new(NULL);
    mon->depth = 0;
    mon->in_str = mon->in_sq = mon->esc = false;
    qmp_handle_message(mon, text, len);
    g_free(text);
}

static void qmp_too_big(Monitor *mon, const char *what)
{
    g_string_truncate(mon->msg, 0);
    mon->depth = 0;
    mon->in_str = mon->in_sq = mon->esc = false;
    g_autofree char *msg = g_strdup_printf("JSON parse error, %s", what);
    qmp_send_error(mon, NULL, QMP_ERR_GENERIC, msg);
}

/*
 * A byte no JSON text can contain where it stands, as QEMU's lexer sees it:
 * the impossible UTF-8 bytes 0xFE/0xFF anywhere, raw control characters
 * inside strings, and outside strings control characters other than
 * whitespace and '%' (QMP has no interpolation).
 */
static bool qmp_lexical_error(const Monitor *mon, uint8_t c)
{
    if (c >= 0xfe) {
        return true;
    }
    if (mon->in_str || mon->in_sq) {
        return c < 0x20;
    }
    return (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == '%';
}

/* After a lexical error QEMU skips input up to a structural character, a
 * control character or an impossible byte, and starts afresh there. */
static bool qmp_resync_point(uint8_t c)
{
    return (c < 0x20 && c != '\t') || c >= 0xfe || strchr("{}[]:,", c) != NULL;
}

void qmp_feed(Monitor *mon, const uint8_t *buf, size_t len)
{
    unsigned gen = mon->generation;
    for (size_t i = 0; i < len && gen == mon->generation; i++) {
        char c = (char)buf[i];
        if (mon->recovering) {
            if (!buf[i] || !qmp_resync_point(buf[i])) {
                continue;
            }
            mon->recovering = false;
        }
        if (qmp_lexical_error(mon, buf[i])) {
            g_string_truncate(mon->msg, 0);
            mon->depth = 0;
            mon->in_str = mon->in_sq = mon->esc = false;
            mon->recovering = true;
            g_autofree char *msg = g_ascii_isprint(c)
                ? g_strdup_printf("JSON parse error, stray '%c'", c)
                : g_strdup_printf("JSON parse error, stray byte 0x%02x", buf[i]);
            qmp_send_error(mon, NULL, QMP_ERR_GENERIC, msg);
            continue;
        }
        if (mon->in_sq) {
            /* QEMU's single-quoted string extension, rewritten to a JSON
             * string for json-glib: \' becomes ', a bare " is escaped. */
            if (mon->esc) {
                mon->esc = false;
                if (c != '\'') {
                    g_string_append_c(mon->msg, '\\');
                }
                g_string_append_c(mon->msg, c);
            } else if (c == '\\') {
                mon->esc = true;
            } else if (c == '\'') {
                mon->in_sq = false;
                g_string_append_c(mon->msg, '"');
            } else if (c == '"') {
                g_string_append(mon->msg, "\\\"");
            } else {
                g_string_append_c(mon->msg, c);
            }
        } else if (c == '\'' && !mon->in_str) {
            mon->in_sq = true;
            g_string_append_c(mon->msg, '"');
        } else if (mon->in_str) {
            g_string_append_c(mon->msg, c);
            if (mon->esc) {
                mon->esc = false;
            } else if (c == '\\') {
                mon->esc = true;
            } else if (c == '"') {
                mon->in_str = false;
            }
        } else if (mon->depth == 0) {
            /* Between values: a bare token (number, keyword, garbage) runs
             * to the next space or bracket and is handed to the parser,
             * which reports it as QEMU's lexer would (an error). */
            if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
                qmp_flush(mon);
            } else if (c == '{' || c == '[') {
                qmp_flush(mon);
                g_string_append_c(mon->msg, c);
                mon->depth = 1;
            } else if (c == '}' || c == ']') {
                qmp_flush(mon);
                g_string_append_c(mon->msg, c);
                qmp_flush(mon);
            } else {
                g_string_append_c(mon->msg, c);
                if (c == '"') {
                    mon->in_str = true;
                }
            }
        } else {
            g_string_append_c(mon->msg, c);
            if (c == '"') {
                mon->in_str = true;
            } else if (c == '{' || c == '[') {
                if (++mon->depth > QMP_MAX_DEPTH) {
                    qmp_too_big(mon, "nesting too deep");
                    continue;
                }
            } else if (c == '}' || c == ']') {
                if (--mon->depth == 0) {
                    qmp_flush(mon);
                    continue;
                }
            }
        }
        if (mon->msg->len > QMP_MAX_MSG) {
            qmp_too_big(mon, "message too large");
        }
    }
}

void qmp_event_send(const char *name, JsonObject *data)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    for (unsigned i = 0; monitor_list && i < monitor_list->len; i++) {
        Monitor *mon = g_ptr_array_index(monitor_list, i);
        if (!mon->is_qmp || !mon->negotiated) {
            continue;
        }
        JsonObject *ev = json_object_new();
        json_object_set_string_member(ev, "event", name);
        if (data) {
            json_object_set_object_member(ev, "data", json_object_ref(data));
        }
        JsonObject *ts = json_object_new();
        json_object_set_int_member(ts, "seconds", tv.tv_sec);
        json_object_set_int_member(ts, "microseconds", tv.tv_usec);
        json_object_set_object_member(ev, "timestamp", ts);
        qmp_send_object(mon, ev);
    }
    if (data) {
        json_object_unref(data);
    }
}

void qmp_event_shutdown(bool guest, const char *reason)
{
    JsonObject *d = json_object_new();
    json_object_set_boolean_member(d, "guest", guest);
    json_object_set_string_member(d, "reason", reason);
    qmp_event_send("SHUTDOWN", d);
}

void qmp_event_reset(bool guest, const char *reason)
{
    JsonObject *d = json_object_new();
    json_object_set_boolean_member(d, "guest", guest);
    json_object_set_string_member(d, "reason", reason);
    qmp_event_send("RESET", d);
}
