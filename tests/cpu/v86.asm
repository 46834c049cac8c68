; v86.asm - virtual-8086 mode (SDM vol.3 ch.20): entry by IRET with
; EFLAGS.VM=1, real-mode style addressing, IOPL-sensitive instructions
; (CLI, PUSHF, INT n) trapping to the ring-0 monitor with #GP(0), the frame
; that saves the v86 segment registers and nulls them, INT n at IOPL=3 going
; through a DPL3 IDT gate, and the I/O permission bitmap in v86 mode.
%include "lib.inc"
kernel_name: db "v86 (IRET to VM86, IOPL-sensitive insns, monitor frame, I/O bitmap)", 0

V86_CS equ BASE >> 4
V86_DS equ SCRATCH >> 4         ; 0x2000
V86_ES equ 0x2100
V86_FS equ 0x2200
V86_GS equ 0x2300
V86_SS equ 0x6000

; ENTER_V86 ip_label, iopl, resume_label: IRET into VM86 mode at cs:ip; the
; next exception returns to resume_label in the kernel (longjmp).
%macro ENTER_V86 3
        EXPECT_LJ %3
        push dword V86_GS
        push dword V86_FS
        push dword V86_DS
        push dword V86_ES
        push dword V86_SS
        push dword 0xfffe
        push dword EFL_VM | ((%2) << 12) | 2
        push dword V86_CS
        push dword %1 - BASE
        iretd
%endmacro

main:
        IDT_GATE 0x21, exc_stubs + 0x21 * STUB_SIZE, 0xee   ; DPL3 interrupt gate
        and byte [TSS0 + 0x68 + 0x80 / 8], ~1               ; allow port 0x80
        mov dword [0x21000], 0x600dcafe                     ; at ES:0 in v86 mode

        ENTER_V86 vm_stage1, 0, .s1
.s1:    CHECK [0x20100], 0x2468, "v86: 16-bit arithmetic and DS-relative store (DS*16 + offset)"
        CHECK [0x20104], 0x600dcafe, "v86: ES:0 addresses ES*16"
        CHECK [0x20108], 0x5555, "v86: PUSH/POP through SS*16 + SP"
        CHECK [0x2010c], V86_CS, "v86: CS value is the real-mode style segment"
        CHECK [exc_vec], 13, "v86 CLI with IOPL=0: #GP"
        CHECK [exc_err], 0, "#GP error code 0"
        CHECK [exc_eip], vm_stage1.cli - BASE, "saved EIP = the CLI (16-bit offset)"
        CHECK [exc_cs], V86_CS, "saved CS = v86 CS"
        mov eax, [exc_eflags]
        and eax, EFL_VM
        CHECK eax, EFL_VM, "saved EFLAGS has VM=1"
        CHECK [exc_ds], 0, "monitor entered with DS = 0 (data segments nulled)"
        CHECK [exc_hss], SEL_DATA0, "monitor runs on TSS.SS0"
        CHECK [exc_frame], ESP0_TOP - 36, "frame: EIP at ESP0 - 36 (GS FS DS ES SS ESP EFLAGS CS EIP)"
        CHECK [exc_ss], V86_SS, "frame: v86 SS"
        mov eax, [exc_frame]
        mov ebx, [eax + 24]
        CHECK ebx, V86_DS, "frame: v86 DS"
        mov ebx, [eax + 32]
        CHECK ebx, V86_GS, "frame: v86 GS"

        ENTER_V86 vm_int, 0, .s2
.s2:    CHECK [exc_vec], 13, "v86 INT n with IOPL=0: #GP to the monitor"
        CHECK [exc_err], 0, "INT n #GP error code 0"
        CHECK [exc_eip], vm_int - BASE, "saved EIP = the INT"

        ENTER_V86 vm_pushf, 0, .s3
.s3:    CHECK [exc_vec], 13, "v86 PUSHF with IOPL=0: #GP"

        ENTER_V86 vm_iopl3, 3, .s4
.s4:    CHECK [exc_vec], 0x21, "v86 INT 0x21 with IOPL=3 goes through the IDT"
        CHECK [exc_eip], vm_iopl3.next - BASE, "INT n: saved EIP = next instruction"
        CHECK [0x20110], 0x3002, "IOPL=3: CLI and PUSHF execute in v86 (FLAGS image)"

        ENTER_V86 vm_io, 0, .s5
.s5:    CHECK [0x20114], 1, "v86 IN from a port allowed by the I/O bitmap"
        CHECK [exc_vec], 13, "v86 IN from a denied port: #GP"
        CHECK [exc_eip], vm_io.in81 - BASE, "saved EIP = the IN"
        ret

        bits 16
vm_stage1:
        mov ax, 0x1234
        add ax, ax
        mov [0x100], ax
        mov eax, [es:0]
        mov [0x104], eax
        push word 0x5555
        pop cx
        mov [0x108], cx
        mov [0x10c], cs
.cli:   cli
        hlt
vm_int: int 0x21
        hlt
vm_pushf:
        pushf
        hlt
vm_iopl3:
        cli
        pushf
        pop ax
        mov [0x110], ax
        int 0x21
.next:  hlt
vm_io:  in al, 0x80
        mov word [0x114], 1
.in81:  in al, 0x81
        hlt
        bits 32

%include "lib_tail.inc"
