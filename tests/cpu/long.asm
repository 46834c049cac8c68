; long.asm - x86-64 long mode (SDM vol.3 ch. 2.2, 4.5, 5.8.8, 6.14, 7.7;
; vol.2 SYSCALL/SYSRET/SWAPGS/IRET): activation through CR0.PG with
; EFER.LME, compatibility and 64-bit code segments, 64-bit ALU and flags,
; REX registers (R8-R15, SPL..DIL, R8B), RIP-relative addressing, the
; stack, SYSCALL/SYSRET to ring 3 and back, SWAPGS and the FS/GS base MSRs,
; #PF error code for an NX fetch, the 64-bit IDT with an IST stack, IRETQ,
; and #GP for non-canonical addresses.
; RUN-ARGS: -cpu max
%include "lib.inc"
kernel_name: db "long mode (EFER.LMA, REX, RIP-relative, SYSCALL, SWAPGS, NX, IST, IRETQ)", 0

PML4    equ 0x30000
PDPT    equ 0x31000
PD      equ 0x32000
PT0     equ 0x33000         ; 0-2M in 4K pages (so one page can be NX)
NXPAGE  equ 0x22000         ; mapped NX
RMV     equ 0x50000         ; remapped between RMPA and RMPB (code)
RMPA    equ 0x51000
RMPB    equ 0x52000
GV1     equ 0x58000         ; TLB groups: two virtual pages in a row ...
GV2     equ 0x59000
GP1     equ 0x5b000         ; ... mapped to two physical pages the other way round
GP2     equ 0x5a000
GRO     equ 0x5c000         ; a read-only page
GRW     equ 0x5d000
TSS64   equ 0x26000
IST1_TOP equ 0x25000
USTACK64 equ 0x70000

SEL_CS64   equ 0x30
SEL_DS64   equ 0x38
SEL_UBASE  equ 0x40         ; STAR[63:48]: user CS32 = +0, SS = +8, CS64 = +16
SEL_UDATA  equ 0x4b
SEL_UCS64  equ 0x53
SEL_TSS64  equ 0x60
SEL_CGATE64 equ 0x70        ; 64-bit call gate, DPL 3, to SEL_CS64:gate_target
SEL_CS64_LIM0 equ 0x80      ; 64-bit code with limit 0, G=0 (memtest86+'s)
SEL_CS64_LD equ 0x88        ; L and D both set: not a valid code segment in IA-32e mode

MSR_EFER   equ 0xc0000080
MSR_STAR   equ 0xc0000081
MSR_LSTAR  equ 0xc0000082
MSR_FMASK  equ 0xc0000084
MSR_FSBASE equ 0xc0000100
MSR_GSBASE equ 0xc0000101
MSR_KGSBASE equ 0xc0000102

; CHECK64 got, expected, "message": got/expected are r64, imm or [mem];
; clobbers R13-R15 (not flags)
%macro CHECK64 3
        mov r15, %1
        mov r14, %2
        call %%after
        db %3, 0
%%after:
        pop r13
        call check64
%endmacro
; CHECK64_TODO got, expected, "message", "reference gap": as CHECK_TODO in lib.inc
%macro CHECK64_TODO 4
        push rax
        call %%n
        db %4, 0
%%n:    pop rax
        mov [rel chk_note], rax
        pop rax
        CHECK64 %1, %2, %3
%endmacro
; CHECK64_FAULT vector, label, "vector message", "RIP message": the last
; exception had that vector and its RIP was label's; clobbers RAX
%macro CHECK64_FAULT 4
        CHECK64 [rel exc64_vec], %1, %3
        lea rax, [rel %2]
        CHECK64 [rel exc64_rip], rax, %4
%endmacro
; EXPECT64 label: the next exception resumes at label (vector, error code
; and CR2 in exc64_vec/err/cr2); the next CHECK64 disarms it
%macro EXPECT64 1
        push rax
        lea rax, [rel %1]
        mov [rel exc64_resume], rax
        pop rax
%endmacro

main:
        ; CPUID advertises long mode (0x80000001 EDX.LM, bit 29)
        mov eax, 0x80000001
        cpuid
        shr edx, 29
        and edx, 1
        CHECK edx, 1, "CPUID 0x80000001 EDX.LM"

        ; GDT: 64-bit kernel code/data, user code32/data/code64, 64-bit TSS
        DESC SEL_CS64, 0, 0xfffff, 0x9a, 0xa       ; G, L
        DESC SEL_DS64, 0, 0xfffff, 0x92, 0xc
        DESC SEL_UBASE, 0, 0xfffff, 0xfa, 0xc      ; user code32 (D)
        DESC SEL_UDATA, 0, 0xfffff, 0xf2, 0xc
        DESC SEL_UCS64, 0, 0xfffff, 0xfa, 0xa      ; user code64 (L)
        DESC SEL_TSS64, TSS64, 0x67, 0x89, 0
        DESC SEL_CS64_LIM0, 0, 0, 0x9a, 0x2        ; L, limit 0 bytes
        DESC SEL_CS64_LD, 0, 0xfffff, 0x9a, 0xe    ; G, D, L
        mov dword [gdt + SEL_TSS64 + 8], 0         ; base 63:32, type 0
        mov dword [gdt + SEL_TSS64 + 12], 0
        mov eax, gate_target
        mov edx, eax
        and eax, 0xffff
        or eax, SEL_CS64 << 16                     ; offset 15:0, selector
        and edx, 0xffff0000
        or edx, 0xec00                             ; P, DPL 3, type 12 (call gate)
        mov [gdt + SEL_CGATE64], eax
        mov [gdt + SEL_CGATE64 + 4], edx
        mov dword [gdt + SEL_CGATE64 + 8], 0       ; offset 63:32
        mov dword [gdt + SEL_CGATE64 + 12], 0      ; upper type 0
        ; 64-bit TSS: RSP0 and IST1
        mov edi, TSS64
        mov ecx, 0x68 / 4
        xor eax, eax
        rep stosd
        mov dword [TSS64 + 4], ESP0_TOP
        mov dword [TSS64 + 0x24], IST1_TOP

        ; 4-level tables: PML4[0] -> PDPT[0] -> PD; PD[0] -> PT0 (4K pages),
        ; PD[1..7] 2M pages; everything user-accessible and writable
        mov edi, PML4
        mov ecx, 0x4000 / 4
        xor eax, eax
        rep stosd
        mov dword [PML4], PDPT | 7
        mov dword [PDPT], PD | 7
        mov dword [PD], PT0 | 7
        mov ecx, 1
.pd:    mov eax, ecx
        shl eax, 21
        or eax, 0x87
        mov [PD + ecx * 8], eax
        inc ecx
        cmp ecx, 8
        jb .pd
        xor ecx, ecx
.pt:    mov eax, ecx
        shl eax, 12
        or eax, 7
        mov [PT0 + ecx * 8], eax
        inc ecx
        cmp ecx, 512
        jb .pt
        mov dword [PT0 + (NXPAGE >> 12) * 8 + 4], 0x80000000   ; NX
        mov byte [NXPAGE], 0xc3                                 ; ret

        ; activate: EFER.LME|NXE|SCE, CR3, PAE, then CR0.PG
        mov eax, PML4
        mov cr3, eax
        mov ecx, MSR_EFER
        rdmsr
        or eax, (1 << 8) | (1 << 11) | 1
        wrmsr
        mov eax, cr4
        or eax, 1 << 5
        mov cr4, eax
        mov eax, cr0
        or eax, 0x80000000
        mov cr0, eax
        ; now in compatibility mode (CS.L = 0): 32-bit code still runs
        mov ecx, MSR_EFER
        rdmsr
        CHECK eax, 0xd01, "EFER = SCE|LME|LMA|NXE after CR0.PG (LMA set by the CPU)"
        mov [saved_esp32], esp
        jmp SEL_CS64:long64

        bits 64
long64:
        mov ax, SEL_DS64
        mov ss, ax
        mov rsp, KSTACK
        lidt [rel idtr64]
        call build_idt64
        mov ax, SEL_TSS64
        ltr ax
        mov r10, cs
        CHECK64 r10, SEL_CS64, "far JMP to an L=1 segment: CS"
        ; clearing EFER.LME while paging is on is #GP
        EXPECT64 .nolme
        mov ecx, MSR_EFER
        rdmsr
        and eax, ~(1 << 8)
        wrmsr
.nolme: CHECK64_TODO [rel exc64_vec], 13, "WRMSR clearing EFER.LME with CR0.PG=1: #GP", "qemu-tcg ignores the change"

        ; LTR/LLDT in 64-bit mode: a descriptor whose 64-bit base is not
        ; canonical is #GP(selector) and loads nothing (kvm-unit-tests la57)
        and byte [gdt + SEL_TSS64 + 5], ~2         ; not busy
        mov dword [gdt + SEL_TSS64 + 8], 0x8000    ; base 0x0000800000026000
        EXPECT64 .ltr_gp
        mov ax, SEL_TSS64
        ltr ax
.ltr_gp: CHECK64_TODO [rel exc64_vec], 13, "LTR of a TSS with a non-canonical base: #GP", "qemu-tcg does not check the base"
        CHECK64_TODO [rel exc64_err], SEL_TSS64, "LTR non-canonical base: error code = selector", "qemu-tcg does not check the base"
        mov al, [gdt + SEL_TSS64 + 5]
        and eax, 2
        CHECK64_TODO rax, 0, "LTR that faults leaves the TSS descriptor not busy", "qemu-tcg does not check the base"
        mov byte [gdt + SEL_TSS64 + 5], 0x82       ; now an LDT descriptor
        EXPECT64 .lldt_gp
        mov ax, SEL_TSS64
        lldt ax
.lldt_gp: CHECK64_TODO [rel exc64_vec], 13, "LLDT of an LDT with a non-canonical base: #GP", "qemu-tcg does not check the base"
        CHECK64_TODO [rel exc64_err], SEL_TSS64, "LLDT non-canonical base: error code = selector", "qemu-tcg does not check the base"
        ; reload TR and LDTR from sane descriptors (a CPU without the check,
        ; as QEMU's, loaded the bad bases above)
        mov dword [gdt + SEL_TSS64 + 8], 0
        mov byte [gdt + SEL_TSS64 + 5], 0x89
        mov ax, SEL_TSS64
        ltr ax
        xor eax, eax
        lldt ax

        ; SIDT stores a 10-byte pseudo-descriptor in 64-bit mode
        mov qword [rel scratch16], -1
        mov qword [rel scratch16 + 8], -1
        sidt [rel scratch16]
        mov rax, [rel scratch16 + 2]
        CHECK64 rax, idt64, "SIDT: 64-bit base"
        movzx eax, word [rel scratch16 + 10]
        CHECK64 rax, 0xffff, "SIDT writes exactly 10 bytes"

        ; ---- self-modifying code inside one block: a store that rewrites
        ; a later instruction of its own block takes effect at once (SDM
        ; vol.3 11.6); in tier 1 only a store's slow path can hit code, and
        ; it leaves the dead block with the instruction complete
        xor r8d, r8d
        mov ecx, 40                 ; past tier auto's threshold
.smc1:  mov byte [rel .smc1i + 1], cl
.smc1i: mov eax, 0x100
        add r8, rax
        dec ecx
        jnz .smc1
        CHECK64 r8, 40 * 0x100 + 40 * 41 / 2, "SMC: MOV r/m8 patches the immediate of the next instruction"
        mov r9, rsp
        mov edx, 7
        mov rax, 0x9090909090909090
        lea rsp, [rel .smc2p + 8]
        push rax                    ; eight NOPs over the next eight bytes
.smc2p: mov edx, 1
        inc edx
        nop
        mov r10, rsp
        mov rsp, r9
        CHECK64 rdx, 7, "SMC: PUSH over the next instructions of its block"
        lea rax, [rel .smc2p]
        CHECK64 r10, rax, "SMC: PUSH over its block: RSP"
        lea rsp, [rel .smc3p + 8]
.smc3p: times 8 nop                 ; the CALL's return address lands here
        call .smc3t
.smc3r: mov rsp, r9
        CHECK64 r10, 0, "SMC: CALL whose push rewrites its block goes to the target"
        jmp .smc3d
.smc3t: mov r10, rsp
        mov r11, [rsp]
        mov rsp, r9
        lea rax, [rel .smc3p]
        CHECK64 r10, rax, "SMC: CALL whose push rewrites its block: RSP"
        lea rax, [rel .smc3r]
        CHECK64 r11, rax, "SMC: CALL whose push rewrites its block: return address"
        xor r10d, r10d
        jmp .smc3r
.smc3d:
        mov r10d, 1
        lea rsp, [rel .smc5p + 8]
        lea rax, [rel .smc5t]
.smc5p: times 8 nop                 ; CALL RAX's return address lands here
        call rax
.smc5r: mov rsp, r9
        CHECK64 r10, 0, "SMC: CALL r64 whose push rewrites its block goes to the target"
        jmp .smc5d
.smc5t: mov r10, rsp
        mov r11, [rsp]
        mov rsp, r9
        lea rax, [rel .smc5p]
        CHECK64 r10, rax, "SMC: CALL r64 whose push rewrites its block: RSP"
        lea rax, [rel .smc5r]
        CHECK64 r11, rax, "SMC: CALL r64 whose push rewrites its block: return address"
        xor r10d, r10d
        jmp .smc5r
.smc5d:
        ; ---- SMC across blocks: in three rounds of four a loop's first
        ; block jumps straight to the second (in tier 1 the jump is chained
        ; within the page and comes in past the second's dead byte); in the
        ; fourth another block first rewrites the second's immediate: the
        ; store must undo those chained jumps, and each round runs the
        ; immediate written last (40 in rounds 40..37, 36 in 36..33, ...)
        xor r8d, r8d
        mov ecx, 40
.smc4:  test cl, 3
        jnz .smc4i
        mov byte [rel .smc4i + 1], cl
        test ecx, ecx
        jnz .smc4i
        ud2
.smc4i: mov eax, 0x100
        add r8, rax
        dec ecx
        jnz .smc4
        CHECK64 r8, 40 * 0x100 + 16 * 55, "SMC: a store rewrites a block other blocks jump to: its new code runs"

        ; ---- TLB groups (tier 1 checks the TLB once for a block's accesses
        ; through one base register that fit one page, jit.c Group): every
        ; access still reads its own page when they do not (SDM vol.3 4.3),
        ; after the base changes (an ADD, a write to AH), and a store the
        ; page does not allow faults at its own RIP
        mov qword [PT0 + (GV1 >> 12) * 8], GP1 | 3
        mov qword [PT0 + (GV2 >> 12) * 8], GP2 | 3
        invlpg [GV1]
        invlpg [GV2]
        mov qword [GP1 + 0xfe0], 0x44
        mov qword [GP1 + 0xff8], 0x11   ; the last qword of GV1
        mov qword [GP2], 0x22           ; the first two of GV2
        mov qword [GP2 + 8], 0x33
        mov qword [GP1 + 0xf00], 0x55
        mov qword [GP2 + 0xf00], 0x66
        mov rsi, GV1 + 0xff8
        xor r8d, r8d
        mov ecx, 40
.tg1:   mov rax, [rsi]
        add rax, [rsi + 8]              ; the next page
        add rax, [rsi + 16]
        add rax, [rsi - 0x18]
        add r8, rax
        dec ecx
        jnz .tg1
        CHECK64 r8, 40 * (0x11 + 0x22 + 0x33 + 0x44), "TLB group across a page boundary: each access reads its page"
        xor r8d, r8d
        mov ecx, 40
.tg2:   mov rax, [rsi]
        add rsi, 8                      ; GV2
        add rax, [rsi]
        sub rsi, 8
        mov rdi, GV1 + 0xf00
        add rax, [rdi]
        add rax, [rdi]
        mov rdx, rdi
        add rax, [rdx]
        mov dh, 0x9f                    ; GV2 + 0xf00
        add rax, [rdx]
        mov r10, GV1 + 0xf00
        add rax, [r10]
        push rdx                        ; GV2 + 0xf00
        pop r10
        add rax, [r10]
        add r8, rax
        dec ecx
        jnz .tg2
        CHECK64 r8, 40 * (0x11 + 0x22 + 0x55 * 4 + 0x66 * 2), "TLB group: the base register written (ADD, DH, POP) between two accesses"
        mov qword [GRO + 8], 0x77
        mov qword [GRW + 8], 0x77
        mov rax, cr0
        bts rax, 16                     ; WP: supervisor writes obey R/W
        mov cr0, rax
        mov qword [PT0 + (GRO >> 12) * 8], GRO | 1      ; read-only
        invlpg [GRO]
        mov rax, [GRO]                  ; in the TLB, for reading
        mov r9, GRO
        mov rbx, GRW
        xor r8d, r8d
        mov ecx, 40
        EXPECT64 .tg4d
.tg4:   mov rdi, rbx
        cmp ecx, 1
        cmove rdi, r9                   ; the read-only page the 40th time round
        mov rax, [rdi + 8]
.tg4s:  mov [rdi + 16], rax
        add r8, 1
        dec ecx
        jnz .tg4
.tg4d:  mov rax, cr0
        btr rax, 16
        mov cr0, rax
        CHECK64_FAULT 14, .tg4s, "TLB group: a store to a read-only page after a load from it: #PF", "the #PF's RIP is the store's"
        CHECK64 r8, 39, "TLB group: the rounds before the #PF ran"
        CHECK64 [GRW + 16], 0x77, "TLB group: the stores before the #PF were done"

        ; ---- TLB groups on the stack: PUSH, POP, CALL, RET and the ADD,
        ; SUB and LEA of RSP by a constant keep a group of RSP open, its
        ; later members' displacements counting the moves in; each access
        ; still reads and writes its own address (SDM vol.1 6.2)
        mov r15, rsp
        xor r8d, r8d
        mov ecx, 40
.ts1:   mov rsp, GV2 + 0x10             ; pushes down across into GV1
        mov eax, 0x101
        mov edx, 0x202
        mov edi, 0x303
        push rax                        ; GV2 + 8
        push rdx                        ; GV2
        push rdi                        ; GV1 + 0xff8
        pop r9
        pop r10
        pop r11
        imul r9, r9, 3
        add r8, r9
        add r8, r10
        add r8, r11
        dec ecx
        jnz .ts1
        mov rsp, r15
        CHECK64 r8, 40 * (0x303 * 3 + 0x202 + 0x101), "TLB group on the stack across a page boundary: POPs read what PUSHes wrote"
        CHECK64 [GP1 + 0xff8], 0x303, "TLB group on the stack: the PUSH into the page below went to its physical page"
        CHECK64 [GP2], 0x202, "TLB group on the stack: the PUSH into the page above went to its physical page"
        mov r15, rsp                    ; (CHECK64 does not keep R15)
        xor r8d, r8d
        mov ecx, 40
.ts2:   mov rsp, GV1 + 0x800
        lea rax, [rcx + 0x1000]
        lea rdx, [rcx + 0x2000]
        lea rdi, [rcx + 0x3000]
        push rax                        ; GV1 + 0x7f8
        sub rsp, 0x18                   ; 0x7e0
        mov [rsp + 8], rdx              ; 0x7e8
        lea rsp, [rsp + 0x10]           ; 0x7f0
        mov [rsp], rdi                  ; 0x7f0
        add rsp, 8                      ; 0x7f8
        pop r9                          ; rax
        mov r10, [GV1 + 0x7e8]
        mov r11, [GV1 + 0x7f0]
        mov rsi, GV1 + 0x900
        mov qword [rsi], rcx
        push rsi                        ; 0x7f8
        pop rsp                         ; GV1 + 0x900: the group ends
        pop rsi                         ; rcx, from GV1 + 0x900
        shl r9, 8
        add r8, r9
        shl r10, 4
        add r8, r10
        add r8, r11
        add r8, rsi
        dec ecx
        jnz .ts2
        mov rsp, r15
        CHECK64 r8, (0x1000 * 40 + 820) * 256 + (0x2000 * 40 + 820) * 16 + 0x3000 * 40 + 820 + 820, "TLB group on the stack: SUB, LEA, ADD RSP and POP RSP between its accesses"
        jmp .ts3s
.tsf:   push rbx                        ; ... its frame across into GV1
        push rbp
        sub rsp, 0x10
        mov [rsp + 8], rax
        lea rbp, [rax * 2]
        mov rbx, [rsp + 8]
        add rsp, 0x10
        lea rax, [rbp + rbx * 4 + 0x10]
        add rax, [rsp + 0x10]
        sub rax, [rsp + 0x10]
        pop rbp
        pop rbx
        ret
.ts3s:  mov r15, rsp                    ; (CHECK64 does not keep R15)
        xor r8d, r8d
        mov ecx, 40
.ts3:   mov rsp, GV2 + 0x10             ; the CALL's return address in GV2 ...
        mov eax, ecx
        call .tsf
        add r8, rax
        dec ecx
        jnz .ts3
        mov rsp, r15
        CHECK64 r8, 820 * 6 + 40 * 0x10, "TLB group on the stack: RET after PUSHes and POPs returns where CALL was"

        ; ---- a direct CALL to another page, whose mapping changes between
        ; two loops: the code of the page mapped now runs (SDM vol.3 4.10.4:
        ; after INVLPG the next fetch walks the tables; in tier 1 a block
        ; chained to one on another page checks that page's mapping)
        mov dword [RMPA], 0x000001b8    ; mov eax, 1
        mov word [RMPA + 4], 0xc300     ; ret
        mov dword [RMPB], 0x000002b8    ; mov eax, 2
        mov word [RMPB + 4], 0xc300
        mov qword [PT0 + (RMV >> 12) * 8], RMPA | 7
        invlpg [RMV]
        call rm_loop
        CHECK64 r8, 40, "direct CALL to another page: the mapped page's code"
        mov qword [PT0 + (RMV >> 12) * 8], RMPB | 7
        invlpg [RMV]
        call rm_loop
        CHECK64 r8, 80, "the same CALL after the page is remapped: the new page's code"
        mov qword [PT0 + (RMV >> 12) * 8], RMPA | 7
        invlpg [RMV]
        call rm_loop
        CHECK64 r8, 40, "and back: the first page's code"

        ; ---- the same load run again after its page's mapping changes:
        ; it reads the page mapped now, after INVLPG (SDM vol.3 4.10.4.1)
        ; and after a MOV to CR3 (a non-global page), and a not-present
        ; page faults (in tier 1 a load first tries a one-entry TLB of its
        ; own: jit.c's load sites)
        mov qword [RMPA + 0x100], 0x1111
        mov qword [RMPB + 0x100], 0x2222
        mov qword [RMPA + 0x108], 0x10
        mov qword [RMPB + 0x108], 0x20
        mov qword [PT0 + (RMV >> 12) * 8], RMPA | 3
        invlpg [RMV]
        call ld_loop
        CHECK64 r8, 40 * 0x1111, "a load in a loop: the mapped page's data"
        call ldg_loop
        CHECK64 r8, 40 * 0x1121, "two loads through one base in a loop (a TLB group): the mapped page's data"
        mov qword [PT0 + (RMV >> 12) * 8], RMPB | 3
        invlpg [RMV]
        call ld_loop
        CHECK64 r8, 40 * 0x2222, "the same load after INVLPG of a remapped page: the new page's data"
        call ldg_loop
        CHECK64 r8, 40 * 0x2242, "the same TLB group after INVLPG of a remapped page: the new page's data"
        mov qword [PT0 + (RMV >> 12) * 8], RMPA | 3
        mov rax, cr3
        mov cr3, rax
        call ld_loop
        CHECK64 r8, 40 * 0x1111, "the same load after a remap and MOV to CR3: the new page's data"
        call ldg_loop
        CHECK64 r8, 40 * 0x1121, "the same TLB group after a remap and MOV to CR3: the new page's data"
        mov qword [PT0 + (RMV >> 12) * 8], 0
        invlpg [RMV]
        xor r8d, r8d
        EXPECT64 .lsf_done
        call ld_loop
.lsf_done:
        CHECK64_FAULT 14, ld_loop.ld, "the same load after its page is unmapped: #PF", "the #PF's RIP is the load's"
        CHECK64 [rel exc64_cr2], RMV + 0x100, "the #PF's CR2 is the load's address"
        mov qword [PT0 + (RMV >> 12) * 8], RMPA | 7
        invlpg [RMV]
        ; a loads-only TLB group whose base walks across a page boundary
        ; (GV1, GV2: two pages mapped the other way round): its span
        ; fits one page, then crosses, then fits the next
        mov qword [PT0 + (GV1 >> 12) * 8], GP1 | 3
        mov qword [PT0 + (GV2 >> 12) * 8], GP2 | 3
        invlpg [GV1]
        invlpg [GV2]
        mov eax, 1
        mov rdi, GP1 + 0xfd0
.wsf:   mov [rdi], rax                  ; GV1 + 0xfd0.. : 1, 2, .. 6
        add rdi, 8
        inc eax
        cmp eax, 7
        jne .wsf
        mov qword [GP2], 100
        mov qword [GP2 + 8], 200
        mov qword [GP2 + 16], 300
        xor r8d, r8d
        mov rsi, GV1 + 0xfd0
        mov ecx, 8
.ws:    mov rax, [rsi]
        mov rdx, [rsi + 8]
        add r8, rax
        add r8, rdx
        add rsi, 8
        dec ecx
        jnz .ws
        CHECK64 r8, 3 + 5 + 7 + 9 + 11 + 106 + 300 + 500, "a TLB group whose base walks across a page boundary: each access reads its page"

        ; the same FS-relative load after FS.base moves to another page
        ; (the offset alone is a mapped page with other data)
        mov ecx, MSR_FSBASE
        mov eax, (RMV - RMPB) & 0xffffffff
        mov edx, 0xffffffff
        wrmsr
        mov rax, [RMPB + 0x100]         ; the offset's own page in the TLB
        call ld_fs_loop
        CHECK64 r8, 40 * 0x1111, "an FS-relative load in a loop: the data at FS.base + offset"
        mov ecx, MSR_FSBASE
        xor eax, eax
        xor edx, edx
        wrmsr
        call ld_fs_loop
        CHECK64 r8, 40 * 0x2222, "the same load after FS.base moves to another page: the data there"

        ; ---- forward JMPs inside a hot loop (in tier 1 one block goes on
        ; at a forward JMP's target in its page: exec.c tb_gen): the code
        ; at the targets runs, the code jumped over does not, and a fault
        ; after such a JMP reports its own RIP and the state before it
        xor r8d, r8d
        mov ecx, 40
.sb1:   add r8, 1
        jmp .sb2
        add r8, 100                 ; jumped over
.sb2:   add r8, 2
        jmp short .sb3
        ud2
.sb3:   dec ecx
        jnz .sb1
        CHECK64 r8, 120, "forward JMPs in a loop: the code at their targets runs, not the code between"
        mov r9, 0x0000800000000000  ; non-canonical
        lea rsi, [rel scratch16]
        xor r8d, r8d
        mov ecx, 40
        EXPECT64 .sbf_done
.sbf:   mov rdi, rsi
        add r8, 1
        cmp ecx, 1
        cmove rdi, r9
        jmp .sbf2
        nop
.sbf2:  mov rax, [rdi]              ; #GP the 40th time round
        dec ecx
        jnz .sbf
.sbf_done:
        mov rbx, rcx
        CHECK64_FAULT 13, .sbf2, "a load after a forward JMP faults: #GP", "the fault's RIP is the load's, at the JMP's target"
        CHECK64 r8, 40, "the state at the fault: the instructions before it ran"
        CHECK64 rbx, 1, "the state at the fault: the ones after it did not"

        ; ---- JMP r/m64 in a hot loop, through a register and through a
        ; table in memory; one to a non-canonical address raises #GP at
        ; the JMP with the state before it (SDM vol.2 JMP: "#GP(0) if the
        ; target offset is non-canonical")
        xor r8d, r8d
        mov ecx, 40
.ji1:   lea rax, [rel ..@ji_t2]
        jmp rax
        ud2
..@ji_t2:  add r8, 1
        lea rdx, [rel ji_table]
        jmp [rdx + 8]               ; to ..@ji_t3
        ud2
..@ji_t3:  add r8, 2
        dec ecx
        jnz .ji1
        CHECK64 r8, 120, "JMP r64 and JMP m64 in a loop reach their targets"
        mov r9, 0x0000800000000000
        xor r8d, r8d
        mov ecx, 40
        EXPECT64 .jig_done
.jig:   lea rax, [rel .jig2]
        cmp ecx, 1
        cmove rax, r9
        add r8, 1
.jigj:  jmp rax                     ; #GP the 40th time round
.jig2:  dec ecx
        jnz .jig
.jig_done:
        mov rbx, rcx
        CHECK64 [rel exc64_vec], 13, "JMP r64 to a non-canonical address: #GP"
        lea rax, [rel .jigj]
        CHECK64_TODO [rel exc64_rip], rax, "the #GP's RIP is the JMP's", "qemu-tcg 7.2 reports the target (it faults on the fetch)"
        CHECK64 r8, 40, "the state at the #GP: the instructions before it ran"
        CHECK64 rbx, 1, "the state at the #GP: the ones after it did not"

        ; ---- CALL r/m64 in a hot loop, through a register and through
        ; memory; one to a non-canonical address raises #GP before it
        ; pushes anything (SDM vol.2 CALL: the target is checked, then
        ; the return address pushed)
        xor r8d, r8d
        mov ecx, 40
        lea rsi, [rel .cft]
        mov [rel scratch16], rsi
        mov r10, rsp
.cf1:   call rsi
        mov r11, rsp
        call [rel scratch16]
        dec ecx
        jnz .cf1
        CHECK64 r8, 40 * 2 * 3, "CALL r64 and CALL m64 in a loop reach their targets and return"
        CHECK64 r11, r10, "CALL r/m64 and RET: RSP as before"
        mov rax, 0x0000800000000000
        xor r8d, r8d
        mov ecx, 40
        EXPECT64 .cfg_done
.cfg:   mov r11, rsp
        cmp ecx, 1
        cmove rsi, rax
.cfgc:  call rsi                    ; #GP the 40th time round
        dec ecx
        jnz .cfg
.cfg_done:
        mov rbx, rcx
        CHECK64 [rel exc64_vec], 13, "CALL r64 to a non-canonical address: #GP"
        lea rax, [rel .cfgc]
        CHECK64_TODO [rel exc64_rip], rax, "the #GP's RIP is the CALL's", "qemu-tcg 7.2 pushes and reports the target (it faults on the fetch)"
        CHECK64 r8, 39 * 3, "the state at the #GP: the calls before it ran"
        CHECK64 rbx, 1, "the state at the #GP: the ones after it did not"
        CHECK64_TODO r11, rsp, "the state at the #GP: RSP as before the CALL", "qemu-tcg 7.2 pushes and reports the target (it faults on the fetch)"
        jmp .cf_done
.cft:   add r8, 3
        ret
.cf_done:

        ; ---- SSE in a hot loop while CR0.TS changes between two SSE
        ; instructions: the second raises #NM the time TS is set (SDM
        ; vol.3 13.1), whatever the first one found
        mov rax, cr4
        or rax, 0x200               ; OSFXSR
        mov cr4, rax
        mov r10, cr0
        and r10, ~0xc               ; EM, TS clear
        mov cr0, r10
        mov r11, r10
        or r11, 8                   ; TS
        xor r8d, r8d
        mov ecx, 40
        EXPECT64 .nm_done
.nm:    movdqu xmm0, [rel scratch16]
        mov rax, r10
        cmp ecx, 1
        cmove rax, r11
        mov cr0, rax                ; TS the 40th time round
.nm2:   movdqu xmm1, [rel scratch16]
        add r8, 1
        dec ecx
        jnz .nm
.nm_done:
        mov rbx, rcx
        clts
        CHECK64_FAULT 7, .nm2, "SSE after MOV CR0 sets TS in a hot loop: #NM", "the #NM's RIP is the second MOVDQU's"
        CHECK64 r8, 39, "the iterations before TS was set ran"
        CHECK64 rbx, 1, "the #NM came on the 40th"

        ; ---- scalar SSE and shuffles in a hot loop (tier 1 runs MOVSS/
        ; MOVSD, PSHUFD/LW/HW and, with MXCSR at its power-on value but
        ; for flags, the scalar arithmetic, (U)COMISS/SD and CVTSI2SS/SD
        ; as host instructions): results, EFLAGS and MXCSR flags (SDM vol.2
        ; ADDSD..UCOMISD, vol.1 11.5), an operand across a page boundary,
        ; and another rounding mode
        mov dword [GP1 + 0xffc], 0      ; GV1 + 0xffc: the double 3.0, its high
        mov dword [GP2], 0x40080000     ; half in the next (reversed) page
        mov dword [GRW + 0x100], 0x1f80
        ldmxcsr [GRW + 0x100]
        xor r8d, r8d
        mov ecx, 40
.sf1:   mov eax, 1
        cvtsi2sd xmm0, eax
        movsd xmm1, [GV1 + 0xffc]
        divsd xmm0, xmm1
        mulsd xmm0, xmm1
        addsd xmm0, xmm1
        sqrtsd xmm2, xmm0
        movsd [GRW + 0x108], xmm2
        mov rax, 0x123456789
        cvtsi2sd xmm3, rax
        subsd xmm3, xmm1
        movq r9, xmm3
        comisd xmm3, xmm1
        pushfq
        pop r10
        and r10d, 0x8d5
        add r8, r10
        dec ecx
        jnz .sf1
        stmxcsr [GRW + 0x100]
        CHECK64 [GRW + 0x108], 0x4000000000000000, "SSE: CVTSI2SD r32, MOVSD across pages, DIVSD, MULSD, ADDSD, SQRTSD, MOVSD m64: sqrt(1/3*3+3) = 2.0"
        CHECK64 r9, 0x41f2345678600000, "SSE: CVTSI2SD r64, SUBSD"
        CHECK64 r8, 0, "SSE: COMISD of a greater number: ZF PF CF OF SF AF clear"
        mov eax, [GRW + 0x100]
        CHECK64 rax, 0x1f80 | 0x20, "SSE: MXCSR has PE (from 1/3), nothing else"
        mov dword [GRW + 0x100], 0x1f80
        ldmxcsr [GRW + 0x100]
        xor r8d, r8d
        mov ecx, 40
.sf2:   ldmxcsr [GRW + 0x100]           ; no flags
        mov rax, 0x7ff8000000000000     ; a quiet NaN
        movq xmm4, rax
        mov eax, 2
        cvtsi2ss xmm5, eax
        ucomisd xmm4, xmm4
        pushfq
        pop r10
        and r10d, 0x8d5
        add r8, r10
        stmxcsr [GRW + 0x104]
        mov r11d, [GRW + 0x104]
        ucomiss xmm5, xmm5
        pushfq
        pop r10
        and r10d, 0x8d5
        shl r10d, 8
        add r8, r10
        comisd xmm4, xmm5
        dec ecx
        jnz .sf2
        stmxcsr [GRW + 0x104]
        CHECK64 r8, 40 * (0x45 + 0x4000), "SSE: UCOMISD of a NaN: ZF PF CF; UCOMISS of equals: ZF"
        CHECK64 r11, 0x1f80, "SSE: UCOMISD of a quiet NaN raises no MXCSR flag"
        mov eax, [GRW + 0x104]
        CHECK64 rax, 0x1f81, "SSE: COMISD of a quiet NaN raises IE"
        mov dword [GRW + 0x100], 0x5f80 ; RC: up
        ldmxcsr [GRW + 0x100]
        mov ecx, 40
.sf3:   mov eax, 2
        cvtsi2sd xmm0, eax
        mov eax, 3
        cvtsi2sd xmm1, eax
        divsd xmm0, xmm1
        movq r9, xmm0
        dec ecx
        jnz .sf3
        mov dword [GRW + 0x100], 0x1f80
        ldmxcsr [GRW + 0x100]
        CHECK64 r9, 0x3fe5555555555556, "SSE: DIVSD with MXCSR.RC up: 2/3 rounded up"
        mov qword [GP1 + 0xff8], 0
        mov qword [GP2], 0
        mov ecx, 40
.sf4:   mov rax, 0x1111222233334444
        movq xmm5, rax
        mov rax, 0x5555666677778888
        movq xmm8, rax
        punpcklqdq xmm5, xmm8
        movdqa xmm7, xmm5
        pshufd xmm6, xmm5, 0x1b
        movq r9, xmm6
        movss xmm6, xmm5
        movq r10, xmm6
        movdqu [GRW + 0x110], xmm5
        movss xmm7, [GRW + 0x118]
        movdqu [GRW + 0x120], xmm7
        pshuflw xmm9, xmm5, 0x1b
        movq rdi, xmm9
        pshufhw xmm9, xmm5, 0x1b
        pshufd xmm9, xmm9, 0xee
        movq rsi, xmm9
        movsd [GV1 + 0xffe], xmm6       ; across the pages
        dec ecx
        jnz .sf4
        CHECK64 r9, 0x7777888855556666, "SSE: PSHUFD"
        CHECK64 r10, 0x7777888833334444, "SSE: MOVSS xmm, xmm writes the low dword only"
        CHECK64 [GRW + 0x120], 0x77778888, "SSE: MOVSS xmm, m32 loads the low dword ..."
        CHECK64 [GRW + 0x128], 0, "SSE: ... and zeroes the rest"
        CHECK64 rdi, 0x4444333322221111, "SSE: PSHUFLW"
        CHECK64 rsi, 0x8888777766665555, "SSE: PSHUFHW"
        CHECK64 [GP1 + 0xff8], 0x4444000000000000, "SSE: MOVSD m64 across pages: its first bytes to the first page"
        CHECK64 [GP2], 0x777788883333, "SSE: ... the rest to the second"
        mov qword [GRW + 0x138], 0
        mov ecx, 40
.sq1:   mov rax, 0x8000000180000002
        movq xmm10, rax
        movq [GRW + 0x130], xmm10       ; 66 0F D6
        movd xmm11, [GRW + 0x130]       ; 66 0F 6E: the low dword, the rest zeroed
        movd [GRW + 0x138], xmm11       ; 66 0F 7E: a dword
        movq xmm12, [GRW + 0x130]       ; F3 0F 7E
        psrad xmm12, 1
        psrlq xmm12, 4
        movq r9, xmm12
        movdqu [GRW + 0x140], xmm11
        dec ecx
        jnz .sq1
        CHECK64 [GRW + 0x138], 0x80000002, "SSE: MOVQ m64, xmm; MOVD xmm, m32; MOVD m32, xmm"
        CHECK64 [GRW + 0x148], 0, "SSE: MOVD xmm, m32 zeroes the rest"
        CHECK64 r9, 0x0c0000000c000000, "SSE: MOVQ xmm, m64; PSRAD, PSRLQ by an immediate"
        mov rax, cr4
        or rax, 0x400                   ; OSXMMEXCPT
        mov cr4, rax
        mov dword [GRW + 0x100], 0x1d80 ; ZE unmasked
        ldmxcsr [GRW + 0x100]
        xor r8d, r8d
        mov ecx, 40
        EXPECT64 .sf5d
.sf5:   mov eax, 1
        cvtsi2sd xmm0, eax
        xor edx, edx
        cmp ecx, 1
        cmovne edx, eax                 ; 1.0, or 0.0 the 40th time
        cvtsi2sd xmm1, edx
.sf5x:  divsd xmm0, xmm1
        add r8, 1
        dec ecx
        jnz .sf5
.sf5d:  mov dword [GRW + 0x100], 0x1f80
        ldmxcsr [GRW + 0x100]
        mov rax, cr4
        and rax, ~0x400
        mov cr4, rax
        CHECK64_TODO [rel exc64_vec], 19, "SSE: DIVSD by 0 with ZE unmasked: #XM", "qemu-tcg 7.2 raises no SIMD floating-point exception"
        lea rax, [rel .sf5x]
        CHECK64_TODO [rel exc64_rip], rax, "the #XM's RIP is the DIVSD's", "qemu-tcg 7.2 raises no SIMD floating-point exception"
        CHECK64_TODO r8, 39, "SSE: the rounds before the #XM ran", "qemu-tcg 7.2 raises no SIMD floating-point exception"

        ; ---- BSF/BSR in a hot loop (SDM vol.2 BSF, BSR: the index of the
        ; lowest/highest set bit, ZF = the source is 0)
        xor r8d, r8d
        mov ecx, 40
.bs1:   xor esi, esi
        bsf rax, rsi
        setz r9b
        mov edi, 0x90
        bsr rdx, rdi
        setz r10b
        bsf edi, edi
        mov r11, 0x8000000000000000
        bsr r11, r11
        add r8, rdx
        add r8, rdi
        add r8, r11
        dec ecx
        jnz .bs1
        CHECK64 r8, 40 * (7 + 4 + 63), "BSF/BSR of 32 and 64 bits: the bit's index"
        movzx eax, r9b
        CHECK64 rax, 1, "BSF of 0: ZF"
        movzx eax, r10b
        CHECK64 rax, 0, "BSR of a number: ZF clear"

        ; ---- DIV with its divisor in memory and TEST m32, imm in a hot
        ; loop; DIV m64 by 0: #DE at the DIV (SDM vol.2 DIV, TEST)
        mov qword [GRW + 0x150], 7
        mov dword [GRW + 0x158], 0x80
        xor r8d, r8d
        mov ecx, 40
.dv1:   imul eax, ecx, 1000
        xor edx, edx
        div qword [GRW + 0x150]
        add r8, rax
        add r8, rdx
        test dword [GRW + 0x158], 0x80
        setnz al
        movzx eax, al
        add r8, rax
        test dword [GRW + 0x158], 0x7f
        setz al
        movzx eax, al
        add r8, rax
        dec ecx
        jnz .dv1
        CHECK64 r8, 117330, "DIV m64 and TEST m32, imm in a loop: quotients, remainders, ZF"
        mov qword [GRW + 0x160], 3
        xor r8d, r8d
        mov ecx, 40
        EXPECT64 .dv2d
.dv2:   cmp ecx, 1
        jne .dv2n
        mov qword [GRW + 0x160], 0
.dv2n:  mov eax, 100
        xor edx, edx
.dv2x:  div qword [GRW + 0x160]
        add r8, rax
        dec ecx
        jnz .dv2
.dv2d:  CHECK64_FAULT 0, .dv2x, "DIV m64 by 0: #DE", "the #DE's RIP is the DIV's"
        CHECK64 r8, 39 * 33, "DIV m64 by 0: the rounds before it ran"

        ; ---- a loop in one block that runs past the slice's budget (a
        ; million instructions): tier 1 keeps the loop's registers in host
        ; registers on its way back and writes them back only on its ways
        ; out -- the budget's exit among them, after which the loop
        ; re-enters from env
        xor r8d, r8d
        xor r9d, r9d
        mov ecx, 3000000
.lb1:   add r8, rcx
        lea r9, [r9 + 3]
        dec ecx
        jnz .lb1
        CHECK64 r8, 3000000 * 3000001 / 2, "a loop past the slice's budget: the sum of every round"
        CHECK64 r9, 3 * 3000000, "a loop past the slice's budget: every round counted"

        ; ---- SHRD/SHLD of registers in a hot loop, by an immediate and by
        ; CL, 64 and 32 bits (SDM vol.2 SHRD, SHLD: CF the last bit out)
        mov ecx, 40
.sd1:   mov rax, 0x8000000000000009
        mov rdx, 3
        shrd rax, rdx, 4
        setc r9b
        mov rsi, 0xffffffff70000001
        mov edi, 0xabcd0000
        mov r11, rcx
        mov ecx, 8
        shld esi, edi, cl
        setc r10b
        mov rcx, r11
        dec ecx
        jnz .sd1
        CHECK64 rax, 0x3800000000000000, "SHRD r64, r64, 4"
        movzx eax, r9b
        CHECK64 rax, 1, "SHRD r64, r64, 4: CF = bit 3"
        CHECK64 rsi, 0x1ab, "SHLD r32, r32, CL: zero-extended"
        movzx eax, r10b
        CHECK64 rax, 0, "SHLD r32, r32, 8: CF = bit 24"

        ; ---- BT/BTS/BTR/BTC in a hot loop: of registers by an immediate
        ; and by a register, of memory by an immediate; CF the bit
        ; (SDM vol.2 BT..BTC)
        mov qword [GRW + 0x180], 0x10
        xor r8d, r8d
        mov ecx, 40
.bt1:   mov rax, 0x8000000000000001
        bts rax, 4                      ; 0x8000000000000011
        setnc r9b
        btr rax, 63                     ; 0x11, CF
        setc r10b
        mov edx, 0xf0
        mov esi, 36
        btc rdx, rsi                    ; 0x10000000f0
        bt edx, 4
        setc r11b
        bts qword [GRW + 0x180], 8      ; 0x110
        test ecx, 1
        jz .bt2
        invlpg [GRW + 0x180]            ; every other round: through the slow path
.bt2:   btr qword [GRW + 0x180], 8      ; 0x10, CF
        adc r8, rax
        add r8, rdx
        bt dword [GRW + 0x180], 4
        adc r8, 0
        dec ecx
        jnz .bt1
        CHECK64 r8, 40 * (1 + 0x11 + 0x10000000f0 + 1), "BT/BTS/BTR/BTC of registers and memory: values and CF"
        movzx eax, r9b
        CHECK64 rax, 1, "BTS r64, imm of a clear bit: CF clear"
        movzx eax, r10b
        CHECK64 rax, 1, "BTR r64, imm of a set bit: CF set"
        movzx eax, r11b
        CHECK64 rax, 1, "BT r32, imm: CF set"
        CHECK64 [GRW + 0x180], 0x10, "BTS then BTR m64, imm: the bit back"

        ; ---- 8/16-bit ALU on memory in a hot loop: the byte or word
        ; written, nothing beside it, SF and CF of the operation
        mov qword [GRW + 0x190], 0
        mov ecx, 40
.ab1:   mov byte [GRW + 0x190], 0x0f
        mov byte [GRW + 0x191], 0x77
        mov dl, 0xf0
        or [GRW + 0x190], dl            ; 0xff: SF
        sets r9b
        and byte [GRW + 0x190], 0x3c
        mov word [GRW + 0x192], 5
        sub word [GRW + 0x192], 6       ; 0xffff: CF
        setc r10b
        dec ecx
        jnz .ab1
        CHECK64 [GRW + 0x190], 0xffff773c, "OR m8, r8; AND m8, imm8; SUB m16, imm: the bytes written"
        movzx eax, r9b
        CHECK64 rax, 1, "OR m8, r8 to 0xff: SF"
        movzx eax, r10b
        CHECK64 rax, 1, "SUB m16 of 6 from 5: CF"

        ; ---- [LOCK] CMPXCHG m32/m64, r in a hot loop: the store when the
        ; accumulator matches, else the accumulator loaded (a 32-bit one
        ; zero-extended; on a match RAX is not written), ZF, and CF of
        ; the comparison (SDM vol.2 CMPXCHG)
        mov qword [GRW + 0x170], 5
        xor r8d, r8d
        mov ecx, 40
.cx1:   mov rax, 5
        mov rdx, 9
        lock cmpxchg [GRW + 0x170], rdx ; 5 = 5: stores 9
        setz r9b
        add r8, [GRW + 0x170]
        mov rax, 4
        lock cmpxchg [GRW + 0x170], rdx ; 4 < 9: RAX = 9, CF
        setc r10b
        add r8, rax
        mov rax, 0x7700000009
        mov edx, 3
        cmpxchg [GRW + 0x170], edx      ; 9 = 9 (32 bits): stores 3, RAX kept
        mov r11, rax
        mov qword [GRW + 0x170], 5
        dec ecx
        jnz .cx1
        CHECK64 r8, 40 * 18, "CMPXCHG m64: a match stores, a mismatch loads the accumulator"
        movzx eax, r9b
        CHECK64 rax, 1, "CMPXCHG m64: ZF on a match"
        movzx eax, r10b
        CHECK64 rax, 1, "CMPXCHG m64: CF of the comparison (4 below 9)"
        CHECK64 r11, 0x7700000009, "CMPXCHG m32 that matches leaves RAX's upper half"
        mov qword [GRW + 0x178], 0x11
        xor r8d, r8d
        mov ecx, 40
.xc1:   mov rdx, 0x1234567800000022
        xchg [GRW + 0x178], rdx         ; RDX = 0x11 (then 0x33), memory = RDX
        add r8, rdx
        mov rsi, 0xffffffff00000033
        xchg [GRW + 0x178], esi         ; ESI = the low half of 0x1234567800000022, zero-extended
        add r8, rsi
        mov r9, [GRW + 0x178]
        dec ecx
        jnz .xc1
        CHECK64 r8, 0x11 + 39 * 0x1234567800000033 + 40 * 0x22, "XCHG m64 and m32, r: each gets the other's value"
        CHECK64 r9, 0x1234567800000033, "XCHG m32, r32: the low half of memory written"

        ; ---- a Jcc after a CMP and register MOVs, LEA, MOV r, imm between
        ; them (tier 1 carries the condition past those): both ways
        xor r8d, r8d
        xor r9d, r9d
        mov ecx, 40
.cj:    cmp ecx, 20
        lea r8, [r8 + 1]
        mov rax, r8
        mov edx, 7
        jae .cj2                    ; 40..20 taken, 19..1 not
        add r9, rdx
.cj2:   mov r10, -5
        cmp r10, rcx
        mov r11, r10
        jl .cj3                     ; signed: always taken
        add r9, 1000
.cj3:   dec ecx
        jnz .cj
        CHECK64 r8, 40, "CMP; LEA; MOV; MOV; JAE in a loop: every round"
        CHECK64 r9, 19 * 7, "CMP; LEA; MOV; MOV; JAE: taken 21 times, not 19; JL after MOV taken"

        ; ---- a loop of two blocks, each left at the other's Jcc: the
        ; blocks that start at .rl2 and at .rli go on at the target of
        ; their JNZ back to .rl1, below their start (DF_SIDE_TAKEN), and
        ; leave there when it is not taken.  Then the ADD at .rl1 is
        ; rewritten: the blocks that hold it below their start go with it.
        mov ebx, 7
.rlp:   xor r8d, r8d
        xor r9d, r9d
        mov ecx, 50
.rl1:   add r8d, byte 7             ; its imm8 at .rl1 + 3
        test ecx, 1
        jnz .rl2                    ; odd
.rli:   add r9, 3
.rl2:   dec ecx
        jnz .rl1
        cmp ebx, 9
        je .rld
        CHECK64 r8, 50 * 7, "a loop through the JNZ back of blocks below their start: every round"
        CHECK64 r9, 25 * 3, "a loop through the JNZ back of blocks below their start: even rounds"
        CHECK64 rcx, 0, "a loop through the JNZ back: left when not taken"
        mov byte [rel .rl1 + 3], 9
        mov ebx, 9
        jmp .rlp
.rld:   CHECK64 r8, 50 * 9, "a store below a block's start, into the code it goes on at, drops it"
        CHECK64 r9, 25 * 3, "the loop again after the store: even rounds"

        ; ---- INC then a CMP with a memory operand that faults: the fault
        ; shows the INC's flags (ZF, PF, AF from the INC, CF kept from the
        ; CMP before it), though nothing else ever reads them
        mov r9, 0x0000800000000000
        lea rsi, [rel scratch16]
        mov byte [rsi], 1
        mov r12d, 1
        mov r13d, 2
        xor r8d, r8d
        mov ecx, 40
        EXPECT64 .idf_done
.idf:   mov rdi, rsi
        cmp ecx, 1
        cmove rdi, r9
        mov rdx, -1
        cmp r12, r13                ; CF = 1
        inc rdx                     ; 0: ZF PF AF, CF kept
.idfc:  cmp byte [rdi], 0           ; #GP the 40th time round
        add r8, 1
        dec ecx
        jnz .idf
.idf_done:
        mov rbx, rcx
        CHECK64_FAULT 13, .idfc, "CMP m8 after INC faults: #GP", "the #GP's RIP is the CMP's"
        mov rax, [rel exc64_rflags]
        and eax, 0x8d5
        CHECK64 rax, 0x55, "the flags at the #GP are the INC's: CF kept, ZF PF AF, not SF OF"
        CHECK64 r8, 39, "the rounds before the #GP ran"

        ; ---- the sixteen conditions of an INC and a DEC record, read in
        ; the next block (a called one): tier 1 computes them inline
        ; from the record the block bets on, CF from the kept carry
        mov ecx, 40
.icc:   push rcx
        mov rdx, 0x7fffffffffffffff
        stc
        inc rdx                     ; OF SF PF, CF kept (1), not ZF
        call cc_lo
        call pack8
        mov ebx, eax
        mov rdx, 0x7fffffffffffffff
        stc
        inc rdx
        call cc_hi
        call pack8
        shl eax, 8
        or ebx, eax
        mov rdx, 1
        clc
        dec rdx                     ; ZF PF, CF kept (0)
        call cc_lo
        call pack8
        mov esi, eax
        mov rdx, 1
        clc
        dec rdx
        call cc_hi
        call pack8
        shl eax, 8
        or esi, eax
        pop rcx
        dec ecx
        jnz .icc
        CHECK64 rbx, 0xa565, "INC record: O NO B AE E NE BE A S NS P NP L GE LE G"
        CHECK64 rsi, 0x665a, "DEC record: O NO B AE E NE BE A S NS P NP L GE LE G"

        ; ---- 64-bit ALU and flags
        mov rax, 0x8000000000000000
        add rax, rax
        pushfq
        pop rbx
        and ebx, EFL_CF | EFL_ZF | EFL_OF | EFL_SF
        CHECK64 rax, 0, "ADD r64: result"
        CHECK64 rbx, EFL_CF | EFL_ZF | EFL_OF, "ADD r64: CF ZF OF"
        mov rax, 0x7fffffffffffffff
        add rax, 1
        pushfq
        pop rbx
        and ebx, EFL_CF | EFL_ZF | EFL_OF | EFL_SF
        CHECK64 rbx, EFL_SF | EFL_OF, "ADD r64 signed overflow: SF OF"
        mov rax, 0x123456789abcdef0
        mov rbx, rax
        CHECK64 rbx, 0x123456789abcdef0, "MOV r64, imm64"
        mov rax, -1
        mov eax, 1
        CHECK64 rax, 1, "32-bit result zero-extends into RAX"
        mov rax, -1
        mov ax, 1
        mov rbx, 0xffffffffffff0001
        CHECK64 rax, rbx, "16-bit result merges"
        mov rax, 0x100000000
        mov rcx, 0x300000000
        mul rcx
        CHECK64 rdx, 3, "MUL r64: RDX"
        CHECK64 rax, 0, "MUL r64: RAX"
        mov rdx, 1
        xor eax, eax
        mov rcx, 0x10
        div rcx
        mov rbx, 0x1000000000000000
        CHECK64 rax, rbx, "DIV r64: quotient of RDX:RAX"
        mov rax, -7
        cqo
        CHECK64 rdx, -1, "CQO"
        mov eax, 0x80000000
        cdqe
        mov rbx, 0xffffffff80000000
        CHECK64 rax, rbx, "CDQE"
        mov dword [rel scratch16], -2
        movsxd rax, dword [rel scratch16]
        CHECK64 rax, -2, "MOVSXD"
        mov rax, 1
        shl rax, 63
        sar rax, 62
        CHECK64 rax, -2, "SHL/SAR r64 by 63/62"
        mov rax, 0x8000000000000001
        rol rax, 1
        CHECK64 rax, 3, "ROL r64"
        mov rax, 0x0102030405060708
        bswap rax
        mov rbx, 0x0807060504030201
        CHECK64 rax, rbx, "BSWAP r64"
        mov rax, 0x100000000
        bsf rcx, rax
        CHECK64 rcx, 32, "BSF r64"
        mov rax, 5
        mov rcx, 3
        imul rax, rcx
        CHECK64 rax, 15, "IMUL r64, r64"
        mov rsi, 0x1111111111111111
        mov rdi, rsi
        std
        cld
        mov rcx, 2
        lea rdi, [rel scratch16]
        mov rax, 0xaaaaaaaabbbbbbbb
        rep stosq
        CHECK64 rcx, 0, "REP STOSQ: RCX"
        mov rax, [rel scratch16 + 8]
        mov rbx, 0xaaaaaaaabbbbbbbb
        CHECK64 rax, rbx, "REP STOSQ stores 8 bytes per element"

        ; ---- CMPXCHG16B (CX16), LAHF in 64-bit mode (LAHF_LM)
        lea rsi, [rel cx16_area]
        mov qword [rsi], 1
        mov qword [rsi + 8], 2
        mov eax, 1
        mov edx, 2
        mov ebx, 3
        mov ecx, 4
        lock cmpxchg16b [rsi]
        mov r8, 0
        setz r8b
        CHECK64 r8, 1, "CMPXCHG16B equal: ZF"
        CHECK64 [rel cx16_area], 3, "CMPXCHG16B equal: stores RBX"
        CHECK64 [rel cx16_area + 8], 4, "CMPXCHG16B equal: stores RCX"
        mov eax, 7
        lock cmpxchg16b [rsi]
        CHECK64 rax, 3, "CMPXCHG16B not equal: loads RAX"
        CHECK64 rdx, 4, "CMPXCHG16B not equal: loads RDX"
        EXPECT64 .cx_gp
        cmpxchg16b [rsi + 8]
.cx_gp: CHECK64 [rel exc64_vec], 13, "CMPXCHG16B on a misaligned operand: #GP"
        xor eax, eax
        stc
        lahf
        shr eax, 8
        and eax, 1
        CHECK64 rax, 1, "LAHF in 64-bit mode"

        ; ---- MOV CR8 (TPR) and RDTSCP
        mov rax, 5
        mov cr8, rax
        mov rbx, cr8
        CHECK64 rbx, 5, "MOV CR8 round trip"
        xor eax, eax
        mov cr8, rax
        EXPECT64 .cr8_gp
        mov rax, 0x10
        mov cr8, rax
.cr8_gp: CHECK64 [rel exc64_vec], 13, "MOV CR8 with reserved bits: #GP"
        ; ---- CR4.MCE is writable when CPUID.1:EDX.MCE (bit 7) is set;
        ; Linux sets it as soon as it sees MCE (SDM 2.5, 15.10.1)
        mov eax, 1
        cpuid
        shr edx, 7
        and edx, 1
        CHECK64 rdx, 1, "CPUID.1:EDX.MCE"
        mov rax, cr4
        mov rbx, rax
        or rax, 1 << 6
        mov cr4, rax
        mov rax, cr4
        mov cr4, rbx
        shr rax, 6
        and eax, 1
        CHECK64 rax, 1, "MOV CR4 sets CR4.MCE"
        mov ecx, 0xc0000103
        mov eax, 0x1234
        xor edx, edx
        wrmsr
        rdtscp
        CHECK64 rcx, 0x1234, "RDTSCP: ECX = IA32_TSC_AUX"

        ; ---- REX registers
        mov r8, 0
        mov r8b, 0xff
        CHECK64 r8, 0xff, "MOV R8B"
        mov rsi, 0x1100
        mov sil, 0x22
        CHECK64 rsi, 0x1122, "MOV SIL (REX byte register, not DH)"
        mov rdx, 0
        mov rsi, 0
        mov rax, 0x3300
        db 0x88, 0xe6               ; mov dh, ah (no REX)
        CHECK64 rdx, 0x3300, "MOV DH, AH without REX"
        mov r15, 0x0f0f
        mov r9, 0xf0f0
        add r9, r15
        CHECK64 r9, 0xffff, "ADD R9, R15"
        mov r12, rsp
        mov spl, 0x00
        mov rbx, rsp
        mov rsp, r12
        mov rax, r12
        and rax, ~0xff
        CHECK64 rbx, rax, "MOV SPL"
        mov rax, 1
        mov r8, 2
        db 0x49, 0x90               ; xchg r8, rax: not a NOP
        CHECK64 rax, 2, "XCHG R8, RAX (49 90)"
        lea r13, [r8 + r8 * 4 + 3]
        CHECK64 r13, 8, "LEA with REX base and index"

        ; ---- RIP-relative addressing
        lea rax, [rel rip_target]
        mov rbx, rip_target
        CHECK64 rax, rbx, "LEA [RIP+disp]"
        mov eax, [rel rip_data]
        CHECK64 rax, 0x5a5aa5a5, "MOV r32, [RIP+disp]"
        mov dword [rel rip_data2], 0x13572468   ; disp counts from after the imm32
        mov eax, [rip_data2]
        CHECK64 rax, 0x13572468, "MOV [RIP+disp], imm32"

        ; ---- stack: 64-bit push/pop/call/ret
        mov rbx, rsp
        push rbx
        mov rcx, rsp
        pop rdx
        sub rbx, rcx
        CHECK64 rbx, 8, "PUSH r64 moves RSP by 8"
        mov rax, 0xdeadbeefcafebabe
        push rax
        pop rdx
        CHECK64 rdx, rax, "PUSH/POP r64"
        push -1
        pop rax
        CHECK64 rax, -1, "PUSH imm8 sign-extends to 64 bits"
        mov rbx, rsp
        call .callee
.ret_addr:
        jmp .after_call
.callee:
        mov rcx, [rsp]
        ret
.after_call:
        lea rax, [rel .ret_addr]
        CHECK64 rcx, rax, "CALL pushes a 64-bit return address"
        CHECK64 rsp, rbx, "RET pops 8 bytes"

        ; ---- far CALL m16:64 and far RET with REX.W
        mov rbx, rsp
        db 0x48, 0xff, 0x1d         ; call far [rip+disp32], m16:64
        dd farptr64 - ($ + 4)
        CHECK64 [rel lcall_hit], 1, "far CALL m16:64 reaches its 64-bit target"
        CHECK64 [rel lcall_cs], SEL_CS64, "far CALL pushes CS as a quadword"
        CHECK64 rsp, rbx, "RETFQ pops RIP and CS (16 bytes)"

        ; ---- #PF with NX: fetch from a present NX page
        EXPECT64 .nx_done
        mov rax, NXPAGE
        call rax
.nx_done:
        CHECK64 [rel exc64_vec], 14, "fetch from NX page: #PF"
        CHECK64 [rel exc64_err], 0x11, "#PF error code P|I (instruction fetch)"
        CHECK64 [rel exc64_cr2], NXPAGE, "#PF CR2"

        ; ---- canonical addresses
        EXPECT64 .gp_done
        mov rax, 0x0000800000000000
        mov rbx, [rax]
.gp_done:
        CHECK64 [rel exc64_vec], 13, "load from a non-canonical address: #GP"
        CHECK64 [rel exc64_err], 0, "#GP error code 0"
        EXPECT64 .gp2_done
        mov rax, 0x0000800000000000
        jmp rax
.gp2_done:
        CHECK64 [rel exc64_vec], 13, "JMP to a non-canonical address: #GP"

        ; ---- IST: INT 0x41 runs on IST1, 16-byte aligned frame; IRETQ
        mov rbx, rsp
        int 0x41
        CHECK64 [rel ist_rsp], IST1_TOP - 40, "gate with IST=1: handler RSP = IST1 - 5*8"
        CHECK64 rsp, rbx, "IRETQ restores RSP"
        mov rax, [rel ist_cs]
        CHECK64 rax, SEL_CS64, "interrupt frame: saved CS"
        mov r12, rsp
        and rsp, ~15
        sub rsp, 8                  ; misaligned stack: the frame is aligned to 16
        mov rbx, rsp
        int 0x42
        mov rax, rbx
        and rax, ~15
        sub rax, 40
        CHECK64 [rel ist_rsp], rax, "gate without IST: frame pushed below RSP aligned to 16"
        CHECK64 rsp, rbx, "IRETQ restores a misaligned RSP"
        mov rsp, r12

        ; ---- FS/GS bases and SWAPGS
        mov ecx, MSR_GSBASE
        mov eax, gs_area_a
        xor edx, edx
        wrmsr
        mov ecx, MSR_KGSBASE
        mov eax, gs_area_b
        wrmsr
        mov rax, [gs:0]
        CHECK64 rax, 0xaaaa, "GS: base from IA32_GS_BASE"
        swapgs
        mov rax, [gs:0]
        CHECK64 rax, 0xbbbb, "SWAPGS exchanges GS base with KERNEL_GS_BASE"
        mov ecx, MSR_KGSBASE
        rdmsr
        CHECK64 rax, gs_area_a, "KERNEL_GS_BASE after SWAPGS"
        swapgs
        mov ecx, MSR_FSBASE
        mov eax, gs_area_b
        xor edx, edx
        wrmsr
        mov rax, [fs:0]
        CHECK64 rax, 0xbbbb, "FS: base from IA32_FS_BASE"
        EXPECT64 .msr_gp
        mov ecx, MSR_FSBASE
        mov edx, 0x00008000         ; non-canonical base
        wrmsr
.msr_gp:
        CHECK64 [rel exc64_vec], 13, "WRMSR FS_BASE non-canonical: #GP"

        ; ---- SYSCALL / SYSRET round trip to ring 3
        mov ecx, MSR_STAR
        xor eax, eax
        mov edx, SEL_CS64 | (SEL_UBASE << 16)
        wrmsr
        mov ecx, MSR_LSTAR
        mov eax, syscall_entry
        xor edx, edx
        wrmsr
        mov ecx, MSR_FMASK
        mov eax, EFL_IF | EFL_TF | EFL_DF
        wrmsr
        mov [rel kernel_rsp], rsp
        mov rcx, user64
        mov r11, 0x002
        mov rsp, USTACK64
        o64 sysret
syscall_back:                       ; ring 0 again, from the second SYSCALL
        mov rsp, [rel kernel_rsp]
        CHECK64 [rel u_cs], SEL_UCS64, "SYSRET (REX.W): CS = STAR[63:48]+16 | 3"
        CHECK64 [rel u_ss], SEL_UDATA, "SYSRET: SS = STAR[63:48]+8 | 3"
        CHECK64 [rel sc_cs], SEL_CS64, "SYSCALL: CS = STAR[47:32]"
        CHECK64 [rel sc_ss], SEL_DS64, "SYSCALL: SS = STAR[47:32]+8"
        lea rax, [rel user64.after1]
        CHECK64 [rel sc_rcx], rax, "SYSCALL: RCX = return RIP"
        CHECK64 [rel sc_r11], 0x402, "SYSCALL: R11 = RFLAGS (DF set in ring 3)"
        CHECK64 [rel sc_fl], 0x002, "SYSCALL: RFLAGS masked by FMASK"
        CHECK64 [rel u_back], 1, "SYSRET returned to ring 3 after the first SYSCALL"
        CHECK64 [rel u_gp], 13, "ring 3: SWAPGS is #GP"
        CHECK64 [rel g_cs], SEL_CS64, "64-bit call gate from ring 3: CS = the gate's selector (CPL 0)"
        CHECK64 [rel g_ss], 0, "call gate to an inner level: SS = null selector with RPL = new CPL"
        CHECK64 [rel g_rsp], ESP0_TOP - 32, "call gate: RSP = TSS.RSP0 - 4 slots of 8 bytes"
        lea rax, [rel user64.after_gate]
        CHECK64 [rel g_frame], rax, "call gate frame: return RIP"
        CHECK64 [rel g_frame + 8], SEL_UCS64, "call gate frame: caller CS"
        CHECK64 [rel g_frame + 16], [rel g_ursp], "call gate frame: caller RSP"
        CHECK64 [rel g_frame + 24], SEL_UDATA, "call gate frame: caller SS"
        CHECK64 [rel g_back_cs], SEL_UCS64, "RETF (REX.W) returns to ring 3 through the gate frame"

        ; ---- compatibility mode: far JMP to a 32-bit code segment
        mov r8, ds
        CHECK64 r8, 0, "IRETQ to ring 3 nulled DS (DPL 0 < CPL 3)"
        mov ax, SEL_DATA0           ; compatibility mode checks segments again
        mov ds, ax
        mov es, ax
        db 0xff, 0x2d               ; jmp far m16:32 (no REX.W: 4-byte offset)
        dd farptr32 - ($ + 4)
        bits 32
compat32:
        mov eax, 5
        db 0x40                     ; INC EAX in compatibility mode, REX in 64-bit mode
        mov [compat_eax], eax
        mov eax, cs
        mov [compat_cs], eax
        ; far JMP from compatibility mode to a code segment with L and D
        ; set: #GP(selector) (SDM JMP, IA-32e mode); the 64-bit handler
        ; resumes here in compatibility mode
        mov dword [exc64_resume], .ld_gp
        mov dword [exc64_resume + 4], 0
        jmp SEL_CS64_LD:back64
.ld_gp:
        ; into a 64-bit segment whose limit is 0: 64-bit mode has no limit
        ; check, the target is only checked for canonical form
        jmp SEL_CS64_LIM0:lim0_64
        bits 64
lim0_64:
        mov rax, cs
        mov [rel lim0_cs], rax
        push SEL_CS64
        lea rax, [rel back64]
        push rax
        retfq
back64:
        CHECK64 [rel exc64_vec], 13, "far JMP from compatibility mode to an L+D segment: #GP"
        CHECK64 [rel exc64_err], SEL_CS64_LD, "#GP error code: the selector"
        CHECK64 [rel lim0_cs], SEL_CS64_LIM0, "far JMP to a 64-bit segment of limit 0 runs there"
        mov qword [rel exc64_vec], 0
        CHECK64 [rel compat_eax], 6, "compatibility mode: 40h is INC EAX"
        CHECK64 [rel compat_cs], SEL_CODE0, "compatibility mode: CS"
        mov ecx, MSR_EFER
        rdmsr
        and eax, 1 << 10
        CHECK64 rax, 1 << 10, "EFER.LMA still set after returning to 64-bit mode"

        ; clearing CR0.PG from compatibility mode leaves long mode (the
        ; #GP cases of MOV CR0/CR4 are in tests/unit/test-mmu: QEMU TCG
        ; does not raise them and would triple-fault here)
        db 0xff, 0x2d               ; jmp far m16:32 to 32-bit code
        dd farptr_leave - ($ + 4)
        bits 32
leave32:
        mov eax, cr0
        and eax, 0x7fffffff
        mov cr0, eax                ; leave IA-32e mode
        lidt [idtr]                 ; legacy IDT again
        mov ecx, MSR_EFER
        rdmsr
        and eax, 1 << 10
        CHECK eax, 0, "CR0.PG cleared in compatibility mode: EFER.LMA = 0"
        mov eax, 0x11223344
        db 0x48                     ; DEC EAX again outside long mode
        CHECK eax, 0x11223343, "back in legacy protected mode: 48h is DEC EAX"
        jmp finish
        bits 64

; 40 direct CALLs to RMV (past tier auto's threshold), R8 = the sum of
; what they return
rm_loop:
        xor r8d, r8d
        mov ecx, 40
.l:     call RMV
        add r8, rax
        dec ecx
        jnz .l
        ret

ld_fs_loop:
        xor r8d, r8d
        mov ecx, 40
.l:     mov rax, [fs:RMPB + 0x100]
        add r8, rax
        dec ecx
        jnz .l
        ret

ldg_loop:
        xor r8d, r8d
        mov ecx, 40
        mov rsi, RMV
.l:     mov rax, [rsi + 0x100]
        mov rdx, [rsi + 0x108]
        add r8, rax
        add r8, rdx
        dec ecx
        jnz .l
        ret

ld_loop:
        xor r8d, r8d
        mov ecx, 40
.ld:    mov rax, [RMV + 0x100]
        add r8, rax
        dec ecx
        jnz .ld
        ret

; ---- ring 3 code
user64:
        mov rax, cs
        mov [rel u_cs], rax
        mov rax, ss
        mov [rel u_ss], rax
        std
        mov eax, 1
        syscall
.after1:
        mov qword [rel u_back], 1
        ; far CALL through a 64-bit call gate to ring 0 and RETF back
        mov [rel g_ursp], rsp
        call far [rel gateptr]
.after_gate:
        mov rax, cs
        mov [rel g_back_cs], rax
        EXPECT64 .after_swapgs
        swapgs
.after_swapgs:
        mov rax, [rel exc64_vec]
        mov [rel u_gp], rax
        mov eax, 2
        syscall
        hlt                         ; not reached

syscall_entry:
        pushfq
        pop rbx
        cmp eax, 2
        je syscall_back
        mov [rel sc_fl], rbx
        mov [rel sc_rcx], rcx
        mov [rel sc_r11], r11
        mov rbx, cs
        mov [rel sc_cs], rbx
        mov rbx, ss
        mov [rel sc_ss], rbx
        o64 sysret

gate_target:                        ; ring 0, reached through SEL_CGATE64
        mov rax, cs
        mov [rel g_cs], rax
        mov rax, ss
        mov [rel g_ss], rax
        mov [rel g_rsp], rsp
        mov rax, [rsp]
        mov [rel g_frame], rax
        mov rax, [rsp + 8]
        mov [rel g_frame + 8], rax
        mov rax, [rsp + 16]
        mov [rel g_frame + 16], rax
        mov rax, [rsp + 24]
        mov [rel g_frame + 24], rax
        o64 retf                    ; pops RIP, CS, RSP, SS: back to ring 3

lcall_target:
        mov qword [rel lcall_hit], 1
        mov rax, [rsp + 8]
        mov [rel lcall_cs], rax
        o64 retf

; ---- IST / plain gate handlers
ist_handler:
        mov [rel ist_rsp], rsp
        mov rax, [rsp + 8]
        mov [rel ist_cs], rax
        iretq

; ---- 64-bit IDT
build_idt64:
        xor ecx, ecx
.l:     mov rax, rcx
        imul rax, rax, STUB64_SIZE
        add rax, exc64_stubs
        mov rdi, rcx
        shl rdi, 4
        add rdi, idt64
        call set_gate64
        inc ecx
        cmp ecx, 32
        jb .l
        mov rdi, idt64 + 0x41 * 16
        mov rax, ist_handler
        call set_gate64
        mov byte [idt64 + 0x41 * 16 + 4], 1        ; IST1
        mov rdi, idt64 + 0x42 * 16
        mov rax, ist_handler
        call set_gate64
        ret

set_gate64:                         ; rdi = slot, rax = handler: interrupt gate, DPL0
        mov word [rdi], ax
        mov word [rdi + 2], SEL_CS64
        mov word [rdi + 4], 0x8e00
        shr rax, 16
        mov word [rdi + 6], ax
        shr rax, 16
        mov dword [rdi + 8], eax
        mov dword [rdi + 12], 0
        ret

; the conditions 0-7 (cc_lo) or 8-15 (cc_hi) of the flags it is called
; with into R8B..R15B
cc_lo:  seto r8b
        setno r9b
        setb r10b
        setae r11b
        sete r12b
        setne r13b
        setbe r14b
        seta r15b
        ret
cc_hi:  sets r8b
        setns r9b
        setp r10b
        setnp r11b
        setl r12b
        setge r13b
        setle r14b
        setg r15b
        ret
; EAX = R8B..R15B as bits 0..7
pack8:  movzx eax, r15b
        shl eax, 1
        or al, r14b
        shl eax, 1
        or al, r13b
        shl eax, 1
        or al, r12b
        shl eax, 1
        or al, r11b
        shl eax, 1
        or al, r10b
        shl eax, 1
        or al, r9b
        shl eax, 1
        or al, r8b
        ret

STUB64_SIZE equ 16
        align 16
exc64_stubs:
%assign v 0
%rep 32
        align 16
%if v == 8 || (v >= 10 && v <= 14) || v == 17
        nop
        nop
%else
        push 0
%endif
        push v
        jmp exc64_common
%assign v v + 1
%endrep

exc64_common:                       ; [rsp] vector, error, RIP, CS, RFLAGS, RSP, SS
        push rax
        mov rax, [rsp + 8]
        mov [rel exc64_vec], rax
        mov rax, [rsp + 16]
        mov [rel exc64_err], rax
        mov rax, cr2
        mov [rel exc64_cr2], rax
        mov rax, [rsp + 24]
        mov [rel exc64_rip], rax
        mov rax, [rsp + 40]
        mov [rel exc64_rflags], rax
        mov rax, [rel exc64_resume]
        test rax, rax
        jz .fatal
        mov [rsp + 24], rax          ; resume at the EXPECT64 label
        mov qword [rel exc64_resume], 0
        pop rax
        add rsp, 16
        iretq
.fatal: mov rsi, s_notok
        call puts64
        mov eax, [rel test_num]
        inc eax
        call print_dec64
        mov rsi, s_unexp
        call puts64
        mov rax, [rel exc64_vec]
        call print_hex64
        mov rsi, s_err
        call puts64
        mov rax, [rel exc64_err]
        call print_hex64
        mov rsi, s_at
        call puts64
        mov rax, [rsp + 24]
        call print_hex64
        mov al, 10
        call putc64
        mov rsi, s_bail
        call puts64
        inc dword [rel fail_count]
        jmp finish64

; ---- 64-bit TAP helpers (the lib's are 32-bit code)
putc64:                             ; al
        push rdx
        push rax
        mov dx, COM1 + 5
.w:     in al, dx
        test al, 0x20
        jz .w
        pop rax
        mov dx, COM1
        out dx, al
        pop rdx
        ret

puts64:                             ; rsi = asciz
        push rsi
        push rax
.l:     lodsb
        test al, al
        jz .d
        call putc64
        jmp .l
.d:     pop rax
        pop rsi
        ret

print_hex64:                        ; rax
        push rbx
        push rcx
        push rax
        mov rbx, rax
        mov al, '0'
        call putc64
        mov al, 'x'
        call putc64
        mov ecx, 16
.l:     rol rbx, 4
        mov al, bl
        and al, 15
        add al, '0'
        cmp al, '9'
        jbe .p
        add al, 'a' - '0' - 10
.p:     call putc64
        dec ecx
        jnz .l
        pop rax
        pop rcx
        pop rbx
        ret

print_dec64:                        ; eax
        push rax
        push rbx
        push rcx
        push rdx
        xor ecx, ecx
        mov ebx, 10
.d:     xor edx, edx
        div ebx
        push rdx
        inc ecx
        test eax, eax
        jnz .d
.p:     pop rax
        add al, '0'
        call putc64
        dec ecx
        jnz .p
        pop rdx
        pop rcx
        pop rbx
        pop rax
        ret

check64:                            ; r15 = got, r14 = expected, r13 = message
        pushfq
        push rax
        push rsi
        inc dword [rel test_num]
        cmp r15, r14
        je .ok
        cmp qword [rel chk_note], 0
        jne .todo
        inc dword [rel fail_count]
.todo:
        mov rsi, s_notok
        call puts64
        call .num_msg
        mov rsi, s_got
        call puts64
        mov rax, r15
        call print_hex64
        mov rsi, s_exp
        call puts64
        mov rax, r14
        call print_hex64
        mov al, ')'
        call putc64
        jmp .nl
.ok:    mov rsi, s_ok
        call puts64
        call .num_msg
.nl:    mov rsi, [rel chk_note]
        test rsi, rsi
        jz .nl2
        push rsi
        mov rsi, s_todo
        call puts64
        pop rsi
        call puts64
.nl2:   mov al, 10
        call putc64
        mov qword [rel exc64_resume], 0
        mov qword [rel chk_note], 0
        pop rsi
        pop rax
        popfq
        ret
.num_msg:
        mov eax, [rel test_num]
        call print_dec64
        mov rsi, s_dash
        call puts64
        mov rsi, r13
        call puts64
        ret

finish64:
        mov rsi, s_plan
        call puts64
        mov eax, [rel test_num]
        call print_dec64
        mov al, 10
        call putc64
        mov al, 0
        cmp dword [rel fail_count], 0
        je .x
        mov al, 1
.x:     mov dx, EXIT_PORT
        out dx, al
.h:     hlt
        jmp .h

; ---- data
        align 16
cx16_area:      times 4 dq 0
scratch16:      times 4 dq 0
rip_target:     dq 0
rip_data:       dd 0x5a5aa5a5
rip_data2:      dd 0
saved_esp32:    dd 0
        align 8
exc64_resume:   dq 0
chk_note:       dq 0
exc64_rflags:   dq 0
exc64_vec:      dq 0
exc64_err:      dq 0
exc64_cr2:      dq 0
exc64_rip:      dq 0
ji_table:       dq 0, ..@ji_t3
ist_rsp:        dq 0
ist_cs:         dq 0
kernel_rsp:     dq 0
sc_rcx:         dq 0
sc_r11:         dq 0
sc_cs:          dq 0
sc_ss:          dq 0
sc_fl:          dq 0
u_cs:           dq 0
u_ss:           dq 0
u_back:         dq 0
u_gp:           dq 0
compat_eax:     dq 0
compat_cs:      dq 0
gs_area_a:      dq 0xaaaa
gs_area_b:      dq 0xbbbb
lcall_hit:      dq 0
g_cs:           dq 0
g_ss:           dq -1
g_rsp:          dq 0
g_ursp:         dq 0
g_back_cs:      dq 0
g_frame:        times 4 dq 0
gateptr:        dq 0                ; m16:64 (NASM emits REX.W)
                dw SEL_CGATE64 | 3
lcall_cs:       dq 0
farptr64:       dq lcall_target
                dw SEL_CS64
farptr_leave:   dd leave32
                dw SEL_CODE0
farptr32:       dd compat32
                dw SEL_CODE0
lim0_cs:        dq 0
        align 16
idt64:          times 256 * 2 dq 0
idt64_end:
idtr64:         dw idt64_end - idt64 - 1
                dq idt64

%include "lib_tail.inc"
