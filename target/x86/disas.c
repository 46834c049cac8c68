/*
 * Disassembler: renders DecodedInsn through the same operand templates the
 * decoder used, so what -d in_asm shows is exactly what will execute.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "target/x86/disas.h"
#include "target/x86/ops.h"

static const char *const reg8[8] = { "al", "cl", "dl", "bl", "ah", "ch", "dh", "bh" };
static const char *const reg8x[16] = { "al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil",
    "r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b", "r15b" };
static const char *const reg16[16] = { "ax", "cx", "dx", "bx", "sp", "bp", "si", "di",
    "r8w", "r9w", "r10w", "r11w", "r12w", "r13w", "r14w", "r15w" };
static const char *const reg32[16] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
    "r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d" };
static const char *const reg64[16] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
    "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };
static const char *const segname[8] = { "es", "cs", "ss", "ds", "fs", "gs", "?", "?" };

typedef struct Out {
    char *p;
    size_t left;
} Out;

static void put(Out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(Out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->p, o->left, fmt, ap);
    va_end(ap);
    if (n < 0) {
        return;
    }
    if ((size_t)n >= o->left) {
        n = o->left ? (int)o->left - 1 : 0;
    }
    o->p += n;
    o->left -= n;
}

/* rex: a REX prefix was present (byte registers 4-7 are SPL..DIL) */
static const char *regname_rex(int size, int r, bool rex)
{
    r &= 15;
    switch (size) {
    case 0: return rex ? reg8x[r] : reg8[r & 7];
    case 1: return reg16[r];
    case 2: return reg32[r];
    default: return reg64[r];
    }
}
#define regname(size, r) regname_rex(size, r, d->rex != 0)

static void put_hex(Out *o, uint64_t v)
{
    put(o, "0x%llx", (unsigned long long)v);
}

static void put_mem(Out *o, const DecodedInsn *d, const char *sizestr)
{
    if (sizestr) {
        put(o, "%s PTR ", sizestr);
    }
    bool has_reg = d->base != EA_NOREG || d->index != EA_NOREG;
    if ((d->prefixes & PFX_SEG) || !has_reg) {
        put(o, "%s:", segname[d->seg]);
    }
    if (!has_reg) {
        put_hex(o, d->adsize == 1 ? (uint16_t)d->disp : d->adsize == 2 ? (uint32_t)d->disp
                                                                         : (uint64_t)d->disp);
        return;
    }
    const char *const *rn = d->adsize == 1 ? reg16 : d->adsize == 2 ? reg32 : reg64;
    put(o, "[");
    bool first = true;
    if (d->base == EA_RIP) {
        put(o, "%s", d->adsize == 2 ? "eip" : "rip");
        first = false;
    } else if (d->base != EA_NOREG) {
        put(o, "%s", rn[d->base & 15]);
        first = false;
    }
    if (d->index != EA_NOREG) {
        put(o, "%s%s", first ? "" : "+", rn[d->index & 15]);
        if (d->adsize >= 2) {
            put(o, "*%d", 1 << d->scale);
        }
    }
    if (d->disp > 0) {
        put(o, "+0x%llx", (unsigned long long)d->disp);
    } else if (d->disp < 0) {
        put(o, "-0x%llx", (unsigned long long)-(uint64_t)d->disp);
    }
    put(o, "]");
}

static const char *size_ptr(char k, const DecodedInsn *d)
{
    switch (k) {
    case 'b': return "BYTE";
    case 'w': return "WORD";
    case 'd': return "DWORD";
    case 'q': return "QWORD";
    case 'p': return d->opsize == 3 ? "TBYTE" : d->opsize == 2 ? "FWORD" : "DWORD";
    case 'v': return d->opsize == 3 ? "QWORD" : d->opsize == 2 ? "DWORD" : "WORD";
    default: return NULL;
    }
}

static void put_operand(Out *o, const DecodedInsn *d, const char *t, int n, uint64_t eip, int *immno)
{
    char k = t[0], k2 = n > 1 ? t[1] : 0;
    int vsz = d->opsize;
    if (n == 2 && k >= 'A' && k <= 'Z' && k2 >= 'A' && k2 <= 'Z') {
        put(o, "%c%c", k + 32, k2 + 32);    /* fixed register: AL, CL, DX, DS... */
        return;
    }
    switch (k) {
    case 'E': case 'M':
        if (d->mod == 3 && k == 'E') {
            if (k2 == 'f') {
                put(o, "st(%d)", d->rm);
            } else {
                put(o, "%s", regname(k2 == 'b' ? 0 : k2 == 'w' ? 1 : k2 == 'd' ? 2 : vsz, d->rm));
            }
        } else {
            put_mem(o, d, size_ptr(k2, d));
        }
        return;
    case 'G':
        put(o, "%s", regname(k2 == 'b' ? 0 : k2 == 'w' ? 1 : k2 == 'd' ? 2 : vsz, d->reg));
        return;
    case 'S':
        put(o, "%s", segname[d->reg & 7]);   /* REX.R: an invalid Sreg, shown as "?" */
        return;
    case 'C':
        put(o, "cr%d", d->reg);
        return;
    case 'D':
        if (k2 == 'X') {
            put(o, "dx");
        } else {
            put(o, "dr%d", d->reg);
        }
        return;
    case 'R':   /* MOV to/from CR/DR: 64-bit registers in 64-bit mode */
        put(o, "%s", d->rex || d->adsize == 3 ? reg64[d->rm & 15] : reg32[d->rm & 7]);
        return;
    case 'I': {
        uint64_t v = (*immno)++ == 0 ? d->imm : d->imm2;
        if (k2 == 'b') {
            v &= 0xff;
        } else if (k2 == 'w') {
            v &= 0xffff;
        } else {
            v &= ot_mask[d->ot];
        }
        put_hex(o, v);
        return;
    }
    case 'J': {
        uint64_t target = eip + d->len + d->imm;
        if (d->opsize == 1) {
            target &= 0xffff;
        } else if (d->opsize == 2) {
            target = (uint32_t)target;
        }
        put_hex(o, target);
        return;
    }
    case 'A':
        put(o, "0x%x:0x%llx", d->imm2 & 0xffff, (unsigned long long)d->imm);
        return;
    case 'O':
        put_mem(o, d, NULL);    /* the size is implied by the accumulator */
        return;
    case 'r':
        put(o, "%s", regname(k2 == 'B' ? 0 : vsz, d->rm));
        return;
    case 'e':   /* eAX */
        put(o, "%s", regname(d->ot, R_EAX));
        return;
    case '1':
        put(o, "1");
        return;
    default:
        /* fixed registers: AL, CL, and segment registers */
        if (n == 2 && k2 == 'L') {
            put(o, "%cl", k + 32);
        } else {
            put(o, "%c%c", k + 32, k2 + 32);
        }
        return;
    }
}

