; tests/gdb/kernel.asm - the multiboot kernel that tests/gdb/run-gdb-kernel.sh
; debugs with the real gdb while Vireo boots it with -kernel (ELF32, linked
; at 1 MiB by tests/gdb/gdb.mk; the script reads the labels with nm).
;   start   : the multiboot entry point (EAX = 0x2BADB002, EBX = info)
;   at32    : 32-bit protected mode, known values in ECX/EDX/ESI
;   at64    : 64-bit long mode (identity-mapped 2 MiB pages), known values
;             in RAX/R8/R15 that do not fit in 32 bits
;   watched : the 64-bit code stores 1 then 2 here (watchpoint target)
;   done64  : reports "gdb-kernel: ok" on COM1 if gdb's write to `poke'
;             arrived, then exits through isa-debug-exit (0 = ok, 1 = not)
; Long mode needs a CPU model with it (-cpu qemu64 or max).

        bits 32
MB_MAGIC equ 0x1badb002
MB_FLAGS equ 0x00000003
COM1     equ 0x3f8

        section .text
mb_header:
        dd MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

        global start, at32, at64, done64, watched, poke
start:
        mov esp, stack_top
        mov ecx, 0x0c0c0c0c
        mov edx, 0x0d0d0d0d
        mov esi, 0x51515151
at32:
        nop
        ; identity map the first 1 GiB with 2 MiB pages
        mov edi, pml4
        mov dword [edi], pdpt + 3
        mov dword [pdpt], pd + 3
        xor eax, eax
        mov edi, pd
.map:
        mov ebx, eax
        shl ebx, 21
        or ebx, 0x83                    ; present, writable, 2 MiB
        mov [edi + eax * 8], ebx
        mov dword [edi + eax * 8 + 4], 0
        inc eax
        cmp eax, 512
        jne .map
        mov eax, cr4
        or eax, 1 << 5                  ; PAE
        mov cr4, eax
        mov eax, pml4
        mov cr3, eax
        mov ecx, 0xc0000080             ; EFER
        rdmsr
        or eax, 1 << 8                  ; LME
        wrmsr
        lgdt [gdtr]
        mov eax, cr0
        or eax, 1 << 31                 ; PG: long mode becomes active
        mov cr0, eax
        jmp 0x08:long_entry

        bits 64
long_entry:
        mov ax, 0x10
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov rax, 0x1122334455667788
        mov r8, 0x0123456789abcdef
        mov r15, 0xfedcba9876543210
at64:
        nop
        mov dword [rel watched], 1
        mov dword [rel watched], 2
done64:
        cmp dword [rel poke], 0xcafef00d
        lea rsi, [rel msg_ok]
        mov bl, 0
        je .report
        lea rsi, [rel msg_bad]
        mov bl, 1
.report:
        mov dx, COM1 + 5
        in al, dx
        test al, 0x20
        jz .report
        mov al, [rsi]
        test al, al
        jz .exit
        mov dx, COM1
        out dx, al
        inc rsi
        jmp .report
.exit:
        mov al, bl
        out 0xf4, al
.halt:
        hlt
        jmp .halt

        section .data
        align 8
gdt:
        dq 0
        dq 0x00af9a000000ffff           ; 0x08: 64-bit code
        dq 0x00cf92000000ffff           ; 0x10: data
gdtr:
        dw gdtr - gdt - 1
        dd gdt
msg_ok:  db "gdb-kernel: ok", 10, 0
msg_bad: db "gdb-kernel: gdb's write to poke did not arrive", 10, 0
        align 4
watched: dd 0
poke:    dd 0

        section .bss
        alignb 4096
pml4:   resb 4096
pdpt:   resb 4096
pd:     resb 4096
        resb 4096
stack_top:
