/*
 * The monitor's input commands: QMP send-key and input-send-event, HMP
 * sendkey, mouse_move and mouse_button.  They feed the input layer
 * (ui/input.h) exactly as a display front end would, so whatever device
 * holds the keyboard or the pointer gets them.  Argument shapes, defaults
 * and error wording follow QEMU's, for the scripts written against it.
 */
#include "monitor/monitor-int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "system/runstate.h"
#include "ui/input.h"

/* send-key's documented default hold time. */
#define SEND_KEY_DEFAULT_HOLD_MS 100
/* More keys than this in one send-key is a script error, not a chord. */
#define SEND_KEY_MAX 64

static bool node_is_int(JsonNode *n)
{
    return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_INT64;
}

static bool node_is_str(JsonNode *n)
{
    return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING;
}

static bool node_is_bool(JsonNode *n)
{
    return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_BOOLEAN;
}

static bool node_is_object(JsonNode *n)
{
    return n && JSON_NODE_HOLDS_OBJECT(n);
}

static void set_err(GError **errp, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void set_err(GError **errp, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error_literal(errp, QMP_ERROR, QMP_ERR_GENERIC, msg);
}

/* Member KEY of the object PATH names: NULL with QEMU's error when it is
 * missing or, with IS, not of TYPE. */
static JsonNode *member(JsonObject *o, const char *path, const char *key,
                        bool (*is)(JsonNode *), const char *type, GError **errp)
{
    JsonNode *n = json_object_get_member(o, key);
    if (!n) {
        set_err(errp, "Parameter '%s.%s' is missing", path, key);
    } else if (is && !is(n)) {
        set_err(errp, "Invalid parameter type for '%s.%s', expected: %s", path, key, type);
        n = NULL;
    }
    return n;
}

/*
 * A KeyValue ({"type": "qcode"|"number", "data": ...}) -> qnum.  A number
 * is a qnum already; one no key has reaches the device, which ignores it,
 * as QEMU maps it to "unmapped".  PATH names the value in errors.
 */
static bool parse_key_value(JsonNode *n, const char *path, int *qnum, GError **errp)
{
    if (!n || !JSON_NODE_HOLDS_OBJECT(n)) {
        set_err(errp, "Invalid parameter type for '%s', expected: object", path);
        return false;
    }
    JsonObject *o = json_node_get_object(n);
    JsonNode *type = member(o, path, "type", node_is_str, "string", errp);
    if (!type) {
        return false;
    }
    const char *t = json_node_get_string(type);
    if (strcmp(t, "qcode") && strcmp(t, "number")) {
        set_err(errp, "Invalid parameter '%s'", t);
        return false;
    }
    JsonNode *data = member(o, path, "data", NULL, NULL, errp);
    if (!data) {
        return false;
    }
    if (!strcmp(t, "number")) {
        if (!node_is_int(data)) {
            set_err(errp, "Invalid parameter type for '%s.data', expected: integer", path);
            return false;
        }
        gint64 v = json_node_get_int(data);
        *qnum = (v > 0 && v <= 0xff) ? (int)v : 0;
        return true;
    }
    if (!node_is_str(data)) {
        set_err(errp, "Invalid parameter type for '%s.data', expected: string", path);
        return false;
    }
    int q = input_qnum_from_name(json_node_get_string(data));
    if (q < 0) {
        set_err(errp, "Invalid parameter '%s'", json_node_get_string(data));
        return false;
    }
    *qnum = q;
    return true;
}

/* Press in order, release in reverse, each event followed by the hold
 * time (QEMU queues a delay after every event, not just the presses). */
static void send_key_chord(const int *qnums, int n, int hold_ms)
{
    for (int i = 0; i < n; i++) {
        input_queue_key(qnums[i], true);
        input_queue_delay(hold_ms);
    }
    for (int i = n - 1; i >= 0; i--) {
        input_queue_key(qnums[i], false);
        input_queue_delay(hold_ms);
    }
}

JsonNode *qmp_cmd_send_key(Monitor *mon, JsonObject *args, GError **errp)
{
    JsonNode *keys = json_object_get_member(args, "keys");
    if (!JSON_NODE_HOLDS_ARRAY(keys)) {
        set_err(errp, "Invalid parameter type for 'keys', expected: array");
        return NULL;
    }
    int hold = SEND_KEY_DEFAULT_HOLD_MS;
    if (json_object_has_member(args, "hold-time")) {
        gint64 h = json_object_get_int_member(args, "hold-time");
        /* QEMU takes 0 (and nonsense) as "the default" */
        hold = (h > 0 && h <= 60000) ? (int)h : SEND_KEY_DEFAULT_HOLD_MS;
    }
    JsonArray *a = json_node_get_array(keys);
    guint n = json_array_get_length(a);
    if (n > SEND_KEY_MAX) {
        set_err(errp, "Invalid parameter 'keys'");
        return NULL;
    }
    int qnums[SEND_KEY_MAX];
    for (guint i = 0; i < n; i++) {
        g_autofree char *path = g_strdup_printf("keys[%u]", i);
        if (!parse_key_value(json_array_get_element(a, i), path, &qnums[i], errp)) {
            return NULL;
        }
    }
    send_key_chord(qnums, n, hold);
    return NULL;
}

static const char *const event_kinds[] = { "key", "btn", "rel", "abs" };

/* Parse one InputEvent; with SEND, send it too (parsing everything first
 * means a bad list sends nothing). */
static bool do_input_event(JsonNode *n, const char *path, bool send, GError **errp)
{
    if (!n || !JSON_NODE_HOLDS_OBJECT(n)) {
        set_err(errp, "Invalid parameter type for '%s', expected: object", path);
        return false;
    }
    JsonObject *o = json_node_get_object(n);
    JsonNode *type = member(o, path, "type", node_is_str, "string", errp);
    if (!type) {
        return false;
    }
    const char *t = json_node_get_string(type);
    int kind = -1;
    for (int i = 0; i < (int)G_N_ELEMENTS(event_kinds); i++) {
        if (!strcmp(t, event_kinds[i])) {
            kind = i;
        }
    }
    if (kind < 0) {
        set_err(errp, "Invalid parameter '%s'", t);
        return false;
    }
    JsonNode *data = member(o, path, "data", node_is_object, "object", errp);
    if (!data) {
        return false;
    }
    JsonObject *d = json_node_get_object(data);
    InputEvent ev = { .kind = kind };
    g_autofree char *dpath = g_strdup_printf("%s.data", path);

    if (kind == INPUT_EVENT_KEY || kind == INPUT_EVENT_BTN) {
        JsonNode *down = member(d, dpath, "down", node_is_bool, "boolean", errp);
        if (!down) {
            return false;
        }
        bool is_down = json_node_get_boolean(down);
        if (kind == INPUT_EVENT_KEY) {
            g_autofree char *kpath = g_strdup_printf("%s.key", dpath);
            JsonNode *key = member(d, dpath, "key", NULL, NULL, errp);
            if (!key) {
                return false;
            }
            int qnum;
            if (!parse_key_value(key, kpath, &qnum, errp)) {
                return false;
            }
            ev.key.qnum = qnum;
            ev.key.down = is_down;
        } else {
            JsonNode *b = member(d, dpath, "button", node_is_str, "string", errp);
            if (!b) {
                return false;
            }
            const char *name = json_node_get_string(b);
            int button = input_button_from_name(name);
            if (button < 0) {
                /* valid in QEMU's schema, but no device here has them */
                if (!strcmp(name, "wheel-left") || !strcmp(name, "wheel-right") ||
                    !strcmp(name, "touch")) {
                    return true;
                }
                set_err(errp, "Invalid parameter '%s'", name);
                return false;
            }
            ev.btn.button = button;
            ev.btn.down = is_down;
        }
    } else {
        JsonNode *axis = member(d, dpath, "axis", node_is_str, "string", errp);
        if (!axis) {
            return false;
        }
        const char *an = json_node_get_string(axis);
        if (strcmp(an, "x") && strcmp(an, "y")) {
            set_err(errp, "Invalid parameter '%s'", an);
            return false;
        }
        JsonNode *value = member(d, dpath, "value", node_is_int, "integer", errp);
        if (!value) {
            return false;
        }
        ev.move.axis = an[0] == 'x' ? INPUT_AXIS_X : INPUT_AXIS_Y;
        ev.move.value = json_node_get_int(value);
    }
    if (!send && !input_has_handler(ev.kind)) {
        set_err(errp, "Input handler not found for event type %s", event_kinds[kind]);
        return false;
    }
    if (send) {
        input_event_send(&ev);
    }
    return true;
}

JsonNode *qmp_cmd_input_send_event(Monitor *mon, JsonObject *args, GError **errp)
{
    JsonNode *events = json_object_get_member(args, "events");
    if (!JSON_NODE_HOLDS_ARRAY(events)) {
        set_err(errp, "Invalid parameter type for 'events', expected: array");
        return NULL;
    }
    /* "device" and "head" route events between several displays in QEMU;
     * this machine has one of each input device, so they change nothing. */
    if (!vm_running()) {
        set_err(errp, "VM not running");
        return NULL;
    }
    JsonArray *a = json_node_get_array(events);
    guint n = json_array_get_length(a);
    for (int pass = 0; pass < 2; pass++) {
        for (guint i = 0; i < n; i++) {
            g_autofree char *path = g_strdup_printf("events[%u]", i);
            if (!do_input_event(json_array_get_element(a, i), path, pass == 1, errp)) {
                return NULL;
            }
        }
    }
    input_event_sync();
    return NULL;
}

/* ---- HMP ---- */

/* sendkey keys [hold_ms]: "ctrl-alt-delete", names or 0x.. numbers. */
void hmp_sendkey(const char *args, GString *out)
{
    g_autofree char *copy = g_strstrip(g_strdup(args));
    gchar **a = g_strsplit_set(copy, " \t", -1);
    GPtrArray *w = g_ptr_array_new();
    for (int i = 0; a[i]; i++) {
        if (*a[i]) {
            g_ptr_array_add(w, a[i]);
        }
    }
    int qnums[SEND_KEY_MAX], n = 0;
    int hold = SEND_KEY_DEFAULT_HOLD_MS;
    gchar **keys = NULL;

    if (w->len < 1 || w->len > 2) {
        g_string_append(out, "sendkey: usage: sendkey keys [hold_ms] (e.g. sendkey ctrl-alt-delete)\n");
        goto out;
    }
    if (w->len == 2) {
        char *end;
        errno = 0;
        long h = strtol(w->pdata[1], &end, 0);
        if (*end || errno || h < 0) {
            g_string_append_printf(out, "invalid parameter: %s\n", (char *)w->pdata[1]);
            goto out;
        }
        hold = (h > 0 && h <= 60000) ? (int)h : SEND_KEY_DEFAULT_HOLD_MS;
    }
    keys = g_strsplit(w->pdata[0], "-", -1);
    for (gchar **k = keys; *k; k++) {
        const char *name = *k;
        int q;
        if (!strcmp(name, "<")) {
            name = "less";                      /* the old interface's spelling */
        }
        if (!strncmp(name, "0x", 2)) {
            char *end;
            errno = 0;
            long v = strtol(name, &end, 0);
            if (*end || errno || end == name + 2) {
                q = -1;
            } else {
                q = (v > 0 && v <= 0xff) ? (int)v : 0;
            }
        } else {
            q = input_qnum_from_name(name);
        }
        if (q < 0 || n == SEND_KEY_MAX) {
            g_string_append_printf(out, "invalid parameter: %s\n", name);
            goto out;
        }
        qnums[n++] = q;
    }
    send_key_chord(qnums, n, hold);
out:
    g_strfreev(keys);
    g_ptr_array_free(w, TRUE);
    g_strfreev(a);
}

/* mouse_move dx dy [dz]: a wheel step per non-zero dz, as QEMU. */
void hmp_mouse_move(const char *args, GString *out)
{
    g_autofree char *copy = g_strstrip(g_strdup(args));
    gchar **a = g_strsplit_set(copy, " \t", -1);
    long v[3] = { 0, 0, 0 };
    int n = 0;
    bool ok = true;
    for (int i = 0; a[i] && ok; i++) {
        if (!*a[i]) {
            continue;
        }
        char *end;
        errno = 0;
        long x = strtol(a[i], &end, 0);
        if (n == 3 || *end || errno || x < -(1L << 24) || x > (1L << 24)) {
            ok = false;
        } else {
            v[n++] = x;
        }
    }
    g_strfreev(a);
    if (!ok || n < 2) {
        g_string_append(out, "mouse_move: usage: mouse_move dx dy [dz]\n");
        return;
    }
    input_send_rel(INPUT_AXIS_X, (int)v[0]);
    input_send_rel(INPUT_AXIS_Y, (int)v[1]);
    if (v[2]) {
        InputButton b = v[2] > 0 ? INPUT_BUTTON_WHEEL_UP : INPUT_BUTTON_WHEEL_DOWN;
        input_send_button(b, true);
        input_event_sync();
        input_send_button(b, false);
    }
    input_event_sync();
}

/* mouse_button state: bit 0 left, bit 1 right, bit 2 middle (QEMU's). */
void hmp_mouse_button(const char *args, GString *out)
{
    static unsigned prev;
    static const struct { unsigned bit; InputButton b; } map[] = {
        { 1, INPUT_BUTTON_LEFT }, { 2, INPUT_BUTTON_RIGHT }, { 4, INPUT_BUTTON_MIDDLE },
    };
    g_autofree char *s = g_strstrip(g_strdup(args));
    char *end;
    errno = 0;
    long state = strtol(s, &end, 0);
    if (!*s || *end || errno || state < 0) {
        g_string_append(out, "mouse_button: usage: mouse_button state\n");
        return;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(map); i++) {
        if ((prev ^ (unsigned)state) & map[i].bit) {
            input_send_button(map[i].b, state & map[i].bit);
        }
    }
    prev = state & 7;
    input_event_sync();
}
