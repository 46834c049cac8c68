/*
 * GDB remote serial protocol server (see gdbstub.h, docs/user-guide.md).
 *
 * One gdb at a time over a chardev (tcp or unix socket, server side).  A
 * connecting gdb stops the VM, as with QEMU.  Execution control uses the
 * CPU's debugger hooks (target/x86/debug.h): while breakpoints exist or a
 * single step runs, the CPU executes one instruction at a time and asks us
 * before each one, so software breakpoints never touch guest memory;
 * watchpoints send the watched pages down the TLB slow path and report
 * after the accessing instruction (x86 data breakpoints are traps).
 * Single-step does not take pending interrupts (QEMU's default).
 *
 * Registers follow the i386:x86-64 target description we send (core,
 * SSE, segment bases), always 64-bit as QEMU's qemu-system-x86_64 does:
 * gdb cannot switch architectures within a session, and 32-bit code reads
 * fine through the low halves.
 */
#include "gdbstub/gdbstub.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chardev/chardev.h"
#include "hw/core/device.h"
#include "hw/core/memory.h"
#include "hw/i386/pc.h"
#include "monitor/monitor.h"
#include "system/runstate.h"
#include "target/x86/debug.h"
#include "target/x86/helper.h"
#include "target/x86/x87.h"

#define GDB_MAX_PACKET 4096
#define GDB_MAX_BREAKPOINTS 64

enum { BP_SW = 0, BP_HW = 1, WP_WRITE = 2, WP_READ = 3, WP_ACCESS = 4 };

typedef struct GdbBreakpoint {
    int type;
    uint64_t addr;
    uint64_t len;
} GdbBreakpoint;

static struct {
    Chardev *chr;
    bool owned;                 /* we created chr (not "chardev:ID"): close it when done */
    Chardev *reply_chr;         /* while a packet is handled: where it came from */
    bool connected;
    int state;                  /* 0 idle, 1 in packet, 2/3 checksum digits */
    GString *pkt;
    uint8_t csum;
    bool no_ack;
    GdbBreakpoint bp[GDB_MAX_BREAKPOINTS];
    int nr_bp;
    bool running;               /* we let the VM run (c/s) and owe a stop reply */
    bool stepping, step_started;
    bool skip_valid;            /* resume over a breakpoint at skip_pc */
    uint64_t skip_pc;
} gdb;

static X86CPU *gdb_cpu(void)
{
    return pc_first_cpu();
}

/* ---- output ---- */

static void gdb_send_raw(const char *s, size_t n)
{
    /* a "monitor gdbserver" packet may replace gdb.chr: answer where asked */
    Chardev *chr = gdb.reply_chr ? gdb.reply_chr : gdb.chr;
    if (chardev_write(chr, (const uint8_t *)s, n) == 0) {
        chardev_drop_peer(chr, "gdb does not read the replies");
    }
}

static void gdb_put_packet(const char *payload)
{
    GString *out = g_string_new("$");
    uint8_t sum = 0;
    for (const char *p = payload; *p; p++) {
        if (*p == '$' || *p == '#' || *p == '}' || *p == '*') {
            g_string_append_c(out, '}');
            g_string_append_c(out, *p ^ 0x20);
            sum += '}' + (*p ^ 0x20);
        } else {
            g_string_append_c(out, *p);
            sum += (uint8_t)*p;
        }
    }
    g_string_append_printf(out, "#%02x", sum);
    gdb_send_raw(out->str, out->len);
    g_string_free(out, TRUE);
}

static void hex_bytes(GString *s, const void *buf, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        g_string_append_printf(s, "%02x", ((const uint8_t *)buf)[i]);
    }
}

static bool unhex_bytes(const char *hex, uint8_t *buf, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int hi = g_ascii_xdigit_value(hex[2 * i]);
        int lo = hi < 0 ? -1 : g_ascii_xdigit_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            return false;
        }
        buf[i] = hi << 4 | lo;
    }
    return true;
}

/* ---- stopping and resuming ---- */

static void gdb_update_mode(void)
{
    unsigned mode = 0;
    bool watch = false;
    for (int i = 0; i < gdb.nr_bp; i++) {
        if (gdb.bp[i].type <= BP_HW) {
            mode |= X86_DEBUG_BREAK;
        } else {
            watch = true;
        }
    }
    if (watch) {
        mode |= X86_DEBUG_WATCH | X86_DEBUG_ONE_INSN;   /* stop right after the access */
    }
    if (gdb.stepping) {
        mode |= X86_DEBUG_ONE_INSN | X86_DEBUG_NOIRQ;
    }
    x86_debug_set_mode(gdb_cpu(), mode);
}

static void gdb_stop_reply(const char *why)
{
    g_autofree char *r = g_strdup_printf("T05%sthread:01;", why ? why : "");
    gdb_put_packet(r);
}

