/*
 * The QMP engine in-process (no machine, no socket): framing of the byte
 * stream (objects split over reads, several in one read, bare garbage),
 * negotiation, error shapes with the id echoed, argument checking, events
 * only after negotiation.  Replies are parsed with json-glib and checked
 * member by member.
 */
#include <glib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "monitor/monitor.h"
#include "system/runstate.h"

#include "qmp-test-util.h"

static void feed(Monitor *m, const char *s)
{
    monitor_feed(m, (const uint8_t *)s, strlen(s));
}

static const char *err_class(JsonObject *o)
{
    g_assert_true(json_object_has_member(o, "error"));
    return json_object_get_string_member(json_object_get_object_member(o, "error"), "class");
}

static const char *err_desc(JsonObject *o)
{
    return json_object_get_string_member(json_object_get_object_member(o, "error"), "desc");
}

static Monitor *new_negotiated(Sink *s)
{
    s->out = g_string_new(NULL);
    Monitor *m = monitor_new_qmp_custom(sink_out, s);
    json_object_unref(next_msg(s));                 /* greeting */
    feed(m, "{\"execute\":\"qmp_capabilities\"}\n");
    JsonObject *r = next_msg(s);
    g_assert_true(json_object_has_member(r, "return"));
    json_object_unref(r);
    return m;
}

static void test_greeting_and_negotiation(void)
{
    Sink s = { g_string_new(NULL) };
    Monitor *m = monitor_new_qmp_custom(sink_out, &s);
    JsonObject *g = next_msg(&s);
    JsonObject *qmp = json_object_get_object_member(g, "QMP");
    g_assert_nonnull(qmp);
    JsonObject *q = json_object_get_object_member(json_object_get_object_member(qmp, "version"), "qemu");
    g_assert_true(json_object_has_member(q, "major"));
    g_assert_true(json_object_has_member(q, "minor"));
    g_assert_true(json_object_has_member(q, "micro"));
    g_assert_nonnull(json_object_get_array_member(qmp, "capabilities"));
    json_object_unref(g);

    feed(m, "{\"execute\":\"query-status\",\"id\":17}\n");
    JsonObject *r = next_msg(&s);
    g_assert_cmpstr(err_class(r), ==, "CommandNotFound");
    g_assert_cmpint(json_object_get_int_member(r, "id"), ==, 17);
    json_object_unref(r);

    /* no events before negotiation */
    vm_stop();
    vm_start();
    g_assert_cmpuint(s.out->len, ==, 0);

    feed(m, "{\"execute\":\"qmp_capabilities\",\"id\":\"n\"}");
    r = next_msg(&s);
    g_assert_true(json_object_has_member(r, "return"));
    g_assert_cmpstr(json_object_get_string_member(r, "id"), ==, "n");
    json_object_unref(r);
    feed(m, "{\"execute\":\"qmp_capabilities\"}");
    r = next_msg(&s);
    g_assert_cmpstr(err_class(r), ==, "CommandNotFound");
    json_object_unref(r);
    monitor_free(m);
    g_string_free(s.out, TRUE);
}

static void test_framing(void)
{
    Sink s;
    Monitor *m = new_negotiated(&s);
    /* one object in three pieces, with a brace inside a string */
    feed(m, "{\"execute\": \"query-sta");
    g_assert_cmpuint(s.out->len, ==, 0);
    feed(m, "tus\", \"id\": {\"x\": \"}{\\\"");
    g_assert_cmpuint(s.out->len, ==, 0);
    feed(m, "\"}}");
    JsonObject *r = next_msg(&s);
    JsonObject *ret = json_object_get_object_member(r, "return");
    g_assert_nonnull(ret);
    g_assert_true(json_object_has_member(ret, "running"));
    g_assert_cmpstr(json_object_get_string_member(json_object_get_object_member(r, "id"), "x"),
                    ==, "}{\"");
    json_object_unref(r);
    /* two in one read, no separator */
    feed(m, "{\"execute\":\"query-name\",\"id\":1}{\"execute\":\"query-kvm\",\"id\":2}");
    r = next_msg(&s);
    g_assert_cmpint(json_object_get_int_member(r, "id"), ==, 1);
    json_object_unref(r);
    r = next_msg(&s);
    g_assert_cmpint(json_object_get_int_member(r, "id"), ==, 2);
    json_object_unref(r);
    g_assert_cmpuint(s.out->len, ==, 0);
    /* QEMU's single-quote extension (what people type from its docs) */
    feed(m, "{'execute': 'query-name', 'id': 'it\\'s \"q\" {'}");
    r = next_msg(&s);
    g_assert_true(json_object_has_member(r, "return"));
    g_assert_cmpstr(json_object_get_string_member(r, "id"), ==, "it's \"q\" {");
    json_object_unref(r);
    monitor_free(m);
    g_string_free(s.out, TRUE);
}

static void test_errors(void)
{
    Sink s;
    Monitor *m = new_negotiated(&s);
    feed(m, "{\"execute\": }\n");
    JsonObject *r = next_msg(&s);
    g_assert_cmpstr(err_class(r), ==, "GenericError");
    g_assert_true(g_str_has_prefix(err_desc(r), "JSON parse error, "));
    json_object_unref(r);

    feed(m, "nonsense\n");
    r = next_msg(&s);
    g_assert_true(g_str_has_prefix(err_desc(r), "JSON parse error, "));
    json_object_unref(r);

    feed(m, "[1, 2]");
    r = next_msg(&s);
    g_assert_cmpstr(err_desc(r), ==, "QMP input must be a JSON object");
    json_object_unref(r);

    feed(m, "{\"id\": 5}");
    r = next_msg(&s);
    g_assert_cmpstr(err_desc(r), ==, "QMP input lacks member 'execute'");
    g_assert_cmpint(json_object_get_int_member(r, "id"), ==, 5);
    json_object_unref(r);

    feed(m, "{\"execute\": \"no-such\", \"id\": \"abc\"}");
    r = next_msg(&s);
    g_assert_cmpstr(err_class(r), ==, "CommandNotFound");
    g_assert_cmpstr(err_desc(r), ==, "The command no-such has not been found");
    g_assert_cmpstr(json_object_get_string_member(r, "id"), ==, "abc");
    json_object_unref(r);

    feed(m, "{\"execute\": \"eject\", \"arguments\": {\"device\": 3}}");
    r = next_msg(&s);
    g_assert_cmpstr(err_desc(r), ==, "Invalid parameter type for 'device', expected: string");
    json_object_unref(r);

    feed(m, "{\"execute\": \"eject\", \"arguments\": {\"device\": \"cd0\", \"bogus\": 1}}");
    r = next_msg(&s);
    g_assert_cmpstr(err_desc(r), ==, "Parameter 'bogus' is unexpected");
    json_object_unref(r);

    feed(m, "{\"execute\": \"eject\", \"arguments\": {\"device\": \"cd0\"}}");
    r = next_msg(&s);
    g_assert_cmpstr(err_class(r), ==, "DeviceNotFound");
    g_assert_cmpstr(err_desc(r), ==, "Device 'cd0' not found");
    json_object_unref(r);

    feed(m, "{\"execute\": \"human-monitor-command\"}");
    r = next_msg(&s);
    g_assert_cmpstr(err_desc(r), ==, "Parameter 'command-line' is missing");
    json_object_unref(r);

    /* a stray closing brace, then the stream still works */
    feed(m, "}{\"execute\":\"query-name\",\"id\":9}");
    r = next_msg(&s);
    g_assert_cmpstr(err_class(r), ==, "GenericError");
    json_object_unref(r);
    r = next_msg(&s);
    g_assert_cmpint(json_object_get_int_member(r, "id"), ==, 9);
    json_object_unref(r);
    monitor_free(m);
    g_string_free(s.out, TRUE);
}

/* Lexical errors are reported at the offending byte, as QEMU's lexer does,
 * without waiting for the end of the object, and exactly once; the
 * monitor then skips to a resynchronisation point and works again. */
static void test_lexical_errors(void)
{
    static const char *const bad[] = {
        "{\xff", "{\x01", "{'bad \xff", "{'execute': 'nonexistent', 'id':'\n", "%%p",
    };
    Sink s;
    Monitor *m = new_negotiated(&s);
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        feed(m, bad[i]);
        JsonObject *r = next_msg(&s);
        g_assert_cmpstr(err_class(r), ==, "GenericError");
        g_assert_true(g_str_has_prefix(err_desc(r), "JSON parse error, "));
        json_object_unref(r);
        feed(m, "{ 'execute': 'no-such-cmd', 'id': 1 }");
        r = next_msg(&s);
        g_assert_cmpstr(err_class(r), ==, "CommandNotFound");
        json_object_unref(r);
        g_assert_cmpuint(s.out->len, ==, 0);      /* nothing more was said */
    }
    monitor_free(m);
    g_string_free(s.out, TRUE);
}

static void test_events(void)
{
    Sink s;
    Monitor *m = new_negotiated(&s);
    feed(m, "{\"execute\":\"stop\"}");
    JsonObject *e = next_msg(&s);
    g_assert_cmpstr(json_object_get_string_member(e, "event"), ==, "STOP");
    JsonObject *ts = json_object_get_object_member(e, "timestamp");
    g_assert_cmpint(json_object_get_int_member(ts, "seconds"), >, 0);
    g_assert_true(json_object_has_member(ts, "microseconds"));
    json_object_unref(e);
    JsonObject *r = next_msg(&s);
    g_assert_true(json_object_has_member(r, "return"));
    json_object_unref(r);
    feed(m, "{\"execute\":\"query-status\"}");
    r = next_msg(&s);
    g_assert_cmpstr(json_object_get_string_member(json_object_get_object_member(r, "return"),
                                                  "status"), ==, "paused");
    json_object_unref(r);
    /* stop while paused: no second event */
    feed(m, "{\"execute\":\"stop\"}");
    r = next_msg(&s);
    g_assert_true(json_object_has_member(r, "return"));
    json_object_unref(r);
    feed(m, "{\"execute\":\"cont\"}");
    e = next_msg(&s);
    g_assert_cmpstr(json_object_get_string_member(e, "event"), ==, "RESUME");
    json_object_unref(e);
    json_object_unref(next_msg(&s));
    g_assert_true(vm_running());

    feed(m, "{\"execute\":\"human-monitor-command\",\"arguments\":{\"command-line\":\"info status\"}}");
    r = next_msg(&s);
    g_assert_cmpstr(json_object_get_string_member(r, "return"), ==, "VM status: running\r\n");
    json_object_unref(r);
    monitor_free(m);
    g_string_free(s.out, TRUE);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qmp/greeting-negotiation", test_greeting_and_negotiation);
    g_test_add_func("/qmp/framing", test_framing);
    g_test_add_func("/qmp/errors", test_errors);
    g_test_add_func("/qmp/lexical-errors", test_lexical_errors);
    g_test_add_func("/qmp/events", test_events);
    return g_test_run();
}