/* x87 escapes, SDM vol. 2 appendix A.4 (escape opcode maps) */
static const char *const fpu_mem[8][8] = {
    { "fadd", "fmul", "fcom", "fcomp", "fsub", "fsubr", "fdiv", "fdivr" },
    { "fld", NULL, "fst", "fstp", "fldenv", "fldcw", "fnstenv", "fnstcw" },
    { "fiadd", "fimul", "ficom", "ficomp", "fisub", "fisubr", "fidiv", "fidivr" },
    { "fild", "fisttp", "fist", "fistp", NULL, "fld", NULL, "fstp" },
    { "fadd", "fmul", "fcom", "fcomp", "fsub", "fsubr", "fdiv", "fdivr" },
    { "fld", "fisttp", "fst", "fstp", "frstor", NULL, "fnsave", "fnstsw" },
    { "fiadd", "fimul", "ficom", "ficomp", "fisub", "fisubr", "fidiv", "fidivr" },
    { "fild", "fisttp", "fist", "fistp", "fbld", "fild", "fbstp", "fistp" },
};
/* operand size letter per [escape][reg]: d dword, q qword, w word, t tbyte, - none */
static const char fpu_msize[8][9] = {
    "dddddddd", "d-dd-w-w", "dddddddd", "dddd-t-t",
    "qqqqqqqq", "qqqq---w", "wwwwwwww", "wwwwtqtq",
};
static const char *const fpu_d9[64] = {
    [0x10] = "fnop", [0x20] = "fchs", [0x21] = "fabs", [0x24] = "ftst", [0x25] = "fxam",
    [0x28] = "fld1", [0x29] = "fldl2t", [0x2a] = "fldl2e", [0x2b] = "fldpi",
    [0x2c] = "fldlg2", [0x2d] = "fldln2", [0x2e] = "fldz",
    [0x30] = "f2xm1", [0x31] = "fyl2x", [0x32] = "fptan", [0x33] = "fpatan",
    [0x34] = "fxtract", [0x35] = "fprem1", [0x36] = "fdecstp", [0x37] = "fincstp",
    [0x38] = "fprem", [0x39] = "fyl2xp1", [0x3a] = "fsqrt", [0x3b] = "fsincos",
    [0x3c] = "frndint", [0x3d] = "fscale", [0x3e] = "fsin", [0x3f] = "fcos",
};

static bool fpu_name(const DecodedInsn *d, Out *o)
{
    int esc = d->op & 7, reg = d->reg & 7, i = d->rm & 7;
    if (d->mod != 3) {
        const char *n = fpu_mem[esc][reg];
        char sz = fpu_msize[esc][reg];
        if (!n) {
            put(o, "(bad)");
            return true;
        }
        put(o, "%-6s ", n);
        put_mem(o, d, sz == 'd' ? "DWORD" : sz == 'q' ? "QWORD" : sz == 'w' ? "WORD" :
                      sz == 't' ? "TBYTE" : NULL);
        return true;
    }
    static const char *const arith[8] = { "fadd", "fmul", "fcom", "fcomp", "fsub", "fsubr",
                                          "fdiv", "fdivr" };
    static const char *const rarith[8] = { "fadd", "fmul", "fcom", "fcomp", "fsubr", "fsub",
                                           "fdivr", "fdiv" };
    static const char *const fcmov[8] = { "fcmovb", "fcmove", "fcmovbe", "fcmovu",
                                          "fcmovnb", "fcmovne", "fcmovnbe", "fcmovnu" };
    switch (esc) {
    case 0:
        put(o, "%-6s st,st(%d)", arith[reg], i);
        return true;
    case 1:
        if (reg == 0 || reg == 1 || reg == 3) {
            put(o, "%-6s st(%d)", reg == 0 ? "fld" : reg == 1 ? "fxch" : "fstp", i);
        } else if (fpu_d9[d->modrm & 0x3f]) {
            put(o, "%s", fpu_d9[d->modrm & 0x3f]);
        } else {
            put(o, "(bad)");
        }
        return true;
    case 2:
    case 3:
        if (reg < 4) {
            put(o, "%-6s st,st(%d)", fcmov[reg + (esc == 3 ? 4 : 0)], i);
        } else if (esc == 2 && d->modrm == 0xe9) {
            put(o, "fucompp");
        } else if (esc == 3 && (reg == 5 || reg == 6)) {
            put(o, "%-6s st,st(%d)", reg == 5 ? "fucomi" : "fcomi", i);
        } else if (esc == 3 && d->modrm >= 0xe0 && d->modrm <= 0xe4) {
            static const char *const m[5] = { "fneni", "fndisi", "fnclex", "fninit", "fnsetpm" };
            put(o, "%s", m[d->modrm - 0xe0]);
        } else {
            put(o, "(bad)");
        }
        return true;
    case 4:
    case 6:
        if (esc == 6 && reg == 3) {
            put(o, "%s", d->modrm == 0xd9 ? "fcompp" : "(bad)");
        } else if (reg == 2 || reg == 3) {
            put(o, "%-6s st(%d)", reg == 3 || esc == 6 ? "fcomp" : "fcom", i);
        } else {
            char mn[8];
            snprintf(mn, sizeof(mn), "%s%s", rarith[reg], esc == 6 ? "p" : "");
            put(o, "%-6s st(%d),st", mn, i);
        }
        return true;
    case 5: {
        static const char *const m[8] = { "ffree", "fxch", "fst", "fstp", "fucom", "fucomp", NULL, NULL };
        if (m[reg]) {
            put(o, "%-6s st(%d)", m[reg], i);
        } else {
            put(o, "(bad)");
        }
        return true;
    }
    default:
        if (d->modrm == 0xe0) {
            put(o, "fnstsw ax");
        } else if (reg == 5 || reg == 6) {
            put(o, "%-6s st,st(%d)", reg == 5 ? "fucomip" : "fcomip", i);
        } else if (reg == 0) {
            put(o, "ffreep st(%d)", i);
        } else if (reg == 1) {
            put(o, "fxch   st(%d)", i);
        } else if (reg == 2 || reg == 3) {
            put(o, "fstp   st(%d)", i);
        } else {
            put(o, "(bad)");
        }
        return true;
    }
}

