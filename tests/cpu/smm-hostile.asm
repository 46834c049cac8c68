; smm-hostile.asm - a guest's SMI handler that leaves a bad state in SMRAM.
; RSM checks what it reloads and enters shutdown on an invalid state (SDM
; vol.3 34.3.2: CR0.PG without PE, CR0.NW without CD, reserved CR4 bits;
; long mode without CR4.PAE; and a save area full of 0xff): the machine
; resets, the kernel runs again (its state and the TAP counters live in
; RAM outside the image) and checks that nothing ran after the SMI and that
; the reset brought SMBASE back to 0x30000.  A valid state patched by the
; handler returns normally.  SMBASE just below 4 GiB: the handler and the
; save area wrap to low memory, as the handler's own code addresses do
; (Vireo's choice, the SDM leaves it open).  Both parts run on Vireo only
; (CPUID brand string): QEMU TCG loads any state, and its guest then runs
; off into the weeds, so VIREO=qemu-system-x86_64 only gets the first check.
; RUN-ARGS: -cpu qemu64
%define HAVE_REBOOT
%include "lib.inc"
%include "smm-common.inc"

kernel_name: db "smm-hostile (RSM with invalid save states shuts down; SMBASE wrap)", 0

SMBASE0     equ 0x30000
SMBASE1     equ 0xa0000
SMBASE_WRAP equ 0xffffc000      ; handler at 0x4000, save area 0xbe00-0xbfff
ECX_MAGIC   equ 0x5a5a1234

; kept in RAM across the resets this kernel causes
ST          equ 0x21800
ST_MAGIC    equ ST + 0
ST_CASE     equ ST + 4          ; the case whose RSM must shut down, or 0
ST_TESTNUM  equ ST + 8
ST_FAILS    equ ST + 12
ST_AFTER    equ ST + 16         ; set by code after the SMI: it returned
ST_MAGIC_V  equ 0x74736f48      ; "Host"

; the handler's mailbox
MB          equ 0x21000
MB_BASE     equ MB + 0          ; the SMBASE it runs at
MB_MODE     equ MB + 4          ; what it does to the save state
MB_NEWBASE  equ MB + 8          ; relocate to this (0: keep)
MB_RUNS     equ MB + 12
H_CS        equ MB + 16

M_NONE      equ 0
M_PG_NO_PE  equ 1
M_NW_NO_CD  equ 2
M_CR4_RSVD  equ 3
M_LM_NO_PAE equ 4
M_ALL_ONES  equ 5
NCASES      equ 5

; smi MODE: an SMI through port 0xb2 with the handler doing MODE; returns
; (ECX = the patched value) unless the CPU shuts down
%macro SMI 1
        mov dword [MB_MODE], %1
        xor ecx, ecx
        mov al, 0x42
        out APMC, al
%%w:    jecxz %%w
%endmacro

main:
        ; every boot: the chipset and SMBASE are at their reset values
        mov dword [MB_RUNS], 0
        mov dword [MB_NEWBASE], 0
        call apmc_enable
        SMRAM 0x4a
        mov edi, SMBASE0 + 0x8000
        call copy_handler
        mov edi, SMBASE1 + 0x8000
        call copy_handler
        mov edi, (SMBASE_WRAP + 0x8000) & 0xffffffff
        call copy_handler
        SMRAM 0x0a
        cmp dword [ST_MAGIC], ST_MAGIC_V
        je resumed
        mov dword [ST_MAGIC], ST_MAGIC_V
        mov dword [ST_CASE], 0

        ; a valid state the handler patched: RSM returns
        mov dword [MB_BASE], SMBASE0
        SMI M_NONE
        CHECK ecx, ECX_MAGIC, "RSM of a valid (patched) state returns"
        mov eax, 0x80000002
        cpuid
        cmp eax, 0x65726956             ; "Vire": the brand string of Vireo's models
        je .vireo
        SKIP "SMBASE near 4 GiB wraps to low memory", "Vireo's choice"
        SKIP "RSM of invalid save states shuts down", "qemu-tcg loads any state"
        ret
.vireo: call wrap_test
        jmp next_case

resumed:
        mov eax, [ST_TESTNUM]
        mov [test_num], eax
        mov eax, [ST_FAILS]
        mov [fail_count], eax
        mov ecx, [ST_CASE]
        test ecx, ecx
        jnz .expected
        CHECK 1, 0, "no reset outside the shutdown cases"
        ret
.expected:
        CHECK [ST_AFTER], 0, "nothing ran after the SMI whose RSM shut down"
        mov eax, [ST_CASE]
        cmp eax, M_PG_NO_PE
        jne .c2
        CHECK 1, 1, "RSM with CR0.PG set and CR0.PE clear: shutdown"
.c2:    cmp eax, M_NW_NO_CD
        jne .c3
        CHECK 1, 1, "RSM with CR0.NW set and CR0.CD clear: shutdown"
.c3:    cmp eax, M_CR4_RSVD
        jne .c4
        CHECK 1, 1, "RSM with a reserved CR4 bit: shutdown"
.c4:    cmp eax, M_LM_NO_PAE
        jne .c5
        CHECK 1, 1, "RSM to long mode (EFER.LME, CR0.PG) without CR4.PAE: shutdown"
.c5:    cmp eax, M_ALL_ONES
        jne .chk
        CHECK 1, 1, "RSM with a save area full of 0xff: shutdown"
.chk:   ; the reset brought SMBASE back to its default
        mov dword [MB_BASE], SMBASE0
        SMI M_NONE
        CHECK [H_CS], SMBASE0 >> 4, "after the reset the SMI handler runs at SMBASE 0x30000 again"

next_case:
        mov eax, [ST_CASE]
        inc eax
        cmp eax, NCASES
        ja .done
        mov [ST_CASE], eax
        ; relocate to SMRAM first, so that the reset has something to undo
        mov dword [MB_BASE], SMBASE0
        mov dword [MB_NEWBASE], SMBASE1
        SMI M_NONE
        mov dword [MB_NEWBASE], 0
        mov dword [MB_BASE], SMBASE1
        mov eax, [test_num]
        mov [ST_TESTNUM], eax
        mov eax, [fail_count]
        mov [ST_FAILS], eax
        mov dword [ST_AFTER], 0
        mov eax, [ST_CASE]
        SMI eax
        ; still here: that RSM did not shut down
        mov dword [ST_AFTER], 1
        CHECK 0, 1, "RSM of an invalid state shuts the CPU down"
        jmp next_case
.done:  mov dword [ST_CASE], 0
        ret

; SMBASE near 4 GiB: Vireo wraps SMRAM addresses at 4 GiB as it wraps the
; handler's code addresses (CS base SMBASE + EIP)
wrap_test:
        mov dword [MB_BASE], SMBASE0
        mov dword [MB_NEWBASE], SMBASE_WRAP
        SMI M_NONE
        mov dword [MB_BASE], SMBASE_WRAP
        mov dword [MB_NEWBASE], SMBASE0
        SMI M_NONE
        CHECK [H_CS], (SMBASE_WRAP >> 4) & 0xffff, "SMBASE 0xffffc000: the handler runs at 0x4000 (wrapped)"
        CHECK ecx, ECX_MAGIC, "SMBASE 0xffffc000: RSM from the save area at 0xbe00"
        mov dword [MB_BASE], SMBASE0
        mov dword [MB_NEWBASE], 0
        SMI M_NONE
        CHECK [H_CS], SMBASE0 >> 4, "relocated back from 0xffffc000 to 0x30000"
        ret

; ---- the SMI handler (AMD64 map).  Real-address mode, DS base 0.
        bits 16
smi_handler:
        mov esp, 0x7000
        mov ax, cs
        movzx eax, ax
        mov [dword H_CS], eax
        mov ebx, [dword MB_BASE]
        add ebx, 0x8000                 ; wraps like the CPU's addresses
        mov dword [ebx + 0x7ff0], ECX_MAGIC
        mov eax, [dword MB_NEWBASE]
        test eax, eax
        jz .keep
        mov [ebx + 0x7f00], eax
.keep:  mov eax, [dword MB_MODE]
        cmp eax, M_PG_NO_PE
        jne .m2
        or dword [ebx + 0x7f58], 0x80000000
        and dword [ebx + 0x7f58], ~1
.m2:    cmp eax, M_NW_NO_CD
        jne .m3
        or dword [ebx + 0x7f58], 0x20000000
        and dword [ebx + 0x7f58], ~0x40000000
.m3:    cmp eax, M_CR4_RSVD
        jne .m4
        or dword [ebx + 0x7f48], 1 << 15
.m4:    cmp eax, M_LM_NO_PAE
        jne .m5
        or dword [ebx + 0x7ed0], 0x100                 ; EFER.LME
        or dword [ebx + 0x7f58], 0x80000001            ; CR0.PG, PE
        and dword [ebx + 0x7f48], ~0x20                ; CR4.PAE
.m5:    cmp eax, M_ALL_ONES
        jne .done
        lea edi, [ebx + 0x7e00]
        mov ecx, 0x200 / 4
        mov eax, 0xffffffff
        a32 rep stosd
.done:  inc dword [dword MB_RUNS]
        rsm
smi_handler_end:
        bits 32

%include "lib_tail.inc"
