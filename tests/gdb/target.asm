; tests/gdb/target.asm - the guest that tests/gdb/run-gdb.sh debugs with the
; real gdb.  Booted as the BIOS like the tests/cpu kernels (lib.inc); the
; labels below are read from the nasm map file by the script.
;   gdb_loop   : counts `counter' up to 1000 (breakpoint, watchpoint target)
;   gdb_after  : checks that gdb wrote `poke' and set EDI through registers
%include "../cpu/lib.inc"
[map symbols MAPFILE]
kernel_name: db "gdb target", 0

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
        ret

        align 4
counter: dd 0
poke:    dd 0

%include "../cpu/lib_tail.inc"
