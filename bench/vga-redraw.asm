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
    ; find 1234:1111 on bus 0
    xor ebx, ebx                ; device number
.scan:
    mov eax, ebx
    shl eax, 11
    or eax, 0x80000000
    mov dx, 0xcf8
    out dx, eax
    mov dx, 0xcfc
    in eax, dx
    cmp eax, 0x11111234
    je .found
    inc ebx
    cmp ebx, 32
    jb .scan
    mov esi, s_novga
    call puts
.halt:
    hlt
    jmp .halt
.found:
    mov eax, ebx
    shl eax, 11
    or eax, 0x80000010          ; BAR0
    mov dx, 0xcf8
    out dx, eax
    mov dx, 0xcfc
    in eax, dx
    and eax, 0xfffffff0
    mov [lfb], eax
    ; DISPI: disable, set 1024x768x32, enable with the linear framebuffer
    mov ax, 4
    mov bx, 0
    call dispi
    mov ax, 1
    mov bx, WIDTH
    call dispi
    mov ax, 2
    mov bx, HEIGHT
    call dispi
    mov ax, 3
    mov bx, 32
    call dispi
    mov ax, 4
    mov bx, 0x41
    call dispi
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

; DISPI register ax := bx
dispi:
    mov dx, 0x1ce
    out dx, ax
    mov dx, 0x1cf
    mov ax, bx
    out dx, ax
    ret

putc:
    push edx
    push eax
    mov dx, COM1 + 5
.wait:
    in al, dx
    test al, 0x20
    jz .wait
    pop eax
    mov dx, COM1
    out dx, al
    pop edx
    ret

puts:
    lodsb
    test al, al
    jz .done
    call putc
    jmp puts
.done:
    ret

; eax in decimal
putdec:
    mov ecx, 10
    xor ebx, ebx
.div:
    xor edx, edx
    div ecx
    push edx
    inc ebx
    test eax, eax
    jnz .div
.out:
    pop eax
    add al, '0'
    call putc
    dec ebx
    jnz .out
    ret

s_novga: db "no VGA", 10, 0
s_frames: db "frames ", 0
data_end:
absolute data_end
lfb: resd 1
alignb 16
stack: resb 4096
stack_top:
bss_end:
