/*
 * main(): the QEMU-compatible command line, machine creation, main loop.
 */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>
#include <sys/stat.h>

#include "audio/audio.h"
#include "config-host.h"
#include "accel/accel.h"
#include "accel/tcg/jit.h"
#include "accel/qtest/qtest.h"
#include "block/blockdev.h"
#include "block/node.h"
#include "chardev/chardev.h"
#include "gdbstub/gdbstub.h"
#include "hw/core/device.h"
#include "hw/core/iostats.h"
#include "hw/i386/pc.h"
#include "monitor/monitor.h"
#include "net/net.h"
#include "system/main_loop.h"
#include "system/cpus.h"
#include "system/runstate.h"
#include "target/x86/cpu.h"
#include "ui/curses.h"
#include "ui/sdl2.h"
#include "util/datadir.h"
#include "util/keyval.h"
#include "util/log.h"
#include "ui/vnc.h"

typedef struct Option {
    const char *name;
    bool has_arg;
    const char *help;
} Option;

static const Option options[] = {
    { "h", false, "display this help and exit" },
    { "help", false, NULL },
    { "version", false, "display version information and exit" },
    { "m", true, "[size=]megs[M|G]  guest RAM size (default 128M)" },
    { "bios", true, "file  set the filename for the BIOS" },
    { "kernel", true, "bzImage  use 'bzImage' as the kernel image (Linux or multiboot)" },
    { "append", true, "cmdline  use 'cmdline' as the kernel command line" },
    { "initrd", true, "file  use 'file' as the initial ram disk (multiboot: 'mod1 args,mod2')" },
    { "L", true, "path  add a directory for the BIOS, VGA BIOS and keymaps" },
    { "nographic", false, "no display; serial port and monitor multiplexed on stdio (Ctrl-A h for help)" },
    { "display", true, "none|sdl[,gl=off][,window-close=on|off]|curses|help  select the display ('help' lists those built)" },
    { "vnc", true, "[host]:N|unix:PATH[,password=on][,share=allow-exclusive|force-shared|ignore][,to=L]  VNC server on TCP port 5900+N or a unix socket" },
    { "k", true, "language  keyboard layout for VNC (only en-us is built in)" },
    { "serial", true, "dev  redirect the next serial port: stdio, mon:stdio, file:PATH, null, none, chardev:ID" },
    { "parallel", true, "dev  redirect the next parallel port: file:PATH, null, none, chardev:ID" },
    { "chardev", true, "backend,id=ID[,...]  stdio, file (path=), null" },
    { "device", true, "driver[,prop=value][,...]  add a device ('-device help' lists them)" },
    { "global", true, "driver.prop=value  default for a property of every device of that driver" },
    { "debugcon", true, "dev  debug console on port 0xe9 (same syntax as -serial)" },
    { "no-reboot", false, "exit instead of rebooting" },
    { "no-fd-bootchk", false, "disable the boot signature check for floppy disks" },
    { "no-shutdown", false, "stop before shutdown instead of exiting" },
    { "action", true, "reboot=reset|shutdown,shutdown=poweroff|pause,panic=pause|shutdown|exit-failure|none  what guest events do" },
    { "machine", true, "pc[,accel=tcg][,smm=on|off|auto][,pit=on|off|auto][,pcspk-audiodev=ID]  select the machine" },
    { "M", true, NULL },
    { "accel", true, "tcg[,tier=0|1|auto][,tb-size=MB][,thread=single|multi][,lockstep=on|off]|kvm[:tcg]|qtest  select the accelerator" },
    { "perfmap", false, "write /tmp/perf-PID.map naming translated blocks for perf" },
    { "enable-kvm", false, "same as -accel kvm" },
    { "cpu", true, "model[,+feat][,-feat]  select the CPU model ('-cpu help' lists them)" },
    { "smp", true, "[cpus=]n[,sockets=,cores=,threads=,maxcpus=]  number of CPUs (up to 255)" },
    { "boot", true, "[order=drives][,once=drives][,menu=on|off][,splash-time=ms][,reboot-timeout=ms][,strict=on|off]  drives: a floppy, c disk, d CD-ROM, n network" },
    { "d", true, "item1,...  enable logging of the given items ('-d help' lists them)" },
    { "D", true, "logfile  output log to logfile (default stderr)" },
    { "iostats-trace", true, "file  write every completed device request to file as Chrome trace events" },
    { "name", true, "string  set the name of the guest" },
    { "S", false, "freeze the CPU at start-up" },
    { "no-hpet", false, "do not create an HPET" },
    { "qmp", true, "dev  QMP monitor on a chardev spec: unix:PATH,server=on,wait=off | tcp:HOST:PORT,server=on,wait=off" },
    { "monitor", true, "dev  human monitor on dev: stdio, unix:..., tcp:..., chardev:ID, none" },
    { "mon", true, "chardev=ID[,mode=control|readline][,pretty=on|off]  monitor on a -chardev" },
    { "qtest", true, "dev  qtest protocol on dev (unix:PATH, tcp:HOST:PORT, chardev:ID); implies -accel qtest" },
    { "qtest-log", true, "file|none  log qtest traffic to file (default stderr)" },
    { "audio", true, "none  audio shorthand (no sound card: use -audiodev and -machine pcspk-audiodev=)" },
    { "audiodev", true, "none|wav|sdl,id=ID[,path=FILE]  audio backend (help lists them)" },
    { "s", false, "shorthand for -gdb tcp::1234" },
    { "gdb", true, "dev  accept a gdb connection on dev (tcp::PORT, tcp:HOST:PORT, unix:PATH)" },
    { "blockdev", true, "driver=file,node-name=N,filename=F[,read-only=on][,cache.direct=on][,locking=on|off|auto] | driver=raw|qcow2,node-name=N,file=NODE|file.driver=file,file.filename=F | {JSON}  a block node for -device ...,drive=N" },
    { "drive", true, "[file=FILE][,if=ide|floppy|virtio|none|pflash][,index=i][,bus=b,unit=u][,media=disk|cdrom][,format=raw|qcow2][,id=ID][,readonly=on|off][,snapshot=on|off][,cache=writeback|writethrough|none|directsync|unsafe][,serial=S]  a drive" },
    { "hda", true, "file  use 'file' as IDE hard disk 0 image" },
    { "hdb", true, "file  use 'file' as IDE hard disk 1 image" },
    { "hdc", true, "file  use 'file' as IDE hard disk 2 image" },
    { "hdd", true, "file  use 'file' as IDE hard disk 3 image" },
    { "cdrom", true, "file  use 'file' as IDE CD-ROM image (cdrom is ide1 master)" },
    { "fda", true, "file  use 'file' as floppy disk 0 image" },
    { "fdb", true, "file  use 'file' as floppy disk 1 image" },
    { "snapshot", false, "write to temporary files instead of disk image files" },
    { "netdev", true, "user|socket|tap|hubport,id=ID[,...]  a network backend for a NIC's netdev=" },
    { "nic", true, "user|socket|tap|none[,model=M][,mac=MAC][,...]  a NIC and its backend in one option" },
    { "net", true, "nic[,model=M][,macaddr=MAC]|user|socket|tap|none[,...]  legacy: NICs and backends on a hub" },
    { "uuid", true, "UUID  the machine's UUID (fw_cfg/SMBIOS)" },
    { "rtc", true, "[base=utc|localtime|DATE][,clock=host|rt|vm][,driftfix=none|slew]  RTC start time" },
    { "nodefaults", false, "do not create default devices (the VGA; the board's own devices stay)" },
    { "vga", true, "std|none  the graphic card (default std, none with -nographic)" },
    { "overcommit", true, "[mem-lock=on|off][,cpu-pm=on|off]  host resource hints (accepted; no effect under TCG)" },
    { NULL, false, NULL },
};

static void usage(void)
{
    printf("usage: vireo [options]\n\nVireo " VIREO_VERSION " - a PC emulator (i440FX/PIIX3 'pc' machine) whose\noptions follow QEMU's qemu-system-x86_64\n\n");
    for (const Option *o = options; o->name; o++) {
        if (o->help) {
            printf("-%-12s %s\n", o->name, o->help);
        }
    }
    printf("\nDuring emulation with -nographic: Ctrl-A x quits, Ctrl-A h shows help.\n");
}

static const Option *find_option(const char *arg)
{
    if (arg[0] != '-') {
        return NULL;
    }
    arg++;
    if (arg[0] == '-') {      /* --option works too */
        arg++;
    }
    for (const Option *o = options; o->name; o++) {
        if (!strcmp(o->name, arg)) {
            return o;
        }
    }
    return NULL;
}

static uint64_t parse_size_mib(const char *whole, const char *v)
{
    char *end;
    double d = g_ascii_strtod(v, &end);
    uint64_t mult = 1 << 20;     /* bare numbers are MiB */
    switch (*end) {
    case 0: break;
    case 'k': case 'K': mult = 1 << 10; end++; break;
    case 'm': case 'M': mult = 1 << 20; end++; break;
    case 'g': case 'G': mult = 1ULL << 30; end++; break;
    case 't': case 'T': mult = 1ULL << 40; end++; break;
    default: break;
    }
    if (end == v || *end || !(d > 0) || d * mult > (double)(1ULL << 40)) {
        fatal("invalid RAM size '%s'", whole);
    }
    return (uint64_t)(d * mult);
}

/* -m [size=]N[KMGT][,slots=n][,maxmem=size]: hotplug keys are accepted and
 * ignored, as there is no memory hotplug. */
static uint64_t parse_mem_size(const char *arg)
{
    uint64_t size = 0;
    gchar **parts = g_strsplit(arg, ",", -1);
    for (gchar **p = parts; *p; p++) {
        if (g_str_has_prefix(*p, "size=")) {
            size = parse_size_mib(arg, *p + 5);
        } else if (p == parts && !strchr(*p, '=')) {
            size = parse_size_mib(arg, *p);
        } else if (g_str_has_prefix(*p, "slots=")) {
            char *end;
            const char *v = *p + 6;
            g_ascii_strtoull(v, &end, 10);
            if (!*v || *end) {
                fatal("-m %s: Parameter 'slots' expects a number", arg);
            }
        } else if (g_str_has_prefix(*p, "maxmem=")) {
            parse_size_mib(arg, *p + 7);      /* a size, or the error names it */
        } else {
            fatal("-m %s: invalid parameter '%s'", arg, *p);
        }
    }
    g_strfreev(parts);
    if (!size) {
        fatal("invalid RAM size '%s'", arg);
    }
    return size;
}

/*
 * -smp [cpus=]n[,sockets=,dies=,cores=,threads=,maxcpus=] as QEMU: without
 * cpus= the count is the product of the topology; with both, the product
 * must match maxcpus (default cpus).  Every CPU present is started (no
 * hotplug), so maxcpus only takes part in that check.  Returns the count.
 */
static int parse_smp(const char *arg)
{
    static const char *const keys[] = { "cpus", "sockets", "dies", "cores", "threads", "maxcpus" };
    long v[G_N_ELEMENTS(keys)] = { 0 };
    gchar **parts = g_strsplit(arg, ",", -1);
    for (gchar **p = parts; *p; p++) {
        const char *eq = strchr(*p, '=');
        const char *key = eq ? *p : "cpus";
        size_t klen = eq ? (size_t)(eq - *p) : strlen(key);
        const char *val = eq ? eq + 1 : *p;
        int k = -1;
        for (size_t i = 0; i < G_N_ELEMENTS(keys); i++) {
            if (strlen(keys[i]) == klen && !strncmp(key, keys[i], klen)) {
                k = (int)i;
            }
        }
        if (k < 0) {
            fatal("-smp %s: invalid parameter '%.*s'", arg, (int)klen, key);
        }
        char *end;
        long n = strtol(val, &end, 10);
        if (*end || !*val || n < 1 || n > 100000) {
            fatal("-smp %s: invalid value '%s'", arg, val);
        }
        v[k] = n;
    }
    g_strfreev(parts);
    long sockets = v[1] ? v[1] : 1, dies = v[2] ? v[2] : 1;
    long cores = v[3] ? v[3] : 1, threads = v[4] ? v[4] : 1;
    long product = sockets * dies * cores * threads;
    long cpus = v[0] ? v[0] : (v[5] && !(v[1] || v[3] || v[4]) ? v[5] : product);
    long maxcpus = v[5] ? v[5] : cpus;
    if ((v[1] || v[3] || v[4]) && product != maxcpus) {
        fatal("Invalid CPU topology: product of the hierarchy must match maxcpus: "
              "sockets (%ld) * dies (%ld) * cores (%ld) * threads (%ld) != maxcpus (%ld)",
              sockets, dies, cores, threads, maxcpus);
    }
    if (maxcpus < cpus) {
        fatal("maxcpus must be equal to or greater than smp");
    }
    if (maxcpus > PC_MAX_CPUS) {
        fatal("Invalid SMP CPUs %ld. The max CPUs supported by machine 'pc' is %d",
              maxcpus, PC_MAX_CPUS);
    }
    return (int)cpus;
}

