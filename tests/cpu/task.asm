; task.asm - hardware task switching (SDM vol.3 ch.7): JMP to a TSS
; descriptor, CALL through a task gate, INT through an IDT task gate, IRET
; with NT=1, back-link, busy bits, saved/loaded register state, CR0.TS.
%include "lib.inc"
kernel_name: db "task (TSS switch by JMP/CALL/INT, back-link, NT, busy, IRET)", 0

SEL_TSS1  equ 0x30
SEL_TSS2  equ 0x38
SEL_TGATE equ 0x40      ; task gate in the GDT -> SEL_TSS2
SEL_TSS3  equ 0x48
TSS1 equ 0x2b000
TSS2 equ 0x2c000
TSS3 equ 0x2d000

; TSS field offsets (32-bit TSS, SDM figure 7-2)
T_LINK equ 0x00
T_CR3  equ 0x1c
T_EIP  equ 0x20
T_EFL  equ 0x24
T_EAX  equ 0x28
T_EBX  equ 0x34
T_ESP  equ 0x38
T_ESI  equ 0x40
T_EDI  equ 0x44

%macro TYPE_OF 2        ; reg32, selector: type nibble of the GDT descriptor
        movzx %1, byte [gdt + %2 + 5]
        and %1, 0x0f
%endmacro

; init_tss: edi = TSS, ebx = EIP, ecx = ESP
init_tss:
        pushad
        push edi
        xor eax, eax
        mov ecx, 0x68 / 4
        rep stosd
        pop edi
        mov ecx, [esp + 24]
        mov [edi + T_EIP], ebx
        mov [edi + T_ESP], ecx
        mov dword [edi + T_EFL], 2
        mov dword [edi + 0x48], SEL_DATA0       ; ES
        mov dword [edi + 0x4c], SEL_CODE0       ; CS
        mov dword [edi + 0x50], SEL_DATA0       ; SS
        mov dword [edi + 0x54], SEL_DATA0       ; DS
        mov dword [edi + 0x58], SEL_DATA0       ; FS
        mov dword [edi + 0x5c], SEL_DATA0       ; GS
        mov eax, cr3
        mov [edi + T_CR3], eax
        mov word [edi + 0x66], 0x68
        popad
        ret

main:
        mov edi, TSS1
        mov ebx, task1
        mov ecx, 0x60000
        call init_tss
        mov dword [TSS1 + T_EAX], 0xa1a1a1a1
        mov dword [TSS1 + T_EDI], 0xd1d1d1d1
        mov dword [TSS1 + T_LINK], 0xdead
        mov edi, TSS2
        mov ebx, task2
        mov ecx, 0x5f000
        call init_tss
        mov edi, TSS3
        mov ebx, task3
        mov ecx, 0x5e000
        call init_tss
        DESC SEL_TSS1, TSS1, 0x67, 0x89, 0
        DESC SEL_TSS2, TSS2, 0x67, 0x89, 0
        DESC SEL_TSS3, TSS3, 0x67, 0x89, 0
        mov dword [gdt + SEL_TGATE], SEL_TSS2 << 16
        mov dword [gdt + SEL_TGATE + 4], 0x8500     ; P, DPL0, task gate
        mov dword [idt + 0x50 * 8], SEL_TSS3 << 16
        mov dword [idt + 0x50 * 8 + 4], 0x8500

        TYPE_OF eax, SEL_TSS0
        CHECK eax, 0xb, "LTR marked TSS0 busy (type 0xB)"

        ; ---- JMP to a TSS descriptor (SDM 7.3, table 7-2)
        mov ebx, 0x12345678
        mov esi, 0x5a5a5a5a
        jmp SEL_TSS1:0
.back1:
        str ax
        movzx eax, ax
        CHECK eax, SEL_TSS0, "JMP back to TSS0: TR = TSS0"
        CHECK ebx, 0x12345678, "registers restored from TSS0 (EBX)"
        CHECK esi, 0x5a5a5a5a, "registers restored from TSS0 (ESI)"
        TYPE_OF eax, SEL_TSS1
        CHECK eax, 0x9, "JMP away from task 1 cleared its busy bit"
        CHECK [TSS1 + T_EIP], task1.after_jmp, "task 1 state saved: EIP after its JMP"
        CHECK [TSS1 + T_EDI], 0xd1d1d1d1, "task 1 state saved: EDI"
        mov eax, cr0
        and eax, 8
        CHECK eax, 8, "a task switch sets CR0.TS"
        clts

        ; ---- CALL through a task gate: nested task, NT=1, back-link (SDM 7.4)
        mov ebx, 0x0b0b0b0b
        call SEL_TGATE:0
.back2:
        CHECK ebx, 0x0b0b0b0b, "IRET from the nested task restores EBX"
        TYPE_OF eax, SEL_TSS2
        CHECK eax, 0x9, "IRET from the nested task cleared its busy bit"
        TYPE_OF eax, SEL_TSS0
        CHECK eax, 0xb, "returned-to task stays busy"
        pushfd
        pop eax
        and eax, EFL_NT
        CHECK eax, 0, "back in task 0: NT=0"
        CHECK [TSS2 + T_EIP], task2.after_iret, "task 2 state saved: EIP after its IRET"
        mov eax, [TSS2 + T_EFL]
        and eax, EFL_NT
        CHECK eax, 0, "IRET clears NT in the EFLAGS saved for the nested task"

        ; ---- INT n through an IDT task gate
        mov edi, 0x77
        int 0x50
.back3:
        CHECK edi, 0x77, "INT to a task gate: IRET back restores EDI"
        CHECK [t3_link], SEL_TSS0, "INT task gate: back-link = TSS0"
        CHECK [t3_nt], EFL_NT, "INT task gate: new task runs with NT=1"
        CHECK [TSS0 + T_EIP], .back3, "TSS0 saved EIP = after the INT"

        ; ---- switching to a busy task faults (SDM 7.3 step 4: #GP(selector))
        EXPECT .r4
        call SEL_TSS0:0
.r4:    CHECK [exc_vec], 13, "CALL to the busy current TSS: #GP"
        CHECK [exc_err], SEL_TSS0, "error code = TSS selector"
        mov byte [gdt + SEL_TSS1 + 5], 0x8b     ; mark task 1 busy by hand
        EXPECT .r5
        jmp SEL_TSS1:0
.r5:    mov byte [gdt + SEL_TSS1 + 5], 0x89
        CHECK [exc_vec], 13, "JMP to a busy TSS: #GP"
        ; IRET with NT=1 but a non-TSS back-link: #TS
        mov word [TSS0 + T_LINK], SEL_DATA0
        EXPECT .r6
        pushfd
        or dword [esp], EFL_NT
        popfd
        iretd
.r6:    CHECK [exc_vec], 10, "IRET with NT=1 and a back-link that is not a TSS: #TS"
        CHECK [exc_err], SEL_DATA0, "#TS error code = the back-link selector"
        ret

task1:
        mov [t1_eax], eax
        mov [t1_esp], esp
        str ax
        movzx eax, ax
        CHECK eax, SEL_TSS1, "JMP to TSS1: TR = TSS1"
        CHECK [t1_eax], 0xa1a1a1a1, "new task's EAX loaded from its TSS"
        CHECK [t1_esp], 0x60000, "new task's ESP loaded from its TSS"
        CHECK [TSS0 + T_EIP], main.back1, "old task state saved: EIP after the JMP"
        CHECK [TSS0 + T_EBX], 0x12345678, "old task state saved: EBX"
        CHECK [TSS0 + T_ESI], 0x5a5a5a5a, "old task state saved: ESI"
        TYPE_OF eax, SEL_TSS0
        CHECK eax, 0x9, "JMP: old task's busy bit cleared"
        TYPE_OF eax, SEL_TSS1
        CHECK eax, 0xb, "JMP: new task marked busy"
        CHECK [TSS1 + T_LINK], 0xdead, "JMP does not write the back-link"
        pushfd
        pop eax
        and eax, EFL_NT
        CHECK eax, 0, "JMP: NT=0 in the new task"
        mov edi, 0xd1d1d1d1
        jmp SEL_TSS0:0
.after_jmp:
        hlt

task2:
        str ax
        movzx eax, ax
        CHECK eax, SEL_TSS2, "CALL via task gate: TR = gate's TSS"
        CHECK [TSS2 + T_LINK], SEL_TSS0, "CALL: back-link = old TSS selector"
        pushfd
        pop eax
        and eax, EFL_NT
        CHECK eax, EFL_NT, "CALL: NT=1 in the nested task"
        TYPE_OF eax, SEL_TSS0
        CHECK eax, 0xb, "CALL: old task stays busy"
        TYPE_OF eax, SEL_TSS2
        CHECK eax, 0xb, "CALL: new task busy"
        CHECK [TSS0 + T_EIP], main.back2, "old task saved EIP = after the CALL"
        iretd                                   ; NT=1: task return via back-link
.after_iret:
        jmp task2

task3:
        movzx eax, word [TSS3 + T_LINK]
        mov [t3_link], eax
        pushfd
        pop eax
        and eax, EFL_NT
        mov [t3_nt], eax
        iretd
        jmp task3

        align 4
t1_eax: dd 0
t1_esp: dd 0
t3_link: dd 0
t3_nt: dd 0

%include "lib_tail.inc"
