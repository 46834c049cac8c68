/*
 * x87 instruction semantics against the host CPU.  Every valid D8-DF
 * encoding (register forms, and memory forms through [ebx]/[rbx]) runs
 * twice from the same random machine state: natively on the host, from a
 * stub that FRSTORs the state, executes the very same instruction bytes
 * and FNSAVEs the result, and in Vireo through the decoder and x87.c as
 * FRSTOR [edi] / insn / FNSAVE [edi].  The FNSAVE images (FCW, FSW with
 * C0-C3/TOP/flags, full tag word, the eight 80-bit registers), EFLAGS
 * (FCOMI/FUCOMI), AX (FNSTSW) and the memory operand must match bit for
 * bit.  States mix denormals, pseudo-denormals, unnormals, infinities,
 * QNaN/SNaN, zeros, empty registers, every rounding and precision control
 * and random exception masks.  Pointer fields (FIP/FCS/FOP/FDP/FDS) are not
 * compared: hosts differ (AMD saves them only with an exception pending,
 * newer Intel deprecates FCS/FDS); test_pointers checks ours.
 */
#include <stdio.h>

#include "x86-insn-util.h"
#include "target/x86/x87.h"

#if !defined(__x86_64__)
int main(void) { return 77; }
#else

#define IMG   0x1000     /* FSAVE image in guest RAM */
#define OPND  0x2000     /* memory operand, 16-byte aligned */
#define OPND_SIZE 512

typedef struct X87Case {
    uint8_t code[4];
    uint8_t len;
    uint8_t kind;        /* memory operand generator, see gen_operand */
    uint8_t cmp_bytes;   /* bytes of the operand to compare afterwards */
    bool env_image;      /* operand area holds an FNSTENV/FNSAVE/FXSAVE image */
    char name[24];
} X87Case;

enum { K_NONE, K_F32, K_F64, K_F80, K_I16, K_I32, K_I64, K_BCD, K_CW, K_ENV, K_SAVE,
       K_ENV16, K_SAVE16, K_FX };

static GArray *cases;

static uint64_t rnd64(void)
{
    return ((uint64_t)g_test_rand_int() << 32) | (uint32_t)g_test_rand_int();
}

/* an interesting 80-bit value */
static void gen_f80(uint8_t *p)
{
    uint64_t m = rnd64();
    uint16_t e;
    switch (g_test_rand_int_range(0, 16)) {
    case 0: m = 0; e = 0; break;                                        /* zero */
    case 1: m >>= g_test_rand_int_range(1, 64); e = 0; break;           /* denormal */
    case 2: m |= 1ull << 63; e = 0; break;                              /* pseudo-denormal */
    case 3: m = 1ull << 63; e = 0x7fff; break;                          /* infinity */
    case 4: m |= 3ull << 62; e = 0x7fff; break;                         /* QNaN */
    case 5: m = (m & ~(3ull << 62)) | (2ull << 62) | 1; e = 0x7fff; break; /* SNaN */
    case 6: m &= ~(1ull << 63); e = g_test_rand_int_range(1, 0x7fff); break; /* unnormal */
    case 7: m |= 1ull << 63; e = g_test_rand_int_range(1, 40); break;   /* tiny */
    case 8: m |= 1ull << 63; e = g_test_rand_int_range(0x7fff - 40, 0x7fff); break; /* huge */
    case 9: m = (m | 1ull << 63) & ~0xffffffull; e = 0x3fff + g_test_rand_int_range(-3, 70);
        break;                                                          /* near-integers */
    case 10: m = 0xc90fdaa22168c234ull + g_test_rand_int_range(-3, 4);
        e = 0x3fff + g_test_rand_int_range(-1, 3); break;               /* around pi */
    default: m |= 1ull << 63; e = 0x3fff + g_test_rand_int_range(-80, 80); break;
    }
    if (g_test_rand_bit()) {
        e |= 0x8000;
    }
    memcpy(p, &m, 8);
    memcpy(p + 8, &e, 2);
}

static void gen_float(uint8_t *p, int size)
{
    uint64_t v = rnd64();
    int ebits = size == 4 ? 8 : 11, mbits = size == 4 ? 23 : 52;
    uint64_t emax = (1u << ebits) - 1;
    uint64_t mant = v & ((1ull << mbits) - 1), exp;
    switch (g_test_rand_int_range(0, 10)) {
    case 0: exp = 0; mant = 0; break;
    case 1: exp = 0; break;                                            /* denormal */
    case 2: exp = emax; mant = 0; break;                               /* inf */
    case 3: exp = emax; mant |= 1ull << (mbits - 1); break;            /* QNaN */
    case 4: exp = emax; mant = (mant & ~(1ull << (mbits - 1))) | 1; break; /* SNaN */
    default: exp = (emax / 2) + g_test_rand_int_range(-40, 70); break;
    }
    uint64_t bits = (exp << mbits) | mant | ((v >> 63) << (size * 8 - 1));
    memcpy(p, &bits, size);
}

static void gen_int(uint8_t *p, int size)
{
    uint64_t v = rnd64();
    switch (g_test_rand_int_range(0, 5)) {
    case 0: v &= 0xff; break;
    case 1: v = -(int64_t)(v & 0xffff); break;
    case 2: v = 1ull << (size * 8 - 1); break;       /* most negative */
    default: break;
    }
    memcpy(p, &v, size);
}

/* A random FSAVE image (32-bit protected-mode format, 108 bytes) whose
 * status has no unmasked exception pending: the host would otherwise trap
 * at the next waiting instruction. */
static void gen_state(uint8_t *img, bool allow_unmasked)
{
    memset(img, 0, 108);
    uint16_t fcw = 0x1f7f & ~0x1c0;
    fcw = (fcw & ~0x0f00) | (g_test_rand_int_range(0, 16) << 8);   /* RC, PC incl. reserved PC=1 */
    if (allow_unmasked && g_test_rand_int_range(0, 3) == 0) {
        fcw &= ~(g_test_rand_int() & 0x3f);
    }
    fcw |= 0x40;
    uint16_t exc = g_test_rand_int() & 0x3f & fcw;        /* only masked flags set */
    uint16_t fsw = exc | (g_test_rand_int() & 0x4700) | (g_test_rand_int_range(0, 8) << 11);
    if (exc & 1) {
        fsw |= g_test_rand_bit() ? 0x40 : 0;               /* SF */
    }
    uint16_t ftw = 0;
    int nvalid = g_test_rand_int_range(0, 9);
    int top = (fsw >> 11) & 7;
    for (int p = 0; p < 8; p++) {
        /* registers ST(0)..ST(nvalid-1) in use, mostly; sometimes holes */
        int st = (p - top) & 7;
        bool used = st < nvalid ? g_test_rand_int_range(0, 8) != 0 : g_test_rand_int_range(0, 8) == 0;
        ftw |= (used ? 0 : 3) << (2 * p);
    }
    memcpy(img + 0, &fcw, 2);
    memcpy(img + 4, &fsw, 2);
    memcpy(img + 8, &ftw, 2);
    for (int i = 0; i < 8; i++) {
        gen_f80(img + 28 + 10 * i);
    }
}

static void gen_operand(uint8_t *p, int kind)
{
    for (int i = 0; i < OPND_SIZE; i++) {
        p[i] = g_test_rand_int();
    }
    switch (kind) {
    case K_F32: gen_float(p, 4); break;
    case K_F64: gen_float(p, 8); break;
    case K_F80: gen_f80(p); break;
    case K_I16: gen_int(p, 2); break;
    case K_I32: gen_int(p, 4); break;
    case K_I64: gen_int(p, 8); break;
    case K_BCD:
        for (int i = 0; i < 9; i++) {
            p[i] = (g_test_rand_int_range(0, 10) << 4) | g_test_rand_int_range(0, 10);
        }
        if (g_test_rand_int_range(0, 8) == 0) {
            p[g_test_rand_int_range(0, 9)] |= 0xa0;                      /* invalid digit */
        }
        p[9] &= 0x80;
        break;
    case K_CW: {
        uint16_t cw = g_test_rand_int();
        if (g_test_rand_bit()) {
            cw |= 0x3f;
        }
        memcpy(p, &cw, 2);
        break;
    }
    case K_ENV:
    case K_SAVE: {
        uint8_t img[108];
        gen_state(img, true);
        memcpy(p, img, 108);
        break;
    }
    case K_FX: {
        /* FXRSTOR area: legal MXCSR (default), fields from a random state */
        uint8_t img[108];
        gen_state(img, true);
        memset(p, 0, 512);
        memcpy(p + 0, img + 0, 2);
        memcpy(p + 2, img + 4, 2);
        uint16_t ftw;
        memcpy(&ftw, img + 8, 2);
        for (int i = 0; i < 8; i++) {
            p[4] |= ((ftw >> (2 * i)) & 3) != 3 ? 1 << i : 0;
            memcpy(p + 32 + 16 * i, img + 28 + 10 * i, 10);
        }
        uint32_t mxcsr = 0x1f80;
        memcpy(p + 24, &mxcsr, 4);
        break;
    }
    default:
        break;
    }
}

static void add_case(const uint8_t *code, int len, int kind, int cmp, bool env_image,
                     const char *name)
{
    X87Case c = { .len = len, .kind = kind, .cmp_bytes = cmp, .env_image = env_image };
    memcpy(c.code, code, len);
    snprintf(c.name, sizeof(c.name), "%s", name);
    g_array_append_val(cases, c);
}

/* Register forms the SDM defines (opcode map, escape opcode tables A-10..A-23). */
static bool reg_form_valid(int op, int modrm)
{
    int reg = (modrm >> 3) & 7, i = modrm & 7;
    switch (op) {
    case 0xd8: return true;
    case 0xd9:
        switch (reg) {
        /* D9 D8-DF (the reserved FSTP1 alias) is left out: with an empty
         * ST(0) AMD pops without signalling underflow */
        case 0: case 1: return true;
        case 3: return false;
        case 2: return i == 0;
        case 4: return i == 0 || i == 1 || i == 4 || i == 5;
        case 5: return i != 7;
        default: return true;
        }
    case 0xda: return reg < 4 || modrm == 0xe9;
    case 0xdb: return reg < 4 || reg == 5 || reg == 6 || (modrm >= 0xe0 && modrm <= 0xe4);
    case 0xdc: return true;
    case 0xdd: return reg != 6 && reg != 7;
    case 0xde: return reg != 3 || modrm == 0xd9;
    case 0xdf: return reg < 4 || reg == 5 || reg == 6 || modrm == 0xe0;
    }
    return false;
}

static void build_cases(void)
{
    cases = g_array_new(FALSE, FALSE, sizeof(X87Case));
    char name[24];
    for (int op = 0xd8; op <= 0xdf; op++) {
        for (int modrm = 0xc0; modrm <= 0xff; modrm++) {
            if (reg_form_valid(op, modrm)) {
                uint8_t code[2] = { op, modrm };
                snprintf(name, sizeof(name), "%02x-%02x", op, modrm);
                add_case(code, 2, K_NONE, 0, false, name);
            }
        }
    }
    /* memory forms: [ebx] (ModRM mod=0 rm=3), operand kind and store size */
    static const struct { uint8_t op, reg, kind, cmp; } mem[] = {
        { 0xd8, 0, K_F32, 0 }, { 0xd8, 1, K_F32, 0 }, { 0xd8, 2, K_F32, 0 }, { 0xd8, 3, K_F32, 0 },
        { 0xd8, 4, K_F32, 0 }, { 0xd8, 5, K_F32, 0 }, { 0xd8, 6, K_F32, 0 }, { 0xd8, 7, K_F32, 0 },
        { 0xdc, 0, K_F64, 0 }, { 0xdc, 1, K_F64, 0 }, { 0xdc, 2, K_F64, 0 }, { 0xdc, 3, K_F64, 0 },
        { 0xdc, 4, K_F64, 0 }, { 0xdc, 5, K_F64, 0 }, { 0xdc, 6, K_F64, 0 }, { 0xdc, 7, K_F64, 0 },
        { 0xda, 0, K_I32, 0 }, { 0xda, 1, K_I32, 0 }, { 0xda, 2, K_I32, 0 }, { 0xda, 3, K_I32, 0 },
        { 0xda, 4, K_I32, 0 }, { 0xda, 5, K_I32, 0 }, { 0xda, 6, K_I32, 0 }, { 0xda, 7, K_I32, 0 },
        { 0xde, 0, K_I16, 0 }, { 0xde, 1, K_I16, 0 }, { 0xde, 2, K_I16, 0 }, { 0xde, 3, K_I16, 0 },
        { 0xde, 4, K_I16, 0 }, { 0xde, 5, K_I16, 0 }, { 0xde, 6, K_I16, 0 }, { 0xde, 7, K_I16, 0 },
        { 0xd9, 0, K_F32, 0 }, { 0xd9, 2, K_NONE, 4 }, { 0xd9, 3, K_NONE, 4 },
        { 0xd9, 5, K_CW, 0 }, { 0xd9, 7, K_NONE, 2 },
        { 0xdb, 0, K_I32, 0 }, { 0xdb, 1, K_NONE, 4 }, { 0xdb, 2, K_NONE, 4 }, { 0xdb, 3, K_NONE, 4 },
        { 0xdb, 5, K_F80, 0 }, { 0xdb, 7, K_NONE, 10 },
        { 0xdd, 0, K_F64, 0 }, { 0xdd, 1, K_NONE, 8 }, { 0xdd, 2, K_NONE, 8 }, { 0xdd, 3, K_NONE, 8 },
        { 0xdd, 7, K_NONE, 2 },
        { 0xdf, 0, K_I16, 0 }, { 0xdf, 1, K_NONE, 2 }, { 0xdf, 2, K_NONE, 2 }, { 0xdf, 3, K_NONE, 2 },
        { 0xdf, 4, K_BCD, 0 }, { 0xdf, 5, K_I64, 0 }, { 0xdf, 6, K_NONE, 10 }, { 0xdf, 7, K_NONE, 8 },
    };
    for (size_t k = 0; k < G_N_ELEMENTS(mem); k++) {
        uint8_t code[2] = { mem[k].op, (mem[k].reg << 3) | 3 };
        snprintf(name, sizeof(name), "%02x-m%d", mem[k].op, mem[k].reg);
        add_case(code, 2, mem[k].kind, mem[k].cmp, false, name);
    }
    /* environment and state images, 32- and 16-bit operand size */
    add_case((const uint8_t *)"\xd9\x23", 2, K_ENV, 0, false, "fldenv");
    add_case((const uint8_t *)"\x66\xd9\x23", 3, K_ENV16, 0, false, "fldenv16");
    add_case((const uint8_t *)"\xd9\x33", 2, K_NONE, 28, true, "fnstenv");
    add_case((const uint8_t *)"\x66\xd9\x33", 3, K_NONE, 14, true, "fnstenv16");
    add_case((const uint8_t *)"\xdd\x23", 2, K_SAVE, 0, false, "frstor");
    add_case((const uint8_t *)"\x66\xdd\x23", 3, K_SAVE16, 0, false, "frstor16");
    add_case((const uint8_t *)"\xdd\x33", 2, K_NONE, 108, true, "fnsave");
    add_case((const uint8_t *)"\x66\xdd\x33", 3, K_NONE, 94, true, "fnsave16");
    add_case((const uint8_t *)"\x0f\xae\x03", 3, K_NONE, 160, true, "fxsave");
    add_case((const uint8_t *)"\x0f\xae\x0b", 3, K_FX, 0, false, "fxrstor");
    add_case((const uint8_t *)"\x9b", 1, K_NONE, 0, false, "fwait");
}

/* ---- host side ---- */

typedef void (*HostStub)(uint8_t *img, uint8_t *opnd, uint64_t *regs);

/* push rbx; mov rbx,rsi; frstor [rdi]; mov rax,[rdx]; push rax; popfq;
 * mov rax,[rdx+8]; <insn>; pushfq; pop rcx; mov [rdx],rcx; mov [rdx+8],rax;
 * fnsave [rdi]; pop rbx; ret */
static HostStub host_stub(const X87Case *c)
{
    uint8_t *p = xt_host_page(), *q = p;
    static const uint8_t pre[] = { 0x53, 0x48, 0x89, 0xf3, 0xdd, 0x27, 0x48, 0x8b, 0x02, 0x50, 0x9d,
                                   0x48, 0x8b, 0x42, 0x08 };
    static const uint8_t post[] = { 0x9c, 0x59, 0x48, 0x89, 0x0a, 0x48, 0x89, 0x42, 0x08,
                                    0xdd, 0x37, 0x5b, 0xc3 };
    memcpy(q, pre, sizeof(pre));
    q += sizeof(pre);
    memcpy(q, c->code, c->len);
    q += c->len;
    memcpy(q, post, sizeof(post));
    __builtin___clear_cache((char *)p, (char *)q + sizeof(post));
    return (HostStub)p;
}

/* pointer fields (not compared) of a 32-bit / 16-bit environment */
static void mask_env(uint8_t *img, bool op16)
{
    if (op16) {
        memset(img + 6, 0, 8);
    } else {
        memset(img + 12, 0, 16);
    }
}

static void fix_images(const X87Case *c, uint8_t *img, uint8_t *opnd)
{
    mask_env(img, false);
    if (c->env_image) {
        bool op16 = c->code[0] == 0x66;
        if (c->code[0] == 0x0f) {
            memset(opnd + 6, 0, 18);       /* FOP, FIP, FCS, FDP, FDS */
            memset(opnd + 28, 0, 4);       /* MXCSR_MASK differs between CPUs */
            for (int i = 0; i < 8; i++) {
                memset(opnd + 32 + 16 * i + 10, 0, 6);   /* reserved */
            }
        } else {
            mask_env(opnd, op16);
        }
    }
}

static void dump(const char *what, const uint8_t *p, int n)
{
    GString *s = g_string_new(NULL);
    for (int i = 0; i < n; i++) {
        g_string_append_printf(s, "%02x%s", p[i], (i % 2) ? " " : "");
    }
    g_test_message("%s: %s", what, s->str);
    g_string_free(s, TRUE);
}

static bool run_case(const X87Case *c, int iter)
{
    uint8_t img[108], opnd[OPND_SIZE] __attribute__((aligned(16)));
    uint8_t himg[108], hop[OPND_SIZE] __attribute__((aligned(16)));
    gen_state(img, true);
    gen_operand(opnd, c->kind);
    if (c->kind == K_ENV16 || c->kind == K_SAVE16) {
        /* 16-bit protected format: FCW FSW FTW, pointers, then registers */
        uint8_t img16[94] = { 0 };
        memcpy(img16 + 0, opnd + 0, 2);
        memcpy(img16 + 2, opnd + 4, 2);
        memcpy(img16 + 4, opnd + 8, 2);
        memcpy(img16 + 14, opnd + 28, 80);
        memcpy(opnd, img16, 94);
    }
    uint64_t flags = (g_test_rand_int() & (CC_MASK)) | 0x202;
    uint64_t regs[2] = { flags, rnd64() };

    memcpy(himg, img, sizeof(img));
    memcpy(hop, opnd, sizeof(opnd));
    host_stub(c)(himg, hop, regs);

    CPUX86State *env = xt_setup("max");
    memcpy(xt_mem(IMG), img, sizeof(img));
    memcpy(xt_mem(OPND), opnd, sizeof(opnd));
    env->regs[R_EDI] = IMG;
    env->regs[R_EBX] = OPND;
    env->regs[R_EAX] = regs[1];
    env->fpu.mxcsr = __builtin_ia32_stmxcsr();
    g_assert_cmpint(xt_exec(env, (const uint8_t *)"\xdd\x27", 2), ==, -1);
    cpu_load_eflags(env, flags, 0xffffffff);
    int exc = xt_exec(env, c->code, c->len);
    if (exc != -1) {
        dump("state", img, 108);
        g_error("%s #%d: guest raised exception %d", c->name, iter, exc);
    }
    uint32_t gflags = cpu_compute_eflags(env);
    uint64_t gax = env->regs[R_EAX];
    g_assert_cmpint(xt_exec(env, (const uint8_t *)"\xdd\x37", 2), ==, -1);

    uint8_t gimg[108], gop[OPND_SIZE];
    memcpy(gimg, xt_mem(IMG), sizeof(gimg));
    memcpy(gop, xt_mem(OPND), sizeof(gop));
    fix_images(c, himg, hop);
    fix_images(c, gimg, gop);
    /* C1 after FCOMI/FUCOMI(P): the SDM says cleared, AMD leaves it alone;
     * C0-C3 after FFREE/FFREEP: undefined */
    bool fcomi = (c->code[0] == 0xdb || c->code[0] == 0xdf) && c->code[1] >= 0xe8 &&
                 c->code[1] <= 0xf7;
    bool ffree = (c->code[0] == 0xdd || c->code[0] == 0xdf) && c->code[1] >= 0xc0 &&
                 c->code[1] <= 0xc7;
    /* an unmasked #IA in a compare: the SDM leaves the codes/EFLAGS alone,
     * AMD sets them to "unordered" */
    bool cmp = (c->code[0] == 0xd8 || c->code[0] == 0xdc || c->code[0] == 0xda ||
                c->code[0] == 0xde) && ((c->code[1] >> 3) & 7) >= 2 && ((c->code[1] >> 3) & 7) <= 3;
    cmp = cmp || fcomi || (c->code[0] == 0xdd && c->code[1] >= 0xe0 && c->code[1] <= 0xef) ||
          (c->code[0] == 0xda && c->code[1] == 0xe9) || (c->code[0] == 0xd9 && c->code[1] == 0xe4);
    uint16_t hfsw = himg[4] | himg[5] << 8, fcw0 = img[0] | img[1] << 8;
    if (cmp && (hfsw & X87_FSW_IE) && !(hfsw & X87_FSW_SF) && !(fcw0 & 1)) {
        uint16_t m = ~(X87_FSW_C0 | X87_FSW_C2 | X87_FSW_C3);
        himg[4] &= m, himg[5] &= m >> 8;
        gimg[4] &= m, gimg[5] &= m >> 8;
        regs[0] = (regs[0] & ~CC_MASK) | (gflags & CC_MASK);
    }
    if (fcomi || ffree) {
        uint16_t m = fcomi ? ~X87_FSW_C1 : ~(X87_FSW_C0 | X87_FSW_C1 | X87_FSW_C2 | X87_FSW_C3);
        himg[4] &= m, himg[5] &= m >> 8;
        gimg[4] &= m, gimg[5] &= m >> 8;
    }
    bool bad = memcmp(himg, gimg, 108) != 0 ||
               (gflags & CC_MASK) != (regs[0] & CC_MASK) ||
               (uint16_t)gax != (uint16_t)regs[1] ||
               memcmp(hop, gop, c->cmp_bytes) != 0;
    if (bad) {
        dump("before ", img, 108);
        dump("operand", opnd, 16);
        dump("host   ", himg, 108);
        dump("vireo  ", gimg, 108);
        dump("host op", hop, c->cmp_bytes);
        dump("vireo o", gop, c->cmp_bytes);
        g_test_message("eflags host %03x vireo %03x, ax host %04x vireo %04x",
                       (unsigned)(regs[0] & CC_MASK), gflags & CC_MASK, (uint16_t)regs[1],
                       (uint16_t)gax);
        g_test_message("%s #%d: Vireo differs from the host", c->name, iter);
        g_test_fail();
    }
    return !bad;
}

static int iterations(void)
{
    return g_test_slow() ? 2000 : 150;
}

static void test_insn(gconstpointer data)
{
    const X87Case *c = data;
    for (int i = 0; i < iterations(); i++) {
        if (!run_case(c, i)) {
            return;
        }
    }
}

/* ---- exceptions ---- */

static int ferr_count;
static void count_ferr(CPUX86State *env)
{
    ferr_count++;
}

static void test_exceptions(void)
{
    CPUX86State *env = xt_setup("max");
    const uint8_t fadd[] = { 0xd8, 0xc1 }, fwait[] = { 0x9b }, fninit[] = { 0xdb, 0xe3 };
    const uint8_t fnstsw[] = { 0xdf, 0xe0 }, fld1[] = { 0xd9, 0xe8 }, fdivz[] = { 0xd9, 0xee };

    /* #NM: any ESC with CR0.EM or CR0.TS; WAIT only with MP and TS */
    env->cr[0] |= CR0_TS;
    g_assert_cmpint(xt_exec(env, fninit, 2), ==, EXCP_NM);
    g_assert_cmpint(xt_exec(env, fwait, 1), ==, EXCP_NM);
    env->cr[0] &= ~CR0_MP;
    g_assert_cmpint(xt_exec(env, fwait, 1), ==, -1);
    env->cr[0] = (env->cr[0] & ~CR0_TS) | CR0_EM;
    g_assert_cmpint(xt_exec(env, fnstsw, 2), ==, EXCP_NM);
    g_assert_cmpint(xt_exec(env, fwait, 1), ==, -1);
    env->cr[0] = (env->cr[0] & ~CR0_EM) | CR0_MP;

    /* masked zero divide: no exception, ZE set, result -inf/inf */
    g_assert_cmpint(xt_exec(env, fninit, 2), ==, -1);
    g_assert_cmpint(xt_exec(env, fld1, 2), ==, -1);
    g_assert_cmpint(xt_exec(env, fdivz, 2), ==, -1);      /* fldz */
    g_assert_cmpint(xt_exec(env, (const uint8_t *)"\xdc\xf9", 2), ==, -1);   /* fdivr st(1),st: 1/0 */
    g_assert_cmphex(x87_get_fsw(env) & 0xff, ==, X87_FSW_ZE);

    /* unmasked: ZE and ES/B set, destination unchanged, #MF at the next
     * waiting instruction (CR0.NE = 1), none at FNSTSW/FNINIT */
    g_assert_cmpint(xt_exec(env, fninit, 2), ==, -1);
    g_assert_cmpint(xt_exec(env, fld1, 2), ==, -1);
    g_assert_cmpint(xt_exec(env, fdivz, 2), ==, -1);
    env->fpu.fcw &= ~0x04;
    g_assert_cmpint(xt_exec(env, (const uint8_t *)"\xdc\xf9", 2), ==, -1);
    g_assert_cmphex(env->fpu.st[(env->fpu.top + 1) & 7] == 1.0L, ==, 1);   /* unchanged */
    g_assert_cmphex(x87_get_fsw(env) & 0x80ff, ==, X87_FSW_ZE | X87_FSW_ES | X87_FSW_B);
    g_assert_cmpint(xt_exec(env, fnstsw, 2), ==, -1);
    g_assert_cmpint(xt_exec(env, fwait, 1), ==, EXCP_MF);
    g_assert_cmpint(xt_exec(env, fadd, 2), ==, EXCP_MF);
    /* with CR0.NE = 0: FERR# (IRQ 13 on the PC) once, and no #MF */
    x87_ferr_hook = count_ferr;
    env->cr[0] &= ~CR0_NE;
    g_assert_cmpint(xt_exec(env, (const uint8_t *)"\xdb\xe2", 2), ==, -1);   /* fnclex */
    g_assert_cmpint(xt_exec(env, (const uint8_t *)"\xdc\xf9", 2), ==, -1);
    g_assert_cmpint(ferr_count, ==, 1);
    g_assert_cmpint(xt_exec(env, fwait, 1), ==, -1);
    x87_ferr_hook = NULL;
    env->cr[0] |= CR0_NE;
    g_assert_cmpint(xt_exec(env, fninit, 2), ==, -1);
    g_assert_cmpint(xt_exec(env, fwait, 1), ==, -1);

    /* LDMXCSR/STMXCSR belong to SSE, which this model may not advertise yet */
    env->cpuid_features |= 1u << 25;
    /* FXSAVE: #GP(0) unless 16-byte aligned */
    env->regs[R_EBX] = OPND + 8;
    g_assert_cmpint(xt_exec(env, (const uint8_t *)"\x0f\xae\x03", 3), ==, EXCP_GP);
    /* FXRSTOR: #GP(0) for reserved MXCSR bits, nothing changed */
    env->regs[R_EBX] = OPND;
    memset(xt_mem(OPND), 0, 512);
    uint32_t bad = 0x10000;
    memcpy(xt_mem(OPND + 24), &bad, 4);
    env->fpu.fcw = 0x27f;
    g_assert_cmpint(xt_exec(env, (const uint8_t *)"\x0f\xae\x0b", 3), ==, EXCP_GP);
    g_assert_cmphex(env->fpu.fcw, ==, 0x27f);
    /* LDMXCSR: #GP for reserved bits, #UD without CR4.OSFXSR */
    memcpy(xt_mem(OPND), &bad, 4);
    g_assert_cmpint(xt_exec(env, (const uint8_t *)"\x0f\xae\x13", 3), ==, EXCP_GP);
    bad = 0x1f80 | 0x40;
    memcpy(xt_mem(OPND), &bad, 4);
    g_assert_cmpint(xt_exec(env, (const uint8_t *)"\x0f\xae\x13", 3), ==, -1);
    g_assert_cmphex(env->fpu.mxcsr, ==, 0x1fc0);
    g_assert_cmpint(xt_exec(env, (const uint8_t *)"\x0f\xae\x1b", 3), ==, -1);
    g_assert_cmphex(*(uint32_t *)xt_mem(OPND), ==, 0x1fc0);
    env->cr[4] &= ~CR4_OSFXSR;
    g_assert_cmpint(xt_exec(env, (const uint8_t *)"\x0f\xae\x13", 3), ==, EXCP_UD);
}

/* FIP/FCS/FOP/FDP/FDS as an exception handler finds them */
static void test_pointers(void)
{
    CPUX86State *env = xt_setup("max");
    env->regs[R_EBX] = OPND;
    env->regs[R_EDI] = IMG;
    *(float *)xt_mem(OPND) = 2.0f;
    g_assert_cmpint(xt_exec(env, (const uint8_t *)"\xdb\xe3", 2), ==, -1);
    g_assert_cmpint(xt_exec(env, (const uint8_t *)"\xd9\x03", 2), ==, -1);      /* fld dword [ebx] */
    g_assert_cmpint(xt_exec(env, (const uint8_t *)"\xd9\x33", 2), ==, -1);      /* fnstenv: control */
    uint32_t *e = (uint32_t *)xt_mem(OPND);
    g_assert_cmphex(e[3], ==, 0x100);                         /* FIP: the FLD */
    g_assert_cmphex(e[4], ==, 0x08 | (0x103u << 16));         /* FCS, FOP = (d9 & 7) << 8 | 03 */
    g_assert_cmphex(e[5], ==, OPND);                          /* FDP */
    g_assert_cmphex(e[6] & 0xffff, ==, 0x10);                 /* FDS */
    /* FNSTENV leaves every exception masked */
    g_assert_cmphex(env->fpu.fcw & 0x3f, ==, 0x3f);
}

