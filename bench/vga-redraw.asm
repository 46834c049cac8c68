; Guest for bench/display.sh: redraws the whole 1024x768x32 Bochs VBE
; framebuffer, frame after frame, as fast as the CPU lets it.
;   nasm -f bin -o vga-redraw.bin bench/vga-redraw.asm; booted with -kernel
; (multiboot, a.out kludge).  SeaBIOS has assigned the PCI BARs by then; the
; framebuffer is BAR0 of the standard VGA (1234:1111), found by scanning
; bus 0 through ports 0xcf8/0xcfc.  The mode is set through the DISPI
; registers (index 0x1ce, data 0x1cf).  Every 16 frames it writes one line
; "frames N" to COM1, so the host can count the guest's frame rate.  With no
; standard VGA it prints "no VGA" and halts.
bits 32
org 0x100000
MB_MAGIC equ 0x1badb002
MB_FLAGS equ (1 << 1) | (1 << 16)
COM1 equ 0x3f8
WIDTH equ 1024
HEIGHT equ 768

_start:
    jmp start
align 4
mbhdr:
    dd MB_MAGIC
    dd MB_FLAGS
    dd -(MB_MAGIC + MB_FLAGS)
    dd mbhdr                    ; header_addr
    dd _start                   ; load_addr
    dd data_end                 ; load_end_addr
    dd bss_end                  ; bss_end_addr
    dd start                    ; entry_addr

start:
    mov esp, stack_top
    call vbe_start
    xor ebp, ebp                ; frame counter
.frame:
    ; a colour that changes every frame in all three channels
    mov eax, ebp
    imul eax, 0x00030507
    and eax, 0x00ffffff
    mov edi, [lfb]
    mov ecx, WIDTH * HEIGHT
    cld
    rep stosd
    inc ebp
    test ebp, 15
    jnz .frame
    mov esi, s_frames
    call puts
    mov eax, ebp
    call putdec
    mov al, 10
    call putc
    jmp .frame

%include "vbe-guest.inc"
s_frames: db "frames ", 0
data_end:
absolute data_end
lfb: resd 1
alignb 16
stack: resb 4096
stack_top:
bss_end:
