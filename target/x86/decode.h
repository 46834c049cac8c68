/*
 * x86 instruction decoder (16/32-bit modes).
 *
 * One table for one-byte opcodes, one for 0F xx, and group tables indexed
 * by ModRM.reg.  Each table entry carries the mnemonic and an operand
 * template ("Ev,Gv") in SDM opcode-map notation; the template decides
 * whether a ModRM byte and which immediates follow, and drives the
 * disassembler, so decoding and disassembly cannot disagree.
 */
#ifndef TARGET_X86_DECODE_H
#define TARGET_X86_DECODE_H

#include "target/x86/cpu.h"

struct DecodedInsn;
typedef void (*InsnHandler)(CPUX86State *env, const struct DecodedInsn *d);

/* prefix bits */
#define PFX_REP     0x01    /* F3 */
#define PFX_REPNE   0x02    /* F2 */
#define PFX_LOCK    0x04
#define PFX_OPSIZE  0x08
#define PFX_ADSIZE  0x10
#define PFX_SEG     0x20    /* explicit segment override present */

/* insn flags */
#define DF_END_TB   0x01    /* ends the translation block */
#define DF_MEM      0x02    /* ModRM addresses memory (mod != 3) */
#define DF_LOCKOK   0x04    /* LOCK is legal with a memory destination */
#define DF_ATOMIC   0x08    /* a locked read-modify-write (LOCK prefix, XCHG with memory) */
#define DF_SIDE_EXIT 0x10   /* a Jcc inside a block (exec.c tb_gen): taken, it leaves the block */
#define DF_SIDE_TAKEN 0x20  /* ... with DF_SIDE_EXIT: the block goes on at its target, and
                             * not taken it leaves (a loop's way back, tb_gen) */

#define EA_NOREG 0xff
#define EA_RIP   0xfe   /* base: RIP-relative (64-bit mode, mod=00 rm=101) */

typedef struct DecodedInsn {
    InsnHandler handler;
    uint16_t op;          /* 0x000-0x0ff one-byte, 0x100-0x1ff 0F xx, 0x200 0F 38 xx, 0x300 0F 3A xx */
    uint8_t len;
    uint8_t prefixes;
    uint8_t ot;           /* operand size: 0 byte, 1 word, 2 dword, 3 qword */
    uint8_t opsize;       /* 1 = 16-bit, 2 = 32-bit, 3 = 64-bit (for v-sized things) */
    uint8_t adsize;       /* 1 = 16-bit, 2 = 32-bit, 3 = 64-bit addressing */
    uint8_t rex;          /* REX prefix byte (0x40-0x4f) in 64-bit mode, else 0 */
    uint8_t seg;          /* segment for the memory operand (override applied) */
    uint8_t modrm, mod, reg, rm;  /* reg/rm include REX.R/REX.B (0..15) */
    uint8_t base, index, scale;   /* EA: EA_NOREG when absent; REX.B/X included */
    uint8_t flags;
    uint8_t aux;          /* sub-operation (ALU op, group reg, cond code) */
    int64_t disp;         /* displacement (sign-extended), or moffs */
    uint64_t imm;         /* first immediate (sign-extended where the SDM says) */
    uint32_t imm2;        /* ENTER level / far pointer selector */
    const struct OpEntry *entry;
} DecodedInsn;

typedef struct OpEntry {
    const char *mnem;     /* NULL: invalid; "*grp": see group table */
    const char *opnd;     /* operand template */
    InsnHandler handler;
    uint8_t flags;        /* DF_END_TB, DF_LOCKOK, plus OPF_* below */
    const struct OpEntry *grp;  /* OPF_GROUP: 8 entries indexed by ModRM.reg */
} OpEntry;
#define OPF_BYTE  0x10    /* operand size is 8 bits */
#define OPF_GROUP 0x20    /* resolve through group table by ModRM.reg */
#define OPF_D64   0x40    /* 64-bit mode: operand size defaults to 64 (66h gives 16) */
#define OPF_NOMEM 0x80    /* only the register form is valid (mod == 3) */

/*
 * Decode one instruction at linear address 'la' (CS base + eip).
 * fetch(opaque, la) returns a byte.  code32: CS.D.  Returns the length, or
 * a negative value: -1 longer than 15 bytes (#GP), -2 invalid opcode (the
 * decoded insn then has the #UD handler and its length covers what was read).
 */
typedef uint8_t (*DecodeFetch)(void *opaque, uint64_t la);
int x86_decode(DecodedInsn *d, uint64_t la, bool code32, DecodeFetch fetch, void *opaque);
/* Same, for a code size of 16, 32 or 64 bits (64: long mode, CS.L=1). */
int x86_decode_mode(DecodedInsn *d, uint64_t la, int code_bits, DecodeFetch fetch, void *opaque);
/* REX bits */
#define REX_B 1
#define REX_X 2
#define REX_R 4
#define REX_W 8

/* Opcode tables (decode.c), for the disassembler and tests. */
extern const OpEntry x86_optab1[256];
extern const OpEntry x86_optab2[256];
extern const OpEntry x86_optab38[256];
extern const OpEntry x86_optab3a[256];

/* Handler for invalid opcodes (#UD, logged under -d unimp). */
void op_invalid(CPUX86State *env, const DecodedInsn *d);

#endif
