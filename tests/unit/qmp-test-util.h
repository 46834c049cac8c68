/*
 * In-process QMP for unit tests: a monitor whose output goes to a Sink,
 * and next_msg() to take and parse one reply or event from it.
 */
#ifndef TESTS_UNIT_QMP_TEST_UTIL_H
#define TESTS_UNIT_QMP_TEST_UTIL_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <string.h>

typedef struct {
    GString *out;
} Sink;

static inline void sink_out(void *opaque, const char *buf, size_t len)
{
    g_string_append_len(((Sink *)opaque)->out, buf, len);
}

/* Take the next "\r\n"-ended line from the sink and parse it. */
static inline JsonObject *next_msg(Sink *s)
{
    char *nl = strstr(s->out->str, "\r\n");
    g_assert_nonnull(nl);
    size_t len = nl - s->out->str;
    JsonParser *p = json_parser_new();
    GError *err = NULL;
    g_assert_true(json_parser_load_from_data(p, s->out->str, len, &err));
    g_assert_no_error(err);
    JsonObject *o = json_object_ref(json_node_get_object(json_parser_get_root(p)));
    g_object_unref(p);
    g_string_erase(s->out, 0, len + 2);
    return o;
}

#endif
