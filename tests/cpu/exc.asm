; exc.asm - exceptions and interrupts through the IDT (SDM vol.3 ch.6).
%include "lib.inc"
kernel_name: db "exc (IDT, faults vs traps, error codes, IF, #DF)", 0

SEL_NP equ 0x30         ; data segment, not present
SEL_SSNP equ 0x38       ; writable data, not present (for SS)

main:
        DESC SEL_NP, 0, 0xfffff, 0x12, 0xc
        DESC SEL_SSNP, 0, 0xfffff, 0x12, 0xc
        IDT_GATE 0x40, exc_stubs + 0x40 * STUB_SIZE, 0x8e   ; interrupt gate
        IDT_GATE 0x41, exc_stubs + 0x41 * STUB_SIZE, 0x8f   ; trap gate

        ; #DE is a fault: saved EIP points at the DIV (SDM 6.15 "Interrupt 0")
        xor ecx, ecx
        mov eax, 1
        xor edx, edx
        EXPECT .r1
.i1:    div ecx
.r1:    CHECK [exc_vec], 0, "DIV by zero raises #DE"
        CHECK [exc_eip], .i1, "#DE saved EIP = the DIV (fault)"
        CHECK [exc_cs], SEL_CODE0, "saved CS"
        mov edx, 2                              ; quotient does not fit in 32 bits
        mov eax, 0
        mov ecx, 2
        EXPECT .r2
.i2:    div ecx
.r2:    CHECK [exc_vec], 0, "DIV quotient overflow raises #DE"
        mov ax, 0x8000                          ; IDIV -32768/-1 overflows 16 bits
        cwd
        mov cx, -1
        EXPECT .r2b
        idiv cx
.r2b:   CHECK [exc_vec], 0, "IDIV -32768/-1 (16-bit) raises #DE"
        ; #UD
        EXPECT .r3
.i3:    ud2
.r3:    CHECK [exc_vec], 6, "UD2 raises #UD"
        CHECK [exc_eip], .i3, "#UD saved EIP = the UD2"
        EXPECT .r3b
.i3b:   db 0x0f, 0x01, 0xe8 + 7                 ; 0f 01 ef: reserved group-7 encoding
        nop
.r3b:   CHECK [exc_vec], 6, "reserved opcode 0F 01 EF raises #UD"
        EXPECT .r3c
        db 0xf0, 0x90                           ; LOCK NOP
.r3c:   CHECK [exc_vec], 6, "LOCK prefix on NOP raises #UD"
        ; #GP with a selector error code (SDM 6.13: index, TI, EXT)
        mov ax, 0x1f8 + 8                       ; beyond the GDT limit
        EXPECT .r4
.i4:    mov ds, ax
.r4:    CHECK [exc_vec], 13, "loading a selector beyond the GDT limit: #GP"
        CHECK [exc_err], 0x200, "#GP error code = selector index (EXT=0, TI=0)"
        CHECK [exc_eip], .i4, "#GP saved EIP = the MOV"
        ; #NP and #SS on not-present descriptors
        mov ax, SEL_NP
        EXPECT .r5
.i5:    mov es, ax
.r5:    CHECK [exc_vec], 11, "not-present data segment: #NP"
        CHECK [exc_err], SEL_NP, "#NP error code = selector"
        CHECK [exc_eip], .i5, "#NP saved EIP = the MOV"
        mov ax, SEL_SSNP
        EXPECT .r6
.i6:    mov ss, ax
.r6:    CHECK [exc_vec], 12, "not-present stack segment: #SS (not #NP)"
        CHECK [exc_err], SEL_SSNP, "#SS error code = selector"
        CHECK [exc_eip], .i6, "#SS saved EIP = the MOV"
        ; INT3 and INTO are traps: saved EIP is the next instruction
        EXPECT .r7
        int3
.n7:    nop
.r7:    CHECK [exc_vec], 3, "INT3 raises vector 3"
        CHECK [exc_eip], .n7, "INT3 saved EIP = next instruction (trap)"
        mov al, 0x7f
        add al, 1                               ; OF=1
        EXPECT .r8
        into
.n8:    nop
.r8:    CHECK [exc_vec], 4, "INTO with OF=1 raises #OF"
        CHECK [exc_eip], .n8, "#OF saved EIP = after INTO"
        xor eax, eax                            ; OF=0
        EXPECT .r9
        into
.r9:    CHECK [exc_vec], -1, "INTO with OF=0 does nothing"
        ; BOUND is a fault
        mov dword [SCRATCH], 10
        mov dword [SCRATCH + 4], 20
        mov eax, 15
        EXPECT .r10
        bound eax, [SCRATCH]
        CHECK [exc_vec], -1, "BOUND in range: no exception"
        mov eax, 21
        EXPECT .r10
