; smm.asm - System Management Mode on a 64-bit CPU (AMD64 save-state map),
; from 32-bit protected mode and from 64-bit mode: see smm.inc.
; RUN-ARGS: -cpu qemu64
%include "smm.inc"