/* Stop the VM for gdb and tell it why (from CPU hooks or Ctrl-C). */
static void gdb_stop(const char *reply)
{
    vm_stop_state(RUN_STATE_DEBUG);
    gdb.running = false;
    gdb.stepping = false;
    gdb_update_mode();
    if (gdb.connected) {
        gdb_put_packet(reply);
    }
}

static void gdb_resume(bool step)
{
    X86CPU *cpu = gdb_cpu();
    uint64_t pc = (cpu->hflags & HF_CS64) ? cpu->eip : (uint32_t)(cpu->segs[R_CS].base + cpu->eip);
    gdb.skip_valid = true;           /* do not stop again at the breakpoint we sit on */
    gdb.skip_pc = pc;
    gdb.stepping = step;
    gdb.step_started = false;
    gdb.running = true;
    gdb_update_mode();
    cpu->hflags &= ~HF_HALTED;       /* as QEMU: a step or continue wakes a HLT */
    vm_start();
}

static bool gdb_insn_check(CPUX86State *env, uint64_t pc)
{
    if (gdb.stepping) {
        if (!gdb.step_started) {
            gdb.step_started = true;
            gdb.skip_valid = false;
            return false;
        }
        gdb_stop("T05thread:01;");
        return true;
    }
    if (gdb.skip_valid) {
        gdb.skip_valid = false;
        if (pc == gdb.skip_pc) {
            return false;
        }
    }
    for (int i = 0; i < gdb.nr_bp; i++) {
        if (gdb.bp[i].type <= BP_HW && gdb.bp[i].addr == pc) {
            gdb_stop(gdb.bp[i].type == BP_SW ? "T05swbreak:;thread:01;" : "T05hwbreak:;thread:01;");
            return true;
        }
    }
    return false;
}

static bool gdb_range_has_break(uint64_t start, uint64_t end)
{
    for (int i = 0; i < gdb.nr_bp; i++) {
        if (gdb.bp[i].type <= BP_HW && gdb.bp[i].addr >= start && gdb.bp[i].addr < end) {
            return true;
        }
    }
    return false;
}

static bool gdb_page_watched(uint64_t page)
{
    for (int i = 0; i < gdb.nr_bp; i++) {
        const GdbBreakpoint *b = &gdb.bp[i];
        if (b->type >= WP_WRITE && b->addr <= page + 0xfff && b->addr + b->len > page) {
            return true;
        }
    }
    return false;
}

static void gdb_mem_access(CPUX86State *env, uint64_t la, unsigned size, bool is_write)
{
    if (!gdb.running) {
        return;
    }
    for (int i = 0; i < gdb.nr_bp; i++) {
        const GdbBreakpoint *b = &gdb.bp[i];
        if (b->type < WP_WRITE || la >= b->addr + b->len || la + size <= b->addr) {
            continue;
        }
        const char *kind = NULL;
        if (b->type == WP_WRITE && is_write) {
            kind = "watch";
        } else if (b->type == WP_READ && !is_write) {
            kind = "rwatch";
        } else if (b->type == WP_ACCESS) {
            kind = "awatch";
        }
        if (kind) {
            g_autofree char *r = g_strdup_printf("T05%s:%" PRIx64 ";thread:01;", kind, b->addr);
            gdb_stop(r);
            x86_cpu_kick(env);   /* leave after this instruction */
            return;
        }
    }
}

static const X86DebugHooks gdb_hooks = {
    .insn_check = gdb_insn_check,
    .range_has_break = gdb_range_has_break,
    .page_watched = gdb_page_watched,
    .mem_access = gdb_mem_access,
};

/* ---- registers ---- */

/* Register numbers of the target description below. */
enum {
    R_RAX_ = 0, R_RIP = 16, R_EFLAGS = 17, R_CS_ = 18, R_ST0 = 24, R_FCTRL = 32,
    R_FOP = 39, R_XMM0 = 40, R_MXCSR = 56, R_FS_BASE = 57, R_GS_BASE = 58, R_NUM = 59,
};
/* gdb's order of the first 16: rax rbx rcx rdx rsi rdi rbp rsp r8..r15 */
static const int gdb_gpr_map[16] = { R_EAX, R_EBX, R_ECX, R_EDX, R_ESI, R_EDI, R_EBP, R_ESP,
                                     8, 9, 10, 11, 12, 13, 14, 15 };
static const int gdb_seg_map[6] = { R_CS, R_SS, R_DS, R_ES, R_FS, R_GS };

static int gdb_reg_size(int n)
{
    if (n < R_EFLAGS || n == R_FS_BASE || n == R_GS_BASE) {
        return 8;
    }
    if (n >= R_ST0 && n < R_FCTRL) {
        return 10;
    }
    if (n >= R_XMM0 && n < R_MXCSR) {
        return 16;
    }
    return 4;
}

static void gdb_read_reg(X86CPU *cpu, int n, uint8_t *buf)
{
    uint64_t v = 0;
    if (n < 16) {
        v = cpu->regs[gdb_gpr_map[n]];
    } else if (n == R_RIP) {
        v = cpu->eip;
    } else if (n == R_EFLAGS) {
        v = cpu_compute_eflags(cpu);
    } else if (n >= R_CS_ && n < R_CS_ + 6) {
        v = cpu->segs[gdb_seg_map[n - R_CS_]].selector;
    } else if (n >= R_ST0 && n < R_FCTRL) {
        long double x = cpu->fpu.st[(cpu->fpu.top + n - R_ST0) & 7];
        memset(buf, 0, 10);
        memcpy(buf, &x, 10);           /* x86 host: long double is the 80-bit format */
        return;
    } else if (n >= R_FCTRL && n <= R_FOP) {
        switch (n - R_FCTRL) {
        case 0: v = cpu->fpu.fcw; break;
        case 1: v = x87_get_fsw(cpu); break;
        case 2: v = cpu->fpu.ftw_tag; break;
        case 3: v = cpu->fpu.fcs; break;
        case 4: v = cpu->fpu.fip; break;
        case 5: v = cpu->fpu.fds; break;
        case 6: v = cpu->fpu.fdp; break;
        default: v = cpu->fpu.fop; break;
        }
    } else if (n >= R_XMM0 && n < R_MXCSR) {
        memcpy(buf, cpu->fpu.xmm[n - R_XMM0], 16);
        return;
    } else if (n == R_MXCSR) {
        v = cpu->fpu.mxcsr;
    } else if (n == R_FS_BASE) {
        v = cpu->segs[R_FS].base;
    } else if (n == R_GS_BASE) {
        v = cpu->segs[R_GS].base;
    }
    for (int i = 0; i < gdb_reg_size(n); i++) {
        buf[i] = v >> (8 * i);
    }
}

/* false: a register we do not write (see the end) */
static bool gdb_write_reg(X86CPU *cpu, int n, const uint8_t *buf)
{
    uint64_t v = 0;
    int size = gdb_reg_size(n);
    for (int i = 0; i < size && i < 8; i++) {
        v |= (uint64_t)buf[i] << (8 * i);
    }
    if (n < 16) {
        cpu->regs[gdb_gpr_map[n]] = v;
    } else if (n == R_RIP) {
        cpu->eip = (cpu->hflags & HF_CS64) ? v : (uint32_t)v;
    } else if (n == R_EFLAGS) {
        cpu_load_eflags(cpu, (uint32_t)v, 0x3f7fd5);   /* the writable bits */
    } else if (n >= R_XMM0 && n < R_MXCSR) {
        memcpy(cpu->fpu.xmm[n - R_XMM0], buf, 16);
    } else if (n == R_MXCSR) {
        cpu->fpu.mxcsr = (uint32_t)v & 0xffff;
    } else if (n == R_FS_BASE || n == R_GS_BASE) {
        /* the hidden base, as WRFSBASE/the MSRs would set it (32 bits
         * outside long mode, where bases are 32-bit) */
        cpu->segs[n == R_FS_BASE ? R_FS : R_GS].base = (cpu->hflags & HF_LMA) ? v : (uint32_t)v;
    } else if (n >= R_ST0 && n < R_FCTRL) {
        long double x = 0;
        memcpy(&x, buf, 10);           /* x86 host: long double is the 80-bit format */
        cpu->fpu.st[(cpu->fpu.top + n - R_ST0) & 7] = x;
    } else if (n == R_FCTRL) {
        cpu->fpu.fcw = (uint16_t)v;
    } else {
        /* segment selectors (loading one needs a descriptor load) and the
         * x87 status/tag/pointer registers: read-only here */
        return false;
    }
    return true;
}

