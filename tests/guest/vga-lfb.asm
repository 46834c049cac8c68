; Guest of tests/guest/vga-lfb.sh: draws on the 1024x768x32 Bochs VBE
; framebuffer in steps the host paces over COM1, so the host can check
; that each screendump is exactly what was written (VRAM dirty logging:
; only the lines holding written pages are rendered again).
;   nasm -f bin; booted with -kernel (multiboot, a.out kludge).
; Sets the mode, fills the screen with BG, prints "ready"; then for
; k = 1..STEPS: waits for a byte on COM1, fills the rectangle of step k
; (position and colour from k as below) and prints "step k".  Odd steps
; store rows with rep stosd, even steps one dword at a time with mov.
; One more byte scrolls the whole screen up by SCROLL rows ("scrolled").
bits 32
org 0x100000
MB_MAGIC equ 0x1badb002
MB_FLAGS equ (1 << 1) | (1 << 16)
COM1 equ 0x3f8
WIDTH equ 1024
HEIGHT equ 768
BG equ 0x00204060
RW equ 64                       ; rectangle width and height
RH equ 48
STEPS equ 12
SCROLL equ 64                   ; rows the last step scrolls by

_start:
    jmp start
align 4
mbhdr:
    dd MB_MAGIC
    dd MB_FLAGS
    dd -(MB_MAGIC + MB_FLAGS)
    dd mbhdr
    dd _start
    dd data_end
    dd bss_end
    dd start

start:
    mov esp, stack_top
    call vbe_start
    mov edi, [lfb]
    mov ecx, WIDTH * HEIGHT
    mov eax, BG
    cld
    rep stosd
    mov esi, s_ready
    call puts
    mov ebp, 1                  ; step k
.step:
    call getc
    ; x = (k * 149) mod (WIDTH - RW), y = (k * 97) mod (HEIGHT - RH)
    mov eax, ebp
    imul eax, 149
    xor edx, edx
    mov ecx, WIDTH - RW
    div ecx
    mov [rx], edx
    mov eax, ebp
    imul eax, 97
    xor edx, edx
    mov ecx, HEIGHT - RH
    div ecx
    mov [ry], edx
    ; colour = (k * 0x00102030) xor 0x00a05010, 24 bits
    mov eax, ebp
    imul eax, 0x00102030
    xor eax, 0x00a05010
    and eax, 0x00ffffff
    mov [rc], eax
    mov ebx, [ry]               ; row
    mov esi, RH
.row:
    mov edi, ebx
    imul edi, WIDTH * 4
    add edi, [lfb]
    mov eax, [rx]
    lea edi, [edi + eax * 4]
    mov eax, [rc]
    mov ecx, RW
    test ebp, 1
    jz .movs
    rep stosd
    jmp .next
.movs:
    mov [edi], eax
    add edi, 4
    dec ecx
    jnz .movs
.next:
    inc ebx
    dec esi
    jnz .row
    mov esi, s_step
    call puts
    mov eax, ebp
    call putdec
    mov al, 10
    call putc
    inc ebp
    cmp ebp, STEPS
    jbe .step
    ; then, on one more byte, the screen scrolls up by SCROLL rows (rep
    ; movsd within the framebuffer) and the rows that come free are BG
    call getc
    mov esi, [lfb]
    add esi, SCROLL * WIDTH * 4
    mov edi, [lfb]
    mov ecx, (HEIGHT - SCROLL) * WIDTH
    cld
    rep movsd
    mov ecx, SCROLL * WIDTH
    mov eax, BG
    rep stosd
    mov esi, s_scrolled
    call puts
    jmp vbe_halt

getc:
    mov dx, COM1 + 5
.wait:
    in al, dx
    test al, 1
    jz .wait
    mov dx, COM1
    in al, dx
    ret

%include "vbe-guest.inc"
s_ready: db "ready", 10, 0
s_step: db "step ", 0
s_scrolled: db "scrolled", 10, 0
data_end:
absolute data_end
lfb: resd 1
rx: resd 1
ry: resd 1
rc: resd 1
alignb 16
stack: resb 4096
stack_top:
bss_end:
