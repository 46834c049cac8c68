/*
 * HMP, the human monitor: a prompt with minimal line editing (backspace;
 * arrow-key escape sequences are ignored) and QEMU's command names and
 * output layouts, so people and expect-style scripts feel at home.
 * The prompt is "(qemu) " as QEMU's, because scripts wait for it; the
 * banner says Vireo.  Output uses "\r\n" line ends (sockets and raw ttys).
 */
#include "accel/tcg/jit.h"
#include "monitor/monitor-int.h"
#include "util/keyval.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config-host.h"
#include "block/blockdev.h"
#include "gdbstub/gdbstub.h"
#include "hw/core/device.h"
#include "hw/core/iostats.h"
#include "hw/core/memory.h"
#include "hw/i386/pc.h"
#include "hw/intc/i8259.h"
#include "hw/pci/pci.h"
#include "net/net.h"
#include "system/runstate.h"
#include "target/x86/disas.h"
#include "target/x86/helper.h"
#include "util/log.h"
#include "ui/vnc.h"

#define HMP_PROMPT "(qemu) "

extern ShutdownCause runstate_shutdown_req;
#define HMP_MAX_LINE 4096


void hmp_greet(Monitor *mon)
{
    if (!mon->greeted) {
        monitor_puts(mon, "Vireo " VIREO_VERSION " monitor - type 'help' for more information\n");
        mon->greeted = true;
    }
    monitor_puts(mon, HMP_PROMPT);
}

/* ---- expressions: numbers, $registers, + - * / % & | ^ << >> ~ ( ) ---- */

typedef struct Expr {
    const char *p;
    X86CPU *cpu;
    char *error;
    int depth;              /* nesting of unary operators and parentheses */
} Expr;

static bool reg_value(X86CPU *env, const char *name, uint64_t *v)
{
    static const char *const r32[8] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi" };
    static const char *const r64[16] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                         "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };
    static const char *const r16[8] = { "ax", "cx", "dx", "bx", "sp", "bp", "si", "di" };
    static const char *const sr[6] = { "es", "cs", "ss", "ds", "fs", "gs" };
    for (int i = 0; i < 8; i++) {
        if (!strcmp(name, r32[i])) {
            *v = (uint32_t)env->regs[i];
            return true;
        }
        if (!strcmp(name, r16[i])) {
            *v = (uint16_t)env->regs[i];
            return true;
        }
    }
    for (int i = 0; i < 16; i++) {
        if (!strcmp(name, r64[i])) {
            *v = env->regs[i];
            return true;
        }
    }
    for (int i = 0; i < 6; i++) {
        if (!strcmp(name, sr[i])) {
            *v = env->segs[i].selector;
            return true;
        }
    }
    if (!strcmp(name, "eip") || !strcmp(name, "rip")) {
        *v = env->eip;
    } else if (!strcmp(name, "pc")) {
        *v = env->segs[R_CS].base + env->eip;     /* linear, as QEMU's $pc */
    } else if (!strcmp(name, "eflags") || !strcmp(name, "efl")) {
        *v = cpu_compute_eflags(env);
    } else if (!strcmp(name, "cr0")) {
        *v = env->cr[0];
    } else if (!strcmp(name, "cr2")) {
        *v = env->cr2;
    } else if (!strcmp(name, "cr3")) {
        *v = env->cr[3];
    } else if (!strcmp(name, "cr4")) {
        *v = env->cr[4];
    } else {
        return false;
    }
    return true;
}

static void skip_ws(Expr *e)
{
    while (*e->p == ' ' || *e->p == '\t') {
        e->p++;
    }
}

static uint64_t expr_or(Expr *e);

/* Nesting deeper than this is refused: "((((...", "----...1" or "~~~..."
 * from a client must not exhaust the stack of a recursive parser. */
#define EXPR_MAX_DEPTH 64

static uint64_t expr_unary_nested(Expr *e);

static uint64_t expr_unary(Expr *e)
{
    if (e->depth >= EXPR_MAX_DEPTH) {
        if (!e->error) {
            e->error = g_strdup("expression too deeply nested");
        }
        return 0;
    }
    e->depth++;
    uint64_t v = expr_unary_nested(e);
    e->depth--;
    return v;
}