static const char gdb_target_xml[] =
    "<?xml version=\"1.0\"?>\n"
    "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
    "<target version=\"1.0\">\n"
    "<architecture>i386:x86-64</architecture>\n"
    "<feature name=\"org.gnu.gdb.i386.core\">\n"
    " <flags id=\"i386_eflags\" size=\"4\">\n"
    "  <field name=\"CF\" start=\"0\" end=\"0\"/>\n"
    "  <field name=\"\" start=\"1\" end=\"1\"/>\n"
    "  <field name=\"PF\" start=\"2\" end=\"2\"/>\n"
    "  <field name=\"AF\" start=\"4\" end=\"4\"/>\n"
    "  <field name=\"ZF\" start=\"6\" end=\"6\"/>\n"
    "  <field name=\"SF\" start=\"7\" end=\"7\"/>\n"
    "  <field name=\"TF\" start=\"8\" end=\"8\"/>\n"
    "  <field name=\"IF\" start=\"9\" end=\"9\"/>\n"
    "  <field name=\"DF\" start=\"10\" end=\"10\"/>\n"
    "  <field name=\"OF\" start=\"11\" end=\"11\"/>\n"
    "  <field name=\"NT\" start=\"14\" end=\"14\"/>\n"
    "  <field name=\"RF\" start=\"16\" end=\"16\"/>\n"
    "  <field name=\"VM\" start=\"17\" end=\"17\"/>\n"
    "  <field name=\"AC\" start=\"18\" end=\"18\"/>\n"
    "  <field name=\"VIF\" start=\"19\" end=\"19\"/>\n"
    "  <field name=\"VIP\" start=\"20\" end=\"20\"/>\n"
    "  <field name=\"ID\" start=\"21\" end=\"21\"/>\n"
    " </flags>\n"
    " <reg name=\"rax\" bitsize=\"64\" type=\"int64\" regnum=\"0\"/>\n"
    " <reg name=\"rbx\" bitsize=\"64\" type=\"int64\"/>\n"
    " <reg name=\"rcx\" bitsize=\"64\" type=\"int64\"/>\n"
    " <reg name=\"rdx\" bitsize=\"64\" type=\"int64\"/>\n"
    " <reg name=\"rsi\" bitsize=\"64\" type=\"int64\"/>\n"
    " <reg name=\"rdi\" bitsize=\"64\" type=\"int64\"/>\n"
    " <reg name=\"rbp\" bitsize=\"64\" type=\"data_ptr\"/>\n"
    " <reg name=\"rsp\" bitsize=\"64\" type=\"data_ptr\"/>\n"
    " <reg name=\"r8\" bitsize=\"64\" type=\"int64\"/>\n"
    " <reg name=\"r9\" bitsize=\"64\" type=\"int64\"/>\n"
    " <reg name=\"r10\" bitsize=\"64\" type=\"int64\"/>\n"
    " <reg name=\"r11\" bitsize=\"64\" type=\"int64\"/>\n"
    " <reg name=\"r12\" bitsize=\"64\" type=\"int64\"/>\n"
    " <reg name=\"r13\" bitsize=\"64\" type=\"int64\"/>\n"
    " <reg name=\"r14\" bitsize=\"64\" type=\"int64\"/>\n"
    " <reg name=\"r15\" bitsize=\"64\" type=\"int64\"/>\n"
    " <reg name=\"rip\" bitsize=\"64\" type=\"code_ptr\"/>\n"
    " <reg name=\"eflags\" bitsize=\"32\" type=\"i386_eflags\"/>\n"
    " <reg name=\"cs\" bitsize=\"32\" type=\"int32\"/>\n"
    " <reg name=\"ss\" bitsize=\"32\" type=\"int32\"/>\n"
    " <reg name=\"ds\" bitsize=\"32\" type=\"int32\"/>\n"
    " <reg name=\"es\" bitsize=\"32\" type=\"int32\"/>\n"
    " <reg name=\"fs\" bitsize=\"32\" type=\"int32\"/>\n"
    " <reg name=\"gs\" bitsize=\"32\" type=\"int32\"/>\n"
    " <reg name=\"st0\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    " <reg name=\"st1\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    " <reg name=\"st2\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    " <reg name=\"st3\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    " <reg name=\"st4\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    " <reg name=\"st5\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    " <reg name=\"st6\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    " <reg name=\"st7\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    " <reg name=\"fctrl\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    " <reg name=\"fstat\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    " <reg name=\"ftag\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    " <reg name=\"fiseg\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    " <reg name=\"fioff\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    " <reg name=\"foseg\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    " <reg name=\"fooff\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    " <reg name=\"fop\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "</feature>\n"
    "<feature name=\"org.gnu.gdb.i386.sse\">\n"
    " <vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>\n"
    " <vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>\n"
    " <vector id=\"v16i8\" type=\"int8\" count=\"16\"/>\n"
    " <vector id=\"v8i16\" type=\"int16\" count=\"8\"/>\n"
    " <vector id=\"v4i32\" type=\"int32\" count=\"4\"/>\n"
    " <vector id=\"v2i64\" type=\"int64\" count=\"2\"/>\n"
    " <union id=\"vec128\">\n"
    "  <field name=\"v4_float\" type=\"v4f\"/>\n"
    "  <field name=\"v2_double\" type=\"v2d\"/>\n"
    "  <field name=\"v16_int8\" type=\"v16i8\"/>\n"
    "  <field name=\"v8_int16\" type=\"v8i16\"/>\n"
    "  <field name=\"v4_int32\" type=\"v4i32\"/>\n"
    "  <field name=\"v2_int64\" type=\"v2i64\"/>\n"
    "  <field name=\"uint128\" type=\"uint128\"/>\n"
    " </union>\n"
    " <reg name=\"xmm0\" bitsize=\"128\" type=\"vec128\" regnum=\"40\"/>\n"
    " <reg name=\"xmm1\" bitsize=\"128\" type=\"vec128\"/>\n"
    " <reg name=\"xmm2\" bitsize=\"128\" type=\"vec128\"/>\n"
    " <reg name=\"xmm3\" bitsize=\"128\" type=\"vec128\"/>\n"
    " <reg name=\"xmm4\" bitsize=\"128\" type=\"vec128\"/>\n"
    " <reg name=\"xmm5\" bitsize=\"128\" type=\"vec128\"/>\n"
    " <reg name=\"xmm6\" bitsize=\"128\" type=\"vec128\"/>\n"
    " <reg name=\"xmm7\" bitsize=\"128\" type=\"vec128\"/>\n"
    " <reg name=\"xmm8\" bitsize=\"128\" type=\"vec128\"/>\n"
    " <reg name=\"xmm9\" bitsize=\"128\" type=\"vec128\"/>\n"
    " <reg name=\"xmm10\" bitsize=\"128\" type=\"vec128\"/>\n"
    " <reg name=\"xmm11\" bitsize=\"128\" type=\"vec128\"/>\n"
    " <reg name=\"xmm12\" bitsize=\"128\" type=\"vec128\"/>\n"
    " <reg name=\"xmm13\" bitsize=\"128\" type=\"vec128\"/>\n"
    " <reg name=\"xmm14\" bitsize=\"128\" type=\"vec128\"/>\n"
    " <reg name=\"xmm15\" bitsize=\"128\" type=\"vec128\"/>\n"
    " <reg name=\"mxcsr\" bitsize=\"32\" type=\"int\" group=\"vector\"/>\n"
    "</feature>\n"
    "<feature name=\"org.gnu.gdb.i386.segments\">\n"
    " <reg name=\"fs_base\" bitsize=\"64\" type=\"int\" regnum=\"57\"/>\n"
    " <reg name=\"gs_base\" bitsize=\"64\" type=\"int\"/>\n"
    "</feature>\n"
    "</target>\n";

