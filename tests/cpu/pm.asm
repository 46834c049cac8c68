; pm.asm - real mode basics and 32-bit protected mode segmentation.
%define HAVE_RM_MAIN
%include "lib.inc"
kernel_name: db "pm (real mode, protected-mode switch, segment checks)", 0

        bits 16
; ---- real-mode checks; results stored in rm_res[] and reported from PM
rm_main:
        ; 16-bit effective addresses wrap at 64K (SDM vol.1 3.3.6 / 20.1.1):
        ; [bx+si] with bx+si > 0xffff addresses offset (bx+si) & 0xffff.
        mov ax, SCRATCH >> 4
        mov es, ax
        mov word [es:0], 0x1234
        mov word [es:0x10], 0x5678
        mov bx, 0xfff0
        mov si, 0x10
        mov ax, [es:bx+si]
        mov [rm_res + 0 - BASE], ax
        ; real-mode address = segment * 16 + offset (SDM vol.3 20.1.1)
        mov ax, (SCRATCH >> 4) + 1
        mov es, ax
        mov ax, [es:0]
        mov [rm_res + 4 - BASE], ax
        ; A20 enabled: ffff:0010 is 0x100000, not 0
        xor ax, ax
        mov es, ax
        mov ax, 0xffff
        mov fs, ax
        mov byte [es:0x500], 0x11
        mov byte [fs:0x510], 0x22
        mov al, [es:0x500]
        mov [rm_res + 8 - BASE], al
        ; INT n in real mode goes through the IVT at 0: pushes FLAGS, CS, IP
        ; and clears IF and TF (SDM vol.3 20.1.4)
        mov word [es:0x60*4], rm_int60 - BASE
        mov word [es:0x60*4+2], cs
        sti
        int 0x60
.after_int:
        cli
        ret
rm_int60:
        mov bp, sp
        mov ax, [bp]                    ; pushed IP
        mov [rm_res + 12 - BASE], ax
        mov ax, [bp + 2]                ; pushed CS
        mov [rm_res + 16 - BASE], ax
        mov ax, [bp + 4]                ; pushed FLAGS
        and ax, EFL_IF
        mov [rm_res + 20 - BASE], ax
        pushf
        pop ax
        and ax, EFL_IF
        mov [rm_res + 24 - BASE], ax
        iret

        bits 32
        align 4
rm_res: times 8 dd 0

; selectors defined here
SEL_LIM   equ 0x30      ; data RW, base SCRATCH, limit 0xfff bytes
SEL_EDN   equ 0x38      ; data RW expand-down, limit 0xffff, B=1, base 0
SEL_CODER equ 0x40      ; code exec/read, accessed, flat
SEL_CODEX equ 0x48      ; code execute-only
SEL_RO    equ 0x50      ; data read-only
SEL_NP    equ 0x58      ; data, not present
SEL_IGATE equ 0x60      ; an interrupt-gate type descriptor in the GDT (LAR invalid)
SEL_LIMG  equ 0x68      ; data, limit 0 with G=1 -> 0xfff
SEL_CGATE equ 0x70      ; call gate