static uint64_t expr_unary_nested(Expr *e)
{
    skip_ws(e);
    if (e->error) {
        return 0;
    }
    char c = *e->p;
    if (c == '-') {
        e->p++;
        return -expr_unary(e);
    }
    if (c == '+') {
        e->p++;
        return expr_unary(e);
    }
    if (c == '~') {
        e->p++;
        return ~expr_unary(e);
    }
    if (c == '(') {
        e->p++;
        uint64_t v = expr_or(e);
        skip_ws(e);
        if (e->error) {
            return 0;
        }
        if (*e->p != ')') {
            e->error = g_strdup("')' expected");
            return 0;
        }
        e->p++;
        return v;
    }
    if (c == '$') {
        const char *start = ++e->p;
        while (isalnum((unsigned char)*e->p) || *e->p == '_') {
            e->p++;
        }
        g_autofree char *name = g_ascii_strdown(start, e->p - start);
        uint64_t v;
        if (!e->cpu) {
            e->error = g_strdup("no CPU");
            return 0;
        }
        if (!reg_value(e->cpu, name, &v)) {
            e->error = g_strdup_printf("unknown register '%s'", name);
            return 0;
        }
        return v;
    }
    if (c == '\'' && e->p[1] && e->p[2] == '\'') {
        uint64_t v = (unsigned char)e->p[1];
        e->p += 3;
        return v;
    }
    if (isdigit((unsigned char)c)) {
        char *end;
        uint64_t v = g_ascii_strtoull(e->p, &end, 0);
        e->p = end;
        return v;
    }
    e->error = c ? g_strdup_printf("unexpected character '%c'", c) : g_strdup("unexpected end of expression");
    return 0;
}

static uint64_t expr_mul(Expr *e)
{
    uint64_t v = expr_unary(e);
    for (;;) {
        skip_ws(e);
        char op = *e->p;
        if (e->error || (op != '*' && op != '/' && op != '%')) {
            return v;
        }
        e->p++;
        uint64_t r = expr_unary(e);
        if (op == '*') {
            v *= r;
        } else if (r == 0) {
            if (!e->error) {
                e->error = g_strdup("division by zero");
            }
            return 0;
        } else {
            v = op == '/' ? v / r : v % r;
        }
    }
}

static uint64_t expr_add(Expr *e)
{
    uint64_t v = expr_mul(e);
    for (;;) {
        skip_ws(e);
        char op = *e->p;
        if (e->error || (op != '+' && op != '-')) {
            return v;
        }
        e->p++;
        uint64_t r = expr_mul(e);
        v = op == '+' ? v + r : v - r;
    }
}

static uint64_t expr_shift(Expr *e)
{
    uint64_t v = expr_add(e);
    for (;;) {
        skip_ws(e);
        bool shl = e->p[0] == '<' && e->p[1] == '<';
        bool shr = e->p[0] == '>' && e->p[1] == '>';
        if (e->error || (!shl && !shr)) {
            return v;
        }
        e->p += 2;
        uint64_t r = expr_add(e);
        v = r >= 64 ? 0 : shl ? v << r : v >> r;
    }
}

static uint64_t expr_or(Expr *e)
{
    /* & ^ | on one level, left to right, as a calculator would */
    uint64_t v = expr_shift(e);
    for (;;) {
        skip_ws(e);
        char op = *e->p;
        if (e->error || (op != '&' && op != '|' && op != '^')) {
            return v;
        }
        e->p++;
        uint64_t r = expr_shift(e);
        v = op == '&' ? v & r : op == '|' ? v | r : v ^ r;
    }
}

/* Evaluate all of s; false with a message in out. */
static bool eval_expr(const char *s, uint64_t *val, GString *out)
{
    Expr e = { .p = s, .cpu = pc_first_cpu() };
    *val = expr_or(&e);
    skip_ws(&e);
    if (!e.error && *e.p) {
        e.error = g_strdup_printf("junk at end of expression: '%s'", e.p);
    }
    if (e.error) {
        g_string_append_printf(out, "%s\n", e.error);
        g_free(e.error);
        return false;
    }
    return true;
}

/* ---- x / xp ---- */

typedef struct DumpFmt {
    int count;
    char format;     /* x d u o c i */
    int size;        /* 1 2 4 8 */
} DumpFmt;

static char last_format = 'x';
static int last_size = 4;

/* "/[count][format][size]" (any order of format/size after the count). */
static const char *parse_fmt(const char *p, DumpFmt *f, GString *out)
{
    f->count = 1;
    f->format = last_format;
    f->size = -1;
    while (*p == ' ') {
        p++;
    }
    if (*p != '/') {
        f->size = f->format == 'c' ? 1 : last_size;
        return p;
    }
    p++;
    if (isdigit((unsigned char)*p)) {
        f->count = (int)strtol(p, (char **)&p, 10);
    }
    for (; *p && *p != ' '; p++) {
        switch (*p) {
        case 'x': case 'd': case 'u': case 'o': case 'c': case 'i':
            f->format = *p;
            break;
        case 'b': f->size = 1; break;
        case 'h': f->size = 2; break;
        case 'w': f->size = 4; break;
        case 'g': f->size = 8; break;
        default:
            g_string_append_printf(out, "invalid char in format: '%c'\n", *p);
            return NULL;
        }
    }
    if (f->size < 0) {
        f->size = f->format == 'c' ? 1 : last_size;
    }
    if (f->count < 1) {
        f->count = 1;
    }
    if (f->count > 4096) {
        f->count = 4096;      /* a typo must not flood the terminal */
    }
    last_format = f->format;
    if (f->format != 'c' && f->format != 'i') {
        last_size = f->size;
    }
    return p;
}

/* Read guest memory: virtual (through the CPU's page tables) or physical. */
static bool read_guest(uint64_t addr, uint8_t *buf, size_t len, bool phys)
{
    X86CPU *cpu = pc_first_cpu();
    while (len) {
        size_t chunk = 0x1000 - (addr & 0xfff);
        if (chunk > len) {
            chunk = len;
        }
        uint64_t pa = addr;
        if (!phys) {
            if (!cpu) {
                return false;
            }
            int64_t page = cpu_get_phys_page_debug(cpu, addr);
            if (page < 0) {
                return false;
            }
            pa = (uint64_t)page | (addr & 0xfff);
        }
        if (!address_space_read(&address_space_memory, pa, buf, chunk)) {
            return false;
        }
        addr += chunk;
        buf += chunk;
        len -= chunk;
    }
    return true;
}

static void memory_dump(const char *args, bool phys, GString *out)
{
    DumpFmt f;
    const char *p = parse_fmt(args, &f, out);
    if (!p) {
        return;
    }
    uint64_t addr;
    while (*p == ' ') {
        p++;
    }
    if (!*p) {
        g_string_append(out, "address expected\n");
        return;
    }
    if (!eval_expr(p, &addr, out)) {
        return;
    }
    if (f.format == 'i') {
        X86CPU *cpu = pc_first_cpu();
        bool code32 = cpu && (cpu->hflags & HF_CS32);
        for (int i = 0; i < f.count; i++) {
            uint8_t code[16];
            char text[128];
            if (!read_guest(addr, code, sizeof(code), phys)) {
                g_string_append(out, "Cannot access memory\n");
                return;
            }
            int len = x86_disas_buf(code, sizeof(code), (uint32_t)addr, code32, text, sizeof(text));
            g_string_append_printf(out, "0x%016" PRIx64 ":  %s\n", addr, text);
            addr += len > 0 ? len : 1;
        }
        return;
    }
    int per_line = (f.size == 1 ? 8 : 16) / f.size;
    for (int i = 0; i < f.count; i++) {
        uint8_t b[8] = { 0 };
        if (i % per_line == 0) {
            if (i) {
                g_string_append_c(out, '\n');
            }
            g_string_append_printf(out, "%016" PRIx64 ":", addr);
        }
        if (!read_guest(addr, b, f.size, phys)) {
            g_string_append(out, " Cannot access memory\n");
            return;
        }
        uint64_t v = 0;
        for (int j = f.size - 1; j >= 0; j--) {
            v = (v << 8) | b[j];
        }
        int bits = f.size * 8;
        int64_t sv = bits == 64 ? (int64_t)v : (int64_t)(v << (64 - bits)) >> (64 - bits);
        switch (f.format) {
        case 'x':
            g_string_append_printf(out, " 0x%0*" PRIx64, f.size * 2, v);
            break;
        case 'o':
            g_string_append_printf(out, " %#" PRIo64, v);
            break;
        case 'u':
            g_string_append_printf(out, " %" PRIu64, v);
            break;
        case 'd':
            g_string_append_printf(out, " %" PRId64, sv);
            break;
        case 'c':
            if (v >= 0x20 && v < 0x7f) {
                g_string_append_printf(out, " '%c'", (char)v);
            } else {
                g_string_append_printf(out, " '\\x%02x'", (unsigned)(v & 0xff));
            }
            break;
        }
        addr += f.size;
    }
    g_string_append_c(out, '\n');
}

/* ---- commands ---- */

typedef void (*HmpFn)(const char *args, GString *out);
typedef struct HmpCommand {
    const char *name;
    const char *alias;
    const char *params;
    const char *help;
    HmpFn fn;
} HmpCommand;

static const HmpCommand hmp_commands[];
static const HmpCommand info_commands[];

static void dump_line(void *opaque, const char *line)
{
    g_string_append_printf(opaque, "%s\n", line);
}

static void info_status(const char *args, GString *out)
{
    RunState s = runstate_get();
    if (s == RUN_STATE_RUNNING) {
        g_string_append(out, "VM status: running\n");
    } else if (s == RUN_STATE_PAUSED) {
        g_string_append(out, "VM status: paused\n");
    } else {
        g_string_append_printf(out, "VM status: paused (%s)\n", runstate_name(s));
    }
}

static void info_version(const char *args, GString *out)
{
    g_string_append(out, VIREO_VERSION " (Vireo)\n");
}

static void info_registers(const char *args, GString *out)
{
    X86CPU *cpu = pc_first_cpu();
    if (!cpu) {
        g_string_append(out, "No CPU available\n");
        return;
    }
    x86_cpu_dump_state(cpu, dump_line, out);
}

static void info_cpus(const char *args, GString *out)
{
    if (pc_first_cpu()) {
        g_string_append_printf(out, "* CPU #0: thread_id=%d\n", (int)getpid());
    }
}

static void info_pci(const char *args, GString *out)
{
    pci_bus_info(pci_default_bus(), out);
}

static void info_mtree(const char *args, GString *out)
{
    memory_dump_tree(&address_space_memory, dump_line, out);
    g_string_append_c(out, '\n');
    memory_dump_tree(&address_space_io, dump_line, out);
}

static void print_pic(Device *dev, void *opaque)
{
    if (!strcmp(dev->cls->name, "i8259")) {
        i8259_print_info(dev, opaque);
    }
}

static void info_irq(const char *args, GString *out)
{
    device_foreach(print_pic, out);
}

static void info_block(const char *args, GString *out)
{
    hmp_info_block(out);
}

static void info_blockstats(const char *args, GString *out)
{
    hmp_info_blockstats(out);
}

static void chardev_line(const char *id, Chardev *chr, void *opaque)
{
    g_autofree char *fn = chardev_filename(chr);
    g_string_append_printf(opaque, "%s: filename=%s\n", id, fn);
}

static void info_chardev(const char *args, GString *out)
{
    chardev_foreach(chardev_line, out);
}

static void qtree_one(Device *dev, void *opaque)
{
    GString *out = opaque;
    g_string_append_printf(out, "  dev: %s, id \"%s\"\n", dev->cls->name, dev->id ? dev->id : "");
    if (dev->cls->print_info) {
        GString *info = g_string_new(NULL);
        dev->cls->print_info(dev, info);
        gchar **lines = g_strsplit(info->str, "\n", -1);
        for (gchar **l = lines; *l; l++) {
            if (**l) {
                g_string_append_printf(out, "    %s\n", *l);
            }
        }
        g_strfreev(lines);
        g_string_free(info, TRUE);
    }
}

static void info_iostats(const char *args, GString *out)
{
    g_autofree char *name = g_strstrip(g_strdup(args));
    iostats_report(name, out);
}

static void cmd_iostats_reset(const char *args, GString *out)
{
    iostats_reset();
}

static void info_network(const char *args, GString *out)
{
    net_info_network(out);
}

static void info_qtree(const char *args, GString *out)
{
    g_string_append(out, "bus: main-system-bus\n  type System\n");
    device_foreach(qtree_one, out);
}

static void info_jit(const char *args, GString *out)
{
    jit_info(out);
}

static void info_vnc(const char *args, GString *out)
{
    vnc_hmp_info(out);
}

static const HmpCommand info_commands[] = {
    { "status", NULL, "", "show the current VM status (running|paused)", info_status },
    { "version", NULL, "", "show the version of Vireo", info_version },
    { "registers", NULL, "", "show the cpu registers", info_registers },
    { "cpus", NULL, "", "show infos for each CPU", info_cpus },
    { "pci", NULL, "", "show PCI info", info_pci },
    { "mtree", NULL, "", "show memory tree", info_mtree },
    { "irq", NULL, "", "show the interrupt controllers' state", info_irq },
    { "pic", NULL, "", "show PIC state", info_irq },
    { "block", NULL, "", "show the block devices", info_block },
    { "blockstats", NULL, "", "show block device statistics", info_blockstats },
    { "chardev", NULL, "", "show the character devices", info_chardev },
    { "qtree", NULL, "", "show device tree", info_qtree },
    { "network", NULL, "", "show the network state", info_network },
    { "vnc", NULL, "", "show the vnc server status", info_vnc },
    { "jit", NULL, "", "show the translator's blocks, tiers, code cache and chaining", info_jit },
    { "iostats", NULL, "[device]", "show what each device's I/O cost (exits, kicks, interrupts, copies)", info_iostats },
    { NULL },
};