.i10:   bound eax, [SCRATCH]
.r10:   CHECK [exc_vec], 5, "BOUND out of range raises #BR"
        CHECK [exc_eip], .i10, "#BR saved EIP = the BOUND (fault)"
        mov eax, 9
        EXPECT .r10b
        bound eax, [SCRATCH]
.r10b:  CHECK [exc_vec], 5, "BOUND below the lower bound raises #BR"
        ; INT n: interrupt gate clears IF, trap gate does not (SDM 6.12.1.3)
        sti
        EXPECT .r11
        int 0x40
.n11:
.r11:   cli
        CHECK [exc_vec], 0x40, "INT 0x40 through an interrupt gate"
        CHECK [exc_eip], .n11, "INT n saved EIP = next instruction"
        mov eax, [exc_hflags]
        and eax, EFL_IF
        CHECK eax, 0, "interrupt gate: handler runs with IF=0"
        mov eax, [exc_eflags]
        and eax, EFL_IF
        CHECK eax, EFL_IF, "interrupt gate: pushed EFLAGS has IF=1"
        sti
        EXPECT .r12
        int 0x41
.r12:   cli
        CHECK [exc_vec], 0x41, "INT 0x41 through a trap gate"
        mov eax, [exc_hflags]
        and eax, EFL_IF
        CHECK eax, EFL_IF, "trap gate: handler runs with IF unchanged (1)"
        ; TF is cleared on entry through any gate
        EXPECT .r13
        pushfd
        or dword [esp], EFL_TF
        popfd                                   ; TF takes effect after the next insn
        nop
.n13:   nop
.r13:   CHECK [exc_vec], 1, "TF=1: #DB single-step trap"
        CHECK [exc_eip], .n13, "#DB single-step saved EIP = after the stepped insn"
        mov eax, [exc_eflags]
        and eax, EFL_TF
        CHECK eax, EFL_TF, "pushed EFLAGS has TF=1"
        mov eax, [exc_hflags]
        and eax, EFL_TF
        CHECK eax, 0, "handler runs with TF=0"
        ; ---- debug registers DR0-DR3, DR6, DR7 (SDM vol. 3, 17.2-17.3.1)
        ; an instruction breakpoint is a fault before the instruction,
        ; with DR6.B0 and RF in the saved EFLAGS
        mov eax, .bp1
        mov dr0, eax
        mov eax, 0xffff0ff0
        mov dr6, eax
        mov eax, 0x401                          ; L0, R/W0 = 00 (execute), LEN0 = 00
        EXPECT .rb1
        mov dr7, eax
        nop
.bp1:   nop
.rb1:   CHECK [exc_vec], 1, "DR0 instruction breakpoint: #DB"
        CHECK [exc_eip], .bp1, "instruction breakpoint is a fault: saved EIP = the instruction"
        mov eax, [exc_eflags]
        and eax, EFL_RF
        CHECK_TODO eax, EFL_RF, "instruction-breakpoint #DB: saved EFLAGS has RF", "qemu-tcg: no RF in the #DB frame"
        mov eax, dr6
        and eax, 0x400f
        CHECK eax, 1, "DR6.B0 set, BS clear"
        ; IRET with RF=1 in the popped EFLAGS runs the instruction at the
        ; breakpoint; RF then clears, so the next pass hits again
        mov eax, .bp2
        mov dr0, eax
        xor ecx, ecx
        pushfd
        or dword [esp], EFL_RF
        push cs
        push .bp2
        iretd
.bp2:   inc ecx
        cmp ecx, 1
        jne .rb2
        CHECK ecx, 1, "IRET with RF=1: the instruction at the breakpoint runs, no #DB"
        EXPECT .rb2
        jmp .bp2
.rb2:   CHECK [exc_vec], 1, "RF lasts one instruction: the next pass over DR0 hits"
        CHECK ecx, 1, "the instruction did not run on that pass"
        ; a data-write breakpoint (DR1, 4 bytes) traps after the write
        mov eax, 0xffff0ff0
        mov dr6, eax
        mov eax, dbvar
        mov dr1, eax
        mov eax, 0x00d00404                     ; L1, R/W1 = 01 (write), LEN1 = 11 (4)
        mov dr7, eax
        mov ebx, [dbvar]                        ; a read does not hit a write breakpoint
        EXPECT .rb3
        mov dword [dbvar + 2], 5                ; overlaps bytes 2-3 of the watched dword
.n3:    nop
.rb3:   CHECK [exc_vec], 1, "DR1 data-write breakpoint: #DB"
        CHECK [exc_eip], .n3, "data breakpoint is a trap: saved EIP = after the store"
        CHECK [dbvar + 2], 5, "the store happened before the trap"
        mov eax, dr6
        and eax, 0x400f
        CHECK eax, 2, "DR6.B1 set"
        mov eax, 0x00f00404                     ; R/W1 = 11: reads hit too
        mov dr7, eax
        EXPECT .rb4
        mov ebx, [dbvar]
.n4:    nop
.rb4:   CHECK [exc_vec], 1, "R/W=11 data breakpoint: a load traps"
        CHECK [exc_eip], .n4, "data-read breakpoint: saved EIP = after the load"
        xor eax, eax
        mov dr7, eax
        mov dword [dbvar], 7                    ; disabled: no #DB (else Bail out)

        ; ICEBP (F1) is a trap-like #DB: saved EIP = the next instruction
        EXPECT .ri1
        db 0xf1
.ni1:   nop
.ri1:   CHECK_TODO [exc_vec], 1, "ICEBP: #DB", "qemu-tcg: ICEBP is #UD"
        CHECK_TODO [exc_eip], .ni1, "ICEBP: saved EIP = after it (a trap)", "qemu-tcg: ICEBP is #UD"
        ; MOV SS holds off the single-step trap for one more instruction
        mov ax, ss
        EXPECT .rss
        pushfd
        or dword [esp], EFL_TF
        popfd                                   ; TF is live from the next insn
        mov ss, ax                              ; its trap waits ...
        nop                                     ; ... until after this one
.nss:   nop
.rss:   CHECK [exc_vec], 1, "TF across MOV SS: one #DB"
        CHECK [exc_eip], .nss, "TF across MOV SS: the trap comes after the next instruction"
        ; DR7.GD: the next DR access is a #DB fault with DR6.BD; GD clears
        mov eax, 0xffff0ff0
        mov dr6, eax
        mov eax, 0x2400                         ; GD
        mov dr7, eax
        EXPECT .rgd
.igd:   mov eax, dr0
.rgd:   CHECK_TODO [exc_vec], 1, "DR access with DR7.GD: #DB", "qemu-tcg: no general detect"
        CHECK_TODO [exc_eip], .igd, "general detect is a fault: saved EIP = the MOV DR", "qemu-tcg: no general detect"
        mov eax, dr6
        and eax, 0x2000
        CHECK_TODO eax, 0x2000, "general detect: DR6.BD set", "qemu-tcg: no general detect"
        mov eax, dr7
        and eax, 0x2000
        CHECK_TODO eax, 0, "general detect: the CPU cleared DR7.GD", "qemu-tcg: no general detect"

        ; the frame has no privilege change: handler uses the same SS, ESP
        ; just below the old one (EFLAGS, CS, EIP = 12 bytes)
        mov ebx, esp
        EXPECT .r14
        int 0x40
.r14:   sub ebx, 12
        CHECK [exc_frame], ebx, "same-privilege frame: EIP at old ESP - 12"
        ; not-present IDT gate: #NP with error code vector*8+2 (IDT bit)
        and byte [idt + 0x42 * 8 + 5], 0x7f
        EXPECT .r15
.i15:   int 0x42
.r15:   CHECK [exc_vec], 11, "INT n to a not-present gate: #NP"
        CHECK [exc_err], 0x42 * 8 + 2, "error code = vector*8 + IDT flag (EXT=0 for INT n)"
        CHECK [exc_eip], .i15, "#NP on INT n: saved EIP = the INT"
        ; INT n beyond the IDT limit: #GP(vector*8+2)
        mov word [idtr], 0x43 * 8 - 1
        lidt [idtr]
        EXPECT .r16
        int 0x50
.r16:   mov word [idtr], 256 * 8 - 1
        lidt [idtr]
        CHECK [exc_vec], 13, "INT n beyond the IDT limit: #GP"
        CHECK [exc_err], 0x50 * 8 + 2, "#GP error code = vector*8 + 2"
        ; #DF: a contributory exception (#DE) whose delivery raises another
        ; contributory one (#NP for its not-present gate) -> #DF, error 0
        ; (SDM 6.15 "Interrupt 8", table 6-5)
        and byte [idt + 0 * 8 + 5], 0x7f
        xor ecx, ecx
        EXPECT .r17
        div ecx
.r17:   or byte [idt + 0 * 8 + 5], 0x80
        CHECK [exc_vec], 8, "#DE with a not-present #DE gate: #DF"
        CHECK [exc_err], 0, "#DF error code is 0"
        ; benign + contributory is not a #DF: #BR delivery hitting a
        ; not-present gate just raises #NP (error code: vector 5, IDT, EXT=1)
        and byte [idt + 5 * 8 + 5], 0x7f
        mov eax, 100
        EXPECT .r18
        bound eax, [SCRATCH]
.r18:   or byte [idt + 5 * 8 + 5], 0x80
        CHECK [exc_vec], 11, "#BR with a not-present gate: #NP (no #DF)"
        mov eax, [exc_err]
        and eax, ~1
        CHECK eax, 5 * 8 + 2, "error code = vector*8 + IDT flag"
        CHECK_TODO [exc_err], 5 * 8 + 3, "EXT=1: the #NP arose delivering a CPU exception", "qemu-tcg: never sets EXT in error codes"
        ret

        align 8
dbvar:  dd 0, 0

%include "lib_tail.inc"
