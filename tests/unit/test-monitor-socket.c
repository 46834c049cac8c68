/*
 * The monitors end to end: start $BUILD/vireo (SeaBIOS) with
 * -qmp unix:...,server=on,wait=off or -monitor unix:..., connect as a
 * client would, and check what the client sees: the greeting, negotiation
 * errors, stop/cont with STOP/RESUME, system_reset with RESET, errors with
 * the id echoed, quit with SHUTDOWN and exit status 0; on the human monitor
 * info registers, x/xp against the BIOS image, print, stop/info status.
 */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct {
    GPid pid;
    int fd;
    GString *in;
    char *dir, *sock;
} Vm;

static const char *build_dir(void)
{
    return g_getenv("BUILD") ? g_getenv("BUILD") : "build";
}

static bool vm_start_args(Vm *vm, const char *opt, const char *const *extra)
{
    vm->dir = g_dir_make_tmp("vireo-mon-XXXXXX", NULL);
    vm->sock = g_build_filename(vm->dir, "mon.sock", NULL);
    vm->in = g_string_new(NULL);
    g_autofree char *bin = g_build_filename(build_dir(), "vireo", NULL);
    g_autofree char *spec = g_strdup_printf("unix:%s,server=on,wait=off", vm->sock);
    GPtrArray *argv = g_ptr_array_new();
    g_ptr_array_add(argv, bin);
    g_ptr_array_add(argv, (char *)"-display");
    g_ptr_array_add(argv, (char *)"none");
    g_ptr_array_add(argv, (char *)"-m");
    g_ptr_array_add(argv, (char *)"64");
    g_ptr_array_add(argv, (char *)opt);
    g_ptr_array_add(argv, spec);
    for (; extra && *extra; extra++) {
        g_ptr_array_add(argv, (char *)*extra);
    }
    g_ptr_array_add(argv, NULL);
    GError *err = NULL;
    gboolean ok = g_spawn_async(NULL, (char **)argv->pdata, NULL,
                                G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL,
                                NULL, NULL, &vm->pid, &err);
    g_ptr_array_free(argv, TRUE);
    g_assert_no_error(err);
    g_assert_true(ok);
    /* the server socket appears once the command line is processed */
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    g_strlcpy(sa.sun_path, vm->sock, sizeof(sa.sun_path));
    for (int i = 0; i < 500; i++) {
        vm->fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (connect(vm->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
            return true;
        }
        close(vm->fd);
        g_usleep(10000);
    }
    return false;
}

static void vm_send(Vm *vm, const char *s)
{
    size_t len = strlen(s);
    g_assert_cmpint(write(vm->fd, s, len), ==, (ssize_t)len);
}

/* Read until 'until' appears in the buffer (5 s at most). */
static bool vm_read_until(Vm *vm, const char *until)
{
    gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    while (!strstr(vm->in->str, until)) {
        struct pollfd p = { .fd = vm->fd, .events = POLLIN };
        int left = (int)((deadline - g_get_monotonic_time()) / 1000);
        if (left <= 0 || poll(&p, 1, left) <= 0) {
            return false;
        }
        char buf[4096];
        ssize_t n = read(vm->fd, buf, sizeof(buf));
        if (n <= 0) {
            return false;
        }
        g_string_append_len(vm->in, buf, n);
    }
    return true;
}

/* Next QMP message (one line). */
static JsonObject *vm_msg(Vm *vm)
{
    g_assert_true(vm_read_until(vm, "\r\n"));
    char *nl = strstr(vm->in->str, "\r\n");
    size_t len = nl - vm->in->str;
    JsonParser *p = json_parser_new();
    GError *err = NULL;
    if (!json_parser_load_from_data(p, vm->in->str, len, &err)) {
        g_error("bad JSON from Vireo: %.*s (%s)", (int)len, vm->in->str, err->message);
    }
    JsonNode *root = json_parser_get_root(p);
    g_assert_true(JSON_NODE_HOLDS_OBJECT(root));
    JsonObject *o = json_object_ref(json_node_get_object(root));
    g_object_unref(p);
    g_string_erase(vm->in, 0, len + 2);
    return o;
}

/* Send a command; return its reply, checking events on the way for 'event'. */
static JsonObject *vm_cmd(Vm *vm, const char *json, const char *event, JsonObject **ev_out)
{
    vm_send(vm, json);
    for (;;) {
        JsonObject *o = vm_msg(vm);
        if (json_object_has_member(o, "event")) {
            if (event && !strcmp(json_object_get_string_member(o, "event"), event) && ev_out) {
                *ev_out = o;
                continue;
            }
            json_object_unref(o);
            continue;
        }
        return o;
    }
}

static JsonObject *vm_wait_event(Vm *vm, const char *event)
{
    for (;;) {
        JsonObject *o = vm_msg(vm);
        if (json_object_has_member(o, "event") &&
            !strcmp(json_object_get_string_member(o, "event"), event)) {
            return o;
        }
        json_object_unref(o);
    }
}

static int vm_wait_exit(Vm *vm)
{
    int status = -1;
    for (int i = 0; i < 500; i++) {
        if (waitpid(vm->pid, &status, WNOHANG) == vm->pid) {
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        g_usleep(10000);
    }
    kill(vm->pid, SIGKILL);
    waitpid(vm->pid, &status, 0);
    return -1;
}

static void vm_cleanup(Vm *vm)
{
    close(vm->fd);
    g_unlink(vm->sock);
    g_rmdir(vm->dir);
    g_free(vm->sock);
    g_free(vm->dir);
    g_string_free(vm->in, TRUE);
}

static const char *ret_status(JsonObject *r)
{
    return json_object_get_string_member(json_object_get_object_member(r, "return"), "status");
}

static void test_qmp_session(void)
{
    Vm vm;
    g_assert_true(vm_start_args(&vm, "-qmp", NULL));
    JsonObject *g = vm_msg(&vm);
    JsonObject *ver = json_object_get_object_member(json_object_get_object_member(g, "QMP"), "version");
    g_assert_nonnull(ver);
    g_autofree char *want = NULL;
    g_assert_true(g_file_get_contents("VERSION", &want, NULL, NULL));
    JsonObject *q = json_object_get_object_member(ver, "qemu");
    g_autofree char *got = g_strdup_printf("%" G_GINT64_FORMAT ".%" G_GINT64_FORMAT ".%" G_GINT64_FORMAT,
                                           json_object_get_int_member(q, "major"),
                                           json_object_get_int_member(q, "minor"),
                                           json_object_get_int_member(q, "micro"));
    g_assert_cmpstr(got, ==, g_strstrip(want));
    json_object_unref(g);

    JsonObject *r = vm_cmd(&vm, "{\"execute\": \"query-status\", \"id\": \"early\"}\n", NULL, NULL);
    g_assert_cmpstr(json_object_get_string_member(json_object_get_object_member(r, "error"), "class"),
                    ==, "CommandNotFound");
    g_assert_cmpstr(json_object_get_string_member(r, "id"), ==, "early");
    json_object_unref(r);

    r = vm_cmd(&vm, "{\"execute\": \"qmp_capabilities\"}\n", NULL, NULL);
    g_assert_true(json_object_has_member(r, "return"));
    json_object_unref(r);

    r = vm_cmd(&vm, "{\"execute\": \"query-status\"}\n", NULL, NULL);
    g_assert_cmpstr(ret_status(r), ==, "running");
    json_object_unref(r);

    JsonObject *ev = NULL;
    r = vm_cmd(&vm, "{\"execute\": \"stop\"}\n", "STOP", &ev);
    json_object_unref(r);
    if (!ev) {
        ev = vm_wait_event(&vm, "STOP");
    }
    g_assert_true(json_object_has_member(json_object_get_object_member(ev, "timestamp"), "seconds"));
    json_object_unref(ev);
    r = vm_cmd(&vm, "{\"execute\": \"query-status\"}\n", NULL, NULL);
    g_assert_cmpstr(ret_status(r), ==, "paused");
    g_assert_false(json_object_get_boolean_member(json_object_get_object_member(r, "return"), "running"));
    json_object_unref(r);

    ev = NULL;
    r = vm_cmd(&vm, "{\"execute\": \"cont\"}\n", "RESUME", &ev);
    json_object_unref(r);
    if (!ev) {
        ev = vm_wait_event(&vm, "RESUME");
    }
    json_object_unref(ev);
    r = vm_cmd(&vm, "{\"execute\": \"query-status\"}\n", NULL, NULL);
    g_assert_cmpstr(ret_status(r), ==, "running");
    json_object_unref(r);

    ev = NULL;
    r = vm_cmd(&vm, "{\"execute\": \"system_reset\"}\n", "RESET", &ev);
    g_assert_true(json_object_has_member(r, "return"));
    json_object_unref(r);
    if (!ev) {
        ev = vm_wait_event(&vm, "RESET");
    }
    JsonObject *d = json_object_get_object_member(ev, "data");
    g_assert_false(json_object_get_boolean_member(d, "guest"));
    g_assert_cmpstr(json_object_get_string_member(d, "reason"), ==, "host-qmp-system-reset");
    json_object_unref(ev);

    /* bad JSON, then an object split over two writes */
    r = vm_cmd(&vm, "{\"execute\": ]\n", NULL, NULL);
    g_assert_true(g_str_has_prefix(json_object_get_string_member(
        json_object_get_object_member(r, "error"), "desc"), "JSON parse error, "));
    json_object_unref(r);
    vm_send(&vm, "{\"execute\": \"query-na");
    g_usleep(100000);
    r = vm_cmd(&vm, "me\", \"id\": 42}\n", NULL, NULL);
    g_assert_cmpint(json_object_get_int_member(r, "id"), ==, 42);
    g_assert_true(json_object_has_member(r, "return"));
    json_object_unref(r);

    r = vm_cmd(&vm, "{\"execute\": \"no-such-command\", \"id\": {\"n\": 3}}\n", NULL, NULL);
    JsonObject *e = json_object_get_object_member(r, "error");
    g_assert_cmpstr(json_object_get_string_member(e, "class"), ==, "CommandNotFound");
    g_assert_cmpstr(json_object_get_string_member(e, "desc"), ==,
                    "The command no-such-command has not been found");
    g_assert_cmpint(json_object_get_int_member(json_object_get_object_member(r, "id"), "n"), ==, 3);
    json_object_unref(r);

    r = vm_cmd(&vm, "{\"execute\": \"query-pci\"}\n", NULL, NULL);
    JsonArray *buses = json_object_get_array_member(r, "return");
    JsonArray *devs = json_object_get_array_member(json_array_get_object_element(buses, 0), "devices");
    /* 00:00.0 is the i440FX host bridge (8086:1237) */
    JsonObject *hb = json_array_get_object_element(devs, 0);
    g_assert_cmpint(json_object_get_int_member(json_object_get_object_member(hb, "id"), "vendor"), ==, 0x8086);
    g_assert_cmpint(json_object_get_int_member(json_object_get_object_member(hb, "id"), "device"), ==, 0x1237);
    json_object_unref(r);

    /* the default VGA's screen, as a PPM; a device that is not a display
     * is DeviceNotFound */
    g_autofree char *ppm = g_strdup_printf("%s/vireo-monsock-%d.ppm", g_get_tmp_dir(), getpid());
    g_autofree char *cmd = g_strdup_printf(
        "{\"execute\": \"screendump\", \"arguments\": {\"filename\": \"%s\"}}\n", ppm);
    r = vm_cmd(&vm, cmd, NULL, NULL);
    g_assert_true(json_object_has_member(r, "return"));
    json_object_unref(r);
    g_autofree char *img = NULL;
    g_assert_true(g_file_get_contents(ppm, &img, NULL, NULL));
    g_assert_true(g_str_has_prefix(img, "P6\n"));
    unlink(ppm);
    r = vm_cmd(&vm, "{\"execute\": \"screendump\", \"arguments\": {\"filename\": \"/tmp/x.ppm\", "
               "\"device\": \"nosuch\"}}\n", NULL, NULL);
    g_assert_cmpstr(json_object_get_string_member(json_object_get_object_member(r, "error"), "class"),
                    ==, "DeviceNotFound");
    json_object_unref(r);

    ev = NULL;
    r = vm_cmd(&vm, "{\"execute\": \"quit\"}\n", "SHUTDOWN", &ev);
    g_assert_true(json_object_has_member(r, "return"));
    json_object_unref(r);
    if (!ev) {
        ev = vm_wait_event(&vm, "SHUTDOWN");
    }
    d = json_object_get_object_member(ev, "data");
    g_assert_false(json_object_get_boolean_member(d, "guest"));
    g_assert_cmpstr(json_object_get_string_member(d, "reason"), ==, "host-qmp-quit");
    json_object_unref(ev);
    g_assert_cmpint(vm_wait_exit(&vm), ==, 0);
    vm_cleanup(&vm);
}

static void test_qmp_prelaunch(void)
{
    Vm vm;
    const char *const extra[] = { "-S", NULL };
    g_assert_true(vm_start_args(&vm, "-qmp", extra));
    json_object_unref(vm_msg(&vm));
    json_object_unref(vm_cmd(&vm, "{\"execute\": \"qmp_capabilities\"}", NULL, NULL));
    JsonObject *r = vm_cmd(&vm, "{\"execute\": \"query-status\"}", NULL, NULL);
    g_assert_cmpstr(ret_status(r), ==, "prelaunch");
    json_object_unref(r);
    json_object_unref(vm_cmd(&vm, "{\"execute\": \"cont\"}", NULL, NULL));
    r = vm_cmd(&vm, "{\"execute\": \"query-status\"}", NULL, NULL);
    g_assert_cmpstr(ret_status(r), ==, "running");
    json_object_unref(r);
    /* a second client after the first leaves negotiates afresh */
    close(vm.fd);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    g_strlcpy(sa.sun_path, vm.sock, sizeof(sa.sun_path));
    vm.fd = socket(AF_UNIX, SOCK_STREAM, 0);
    g_assert_cmpint(connect(vm.fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    g_string_truncate(vm.in, 0);
    JsonObject *g = vm_msg(&vm);
    g_assert_true(json_object_has_member(g, "QMP"));
    json_object_unref(g);
    r = vm_cmd(&vm, "{\"execute\": \"quit\"}", NULL, NULL);
    g_assert_cmpstr(json_object_get_string_member(json_object_get_object_member(r, "error"), "class"),
                    ==, "CommandNotFound");
    json_object_unref(r);
    json_object_unref(vm_cmd(&vm, "{\"execute\": \"qmp_capabilities\"}", NULL, NULL));
    json_object_unref(vm_cmd(&vm, "{\"execute\": \"quit\"}", NULL, NULL));
    g_assert_cmpint(vm_wait_exit(&vm), ==, 0);
    vm_cleanup(&vm);
}

/* -machine none builds nothing; QMP still answers, and query-machines
 * lists pc (alias of the versioned type) and none, as harnesses expect. */
static void test_qmp_machine_none(void)
{
    Vm vm;
    const char *const extra[] = { "-machine", "none", NULL };
    g_assert_true(vm_start_args(&vm, "-qmp", extra));
    json_object_unref(vm_msg(&vm));
    json_object_unref(vm_cmd(&vm, "{\"execute\": \"qmp_capabilities\"}", NULL, NULL));
    JsonObject *r = vm_cmd(&vm, "{\"execute\": \"query-machines\"}", NULL, NULL);
    JsonArray *a = json_object_get_array_member(r, "return");
    bool pc = false, none = false;
    for (guint i = 0; i < json_array_get_length(a); i++) {
        JsonObject *m = json_array_get_object_element(a, i);
        const char *name = json_object_get_string_member(m, "name");
        if (json_object_has_member(m, "alias") &&
            !strcmp(json_object_get_string_member(m, "alias"), "pc")) {
            pc = g_str_has_prefix(name, "pc-i440fx-") &&
                 json_object_get_boolean_member(m, "is-default");
        }
        none |= !strcmp(name, "none");
    }
    g_assert_true(pc);
    g_assert_true(none);
    json_object_unref(r);
    json_object_unref(vm_cmd(&vm, "{\"execute\": \"quit\"}", NULL, NULL));
    g_assert_cmpint(vm_wait_exit(&vm), ==, 0);
    vm_cleanup(&vm);
}

/* HMP: run a command, return its output (between the echoed line and the prompt). */
static char *hmp(Vm *vm, const char *cmd)
{
    g_string_truncate(vm->in, 0);
    g_autofree char *line = g_strdup_printf("%s\r\n", cmd);
    vm_send(vm, line);
    g_assert_true(vm_read_until(vm, "(qemu) "));
    char *start = strstr(vm->in->str, "\r\n");
    g_assert_nonnull(start);
    char *end = strstr(start, "(qemu) ");
    return g_strndup(start + 2, end - start - 2);
}

/* Bytes of the BIOS image at its end - off, as "0x.." words. */
static char *bios_bytes(size_t off, size_t n)
{
    g_autofree char *path = g_build_filename(build_dir(), "firmware", "bios.bin", NULL);
    gchar *img;
    gsize len;
    g_assert_true(g_file_get_contents(path, &img, &len, NULL));
    GString *s = g_string_new(NULL);
    for (size_t i = 0; i < n; i++) {
        g_string_append_printf(s, " 0x%02x", (uint8_t)img[len - off + i]);
    }
    g_free(img);
    return g_string_free(s, FALSE);
}

static void test_hmp_session(void)
{
    Vm vm;
    g_assert_true(vm_start_args(&vm, "-monitor", NULL));
    g_assert_true(vm_read_until(&vm, "(qemu) "));
    g_assert_nonnull(strstr(vm.in->str, "monitor - type 'help' for more information"));

    g_autofree char *st = hmp(&vm, "info status");
    g_assert_cmpstr(st, ==, "VM status: running\r\n");
    g_autofree char *stop = hmp(&vm, "stop");
    g_assert_cmpstr(stop, ==, "");
    g_autofree char *st2 = hmp(&vm, "info status");
    g_assert_cmpstr(st2, ==, "VM status: paused\r\n");

    g_autofree char *regs = hmp(&vm, "info registers");
    g_assert_nonnull(strstr(regs, "EIP="));
    g_assert_nonnull(strstr(regs, "CR0="));

    /* the reset vector: the top 16 bytes of the BIOS image at 4G-16 */
    g_autofree char *top = hmp(&vm, "xp /16xb 0xfffffff0");
    g_autofree char *want_lo = bios_bytes(16, 8);
    g_autofree char *want_hi = bios_bytes(8, 8);
    g_autofree char *expect = g_strdup_printf("00000000fffffff0:%s\r\n00000000fffffff8:%s\r\n",
                                              want_lo, want_hi);
    g_assert_cmpstr(top, ==, expect);
    /* and its far jump, copied into RAM below 1M by SeaBIOS (virtual =
     * physical here).  The VM may have been stopped before SeaBIOS got
     * that far (a loaded sanitizer build, with the VGA BIOS to run too):
     * let it run on in short steps until it has, for at most 10 s. */
    g_autofree char *jmp = bios_bytes(16, 5);
    g_autofree char *expect2 = g_strdup_printf("00000000000ffff0:%s\r\n", jmp);
    char *low = hmp(&vm, "x /5xb 0xffff0");
    for (int i = 0; i < 100 && strcmp(low, expect2); i++) {
        g_free(hmp(&vm, "cont"));
        g_usleep(100000);
        g_free(hmp(&vm, "stop"));
        g_free(low);
        low = hmp(&vm, "x /5xb 0xffff0");
    }
    g_assert_cmpstr(low, ==, expect2);
    g_free(low);
    g_autofree char *dis = hmp(&vm, "x /1i 0xffff0");
    g_assert_nonnull(strstr(dis, "jmp"));

    g_autofree char *p = hmp(&vm, "print (6*7) + $eip - $eip");
    g_assert_cmpstr(p, ==, "0x2a\r\n");
    g_autofree char *pd = hmp(&vm, "p /d 0x10 << 2");
    g_assert_cmpstr(pd, ==, "64\r\n");
    g_autofree char *bad = hmp(&vm, "frobnicate");
    g_assert_cmpstr(bad, ==, "unknown command: 'frobnicate'\r\n");
    g_autofree char *cont = hmp(&vm, "c");
    g_autofree char *st3 = hmp(&vm, "info status");
    g_assert_cmpstr(st3, ==, "VM status: running\r\n");

    vm_send(&vm, "quit\r\n");
    g_assert_cmpint(vm_wait_exit(&vm), ==, 0);
    vm_cleanup(&vm);
}

/* Only the EIP=... word of info registers. */
static char *hmp_eip(Vm *vm)
{
    g_autofree char *regs = hmp(vm, "info registers");
    char *e = strstr(regs, "EIP=");
    g_assert_nonnull(e);
    return g_strndup(e, 12);
}

/* -S and stop really hold the CPU: EIP stays at the reset vector while
 * stopped, moves after cont, and stays put again after stop. */
static void test_hmp_stopped_cpu(void)
{
    Vm vm;
    const char *const extra[] = { "-S", NULL };
    g_assert_true(vm_start_args(&vm, "-monitor", extra));
    g_assert_true(vm_read_until(&vm, "(qemu) "));
    g_autofree char *st = hmp(&vm, "info status");
    g_assert_cmpstr(st, ==, "VM status: paused (prelaunch)\r\n");
    g_autofree char *e0 = hmp_eip(&vm);
    g_assert_cmpstr(e0, ==, "EIP=0000fff0");
    g_usleep(300000);
    g_autofree char *e1 = hmp_eip(&vm);
    g_assert_cmpstr(e1, ==, "EIP=0000fff0");
    g_free(hmp(&vm, "cont"));
    g_usleep(300000);
    g_free(hmp(&vm, "stop"));
    g_autofree char *e2 = hmp_eip(&vm);
    g_assert_cmpstr(e2, !=, "EIP=0000fff0");
    g_autofree char *r1 = hmp(&vm, "info registers");
    g_usleep(300000);
    g_autofree char *r2 = hmp(&vm, "info registers");
    g_assert_cmpstr(r1, ==, r2);
    vm_send(&vm, "q\r\n");
    g_assert_cmpint(vm_wait_exit(&vm), ==, 0);
    vm_cleanup(&vm);
}

/* -nographic: COM1 and the human monitor share stdio; Ctrl-A c switches to
 * the monitor (banner and prompt), Ctrl-A c back, Ctrl-A x quits. */
static void test_hmp_mux(void)
{
    g_autofree char *bin = g_build_filename(build_dir(), "vireo", NULL);
    const char *argv[] = { bin, "-nographic", "-m", "64", NULL };
    GPid pid;
    int in_fd, out_fd;
    GError *err = NULL;
    g_assert_true(g_spawn_async_with_pipes(NULL, (char **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                           NULL, NULL, &pid, &in_fd, &out_fd, NULL, &err));
    g_assert_no_error(err);
    Vm vm = { .pid = pid, .fd = out_fd, .in = g_string_new(NULL) };
    /* SeaBIOS on COM1 first: the monitor stays silent until asked */
    g_assert_true(vm_read_until(&vm, "SeaBIOS"));
    g_assert_null(strstr(vm.in->str, "(qemu)"));
    g_assert_cmpint(write(in_fd, "\001c", 2), ==, 2);
    g_assert_true(vm_read_until(&vm, "(qemu) "));
    g_assert_nonnull(strstr(vm.in->str, "monitor - type 'help' for more information"));
    g_assert_cmpint(write(in_fd, "info status\r", 12), ==, 12);
    g_assert_true(vm_read_until(&vm, "VM status: running\r\n(qemu) "));
    g_assert_cmpint(write(in_fd, "\001c\001x", 4), ==, 4);
    g_assert_cmpint(vm_wait_exit(&vm), ==, 0);
    close(in_fd);
    close(out_fd);
    g_string_free(vm.in, TRUE);
}

/* A guest that powers off through ACPI S5 (tests/acpi/s5.asm as the BIOS):
 * SHUTDOWN with guest=true, reason guest-shutdown; with -no-shutdown the VM
 * then stops (STOP) in state "shutdown" instead of exiting. */
static void guest_shutdown(bool no_shutdown)
{
    g_autofree char *dir = g_dir_make_tmp("vireo-s5-XXXXXX", NULL);
    g_autofree char *bin = g_build_filename(dir, "s5.bin", NULL);
    const char *nasm[] = { "nasm", "-f", "bin", "-o", bin, "tests/acpi/s5.asm", NULL };
    gint st = -1;
    if (!g_spawn_sync(NULL, (char **)nasm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                      &st, NULL) || st != 0) {
        g_test_skip("nasm could not assemble tests/acpi/s5.asm");
        return;
    }
    Vm vm;
    const char *extra[] = { "-bios", bin, "-S", no_shutdown ? "-no-shutdown" : NULL, NULL };
    g_assert_true(vm_start_args(&vm, "-qmp", extra));
    json_object_unref(vm_msg(&vm));
    json_object_unref(vm_cmd(&vm, "{\"execute\": \"qmp_capabilities\"}", NULL, NULL));
    json_object_unref(vm_cmd(&vm, "{\"execute\": \"cont\"}", NULL, NULL));
    JsonObject *ev = vm_wait_event(&vm, "SHUTDOWN");
    JsonObject *d = json_object_get_object_member(ev, "data");
    g_assert_true(json_object_get_boolean_member(d, "guest"));
    g_assert_cmpstr(json_object_get_string_member(d, "reason"), ==, "guest-shutdown");
    json_object_unref(ev);
    if (no_shutdown) {
        json_object_unref(vm_wait_event(&vm, "STOP"));
        JsonObject *r = vm_cmd(&vm, "{\"execute\": \"query-status\"}", NULL, NULL);
        g_assert_cmpstr(ret_status(r), ==, "shutdown");
        json_object_unref(r);
        r = vm_cmd(&vm, "{\"execute\": \"cont\"}", NULL, NULL);
        g_assert_cmpstr(json_object_get_string_member(json_object_get_object_member(r, "error"), "desc"),
                        ==, "Resetting the Virtual Machine is required");
        json_object_unref(r);
        json_object_unref(vm_cmd(&vm, "{\"execute\": \"system_reset\"}", NULL, NULL));
        json_object_unref(vm_wait_event(&vm, "RESET"));
        r = vm_cmd(&vm, "{\"execute\": \"query-status\"}", NULL, NULL);
        g_assert_cmpstr(ret_status(r), ==, "paused");
        json_object_unref(r);
        json_object_unref(vm_cmd(&vm, "{\"execute\": \"quit\"}", NULL, NULL));
    }
    g_assert_cmpint(vm_wait_exit(&vm), ==, 0);
    vm_cleanup(&vm);
    g_unlink(bin);
    g_rmdir(dir);
}

static void test_qmp_guest_shutdown(void)
{
    guest_shutdown(false);
}

static void test_qmp_guest_shutdown_stop(void)
{
    guest_shutdown(true);
}

static void skip_missing(void)
{
    g_test_skip("build/vireo or the SeaBIOS image is missing");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    signal(SIGPIPE, SIG_IGN);
    g_autofree char *bin = g_build_filename(build_dir(), "vireo", NULL);
    g_autofree char *bios = g_build_filename(build_dir(), "firmware", "bios.bin", NULL);
    if (!g_file_test(bin, G_FILE_TEST_IS_EXECUTABLE) || !g_file_test(bios, G_FILE_TEST_EXISTS)) {
        g_test_add_func("/monitor/skip", skip_missing);
        return g_test_run();
    }
    g_test_add_func("/monitor/qmp-session", test_qmp_session);
    g_test_add_func("/monitor/qmp-prelaunch-reconnect", test_qmp_prelaunch);
    g_test_add_func("/monitor/qmp-machine-none", test_qmp_machine_none);
    g_test_add_func("/monitor/hmp-session", test_hmp_session);
    g_test_add_func("/monitor/hmp-stopped-cpu", test_hmp_stopped_cpu);
    g_test_add_func("/monitor/hmp-mux", test_hmp_mux);
    g_test_add_func("/monitor/qmp-guest-shutdown", test_qmp_guest_shutdown);
    g_test_add_func("/monitor/qmp-guest-shutdown-no-shutdown", test_qmp_guest_shutdown_stop);
    return g_test_run();
}