static void list_commands(const HmpCommand *table, const char *prefix, GString *out)
{
    for (const HmpCommand *c = table; c->name; c++) {
        g_string_append_printf(out, "%s%s%s%s%s%s -- %s\n", prefix, c->name,
                               c->alias ? "|" : "", c->alias ? c->alias : "",
                               *c->params ? " " : "", c->params, c->help);
    }
}

static void cmd_info(const char *args, GString *out)
{
    while (*args == ' ') {
        args++;
    }
    if (!*args) {
        list_commands(info_commands, "info ", out);
        return;
    }
    size_t n = strcspn(args, " ");
    for (const HmpCommand *c = info_commands; c->name; c++) {
        if (strlen(c->name) == n && !strncmp(c->name, args, n)) {
            c->fn(args + n, out);
            return;
        }
    }
    g_string_append_printf(out, "unknown info command: '%.*s'\n", (int)n, args);
    list_commands(info_commands, "info ", out);
}

static void cmd_help(const char *args, GString *out)
{
    while (*args == ' ') {
        args++;
    }
    if (!strncmp(args, "info", 4)) {
        list_commands(info_commands, "info ", out);
        return;
    }
    if (*args) {
        for (const HmpCommand *c = hmp_commands; c->name; c++) {
            if (!strcmp(c->name, args) || (c->alias && !strcmp(c->alias, args))) {
                list_commands((HmpCommand[]){ *c, { NULL } }, "", out);
                return;
            }
        }
        g_string_append_printf(out, "unknown command: '%s'\n", args);
        return;
    }
    list_commands(hmp_commands, "", out);
}

static void cmd_x(const char *args, GString *out)
{
    memory_dump(args, false, out);
}

static void cmd_xp(const char *args, GString *out)
{
    memory_dump(args, true, out);
}

static void cmd_print(const char *args, GString *out)
{
    DumpFmt f;
    char saved_format = last_format;
    int saved_size = last_size;
    last_format = 'x';
    const char *p = parse_fmt(args, &f, out);
    /* print's format does not change x's defaults */
    last_format = saved_format;
    last_size = saved_size;
    if (!p) {
        return;
    }
    uint64_t v;
    if (!eval_expr(p, &v, out)) {
        return;
    }
    switch (f.format) {
    case 'd':
        g_string_append_printf(out, "%" PRId64 "\n", (int64_t)v);
        break;
    case 'u':
        g_string_append_printf(out, "%" PRIu64 "\n", v);
        break;
    case 'o':
        g_string_append_printf(out, "%#" PRIo64 "\n", v);
        break;
    case 'c':
        g_string_append_printf(out, "'%c'\n", (v >= 0x20 && v < 0x7f) ? (char)v : '.');
        break;
    default:
        g_string_append_printf(out, "0x%" PRIx64 "\n", v);
        break;
    }
}

static void cmd_system_reset(const char *args, GString *out)
{
    system_reset_request(SHUTDOWN_CAUSE_HOST_QMP_SYSTEM_RESET);
}

static void cmd_system_powerdown(const char *args, GString *out)
{
    GError *err = NULL;
    monitor_do_system_powerdown(&err);
    if (err) {
        g_string_append_printf(out, "Error: %s\n", err->message);
        g_error_free(err);
    }
}

static void cmd_stop(const char *args, GString *out)
{
    vm_stop();
}

static void cmd_cont(const char *args, GString *out)
{
    GError *err = NULL;
    if (!monitor_do_cont(&err)) {
        g_string_append_printf(out, "Error: %s\n", err->message);
        g_error_free(err);
    }
}

static void cmd_quit(const char *args, GString *out)
{
    system_shutdown_request(SHUTDOWN_CAUSE_HOST_QMP_QUIT);
}

static void cmd_set_link(const char *args, GString *out)
{
    g_autofree char *copy = g_strstrip(g_strdup(args));
    gchar **a = g_strsplit_set(copy, " ", -1);
    GError *err = NULL;
    if (!a[0] || !a[1] || (strcmp(a[1], "on") && strcmp(a[1], "off"))) {
        g_string_append(out, "set_link: usage: set_link name on|off\n");
    } else if (!net_set_link(a[0], !strcmp(a[1], "on"), &err)) {
        g_string_append_printf(out, "Error: %s\n", err->message);
        g_error_free(err);
    }
    g_strfreev(a);
}

