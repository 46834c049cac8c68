/*
 * Intel-syntax disassembler over the decoder's DecodedInsn (used by
 * -d in_asm, the monitor and gdb).  Output resembles objdump -M intel.
 */
#ifndef TARGET_X86_DISAS_H
#define TARGET_X86_DISAS_H

#include <stddef.h>

#include "target/x86/decode.h"

/* Format one instruction located at 'eip' (its offset within CS). */
void x86_disas_insn(const DecodedInsn *d, uint64_t eip, char *buf, size_t size);

/* Decode and format the instruction at buf (len bytes available); returns
 * its length, or <= 0 if invalid/truncated ("(bad)" is still printed). */
int x86_disas_buf(const uint8_t *code, size_t len, uint32_t eip, bool code32,
                  char *out, size_t size);
/* Same for 16-, 32- or 64-bit code. */
int x86_disas_buf_mode(const uint8_t *code, size_t len, uint64_t eip, int code_bits,
                       char *out, size_t size);

#endif
