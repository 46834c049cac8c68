; smm32.asm - System Management Mode on a CPU without long mode (the 32-bit
; save-state map): see smm.inc.
; RUN-ARGS: -cpu qemu32
%define SMM32
%include "smm.inc"
