; linuxboot.bin: Vireo's option ROM for -kernel (Linux bzImage and multiboot v1).
;
; The machine (hw/i386/x86-load.c) parses the kernel on the host, patches the
; Linux setup header or builds the multiboot info, and publishes the pieces
; as fw_cfg items.  SeaBIOS runs this ROM from fw_cfg file
; 'genroms/linuxboot.bin'; its PnP header has a boot entry vector (BEV) that
; the 'bootorder' file puts first.  The BEV copies the pieces to where the
; host placed them with the fw_cfg DMA interface and starts the kernel:
;   FW_CFG_SETUP_SIZE != 0  Linux: real-mode entry at setup segment + 0x20:0
;   FW_CFG_SETUP_SIZE == 0  multiboot: E820 map into the info block, then
;                           32-bit flat protected mode at FW_CFG_KERNEL_ENTRY
; The build (firmware/firmware.mk) pads the image to 512 bytes and fixes the
; checksum byte (scripts/romsum.py).

bits 16
org 0

FW_CTL      equ 0x510
FW_DATA     equ 0x511
FW_DMA_HI   equ 0x514
FW_DMA_LO   equ 0x518

K_ID            equ 0x01
K_KERNEL_ADDR   equ 0x07
K_KERNEL_SIZE   equ 0x08
K_INITRD_ADDR   equ 0x0a
K_INITRD_SIZE   equ 0x0b
K_KERNEL_ENTRY  equ 0x10
K_KERNEL_DATA   equ 0x11
K_INITRD_DATA   equ 0x12
K_CMDLINE_ADDR  equ 0x13
K_CMDLINE_SIZE  equ 0x14
K_CMDLINE_DATA  equ 0x15
K_SETUP_ADDR    equ 0x16
K_SETUP_SIZE    equ 0x17
K_SETUP_DATA    equ 0x18

; Scratch in conventional memory below the boot sector area (0x500-0x7bff is
; free at boot time; the ROM itself is write-protected after POST).
SCRATCH     equ 0x0600          ; DMA descriptor (16 bytes), GDT, far pointer
DESC        equ SCRATCH
GDT         equ SCRATCH + 0x20
GDTR        equ SCRATCH + 0x40
FARPTR      equ SCRATCH + 0x48
MB_MAGIC    equ 0x2badb002
MMAP_MAX    equ 32              ; entries the host reserved (x86-load.c)

rom_start:
    dw 0xaa55
    db 0                        ; size in 512-byte blocks (fixed by romsum.py)
    jmp short init
    times 0x18 - ($ - $$) db 0
    dw 0                        ; no PCI data structure
    dw pnp                      ; PnP header offset

align 16
pnp:
    db '$PnP'
    db 1                        ; revision
    db 2                        ; length in 16-byte units
    dw 0                        ; no next header
    db 0
    db 0                        ; checksum (SeaBIOS does not check it)
    dd 0                        ; device id
    dw 0                        ; manufacturer string
    dw product                  ; product name string
    db 0, 0, 0                  ; device type code
    db 0x20                     ; device indicators: IPL device
    dw 0                        ; BCV
    dw 0                        ; DV
    dw bev                      ; BEV
    dw 0
    dw 0

product: db 'Vireo Linux/multiboot loader', 0

init:
    retf

; ---- fw_cfg helpers (DS = 0) ----

; eax <- 32-bit item AX (little-endian, through the data port); clobbers bx cx dx
read_i32:
    mov dx, FW_CTL
    out dx, ax
    mov dx, FW_DATA
    in al, dx
    mov cl, al
    in al, dx
    mov ch, al
    in al, dx
    mov bl, al
    in al, dx
    mov bh, al
    mov ax, bx
    shl eax, 16
    mov ax, cx
    ret

; DMA-read item AX (from offset 0) into physical EDI, ECX bytes.  CF on error.
dma_read:
    jecxz .done
    movzx eax, ax
    shl eax, 16
    or eax, 0x0a                ; SELECT | READ
    bswap eax
    mov [DESC], eax
    bswap ecx
    mov [DESC + 4], ecx
    mov dword [DESC + 8], 0
    bswap edi
    mov [DESC + 12], edi
    xor eax, eax
    mov dx, FW_DMA_HI
    out dx, eax
    mov eax, DESC
    bswap eax
    mov dx, FW_DMA_LO
    out dx, eax                 ; starts the transfer
.wait:
    mov eax, [DESC]
    bswap eax
    test eax, 1
    jnz .err
    test eax, eax
    jnz .wait
.done:
    clc
    ret
.err:
    stc
    ret

; Copy the piece whose ADDR/SIZE/DATA keys are in SI/DI/BP.
copy_piece:
    mov ax, si
    call read_i32
    push eax
    mov ax, di
    call read_i32
    mov ecx, eax
    pop edi
    mov ax, bp
    jmp dma_read