static void cmd_gdbserver(const char *args, GString *out)
{
    g_autofree char *spec = g_strstrip(g_strdup(args));
    if (!*spec) {
        g_free(spec);
        spec = g_strdup("tcp::1234");
    }
    GError *err = NULL;
    if (!gdbserver_start(spec, &err)) {
        g_string_append_printf(out, "Error: %s\n", err ? err->message : "could not start gdbserver");
        g_clear_error(&err);
    } else if (!strcmp(spec, "none")) {
        g_string_append(out, "Disabled gdbserver\n");
    } else {
        g_string_append_printf(out, "Waiting for gdb connection on device '%s'\n", spec);
    }
}

static void cmd_log(const char *args, GString *out)
{
    g_autofree char *items = g_strstrip(g_strdup(args));
    uint32_t mask = 0;
    char *bad = NULL;
    if (!*items) {
        g_string_append(out, "log: items expected (log none, log int,cpu, ...)\n");
        return;
    }
    if (strcmp(items, "none") && !log_parse_mask(items, &mask, &bad)) {
        g_string_append_printf(out, "Invalid parameter '%s' (see -d help)\n", bad ? bad : items);
        g_free(bad);
        return;
    }
    log_mask = mask;
}

/* eject [-f] device */
static void cmd_eject(const char *args, GString *out)
{
    g_autofree char *copy = g_strstrip(g_strdup(args));
    gchar **a = g_strsplit_set(copy, " \t", -1);
    int i = 0;
    bool force = false;
    while (a[i] && (!*a[i] || !strcmp(a[i], "-f"))) {
        force |= !strcmp(a[i], "-f");
        i++;
    }
    GError *err = NULL;
    if (!a[i]) {
        g_string_append(out, "eject: usage: eject [-f] device\n");
    } else if (!monitor_do_eject(a[i], NULL, force, &err)) {
        g_string_append_printf(out, "Error: %s\n", err->message);
        g_error_free(err);
    }
    g_strfreev(a);
}

static void hmp_error(GString *out, GError *err)
{
    g_string_append_printf(out, "Error: %s\n", err->message);
    g_error_free(err);
}

/* device_add DRIVER[,prop=value][,...] */
static void cmd_device_add(const char *args, GString *out)
{
    g_autofree char *spec = g_strstrip(g_strdup(args));
    GError *err = NULL;
    if (!*spec) {
        g_string_append(out, "device_add: usage: device_add driver[,prop=value][,...]\n");
    } else if (!monitor_device_add_str(spec, &err)) {
        hmp_error(out, err);
    }
}

static void cmd_device_del(const char *args, GString *out)
{
    g_autofree char *id = g_strstrip(g_strdup(args));
    GError *err = NULL;
    if (!*id) {
        g_string_append(out, "device_del: usage: device_del id\n");
    } else if (!monitor_device_del(id, &err)) {
        hmp_error(out, err);
    }
}

/* drive_add [[DOMAIN:]BUS:]SLOT OPTS */
static void cmd_drive_add(const char *args, GString *out)
{
    g_autofree char *copy = g_strstrip(g_strdup(args));
    char *sp = strpbrk(copy, " \t");
    GError *err = NULL;
    if (!sp) {
        g_string_append(out, "drive_add: usage: drive_add [[<domain>:]<bus>:]<slot> "
                             "if=none,id=ID[,file=F][,format=F]...\n");
    } else if (!monitor_drive_add(g_strchug(sp + 1), &err)) {
        hmp_error(out, err);
    } else {
        g_string_append(out, "OK\n");
    }
}

static void cmd_drive_del(const char *args, GString *out)
{
    g_autofree char *id = g_strstrip(g_strdup(args));
    GError *err = NULL;
    if (!*id) {
        g_string_append(out, "drive_del: usage: drive_del id\n");
    } else if (!drive_del(id, &err)) {
        hmp_error(out, err);
    }
}

/* block_resize DEVICE SIZE: bytes, or with a k/M/G/T suffix, as QEMU's */
static void cmd_block_resize(const char *args, GString *out)
{
    g_autofree char *copy = g_strstrip(g_strdup(args));
    g_auto(GStrv) a = g_strsplit_set(copy, " \t", -1);
    uint64_t size;
    if (!a[0] || !a[1] || a[2] || !parse_size(a[1], &size) || size > INT64_MAX) {
        g_string_append(out, "block_resize: usage: block_resize device size (bytes, or with k/M/G/T)\n");
        return;
    }
    GError *err = NULL;
    if (!monitor_do_block_resize(a[0], NULL, (int64_t)size, &err)) {
        g_string_append_printf(out, "Error: %s\n", err->message);
        g_error_free(err);
    }
}

