; x87.asm - x87 exception delivery (SDM vol.1 8.7, vol.3 2.5 CR0 and 6.15):
; #NM from CR0.EM/CR0.TS (ESC vs WAIT with MP), masked responses (no
; exception, flag set, default result), unmasked exceptions pending until
; the next waiting x87 instruction (#MF with CR0.NE=1, saved EIP = that
; instruction), non-waiting FNSTSW/FNCLEX/FNINIT, and with CR0.NE=0 the
; FERR# -> IRQ 13 path of the PC (seen in the slave 8259's IRR).
%include "lib.inc"
kernel_name: db "x87 (#NM, #MF, masked vs unmasked, FERR#/IRQ13)", 0

CR0_MP equ 2
CR0_EM equ 4
CR0_TS equ 8
CR0_NE equ 0x20

%macro SETCR0 2                 ; set bits, clear bits
        mov eax, cr0
        or eax, %1
        and eax, ~(%2)
        mov cr0, eax
%endmacro

; slave 8259 IRR bit 5 = IRQ 13 (OCW3 "read IRR")
read_irq13:
        mov al, 0x0a
        out 0xa0, al
        in al, 0xa0
        shr eax, 5
        and eax, 1
        ret

main:
        mov eax, 1
        cpuid
        and edx, 1
        CHECK edx, 1, "CPUID.1:EDX.FPU"

        SETCR0 CR0_MP | CR0_NE, CR0_EM | CR0_TS
        fninit
        ; masked zero divide: +inf, ZE set, no exception
        EXPECT .bad1
        fld1
        fldz
        fdivp st1, st0                  ; ST(1) = 1/0
        fnstsw ax
        movzx eax, ax
        and eax, 0x3f
        CHECK eax, 4, "masked 1/0: ZE set, no #MF"
        fld dword [inf32]
        fucomip st0, st1
        setz al
        movzx eax, al
        CHECK eax, 1, "masked 1/0 gives +inf"
        fwait
        CHECK dword [exc_vec], -1, "FWAIT after a masked exception: nothing"
.bad1:
        ; unmasked zero divide: pending, ST unchanged, #MF at the next waiting insn
        fninit
        fldcw [cw_zm_off]
        fld1
        fldz
        fdivp st1, st0                  ; unmasked: no store, no pop
        fnstsw ax                       ; non-waiting: no #MF
        movzx eax, ax
        and eax, 0x80bf
        CHECK eax, 0x8084, "unmasked 1/0: ZE, ES and B set, no fault yet"
        EXPECT .r2
.i2:    fwait
.r2:    CHECK dword [exc_vec], 16, "FWAIT with a pending unmasked exception: #MF"
        CHECK dword [exc_eip], .i2, "#MF saved EIP = the waiting instruction"
        EXPECT .r3
.i3:    fld1
.r3:    CHECK_TODO dword [exc_vec], 16, "FLD with a pending unmasked exception: #MF", "QEMU checks only at FWAIT"
        CHECK_TODO dword [exc_eip], .i3, "#MF saved EIP = the FLD", "QEMU checks only at FWAIT"
        fnstsw ax                       ; the FDIVP left TOP at 6 (two pushes)
        shr eax, 11
        and eax, 7
        CHECK eax, 6, "unmasked 1/0 did not pop"
        fnclex
        EXPECT .bad4
        fwait
        fld1
        CHECK dword [exc_vec], -1, "after FNCLEX: no #MF"
.bad4:
        ; unmasked invalid (sqrt(-1)): destination unchanged
        fninit
        fldcw [cw_im_off]
        fld dword [minus1]
        fsqrt
        fnstsw ax
        movzx eax, ax
        and eax, 0x80bf
        CHECK eax, 0x8081, "unmasked sqrt(-1): IE, ES, B"
        fnclex
        fst dword [SCRATCH]
        CHECK_TODO dword [SCRATCH], 0xbf800000, "unmasked IE leaves ST(0) = -1", "QEMU stores the masked result"
        fninit

        ; #NM: ESC with EM or TS; WAIT only with MP and TS (SDM table 2-2)
        SETCR0 CR0_TS, 0
        EXPECT .r5
.i5:    fld1
.r5:    CHECK dword [exc_vec], 7, "CR0.TS: x87 instruction raises #NM"
        CHECK dword [exc_eip], .i5, "#NM saved EIP = the instruction"
        EXPECT .r6
        fwait
.r6:    CHECK dword [exc_vec], 7, "CR0.TS+MP: WAIT raises #NM"
        SETCR0 0, CR0_MP
        EXPECT .r7
        fwait
        nop
.r7:    CHECK dword [exc_vec], -1, "CR0.TS without MP: WAIT runs"
        clts
        SETCR0 CR0_EM, 0
        EXPECT .r8
        fnstsw ax
.r8:    CHECK dword [exc_vec], 7, "CR0.EM: FNSTSW raises #NM"
        EXPECT .r9
        fwait
        nop
.r9:    CHECK dword [exc_vec], -1, "CR0.EM without MP/TS: WAIT runs"
        SETCR0 CR0_MP, CR0_EM

        ; CR0.NE=0: FERR# -> IRQ 13 (latched in the slave 8259's IRR), no #MF
        call read_irq13
        CHECK eax, 0, "IRQ 13 idle"
        SETCR0 0, CR0_NE
        fninit
        fldcw [cw_zm_off]
        fld1
        fldz
        EXPECT .r10
        fdivp st1, st0
        fwait                           ; FERR# is asserted by now on any CPU model
        fld1
.r10:   CHECK dword [exc_vec], -1, "CR0.NE=0: no #MF"
        call read_irq13
        CHECK eax, 1, "CR0.NE=0: unmasked exception raises IRQ 13 (FERR#)"
        out 0xf0, al                    ; IGNNE#: drop the FERR# latch (the
                                        ; edge stays in the 8259's IRR until acked)
        fninit
        SETCR0 CR0_NE, 0
        ret

inf32:      dd 0x7f800000
minus1:     dd 0xbf800000
cw_zm_off:  dw 0x037b
cw_im_off:  dw 0x037e

%include "lib_tail.inc"
