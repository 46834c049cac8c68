; paging.asm - 32-bit 2-level paging (4K and 4M pages), PAE paging (2M pages,
; reserved bits, NX), #PF error codes and CR2, CR0.WP, accessed/dirty bits,
; INVLPG (SDM vol.3 ch.4).
%include "lib.inc"
kernel_name: db "paging (2-level, PSE, PAE, NX, #PF, WP, A/D, INVLPG)", 0

PD      equ 0x30000
PT0     equ 0x31000         ; identity 0-4M, U/W/P
PT1     equ 0x32000         ; VA 0x400000-0x7fffff, test PTEs
PDPT    equ 0x33000
PAE_PD  equ 0x34000
PAE_PT0 equ 0x35000         ; identity 0-2M
PAE_PT2 equ 0x36000         ; VA 0x400000-0x5fffff (PD index 2)
TV      equ 0x400000        ; test virtual address
P_A     equ 0x21000         ; test physical pages with markers
P_B     equ 0x22000
MARK_A  equ 0xaaaa0001
MARK_B  equ 0xbbbb0002

%macro SETPTE 1         ; PT1[0] = value; INVLPG TV
        mov dword [PT1], %1
        invlpg [TV]
%endmacro
%macro RSVDCHK 3        ; expected CR2, expected EIP, message prefix
        CHECK [exc_vec], 14, {%3, ": #PF"}
        mov eax, [exc_err]
        and eax, 8
        CHECK eax, 8, {%3, ": error code has RSVD"}
        CHECK_TODO [exc_err], 9, {%3, ": error code = RSVD|P (SDM 4.7: RSVD implies P)"}, "qemu-tcg 7.2 reports RSVD without P"
        CHECK [exc_cr2], %1, {%3, ": CR2"}
        CHECK [exc_eip], %2, {%3, ": saved EIP = faulting instruction"}
%endmacro
%macro PFCHK 4          ; expected err, expected CR2, expected EIP, message prefix
        CHECK [exc_vec], 14, {%4, ": #PF"}
        CHECK [exc_err], %1, {%4, ": error code"}
        CHECK [exc_cr2], %2, {%4, ": CR2 = faulting linear address"}
        CHECK [exc_eip], %3, {%4, ": saved EIP = faulting instruction"}
%endmacro

main:
        mov dword [P_A], MARK_A
        mov dword [P_B], MARK_B
        mov edi, PD
        xor eax, eax
        mov ecx, 0x7000 / 4
        rep stosd                               ; clear PD..PAE_PT2
        mov edi, PT0                            ; identity map 0-4M, 4K pages
        mov eax, 0x007
.m:     stosd
        add eax, 0x1000
        cmp edi, PT0 + 0x1000
        jb .m
        mov dword [PD + 0], PT0 | 7
        mov dword [PD + 4], PT1 | 7
        mov eax, PD
        mov cr3, eax
        mov eax, cr0
        or eax, 0x80000000                      ; CR0.PG
        mov cr0, eax
        jmp .pg
.pg:    CHECK [P_A], MARK_A, "paging on: identity-mapped code and data keep working"

        ; ---- translation and accessed/dirty bits (SDM 4.8)
        SETPTE P_A | 3                          ; supervisor, writable
        and dword [PD + 4], ~0x60
        mov eax, [TV]
        CHECK eax, MARK_A, "4K PTE maps TV to its frame"
        mov eax, [PT1]
        and eax, 0x60
        CHECK eax, 0x20, "read sets the PTE accessed bit, not dirty"
        mov eax, [PD + 4]
        and eax, 0x20
        CHECK eax, 0x20, "the walk sets the PDE accessed bit"
        mov dword [TV + 4], 1
        mov eax, [PT1]
        and eax, 0x60
        CHECK eax, 0x60, "write sets the PTE dirty bit"

        ; ---- not-present (SDM 4.7: P=0, W/R=1 on write, U/S=0 at CPL0)
        SETPTE 0
        EXPECT .r1
.i1:    mov eax, [TV + 0x123]
.r1:    PFCHK 0, TV + 0x123, .i1, "read of a not-present page"
        EXPECT .r2
.i2:    mov dword [TV + 0x456], 0
.r2:    PFCHK 2, TV + 0x456, .i2, "write to a not-present page"
        mov dword [PD + 4], 0                   ; not-present PDE
        invlpg [TV]
        EXPECT .r3
.i3:    mov eax, [TV + 0x10]
.r3:    PFCHK 0, TV + 0x10, .i3, "not-present PDE"
        mov dword [PD + 4], PT1 | 7

        ; ---- read-only pages and CR0.WP (SDM 4.6.1)
        SETPTE P_A | 1                          ; present, read-only, supervisor
        EXPECT .r4
        mov dword [TV + 8], 0x5555
.r4:    CHECK [exc_vec], -1, "CR0.WP=0: supervisor write to a read-only page succeeds"
        CHECK [P_A + 8], 0x5555, "the write reached the frame"
        mov eax, cr0
        or eax, 0x10000                         ; CR0.WP
        mov cr0, eax
        EXPECT .r5
.i5:    mov dword [TV + 8], 0
.r5:    PFCHK 3, TV + 8, .i5, "CR0.WP=1: supervisor write to a read-only page"

        ; ---- user accesses (U/S=1 in the error code)
        SETPTE P_A | 3                          ; supervisor page
        mov eax, user_read
        mov ebx, USER_STACK
        mov ecx, 2
        call run_user
        CHECK [u_res], 14, "user read of a supervisor page: #PF"
        CHECK [u_res + 4], 5, "error code P|U = 5"
        SETPTE P_A | 5                          ; user, read-only
        mov eax, user_read
        mov ebx, USER_STACK
        mov ecx, 2
        call run_user
        CHECK [u_res], -1, "user read of a user read-only page: ok"
        CHECK [u_val], MARK_A, "user read returns the frame contents"
        mov eax, user_write
        mov ebx, USER_STACK
        mov ecx, 2
        call run_user
        CHECK [u_res], 14, "user write to a read-only user page: #PF"
        CHECK [u_res + 4], 7, "error code P|W|U = 7"
        CHECK [u_res + 8], TV, "CR2 for the user write"
        mov dword [PD + 4], PT1 | 5             ; PDE read-only: combined rights
        SETPTE P_A | 7
        mov eax, user_write
        mov ebx, USER_STACK
        mov ecx, 2
        call run_user
        CHECK [u_res + 4], 7, "read-only PDE over a writable PTE: user write faults"
        mov dword [PD + 4], PT1 | 7

        ; ---- TLB: stale until INVLPG / CR3 reload (SDM 4.10.4)
        SETPTE P_A | 3
        mov eax, [TV]                           ; cache the translation
        mov dword [PT1], P_B | 3
        invlpg [TV]
        mov eax, [TV]
        CHECK eax, MARK_B, "after changing the PTE, INVLPG makes the new frame visible"
        mov dword [PT1], P_A | 3
        mov eax, cr3
        mov cr3, eax
        mov eax, [TV]
        CHECK eax, MARK_A, "MOV to CR3 flushes non-global translations"

        ; ---- 4 MiB pages (CR4.PSE, PDE.PS)
        mov eax, cr4
        or eax, 0x10                            ; CR4.PSE
        mov cr4, eax
        mov dword [PD + 8], 0x00000083          ; VA 8M -> phys 0, 4M page
        mov eax, [0x800000 + P_B]
        CHECK eax, MARK_B, "4M page maps VA 0x800000 + off to phys off"
        mov eax, [PD + 8]
        and eax, 0x60
        CHECK eax, 0x20, "4M page: PDE accessed bit set, not dirty"
        mov dword [0x800000 + P_B + 4], 7
        mov eax, [PD + 8]
        and eax, 0x60
        CHECK eax, 0x60, "4M page: write sets the PDE dirty bit"
        mov dword [PD + 8], 0x00000081          ; read-only 4M page
        invlpg [0x800000 + P_B]
        EXPECT .r6
.i6:    mov dword [0x800000 + P_B + 4], 7
.r6:    PFCHK 3, 0x800000 + P_B + 4, .i6, "write to a read-only 4M page (WP=1)"

        ; 4M PDE bit 21 is always reserved; bits 20:13 are physical
        ; address bits 39:32 with PSE-36 (up to MAXPHYADDR), else reserved
        ; (SDM 4.3, table 4-4)
        mov dword [PD + 8], 0x00200083          ; bit 21
        invlpg [0x800000 + P_B]
        EXPECT .r6a
.i6a:   mov eax, [0x800000 + P_B]
.r6a:   RSVDCHK 0x800000 + P_B, .i6a, "4M PDE bit 21"
        mov eax, 1
        cpuid
        test edx, 1 << 17                       ; PSE-36
        jnz .pse36
        mov dword [PD + 8], 0x00002083          ; bit 13 = phys bit 32
        invlpg [0x800000 + P_B]
        EXPECT .r6b
.i6b:   mov eax, [0x800000 + P_B]
.r6b:   RSVDCHK 0x800000 + P_B, .i6b, "4M PDE bit 13 without PSE-36"
        jmp .pse_done
.pse36: SKIP "4M PDE bit 13 without PSE-36", "the CPU has PSE-36"
        mov dword [PD + 8], 0x00002083          ; physical 4G + 8M: no RAM, no #PF
        invlpg [0x800000 + P_B]
        mov eax, [0x800000 + P_B]
        mov eax, [PD + 8]
        and eax, 0x20
        CHECK eax, 0x20, "4M PDE bit 13 with PSE-36 is address bit 32 (walked, no #PF)"
.pse_done:
        mov dword [PD + 8], 0
        invlpg [0x800000 + P_B]

        ; ---- PAE (SDM 4.4)
        mov eax, cr0
        and eax, 0x7fffffff
        mov cr0, eax
        mov edi, PAE_PT0
        mov eax, 7
.m2:    mov [edi], eax
        mov dword [edi + 4], 0
        add edi, 8
        add eax, 0x1000
        cmp edi, PAE_PT0 + 0x1000
        jb .m2
        mov dword [PDPT], PAE_PD | 1            ; PDPTEs: only P (other bits reserved)
        mov dword [PAE_PD + 0], PAE_PT0 | 7
        mov dword [PAE_PD + 8], 0x83            ; VA 2M-4M -> phys 0, 2M page
        mov dword [PAE_PD + 16], PAE_PT2 | 7
        mov dword [PAE_PT2], P_B | 3
        mov eax, cr4
        or eax, 0x20                            ; CR4.PAE
        mov cr4, eax
        mov eax, PDPT
        mov cr3, eax
        mov eax, cr0
        or eax, 0x80000000
        mov cr0, eax
        jmp .pae
.pae:   mov eax, [0x200000 + P_A]
        CHECK eax, MARK_A, "PAE: 2M page maps VA 0x200000 + off to phys off"
        mov eax, [TV]
        CHECK eax, MARK_B, "PAE: 4K page through PDPTE/PDE/PTE"
        mov eax, [PAE_PT2]
        and eax, 0x20
        CHECK eax, 0x20, "PAE: accessed bit in the 64-bit PTE"
        mov dword [PAE_PT2], 0
        invlpg [TV]
        EXPECT .r7
.i7:    mov eax, [TV + 0x20]
.r7:    PFCHK 0, TV + 0x20, .i7, "PAE: not-present PTE"
        ; a PTE address bit at MAXPHYADDR (CPUID.80000008H:EAX[7:0], 36 if
        ; the leaf is absent) is reserved (SDM 4.4.2)
        mov dword [PAE_PT2], P_B | 3
        mov eax, 0x80000000
        cpuid
        mov ecx, 36
        cmp eax, 0x80000008
        jb .mp
        mov eax, 0x80000008
        cpuid
        movzx ecx, al
.mp:    cmp ecx, 52
        jae .nomp
        sub ecx, 32
        xor eax, eax
        bts eax, ecx
        mov [PAE_PT2 + 4], eax
        invlpg [TV]
        EXPECT .r8
.i8:    mov eax, [TV]
.r8:    RSVDCHK TV, .i8, "PAE: PTE address bit at MAXPHYADDR is reserved"
        mov dword [PAE_PT2 + 4], 0
        jmp .mpdone
.nomp:  SKIP "PAE reserved address bit", "MAXPHYADDR = 52"
.mpdone:

        ; ---- NX (EFER.NXE, PTE bit 63) if CPUID.80000001H:EDX[20]
        mov eax, 0x80000000
        cpuid
        cmp eax, 0x80000001
        jb .nonx
        mov eax, 0x80000001
        cpuid
        bt edx, 20
        jnc .nonx
        mov byte [P_B + 0x100], 0xc3            ; RET
        mov dword [PAE_PT2 + 4], 0x80000000     ; XD with EFER.NXE=0: reserved
        invlpg [TV]
        EXPECT .r9
.i9:    mov eax, [TV]
.r9:    RSVDCHK TV, .i9, "PAE: bit 63 set with EFER.NXE=0 is reserved"
        mov ecx, 0xc0000080
        rdmsr
        or eax, 0x800                           ; EFER.NXE
        wrmsr
        mov dword [PAE_PT2 + 4], 0
        invlpg [TV]
        EXPECT .r10
        call TV + 0x100
.r10:   CHECK [exc_vec], -1, "NXE=1, XD=0: code in the page executes"
        mov dword [PAE_PT2 + 4], 0x80000000
        invlpg [TV]
        mov eax, [TV]
        CHECK eax, MARK_B, "NXE=1, XD=1: data reads still work"
        EXPECT .r11
        call TV + 0x100
.r11:   PFCHK 0x11, TV + 0x100, TV + 0x100, "NXE=1: instruction fetch from an XD page (I/D|P)"
        jmp .nxdone
.nonx:  SKIP "NX checks", "CPUID.80000001H:EDX.NX = 0"
.nxdone:
        mov eax, cr0
        and eax, 0x7fffffff
        mov cr0, eax
        ret

; ring-3 helpers; record vector, error code, CR2 in u_res
user_read:
        EXPECT .r
        mov eax, [TV]
        mov [u_val], eax
.r:     mov eax, [exc_vec]
        mov [u_res], eax
        mov eax, [exc_err]
        mov [u_res + 4], eax
        mov eax, [exc_cr2]
        mov [u_res + 8], eax
        mov dword [exc_resume], 0
        int 0x30
user_write:
        EXPECT user_read.r
        mov dword [TV], 0
        jmp user_read.r

        align 4
u_res: times 4 dd 0
u_val: dd 0

%include "lib_tail.inc"
