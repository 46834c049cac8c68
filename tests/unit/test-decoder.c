/*
 * Decoder and disassembler: instruction lengths and Intel-syntax text for a
 * table of encodings.  Expected values were written by hand from the SDM
 * opcode maps (lengths cross-checked with objdump), never from our output.
 */
#include <glib.h>
#include <string.h>

#include "target/x86/cpu.h"
#include "target/x86/helper.h"
#include "target/x86/decode.h"
#include "target/x86/disas.h"
#include "cpu-a-mock.h"

typedef struct DecCase {
    int bits;           /* code size: 16, 32 or 64 */
    uint64_t eip;
    const char *bytes;
    int nbytes;
    int len;            /* expected length; -1 too long, -2 invalid */
    const char *text;   /* expected disassembly, NULL = don't check */
} DecCase;

#define C32(b, l, t) { 32, 0x1000, b, sizeof(b) - 1, l, t }
#define C16(b, l, t) { 16, 0x100, b, sizeof(b) - 1, l, t }
#define C64(b, l, t) { 64, 0x401000, b, sizeof(b) - 1, l, t }

static const DecCase cases[] = {
    C32("\x89\xd8", 2, "mov    eax,ebx"),
    C32("\x8b\x44\x24\x04", 4, "mov    eax,DWORD PTR [esp+0x4]"),
    C32("\x8b\x45\xfc", 3, "mov    eax,DWORD PTR [ebp-0x4]"),
    C32("\x8b\x04\x8d\x00\x10\x00\x00", 7, "mov    eax,DWORD PTR [ecx*4+0x1000]"),
    C32("\x8b\x05\x00\x10\x00\x00", 6, "mov    eax,DWORD PTR ds:0x1000"),
    C32("\xa1\x78\x56\x34\x12", 5, "mov    eax,ds:0x12345678"),
    C32("\xa2\x78\x56\x34\x12", 5, "mov    ds:0x12345678,al"),
    C32("\x66\xb8\x34\x12", 4, "mov    ax,0x1234"),
    C32("\xb4\x0e", 2, "mov    ah,0xe"),
    C32("\xc7\x05\x00\x20\x00\x00\x01\x00\x00\x00", 10, "mov    DWORD PTR ds:0x2000,0x1"),
    C32("\x66\xc7\x40\x02\x34\x12", 6, "mov    WORD PTR [eax+0x2],0x1234"),
    C32("\xc6\x04\x24\x05", 4, "mov    BYTE PTR [esp],0x5"),
    C32("\x83\xc0\xff", 3, "add    eax,0xffffffff"),
    C32("\x81\x7d\x08\x00\x01\x00\x00", 7, "cmp    DWORD PTR [ebp+0x8],0x100"),
    C32("\x80\x3d\x00\x10\x00\x00\x07", 7, "cmp    BYTE PTR ds:0x1000,0x7"),
    C32("\xf6\x44\x24\x08\x01", 5, "test   BYTE PTR [esp+0x8],0x1"),
    C32("\xf7\xe3", 2, "mul    ebx"),
    C32("\xf3\xa5", 2, "rep movsd"),
    C32("\xf3\xab", 2, "rep stosd"),
    C32("\xf2\xae", 2, "repnz scasb"),
    C32("\xf3\xa6", 2, "repz cmpsb"),
    C32("\xa4", 1, "movsb"),
    C32("\x66\xad", 2, "lodsw"),
    C32("\x0f\xb6\xc1", 3, "movzx  eax,cl"),
    C32("\x0f\xbf\x06", 3, "movsx  eax,WORD PTR [esi]"),
    C32("\xe8\x00\x00\x00\x00", 5, "call   0x1005"),
    C32("\xeb\xfe", 2, "jmp    0x1000"),
    C32("\x0f\x84\x10\x00\x00\x00", 6, "je     0x1016"),
    C32("\x75\x05", 2, "jne    0x1007"),
    C32("\xea\x78\x56\x34\x12\x08\x00", 7, "jmp    0x8:0x12345678"),
    C32("\xff\x2d\x00\x10\x00\x00", 6, "jmp    FWORD PTR ds:0x1000"),
    C32("\xff\xd0", 2, "call   eax"),
    C32("\xff\x74\x24\x04", 4, "push   DWORD PTR [esp+0x4]"),
    C32("\xc2\x08\x00", 3, "ret    0x8"),
    C32("\xcb", 1, "retf"),
    C32("\xcd\x10", 2, "int    0x10"),
    C32("\xcc", 1, "int3"),
    C32("\x0f\x01\x15\x00\x10\x00\x00", 7, "lgdt   ds:0x1000"),
    C32("\x0f\x22\xc0", 3, "mov    cr0,eax"),
    C32("\x0f\x20\xd8", 3, "mov    eax,cr3"),
    C32("\x0f\x20\x00", 3, "mov    eax,cr0"),   /* ModRM.mod is ignored */
    C32("\x8e\xd8", 2, "mov    ds,ax"),
    C32("\x8c\xc8", 2, "mov    eax,cs"),
    C32("\x64\x8b\x03", 3, "mov    eax,DWORD PTR fs:[ebx]"),
    C32("\xf0\x0f\xb1\x0a", 4, "lock cmpxchg DWORD PTR [edx],ecx"),
    C32("\xf0\x83\x00\x01", 4, "lock add    DWORD PTR [eax],0x1"),
    C32("\x0f\xa4\xc2\x04", 4, "shld   edx,eax,0x4"),
    C32("\x0f\xad\xc2", 3, "shrd   edx,eax,cl"),
    C32("\xd1\xe0", 2, "shl    eax,1"),
    C32("\xd3\xf8", 2, "sar    eax,cl"),
    C32("\xc1\xe8\x1f", 3, "shr    eax,0x1f"),
    C32("\xc8\x10\x00\x01", 4, "enter  0x10,0x1"),
    C32("\x8d\x44\x58\x02", 4, "lea    eax,[eax+ebx*2+0x2]"),
    C32("\x8d\x04\x25\x00\x10\x00\x00", 7, "lea    eax,ds:0x1000"),
    C32("\x0f\xc7\x0e", 3, "cmpxchg8b QWORD PTR [esi]"),
    C32("\xec", 1, "in     al,dx"),
    C32("\xe6\x80", 2, "out    0x80,al"),
    C32("\xef", 1, "out    dx,eax"),
    C32("\x66\xe5\x60", 3, "in     ax,0x60"),
    C32("\x26\x67\x8a\x07", 4, "mov    al,BYTE PTR es:[bx]"),
    C32("\x0f\x1f\x44\x00\x00", 5, "nop    DWORD PTR [eax+eax*1]"),
    C32("\x66\x0f\x1f\x84\x00\x00\x00\x00\x00", 9, "nop    WORD PTR [eax+eax*1]"),
    C32("\x69\xc3\x10\x27\x00\x00", 6, "imul   eax,ebx,0x2710"),
    C32("\x6b\xc3\xfe", 3, "imul   eax,ebx,0xfffffffe"),
    C32("\x0f\xaf\xc3", 3, "imul   eax,ebx"),
    C32("\x0f\xba\xe0\x05", 4, "bt     eax,0x5"),
    C32("\x0f\xab\x08", 3, "bts    DWORD PTR [eax],ecx"),
    C32("\x0f\x94\xc0", 3, "sete   al"),
    C32("\x0f\x4f\xc1", 3, "cmovg  eax,ecx"),
    C32("\x0f\xc8", 2, "bswap  eax"),
    C32("\x0f\xa2", 2, "cpuid"),
    C32("\x0f\x31", 2, "rdtsc"),
    C32("\x98", 1, "cwde"),
    C32("\x66\x98", 2, "cbw"),
    C32("\x99", 1, "cdq"),
    C32("\x60", 1, "pushad"),
    C32("\x9c", 1, "pushfd"),
    C32("\xcf", 1, "iretd"),
    C32("\xf3\x90", 2, "pause"),
    C32("\x0f\x33", 2, "rdpmc"),
    C32("\x0f\xa0", 2, "push   fs"),
    /* GS is a segment register, not a ModRM G operand (Linux setup code) */
    C32("\x0f\xa8", 2, "push   gs"),
    C16("\x0f\xa9", 2, "pop    gs"),
    C16("\x0f\xa9\x0f\xa1", 2, "pop    gs"),
    C32("\x1f", 1, "pop    ds"),
    C32("\xdb\xe3", 2, "fninit"),
    C32("\xdf\xe0", 2, "fnstsw ax"),
    C32("\xd8\x03", 2, "fadd   DWORD PTR [ebx]"),
    C32("\xde\xc1", 2, "faddp  st(1),st"),
    C32("\xdc\xf9", 2, "fdiv   st(1),st"),
    C32("\xdf\x2b", 2, "fild   QWORD PTR [ebx]"),
    C32("\xdb\xe9", 2, "fucomi st,st(1)"),
    C32("\xd9\xd9", 2, "fstp   st(1)"),
    C32("\x0f\x77", 2, "emms"),
    C32("\x0f\xae\xf8", 3, "sfence"),
    C32("\x66\x0f\x3a\x0f\xca\x05", 6, "(sse 66 0f 3a 0f) reg1,reg2,0x5"),
    C32("\xf3\x0f\xb8\xc1", 4, "popcnt eax,ecx"),
    C32("\xd9\x7d\xfe", 3, "fnstcw WORD PTR [ebp-0x2]"),
    C32("\x9b", 1, "fwait"),
    C32("\x0f\x0b", 2, "ud2"),
    C32("\x0f\x00\xd8", 3, "ltr    ax"),
    C32("\x0f\x01\xf0", 3, "lmsw   ax"),
    C32("\x0f\x01\x38", 3, "invlpg [eax]"),
    C32("\x62\x03", 2, "bound  eax,QWORD PTR [ebx]"),
    C32("\xd4\x0a", 2, "aam    0xa"),
    C32("\x04\x80", 2, "add    al,0x80"),
    C32("\x05\x00\x00\x00\x80", 5, "add    eax,0x80000000"),
    /* invalid encodings: #UD, length still covers what was read */
    C32("\x0f\x04", 2, "(bad)") , /* undefined two-byte opcode */
    C32("\x8d\xc0", -2, NULL),          /* LEA with a register operand */
    C32("\xf0\x90", -2, NULL),          /* LOCK NOP */
    C32("\xf0\x01\xd8", -2, NULL),      /* LOCK with register destination */
    C32("\xf0\x39\x00", -2, NULL),      /* LOCK CMP */
    C32("\xff\xff", -2, NULL),          /* FF /7 */
    C32("\x0f\x01\xd0", -2, NULL),      /* 0F 01 /2 with mod=3 */
    C32("\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x90", -1, NULL),
    /* 16-bit code */
    C16("\x8b\x46\x04", 3, "mov    ax,WORD PTR [bp+0x4]"),
    C16("\x8b\x00", 2, "mov    ax,WORD PTR [bx+si]"),
    C16("\x8b\x1e\x34\x12", 4, "mov    bx,WORD PTR ds:0x1234"),
    C16("\xa1\x34\x12", 3, "mov    ax,ds:0x1234"),
    C16("\x8a\x87\x00\x80", 4, "mov    al,BYTE PTR [bx-0x8000]"),
    C16("\x66\x67\x8b\x44\x24\x04", 6, "mov    eax,DWORD PTR [esp+0x4]"),
    C16("\xea\x5b\xe0\x00\xf0", 5, "jmp    0xf000:0xe05b"),
    C16("\xe9\xfd\xff", 3, "jmp    0x100"),
    C16("\xe8\x00\x00", 3, "call   0x103"),
    C16("\x66\xe8\x00\x00\x00\x00", 6, "call   0x106"),
    C16("\xcf", 1, "iret"),
    C16("\x66\xcf", 2, "iretd"),
    C16("\xe3\xfe", 2, "jcxz   0x100"),
    C16("\x67\xe3\xfd", 3, "jecxz  0x100"),
    C16("\x66\x68\x78\x56\x34\x12", 6, "push   0x12345678"),
    C16("\x6a\xff", 2, "push   0xffff"),
    C16("\x0f\x01\x16\x00\x10", 5, "lgdt   ds:0x1000"),
    C16("\x66\x0f\x01\x1e\x00\x10", 6, "lidt   ds:0x1000"),
    C16("\xf3\xa4", 2, "rep movsb"),
    C16("\x66\xf3\xab", 3, "rep stosd"),
    C16("\x2e\xff\x2e\x00\x10", 5, "jmp    DWORD PTR cs:0x1000"),
    C16("\xc4\x1e\x00\x10", 4, "les    bx,DWORD PTR ds:0x1000"),
    C16("\xee", 1, "out    dx,al"),
    C16("\x36\x89\x07", 3, "mov    WORD PTR ss:[bx],ax"),
    /* 64-bit code: REX, RIP-relative, default-64 stack/branch operands */
    C64("\x48\x89\xd8", 3, "mov    rax,rbx"),
    C64("\x4c\x89\xc0", 3, "mov    rax,r8"),
    C64("\x89\xd8", 2, "mov    eax,ebx"),
    C64("\x66\x89\xd8", 3, "mov    ax,bx"),
    C64("\x41\xb0\xff", 3, "mov    r8b,0xff"),
    C64("\x40\xb6\x22", 3, "mov    sil,0x22"),
    C64("\xb6\x22", 2, "mov    dh,0x22"),
    C64("\x40\x88\xe6", 3, "mov    sil,spl"),
    C64("\x48\xb8\x88\x77\x66\x55\x44\x33\x22\x11", 10, "mov    rax,0x1122334455667788"),
    C64("\x48\xc7\xc0\xff\xff\xff\xff", 7, "mov    rax,0xffffffffffffffff"),
    C64("\x48\xa1\x88\x77\x66\x55\x44\x33\x22\x11", 10, "mov    rax,ds:0x1122334455667788"),
    C64("\x8b\x05\x10\x00\x00\x00", 6, "mov    eax,DWORD PTR [rip+0x10]"),
    C64("\x48\x8d\x05\xf9\xff\xff\xff", 7, "lea    rax,[rip-0x7]"),
    C64("\x67\x8b\x00", 3, "mov    eax,DWORD PTR [eax]"),
    C64("\x4a\x8b\x04\xe0", 4, "mov    rax,QWORD PTR [rax+r12*8]"),
    C64("\x41\x8b\x04\x24", 4, "mov    eax,DWORD PTR [r12]"),
    C64("\x41\x8b\x45\x00", 4, "mov    eax,DWORD PTR [r13]"),
    C64("\x64\x48\x8b\x04\x25\x28\x00\x00\x00", 9, "mov    rax,QWORD PTR fs:0x28"),
    C64("\x48\x83\xc4\x08", 4, "add    rsp,0x8"),
    C64("\x50", 1, "push   rax"),
    C64("\x41\x57", 2, "push   r15"),
    C64("\x66\x50", 2, "push   ax"),
    C64("\x6a\xff", 2, "push   0xffffffffffffffff"),
    C64("\xe8\x00\x00\x00\x00", 5, "call   0x401005"),
    C64("\xeb\xfe", 2, "jmp    0x401000"),
    C64("\xff\xd0", 2, "call   rax"),
    C64("\x41\xff\xe3", 3, "jmp    r11"),
    C64("\xc3", 1, "ret"),
    C64("\x48\x63\xc3", 3, "movsxd rax,ebx"),
    C64("\x48\x98", 2, "cdqe"),
    C64("\x48\x99", 2, "cqo"),
    C64("\x48\xcf", 2, "iretq"),
    C64("\x48\xab", 2, "stosq"),
    C64("\x0f\x05", 2, "syscall"),
    C64("\x0f\x01\xf8", 3, "swapgs"),
    C64("\x0f\x01\xf9", 3, "rdtscp"),
    C64("\x48\x0f\xc7\x0e", 4, "cmpxchg16b OWORD PTR [rsi]"),
    C64("\xf3\x0f\xc7\xf8", 4, "rdpid  rax"),
    C64("\x0f\xc7\xf0", 3, "rdrand eax"),
    C64("\x0f\xc7\xf8", 3, "rdseed eax"),
    C64("\x48\x0f\xc7\xf1", 4, "rdrand rcx"),
    C64("\x49\x90", 2, "xchg   r8,rax"),
    C64("\x90", 1, "nop"),
    C64("\x0f\x20\xc0", 3, "mov    rax,cr0"),
    C64("\x44\x0f\x20\xc0", 4, "mov    rax,cr8"),
    C64("\x49\x0f\xc8", 3, "bswap  r8"),
    C64("\x48\xc1\xe0\x3f", 4, "shl    rax,0x3f"),
    C64("\x40\x66\x90", 3, "nop"),                 /* REX before 66 is ignored */
    /* invalid in 64-bit mode */
    C64("\x06", -2, NULL),                           /* PUSH ES */
    C64("\x27", -2, NULL),                           /* DAA */
    C64("\x60", -2, NULL),                           /* PUSHA */
    C64("\xce", -2, NULL),                           /* INTO */
    C64("\xd4\x0a", -2, NULL),                       /* AAM */
    C64("\xea\x00\x00\x00\x00\x08\x00", -2, NULL),  /* JMP ptr16:32 */
};