static void cmd_commit(const char *args, GString *out)
{
    g_autofree char *dev = g_strstrip(g_strdup(args));
    if (!*dev) {
        g_string_append(out, "commit: usage: commit device|all\n");
    } else {
        hmp_commit(dev, out);
    }
}

/* change device filename [format [read-only-mode]] */
static void cmd_change(const char *args, GString *out)
{
    g_autofree char *copy = g_strstrip(g_strdup(args));
    gchar **a = g_strsplit_set(copy, " \t", -1);
    GPtrArray *w = g_ptr_array_new();
    for (int i = 0; a[i]; i++) {
        if (*a[i]) {
            g_ptr_array_add(w, a[i]);
        }
    }
    GError *err = NULL;
    if (w->len >= 2 && !strcmp(w->pdata[0], "vnc") && !strcmp(w->pdata[1], "password")) {
        /* QEMU's "change vnc password PW": the password, not a medium */
        if (w->len != 3) {
            g_string_append(out, "change vnc password: usage: change vnc password PASSWORD\n");
        } else if (!vnc_set_password(w->pdata[2], &err)) {
            g_string_append_printf(out, "Error: %s\n", err->message);
            g_error_free(err);
        }
    } else if (w->len < 2) {
        g_string_append(out, "change: usage: change device filename [format [read-only-mode]]\n");
    } else if (!monitor_do_change_medium(w->pdata[0], NULL, w->pdata[1],
                                         w->len > 2 ? w->pdata[2] : NULL,
                                         w->len > 3 ? w->pdata[3] : NULL, &err)) {
        g_string_append_printf(out, "Error: %s\n", err->message);
        g_error_free(err);
    }
    g_ptr_array_free(w, TRUE);
    g_strfreev(a);
}

/* screendump FILENAME [-f ppm|png] [DEVICE]: QEMU's argument order, the
 * flag anywhere after the file name */
static void cmd_screendump(const char *args, GString *out)
{
    g_auto(GStrv) w = g_strsplit_set(args, " \t", -1);
    const char *file = NULL, *format = NULL, *device = NULL;
    for (int i = 0; w[i]; i++) {
        if (!*w[i]) {
            continue;
        }
        if (!strcmp(w[i], "-f")) {
            while (w[i + 1] && !*w[i + 1]) {
                i++;
            }
            if (!w[i + 1]) {
                g_string_append(out, "screendump: -f needs a format (ppm or png)\n");
                return;
            }
            format = w[++i];
        } else if (!file) {
            file = w[i];
        } else if (!device) {
            device = w[i];
        }
    }
    GError *err = NULL;
    if (!file) {
        g_string_append(out, "screendump: filename expected\n");
    } else if (!monitor_do_screendump(file, device, format, &err)) {
        g_string_append_printf(out, "Error: %s\n", err->message);
        g_error_free(err);
    }
}