main:
        ; power-up state (SDM vol.3 9.1.1, table 9-1): CR0 = 60000010H,
        ; EDX = processor signature (family/model/stepping, as CPUID.1:EAX)
        CHECK [reset_cr0], 0x60000010, "reset: CR0 = 0x60000010 (CD, NW, ET)"
        mov eax, 1
        cpuid
        CHECK [reset_edx], eax, "reset: EDX = processor signature (CPUID.1:EAX)"
        CHECK [rm_res + 0], 0x1234, "real mode: 16-bit offset wraps at 64K"
        CHECK [rm_res + 4], 0x5678, "real mode: linear = seg*16 + offset"
        CHECK [rm_res + 8], 0x11, "real mode: A20 enabled (ffff:0010 != 0:0000)"
        CHECK [rm_res + 12], rm_main.after_int - BASE, "real mode INT: pushed IP is the next instruction"
        CHECK [rm_res + 16], BASE >> 4, "real mode INT: pushed CS"
        CHECK [rm_res + 20], EFL_IF, "real mode INT: pushed FLAGS has IF=1"
        CHECK [rm_res + 24], 0, "real mode INT: handler runs with IF=0"

        ; ---- the switch (CR0.PE + far jump) loaded CS from the GDT
        mov ax, cs
        movzx eax, ax
        CHECK eax, SEL_CODE0, "protected mode: CS = 0x08 after far jump"
        mov eax, cr0
        and eax, 1
        CHECK eax, 1, "protected mode: CR0.PE = 1"
        str ax
        movzx eax, ax
        CHECK eax, SEL_TSS0, "STR returns the TR selector loaded by LTR"

        DESC SEL_LIM,   SCRATCH, 0xfff,   0x92, 0x4
        DESC SEL_EDN,   0,       0xffff,  0x96, 0x4
        DESC SEL_CODER, 0,       0xfffff, 0x9b, 0xc
        DESC SEL_CODEX, 0,       0xfffff, 0x98, 0xc
        DESC SEL_RO,    0,       0xfffff, 0x90, 0xc
        DESC SEL_NP,    0,       0xfffff, 0x12, 0xc
        DESC SEL_IGATE, 0,       0xfffff, 0x8e, 0x0
        DESC SEL_LIMG,  SCRATCH, 0,       0x92, 0xc
        pushad                                  ; call gate -> 0x08:0x1234, 2 params
        mov edi, gdt + SEL_CGATE
        mov ebx, 0x1234
        mov ecx, SEL_CODE0
        mov edx, 0xec02
        call make_gate
        popad

        ; ---- segment base and limit (SDM vol.3 5.3: offset > limit -> #GP(0))
        mov ax, SEL_LIM
        mov es, ax
        mov dword [SCRATCH + 0x10], 0xcafe
        mov eax, [es:0x10]
        CHECK eax, 0xcafe, "segment base is added to the offset"
        EXPECT .f1
        mov eax, [es:0xffc]                     ; last dword inside the limit
.f1:    CHECK [exc_vec], -1, "dword access ending at the limit is allowed"
        EXPECT .f2
.i2:    mov eax, [es:0xffd]                     ; last byte at 0x1000 > limit
.f2:    CHECK_TODO [exc_vec], 13, "access crossing the segment limit: #GP", "qemu-tcg: no segment limit/type checks on data accesses"
        CHECK_TODO [exc_err], 0, "limit #GP error code is 0", "qemu-tcg: no segment limit/type checks on data accesses"
        CHECK_TODO [exc_eip], .i2, "#GP is a fault: saved EIP = faulting instruction", "qemu-tcg: no segment limit/type checks on data accesses"
        mov ax, SEL_LIMG                        ; G=1: limit = (0 << 12) | 0xfff
        mov es, ax
        EXPECT .f3
        mov al, [es:0xfff]
        mov al, [es:0x1000]
.f3:    CHECK_TODO [exc_vec], 13, "G=1 scales the limit to 4K units (0x1000 faults, 0xfff ok)", "qemu-tcg: no segment limit/type checks on data accesses"

        ; ---- expand-down: valid offsets are limit+1 .. 0xffffffff (B=1)
        mov ax, SEL_EDN
        mov es, ax
        EXPECT .f4
        mov dword [es:0x10000], 1
        mov eax, [es:0xfffffffc]
.f4:    CHECK [exc_vec], -1, "expand-down: offsets above the limit are valid"
        EXPECT .f5
        mov eax, [es:0xfffe]
.f5:    CHECK_TODO [exc_vec], 13, "expand-down: offset <= limit faults with #GP via ES", "qemu-tcg: no segment limit/type checks on data accesses"
        mov ax, SEL_EDN                         ; as a stack segment
        mov ss, ax
        mov ebp, 0x8000
        EXPECT .f6
.i6:    mov eax, [ebp]
.f6:    mov bx, SEL_DATA0
        mov ss, bx
        CHECK_TODO [exc_vec], 12, "expand-down stack segment: access below the limit is #SS", "qemu-tcg: no segment limit/type checks on data accesses"
        CHECK_TODO [exc_err], 0, "#SS for a limit violation has error code 0", "qemu-tcg: no segment limit/type checks on data accesses"
        CHECK_TODO [exc_eip], .i6, "#SS saved EIP = faulting instruction", "qemu-tcg: no segment limit/type checks on data accesses"
        mov ax, SEL_EDN
        mov ss, ax
        push dword 0x77                         ; ESP ~0x8fff0: inside the valid range
        pop eax
        mov bx, SEL_DATA0
        mov ss, bx
        CHECK eax, 0x77, "push/pop through an expand-down SS"

        ; ---- type checks on segment loads and accesses (SDM vol.3 5.5-5.7)
        mov ax, SEL_RO
        mov es, ax
        EXPECT .f7
        mov dword [es:SCRATCH], 0
.f7:    CHECK_TODO [exc_vec], 13, "write through a read-only data segment: #GP(0)", "qemu-tcg: no segment limit/type checks on data accesses"
        CHECK_TODO [exc_err], 0, "read-only write error code 0", "qemu-tcg: no segment limit/type checks on data accesses"
        EXPECT .f8
        mov ax, SEL_CODEX
.i8:    mov ds, ax
.f8:    CHECK [exc_vec], 13, "loading an execute-only code segment into DS: #GP"
        CHECK [exc_err], SEL_CODEX, "error code is the selector"
        CHECK [exc_eip], .i8, "segment-load fault: EIP = the MOV"
        mov ax, SEL_CODER
        mov es, ax
        mov eax, [es:rm_res]
        CHECK eax, 0x1234, "readable code segment can be loaded into ES and read"
        EXPECT .f9
        mov dword [es:SCRATCH], 0
.f9:    CHECK_TODO [exc_vec], 13, "write through a code segment: #GP(0)", "qemu-tcg: no segment limit/type checks on data accesses"
        EXPECT .f10
        mov ax, SEL_NP
        mov es, ax
.f10:   CHECK [exc_vec], 11, "loading a not-present data segment: #NP"
        CHECK [exc_err], SEL_NP, "#NP error code is the selector"
        EXPECT .f11
        mov ax, SEL_RO
        mov ss, ax
.f11:   CHECK [exc_vec], 13, "loading a read-only segment into SS: #GP"
        CHECK [exc_err], SEL_RO, "SS load #GP error code is the selector"
        EXPECT .f12
        xor ax, ax
        mov ss, ax
.f12:   CHECK [exc_vec], 13, "loading a null selector into SS at CPL0: #GP(0)"
        CHECK [exc_err], 0, "null SS error code 0"
        EXPECT .f13
        mov ax, 3                               ; null selector with RPL 3
        mov es, ax
        mov eax, [es:0]
.f13:   CHECK_TODO [exc_vec], 13, "null ES can be loaded; using it faults #GP(0)", "qemu-tcg: no segment limit/type checks on data accesses"
        EXPECT .f14
        mov ax, 0x1f8 + 8                       ; index 64: beyond the GDT limit
        mov es, ax
.f14:   CHECK [exc_err], 0x200, "selector beyond the GDT limit: #GP(selector)"
        mov ax, SEL_DATA0
        mov es, ax

        ; ---- LAR / LSL / VERR / VERW (SDM vol.2: ZF=1 iff accessible+valid)
        mov eax, 0xffffffff
        lar eax, [.sel_coder]
        pushfd
        pop edx
        and edx, EFL_ZF
        and eax, 0x00f0ff00                     ; bits 19:16 undefined
        CHECK edx, EFL_ZF, "LAR on a code descriptor sets ZF"
        CHECK eax, 0x00c09b00, "LAR returns dword2 & 0x00FxFF00"
        mov ecx, SEL_TSS0
        lar eax, ecx
        pushfd
        pop edx
        and edx, EFL_ZF
        and eax, 0xff00
        CHECK edx, EFL_ZF, "LAR accepts a TSS descriptor"
        CHECK eax, 0x8b00, "LAR of the loaded TSS shows the busy type (0xB)"
        mov ecx, SEL_IGATE
        mov eax, 0x5a5a
        lar eax, ecx
        pushfd
        pop edx
        and edx, EFL_ZF
        CHECK edx, 0, "LAR on an interrupt-gate type in the GDT clears ZF"
        CHECK eax, 0x5a5a, "LAR with ZF=0 leaves the destination unchanged"
        xor ecx, ecx
        lar eax, ecx
        pushfd
        pop edx
        and edx, EFL_ZF
        CHECK edx, 0, "LAR on the null selector clears ZF"
        mov ecx, 0x400
        lar eax, ecx
        pushfd
        pop edx
        and edx, EFL_ZF
        CHECK edx, 0, "LAR beyond the GDT limit clears ZF"
        mov ecx, SEL_CGATE
        lar eax, ecx
        pushfd
        pop edx
        and edx, EFL_ZF
        and eax, 0xff00
        CHECK edx, EFL_ZF, "LAR accepts a call gate"
        CHECK eax, 0xec00, "LAR of the call gate: type/DPL byte"
        mov ecx, SEL_LIM
        lsl eax, ecx
        pushfd
        pop edx
        and edx, EFL_ZF
        CHECK edx, EFL_ZF, "LSL on a data segment sets ZF"
        CHECK eax, 0xfff, "LSL byte-granular limit"
        mov ecx, SEL_CODE0
        lsl eax, ecx
        CHECK eax, 0xffffffff, "LSL scales a G=1 limit (0xfffff -> 0xffffffff)"
        mov ecx, SEL_CGATE
        mov eax, 0x1111
        lsl eax, ecx
        pushfd
        pop edx
        and edx, EFL_ZF
        CHECK edx, 0, "LSL on a call gate clears ZF"
        CHECK eax, 0x1111, "LSL with ZF=0 leaves the destination unchanged"
%macro VCHK 4   ; insn, selector, expected ZF, message
        mov ecx, %2
        %1 cx
        pushfd
        pop edx
        and edx, EFL_ZF
        CHECK edx, %3, %4
%endmacro
        VCHK verr, SEL_DATA0, EFL_ZF, "VERR data segment: readable"
        VCHK verw, SEL_DATA0, EFL_ZF, "VERW RW data segment: writable"
        VCHK verr, SEL_CODER, EFL_ZF, "VERR readable code segment"
        VCHK verr, SEL_CODEX, 0, "VERR execute-only code segment: ZF=0"
        VCHK verw, SEL_CODER, 0, "VERW code segment: ZF=0"
        VCHK verw, SEL_RO, 0, "VERW read-only data: ZF=0"
        VCHK verr, SEL_RO, EFL_ZF, "VERR read-only data: ZF=1"
        VCHK verr, 0, 0, "VERR null selector: ZF=0"
        VCHK verr, SEL_TSS0, 0, "VERR TSS descriptor (system segment): ZF=0"
        VCHK verr, SEL_NP, EFL_ZF, "VERR does not check the present bit"

        ; ---- ARPL (SDM vol.2: if dest.RPL < src.RPL then dest.RPL = src.RPL, ZF=1)
        mov bx, 0x0010
        mov ax, 0x0003
        arpl bx, ax
        pushfd
        pop edx
        and edx, EFL_ZF
        movzx ebx, bx
        CHECK ebx, 0x13, "ARPL raises the RPL"
        CHECK edx, EFL_ZF, "ARPL sets ZF when it adjusted"
        mov bx, 0x0013
        mov ax, 0x0011
        arpl bx, ax
        pushfd
        pop edx
        and edx, EFL_ZF
        movzx ebx, bx
        CHECK ebx, 0x13, "ARPL leaves a higher RPL alone"
        CHECK edx, 0, "ARPL clears ZF when not adjusted"
        mov word [SCRATCH], 0x0008
        mov cx, 0x0002
        arpl [SCRATCH], cx
        movzx eax, word [SCRATCH]
        CHECK eax, 0x000a, "ARPL with a memory destination"
        ret

.sel_coder: dw SEL_CODER

%include "lib_tail.inc"