/* ---- memory (linear addresses through the current paging mode) ---- */

static bool gdb_rw_memory(uint64_t addr, uint8_t *buf, size_t len, bool is_write)
{
    X86CPU *cpu = gdb_cpu();
    while (len) {
        int64_t page = cpu_get_phys_page_debug(cpu, addr);
        if (page < 0) {
            return false;
        }
        size_t chunk = MIN(len, 0x1000 - (addr & 0xfff));
        hwaddr pa = (uint64_t)page | (addr & 0xfff);
        if (is_write) {
            address_space_write(&address_space_memory, pa, buf, chunk);
        } else {
            address_space_read(&address_space_memory, pa, buf, chunk);
        }
        addr += chunk;
        buf += chunk;
        len -= chunk;
    }
    return true;
}

/* ---- packets ---- */

static bool parse_hex_u64(const char **p, uint64_t *v)
{
    char *end;
    *v = g_ascii_strtoull(*p, &end, 16);
    if (end == *p) {
        return false;
    }
    *p = end;
    return true;
}

static void gdb_cmd_breakpoint(const char *p, bool insert)
{
    uint64_t type, addr, len;
    if (!parse_hex_u64(&p, &type) || *p++ != ',' || !parse_hex_u64(&p, &addr) || *p++ != ',' ||
        !parse_hex_u64(&p, &len) || type > WP_ACCESS) {
        gdb_put_packet("");
        return;
    }
    if (type <= BP_HW) {
        len = 1;
    } else if (len == 0 || len > 8) {
        gdb_put_packet("E22");
        return;
    }
    int found = -1;
    for (int i = 0; i < gdb.nr_bp; i++) {
        if (gdb.bp[i].type == (int)type && gdb.bp[i].addr == addr && gdb.bp[i].len == len) {
            found = i;
        }
    }
    if (insert) {
        if (found < 0) {
            if (gdb.nr_bp >= GDB_MAX_BREAKPOINTS) {
                gdb_put_packet("E28");
                return;
            }
            gdb.bp[gdb.nr_bp++] = (GdbBreakpoint){ (int)type, addr, len };
        }
    } else if (found >= 0) {
        gdb.bp[found] = gdb.bp[--gdb.nr_bp];
    }
    gdb_update_mode();
    if (type >= WP_WRITE) {
        tlb_flush_all(gdb_cpu());   /* the watched pages' TLB entries must refill */
    }
    gdb_put_packet("OK");
}

static void gdb_cmd_query(const char *p)
{
    if (g_str_has_prefix(p, "qSupported")) {
        gdb_put_packet("PacketSize=1000;qXfer:features:read+;swbreak+;hwbreak+;"
                       "vContSupported+;QStartNoAckMode+");
    } else if (g_str_has_prefix(p, "qXfer:features:read:target.xml:")) {
        const char *q = p + strlen("qXfer:features:read:target.xml:");
        uint64_t off, len;
        if (!parse_hex_u64(&q, &off) || *q++ != ',' || !parse_hex_u64(&q, &len)) {
            gdb_put_packet("E00");
            return;
        }
        size_t total = sizeof(gdb_target_xml) - 1;
        if (off >= total) {
            gdb_put_packet("l");
            return;
        }
        size_t n = MIN(len, total - off);
        GString *r = g_string_new(off + n < total ? "m" : "l");
        g_string_append_len(r, gdb_target_xml + off, n);
        gdb_put_packet(r->str);
        g_string_free(r, TRUE);
    } else if (g_str_has_prefix(p, "qXfer:features:read:")) {
        gdb_put_packet("E00");
    } else if (!strcmp(p, "qAttached")) {
        gdb_put_packet("1");
    } else if (!strcmp(p, "qC")) {
        gdb_put_packet("QC01");
    } else if (!strcmp(p, "qfThreadInfo")) {
        gdb_put_packet("m01");
    } else if (!strcmp(p, "qsThreadInfo")) {
        gdb_put_packet("l");
    } else if (g_str_has_prefix(p, "qThreadExtraInfo,")) {
        GString *r = g_string_new("");
        hex_bytes(r, "CPU#0 [running]", strlen("CPU#0 [running]"));
        gdb_put_packet(r->str);
        g_string_free(r, TRUE);
    } else if (!strcmp(p, "qOffsets")) {
        gdb_put_packet("Text=0;Data=0;Bss=0");
    } else if (g_str_has_prefix(p, "qRcmd,")) {
        /* "monitor CMD": the human monitor's commands, output as O packets */
        const char *hex = p + 6;
        size_t n = strlen(hex) / 2;
        g_autofree char *cmd = g_malloc0(n + 1);
        if (strlen(hex) % 2 || !unhex_bytes(hex, (uint8_t *)cmd, n) || memchr(cmd, 0, n)) {
            gdb_put_packet("E01");
            return;
        }
        GString *text = g_string_new("");
        hmp_execute_line(cmd, text);
        /* each O packet's hex must fit gdb's PacketSize (0x1000) */
        for (size_t off = 0; off < text->len; off += 1024) {
            GString *r = g_string_new("O");
            hex_bytes(r, text->str + off, MIN(1024, text->len - off));
            gdb_put_packet(r->str);
            g_string_free(r, TRUE);
        }
        gdb_put_packet("OK");
        g_string_free(text, TRUE);
    } else {
        gdb_put_packet("");
    }
}

/* A thread id from H, T or vCont: ours is 1; 0 (any) and -1 (all) also
 * mean it when allow_any. */
static bool gdb_thread_ok(const char *p, bool allow_any)
{
    if (allow_any && (!strcmp(p, "0") || !strcmp(p, "-1"))) {
        return true;
    }
    char *end;
    guint64 t = g_ascii_strtoull(p, &end, 16);
    return end != p && !*end && t == 1;
}

/* vCont;ACTION[:TID][;ACTION[:TID]]...: the first action that names our
 * thread (or no thread) is ours.  c/C continue, s/S step, t stops. */
static void gdb_cmd_vcont(const char *p)
{
    g_auto(GStrv) acts = g_strsplit(p, ";", -1);
    for (int i = 0; acts[i]; i++) {
        char a = acts[i][0];
        const char *colon = strchr(acts[i], ':');
        if (!strchr("cCsSt", a) || !a) {
            gdb_put_packet("E22");
            return;
        }
        if (colon && !gdb_thread_ok(colon + 1, true)) {
            continue;
        }
        if (a == 't') {
            gdb_stop("T00thread:01;");
        } else {
            gdb_resume(a == 's' || a == 'S');
        }
        return;
    }
    gdb_put_packet("E22");
}

/* Xaddr,len:BINARY (already unescaped; may hold NUL bytes) */
static void gdb_cmd_write_binary(const char *p, size_t plen)
{
    const char *q = p + 1;
    uint64_t addr, len;
    if (!parse_hex_u64(&q, &addr) || *q++ != ',' || !parse_hex_u64(&q, &len) || *q++ != ':' ||
        len > GDB_MAX_PACKET || (size_t)(p + plen - q) != len) {
        gdb_put_packet("E22");
        return;
    }
    if (len && !gdb_rw_memory(addr, (uint8_t *)q, len, true)) {
        gdb_put_packet("E14");
        return;
    }
    gdb_put_packet("OK");
}

static void gdb_handle_packet(const char *p, size_t plen)
{
    X86CPU *cpu = gdb_cpu();
    switch (p[0]) {
    case '?':
        gdb_stop_reply(NULL);
        return;
    case 'g': {
        GString *r = g_string_new("");
        uint8_t buf[16];
        for (int n = 0; n < R_NUM; n++) {
            gdb_read_reg(cpu, n, buf);
            hex_bytes(r, buf, gdb_reg_size(n));
        }
        gdb_put_packet(r->str);
        g_string_free(r, TRUE);
        return;
    }
    case 'G': {
        const char *h = p + 1;
        uint8_t buf[16];
        for (int n = 0; n < R_NUM && strlen(h) >= (size_t)gdb_reg_size(n) * 2; n++) {
            if (!unhex_bytes(h, buf, gdb_reg_size(n))) {
                gdb_put_packet("E01");
                return;
            }
            gdb_write_reg(cpu, n, buf);     /* G: read-only ones keep their value */
            h += gdb_reg_size(n) * 2;
        }
        gdb_put_packet("OK");
        return;
    }
    case 'p': {
        const char *q = p + 1;
        uint64_t n;
        uint8_t buf[16];
        if (!parse_hex_u64(&q, &n) || n >= R_NUM) {
            gdb_put_packet("E00");
            return;
        }
        gdb_read_reg(cpu, n, buf);
        GString *r = g_string_new("");
        hex_bytes(r, buf, gdb_reg_size(n));
        gdb_put_packet(r->str);
        g_string_free(r, TRUE);
        return;
    }
    case 'P': {
        const char *q = p + 1;
        uint64_t n;
        uint8_t buf[16];
        if (!parse_hex_u64(&q, &n) || *q++ != '=' || n >= R_NUM ||
            strlen(q) < (size_t)gdb_reg_size(n) * 2 || !unhex_bytes(q, buf, gdb_reg_size(n))) {
            gdb_put_packet("E00");
            return;
        }
        gdb_put_packet(gdb_write_reg(cpu, n, buf) ? "OK" : "E01");
        return;
    }
    case 'm':
    case 'M': {
        const char *q = p + 1;
        uint64_t addr, len;
        if (!parse_hex_u64(&q, &addr) || *q++ != ',' || !parse_hex_u64(&q, &len) ||
            len > GDB_MAX_PACKET / 2 || (p[0] == 'M' && (*q++ != ':' || strlen(q) < len * 2))) {
            gdb_put_packet("E22");
            return;
        }
        g_autofree uint8_t *buf = g_malloc(len ? len : 1);
        if (p[0] == 'M') {
            if (!unhex_bytes(q, buf, len) || !gdb_rw_memory(addr, buf, len, true)) {
                gdb_put_packet("E14");
                return;
            }
            gdb_put_packet("OK");
            return;
        }
        if (!gdb_rw_memory(addr, buf, len, false)) {
            gdb_put_packet("E14");
            return;
        }
        GString *r = g_string_new("");
        hex_bytes(r, buf, len);
        gdb_put_packet(r->str);
        g_string_free(r, TRUE);
        return;
    }
    case 'c':
    case 's': {
        if (p[1]) {
            const char *q = p + 1;
            uint64_t addr;
            if (parse_hex_u64(&q, &addr)) {
                cpu->eip = addr;
            }
        }
        gdb_resume(p[0] == 's');
        return;
    }
    case 'X':
        gdb_cmd_write_binary(p, plen);
        return;
    case 'v':
        if (!strcmp(p, "vCont?")) {
            gdb_put_packet("vCont;c;C;s;S;t");
        } else if (g_str_has_prefix(p, "vCont;")) {
            gdb_cmd_vcont(p + 6);
        } else if (g_str_has_prefix(p, "vKill")) {
            gdb_put_packet("OK");
            system_shutdown_request(SHUTDOWN_CAUSE_HOST_QMP_QUIT);
        } else {
            gdb_put_packet("");
        }
        return;
    case 'H':
        /* Hg/Hc select the thread for registers / execution: only ours */
        gdb_put_packet((p[1] == 'g' || p[1] == 'c') && gdb_thread_ok(p + 2, true) ? "OK" : "E22");
        return;
    case 'T':
        gdb_put_packet(gdb_thread_ok(p + 1, false) ? "OK" : "E01");   /* thread alive? */
        return;
    case 'q':
        gdb_cmd_query(p);
        return;
    case 'Q':
        if (!strcmp(p, "QStartNoAckMode")) {
            gdb_put_packet("OK");
            gdb.no_ack = true;
        } else {
            gdb_put_packet("");
        }
        return;
    case 'Z':
    case 'z':
        gdb_cmd_breakpoint(p + 1, p[0] == 'Z');
        return;
    case 'D':
        gdb_put_packet("OK");
        gdb.nr_bp = 0;
        gdb.stepping = false;
        gdb_update_mode();
        gdb.running = false;
        vm_start();
        return;
    case 'k':
        /* kill: end Vireo, as QEMU does */
        system_shutdown_request(SHUTDOWN_CAUSE_HOST_QMP_QUIT);
        return;
    default:
        gdb_put_packet("");
        return;
    }
}

static void gdb_byte(uint8_t c)
{
    switch (gdb.state) {
    case 0:
        if (c == '$') {
            g_string_truncate(gdb.pkt, 0);
            gdb.csum = 0;
            gdb.state = 1;
        } else if (c == 0x03) {
            /* Ctrl-C: interrupt a running VM, or answer a gdb that waits
             * for a stop the monitor's "stop" already made */
            if (vm_running() || gdb.running) {
                gdb_stop("T02thread:01;");
            }
        }
        /* '+' / '-' acks from gdb need nothing */
        return;
    case 1:
        if (c == '#') {
            gdb.state = 2;
        } else if (gdb.pkt->len >= GDB_MAX_PACKET) {
            gdb.state = 0;                       /* oversized: drop, ask again */
            gdb_send_raw("-", 1);
        } else {
            gdb.csum += c;
            g_string_append_c(gdb.pkt, c);
        }
        return;
    case 2:
    case 3: {
        static int hi;
        int v = g_ascii_xdigit_value(c);
        if (gdb.state == 2) {
            hi = v;
            gdb.state = 3;
            return;
        }
        gdb.state = 0;
        if (hi < 0 || v < 0 || ((hi << 4) | v) != gdb.csum) {
            gdb_send_raw("-", 1);
            return;
        }
        if (!gdb.no_ack) {
            gdb_send_raw("+", 1);
        }
        /* unescape '}' */
        GString *u = g_string_sized_new(gdb.pkt->len);
        for (gsize i = 0; i < gdb.pkt->len; i++) {
            char ch = gdb.pkt->str[i];
            if (ch == '}' && i + 1 < gdb.pkt->len) {
                ch = gdb.pkt->str[++i] ^ 0x20;
            }
            g_string_append_c(u, ch);
        }
        gdb_handle_packet(u->str, u->len);
        g_string_free(u, TRUE);
        return;
    }
    }
}