bev:
    cli
    cld
    xor ax, ax
    mov ds, ax
    mov es, ax
    ; Without DMA, give the boot back to SeaBIOS (returns to the next entry).
    mov ax, K_ID
    call read_i32
    test al, 2
    jz .fail

    mov si, K_KERNEL_ADDR
    mov di, K_KERNEL_SIZE
    mov bp, K_KERNEL_DATA
    call copy_piece
    jc .fail
    mov si, K_INITRD_ADDR
    mov di, K_INITRD_SIZE
    mov bp, K_INITRD_DATA
    call copy_piece
    jc .fail
    mov si, K_CMDLINE_ADDR
    mov di, K_CMDLINE_SIZE
    mov bp, K_CMDLINE_DATA
    call copy_piece
    jc .fail
    mov ax, K_SETUP_SIZE
    call read_i32
    test eax, eax
    jz multiboot
    mov si, K_SETUP_ADDR
    mov di, K_SETUP_SIZE
    mov bp, K_SETUP_DATA
    call copy_piece
    jc .fail

    ; Linux: the real-mode part runs with every segment at the setup base,
    ; SP at the heap end (= command line offset, which the host put right
    ; after heap_end_ptr + 0x200).
    mov ax, K_CMDLINE_ADDR
    call read_i32
    mov esi, eax
    mov ax, K_SETUP_ADDR
    call read_i32               ; (clobbers bx, cx, dx)
    mov edx, esi
    sub edx, eax                ; cmdline - setup: the stack top
    shr eax, 4
    mov bx, ax
    mov ds, bx
    mov es, bx
    mov fs, bx
    mov gs, bx
    mov ss, bx
    mov sp, dx
    add bx, 0x20
    push bx
    push word 0
    retf

.fail:
    sti
    retf

; ---- multiboot ----
; The info block is at CMDLINE_ADDR (below 64 KiB): fill its mmap from E820.
multiboot:
    mov ax, K_CMDLINE_ADDR
    call read_i32
    mov esi, eax                ; info block
    mov edi, [si + 48]          ; mmap_addr
    xor ebx, ebx
    xor bp, bp                  ; bytes used
.e820:
    cmp bp, MMAP_MAX * 24
    jae .e820_done
    mov dword [di], 20          ; entry size field
    push di
    add di, 4
    mov eax, 0xe820
    mov ecx, 20
    mov edx, 0x534d4150         ; 'SMAP'
    push si
    push bp
    int 0x15
    pop bp
    pop si
    pop di
    jc .e820_done
    cmp eax, 0x534d4150
    jne .e820_done
    add di, 24
    add bp, 24
    test ebx, ebx
    jnz .e820
.e820_done:
    movzx eax, bp
    mov [si + 44], eax          ; mmap_length
    test bp, bp
    jz .no_mmap
    or dword [si], 1 << 6       ; flags: mmap valid
    ; mem_lower/mem_upper from the map as well: the spec (3.3) makes them
    ; the RAM at 0 and at 1 MiB up to the first hole, so they must not
    ; cover what SeaBIOS reserved (EBDA below 640K, ACPI tables at the top)
    mov di, [si + 48]           ; mmap_addr (below 64 KiB)
    mov cx, bp
.mem:
    cmp dword [di + 20], 1      ; E820 RAM
    jne .mem_next
    cmp dword [di + 8], 0       ; base above 4 GiB
    jne .mem_next
    mov eax, [di + 12]          ; length, KiB (saturated at 4 GiB)
    cmp dword [di + 16], 0
    je .mem_len
    mov eax, 0xffffffff
.mem_len:
    shr eax, 10
    cmp dword [di + 4], 0
    jne .mem_upper
    mov [si + 4], eax           ; mem_lower
    jmp .mem_next
.mem_upper:
    cmp dword [di + 4], 0x100000
    jne .mem_next
    mov [si + 8], eax           ; mem_upper
.mem_next:
    add di, 24
    sub cx, 24
    ja .mem
.no_mmap:
    cli

    ; A20 through port 0x92 (fast gate).
    in al, 0x92
    or al, 2
    and al, 0xfe
    out 0x92, al

    ; GDT: null, 0x08 flat code, 0x10 flat data.
    mov dword [GDT], 0
    mov dword [GDT + 4], 0
    mov dword [GDT + 8], 0x0000ffff
    mov dword [GDT + 12], 0x00cf9a00
    mov dword [GDT + 16], 0x0000ffff
    mov dword [GDT + 20], 0x00cf9200
    mov word [GDTR], 23
    mov dword [GDTR + 2], GDT
    ; far pointer to the 32-bit stub in this ROM (physical CS*16 + pm32)
    xor eax, eax
    mov ax, cs
    shl eax, 4
    add eax, pm32
    mov [FARPTR], eax
    mov word [FARPTR + 4], 0x08

    mov ax, K_KERNEL_ENTRY
    call read_i32
    mov ecx, eax
    mov ebx, esi
    lgdt [GDTR]
    mov eax, cr0
    or al, 1
    mov cr0, eax
    jmp dword far [FARPTR]

bits 32
pm32:                           ; position-independent: ECX = entry, EBX = info
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    mov eax, MB_MAGIC
    jmp ecx
