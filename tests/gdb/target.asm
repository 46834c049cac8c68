; tests/gdb/target.asm - the guest that tests/gdb/run-gdb.sh debugs with the
; real gdb.  Booted as the BIOS like the tests/cpu kernels (lib.inc); the
; labels below are read from the nasm map file by the script.
;   gdb_loop   : counts `counter' up to 1000 (breakpoint, watchpoint target)
;   gdb_after  : checks that gdb wrote `poke' and set EDI through registers
;   gdb_irq_loop: IF=1 with PIT interrupts coming (irq0_handler counts)
;   gdb_paged  : paging on: VA 0x400000 shows poke's page, 0x401000 unmapped
%include "../cpu/lib.inc"
[map symbols MAPFILE]
kernel_name: db "gdb target", 0

PD       equ 0x30000
PT0      equ 0x31000
PT1      equ 0x32000            ; VA 0x400000-0x7fffff
PAGED_VA equ 0x400000

        bits 32
main:
        mov dword [counter], 0
gdb_start:
        mov eax, 0x11111111
        mov ebx, 0x22222222
        xor edi, edi
gdb_loop:
        inc dword [counter]
        cmp dword [counter], 1000
        jne gdb_loop
gdb_after:
        CHECK [counter], 1000, "the loop ran to the end under the debugger"
        CHECK [poke], 0xcafef00d, "gdb's memory write reached the guest"
        CHECK edi, 0x5a5a5a5a, "gdb's register write reached the guest"
        ; timer interrupts for the single-step test: 8259 master at 0x20,
        ; only IRQ0; PIT channel 0 rate generator, count 100 (~84 us)
        IDT_GATE 0x20, irq0_handler, 0x8e
        mov al, 0x11
        out 0x20, al
        mov al, 0x20
        out 0x21, al
        mov al, 4
        out 0x21, al
        mov al, 1
        out 0x21, al
        mov al, 0xfe
        out 0x21, al
        mov al, 0x34
        out 0x43, al
        mov al, 100
        out 0x40, al
        xor al, al
        out 0x40, al
        sti
gdb_irq_wait:
        cmp dword [irq_count], 0                ; the timer really ticks
        je gdb_irq_wait
gdb_irq_loop:
        cmp dword [irq_count], 50
        jb gdb_irq_loop
        cli
        mov al, 0xff
        out 0x21, al
        ; paging, so gdb's memory accesses go through the page tables:
        ; 0-4M identity, VA PAGED_VA -> the page holding `poke', the page
        ; after it not present
        mov edi, PD
        xor eax, eax
        mov ecx, 0x3000 / 4
        rep stosd
        mov edi, PT0
        mov eax, 0x003
.map:   stosd
        add eax, 0x1000
        cmp edi, PT0 + 0x1000
        jb .map
        mov eax, poke
        and eax, ~0xfff
        or eax, 3
        mov [PT1], eax
        mov dword [PD + 0], PT0 | 3
        mov dword [PD + 4], PT1 | 3
        mov eax, PD
        mov cr3, eax
        mov eax, cr0
        or eax, 0x80000000
        mov cr0, eax
gdb_paged:
        mov eax, cr0
        and eax, 0x7fffffff
        mov cr0, eax
        ret

irq0_handler:
        inc dword [irq_count]
        push eax
        mov al, 0x20
        out 0x20, al
        pop eax
        iretd

        align 4
irq_count: dd 0
counter: dd 0
poke:    dd 0

%include "../cpu/lib_tail.inc"
