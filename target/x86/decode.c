/*
 * Table-driven x86 decoder for 16- and 32-bit code (see decode.h).
 */
#include <string.h>

#include "target/x86/ops.h"
#include "util/log.h"

#define B   OPF_BYTE
#define L   DF_LOCKOK
#define END DF_END_TB
#define GRP OPF_GROUP

#define ALU8(base, name)                                                     \
    [base + 0] = { name, "Eb,Gb", op_alu_EG, B | L },                         \
    [base + 1] = { name, "Ev,Gv", op_alu_EG, L },                             \
    [base + 2] = { name, "Gb,Eb", op_alu_GE, B },                             \
    [base + 3] = { name, "Gv,Ev", op_alu_GE, 0 },                             \
    [base + 4] = { name, "AL,Ib", op_alu_AI, B },                             \
    [base + 5] = { name, "eAX,Iz", op_alu_AI, 0 }

#define GRP1(opnd, f)                                                        \
    { { "add", opnd, op_alu_EI, f | L }, { "or", opnd, op_alu_EI, f | L },    \
      { "adc", opnd, op_alu_EI, f | L }, { "sbb", opnd, op_alu_EI, f | L },   \
      { "and", opnd, op_alu_EI, f | L }, { "sub", opnd, op_alu_EI, f | L },   \
      { "xor", opnd, op_alu_EI, f | L }, { "cmp", opnd, op_alu_EI, f } }

#define GRP2(opnd, f)                                                        \
    { { "rol", opnd, op_shift, f }, { "ror", opnd, op_shift, f },             \
      { "rcl", opnd, op_shift, f }, { "rcr", opnd, op_shift, f },             \
      { "shl", opnd, op_shift, f }, { "shr", opnd, op_shift, f },             \
      { "sal", opnd, op_shift, f }, { "sar", opnd, op_shift, f } }

static const OpEntry grp1_80[8] = GRP1("Eb,Ib", B);
static const OpEntry grp1_81[8] = GRP1("Ev,Iz", 0);
static const OpEntry grp1_83[8] = GRP1("Ev,Is", 0);
static const OpEntry grp1a_8f[8] = { { "pop", "Ev", op_pop_E, 0 } };
static const OpEntry grp2_c0[8] = GRP2("Eb,Ib", B);
static const OpEntry grp2_c1[8] = GRP2("Ev,Ib", 0);
static const OpEntry grp2_d0[8] = GRP2("Eb,1", B);
static const OpEntry grp2_d1[8] = GRP2("Ev,1", 0);
static const OpEntry grp2_d2[8] = GRP2("Eb,CL", B);
static const OpEntry grp2_d3[8] = GRP2("Ev,CL", 0);
static const OpEntry grp3_f6[8] = {
    { "test", "Eb,Ib", op_grp3, B }, { "test", "Eb,Ib", op_grp3, B },
    { "not", "Eb", op_grp3, B | L }, { "neg", "Eb", op_grp3, B | L },
    { "mul", "Eb", op_grp3, B }, { "imul", "Eb", op_grp3, B },
    { "div", "Eb", op_grp3, B }, { "idiv", "Eb", op_grp3, B },
};
static const OpEntry grp3_f7[8] = {
    { "test", "Ev,Iz", op_grp3, 0 }, { "test", "Ev,Iz", op_grp3, 0 },
    { "not", "Ev", op_grp3, L }, { "neg", "Ev", op_grp3, L },
    { "mul", "Ev", op_grp3, 0 }, { "imul", "Ev", op_grp3, 0 },
    { "div", "Ev", op_grp3, 0 }, { "idiv", "Ev", op_grp3, 0 },
};
static const OpEntry grp4_fe[8] = {
    { "inc", "Eb", op_grp_incdec, B | L }, { "dec", "Eb", op_grp_incdec, B | L },
};
static const OpEntry grp5_ff[8] = {
    { "inc", "Ev", op_grp_incdec, L }, { "dec", "Ev", op_grp_incdec, L },
    { "call", "Ev", op_call_E, END }, { "call", "Mp", op_call_far_E, END },
    { "jmp", "Ev", op_jmp_E, END }, { "jmp", "Mp", op_jmp_far_E, END },
    { "push", "Ev", op_push_E, 0 },
};
static const OpEntry grp11_c6[8] = { { "mov", "Eb,Ib", op_mov_EI, B } };
static const OpEntry grp11_c7[8] = { { "mov", "Ev,Iz", op_mov_EI, 0 } };
static const OpEntry grp6_0f00[8] = {
    { "sldt", "Ew", op_grp6, 0 }, { "str", "Ew", op_grp6, 0 },
    { "lldt", "Ew", op_grp6, 0 }, { "ltr", "Ew", op_grp6, 0 },
    { "verr", "Ew", op_grp6, 0 }, { "verw", "Ew", op_grp6, 0 },
};
static const OpEntry grp7_0f01[8] = {
    { "sgdt", "M", op_grp7, 0 }, { "sidt", "M", op_grp7, 0 },
    { "lgdt", "M", op_grp7, 0 }, { "lidt", "M", op_grp7, 0 },
    { "smsw", "Ew", op_grp7, 0 }, { "rdpkru", "Ev", op_grp7, 0 },
    { "lmsw", "Ew", op_grp7, END }, { "invlpg", "Eb", op_grp7, END },
};
static const OpEntry grp8_0fba[8] = {
    [4] = { "bt", "Ev,Ib", op_bt, 0 }, [5] = { "bts", "Ev,Ib", op_bt, L },
    [6] = { "btr", "Ev,Ib", op_bt, L }, [7] = { "btc", "Ev,Ib", op_bt, L },
};
/* 0F AE: memory forms fxsave/fxrstor/ldmxcsr/stmxcsr/clflush, register
 * forms lfence/mfence/sfence; op_grp15 tells them apart by ModRM.mod */
static const OpEntry grp15_0fae[8] = {
    { "fxsave", "M", op_grp15, 0 }, { "fxrstor", "M", op_grp15, 0 },
    { "ldmxcsr", "Md", op_grp15, 0 }, { "stmxcsr", "Md", op_grp15, 0 },
    { NULL, NULL, NULL, 0 }, { "lfence", "", op_grp15, 0 },
    { "mfence", "", op_grp15, 0 }, { "clflush", "Eb", op_grp15, 0 },
};
static const OpEntry grp9_0fc7[8] = {
    [1] = { "cmpxchg8b", "Mq", op_cmpxchg8b, L },
    [6] = { "rdrand", "Ev", op_rdrand, 0 }, [7] = { "rdseed", "Ev", op_rdrand, 0 },
};

#define R8(base, name, opnd, h, f)                                                   \
    [base + 0] = { name, opnd, h, f }, [base + 1] = { name, opnd, h, f },              \
    [base + 2] = { name, opnd, h, f }, [base + 3] = { name, opnd, h, f },              \
    [base + 4] = { name, opnd, h, f }, [base + 5] = { name, opnd, h, f },              \
    [base + 6] = { name, opnd, h, f }, [base + 7] = { name, opnd, h, f }

#define CC16(base, prefix, opnd, h, f)                                               \
    [base + 0] = { prefix "o", opnd, h, f }, [base + 1] = { prefix "no", opnd, h, f }, \
    [base + 2] = { prefix "b", opnd, h, f }, [base + 3] = { prefix "ae", opnd, h, f }, \
    [base + 4] = { prefix "e", opnd, h, f }, [base + 5] = { prefix "ne", opnd, h, f }, \
    [base + 6] = { prefix "be", opnd, h, f }, [base + 7] = { prefix "a", opnd, h, f }, \
    [base + 8] = { prefix "s", opnd, h, f }, [base + 9] = { prefix "ns", opnd, h, f }, \
    [base + 10] = { prefix "p", opnd, h, f }, [base + 11] = { prefix "np", opnd, h, f }, \
    [base + 12] = { prefix "l", opnd, h, f }, [base + 13] = { prefix "ge", opnd, h, f }, \
    [base + 14] = { prefix "le", opnd, h, f }, [base + 15] = { prefix "g", opnd, h, f }

const OpEntry x86_optab1[256] = {
    ALU8(0x00, "add"), [0x06] = { "push", "ES", op_push_seg, 0 }, [0x07] = { "pop", "ES", op_pop_seg, 0 },
    ALU8(0x08, "or"), [0x0e] = { "push", "CS", op_push_seg, 0 },
    ALU8(0x10, "adc"), [0x16] = { "push", "SS", op_push_seg, 0 }, [0x17] = { "pop", "SS", op_pop_seg, END },
    ALU8(0x18, "sbb"), [0x1e] = { "push", "DS", op_push_seg, 0 }, [0x1f] = { "pop", "DS", op_pop_seg, 0 },
    ALU8(0x20, "and"), [0x27] = { "daa", "", op_daa, 0 },
    ALU8(0x28, "sub"), [0x2f] = { "das", "", op_das, 0 },
    ALU8(0x30, "xor"), [0x37] = { "aaa", "", op_aaa, 0 },
    [0x38] = { "cmp", "Eb,Gb", op_alu_EG, B }, [0x39] = { "cmp", "Ev,Gv", op_alu_EG, 0 },
    [0x3a] = { "cmp", "Gb,Eb", op_alu_GE, B }, [0x3b] = { "cmp", "Gv,Ev", op_alu_GE, 0 },
    [0x3c] = { "cmp", "AL,Ib", op_alu_AI, B }, [0x3d] = { "cmp", "eAX,Iz", op_alu_AI, 0 },
    [0x3f] = { "aas", "", op_aas, 0 },
    R8(0x40, "inc", "rX", op_inc_r, 0), R8(0x48, "dec", "rX", op_dec_r, 0),
    R8(0x50, "push", "rX", op_push_r, 0), R8(0x58, "pop", "rX", op_pop_r, 0),
    [0x60] = { "pusha|pushad", "", op_pusha, 0 }, [0x61] = { "popa|popad", "", op_popa, 0 },
    [0x62] = { "bound", "Gv,Mq", op_bound, 0 }, [0x63] = { "arpl", "Ew,Gw", op_arpl, 0 },
    [0x68] = { "push", "Iz", op_push_I, 0 }, [0x69] = { "imul", "Gv,Ev,Iz", op_imul_GEI, 0 },
    [0x6a] = { "push", "Is", op_push_I, 0 }, [0x6b] = { "imul", "Gv,Ev,Is", op_imul_GEI, 0 },
    [0x6c] = { "ins", "Yb,DX", op_ins, B | END }, [0x6d] = { "ins", "Yv,DX", op_ins, END },
    [0x6e] = { "outs", "DX,Xb", op_outs, B | END }, [0x6f] = { "outs", "DX,Xv", op_outs, END },
    CC16(0x70, "j", "Jb", op_jcc, END),
    [0x80] = { "*grp1", "", NULL, B | GRP, grp1_80 }, [0x81] = { "*grp1", "", NULL, GRP, grp1_81 },
    [0x82] = { "*grp1", "", NULL, B | GRP, grp1_80 }, [0x83] = { "*grp1", "", NULL, GRP, grp1_83 },
    [0x84] = { "test", "Eb,Gb", op_test_EG, B }, [0x85] = { "test", "Ev,Gv", op_test_EG, 0 },
    [0x86] = { "xchg", "Eb,Gb", op_xchg_EG, B | L }, [0x87] = { "xchg", "Ev,Gv", op_xchg_EG, L },
    [0x88] = { "mov", "Eb,Gb", op_mov_EG, B }, [0x89] = { "mov", "Ev,Gv", op_mov_EG, 0 },
    [0x8a] = { "mov", "Gb,Eb", op_mov_GE, B }, [0x8b] = { "mov", "Gv,Ev", op_mov_GE, 0 },
    [0x8c] = { "mov", "Ev,Sw", op_mov_ES, 0 }, [0x8d] = { "lea", "Gv,M", op_lea, 0 },
    [0x8e] = { "mov", "Sw,Ew", op_mov_SE, END }, [0x8f] = { "*grp1a", "", NULL, GRP, grp1a_8f },
    [0x90] = { "nop", "", op_nop, 0 },
    [0x91] = { "xchg", "rX,eAX", op_xchg_AR, 0 }, [0x92] = { "xchg", "rX,eAX", op_xchg_AR, 0 },
    [0x93] = { "xchg", "rX,eAX", op_xchg_AR, 0 }, [0x94] = { "xchg", "rX,eAX", op_xchg_AR, 0 },
    [0x95] = { "xchg", "rX,eAX", op_xchg_AR, 0 }, [0x96] = { "xchg", "rX,eAX", op_xchg_AR, 0 },
    [0x97] = { "xchg", "rX,eAX", op_xchg_AR, 0 },
    [0x98] = { "cbw|cwde", "", op_cbw, 0 }, [0x99] = { "cwd|cdq", "", op_cwd, 0 },
    [0x9a] = { "call", "Ap", op_call_far, END }, [0x9b] = { "fwait", "", op_fwait, 0 },
    [0x9c] = { "pushf|pushfd", "", op_pushf, 0 }, [0x9d] = { "popf|popfd", "", op_popf, END },
    [0x9e] = { "sahf", "", op_sahf, 0 }, [0x9f] = { "lahf", "", op_lahf, 0 },
    [0xa0] = { "mov", "AL,Ob", op_mov_moffs, B }, [0xa1] = { "mov", "eAX,Ov", op_mov_moffs, 0 },
    [0xa2] = { "mov", "Ob,AL", op_mov_moffs, B }, [0xa3] = { "mov", "Ov,eAX", op_mov_moffs, 0 },
    [0xa4] = { "movs", "Yb,Xb", op_movs, B }, [0xa5] = { "movs", "Yv,Xv", op_movs, 0 },
    [0xa6] = { "cmps", "Xb,Yb", op_cmps, B }, [0xa7] = { "cmps", "Xv,Yv", op_cmps, 0 },
    [0xa8] = { "test", "AL,Ib", op_test_AI, B }, [0xa9] = { "test", "eAX,Iz", op_test_AI, 0 },
    [0xaa] = { "stos", "Yb,AL", op_stos, B }, [0xab] = { "stos", "Yv,eAX", op_stos, 0 },
    [0xac] = { "lods", "AL,Xb", op_lods, B }, [0xad] = { "lods", "eAX,Xv", op_lods, 0 },
    [0xae] = { "scas", "AL,Yb", op_scas, B }, [0xaf] = { "scas", "eAX,Yv", op_scas, 0 },
    R8(0xb0, "mov", "rB,Ib", op_mov_RI, B), R8(0xb8, "mov", "rX,Iz", op_mov_RI, 0),
    [0xc0] = { "*grp2", "", NULL, B | GRP, grp2_c0 }, [0xc1] = { "*grp2", "", NULL, GRP, grp2_c1 },
    [0xc2] = { "ret", "Iw", op_ret, END }, [0xc3] = { "ret", "", op_ret, END },
    [0xc4] = { "les", "Gv,Mp", op_lxs, 0 }, [0xc5] = { "lds", "Gv,Mp", op_lxs, 0 },
    [0xc6] = { "*grp11", "", NULL, B | GRP, grp11_c6 }, [0xc7] = { "*grp11", "", NULL, GRP, grp11_c7 },
    [0xc8] = { "enter", "Iw,Ib", op_enter, 0 }, [0xc9] = { "leave", "", op_leave, 0 },
    [0xca] = { "retf", "Iw", op_lret, END }, [0xcb] = { "retf", "", op_lret, END },
    [0xcc] = { "int3", "", op_int3, END }, [0xcd] = { "int", "Ib", op_int, END },
    [0xce] = { "into", "", op_into, END }, [0xcf] = { "iret|iretd", "", op_iret, END },
    [0xd0] = { "*grp2", "", NULL, B | GRP, grp2_d0 }, [0xd1] = { "*grp2", "", NULL, GRP, grp2_d1 },
    [0xd2] = { "*grp2", "", NULL, B | GRP, grp2_d2 }, [0xd3] = { "*grp2", "", NULL, GRP, grp2_d3 },
    [0xd4] = { "aam", "Ib", op_aam, 0 }, [0xd5] = { "aad", "Ib", op_aad, 0 },
    [0xd6] = { "salc", "", op_salc, 0 }, [0xd7] = { "xlat", "", op_xlat, 0 },
    R8(0xd8, "(x87)", "Ef", op_fpu, 0),
    [0xe0] = { "loopne", "Jb", op_loop, END }, [0xe1] = { "loope", "Jb", op_loop, END },
    [0xe2] = { "loop", "Jb", op_loop, END }, [0xe3] = { "jcxz|jecxz", "Jb", op_jcxz, END },
    [0xe4] = { "in", "AL,Ib", op_in, B }, [0xe5] = { "in", "eAX,Ib", op_in, 0 },
    [0xe6] = { "out", "Ib,AL", op_out, B | END }, [0xe7] = { "out", "Ib,eAX", op_out, END },
    [0xe8] = { "call", "Jz", op_call_rel, END }, [0xe9] = { "jmp", "Jz", op_jmp_rel, END },
    [0xea] = { "jmp", "Ap", op_jmp_far, END }, [0xeb] = { "jmp", "Jb", op_jmp_rel, END },
    [0xec] = { "in", "AL,DX", op_in, B }, [0xed] = { "in", "eAX,DX", op_in, 0 },
    [0xee] = { "out", "DX,AL", op_out, B | END }, [0xef] = { "out", "DX,eAX", op_out, END },
    [0xf1] = { "int1", "", op_int1, END }, [0xf4] = { "hlt", "", op_hlt, END },
    [0xf5] = { "cmc", "", op_flagop, 0 },
    [0xf6] = { "*grp3", "", NULL, B | GRP, grp3_f6 }, [0xf7] = { "*grp3", "", NULL, GRP, grp3_f7 },
    [0xf8] = { "clc", "", op_flagop, 0 }, [0xf9] = { "stc", "", op_flagop, 0 },
    [0xfa] = { "cli", "", op_cli, 0 }, [0xfb] = { "sti", "", op_sti, END },
    [0xfc] = { "cld", "", op_flagop, 0 }, [0xfd] = { "std", "", op_flagop, 0 },
    [0xfe] = { "*grp4", "", NULL, B | GRP, grp4_fe }, [0xff] = { "*grp5", "", NULL, GRP, grp5_ff },
};

/* MMX/SSE: one handler (sse.c) selects by opcode and mandatory prefix */
#define SSE(op) [op] = { "(sse)", "Ev", op_sse, 0 }
#define SSEI(op) [op] = { "(sse)", "Ev,Ib", op_sse, 0 }
#define SSE8(op) SSE(op), SSE(op + 1), SSE(op + 2), SSE(op + 3), SSE(op + 4), SSE(op + 5), \
                 SSE(op + 6), SSE(op + 7)

const OpEntry x86_optab2[256] = {
    [0x00] = { "*grp6", "", NULL, GRP, grp6_0f00 }, [0x01] = { "*grp7", "", NULL, GRP, grp7_0f01 },
    [0x02] = { "lar", "Gv,Ew", op_lar, 0 }, [0x03] = { "lsl", "Gv,Ew", op_lsl, 0 },
    [0x05] = { "syscall", "", op_syscall, END },
    [0x06] = { "clts", "", op_clts, END }, [0x07] = { "sysret", "", op_sysret, END },
    [0x08] = { "invd", "", op_invd, 0 },
    [0x09] = { "wbinvd", "", op_invd, 0 }, [0x0b] = { "ud2", "", op_ud2, END },
    [0x0d] = { "nop", "Ev", op_nop, 0 },
    SSE8(0x10),
    R8(0x18, "nop", "Ev", op_nop, 0),
    [0x20] = { "mov", "Rd,Cd", op_mov_cr, 0 }, [0x21] = { "mov", "Rd,Dd", op_mov_dr, 0 },
    [0x22] = { "mov", "Cd,Rd", op_mov_cr, END }, [0x23] = { "mov", "Dd,Rd", op_mov_dr, END },
    SSE8(0x28),
    [0x30] = { "wrmsr", "", op_wrmsr, END }, [0x31] = { "rdtsc", "", op_rdtsc, 0 },
    [0x32] = { "rdmsr", "", op_rdmsr, 0 }, [0x33] = { "rdpmc", "", op_rdpmc, 0 },
    [0x34] = { "sysenter", "", op_sysenter, END }, [0x35] = { "sysexit", "", op_sysexit, END },
    CC16(0x40, "cmov", "Gv,Ev", op_cmovcc, 0),
    SSE8(0x50), SSE8(0x58), SSE8(0x60), SSE8(0x68),
    SSEI(0x70), SSEI(0x71), SSEI(0x72), SSEI(0x73), SSE(0x74), SSE(0x75), SSE(0x76),
    [0x77] = { "emms", "", op_sse, 0 }, SSE8(0x78),

    CC16(0x80, "j", "Jz", op_jcc, END),
    CC16(0x90, "set", "Eb", op_setcc, B),
    [0xa0] = { "push", "FS", op_push_seg, 0 }, [0xa1] = { "pop", "FS", op_pop_seg, 0 },
    [0xa2] = { "cpuid", "", op_cpuid, 0 }, [0xa3] = { "bt", "Ev,Gv", op_bt, 0 },
    [0xa4] = { "shld", "Ev,Gv,Ib", op_shld, 0 }, [0xa5] = { "shld", "Ev,Gv,CL", op_shld, 0 },
    [0xa8] = { "push", "GS", op_push_seg, 0 }, [0xa9] = { "pop", "GS", op_pop_seg, 0 },
    [0xaa] = { "rsm", "", op_rsm, END },
    [0xab] = { "bts", "Ev,Gv", op_bt, L },
    [0xac] = { "shrd", "Ev,Gv,Ib", op_shrd, 0 }, [0xad] = { "shrd", "Ev,Gv,CL", op_shrd, 0 },
    [0xae] = { "*grp15", "", NULL, GRP, grp15_0fae }, [0xaf] = { "imul", "Gv,Ev", op_imul_GE, 0 },
    [0xb0] = { "cmpxchg", "Eb,Gb", op_cmpxchg, B | L }, [0xb1] = { "cmpxchg", "Ev,Gv", op_cmpxchg, L },
    [0xb2] = { "lss", "Gv,Mp", op_lxs, END }, [0xb3] = { "btr", "Ev,Gv", op_bt, L },
    [0xb4] = { "lfs", "Gv,Mp", op_lxs, 0 }, [0xb5] = { "lgs", "Gv,Mp", op_lxs, 0 },
    [0xb6] = { "movzx", "Gv,Eb", op_movzx, 0 }, [0xb7] = { "movzx", "Gv,Ew", op_movzx, 0 },
    [0xba] = { "*grp8", "", NULL, GRP, grp8_0fba }, [0xbb] = { "btc", "Ev,Gv", op_bt, L },
    [0xbc] = { "bsf", "Gv,Ev", op_bsf, 0 }, [0xbd] = { "bsr", "Gv,Ev", op_bsr, 0 },
    [0xbe] = { "movsx", "Gv,Eb", op_movsx, 0 }, [0xbf] = { "movsx", "Gv,Ew", op_movsx, 0 },
    [0xc0] = { "xadd", "Eb,Gb", op_xadd, B | L }, [0xc1] = { "xadd", "Ev,Gv", op_xadd, L },
    SSEI(0xc2), SSE(0xc3), SSEI(0xc4), SSEI(0xc5), SSEI(0xc6),
    [0xc7] = { "*grp9", "", NULL, GRP, grp9_0fc7 },
    R8(0xc8, "bswap", "rX", op_bswap, 0),
    SSE8(0xd0), SSE8(0xd8), SSE8(0xe0), SSE8(0xe8), SSE8(0xf0),
    SSE(0xf8), SSE(0xf9), SSE(0xfa), SSE(0xfb), SSE(0xfc), SSE(0xfd), SSE(0xfe),
    [0xb8] = { "popcnt", "Gv,Ev", op_popcnt, 0 },
};

/* 0F 38 xx and 0F 3A xx (the latter all take an imm8): sse.c decides */
#define M38(op) [op] = { "(sse)", "Ev", op_sse, 0 }
#define M38x8(op) M38(op), M38(op + 1), M38(op + 2), M38(op + 3), M38(op + 4), M38(op + 5), \
                  M38(op + 6), M38(op + 7)
#define M3A(op) [op] = { "(sse)", "Ev,Ib", op_sse, 0 }
const OpEntry x86_optab38[256] = {
    M38x8(0x00), M38x8(0x08), M38x8(0x10), M38x8(0x18), M38x8(0x20), M38x8(0x28),
    M38x8(0x30), M38x8(0x38), M38(0x40), M38(0x41), M38(0xf0), M38(0xf1),
};
const OpEntry x86_optab3a[256] = {
    M3A(0x08), M3A(0x09), M3A(0x0a), M3A(0x0b), M3A(0x0c), M3A(0x0d), M3A(0x0e), M3A(0x0f),
    M3A(0x14), M3A(0x15), M3A(0x16), M3A(0x17), M3A(0x20), M3A(0x21), M3A(0x22),
    M3A(0x40), M3A(0x41), M3A(0x42), M3A(0x60), M3A(0x61), M3A(0x62), M3A(0x63),
};

/* 64-bit mode replacements for one-byte opcodes */
static const OpEntry invalid_entry = { NULL, NULL, NULL, 0 };
static const OpEntry movsxd_entry = { "movsxd", "Gv,Ed", op_movsxd, 0 };
/* F3 90: a spin-wait hint, the last instruction of its block so that
 * op_pause can hand the host CPU to another vCPU right after it */
static const OpEntry pause_entry = { "pause", "", op_pause, END };

void op_invalid(CPUX86State *env, const DecodedInsn *d)
{
    vlog(LOG_UNIMP, "invalid/unimplemented opcode %s%02x at %04x:%08x\n",
         d->op >= 0x100 ? "0f " : "", d->op & 0xff, env->segs[R_CS].selector,
         (uint32_t)env->insn_start_eip);
    raise_exception(env, EXCP_UD);
}

/* Instruction longer than 15 bytes */
static void op_too_long(CPUX86State *env, const DecodedInsn *d)
{
    raise_exception_err(env, EXCP_GP, 0);
}

static bool is_string_op(unsigned op)
{
    return (op >= 0x6c && op <= 0x6f) || (op >= 0xa4 && op <= 0xa7) || (op >= 0xaa && op <= 0xaf);
}

typedef struct DecodeCtx {
    uint64_t la;
    unsigned pos;
    bool too_long;
    bool mode64;
    DecodeFetch fetch;
    void *opaque;
} DecodeCtx;

static inline uint8_t fetch8(DecodeCtx *c)
{
    if (c->pos >= 15) {
        c->too_long = true;
        return 0;
    }
    return c->fetch(c->opaque, c->la + c->pos++);
}

static uint32_t fetchn(DecodeCtx *c, int n)
{
    uint32_t v = 0;
    for (int i = 0; i < n; i++) {
        v |= (uint32_t)fetch8(c) << (8 * i);
    }
    return v;
}

static void decode_modrm(DecodeCtx *c, DecodedInsn *d, bool force_reg)
{
    unsigned rex = d->rex;
    d->mod = d->modrm >> 6;
    d->reg = ((d->modrm >> 3) & 7) | ((rex & REX_R) ? 8 : 0);
    d->rm = (d->modrm & 7) | ((rex & REX_B) ? 8 : 0);
    d->base = d->index = EA_NOREG;
    if (force_reg) {
        d->mod = 3;
    }
    if (d->mod == 3) {
        return;
    }
    d->flags |= DF_MEM;
    bool ss = false;
    if (d->adsize == 1) {
        static const uint8_t b16[8] = { R_EBX, R_EBX, R_EBP, R_EBP, R_ESI, R_EDI, R_EBP, R_EBX };
        static const uint8_t i16[8] = { R_ESI, R_EDI, R_ESI, R_EDI, EA_NOREG, EA_NOREG,
                                        EA_NOREG, EA_NOREG };
        unsigned rm = d->modrm & 7;
        if (d->mod == 0 && rm == 6) {
            d->disp = (uint16_t)fetchn(c, 2);
        } else {
            d->base = b16[rm];
            d->index = i16[rm];
            ss = d->base == R_EBP;
            if (d->mod == 1) {
                d->disp = (int8_t)fetch8(c);
            } else if (d->mod == 2) {
                d->disp = (int16_t)fetchn(c, 2);
            }
        }
        return (void)(d->seg = ss ? R_SS : R_DS);
    }
    unsigned rm = d->modrm & 7;
    if (rm == 4) {
        uint8_t sib = fetch8(c);
        d->scale = sib >> 6;
        unsigned idx = ((sib >> 3) & 7) | ((rex & REX_X) ? 8 : 0);
        d->index = idx == 4 ? EA_NOREG : idx;      /* R12 is a valid index */
        unsigned base = sib & 7;
        if (base == 5 && d->mod == 0) {
            d->base = EA_NOREG;
            d->disp = (int32_t)fetchn(c, 4);
        } else {
            d->base = base | ((rex & REX_B) ? 8 : 0);
        }
    } else if (rm == 5 && d->mod == 0) {
        d->disp = (int32_t)fetchn(c, 4);
        if (c->mode64) {
            d->base = EA_RIP;
        }
    } else {
        d->base = d->rm;
    }
    if (d->mod == 1) {
        d->disp = (int8_t)fetch8(c);
    } else if (d->mod == 2) {
        d->disp = (int32_t)fetchn(c, 4);
    }
    ss = d->base == R_ESP || d->base == R_EBP;
    d->seg = ss ? R_SS : R_DS;
}

/* 64-bit mode: one-byte opcodes that do not exist (#UD) */
static bool invalid64(unsigned op)
{
    switch (op) {
    case 0x06: case 0x07: case 0x0e: case 0x16: case 0x17: case 0x1e: case 0x1f:
    case 0x27: case 0x2f: case 0x37: case 0x3f: case 0x60: case 0x61: case 0x62:
    case 0x82: case 0x9a: case 0xc4: case 0xc5: case 0xce: case 0xd4: case 0xd5:
    case 0xd6: case 0xea:
        return true;
    default:
        return false;
    }
}

/* 64-bit mode: operand size defaults to 64 bits (near branches, stack ops) */
static bool default64(unsigned op, unsigned reg)
{
    if ((op >= 0x50 && op <= 0x5f) || (op >= 0x70 && op <= 0x7f) ||
        (op >= 0x180 && op <= 0x18f) || (op >= 0xe0 && op <= 0xe3)) {
        return true;
    }
    switch (op) {
    case 0x68: case 0x6a: case 0x8f: case 0x9c: case 0x9d: case 0xc2: case 0xc3:
    case 0xc8: case 0xc9: case 0xe8: case 0xe9: case 0xeb:
    case 0x1a0: case 0x1a1: case 0x1a8: case 0x1a9:
        return true;
    case 0xff:
        return reg == 2 || reg == 4 || reg == 6;
    default:
        return false;
    }
}