static uint8_t fetch_case(void *opaque, uint64_t la)
{
    const DecCase *c = opaque;
    uint64_t off = la - c->eip;
    return off < (uint64_t)c->nbytes ? (uint8_t)c->bytes[off] : 0x90;
}

static void test_case(gconstpointer data)
{
    const DecCase *c = data;
    DecodedInsn d;
    int r = x86_decode_mode(&d, c->eip, c->bits, fetch_case, (void *)c);
    if (c->len > 0) {
        if (c->text && strcmp(c->text, "(bad)") == 0) {
            g_assert_cmpint(r, ==, -2);
            g_assert_cmpint(d.len, ==, c->len);
        } else {
            g_assert_cmpint(r, ==, c->len);
            g_assert_cmpint(d.len, ==, c->len);
        }
    } else {
        g_assert_cmpint(r, ==, c->len);
        g_assert_true(d.handler != NULL);   /* raises #UD / #GP when executed */
    }
    if (c->text) {
        char buf[128];
        x86_disas_insn(&d, c->eip, buf, sizeof(buf));
        g_assert_cmpstr(buf, ==, c->text);
    }
}

/* Every one-byte and 0F opcode, with every ModRM byte, decodes to a bounded
 * length without crashing, and the disassembler renders it. */
static void test_exhaustive(void)
{
    uint8_t buf[16];
    static const int modes[] = { 16, 32, 64 };
    for (int mi = 0; mi < 3; mi++) {
        for (int two = 0; two < 2; two++) {
            for (int op = 0; op < 256; op++) {
                for (int modrm = 0; modrm < 256; modrm++) {
                    DecCase c = { modes[mi], 0, (const char *)buf, 16, 0, NULL };
                    int n = 0;
                    if (modes[mi] == 64 && (op & 1)) {
                        buf[n++] = 0x4f;        /* every REX bit */
                    }
                    if (two) {
                        buf[n++] = 0x0f;
                    }
                    buf[n++] = op;
                    buf[n++] = modrm;
                    while (n < 16) {
                        buf[n++] = 0x11;
                    }
                    DecodedInsn d;
                    int r = x86_decode_mode(&d, 0, modes[mi], fetch_case, &c);
                    g_assert_cmpint(d.len, >=, 1);
                    g_assert_cmpint(d.len, <=, 15);
                    g_assert_true(r != 0);
                    char out[128];
                    x86_disas_insn(&d, 0, out, sizeof(out));
                    g_assert_true(out[0] != 0);
                }
            }
        }
    }
}

/* Random byte strings (prefix-heavy) never crash the decoder or the
 * disassembler and never produce a length outside 1..15. */
static void test_fuzz(void)
{
    static const uint8_t pfx[] = { 0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x0f,
                                   0x40, 0x48, 0x4c, 0x41, 0x4f };
    uint8_t buf[32];
    for (int iter = 0; iter < 200000; iter++) {
        for (int i = 0; i < 32; i++) {
            uint32_t r = g_test_rand_int();
            buf[i] = (r & 0x300) == 0 ? pfx[r % sizeof(pfx)] : (uint8_t)r;
        }
        int bits = iter % 3 == 0 ? 16 : iter % 3 == 1 ? 32 : 64;
        DecCase c = { bits, 0, (const char *)buf, 32, 0, NULL };
        DecodedInsn d;
        int r = x86_decode_mode(&d, 0, bits, fetch_case, &c);
        g_assert_cmpint(d.len, >=, 1);
        g_assert_cmpint(d.len, <=, 15);
        g_assert_true(r == d.len || r == -1 || r == -2);
        g_assert_true(d.handler != NULL);
        char out[128];
        x86_disas_insn(&d, 0, out, sizeof(out));
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_set_nonfatal_assertions();
    for (unsigned i = 0; i < G_N_ELEMENTS(cases); i++) {
        char *p = g_strdup_printf("/x86/decoder/%d/%02u", cases[i].bits, i);
        g_test_add_data_func(p, &cases[i], test_case);
        g_free(p);
    }
    g_test_add_func("/x86/decoder/exhaustive", test_exhaustive);
    g_test_add_func("/x86/decoder/fuzz", test_fuzz);
    return g_test_run();
}