/* FXSAVE64/FXRSTOR64 (REX.W): 64-bit FIP at 8 and FDP at 16, no selectors */
static void test_fxsave64(void)
{
    CPUX86State *env = xt_setup("max");
    env->fpu.fip = 0x123456789aull;
    env->fpu.fdp = 0xfedcba9876ull;
    env->fpu.fcs = 0x33;
    env->fpu.fds = 0x44;
    if (sigsetjmp(env->jmp_env, 0) == 0) {
        x87_fxsave(env, R_DS, OPND, true);
    } else {
        g_assert_not_reached();
    }
    g_assert_cmphex(*(uint64_t *)xt_mem(OPND + 8), ==, 0x123456789aull);
    g_assert_cmphex(*(uint64_t *)xt_mem(OPND + 16), ==, 0xfedcba9876ull);
    env->fpu.fip = env->fpu.fdp = 0;
    if (sigsetjmp(env->jmp_env, 0) == 0) {
        x87_fxrstor(env, R_DS, OPND, true);
    } else {
        g_assert_not_reached();
    }
    g_assert_cmphex(env->fpu.fip, ==, 0x123456789aull);
    g_assert_cmphex(env->fpu.fdp, ==, 0xfedcba9876ull);
    g_assert_cmphex(env->fpu.fcs, ==, 0);
    /* the 32-bit form keeps the selectors */
    env->fpu.fcs = 0x33;
    if (sigsetjmp(env->jmp_env, 0) == 0) {
        x87_fxsave(env, R_DS, OPND, false);
    } else {
        g_assert_not_reached();
    }
    g_assert_cmphex(*(uint32_t *)xt_mem(OPND + 8), ==, 0x3456789a);
    g_assert_cmphex(*(uint16_t *)xt_mem(OPND + 12), ==, 0x33);
}

/* power-on state (SDM vol. 3 table 9-1) and FNINIT */
static void test_reset(void)
{
    CPUX86State *env = xt_setup("max");
    x86_cpu_reset(env);
    g_assert_cmphex(env->fpu.fcw, ==, 0x40);
    g_assert_cmphex(env->fpu.ftw_tag, ==, 0x5555);
    g_assert_cmphex(env->fpu.mxcsr, ==, 0x1f80);
    x87_reset(env);
    g_assert_cmphex(env->fpu.fcw, ==, 0x37f);
    g_assert_cmphex(env->fpu.ftw_tag, ==, 0xffff);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    build_cases();
    for (guint i = 0; i < cases->len; i++) {
        X87Case *c = &g_array_index(cases, X87Case, i);
        char *path = g_strdup_printf("/x87/host/%s", c->name);
        g_test_add_data_func(path, c, test_insn);
        g_free(path);
    }
    g_test_add_func("/x87/exceptions", test_exceptions);
    g_test_add_func("/x87/pointers", test_pointers);
    g_test_add_func("/x87/reset", test_reset);
    g_test_add_func("/x87/fxsave64", test_fxsave64);
    return g_test_run();
}
#endif