static const HmpCommand hmp_commands[] = {
    { "help", "?", "[cmd]", "show the help", cmd_help },
    { "info", NULL, "[subcommand]", "show various information about the system state", cmd_info },
    { "x", NULL, "/fmt addr", "virtual memory dump starting at 'addr'", cmd_x },
    { "xp", NULL, "/fmt addr", "physical memory dump starting at 'addr'", cmd_xp },
    { "print", "p", "/fmt expr", "print expression value (use $reg for CPU register access)",
      cmd_print },
    { "system_reset", NULL, "", "reset the system", cmd_system_reset },
    { "system_powerdown", NULL, "", "send system power down event", cmd_system_powerdown },
    { "stop", NULL, "", "stop emulation", cmd_stop },
    { "cont", "c", "", "resume emulation", cmd_cont },
    { "quit", "q", "", "quit the emulator", cmd_quit },
    { "iostats_reset", NULL, "", "restart the I/O statistics at zero", cmd_iostats_reset },
    { "set_link", NULL, "name on|off", "change the link status of a network adapter", cmd_set_link },
    { "sendkey", NULL, "keys [hold_ms]", "send keys to the VM (e.g. 'sendkey ctrl-alt-f1')",
      hmp_sendkey },
    { "mouse_move", NULL, "dx dy [dz]", "send mouse move events", hmp_mouse_move },
    { "mouse_button", NULL, "state", "change mouse button state (1=L, 2=R, 4=M)",
      hmp_mouse_button },
    { "gdbserver", NULL, "[device]", "start gdbserver on given device (default 'tcp::1234'), "
      "stop with 'none'", cmd_gdbserver },
    { "log", NULL, "item1[,...]", "activate logging of the specified items ('none' stops)",
      cmd_log },
    { "screendump", NULL, "filename [-f format] [device]", "save screen as an image (ppm or png)", cmd_screendump },
    { "eject", NULL, "[-f] device", "eject a removable medium (use -f to force it)", cmd_eject },
    { "block_resize", NULL, "device size", "resize a drive's image (the guest is told)", cmd_block_resize },
    { "device_add", NULL, "driver[,prop=value][,...]", "add a device (hot-plug; 'device_add help' "
      "is -device help)", cmd_device_add },
    { "device_del", NULL, "device", "remove a device (the guest is asked to release it)",
      cmd_device_del },
    { "drive_add", NULL, "[[<domain>:]<bus>:]<slot> if=none,id=ID[,file=F][,...]",
      "add a drive (for device_add ...,drive=ID)", cmd_drive_add },
    { "drive_del", NULL, "device", "remove a drive (a device using it sees no medium)",
      cmd_drive_del },
    { "change", NULL, "device filename [format [read-only-mode]]",
      "change a removable medium ('change vnc password PW': the VNC password)", cmd_change },
    { "commit", NULL, "device|all", "commit changes to the disk images (if -snapshot is used) "
      "or backing files", cmd_commit },
    { "qemu-io", NULL, "[-d] device \"command\"", "run a qemu-io command on a drive "
      "(blkdebug breakpoints: break, remove_break, resume, wait_break)", hmp_qemu_io },
    { NULL },
};

void hmp_execute_line(const char *line, GString *out)
{
    while (*line == ' ' || *line == '\t') {
        line++;
    }
    if (!*line) {
        return;
    }
    size_t n = 0;
    while (line[n] && line[n] != ' ' && line[n] != '/' && line[n] != '\t') {
        n++;
    }
    for (const HmpCommand *c = hmp_commands; c->name; c++) {
        if ((strlen(c->name) == n && !strncmp(c->name, line, n)) ||
            (c->alias && strlen(c->alias) == n && !strncmp(c->alias, line, n))) {
            c->fn(line + n, out);
            return;
        }
    }
    g_string_append_printf(out, "unknown command: '%.*s'\n", (int)n, line);
}

static void hmp_enter(Monitor *mon)
{
    unsigned gen = mon->generation;
    g_autofree char *line = g_strdup(mon->line->str);
    g_string_truncate(mon->line, 0);
    monitor_puts(mon, "\n");
    GString *out = g_string_new(NULL);
    hmp_execute_line(line, out);
    if (gen == mon->generation) {
        monitor_puts(mon, out->str);
        /* after quit the process is about to exit: no prompt */
        if (runstate_shutdown_req != SHUTDOWN_CAUSE_HOST_QMP_QUIT) {
            monitor_puts(mon, HMP_PROMPT);
        }
    }
    g_string_free(out, TRUE);
}

void hmp_feed(Monitor *mon, const uint8_t *buf, size_t len)
{
    unsigned gen = mon->generation;
    for (size_t i = 0; i < len && gen == mon->generation; i++) {
        uint8_t c = buf[i];
        bool was_cr = mon->last_cr;
        mon->last_cr = false;
        if (mon->esc_state == 1) {
            mon->esc_state = (c == '[' || c == 'O') ? 2 : 0;
            continue;
        }
        if (mon->esc_state == 2) {
            if (c >= 0x40 && c <= 0x7e) {
                mon->esc_state = 0;
            }
            continue;
        }
        switch (c) {
        case 0x1b:
            mon->esc_state = 1;
            break;
        case '\r':
            mon->last_cr = true;
            hmp_enter(mon);
            break;
        case '\n':
            if (!was_cr) {
                hmp_enter(mon);
            }
            break;
        case 0x7f:
        case 0x08:
            if (mon->line->len) {
                g_string_truncate(mon->line, mon->line->len - 1);
                monitor_write(mon, "\b \b", 3);
            }
            break;
        default:
            if (c >= 0x20 && c < 0x7f && mon->line->len < HMP_MAX_LINE) {
                g_string_append_c(mon->line, c);
                monitor_write(mon, (const char *)&c, 1);
            }
            break;
        }
    }
}
