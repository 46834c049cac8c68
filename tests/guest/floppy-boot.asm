; A two-stage floppy boot program for tests/guest/floppy.sh, assembled
; with nasm into the first three sectors of a 1.44M image whose other
; sectors carry a marker (bytes 0-1: the sector's LBA, byte i >= 2:
; (LBA + i) & 0xff).  Everything goes through the BIOS (SeaBIOS): INT 13h
; for the disk, INT 10h teletype for output (SeaBIOS copies it to the
; serial console when there is no VGA).  The result leaves through
; isa-debug-exit at 0xf4: 0x10 = all good, 0x11 = a check failed.
;
; Stage 1 (the boot sector) loads stage 2 (LBA 1-2) with INT 13h AH=02h and
; jumps there.  Stage 2 asks for the drive parameters (AH=08h), reads whole
; tracks on both heads and two cylinders, the last sector of the disk,
; writes a sector (AH=03h) and reads it back.

bits 16
org 0x7c00

stage1:
    cli
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7c00
    sti
    mov [drive], dl
    mov si, msg_s1
    call puts
    mov ax, 0x0202              ; read 2 sectors
    mov cx, 0x0002              ; cylinder 0, sector 2
    xor dh, dh                  ; head 0
    mov dl, [drive]
    mov bx, 0x7e00
    int 0x13
    jc .fail
    jmp stage2
.fail:
    mov si, msg_s1_fail
    call puts
    mov al, 0x11
    out 0xf4, al
    hlt

; print the NUL-terminated string at ds:si
puts:
    lodsb
    test al, al
    jz .done
    mov ah, 0x0e
    mov bx, 0x0007
    int 0x10
    jmp puts
.done:
    ret

drive: db 0
msg_s1: db "FDBOOT: stage 1 from drive A:", 13, 10, 0
msg_s1_fail: db "FDBOOT: cannot load stage 2", 13, 10, 0

    times 510 - ($ - $$) db 0
    dw 0xaa55

; ---- stage 2 (LBA 1-2, loaded at 0x7e00) ----
stage2:
    mov si, msg_s2
    call puts

    ; drive parameters
    mov ah, 0x08
    mov dl, [drive]
    push es
    int 0x13
    pop es
    jc fail
    mov si, msg_type
    call puts
    mov al, bl
    call puthex
    mov si, msg_cyls
    call puts
    mov al, ch
    call puthex
    mov si, msg_secs
    call puts
    mov al, cl
    and al, 0x3f
    call puthex
    mov si, msg_heads
    call puts
    mov al, dh
    call puthex
    mov si, crlf
    call puts

    ; cylinder 0 head 0 sectors 4..18 (LBA 3..17), head 1 1..18 (18..35),
    ; cylinder 1 head 0 1..18 (36..53), cylinder 79 head 1 sector 18 (2879)
    mov byte [rd_cyl], 0
    mov byte [rd_head], 0
    mov byte [rd_sect], 4
    mov byte [rd_count], 15
    mov word [rd_lba], 3
    call read_check
    mov byte [rd_head], 1
    mov byte [rd_sect], 1
    mov byte [rd_count], 18
    mov word [rd_lba], 18
    call read_check
    mov byte [rd_cyl], 1
    mov byte [rd_head], 0
    mov word [rd_lba], 36
    call read_check
    mov byte [rd_cyl], 79
    mov byte [rd_head], 1
    mov byte [rd_sect], 18
    mov byte [rd_count], 1
    mov word [rd_lba], 2879
    call read_check
    mov si, msg_reads
    call puts

    ; write cylinder 2 head 0 sector 1 (LBA 72) from 0x3000:0 ...
    mov ax, 0x3000
    mov es, ax
    xor di, di
    mov cx, 512
.fill:
    mov ax, di
    xor al, 0x5a
    stosb
    loop .fill
    mov ax, 0x0301
    mov cx, 0x0201              ; cylinder 2, sector 1
    xor dh, dh
    mov dl, [drive]
    xor bx, bx
    int 0x13
    jc fail
    ; ... and read it back into 0x4000:0
    mov ax, 0x4000
    mov es, ax
    mov ax, 0x0201
    mov cx, 0x0201
    xor dh, dh
    mov dl, [drive]
    xor bx, bx
    int 0x13
    jc fail
    push ds
    mov ax, 0x3000
    mov ds, ax
    xor si, si
    xor di, di
    mov cx, 512
    repe cmpsb
    pop ds
    jne fail
    mov si, msg_write
    call puts

    mov si, msg_done
    call puts
    mov al, 0x10
    jmp exit

fail:
    push ax
    mov si, msg_fail
    call puts
    pop ax
    mov al, ah
    call puthex
    mov si, crlf
    call puts
    mov al, 0x11
    jmp exit

; Read rd_count sectors at rd_cyl/rd_head/rd_sect into 0x1000:0 and check
; their markers from LBA rd_lba on.
read_check:
    mov ax, 0x1000
    mov es, ax
    mov ah, 0x02
    mov al, [rd_count]
    mov ch, [rd_cyl]
    mov cl, [rd_sect]
    mov dh, [rd_head]
    mov dl, [drive]
    xor bx, bx
    int 0x13
    jc fail
    cmp al, [rd_count]
    jne fail
    xor di, di
    mov dx, [rd_lba]
    xor ch, ch
    mov cl, [rd_count]
.sector:
    cmp [es:di], dx
    jne .bad
    mov bx, 2
.byte:
    mov al, dl
    add al, bl
    cmp [es:di + bx], al
    jne .bad
    inc bx
    cmp bx, 512
    jb .byte
    add di, 512
    inc dx
    loop .sector
    ret
.bad:
    mov si, msg_bad
    call puts
    mov al, dh
    call puthex
    mov al, dl
    call puthex
    mov si, crlf
    call puts
    mov al, 0x11
    jmp exit

; Leave through isa-debug-exit with code al once COM1 has sent the last
; character (LSR bit 6, transmitter empty; bounded wait).
exit:
    push ax
    mov si, msg_flush           ; SeaBIOS's serial console holds back the
    call puts                   ; last few characters: push them out
    pop ax
    mov bl, al
    mov cx, 0xffff
.drain:
    mov dx, 0x3fd
    in al, dx
    test al, 0x40
    jnz .go
    loop .drain
.go:
    mov al, bl
    out 0xf4, al
    hlt

; print al as two hex digits
puthex:
    push ax
    shr al, 4
    call .nib
    pop ax
    and al, 0x0f
.nib:
    add al, '0'
    cmp al, '9'
    jbe .out
    add al, 7
.out:
    mov ah, 0x0e
    mov bx, 0x0007
    int 0x10
    ret

rd_cyl: db 0
rd_head: db 0
rd_sect: db 0
rd_count: db 0
rd_lba: dw 0
msg_s2: db "FDBOOT: stage 2 loaded by INT 13h", 13, 10, 0
msg_type: db "FDBOOT: drive type ", 0
msg_cyls: db " max cylinder ", 0
msg_secs: db " sectors ", 0
msg_heads: db " max head ", 0
msg_reads: db "FDBOOT: 51 sectors of cylinders 0-1 and the last sector read and checked", 13, 10, 0
msg_write: db "FDBOOT: sector written and read back", 13, 10, 0
msg_done: db "FDBOOT: done", 13, 10, 0
msg_fail: db "FDBOOT: INT 13h failed, status ", 0
msg_bad: db "FDBOOT: wrong data in LBA ", 0
crlf: db 13, 10, 0
msg_flush: db "                ", 13, 10, 0

    times 1536 - ($ - $$) db 0