/* MMX/SSE: the decoder does not name them (sse.c selects by prefix); show
 * the map, mandatory prefix and the ModRM operands raw */
static void sse_name(const DecodedInsn *d, Out *o)
{
    const char *pfx = (d->prefixes & PFX_REPNE) ? "f2 " : (d->prefixes & PFX_REP) ? "f3 " :
                      (d->prefixes & PFX_OPSIZE) ? "66 " : "";
    const char *map = d->op >= 0x300 ? "0f 3a " : d->op >= 0x200 ? "0f 38 " : "0f ";
    put(o, "(sse %s%s%02x) ", pfx, map, d->op & 0xff);
    put(o, "reg%d,", d->reg);
    if (d->mod == 3) {
        put(o, "reg%d", d->rm);
    } else {
        put_mem(o, d, NULL);
    }
    if (d->entry && d->entry->opnd && strstr(d->entry->opnd, "Ib")) {
        put(o, ",");
        put_hex(o, d->imm & 0xff);
    }
}

void x86_disas_insn(const DecodedInsn *d, uint64_t eip, char *buf, size_t size)
{
    Out o = { buf, size };
    const OpEntry *e = d->entry;
    buf[0] = 0;
    if (!e || !e->mnem || (e->flags & OPF_GROUP) || !d->handler || d->len == 0 ||
        d->handler == op_invalid) {
        put(&o, "(bad)");
        return;
    }
    if (d->prefixes & PFX_LOCK) {
        put(&o, "lock ");
    }
    const char *tmpl = e->opnd ? e->opnd : "";
    bool string = false;
    for (const char *t = tmpl; *t; t++) {
        /* string operands are the X (DS:eSI) and Y (ES:eDI) tokens */
        if ((*t == 'X' || *t == 'Y') && (t == tmpl || t[-1] == ',')) {
            string = true;
        }
    }
    if (string && (d->prefixes & (PFX_REP | PFX_REPNE))) {
        bool cmp = d->op == 0xa6 || d->op == 0xa7 || d->op == 0xae || d->op == 0xaf;
        put(&o, "%s ", (d->prefixes & PFX_REPNE) ? "repnz" : cmp ? "repz" : "rep");
    }
    if (d->op >= 0xd8 && d->op <= 0xdf) {
        fpu_name(d, &o);
        return;
    }
    if (d->handler == op_sse && e->opnd && e->opnd[0]) {
        sse_name(d, &o);
        return;
    }
    char mn[24];
    const char *bar = strchr(e->mnem, '|');
    if (bar) {
        bool second = (d->op == 0xe3) ? d->adsize == 2 : d->opsize >= 2;
        size_t n = second ? strlen(bar + 1) : (size_t)(bar - e->mnem);
        snprintf(mn, sizeof(mn), "%.*s", (int)n, second ? bar + 1 : e->mnem);
    } else {
        snprintf(mn, sizeof(mn), "%s", e->mnem);
    }
    if (d->op == 0x90 && (d->prefixes & PFX_REP)) {
        snprintf(mn, sizeof(mn), "pause");
    }

    if (d->op == 0x1ae && (d->reg & 7) == 7 && d->mod == 3) {
        put(&o, "sfence");      /* the register form of clflush's slot */
        return;
    }
    if (string) {
        put(&o, "%s%c", mn, "bwdq"[d->ot & 3]);
        return;
    }
    if (d->opsize == 3 && (d->op == 0x98 || d->op == 0x99 || d->op == 0xcf)) {
        put(&o, "%s", d->op == 0x98 ? "cdqe" : d->op == 0x99 ? "cqo" : "iretq");
        return;
    }
    if (d->op == 0x101 && d->mod == 3 && (d->reg & 7) == 7) {
        put(&o, "%s", (d->modrm & 7) == 0 ? "swapgs" : (d->modrm & 7) == 1 ? "rdtscp" : "(bad)");
        return;
    }
    if (d->op == 0x1c7 && d->mod == 3 && (d->reg & 7) == 7 && (d->prefixes & PFX_REP)) {
        /* F3 0F C7 /7 shares rdseed's slot; its register is 64-bit in 64-bit mode */
        put(&o, "%-6s %s", "rdpid", d->rex || d->adsize == 3 ? reg64[d->rm & 15] : reg32[d->rm & 7]);
        return;
    }
    if (d->op == 0x1c7 && (d->rex & REX_W) && d->mod != 3) {
        put(&o, "%-6s ", "cmpxchg16b");
        put_mem(&o, d, "OWORD");
        return;
    }
    if (d->op == 0x101 && d->mod != 3 && (d->reg & 7) == 7) {
        put(&o, "%-6s ", "invlpg");
        put_mem(&o, d, NULL);
        return;
    }
    if (!*tmpl) {
        put(&o, "%s", mn);
        return;
    }
    put(&o, "%-6s ", mn);
    int immno = 0;
    bool first = true;
    for (const char *t = tmpl; *t; ) {
        const char *end = strchr(t, ',');
        int n = end ? (int)(end - t) : (int)strlen(t);
        if (!first) {
            put(&o, ",");
        }
        put_operand(&o, d, t, n, eip, &immno);
        first = false;
        t += n;
        if (*t == ',') {
            t++;
        }
    }
}

typedef struct BufFetch {
    const uint8_t *code;
    size_t len;
    uint64_t base;
    bool truncated;
} BufFetch;

static uint8_t buf_fetch(void *opaque, uint64_t la)
{
    BufFetch *b = opaque;
    uint64_t off = la - b->base;
    if (off >= b->len) {
        b->truncated = true;
        return 0;
    }
    return b->code[off];
}

int x86_disas_buf(const uint8_t *code, size_t len, uint32_t eip, bool code32,
                  char *out, size_t size)
{
    return x86_disas_buf_mode(code, len, eip, code32 ? 32 : 16, out, size);
}

int x86_disas_buf_mode(const uint8_t *code, size_t len, uint64_t eip, int code_bits,
                       char *out, size_t size)
{
    DecodedInsn d;
    BufFetch b = { code, len, eip, false };
    int r = x86_decode_mode(&d, eip, code_bits, buf_fetch, &b);
    if (b.truncated) {
        snprintf(out, size, "(bad)");
        return 0;
    }
    x86_disas_insn(&d, eip, out, size);
    return r < 0 ? r : d.len;
}
