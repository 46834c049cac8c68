; smap.asm - SMEP and SMAP under 32-bit paging (SDM vol.3 4.6): supervisor
; fetch from a user page, supervisor data access to a user page with
; EFLAGS.AC clear and set (STAC/CLAC), and the #PF error codes.
; Protection keys need 4-level paging and are covered by kvm-unit-tests pku/pks.
; RUN-ARGS: -cpu max
%include "lib.inc"
kernel_name: db "smap (SMEP, SMAP, STAC/CLAC, #PF error codes)", 0

PD      equ 0x30000
PT0     equ 0x31000         ; identity 0-4M, supervisor
PT1     equ 0x32000         ; VA 0x400000-0x7fffff, test PTE
TV      equ 0x400000
P_A     equ 0x21000
MARK_A  equ 0xaaaa0001

%macro PFCHK 4          ; expected err, expected CR2, expected EIP, message prefix
        CHECK [exc_vec], 14, {%4, ": #PF"}
        CHECK [exc_err], %1, {%4, ": error code"}
        CHECK [exc_cr2], %2, {%4, ": CR2 = faulting linear address"}
        CHECK [exc_eip], %3, {%4, ": saved EIP = faulting instruction"}
%endmacro

main:
        mov dword [P_A], MARK_A
        mov byte [P_A + 0x10], 0xc3             ; ret, for the SMEP fetch
        mov edi, PD
        xor eax, eax
        mov ecx, 0x3000 / 4
        rep stosd
        mov edi, PT0
        mov eax, 0x003                          ; supervisor: SMEP must allow it
.m:     stosd
        add eax, 0x1000
        cmp edi, PT0 + 0x1000
        jb .m
        mov dword [PD + 0], PT0 | 7
        mov dword [PD + 4], PT1 | 7
        mov dword [PT1], P_A | 7                ; TV: user, writable
        mov eax, PD
        mov cr3, eax
        mov eax, cr0
        or eax, 0x80010000                      ; CR0.PG, CR0.WP
        mov cr0, eax
        jmp .pg
.pg:    CHECK [TV], MARK_A, "paging on, SMEP/SMAP off: supervisor reads a user page"

        EXPECT .r0
        mov eax, cr4
        or eax, (1 << 20) | (1 << 21)           ; CR4.SMEP, CR4.SMAP
        mov cr4, eax
.r0:    CHECK [exc_vec], -1, "-cpu max: CR4.SMEP and CR4.SMAP can be set"

        ; ---- SMAP, AC=0: reads and writes fault with P (and W)
        clac
        EXPECT .r1
.i1:    mov eax, [TV + 4]
.r1:    PFCHK 1, TV + 4, .i1, "SMAP AC=0: supervisor read of a user page"
        EXPECT .r2
.i2:    mov dword [TV + 8], 1
.r2:    PFCHK 3, TV + 8, .i2, "SMAP AC=0: supervisor write to a user page"

        ; ---- STAC: explicit accesses allowed, at once (no flush needed)
        stac
        EXPECT .r3
        mov eax, [TV]
        mov dword [TV + 8], 0x77
.r3:    CHECK [exc_vec], -1, "SMAP AC=1 (STAC): supervisor read and write of a user page succeed"
        CHECK eax, MARK_A, "SMAP AC=1: the read saw the frame"
        CHECK [P_A + 8], 0x77, "SMAP AC=1: the write reached the frame"
        clac
        EXPECT .r4
.i4:    mov eax, [TV]
.r4:    PFCHK 1, TV, .i4, "CLAC takes effect at once: the read faults again"

        ; ---- SMEP: supervisor fetch from a user page, I/D set
        stac                                    ; AC does not matter to SMEP
        EXPECT .r5
        call TV + 0x10
.r5:    PFCHK 0x11, TV + 0x10, TV + 0x10, "SMEP: supervisor fetch from a user page (P|I/D)"
        clac

        ; ---- clearing SMEP/SMAP lifts the checks at once
        mov eax, cr4
        and eax, ~((1 << 20) | (1 << 21))
        mov cr4, eax
        EXPECT .r6
        mov eax, [TV]
        call TV + 0x10
.r6:    CHECK [exc_vec], -1, "CR4.SMEP/SMAP cleared: read and fetch of a user page succeed"
        jmp finish

%include "lib_tail.inc"