/* opcodes whose register is in the low three opcode bits (REX.B extends it) */
static bool opcode_reg(unsigned op)
{
    return (op >= 0x40 && op <= 0x5f) || (op >= 0x90 && op <= 0x97) ||
           (op >= 0xb0 && op <= 0xbf) || (op >= 0x1c8 && op <= 0x1cf);
}

int x86_decode(DecodedInsn *d, uint64_t la, bool code32, DecodeFetch fetch, void *opaque)
{
    return x86_decode_mode(d, la, code32 ? 32 : 16, fetch, opaque);
}

int x86_decode_mode(DecodedInsn *d, uint64_t la, int code_bits, DecodeFetch fetch, void *opaque)
{
    bool mode64 = code_bits == 64, code32 = code_bits == 32;
    DecodeCtx c = { .la = la, .fetch = fetch, .opaque = opaque, .mode64 = mode64 };
    uint8_t rex = 0;
    int seg = -1;
    uint8_t pfx = 0, b;
    const OpEntry *e;
    bool invalid = false;

    memset(d, 0, sizeof(*d));
    d->base = d->index = EA_NOREG;
    for (;;) {
        b = fetch8(&c);
        if (c.too_long) {
            break;
        }
        if (mode64 && (b & 0xf0) == 0x40) {
            rex = b;            /* only effective as the last prefix */
            continue;
        }
        switch (b) {
        case 0x26: seg = R_ES; break;
        case 0x2e: seg = R_CS; break;
        case 0x36: seg = R_SS; break;
        case 0x3e: seg = R_DS; break;
        case 0x64: seg = R_FS; break;
        case 0x65: seg = R_GS; break;
        case 0x66: pfx |= PFX_OPSIZE; break;
        case 0x67: pfx |= PFX_ADSIZE; break;
        case 0xf0: pfx |= PFX_LOCK; break;
        case 0xf2: pfx = (pfx & ~PFX_REP) | PFX_REPNE; break;
        case 0xf3: pfx = (pfx & ~PFX_REPNE) | PFX_REP; break;
        default: goto opcode;
        }
        rex = 0;                /* a legacy prefix after REX cancels it */
    }
opcode:
    if (mode64) {
        /* segment overrides other than FS/GS have no effect in 64-bit mode */
        if (seg >= 0 && seg != R_FS && seg != R_GS) {
            seg = -1;
        }
        d->rex = rex;
        d->opsize = (rex & REX_W) ? 3 : (pfx & PFX_OPSIZE) ? 1 : 2;
        d->adsize = (pfx & PFX_ADSIZE) ? 2 : 3;
    } else {
        d->opsize = (code32 ^ !!(pfx & PFX_OPSIZE)) ? 2 : 1;
        d->adsize = (code32 ^ !!(pfx & PFX_ADSIZE)) ? 2 : 1;
    }
    if (b == 0x0f) {
        b = fetch8(&c);
        d->op = 0x100 | b;
        e = &x86_optab2[b];
        if (b == 0x38 || b == 0x3a) {       /* three-byte maps */
            uint8_t b3 = fetch8(&c);
            d->op = (b == 0x38 ? 0x200 : 0x300) | b3;
            e = b == 0x38 ? &x86_optab38[b3] : &x86_optab3a[b3];
        }
    } else {
        d->op = b;
        e = &x86_optab1[b];
    }
    d->seg = R_DS;
    if (mode64) {
        if (d->op < 0x100 && invalid64(d->op)) {
            e = &invalid_entry;
        } else if (d->op == 0x63) {
            e = &movsxd_entry;
        } else if (d->op == 0x90 && (rex & REX_B)) {
            e = &x86_optab1[0x91];      /* XCHG R8, RAX is not a NOP */
        }
    }
    if (e == &x86_optab1[0x90] && (pfx & PFX_REP)) {
        e = &pause_entry;
    }

    /* does the (base) template use a ModRM byte? groups always do */
    bool need_modrm = (e->flags & OPF_GROUP) != 0;
    bool force_reg = false, mem_only = false;
    if (e->opnd) {
        for (const char *t = e->opnd; *t; ) {
            char k = t[0], k2 = t[1];
            /* operand kinds that live in ModRM (SDM opcode-map letters);
             * "GS" and "ES" are segment registers, not G/E operands */
            if ((k == 'G' && k2 != 'S') || k == 'M' || (k == 'E' && k2 != 'S') || (k == 'S' && k2 == 'w')) {
                need_modrm = true;
            } else if ((k == 'C' || k == 'D' || k == 'R') && k2 == 'd') {
                need_modrm = true;
                force_reg = true;   /* MOV CR/DR ignore ModRM.mod */
            }
            while (*t && *t != ',') {
                t++;
            }
            if (*t == ',') {
                t++;
            }
        }
    }
    if (need_modrm && !c.too_long) {
        d->modrm = fetch8(&c);
        decode_modrm(&c, d, force_reg);
        if (e->flags & OPF_GROUP) {
            e = &e->grp[d->reg & 7];
        }
    }
    if (!e->mnem || !e->handler) {
        invalid = true;
    }
    d->entry = e;
    d->flags |= e->flags & (DF_END_TB | DF_LOCKOK);
    if (mode64) {
        if (d->opsize == 2 && default64(d->op, d->reg & 7)) {
            d->opsize = 3;
        }
        /* port I/O has no 64-bit form: REX.W leaves it at 32 bits */
        if (d->opsize == 3 && ((d->op >= 0x6c && d->op <= 0x6f) || (d->op >= 0xe4 && d->op <= 0xe7) ||
                               (d->op >= 0xec && d->op <= 0xef))) {
            d->opsize = 2;
        }
        if (opcode_reg(d->op)) {
            d->rm = (d->op & 7) | ((rex & REX_B) ? 8 : 0);
        }
    } else if (opcode_reg(d->op)) {
        d->rm = d->op & 7;
    }
    d->ot = (e->flags & OPF_BYTE) ? 0 : d->opsize;
    if (d->op < 0x40) {
        d->aux = (d->op >> 3) & 7;
    } else if (need_modrm) {
        d->aux = d->reg & 7;
    }

    /* immediates, in template order */
    if (!invalid && e->opnd) {
        int nimm = 0;
        for (const char *t = e->opnd; *t; ) {
            uint64_t v = 0;
            bool is_imm = true;
            if (t[0] == 'I' || t[0] == 'J') {
                switch (t[1]) {
                case 'b': v = fetch8(&c); if (t[0] == 'J') { v = (int64_t)(int8_t)v; } break;
                case 's': v = (uint64_t)(int64_t)(int8_t)fetch8(&c); break;
                case 'w': v = fetchn(&c, 2); break;
                default:  /* z: word or dword by operand size; 64-bit sign-extends */
                    if (d->opsize == 3 && d->op >= 0xb8 && d->op <= 0xbf) {
                        v = fetchn(&c, 4);              /* MOV r64, imm64 */
                        v |= (uint64_t)fetchn(&c, 4) << 32;
                    } else if (d->opsize >= 2) {
                        v = (uint64_t)(int64_t)(int32_t)fetchn(&c, 4);
                        if (d->opsize == 2 && t[0] == 'I') {
                            v = (uint32_t)v;
                        }
                    } else {
                        v = fetchn(&c, 2);
                        if (t[0] == 'J') {
                            v = (uint64_t)(int64_t)(int16_t)v;
                        }
                    }
                    break;
                }
            } else if (t[0] == 'A' && t[1] == 'p') {
                d->imm = fetchn(&c, d->opsize == 2 ? 4 : 2);
                d->imm2 = fetchn(&c, 2);
                is_imm = false;
            } else if (t[0] == 'O') {
                if (d->adsize == 3) {
                    uint64_t lo = fetchn(&c, 4);
                    d->disp = (int64_t)(lo | (uint64_t)fetchn(&c, 4) << 32);
                } else {
                    d->disp = fetchn(&c, d->adsize == 2 ? 4 : 2);
                }
                d->flags |= DF_MEM;
                is_imm = false;
            } else if (t[0] == 'M') {
                mem_only = true;
                is_imm = false;
            } else {
                is_imm = false;
            }
            if (is_imm) {
                if (nimm++ == 0) {
                    d->imm = v;
                } else {
                    d->imm2 = v;
                }
            }
            while (*t && *t != ',') {
                t++;
            }
            if (*t == ',') {
                t++;
            }
        }
        if (d->ot < 3) {
            /* immediates of byte/word/dword operations act on the operand size */
            if (!(e->opnd[0] == 'J' || strstr(e->opnd, ",J"))) {
                if (!(d->op == 0xc8) && !(d->op == 0xc2 || d->op == 0xca)) {
                    d->imm &= ot_mask[d->ot];
                }
            }
        }
    }
    /* 0F 01 CA/CB (CLAC/STAC) share /1 with the memory-only SIDT */
    if (mem_only && d->mod == 3 &&
        !(d->op == 0x101 && d->aux == 1 && ((d->modrm & 7) == 2 || (d->modrm & 7) == 3))) {
        invalid = true;
    }
    if (seg >= 0) {
        d->seg = seg;
        pfx |= PFX_SEG;
    }
    d->prefixes = pfx;
    if ((pfx & PFX_LOCK) && (!(d->flags & DF_LOCKOK) || d->mod == 3 || !need_modrm)) {
        invalid = true;     /* LOCK on a non-lockable form is #UD */
    }
    if (!invalid && need_modrm && d->mod != 3 &&
        ((pfx & PFX_LOCK) || d->op == 0x86 || d->op == 0x87)) {
        d->flags |= DF_ATOMIC;  /* XCHG with memory is locked without the prefix */
    }
    if ((pfx & (PFX_REP | PFX_REPNE)) && d->op < 0x100 && is_string_op(d->op)) {
        d->flags |= DF_END_TB;      /* REP may leave EIP at itself */
    }
    d->len = c.pos;
    if (c.too_long) {
        d->handler = op_too_long;
        d->flags |= DF_END_TB;
        return -1;
    }
    if (invalid) {
        d->handler = op_invalid;
        d->flags |= DF_END_TB;
        return -2;
    }
    d->handler = e->handler;
    return d->len;
}
