; Multiboot v1 test kernel: prints what the boot loader handed over on COM1
; and exits through isa-debug-exit (port 0xf4): 0 = its own checks passed.
; tests/cpu/run-multiboot.sh compares the printed values with the command
; line it used (-m, -append, -initrd).  Needs -m 4 or more (A20 probe at
; 0x2ffff0/0x3ffff0).
;   nasm -f bin  -DAOUT: flat image with the a.out kludge address fields
;   nasm -f elf32 + ld -m elf_i386 -Ttext 0x100000: ELF kernel
bits 32
MB_MAGIC equ 0x1badb002
%ifdef AOUT
MB_FLAGS equ (1 << 1) | (1 << 16)
org 0x100000
%else
MB_FLAGS equ (1 << 1)
section .text
global _start
%endif
COM1 equ 0x3f8

_start:
    jmp start
align 4
mbhdr:
    dd MB_MAGIC
    dd MB_FLAGS
    dd -(MB_MAGIC + MB_FLAGS)
%ifdef AOUT
    dd mbhdr                    ; header_addr
    dd _start                   ; load_addr
    dd data_end                 ; load_end_addr
    dd bss_end                  ; bss_end_addr
    dd start                    ; entry_addr
%endif

start:
    mov esp, stack_top
    mov [magic], eax
    mov [info], ebx
    pushfd
    pop eax
    mov [eflags], eax
    mov esi, s_banner
    call puts
    mov esi, s_magic
    call puts
    mov eax, [magic]
    call puthex
    call nl
    cmp dword [magic], 0x2badb002
    jne fail
    ; interrupts must be off
    mov esi, s_if
    call puts
    mov eax, [eflags]
    shr eax, 9
    and eax, 1
    call puthex
    call nl
    test dword [eflags], 1 << 9
    jnz fail
    ; bss must be zero (a.out: bss_end_addr; ELF: memsz > filesz)
    cmp dword [bss_probe], 0
    jne fail
    ; protected mode without paging, A20 open (spec 3.2): with A20 masked
    ; the second store would land on the first (bit 20 cleared)
    mov eax, cr0
    and eax, 0x80000001
    cmp eax, 1
    jne fail
    mov dword [0x2ffff0], 0x5a5a5a5a
    mov dword [0x3ffff0], 0xa5a5a5a5
    cmp dword [0x2ffff0], 0x5a5a5a5a
    jne fail

    mov ebx, [info]
    mov esi, s_flags
    call puts
    mov eax, [ebx]
    call puthex
    call nl
    mov esi, s_lower
    call puts
    mov eax, [ebx + 4]
    call puthex
    call nl
    mov esi, s_upper
    call puts
    mov eax, [ebx + 8]
    call puthex
    call nl
    test dword [ebx], 1 << 2
    jz .nocmd
    mov esi, s_cmdline
    call puts
    mov esi, [ebx + 16]
    call puts
    call nl
.nocmd:
    test dword [ebx], 1 << 3
    jz .nomods
    mov ecx, [ebx + 20]
    mov edi, [ebx + 24]
.mod:
    jecxz .nomods
    mov esi, s_mod
    call puts
    mov eax, [edi]
    call puthex
    mov al, ' '
    call putc
    mov eax, [edi + 4]
    call puthex
    mov al, ' '
    call putc
    test dword [edi], 0xfff     ; page aligned
    jnz fail
    mov esi, [edi + 8]
    call puts
    mov al, ' '
    call putc
    mov al, '['                 ; module bytes, up to 32, as text
    call putc
    mov esi, [edi]
    mov edx, [edi + 4]
    sub edx, esi
    cmp edx, 32
    jbe .short
    mov edx, 32
.short:
    test edx, edx
    jz .bytes_done
    lodsb
    call putc
    dec edx
    jmp .short
.bytes_done:
    mov al, ']'
    call putc
    call nl
    add edi, 16
    dec ecx
    jmp .mod
.nomods:
    ; mmap: every entry has size 20; one RAM range starts at 0 and one at 1 MiB
    test dword [ebx], 1 << 6
    jz fail
    mov edi, [ebx + 48]
    mov ecx, [ebx + 44]
    add ecx, edi
    xor ebp, ebp                ; bit 0: RAM at 0, bit 1: RAM at 1 MiB
.mm:
    cmp edi, ecx
    jae .mm_done
    cmp dword [edi], 20
    jne fail
    mov esi, s_mmap
    call puts
    mov eax, [edi + 8]
    call puthex
    mov eax, [edi + 4]
    call puthex
    mov al, ' '
    call putc
    mov eax, [edi + 16]
    call puthex
    mov eax, [edi + 12]
    call puthex
    mov al, ' '
    call putc
    mov eax, [edi + 20]
    call puthex
    call nl
    cmp dword [edi + 20], 1
    jne .mm_next
    cmp dword [edi + 8], 0
    jne .mm_next
    cmp dword [edi + 4], 0
    jne .mm1
    or ebp, 1
.mm1:
    cmp dword [edi + 4], 0x100000
    jne .mm_next
    or ebp, 2
    ; the RAM at 1 MiB must not end below what mem_upper reports... nor
    ; more than 1 MiB above it (SeaBIOS reserves its tables at the top)
    mov eax, [edi + 12]
    shr eax, 10
    cmp eax, [ebx + 8]
    ja fail
    add eax, 1024
    cmp eax, [ebx + 8]
    jb fail
.mm_next:
    add edi, 24
    jmp .mm
.mm_done:
    cmp ebp, 3
    jne fail
    ; conventional memory up to the EBDA (SeaBIOS: 639K), never above 640K
    cmp dword [ebx + 4], 640
    ja fail
    cmp dword [ebx + 4], 512
    jb fail
    mov esi, s_pass
    call puts
    mov al, 0
    out 0xf4, al
    jmp halt
fail:
    mov esi, s_fail
    call puts
    mov al, 1
    out 0xf4, al
halt:
    hlt
    jmp halt

putc:
    push edx
    push eax
    mov dx, COM1 + 5
.w: in al, dx
    test al, 0x20
    jz .w
    pop eax
    mov dx, COM1
    out dx, al
    pop edx
    ret
puts:
    lodsb
    test al, al
    jz .e
    call putc
    jmp puts
.e: ret
nl:
    mov al, 10
    jmp putc
puthex:
    push ecx
    mov ecx, 8
.d: rol eax, 4
    push eax
    and al, 15
    add al, '0'
    cmp al, '9'
    jbe .p
    add al, 'a' - '9' - 1
.p: call putc
    pop eax
    loop .d
    pop ecx
    ret

s_banner: db '# multiboot info test', 10, 0
s_magic:  db 'magic ', 0
s_if:     db 'if ', 0
s_flags:  db 'flags ', 0
s_lower:  db 'mem_lower ', 0
s_upper:  db 'mem_upper ', 0
s_cmdline: db 'cmdline ', 0
s_mod:    db 'module ', 0
s_mmap:   db 'mmap ', 0
s_pass:   db 'result pass', 10, 0
s_fail:   db 'result FAIL', 10, 0
%ifdef AOUT
data_end:
absolute data_end
%else
section .bss
%endif
alignb 4
magic:  resd 1
info:   resd 1
eflags: resd 1
bss_probe: resd 1
        resb 4096
stack_top:
bss_end:
