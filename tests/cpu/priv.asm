; priv.asm - privilege levels: ring 3 via IRET, call gate with stack switch,
; INT n DPL checks, IOPL and the I/O permission bitmap (SDM vol.3 ch.5, 6.12,
; vol.1 19.5), CR4.UMIP (vol.3 2.5: SGDT/SIDT/SLDT/SMSW/STR at CPL>0), and
; RDPMC on a CPU with no counters (CPUID 0AH version 0: every ECX invalid).
; RUN-ARGS: -cpu qemu64,+umip
%include "lib.inc"
kernel_name: db "priv (ring 3, call gate, DPL checks, IOPL, I/O bitmap)", 0

SEL_CGATE equ 0x30      ; call gate, DPL3 -> 0x08:cg_target, 2 dword params
SEL_CGATE0 equ 0x38     ; call gate, DPL0 (not callable from CPL3)

; results recorded by ring-3 code: [vec, err, eip, cs, esp, ss, hss, frame]
%macro SAVE 1
        push eax
        mov eax, [exc_vec]
        mov [%1], eax
        mov eax, [exc_err]
        mov [%1 + 4], eax
        mov eax, [exc_eip]
        mov [%1 + 8], eax
        mov eax, [exc_cs]
        mov [%1 + 12], eax
        mov eax, [exc_esp]
        mov [%1 + 16], eax
        mov eax, [exc_ss]
        mov [%1 + 20], eax
        mov eax, [exc_hss]
        mov [%1 + 24], eax
        mov eax, [exc_frame]
        mov [%1 + 28], eax
        pop eax
%endmacro

main:
        pushad
        mov edi, gdt + SEL_CGATE
        mov ebx, cg_target
        mov ecx, SEL_CODE0
        mov edx, 0xec02                 ; P, DPL3, 32-bit call gate, 2 params
        call make_gate
        popad
        pushad
        mov edi, gdt + SEL_CGATE0
        mov ebx, cg_target
        mov ecx, SEL_CODE0
        mov edx, 0x8c02                 ; P, DPL0
        call make_gate
        popad
        IDT_GATE 0x40, exc_stubs + 0x40 * STUB_SIZE, 0x8e   ; DPL0
        IDT_GATE 0x41, exc_stubs + 0x41 * STUB_SIZE, 0xee   ; DPL3
        and byte [TSS0 + 0x68 + 0x80 / 8], ~1               ; allow port 0x80

        mov eax, user1
        mov ebx, USER_STACK
        mov ecx, 0x0002                 ; IOPL 0, IF 0
        call run_user
        DIAG "back from ring 3 (IOPL=0)"
        CHECK [u_cs], SEL_CODE3, "IRET to ring 3: CS = 0x1b (CPL3)"
        CHECK [u_ss], SEL_DATA3, "IRET to ring 3: SS:ESP popped from the frame"
        CHECK [u_esp0], USER_STACK, "ring-3 ESP from the IRET frame"
        ; call gate: SS:ESP from TSS.SS0/ESP0; pushes old SS, ESP, params, CS, EIP
        CHECK [cg_cs], SEL_CODE0, "call gate: CS = gate's selector (CPL0)"
        CHECK [cg_ss], SEL_DATA0, "call gate: SS loaded from TSS.SS0"
        CHECK [cg_esp], ESP0_TOP - 24, "call gate: ESP = TSS.ESP0 - 24 (SS, ESP, 2 params, CS, EIP)"
        CHECK [cg_frame + 0], user1.after_call, "call gate frame: return EIP"
        CHECK [cg_frame + 4], SEL_CODE3, "call gate frame: return CS"
        CHECK [cg_frame + 8], 0x22222222, "call gate frame: parameter copied (last pushed)"
        CHECK [cg_frame + 12], 0x11111111, "call gate frame: parameter copied (first pushed)"
        CHECK [cg_frame + 16], [u_esp_call], "call gate frame: caller ESP"
        CHECK [cg_frame + 20], SEL_DATA3, "call gate frame: caller SS"
        CHECK [u_esp_ret], USER_STACK, "RETF 8 back to ring 3 pops the parameters"
        CHECK [u_ret_cs], SEL_CODE3, "RETF back to ring 3: CS = 0x1b"
        ; INT n from CPL3 to a DPL0 gate: #GP(vector*8+2) (SDM 6.12.1.1)
        CHECK [r_int40], 13, "INT 0x40 (DPL0 gate) from CPL3: #GP"
        CHECK [r_int40 + 4], 0x40 * 8 + 2, "#GP error code = vector*8 + 2"
        CHECK [r_int40 + 8], user1.i_int40, "#GP saved EIP = the INT"
        CHECK [r_int41], 0x41, "INT 0x41 (DPL3 gate) from CPL3 is delivered"
        CHECK [r_int41 + 12], SEL_CODE3, "frame: saved CS is the ring-3 CS"
        CHECK [r_int41 + 20], SEL_DATA3, "frame: saved SS is the ring-3 SS"
        CHECK [r_int41 + 16], [u_esp_int41], "frame: saved ESP is the ring-3 ESP"
        CHECK [r_int41 + 24], SEL_DATA0, "handler runs on TSS.SS0"
        CHECK [r_int41 + 28], ESP0_TOP - 20, "frame (EIP) at TSS.ESP0 - 20"
        ; exceptions ignore the gate DPL
        CHECK [r_ud], 6, "#UD from CPL3 through a DPL0 gate (no DPL check for exceptions)"
        ; IOPL=0 at CPL3: CLI/HLT/CR access fault; I/O goes by the bitmap
        CHECK [r_cli], 13, "CLI at CPL3 with IOPL=0: #GP"
        CHECK [r_hlt], 13, "HLT at CPL3: #GP"
        CHECK [r_cr0], 13, "MOV from CR0 at CPL3: #GP"
        CHECK [r_in80], -1, "IN port 0x80 allowed by the I/O bitmap"
        CHECK [r_in81], 13, "IN port 0x81 denied by the I/O bitmap: #GP"
        CHECK [r_in81 + 4], 0, "I/O #GP error code 0"
        CHECK [r_inw], 13, "16-bit IN at 0x7f spans a denied bit (0x80 ok, 0x7f not)"
        CHECK [r_popf], 0, "POPF at CPL3 with IOPL=0 leaves IF and IOPL unchanged"
        CHECK [r_ds0], 13, "load DPL0 data selector at CPL3: #GP"
        CHECK [r_ds0 + 4], 0x10, "error code = selector"
        CHECK [r_cg0], 13, "CALL through a DPL0 call gate from CPL3: #GP"
        CHECK [r_cg0 + 4], SEL_CGATE0, "error code = gate selector"
        CHECK [r_far0], 13, "direct far CALL to a DPL0 code segment from CPL3: #GP"
        CHECK [r_far0 + 4], SEL_CODE0, "error code = code selector"
        CHECK [r_retf0], 13, "RETF to a more privileged level (RPL0 CS) from CPL3: #GP"
        CHECK [r_ds_after], 0, "IRET to ring 3 nulls FS/GS holding DPL0 data selectors"

        mov eax, user2
        mov ebx, USER_STACK
        mov ecx, 0x3002                 ; IOPL 3
        call run_user
        DIAG "back from ring 3 (IOPL=3)"
        CHECK [r2_in81], -1, "IOPL=3: IN port 0x81 allowed without the bitmap"
        CHECK [r2_cli], -1, "IOPL=3: CLI/STI allowed at CPL3"
        CHECK [r2_hlt], 13, "IOPL=3: HLT still #GP at CPL3"

        ; CR4.UMIP clear: ring 3 may store GDTR, IDTR, LDTR, TR and the MSW
        mov eax, user3
        mov ebx, USER_STACK
        mov ecx, 0x0002
        call run_user
        CHECK [r3_sgdt], -1, "UMIP=0: SGDT at CPL3 allowed"
        CHECK [r3_sidt], -1, "UMIP=0: SIDT at CPL3 allowed"
        CHECK [r3_sldt], -1, "UMIP=0: SLDT at CPL3 allowed"
        CHECK [r3_str], -1, "UMIP=0: STR at CPL3 allowed"
        CHECK [r3_smsw], -1, "UMIP=0: SMSW at CPL3 allowed"
        CHECK [r3_smsw + 32], 0x11, "UMIP=0: SMSW at CPL3 reads CR0's low bits (PE, ET)"
        EXPECT .u0
        mov eax, cr4
        or eax, 1 << 11                 ; CR4.UMIP
        mov cr4, eax
.u0:    CHECK [exc_vec], -1, "+umip: CR4.UMIP can be set"
        EXPECT .u1
        sgdt [u_desc]
        smsw ax
        str ax
.u1:    CHECK [exc_vec], -1, "UMIP=1: SGDT, SMSW and STR at CPL0 allowed"
        mov eax, user3
        mov ebx, USER_STACK
        mov ecx, 0x0002
        call run_user
        CHECK [r3_sgdt], 13, "UMIP=1: SGDT at CPL3 is #GP"
        CHECK [r3_sgdt + 4], 0, "UMIP=1: SGDT #GP error code 0"
        CHECK [r3_sgdt + 8], user3.i_sgdt, "UMIP=1: #GP saved EIP = the SGDT"
        CHECK [r3_sidt], 13, "UMIP=1: SIDT at CPL3 is #GP"
        CHECK [r3_sldt], 13, "UMIP=1: SLDT at CPL3 is #GP"
        CHECK [r3_str], 13, "UMIP=1: STR at CPL3 is #GP"
        CHECK [r3_smsw], 13, "UMIP=1: SMSW at CPL3 is #GP"
        mov eax, cr4
        and eax, ~(1 << 11)
        mov cr4, eax

        ; RDPMC: CPL3 without CR4.PCE is #GP(0) (user3 above); at CPL0
        ; ECX=0 names no counter on this CPU: #GP(0) too
        CHECK [r3_rdpmc], 13, "RDPMC at CPL3 with CR4.PCE=0: #GP"
        CHECK [r3_rdpmc + 4], 0, "RDPMC #GP error code 0"
        EXPECT .p0
        xor ecx, ecx
        rdpmc
.p0:    CHECK_TODO [exc_vec], 13, "RDPMC of counter 0 with no counters (CPUID 0AH version 0): #GP", "QEMU 7.2 TCG raises #UD for every RDPMC it lets through"
        ret

; ring-0 target of the call gate
cg_target:
        mov [cg_esp], esp
        mov ax, ss
        movzx eax, ax
        mov [cg_ss], eax
        mov ax, cs
        movzx eax, ax
        mov [cg_cs], eax
        mov esi, esp
        mov edi, cg_frame
        mov ecx, 6
.c:     mov eax, [ss:esi]
        mov [edi], eax
        add esi, 4
        add edi, 4
        loop .c
        retf 8

; ---- ring-3 code (flat DPL3 segments; no paging)
user1:
        mov ax, fs
        movzx eax, ax
        mov [r_ds_after], eax           ; FS held 0x10 (DPL0) before the IRET
        mov ax, cs
        movzx eax, ax
        mov [u_cs], eax
        mov ax, ss
        movzx eax, ax
        mov [u_ss], eax
        mov [u_esp0], esp
        push dword 0x11111111
        push dword 0x22222222
        mov [u_esp_call], esp
        call SEL_CGATE | 3:0
.after_call:
        mov [u_esp_ret], esp
        mov ax, cs
        movzx eax, ax
        mov [u_ret_cs], eax
        EXPECT .r1
.i_int40:
        int 0x40
.r1:    SAVE r_int40
        mov [u_esp_int41], esp
        EXPECT .r2
        int 0x41
.r2:    SAVE r_int41
        EXPECT .r3
        ud2
.r3:    SAVE r_ud
        EXPECT .r4
        cli
.r4:    SAVE r_cli
        EXPECT .r5
        hlt
.r5:    SAVE r_hlt
        EXPECT .r6
        mov eax, cr0
.r6:    SAVE r_cr0
        EXPECT .r7
        in al, 0x80
.r7:    SAVE r_in80
        EXPECT .r8
        in al, 0x81
.r8:    SAVE r_in81
        EXPECT .r9
        in ax, 0x7f
.r9:    SAVE r_inw
        mov dword [exc_resume], 0
        pushfd
        pop ebx
        mov eax, ebx
        or eax, EFL_IF | 0x3000
        push eax
        popfd
        pushfd
        pop eax
        xor eax, ebx
        and eax, EFL_IF | 0x3000
        mov [r_popf], eax
        EXPECT .r10
        mov ax, SEL_DATA0 | 3
        mov ds, ax
.r10:   SAVE r_ds0
        EXPECT .r11
        call SEL_CGATE0 | 3:0
.r11:   SAVE r_cg0
        EXPECT .r12
        call SEL_CODE0:0
.r12:   SAVE r_far0
        EXPECT .r13
        push dword SEL_CODE0
        push dword .r13
        retf
.r13:   SAVE r_retf0
        mov esp, USER_STACK
        int 0x30

user2:
        EXPECT .r1
        in al, 0x81
.r1:    SAVE r2_in81
        EXPECT .r2
        cli
        sti
        cli
.r2:    SAVE r2_cli
        EXPECT .r3
        hlt
.r3:    SAVE r2_hlt
        mov dword [exc_resume], 0
        int 0x30

; stores the descriptor-table registers and the MSW; r3_smsw + 32 gets AX
user3:
        EXPECT .r1
.i_sgdt: sgdt [u_desc]
.r1:    SAVE r3_sgdt
        EXPECT .r2
        sidt [u_desc]
.r2:    SAVE r3_sidt
        EXPECT .r3
        sldt ax
.r3:    SAVE r3_sldt
        EXPECT .r4
        str ax
.r4:    SAVE r3_str
        xor eax, eax
        EXPECT .r5
        smsw ax
.r5:    SAVE r3_smsw
        and eax, 0x11
        mov [r3_smsw + 32], eax
        EXPECT .r6
        xor ecx, ecx
        rdpmc
.r6:    SAVE r3_rdpmc
        mov dword [exc_resume], 0
        int 0x30

        align 4
u_desc: times 16 db 0
r3_sgdt: times 8 dd 0
r3_sidt: times 8 dd 0
r3_sldt: times 8 dd 0
r3_str: times 8 dd 0
r3_smsw: times 9 dd 0
r3_rdpmc: times 8 dd 0
u_cs: dd 0
u_ss: dd 0
u_esp0: dd 0
u_esp_call: dd 0
u_esp_ret: dd 0
u_ret_cs: dd 0
u_esp_int41: dd 0
cg_esp: dd 0
cg_ss: dd 0
cg_cs: dd 0
cg_frame: times 6 dd 0
r_popf: dd 0
r_ds_after: dd 0
r_int40: times 8 dd 0
r_int41: times 8 dd 0
r_ud: times 8 dd 0
r_cli: times 8 dd 0
r_hlt: times 8 dd 0
r_cr0: times 8 dd 0
r_in80: times 8 dd 0
r_in81: times 8 dd 0
r_inw: times 8 dd 0
r_ds0: times 8 dd 0
r_cg0: times 8 dd 0
r_far0: times 8 dd 0
r_retf0: times 8 dd 0
r2_in81: times 8 dd 0
r2_cli: times 8 dd 0
r2_hlt: times 8 dd 0

%include "lib_tail.inc"
