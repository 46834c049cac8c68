/*
 * The gdbstub's protocol engine end to end: start $BUILD/vireo with
 * -gdb unix:SOCK -S and speak the GDB remote serial protocol to it as gdb
 * would, checking what gdb relies on: acks and checksums (a bad checksum
 * gets '-'), escaped binary X writes, qSupported features, the target
 * description and a g packet whose size matches it, the reset-vector
 * registers, memory reads against the BIOS image, breakpoints that leave
 * guest memory untouched, watchpoint and step stop replies, thread ids,
 * Ctrl-C, monitor commands through qRcmd, and k ending Vireo.
 * The guest is tests/gdb/target.asm (built by make check) or SeaBIOS.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
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
    bool closing;           /* Vireo may close fd once its last reply is out */
} Vm;

static const char *build_dir(void)
{
    return g_getenv("BUILD") ? g_getenv("BUILD") : "build";
}

static char *target_path(const char *ext)
{
    return g_strdup_printf("%s/tests/gdb/target.%s", build_dir(), ext);
}

/* Start Vireo stopped (-S) with the gdbstub on a unix socket; connect. */
static void vm_start(Vm *vm, bool own_guest)
{
    vm->dir = g_dir_make_tmp("vireo-gdb-XXXXXX", NULL);
    vm->sock = g_build_filename(vm->dir, "gdb.sock", NULL);
    vm->in = g_string_new(NULL);
    vm->closing = false;
    g_autofree char *bin = g_build_filename(build_dir(), "vireo", NULL);
    g_autofree char *spec = g_strdup_printf("unix:%s", vm->sock);
    g_autofree char *bios = target_path("bin");
    GPtrArray *argv = g_ptr_array_new();
    const char *fixed[] = { bin, "-display", "none", "-m", "32", "-S", "-gdb", spec,
                            "-device", "isa-debug-exit,iobase=0xf4,iosize=4" };
    for (size_t i = 0; i < G_N_ELEMENTS(fixed); i++) {
        g_ptr_array_add(argv, (char *)fixed[i]);
    }
    if (own_guest) {
        if (!g_file_test(bios, G_FILE_TEST_EXISTS)) {
            g_error("missing %s (make check builds it)", bios);
        }
        g_ptr_array_add(argv, (char *)"-bios");
        g_ptr_array_add(argv, bios);
    }
    g_ptr_array_add(argv, NULL);
    GError *err = NULL;
    gboolean ok = g_spawn_async(NULL, (char **)argv->pdata, NULL,
                                G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL,
                                NULL, NULL, &vm->pid, &err);
    g_ptr_array_free(argv, TRUE);
    g_assert_no_error(err);
    g_assert_true(ok);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    g_strlcpy(sa.sun_path, vm->sock, sizeof(sa.sun_path));
    for (int i = 0; i < 500; i++) {
        vm->fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (connect(vm->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
            return;
        }
        close(vm->fd);
        g_usleep(10000);
    }
    g_error("could not connect to %s", vm->sock);
}

/* Wait for Vireo to exit (5 s); its exit status. */
static int vm_wait(Vm *vm)
{
    int status = 0;
    for (int i = 0; i < 500; i++) {
        if (waitpid(vm->pid, &status, WNOHANG) == vm->pid) {
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        }
        g_usleep(10000);
    }
    return -2;
}

static void vm_end(Vm *vm)
{
    close(vm->fd);
    kill(vm->pid, SIGTERM);
    vm_wait(vm);
    g_spawn_close_pid(vm->pid);
    g_unlink(vm->sock);
    g_rmdir(vm->dir);
    g_free(vm->sock);
    g_free(vm->dir);
    g_string_free(vm->in, TRUE);
}

static void vm_send_raw(Vm *vm, const char *s, size_t len)
{
    ssize_t n = write(vm->fd, s, len);
    if (n < 0 && vm->closing && (errno == EPIPE || errno == ECONNRESET)) {
        return;             /* an ack that came after the close */
    }
    g_assert_cmpint(n, ==, (ssize_t)len);
}

/* Read more input; false after 5 s without any. */
static bool vm_fill(Vm *vm)
{
    struct pollfd p = { .fd = vm->fd, .events = POLLIN };
    if (poll(&p, 1, 5000) <= 0) {
        return false;
    }
    char buf[4096];
    ssize_t n = read(vm->fd, buf, sizeof(buf));
    if (n <= 0) {
        return false;
    }
    g_string_append_len(vm->in, buf, n);
    return true;
}

/* Next byte that is not part of a packet: '+' or '-'. */
static char vm_ack(Vm *vm)
{
    while (!vm->in->len) {
        g_assert_true(vm_fill(vm));
    }
    char c = vm->in->str[0];
    g_string_erase(vm->in, 0, 1);
    return c;
}

/* Next packet: checks its checksum, acks it, returns the unescaped payload. */
static GString *vm_packet(Vm *vm)
{
    char *hash;
    while (!(vm->in->len && vm->in->str[0] == '$' && (hash = memchr(vm->in->str, '#', vm->in->len)) &&
             hash + 3 <= vm->in->str + vm->in->len)) {
        g_assert_true(vm_fill(vm));
        /* nothing may come before a packet but acks, which vm_ack takes */
        g_assert_cmpint(vm->in->str[0], ==, '$');
    }
    size_t n = hash - vm->in->str - 1;
    uint8_t sum = 0;
    GString *out = g_string_new(NULL);
    for (size_t i = 0; i < n; i++) {
        char c = vm->in->str[1 + i];
        sum += (uint8_t)c;
        if (c == '}') {
            g_assert_cmpuint(i + 1, <, n);
            c = vm->in->str[2 + i] ^ 0x20;
            sum += (uint8_t)vm->in->str[2 + i];
            i++;
        }
        g_string_append_c(out, c);
    }
    char hex[3] = { hash[1], hash[2], 0 };
    g_assert_cmpuint(strtoul(hex, NULL, 16), ==, sum);
    g_string_erase(vm->in, 0, n + 4);
    vm_send_raw(vm, "+", 1);
    return out;
}

/* Send a packet (escaping $ # } *), expect '+'. */
static void vm_put(Vm *vm, const char *payload, size_t len)
{
    GString *s = g_string_new("$");
    uint8_t sum = 0;
    for (size_t i = 0; i < len; i++) {
        char c = payload[i];
        if (c == '$' || c == '#' || c == '}' || c == '*') {
            g_string_append_c(s, '}');
            sum += '}';
            c ^= 0x20;
        }
        g_string_append_c(s, c);
        sum += (uint8_t)c;
    }
    g_string_append_printf(s, "#%02x", sum);
    vm_send_raw(vm, s->str, s->len);
    g_string_free(s, TRUE);
    g_assert_cmpint(vm_ack(vm), ==, '+');
}

/* One command, one reply. */
static char *vm_cmd(Vm *vm, const char *cmd)
{
    vm_put(vm, cmd, strlen(cmd));
    return g_string_free(vm_packet(vm), FALSE);
}

static void assert_cmd(Vm *vm, const char *cmd, const char *want)
{
    g_autofree char *r = vm_cmd(vm, cmd);
    if (strcmp(r, want)) {
        g_error("%s: got '%s', want '%s'", cmd, r, want);
    }
}

static uint64_t le_hex(const char *hex, size_t bytes)
{
    uint64_t v = 0;
    for (size_t i = 0; i < bytes && i < 8; i++) {
        unsigned b;
        g_assert_cmpint(sscanf(hex + 2 * i, "%2x", &b), ==, 1);
        v |= (uint64_t)b << (8 * i);
    }
    return v;
}

static uint64_t reg(Vm *vm, int n)
{
    g_autofree char *cmd = g_strdup_printf("p%x", n);
    g_autofree char *r = vm_cmd(vm, cmd);
    g_assert_cmpuint(strlen(r), >=, 8);
    return le_hex(r, strlen(r) / 2);
}

static uint64_t map_symbol(const char *name)
{
    g_autofree char *path = target_path("map");
    g_autofree char *text = NULL;
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (int i = 0; lines[i]; i++) {
        g_auto(GStrv) f = g_strsplit_set(g_strstrip(lines[i]), " ", -1);
        int nf = 0;
        const char *cols[3];
        for (int j = 0; f[j] && nf < 3; j++) {
            if (*f[j]) {
                cols[nf++] = f[j];
            }
        }
        if (nf == 3 && !strcmp(cols[2], name)) {
            return g_ascii_strtoull(cols[1], NULL, 16);
        }
    }
    g_error("symbol %s not in %s", name, path);
}

/* ---- target description ---- */

typedef struct {
    GPtrArray *names;
    GArray *bits;
    char *arch;
    GString *text;
} Tdesc;

static void tdesc_start(GMarkupParseContext *ctx, const char *el, const char **an, const char **av,
                        gpointer data, GError **err)
{
    Tdesc *t = data;
    if (!strcmp(el, "reg")) {
        const char *name = NULL, *bits = NULL;
        for (int i = 0; an[i]; i++) {
            if (!strcmp(an[i], "name")) {
                name = av[i];
            } else if (!strcmp(an[i], "bitsize")) {
                bits = av[i];
            }
        }
        g_assert_nonnull(name);
        g_assert_nonnull(bits);
        g_ptr_array_add(t->names, g_strdup(name));
        int b = atoi(bits);
        g_array_append_val(t->bits, b);
    }
}

static void tdesc_text(GMarkupParseContext *ctx, const char *text, gsize len, gpointer data,
                       GError **err)
{
    Tdesc *t = data;
    if (!strcmp(g_markup_parse_context_get_element(ctx), "architecture")) {
        g_free(t->arch);
        t->arch = g_strndup(text, len);
    }
}

static void tdesc_read(Vm *vm, Tdesc *t)
{
    t->text = g_string_new(NULL);
    /* small chunks so the m/l continuation is exercised */
    for (;;) {
        g_autofree char *cmd = g_strdup_printf("qXfer:features:read:target.xml:%zx,200", t->text->len);
        g_autofree char *r = vm_cmd(vm, cmd);
        g_assert_true(r[0] == 'm' || r[0] == 'l');
        g_assert_cmpuint(strlen(r + 1), <=, 0x200);
        g_string_append(t->text, r + 1);
        if (r[0] == 'l') {
            break;
        }
    }
    t->names = g_ptr_array_new_with_free_func(g_free);
    t->bits = g_array_new(FALSE, FALSE, sizeof(int));
    GMarkupParser p = { .start_element = tdesc_start, .text = tdesc_text };
    GMarkupParseContext *ctx = g_markup_parse_context_new(&p, 0, t, NULL);
    GError *err = NULL;
    /* GMarkup does not take <!DOCTYPE>: parse from the root element */
    const char *root = strstr(t->text->str, "<target");
    g_assert_nonnull(root);
    g_markup_parse_context_parse(ctx, root, -1, &err);
    g_assert_no_error(err);
    g_markup_parse_context_end_parse(ctx, &err);
    g_assert_no_error(err);
    g_markup_parse_context_free(ctx);
}

static void test_description(void)
{
    Vm vm;
    vm_start(&vm, true);
    g_autofree char *sup = vm_cmd(&vm, "qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386");
    for (const char *f = "PacketSize=\0qXfer:features:read+\0swbreak+\0hwbreak+\0vContSupported+\0"; *f;
         f += strlen(f) + 1) {
        if (!strstr(sup, f)) {
            g_error("qSupported reply '%s' lacks %s", sup, f);
        }
    }
    Tdesc t = { 0 };
    tdesc_read(&vm, &t);
    g_assert_cmpstr(t.arch, ==, "i386:x86-64");
    /* gdb's amd64 numbering: core (GPRs in gdb's order, rip, eflags,
     * selectors, x87), then SSE, then the segment bases */
    static const char *const order[] = {
        "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12",
        "r13", "r14", "r15", "rip", "eflags", "cs", "ss", "ds", "es", "fs", "gs", "st0", "st1",
        "st2", "st3", "st4", "st5", "st6", "st7", "fctrl", "fstat", "ftag", "fiseg", "fioff",
        "foseg", "fooff", "fop", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
        "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "mxcsr", "fs_base",
        "gs_base",
    };
    g_assert_cmpuint(t.names->len, ==, G_N_ELEMENTS(order));
    int total_bits = 0;
    for (guint i = 0; i < t.names->len; i++) {
        g_assert_cmpstr(g_ptr_array_index(t.names, i), ==, order[i]);
        int bits = g_array_index(t.bits, int, i);
        total_bits += bits;
        /* p returns exactly the described size */
        g_autofree char *cmd = g_strdup_printf("p%x", i);
        g_autofree char *r = vm_cmd(&vm, cmd);
        g_assert_cmpuint(strlen(r), ==, (size_t)bits / 4);
    }
    g_autofree char *g = vm_cmd(&vm, "g");
    g_assert_cmpuint(strlen(g), ==, (size_t)total_bits / 4);
    g_autofree char *past = g_strdup_printf("p%x", t.names->len);
    g_autofree char *r = vm_cmd(&vm, past);
    g_assert_cmpint(r[0], ==, 'E');
    assert_cmd(&vm, "qXfer:features:read:nosuch.xml:0,100", "E00");
    g_free(t.arch);
    g_ptr_array_free(t.names, TRUE);
    g_array_free(t.bits, TRUE);
    g_string_free(t.text, TRUE);
    vm_end(&vm);
}

static void test_framing_and_state(void)
{
    Vm vm;
    vm_start(&vm, true);
    /* a corrupted packet is refused and can be sent again */
    vm_send_raw(&vm, "$?#00", 5);
    g_assert_cmpint(vm_ack(&vm), ==, '-');
    assert_cmd(&vm, "?", "T05thread:01;");
    assert_cmd(&vm, "qAttached", "1");
    assert_cmd(&vm, "qC", "QC01");
    assert_cmd(&vm, "qfThreadInfo", "m01");
    assert_cmd(&vm, "qsThreadInfo", "l");
    assert_cmd(&vm, "T1", "OK");
    assert_cmd(&vm, "T2", "E01");
    assert_cmd(&vm, "Hg1", "OK");
    assert_cmd(&vm, "Hc-1", "OK");
    assert_cmd(&vm, "Hg0", "OK");
    assert_cmd(&vm, "Hg5", "E22");
    assert_cmd(&vm, "qOffsets", "Text=0;Data=0;Bss=0");
    assert_cmd(&vm, "vCont?", "vCont;c;C;s;S;t");
    assert_cmd(&vm, "vMustReplyEmpty", "");

    /* the reset state: CS:IP = f000:fff0, EFLAGS 2 */
    g_assert_cmphex(reg(&vm, 16), ==, 0xfff0);
    g_assert_cmphex(reg(&vm, 18), ==, 0xf000);
    g_assert_cmphex(reg(&vm, 17), ==, 0x2);
    /* register writes read back through p and g */
    assert_cmd(&vm, "P0=efbeadde00000000", "OK");
    g_assert_cmphex(reg(&vm, 0), ==, 0xdeadbeef);
    g_autofree char *g = vm_cmd(&vm, "g");
    g_assert_true(g_str_has_prefix(g, "efbeadde00000000"));
    /* fs_base (57) takes a write; outside long mode bases are 32-bit */
    assert_cmd(&vm, "P39=0010000001000000", "OK");
    g_assert_cmphex(reg(&vm, 57), ==, 0x1000);
    /* segment selectors are not written behind the CPU's back */
    assert_cmd(&vm, "P12=08000000", "E01");
    g_assert_cmphex(reg(&vm, 18), ==, 0xf000);

    /* memory: the top of the 4 GB space is the BIOS image's last 16 bytes */
    g_autofree char *bios_path = target_path("bin");
    g_autofree char *bios = NULL;
    gsize bios_len;
    g_assert_true(g_file_get_contents(bios_path, &bios, &bios_len, NULL));
    GString *want = g_string_new(NULL);
    for (int i = 16; i > 0; i--) {
        g_string_append_printf(want, "%02x", (uint8_t)bios[bios_len - i]);
    }
    g_autofree char *top = vm_cmd(&vm, "mfffffff0,10");
    g_assert_cmpstr(top, ==, want->str);
    /* a breakpoint there does not show in memory */
    assert_cmd(&vm, "Z0,fffffff0,1", "OK");
    g_autofree char *top2 = vm_cmd(&vm, "mfffffff0,10");
    g_assert_cmpstr(top2, ==, want->str);
    assert_cmd(&vm, "z0,fffffff0,1", "OK");
    g_string_free(want, TRUE);

    /* M (hex) and X (binary, escaped: $ # } * and NUL) into RAM */
    assert_cmd(&vm, "M2000,4:78563412", "OK");
    assert_cmd(&vm, "m2000,4", "78563412");
    static const char xpkt[] = "X2004,6:\x23\x24\x7d\x2a\x00\x41";
    vm_put(&vm, xpkt, sizeof(xpkt) - 1);
    GString *xr = vm_packet(&vm);
    g_assert_cmpstr(xr->str, ==, "OK");
    g_string_free(xr, TRUE);
    assert_cmd(&vm, "m2000,a", "7856341223247d2a0041");
    assert_cmd(&vm, "X2000,0:", "OK");
    assert_cmd(&vm, "m2000,2", "7856");
    /* malformed requests get errors, not crashes */
    assert_cmd(&vm, "X2000,5:ab", "E22");
    assert_cmd(&vm, "m2000", "E22");
    assert_cmd(&vm, "M2000,4:78", "E22");
    assert_cmd(&vm, "m0,ffffffffffff", "E22");
    assert_cmd(&vm, "Z2,2000,0", "E22");
    assert_cmd(&vm, "Z9,2000,1", "");
    assert_cmd(&vm, "vCont;x", "E22");
    vm_end(&vm);
}

/* Breakpoints, watchpoints and steps on tests/gdb/target.asm. */
static void test_run_control(void)
{
    uint64_t loop = map_symbol("gdb_loop"), after = map_symbol("gdb_after");
    uint64_t counter = map_symbol("counter");
    Vm vm;
    vm_start(&vm, true);
    /* a step at the reset vector: the far jump leaves CS:IP elsewhere */
    assert_cmd(&vm, "vCont;s:1", "T05thread:01;");
    g_assert_cmphex(reg(&vm, 16), !=, 0xfff0);
    g_assert_cmphex(reg(&vm, 18), ==, 0xf000);

    g_autofree char *z0 = g_strdup_printf("Z0,%" G_GINT64_MODIFIER "x,1", loop);
    assert_cmd(&vm, z0, "OK");
    assert_cmd(&vm, "c", "T05swbreak:;thread:01;");
    g_assert_cmphex(reg(&vm, 16), ==, loop);
    g_assert_cmphex(reg(&vm, 0), ==, 0x11111111);
    /* continuing from a breakpoint runs the instruction under it: the next
     * loop iteration stops there again with counter one higher */
    g_autofree char *mcount = g_strdup_printf("m%" G_GINT64_MODIFIER "x,4", counter);
    assert_cmd(&vm, mcount, "00000000");
    assert_cmd(&vm, "vCont;c", "T05swbreak:;thread:01;");
    assert_cmd(&vm, mcount, "01000000");
    g_autofree char *z0off = g_strdup_printf("z0,%" G_GINT64_MODIFIER "x,1", loop);
    assert_cmd(&vm, z0off, "OK");

    /* write watchpoint: stops after the store, naming the address */
    g_autofree char *z2 = g_strdup_printf("Z2,%" G_GINT64_MODIFIER "x,4", counter);
    assert_cmd(&vm, z2, "OK");
    g_autofree char *hit = g_strdup_printf("T05watch:%" G_GINT64_MODIFIER "x;thread:01;", counter);
    assert_cmd(&vm, "c", hit);
    assert_cmd(&vm, mcount, "02000000");
    z2[0] = 'z';
    assert_cmd(&vm, z2, "OK");
    /* read watchpoint: the cmp reads counter */
    g_autofree char *z3 = g_strdup_printf("Z3,%" G_GINT64_MODIFIER "x,4", counter);
    assert_cmd(&vm, z3, "OK");
    g_autofree char *rhit = g_strdup_printf("T05rwatch:%" G_GINT64_MODIFIER "x;thread:01;", counter);
    assert_cmd(&vm, "c", rhit);
    z3[0] = 'z';
    assert_cmd(&vm, z3, "OK");

    /* hardware breakpoint after the loop */
    g_autofree char *z1 = g_strdup_printf("Z1,%" G_GINT64_MODIFIER "x,1", after);
    assert_cmd(&vm, z1, "OK");
    assert_cmd(&vm, "c", "T05hwbreak:;thread:01;");
    g_assert_cmphex(reg(&vm, 16), ==, after);
    assert_cmd(&vm, mcount, "e8030000");
    /* stepping from the breakpoint moves on */
    assert_cmd(&vm, "s", "T05thread:01;");
    g_assert_cmphex(reg(&vm, 16), >, after);

    /* paging: VA 0x400000 shows poke's page, 0x401000 is not present */
    uint64_t paged = map_symbol("gdb_paged"), poke = map_symbol("poke");
    g_autofree char *zp = g_strdup_printf("Z0,%" G_GINT64_MODIFIER "x,1", paged);
    assert_cmd(&vm, zp, "OK");
    assert_cmd(&vm, "M2000,4:00000000", "OK");
    g_autofree char *mpoke = g_strdup_printf("M%" G_GINT64_MODIFIER "x,4:0df0feca", poke);
    assert_cmd(&vm, mpoke, "OK");
    assert_cmd(&vm, "c", "T05swbreak:;thread:01;");
    g_autofree char *mva = g_strdup_printf("m%" G_GINT64_MODIFIER "x,4", 0x400000 + (poke & 0xfff));
    assert_cmd(&vm, mva, "0df0feca");
    assert_cmd(&vm, "m401000,4", "E14");
    assert_cmd(&vm, "m400ffe,4", "E14");    /* crossing into the unmapped page */
    assert_cmd(&vm, "M401000,1:00", "E14");
    assert_cmd(&vm, "X401000,1:a", "E14");

    /* detach: breakpoints go, the guest runs to its end (debug-exit 1:
     * its own checks of poke and EDI fail, so it reports failures, but it
     * must finish) */
    assert_cmd(&vm, "D", "OK");
    g_assert_cmpint(vm_wait(&vm), >=, 0);
    vm_end(&vm);
}

/* "monitor CMD" as gdb sends it; the text the monitor printed. */
static char *monitor_cmd(Vm *vm, const char *cmd)
{
    GString *hex = g_string_new("qRcmd,");
    for (const char *c = cmd; *c; c++) {
        g_string_append_printf(hex, "%02x", (uint8_t)*c);
    }
    vm_put(vm, hex->str, hex->len);
    g_string_free(hex, TRUE);
    GString *text = g_string_new(NULL);
    for (;;) {
        GString *o = vm_packet(vm);
        if (!strcmp(o->str, "OK")) {
            g_string_free(o, TRUE);
            break;
        }
        g_assert_cmpint(o->str[0], ==, 'O');
        for (size_t i = 1; i + 1 < o->len; i += 2) {
            unsigned b;
            g_assert_cmpint(sscanf(o->str + i, "%2x", &b), ==, 1);
            g_string_append_c(text, b);
        }
        g_string_free(o, TRUE);
    }
    return g_string_free(text, FALSE);
}

/* On SeaBIOS, which runs forever: Ctrl-C, qRcmd, k. */
static void test_interrupt_monitor_kill(void)
{
    Vm vm;
    vm_start(&vm, false);
    vm_put(&vm, "c", 1);
    g_usleep(200 * 1000);
    /* nothing comes while the guest runs */
    struct pollfd p = { .fd = vm.fd, .events = POLLIN };
    g_assert_cmpint(poll(&p, 1, 0), ==, 0);
    vm_send_raw(&vm, "\x03", 1);
    GString *r = vm_packet(&vm);
    g_assert_cmpstr(r->str, ==, "T02thread:01;");
    g_string_free(r, TRUE);

    /* monitor commands: hex in, O packets (hex text) then OK out */
    g_autofree char *st = monitor_cmd(&vm, "info status");
    g_assert_cmpstr(st, ==, "VM status: paused (debug)\n");
    assert_cmd(&vm, "qRcmd,7", "E01");

    /* "monitor gdbserver DEV" moves the stub: the new socket answers,
     * the old connection is closed once the answer is out */
    g_autofree char *sock2 = g_build_filename(vm.dir, "gdb2.sock", NULL);
    g_autofree char *mv = g_strdup_printf("gdbserver unix:%s", sock2);
    vm.closing = true;      /* our acks of the answer may find it closed */
    g_autofree char *mvout = monitor_cmd(&vm, mv);
    if (!strstr(mvout, "Waiting for gdb connection")) {
        g_error("gdbserver: %s", mvout);
    }
    int old_fd = vm.fd;
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    g_strlcpy(sa.sun_path, sock2, sizeof(sa.sun_path));
    vm.fd = socket(AF_UNIX, SOCK_STREAM, 0);
    vm.closing = false;
    g_assert_cmpint(connect(vm.fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    assert_cmd(&vm, "?", "T05thread:01;");
    g_autofree char *st2 = monitor_cmd(&vm, "info status");
    g_assert_cmpstr(st2, ==, "VM status: paused (debug)\n");
    char eof;
    ssize_t got = read(old_fd, &eof, 1);     /* EOF, or RST if an ack was unread */
    g_assert_true(got == 0 || (got < 0 && errno == ECONNRESET));
    close(old_fd);
    g_unlink(sock2);

    /* k: Vireo exits (status 0, as QEMU) */
    vm_send_raw(&vm, "$k#6b", 5);
    g_assert_cmpint(vm_ack(&vm), ==, '+');
    g_assert_cmpint(vm_wait(&vm), ==, 0);
    vm_end(&vm);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    signal(SIGPIPE, SIG_IGN);
    g_test_add_func("/gdbstub/description", test_description);
    g_test_add_func("/gdbstub/framing-and-state", test_framing_and_state);
    g_test_add_func("/gdbstub/run-control", test_run_control);
    g_test_add_func("/gdbstub/interrupt-monitor-kill", test_interrupt_monitor_kill);
    return g_test_run();
}
