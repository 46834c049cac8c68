; ACPI soft-off test "BIOS": a 64 KiB flat image the machine runs from the
; reset vector in real mode.  It programs the PIIX4 PM function (00:01.3)
; as SeaBIOS does (PMBA 0x600, PMIOSE), checks in the guest that the PM
; timer advances and that ACPI_ENABLE on port 0xb2 sets SCI_EN, reports on
; COM1, then writes SLP_TYP=0 (the DSDT's \_S5) with SLP_EN to PM1_CNT.
; The emulator must then power off (exit status 0), or stop with
; -no-shutdown.  Build: nasm -f bin -o s5.bin s5.asm
bits 16
org 0

PM_BASE     equ 0x600
CFG_ADDR    equ 0xcf8
CFG_DATA    equ 0xcfc
PM_DEVFN    equ (1 << 3) | 3
COM1        equ 0x3f8

start:
    cli
    mov ax, cs
    mov ds, ax
    ; PMBA (config 0x40) = PM_BASE | I/O indicator
    mov eax, 0x80000000 | (PM_DEVFN << 8) | 0x40
    mov dx, CFG_ADDR
    out dx, eax
    mov eax, PM_BASE | 1
    mov dx, CFG_DATA
    out dx, eax
    ; PMREGMISC (config 0x80) bit 0: decode the PM block
    mov eax, 0x80000000 | (PM_DEVFN << 8) | 0x80
    mov dx, CFG_ADDR
    out dx, eax
    mov al, 1
    mov dx, CFG_DATA
    out dx, al

    ; the PM timer must move (24 bits; read it twice with a delay between)
    mov dx, PM_BASE + 8
    in eax, dx
    mov ebx, eax
    mov ecx, 200000
.spin:
    loop .spin
    in eax, dx
    test eax, 0xff000000
    jnz .tmr_bad
    cmp eax, ebx
    je .tmr_bad
    mov si, msg_tmr_ok
    call puts
    jmp .acpi
.tmr_bad:
    mov si, msg_tmr_bad
    call puts

.acpi:
    ; ACPI mode as an OS enters it: FADT SMI_CMD 0xb2 <- ACPI_ENABLE 0xf1
    mov al, 0xf1
    out 0xb2, al
    mov dx, PM_BASE + 4
    in ax, dx
    test ax, 1
    jz .sci_bad
    mov si, msg_sci_ok
    call puts
    jmp .off
.sci_bad:
    mov si, msg_sci_bad
    call puts

.off:
    mov si, msg_s5
    call puts
    ; PM1_CNT: SCI_EN | SLP_TYP 0 | SLP_EN
    mov dx, PM_BASE + 4
    mov ax, 0x2001
    out dx, ax
.halt:
    hlt
    jmp .halt

; print the NUL-terminated string at ds:si on COM1
puts:
    mov dx, COM1
.next:
    lodsb
    test al, al
    jz .done
    out dx, al
    jmp .next
.done:
    ret

msg_tmr_ok:  db "pm timer: advancing", 13, 10, 0
msg_tmr_bad: db "pm timer: STUCK OR WIDER THAN 24 BITS", 13, 10, 0
msg_sci_ok:  db "acpi enable: SCI_EN set", 13, 10, 0
msg_sci_bad: db "acpi enable: SCI_EN NOT SET", 13, 10, 0
msg_s5:      db "entering S5", 13, 10, 0

    times 0xfff0 - ($ - $$) db 0xff
reset:
    jmp 0xf000:start
    times 0x10000 - ($ - $$) db 0xff