static void list_device(const DeviceClass *cls, void *opaque)
{
    static const char *const bus_names[] = {
        [BUS_NONE] = NULL, [BUS_ISA] = "ISA", [BUS_PCI] = "PCI", [BUS_SYSTEM] = "System",
    };
    if (!cls->user_creatable) {
        return;
    }
    /* QEMU's layout, so scripts that grep "-device help" keep working */
    GString *line = g_string_new(NULL);
    g_string_append_printf(line, "name \"%s\"", cls->name);
    if (cls->bus < G_N_ELEMENTS(bus_names) && bus_names[cls->bus]) {
        g_string_append_printf(line, ", bus %s", bus_names[cls->bus]);
    }
    if (cls->desc) {
        g_string_append_printf(line, ", desc \"%s\"", cls->desc);
    }
    printf("%s\n", line->str);
    g_string_free(line, TRUE);
}

/* QEMU's checks: devices a-p, each once; the pc machine boots from the
 * floppy (a, b), the first disk (c), the CD-ROM (d) or the network (n),
 * at most three of them (CMOS has room for three). */
static const char *check_boot_devices(const char *opt, const char *order)
{
    for (const char *c = order; *c; c++) {
        if (*c < 'a' || *c > 'p') {
            fatal("-boot %s=%s: Invalid boot device '%c' (allowed boot devices are: a-p)", opt,
                  order, *c);
        }
        if (strchr(c + 1, *c)) {
            fatal("-boot %s=%s: Boot device '%c' was given twice", opt, order, *c);
        }
        if (!strchr("abcdn", *c)) {
            fatal("-boot %s=%s: Invalid boot device for PC: '%c'", opt, order, *c);
        }
    }
    if (strlen(order) > 3) {
        fatal("-boot %s=%s: Too many boot devices for PC", opt, order);
    }
    return g_strdup(order);
}

static void parse_boot(const char *arg, MachineConfig *cfg)
{
    GError *err = NULL;
    /* the legacy form "-boot cd" is the implied order= */
    KeyVal *kv = keyval_parse(arg, "order", &err);
    if (!kv) {
        fatal("-boot %s: %s", arg, err->message);
    }
    const char *order = keyval_take(kv, "order");
    const char *once = keyval_take(kv, "once");
    const char *menu = keyval_take(kv, "menu");
    const char *splash_time = keyval_take(kv, "splash-time");
    const char *reboot_timeout = keyval_take(kv, "reboot-timeout");
    bool strict;          /* SeaBIOS only falls back when bootindex lists are used */
    if (!keyval_take_bool(kv, "strict", false, &strict, &err)) {
        fatal("-boot %s: %s", arg, err->message);
    }
    keyval_take(kv, "splash");           /* a splash picture: no display to show it */
    const char *bad = keyval_unused(kv);
    if (bad) {
        fatal("-boot %s: Invalid parameter '%s'", arg, bad);
    }
    cfg->boot_strict = strict;
    if (order) {
        cfg->boot_order = check_boot_devices("order", order);
    }
    if (once) {
        cfg->boot_once = check_boot_devices("once", once);
    }
    if (menu) {
        if (strcmp(menu, "on") && strcmp(menu, "off")) {
            fatal("-boot menu=%s: Parameter 'menu' expects 'on' or 'off'", menu);
        }
        cfg->boot_menu = !strcmp(menu, "on");
    }
    if (splash_time) {
        char *end;
        long long ms = strtoll(splash_time, &end, 10);
        if (*end || end == splash_time || ms < 0 || ms > 0xffff) {
            fatal("-boot splash-time=%s: must be 0..65535 (ms)", splash_time);
        }
        cfg->boot_menu_timeout_ms = ms;
    }
    if (reboot_timeout) {
        char *end;
        long long ms = strtoll(reboot_timeout, &end, 10);
        if (*end || end == reboot_timeout || ms < -1 || ms > 0xffff) {
            fatal("-boot reboot-timeout=%s: must be -1 or 0..65535 (ms)", reboot_timeout);
        }
        cfg->reboot_timeout_ms = ms;
    }
    keyval_free(kv);
}

/* The versioned names QEMU 7.2 knows for the two boards (pc-i440fx-1.4 ..
 * 7.2, pc-q35-2.4 .. 7.2): Vireo builds one machine, the newest, for each
 * of them, as scripts written for a given QEMU release name it. */
static bool machine_version_known(const char *name, const char *prefix, const char *first)
{
    static const char *const versions[] = {
        "1.4", "1.5", "1.6", "1.7", "2.0", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7",
        "2.8", "2.9", "2.10", "2.11", "2.12", "3.0", "3.1", "4.0", "4.0.1", "4.1", "4.2",
        "5.0", "5.1", "5.2", "6.0", "6.1", "6.2", "7.0", "7.1", "7.2",
    };
    if (!g_str_has_prefix(name, prefix)) {
        return false;
    }
    bool known = false;
    for (size_t i = 0; i < G_N_ELEMENTS(versions); i++) {
        known |= !strcmp(versions[i], first);
        /* 4.0.1 is a q35 release only */
        if (known && !strcmp(name + strlen(prefix), versions[i]) &&
            (strcmp(versions[i], "4.0.1") || !strcmp(prefix, "pc-q35-"))) {
            return true;
        }
    }
    return false;
}

/* -machine none: no board at all (QEMU's test harnesses start one to ask
 * QMP which machines exist). */
static bool machine_none;

/* -machine smm=on|off|auto (QEMU's OnOffAuto; auto: on where the
 * accelerator can run SMM code, i.e. TCG, and for qtest as QEMU) */
typedef enum { SMM_AUTO, SMM_ON, SMM_OFF } SMMOption;

static void parse_machine(const char *arg, const char **accel, SMMOption *smm, bool *no_pit, bool *q35,
                          const char **version,
                          const char **pcspk)
{
    gchar **parts = g_strsplit(arg, ",", -1);
    for (gchar **p = parts; *p; p++) {
        char *eq = strchr(*p, '=');
        const char *key = *p, *val = eq ? eq + 1 : NULL;
        if (eq) {
            *eq = 0;
        }
        if (!val && p == parts) {
            val = key;
            key = "type";
        }
        if (!strcmp(key, "type")) {
            if (is_help_option(val)) {
                printf("Supported machines are:\n"
                       "pc                   Standard PC (i440FX + PIIX, 1996) (default)\n"
                       "q35                  Standard PC (Q35 + ICH9, 2009)\n"
                       "none                 empty machine\n");
                exit(0);
            }
            machine_none = !strcmp(val, "none");
            *q35 = !strcmp(val, "q35") || machine_version_known(val, "pc-q35-", "2.4");
            if (strcmp(val, "pc") && !machine_none && !*q35 &&
                !machine_version_known(val, "pc-i440fx-", "1.4")) {
                fatal("unsupported machine type '%s' (use -machine help)", val);
            }
            /* pc-q35-X / pc-i440fx-X: that release's compatibility
             * defaults; the plain names are the newest */
            static char *version_owned;
            g_free(version_owned);
            version_owned = g_str_has_prefix(val, "pc-q35-") ? g_strdup(val + 7) :
                            g_str_has_prefix(val, "pc-i440fx-") ? g_strdup(val + 10) : NULL;
            *version = version_owned;
        } else if (!strcmp(key, "accel")) {
            *accel = g_strdup(val);
        } else if (!strcmp(key, "smm")) {
            if (!val) {
                fatal("-machine %s: Expected '=' after parameter 'smm'", arg);
            } else if (!strcmp(val, "on")) {
                *smm = SMM_ON;
            } else if (!strcmp(val, "off")) {
                *smm = SMM_OFF;
            } else if (!strcmp(val, "auto")) {
                *smm = SMM_AUTO;
            } else {
                fatal("Parameter 'smm' does not accept value '%s'", val);
            }
        } else if (!strcmp(key, "pit")) {
            /* QEMU's pc property (OnOffAuto): pit=off leaves out the 8254 PIT */
            if (!val || (strcmp(val, "on") && strcmp(val, "off") && strcmp(val, "auto"))) {
                fatal("Parameter 'pit' does not accept value '%s'", val ? val : "");
            }
            *no_pit = !strcmp(val, "off");
        } else if (!strcmp(key, "pcspk-audiodev")) {
            if (!val || !*val) {
                fatal("-machine %s: Parameter 'pcspk-audiodev' expects an audiodev id", arg);
            }
            /* kept in a static, so LeakSanitizer sees it reachable at
             * exit (as the -accel list) */
            static char *pcspk_owned;
            g_free(pcspk_owned);
            pcspk_owned = g_strdup(val);
            *pcspk = pcspk_owned;
        } else if (!strcmp(key, "kernel-irqchip")) {
            /* QEMU's KVM option; under TCG (and here) the interrupt
             * controllers are always emulated in user space */
            if (!val || (strcmp(val, "on") && strcmp(val, "off") && strcmp(val, "split"))) {
                fatal("Parameter 'kernel-irqchip' does not accept value '%s'", val ? val : "");
            }
        } else if (!strcmp(key, "usb") || !strcmp(key, "vmport") || !strcmp(key, "graphics")) {
            /* accepted for compatibility */
        } else {
            fatal("-machine: unknown property '%s'", key);
        }
    }
    g_strfreev(parts);
}

/* -accel a -accel b: the fallback list "a:b" (kept in a static, so the
 * final string stays reachable for LeakSanitizer) */
static const char *accel_append(const char *list, const char *name)
{
    static char *owned;
    char *joined = list ? g_strdup_printf("%s:%s", list, name) : g_strdup(name);
    g_free(owned);
    owned = joined;
    return owned;
}

static void list_accel(const AccelOps *ops, void *opaque)
{
    printf("%s\n", ops->name);
}

/* -display: the front end showing console 0 (issue #11). */
static bool display_window_close = true;    /* sdl,window-close=on|off */
typedef enum DisplayKind {
    DISPLAY_DEFAULT, DISPLAY_NONE, DISPLAY_SDL, DISPLAY_CURSES,
} DisplayKind;

static void display_list(void)
{
    printf("Available display backend types:\nnone\n");
#ifdef CONFIG_CURSES
    printf("curses\n");
#endif
#ifdef CONFIG_SDL
    printf("sdl\n");
#endif
}

static DisplayKind parse_display(const char *arg)
{
    g_auto(GStrv) parts = g_strsplit(arg, ",", -1);
    const char *type = parts[0];
    DisplayKind kind;
    if (!strcmp(type, "none")) {
        kind = DISPLAY_NONE;
    } else if (!strcmp(type, "sdl")) {
#ifndef CONFIG_SDL
        fatal("-display sdl: Vireo was built without SDL2 ('-display help' lists the displays built)");
#endif
        kind = DISPLAY_SDL;
    } else if (!strcmp(type, "curses")) {
#ifndef CONFIG_CURSES
        fatal("-display curses: Vireo was built without ncursesw ('-display help' lists the displays built)");
#endif
        kind = DISPLAY_CURSES;
    } else {
        fatal("-display %s: unknown display type '%s' ('-display help' lists them)", arg, type);
    }
    for (int i = 1; parts[i]; i++) {
        const char *o = parts[i];
        if (kind == DISPLAY_SDL && (!strcmp(o, "gl=on") || !strcmp(o, "gl=core") ||
                                    !strcmp(o, "gl=es"))) {
            fatal("-display %s: OpenGL not supported", arg);
        } else if (kind == DISPLAY_SDL && !strcmp(o, "gl=off")) {
            /* what Vireo always does */
        } else if (kind == DISPLAY_SDL && (!strcmp(o, "window-close=on") ||
                                           !strcmp(o, "window-close=off"))) {
            display_window_close = !strcmp(o, "window-close=on");
        } else if (kind == DISPLAY_CURSES && g_str_has_prefix(o, "charset=")) {
            /* QEMU's curses option; Vireo always assumes CP437 */
        } else {
            fatal("-display %s: invalid option '%s'", arg, o);
        }
    }
    return kind;
}

/*
 * Without -display, QEMU opens a window when one can be shown: SDL when it
 * is built and an X11 or Wayland display is named in the environment, else
 * nothing (so a headless run needs no option).  -nographic means none.
 */
#ifdef CONFIG_SDL
static bool display_defaulted;   /* SDL chosen because $DISPLAY was set */
#endif

static DisplayKind display_resolve(DisplayKind kind, bool nographic, GPtrArray *serials)
{
    if (nographic) {
        if (kind != DISPLAY_DEFAULT && kind != DISPLAY_NONE) {
            fatal("-nographic cannot be used with -display");
        }
        return DISPLAY_NONE;
    }
    if (kind == DISPLAY_CURSES) {
        /* curses owns the terminal; a stdio serial port would scribble on it */
        for (unsigned i = 0; i < serials->len; i++) {
            const char *spec = g_ptr_array_index(serials, i);
            if (strstr(spec, "stdio")) {
                fatal("-display curses: the terminal cannot also be -serial %s", spec);
            }
        }
    }
    if (kind != DISPLAY_DEFAULT) {
        return kind;
    }
    if (vnc_display_configured()) {
        return DISPLAY_NONE;              /* -vnc alone opens no window, as in QEMU */
    }
#ifdef CONFIG_SDL
    const char *x = g_getenv("DISPLAY"), *wl = g_getenv("WAYLAND_DISPLAY");
    if ((x && *x) || (wl && *wl)) {
        display_defaulted = true;
        return DISPLAY_SDL;
    }
#endif
    return DISPLAY_NONE;
}

static void display_start(DisplayKind kind)
{
    GError *err G_GNUC_UNUSED = NULL;   /* unused when no display is built */
    switch (kind) {
#ifdef CONFIG_SDL
    case DISPLAY_SDL:
        if (!sdl_display_init(display_window_close, &err)) {
            if (!display_defaulted) {
                fatal("-display sdl: %s", err->message);
            }
            /* nobody asked for a window: a stale $DISPLAY must not stop
             * a headless run */
            warn_report("no window (%s); running as with -display none", err->message);
            g_clear_error(&err);
        }
        break;
#endif
#ifdef CONFIG_CURSES
    case DISPLAY_CURSES:
        if (!curses_display_init(&err)) {
            fatal("-display curses: %s", err->message);
        }
        break;
#endif
    default:
        break;
    }
}

/* -action reboot=,shutdown=,panic=,watchdog= (QEMU's): reboot=shutdown is
 * -no-reboot, shutdown=pause is -no-shutdown; Vireo has no watchdog
 * device, so watchdog= is only checked. */
static void parse_action(const char *arg)
{
    GError *err = NULL;
    KeyVal *kv = keyval_parse(arg, NULL, &err);
    if (!kv) {
        fatal("-action %s: %s", arg, err->message);
    }
    const char *reboot = keyval_take(kv, "reboot");
    const char *shutdown = keyval_take(kv, "shutdown");
    const char *panic = keyval_take(kv, "panic");
    const char *watchdog = keyval_take(kv, "watchdog");
    const char *unused = keyval_unused(kv);
    static const char *const wd[] = { "reset", "shutdown", "poweroff", "pause", "debug", "none",
                                      "inject-nmi" };
    bool wd_ok = !watchdog;
    for (unsigned i = 0; watchdog && i < G_N_ELEMENTS(wd); i++) {
        wd_ok |= !strcmp(watchdog, wd[i]);
    }
    if (unused) {
        fatal("-action %s: Invalid parameter '%s'", arg, unused);
    } else if (reboot && strcmp(reboot, "reset") && strcmp(reboot, "shutdown")) {
        fatal("-action %s: Parameter 'reboot' does not accept value '%s'", arg, reboot);
    } else if (shutdown && strcmp(shutdown, "poweroff") && strcmp(shutdown, "pause")) {
        fatal("-action %s: Parameter 'shutdown' does not accept value '%s'", arg, shutdown);
    } else if (panic && !runstate_set_panic_action(panic)) {
        fatal("-action %s: Parameter 'panic' does not accept value '%s'", arg, panic);
    } else if (!wd_ok) {
        fatal("-action %s: Parameter 'watchdog' does not accept value '%s'", arg, watchdog);
    }
    if (reboot) {
        opt_no_reboot = !strcmp(reboot, "shutdown");
    }
    if (shutdown) {
        opt_no_shutdown = !strcmp(shutdown, "pause");
    }
    keyval_free(kv);
}