static int gdb_can_read(void *opaque)
{
    return 4096;
}

/* opaque is the chardev: one that "gdbserver" replaced (or "none"
 * disabled) stays open, since chardevs cannot be closed, but is ignored */
static void gdb_read(void *opaque, const uint8_t *buf, int len)
{
    gdb.reply_chr = opaque;
    for (int i = 0; i < len && opaque == gdb.chr; i++) {
        gdb_byte(buf[i]);
    }
    gdb.reply_chr = NULL;
}

/* gdb is gone: drop its breakpoints and let the guest run on */
static void gdb_release(void)
{
    gdb.connected = false;
    gdb.nr_bp = 0;
    gdb.stepping = false;
    gdb.running = false;
    gdb_update_mode();
    if (runstate_get() == RUN_STATE_DEBUG) {
        vm_start();
    }
}

static void gdb_event(void *opaque, int event)
{
    if (opaque != gdb.chr) {
        return;
    }
    if (event == CHR_EVENT_OPENED) {
        gdb.connected = true;
        gdb.no_ack = false;
        gdb.state = 0;
        /* a debugger that attaches finds the VM stopped, as with QEMU */
        if (vm_running()) {
            vm_stop_state(RUN_STATE_DEBUG);
        }
    } else if (event == CHR_EVENT_CLOSED) {
        gdb_release();
    }
}

static gboolean gdb_close_cb(gpointer chr)
{
    chardev_close(chr);
    return G_SOURCE_REMOVE;
}

/* Stop serving gdb.chr: its gdb (if any) is released and, if we opened the
 * socket, it is closed, so the port or path is free again.  From inside
 * its own input handler ("monitor gdbserver" sent by gdb) the close waits
 * for the main loop, so that gdb still gets the command's answer. */
static void gdb_detach(void)
{
    if (!gdb.chr) {
        return;
    }
    gdb_release();
    chardev_remove_frontend(gdb.chr, gdb.chr);
    if (gdb.owned && gdb.reply_chr == gdb.chr) {
        g_idle_add_full(G_PRIORITY_DEFAULT, gdb_close_cb, gdb.chr, NULL);
    } else if (gdb.owned) {
        chardev_close(gdb.chr);
    }
    gdb.chr = NULL;
}

bool gdbserver_start(const char *spec, GError **errp)
{
    if (!strcmp(spec, "none")) {
        /* disable: the guest runs on without breakpoints; the socket closes */
        gdb_detach();
        return true;
    }
    /* "tcp::1234" / "unix:PATH" listen; QEMU's -gdb is always a server */
    g_autofree char *full = NULL;
    if ((g_str_has_prefix(spec, "tcp:") || g_str_has_prefix(spec, "unix:")) &&
        !strstr(spec, "server")) {
        full = g_strdup_printf("%s,server=on,wait=off", spec);
    } else {
        full = g_strdup(spec);
    }
    /* a second gdbserver replaces the first, as with QEMU: the old socket
     * closes first, so the same port can be given again */
    bool owned = !g_str_has_prefix(spec, "chardev:");
    Chardev *old = gdb.chr;
    if (old && owned) {
        gdb_detach();
    }
    static unsigned generation;
    g_autofree char *label = generation ? g_strdup_printf("gdb%u", generation) : g_strdup("gdb");
    Chardev *chr = chardev_new_from_spec(full, label, errp);
    if (!chr) {
        return false;
    }
    generation++;
    if (!chardev_set_handlers(chr, gdb_can_read, gdb_read, chr, errp)) {
        if (owned) {
            chardev_close(chr);
        }
        return false;
    }
    if (gdb.chr && gdb.chr != chr) {
        gdb_detach();
    }
    gdb.chr = chr;
    gdb.owned = owned;
    gdb.connected = false;
    gdb.no_ack = false;
    gdb.state = 0;
    if (!gdb.pkt) {
        gdb.pkt = g_string_new("");
    }
    x86_debug_hooks = &gdb_hooks;
    return chardev_set_event_handler(chr, gdb_event, chr, errp);
}