int main(int argc, char **argv)
{
    bql_lock();     /* the main thread's, but while it sleeps in poll() */
    blk_set_completion_lock(bql_trylock, bql_unlock);
    /* an error exit still restores the terminal and removes socket files */
    fatal_set_cleanup(chardev_cleanup_all);
    MachineConfig cfg = {
        .ram_size = 128 << 20,
        .smp = 1,
        .boot_order = "cad",
        .boot_menu_timeout_ms = -1,
        .reboot_timeout_ms = -1,
    };
    GPtrArray *serials = g_ptr_array_new();
    GPtrArray *parallels = g_ptr_array_new();
    GPtrArray *devices = g_ptr_array_new();
    GPtrArray *drive_opts = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *blockdev_opts = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *drive_origins = g_ptr_array_new_with_free_func(g_free);
    const char *bios = NULL, *debugcon = NULL, *accel = NULL;
    SMMOption smm = SMM_AUTO;
    const char *qtest_spec = NULL, *qtest_log = NULL, *gdb_spec = NULL;
    bool nographic = false, start_stopped = false;
    bool nodefaults = false;
    const char *vga = NULL;               /* -vga: NULL = the default (std) */
    DisplayKind display = DISPLAY_DEFAULT;

    datadir_set_exe(argv[0]);

    for (int i = 1; i < argc; i++) {
        const Option *o = find_option(argv[i]);
        if (!o) {
            fatal("%s: invalid option", argv[i]);
        }
        const char *arg = NULL;
        if (o->has_arg) {
            if (i + 1 >= argc) {
                fatal("%s: requires an argument", argv[i]);
            }
            arg = argv[++i];
        }
        const char *n = o->name;
        GError *err = NULL;
        if (!strcmp(n, "h") || !strcmp(n, "help")) {
            usage();
            return 0;
        } else if (!strcmp(n, "version")) {
            printf("Vireo emulator version " VIREO_VERSION "\n");
            return 0;
        } else if (!strcmp(n, "m")) {
            cfg.ram_size = parse_mem_size(arg);
        } else if (!strcmp(n, "bios")) {
            bios = arg;
        } else if (!strcmp(n, "kernel")) {
            cfg.kernel = arg;
        } else if (!strcmp(n, "initrd")) {
            cfg.initrd = arg;
        } else if (!strcmp(n, "append")) {
            cfg.append = arg;
        } else if (!strcmp(n, "L")) {
            datadir_add(arg);
        } else if (!strcmp(n, "nographic")) {
            nographic = true;
        } else if (!strcmp(n, "vnc") ||
                   (!strcmp(n, "display") && g_str_has_prefix(arg, "vnc="))) {
            /* -display vnc=:N[,opts] is QEMU's other spelling of -vnc */
            const char *spec = !strcmp(n, "vnc") ? arg : arg + 4;
            if (!vnc_display_parse(spec, &err)) {
                fatal("-%s %s: %s", n, arg, err->message);
            }
        } else if (!strcmp(n, "k")) {
            if (!vnc_set_keyboard_layout(arg, &err)) {
                fatal("-k %s: %s", arg, err->message);
            }
        } else if (!strcmp(n, "display")) {
            if (is_help_option(arg)) {
                display_list();
                return 0;
            }
            display = parse_display(arg);
        } else if (!strcmp(n, "parallel")) {
            g_ptr_array_add(parallels, (gpointer)arg);
        } else if (!strcmp(n, "serial")) {
            g_ptr_array_add(serials, (gpointer)arg);
        } else if (!strcmp(n, "chardev")) {
            if (!chardev_new_from_opts(arg, &err)) {
                fatal("-chardev %s: %s", arg, err->message);
            }
        } else if (!strcmp(n, "device")) {
            if (is_help_option(arg)) {
                device_class_foreach(list_device, NULL);
                return 0;
            }
            g_ptr_array_add(devices, (gpointer)arg);
        } else if (!strcmp(n, "debugcon")) {
            debugcon = arg;
        } else if (!strcmp(n, "global")) {
            if (!device_add_global(arg, &err)) {
                fatal("-global %s: %s", arg, err->message);
            }
        } else if (!strcmp(n, "no-fd-bootchk")) {
            cfg.no_fd_bootchk = true;
        } else if (!strcmp(n, "no-reboot")) {
            opt_no_reboot = true;
        } else if (!strcmp(n, "no-shutdown")) {
            opt_no_shutdown = true;
        } else if (!strcmp(n, "action")) {
            parse_action(arg);
        } else if (!strcmp(n, "machine") || !strcmp(n, "M")) {
            parse_machine(arg, &accel, &smm, &cfg.no_pit, &cfg.q35, &cfg.machine_version,
                          &cfg.pcspk_audiodev);
        } else if (!strcmp(n, "accel")) {
            if (is_help_option(arg) || !*arg) {      /* QEMU lists them for "" too */
                printf("Accelerators supported in Vireo binary:\n");
                accel_foreach(list_accel, NULL);
                return 0;
            }
            /* one name per -accel; several -accel options are tried in
             * order (the "a:b" list is -machine accel='s spelling) */
            g_autofree char *name = g_strndup(arg, strcspn(arg, ","));
            if (strchr(name, ':')) {
                fatal("-accel %s: invalid accelerator %s", arg, name);
            }
            accel = accel_append(accel, name);
            GError *err = NULL;
            if (arg[strlen(name)] == ',' && !accel_parse_opts(arg + strlen(name) + 1, &err)) {
                fatal("-accel %s: %s", arg, err->message);
            }
        } else if (!strcmp(n, "perfmap")) {
            jit_set_perfmap(true);
        } else if (!strcmp(n, "enable-kvm")) {
            accel = accel_append(accel, "kvm");
        } else if (!strcmp(n, "cpu")) {
            if (is_help_option(arg)) {
                x86_cpu_list();
                return 0;
            }
            if (!*arg) {
                fatal("-cpu option cannot be empty");
            }
            cfg.cpu_model = arg;
        } else if (!strcmp(n, "smp")) {
            cfg.smp = parse_smp(arg);
        } else if (!strcmp(n, "boot")) {
            parse_boot(arg, &cfg);
        } else if (!strcmp(n, "d")) {
            char *bad = NULL;
            if (is_help_option(arg)) {
                log_list_categories();
                return 0;
            }
            if (!log_parse_mask(arg, &log_mask, &bad)) {
                fatal("-d: unknown log item '%s' (use -d help)", bad);
            }
            if (log_enabled(LOG_IOSTATS) && !memory_time_dispatch) {
                memory_time_dispatch = true;
                atexit(iostats_print_at_exit);
            }
        } else if (!strcmp(n, "iostats-trace")) {
            if (!iostats_trace_open(arg, &err)) {
                fatal("%s", err->message);
            }
        } else if (!strcmp(n, "D")) {
            if (!log_set_file(arg)) {
                fatal("-D: cannot open log file '%s': %s", arg, g_strerror(errno));
            }
        } else if (!strcmp(n, "name")) {
            monitor_set_vm_name(arg);
        } else if (!strcmp(n, "qmp")) {
            monitor_parse_qmp(arg, &err);
        } else if (!strcmp(n, "monitor")) {
            monitor_parse_hmp(arg, &err);
        } else if (!strcmp(n, "mon")) {
            if (!monitor_parse_mon(arg, &err)) {
                fatal("-mon %s: %s", arg, err->message);
            }
        } else if (!strcmp(n, "S")) {
            start_stopped = true;
        } else if (!strcmp(n, "s")) {
            gdb_spec = "tcp::1234";
        } else if (!strcmp(n, "gdb")) {
            gdb_spec = arg;
        } else if (!strcmp(n, "blockdev")) {
            g_ptr_array_add(blockdev_opts, g_strdup(arg));
        } else if (!strcmp(n, "drive")) {
            /* opened after the whole command line: -snapshot anywhere applies */
            g_ptr_array_add(drive_opts, g_strdup(arg));
            g_ptr_array_add(drive_origins, g_strdup_printf("-drive %s", arg));
        } else if (!strcmp(n, "hda") || !strcmp(n, "hdb") || !strcmp(n, "hdc") ||
                   !strcmp(n, "hdd") || !strcmp(n, "cdrom") || !strcmp(n, "fda") ||
                   !strcmp(n, "fdb")) {
            /* QEMU's shortcuts: -hdX index 0-3, -cdrom index 2, -fdX index 0-1 */
            bool cd = !strcmp(n, "cdrom"), fd = n[0] == 'f';
            int index = cd ? 2 : n[2] - 'a';
            GString *o = g_string_new("file=");
            keyval_append_escaped(o, arg);
            g_string_append_printf(o, ",if=%s,index=%d%s", fd ? "floppy" : "ide", index,
                                   cd ? ",media=cdrom" : "");
            g_ptr_array_add(drive_opts, g_string_free(o, FALSE));
            g_ptr_array_add(drive_origins, g_strdup_printf("-%s %s", n, arg));
        } else if (!strcmp(n, "snapshot")) {
            drive_set_default_snapshot(true);
        } else if (!strcmp(n, "netdev") || !strcmp(n, "nic") || !strcmp(n, "net")) {
            bool ok = !strcmp(n, "netdev") ? net_netdev_add(arg, &err)
                    : !strcmp(n, "nic") ? net_nic_option(arg, &err)
                    : net_legacy_net_option(arg, &err);
            if (!ok) {
                fatal("-%s %s: %s", n, arg, err->message);
            }
        } else if (!strcmp(n, "uuid")) {
            /* 8-4-4-4-12 hex digits */
            const char *p = arg;
            int nb = 0;
            for (; *p && nb < 16; p++) {
                if (*p == '-' && (nb == 4 || nb == 6 || nb == 8 || nb == 10)) {
                    continue;
                }
                if (!g_ascii_isxdigit(p[0]) || !g_ascii_isxdigit(p[1])) {
                    break;
                }
                cfg.uuid[nb++] = g_ascii_xdigit_value(p[0]) << 4 | g_ascii_xdigit_value(p[1]);
                p++;
            }
            if (nb != 16 || *p) {
                fatal("-uuid %s: invalid UUID (expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", arg);
            }
            cfg.has_uuid = true;
        } else if (!strcmp(n, "rtc")) {
            gchar **kv = g_strsplit(arg, ",", -1);
            for (gchar **p = kv; *p; p++) {
                char *eq = strchr(*p, '=');
                const char *v = eq ? eq + 1 : "";
                if (eq) {
                    *eq = 0;
                }
                if (!strcmp(*p, "base")) {
                    cfg.rtc_base = g_strdup(v);
                } else if (!strcmp(*p, "clock")) {
                    /* the RTC always ticks with the virtual clock, which is
                     * what clock=vm means; host and rt differ only while
                     * the VM is stopped */
                    if (strcmp(v, "host") && strcmp(v, "rt") && strcmp(v, "vm")) {
                        fatal("-rtc clock=%s: invalid value (host, rt or vm)", v);
                    }
                } else if (!strcmp(*p, "driftfix")) {
                    if (strcmp(v, "none") && strcmp(v, "slew")) {
                        fatal("-rtc driftfix=%s: invalid value (none or slew)", v);
                    }
                } else {
                    fatal("-rtc: unknown option '%s'", *p);
                }
            }
            g_strfreev(kv);
        } else if (!strcmp(n, "qtest")) {
            qtest_spec = arg;
        } else if (!strcmp(n, "qtest-log")) {
            qtest_log = !strcmp(arg, "/dev/null") ? "none" : arg;
        } else if (!strcmp(n, "audiodev")) {
            if (is_help_option(arg)) {
                audio_print_drivers();
                return 0;
            }
            GError *aerr = NULL;
            if (!audio_add(arg, &aerr)) {
                fatal("-audiodev %s: %s", arg, aerr->message);
            }
        } else if (!strcmp(n, "audio")) {
            /* QEMU's shorthand: -audio DRIVER[,model=...]; only the
             * backend part is taken, with no sound card to attach it to */
            KeyVal *kv = keyval_parse(arg, "driver", &err);
            const char *drv = kv ? keyval_take(kv, "driver") : NULL;
            bool none = drv && !strcmp(drv, "none");
            keyval_free(kv);
            if (!none) {
                fatal("-audio %s: no sound card model (use -audiodev and -machine pcspk-audiodev=)", arg);
            }
        } else if (!strcmp(n, "nodefaults")) {
            /* the pc board's own devices stay; the default VGA goes */
            nodefaults = true;
        } else if (!strcmp(n, "vga")) {
            if (!strcmp(arg, "help")) {
                printf("std                  standard VGA (default)\nnone                 no graphic card\n");
                exit(0);
            }
            if (strcmp(arg, "std") && strcmp(arg, "none")) {
                fatal("-vga %s: VGA type '%s' is not available (Vireo has std and none)", arg, arg);
            }
            vga = arg;
        } else if (!strcmp(n, "no-hpet")) {
            cfg.no_hpet = true;
        } else if (!strcmp(n, "overcommit")) {
            /* QEMU's hints for KVM hosts (lock guest memory, let the guest
             * idle the host CPU): checked as QEMU checks them, no effect */
            KeyVal *kv = keyval_parse(arg, NULL, &err);
            bool unused;
            if (!kv || !keyval_take_bool(kv, "mem-lock", false, &unused, &err) ||
                !keyval_take_bool(kv, "cpu-pm", false, &unused, &err)) {
                fatal("-overcommit %s: %s", arg, err->message);
            }
            if (keyval_unused(kv)) {
                fatal("-overcommit %s: Invalid parameter '%s'", arg, keyval_unused(kv));
            }
            keyval_free(kv);
        }
        if (err) {
            g_error_free(err);
        }
    }

    /* As QEMU: -qtest without an accelerator choice means -accel qtest. */
    {
        GError *err = NULL;
        if (!accel_select(accel ? accel : qtest_spec ? "qtest" : "tcg", &err)) {
            fatal("%s", err->message);
        }
    }
    /* SMM needs an accelerator that runs SMM code: TCG (and qtest, as on
     * QEMU); the KVM backend does not (no KVM_CAP_X86_SMM support here) */
    {
        const char *name = accel_current()->name;
        bool can = !strcmp(name, "tcg") || !strcmp(name, "qtest");
        if (smm == SMM_ON && !can) {
            fatal("-machine smm=on: System Management Mode not supported by this "
                  "accelerator (%s)", name);
        }
        cfg.smm = smm != SMM_OFF && can;
    }

    /*
     * Serial ports: -nographic puts COM1 on the stdio mux unless -serial
     * says otherwise.  Without -nographic QEMU's default is "vc" (a window
     * console); Vireo's window shows only the VGA (no text consoles), so
     * COM1 still exists, as the guest expects, but its output goes nowhere.
     */
    bool default_serial = serials->len == 0;
    if (serials->len == 0) {
        g_ptr_array_add(serials, nographic ? "mon:stdio" : "null");
    }
    if (serials->len > 4) {
        fatal("too many serial ports (at most 4)");
    }
    for (unsigned i = 0; i < serials->len; i++) {
        char label[24];
        GError *err = NULL;
        snprintf(label, sizeof(label), "serial%u", i);
        const char *spec = g_ptr_array_index(serials, i);
        if (!chardev_new_from_spec(spec, label, &err) && err) {
            fatal("-serial %s: %s", spec, err->message);
        }
    }
    /* One parallel port by default, printing nowhere, as QEMU's pc has. */
    if (parallels->len == 0) {
        g_ptr_array_add(parallels, "null");
    }
    if (parallels->len > 3) {
        fatal("too many parallel ports (at most 3)");
    }
    for (unsigned i = 0; i < parallels->len; i++) {
        char label[24];
        GError *err = NULL;
        snprintf(label, sizeof(label), "parallel%u", i);
        const char *spec = g_ptr_array_index(parallels, i);
        if (!chardev_new_from_spec(spec, label, &err) && err) {
            fatal("-parallel %s: %s", spec, err->message);
        }
    }
    display = display_resolve(display, nographic, serials);
    cfg.nographic = nographic;
    /* QEMU: a standard VGA unless -vga none, -nographic or -nodefaults
     * (an explicit -vga std still makes one) */
    cfg.vga = vga ? !strcmp(vga, "std") : !nographic && !nodefaults;

    /* nodes before drives, as QEMU: both share one name space */
    for (unsigned i = 0; i < blockdev_opts->len; i++) {
        GError *err = NULL;
        if (!blockdev_add_str(blockdev_opts->pdata[i], &err)) {
            fatal("-blockdev %s: %s", (char *)blockdev_opts->pdata[i], err->message);
        }
    }
    g_ptr_array_free(blockdev_opts, TRUE);
    for (unsigned i = 0; i < drive_opts->len; i++) {
        GError *err = NULL;
        if (!drive_add(drive_opts->pdata[i], &err)) {
            fatal("%s: %s", (char *)drive_origins->pdata[i], err->message);
        }
    }
    g_ptr_array_free(drive_opts, TRUE);
    g_ptr_array_free(drive_origins, TRUE);
    /* QEMU's pc maps the first pflash drive where -bios would go */
    if (drive_get(IF_PFLASH, 0, 0)) {
        if (bios || drive_get(IF_PFLASH, 1, 0)) {
            fatal("-drive if=pflash: only one firmware image (-bios or one pflash drive)");
        }
        bios = drive_get(IF_PFLASH, 0, 0)->filename;
    }

    if (machine_none) {
        /* nothing to build: no firmware, no devices, no CPU */
    } else if (bios) {
        if (!g_file_test(bios, G_FILE_TEST_IS_REGULAR)) {
            char *found = datadir_find(bios);
            if (!found) {
                struct stat st;
                fatal("could not load BIOS '%s': %s", bios,
                      stat(bios, &st) < 0 ? g_strerror(errno) : "not a regular file");
            }
            bios = found;
        }
        cfg.bios_path = bios;
    } else {
        /* QEMU's pc default: the 256 KiB SeaBIOS, built with SMM support;
         * the 128 KiB one (no SMM) where only that is installed */
        cfg.bios_path = datadir_find("bios-256k.bin");
        if (!cfg.bios_path) {
            cfg.bios_path = datadir_find("bios.bin");
        }
        if (!cfg.bios_path) {
            fatal("could not find the BIOS 'bios-256k.bin' (run 'make firmware' or use -bios FILE / -L DIR)");
        }
    }

    if (!cfg.kernel && cfg.initrd) {
        fatal("-initrd only allowed with -kernel option");
    }
    if (!cfg.kernel && cfg.append) {
        fatal("-append only allowed with -kernel option");
    }
    if (!machine_none) {
        pc_machine_init(&cfg);
    } else if (debugcon || devices->len) {
        fatal("-machine none has no buses for devices");
    } else if (cfg.kernel) {
        fatal("-kernel %s: -machine none has no firmware to boot it", cfg.kernel);
    }

    if (debugcon) {
        GError *err = NULL;
        if (!chardev_new_from_spec(debugcon, "debugcon", &err)) {
            if (err) {
                fatal("-debugcon %s: %s", debugcon, err->message);
            }
        } else {
            /* iobase from the class default (0xe9), so -global isa-debugcon.iobase= applies, as in QEMU */
            device_create("isa-debugcon", "chardev=debugcon");
        }
    }
    for (unsigned i = 0; i < devices->len; i++) {
        const char *spec = g_ptr_array_index(devices, i);
        const char *comma = strchr(spec, ',');
        char *type = comma ? g_strndup(spec, comma - spec) : g_strdup(spec);
        const DeviceClass *cls = device_class_find(type);
        if (!cls) {
            fatal("-device %s: '%s' is not a valid device model name", spec, type);
        }
        if (!cls->user_creatable) {
            fatal("-device %s: device '%s' cannot be added by the user", spec, type);
        }
        GError *err = NULL;
        Device *dev = device_new(type, &err);
        if (!dev || !device_set_props_str(dev, comma ? comma + 1 : "", &err) ||
            !device_realize(dev, &err)) {
            fatal("-device %s: %s", spec, err->message);
        }
        if (dev->cls->reset) {
            dev->cls->reset(dev);
        }
        g_free(type);
    }

    if (!machine_none) {
        GError *err = NULL;
        if (!net_init_nics(&err)) {
            fatal("%s", err->message);
        }
    }
    {
        GError *err = NULL;
        if (!drive_check_all_claimed(&err)) {
            fatal("%s", err->message);
        }
    }
    if (!machine_none) {
        pc_machine_done();
    }
    display_start(display);

    /*
     * Monitors after the devices: on the stdio mux the serial port is then
     * the first front end and has the focus, the monitor is Ctrl-A c away.
     * A "mon:" serial (the -nographic default) gets a human monitor unless
     * -monitor/-qmp/-mon chose the monitors, as QEMU does.
     */
    for (unsigned i = 0; i < serials->len; i++) {
        const char *spec = g_ptr_array_index(serials, i);
        char label[24];
        snprintf(label, sizeof(label), "serial%u", i);
        if (g_str_has_prefix(spec, "mon:") && chardev_find(label) &&
            !(i == 0 && default_serial && monitor_cmdline_given())) {
            GError *err = NULL;
            if (!monitor_new_hmp(chardev_find(label), &err)) {
                fatal("%s", err->message);
            }
        }
    }
    {
        GError *err = NULL;
        if (!monitor_init_cmdline(&err)) {
            fatal("%s", err->message);
        }
    }
    {
        /* after the machine: the VGA's console is what the server shows */
        GError *err = NULL;
        if (!vnc_display_start(&err)) {
            fatal("-vnc: %s", err->message);
        }
    }
    if (gdb_spec) {
        GError *err = NULL;
        if (!gdbserver_start(gdb_spec, &err)) {
            fatal("-gdb %s: %s", gdb_spec, err->message);
        }
    }
    if (qtest_spec) {
        GError *err = NULL;
        if (!qtest_server_init(qtest_spec, qtest_log, &err)) {
            fatal("-qtest %s: %s", qtest_spec, err->message);
        }
    }

    if (!machine_none) {
        pc_machine_reset();
    }
    if (start_stopped) {
        vm_stop_state(RUN_STATE_PRELAUNCH);
    }
    /* Under qtest no guest code runs: the test drives the devices. */
    X86CPU *cpus[PC_MAX_CPUS];
    int ncpus = !accel_runs_guest() || machine_none ? 0 : pc_nr_cpus();
    for (int i = 0; i < ncpus; i++) {
        GError *err = NULL;
        cpus[i] = pc_cpu(i);
        if (!accel_vcpu_init(cpus[i], &err)) {
            fatal("%s", err->message);
        }
    }
    int status = main_loop_run(cpus, ncpus);
    system_exit_now(status);
}
