; smm-smp.asm - SMM on two CPUs with vCPUs on host threads (issue #8): the
; SMRAM view is per CPU.  Each CPU's SMBASE is relocated into SMRAM through
; an SMI IPI (the BSP to 0xa0000, the AP to 0xa8000).  Then the AP sits in
; its SMI handler, reading the mark it wrote into SMRAM, while the BSP,
; outside SMM, reads and writes the same addresses and sees the VGA window:
; neither sees the other's memory.  An INIT sent to the AP meanwhile waits
; until its RSM (SDM vol.3 ch.34): the AP stays in its handler, and only
; after RSM goes to wait-for-SIPI; a SIPI restarts it, and its next SMI
; still runs at the relocated SMBASE (INIT keeps SMBASE).  The APs start
; through smp.inc: the BSP's part of the test is its `worker'.
; RUN-ARGS: -smp 2 -accel tcg,thread=multi -cpu qemu64
%include "lib.inc"
%include "smm-common.inc"
kernel_name: db "smm-smp (per-CPU SMRAM view, SMI IPIs, INIT held in SMM)", 0

SMBASE0     equ 0x30000
SMBASE_BSP  equ 0xa0000
SMBASE_AP   equ 0xa8000
SMRAM_MARK  equ 0x214d4d53
WAIT_MAX    equ 200000000

; the mailbox (plain RAM, DS base 0 in the handler)
MB          equ 0x21000
MB_MODE     equ MB + 0          ; 0 relocate, 1 spin until released, 2 record CS only
MB_NEWBASE  equ MB + 4
MB_RUNS     equ MB + 8
MB_CS       equ MB + 12
MB_IN       equ MB + 16         ; the spinning handler is inside
MB_RELEASE  equ MB + 20
MB_BAD      equ MB + 24         ; the spinning handler lost sight of its mark
MB_SPINS    equ MB + 28
MB_ALIVE    equ MB + 32         ; the AP's idle loop counter
MB_QUIT     equ MB + 36         ; the AP's worker returns

%macro IPI_AP 1                         ; ICR low word to the AP (APIC ID 1)
        mov dword [A_ICR_HI], 1 << 24
        mov dword [A_ICR_LO], %1
%endmacro
%macro WAIT_FOR 2                       ; dword [%1] == %2, bounded
        mov ecx, WAIT_MAX
%%w:    cmp dword [%1], %2
        je %%ok
        pause
        dec ecx
        jnz %%w
%%ok:
%endmacro

main:
        mov edi, SCRATCH                ; smp.inc's words
        mov ecx, 0x400 / 4
        xor eax, eax
        rep stosd
        mov edi, MB
        mov ecx, 0x40
        rep stosd
        mov dword [APIC + 0xf0], 0x1ff
        SMRAM 0x4a
        mov edi, SMBASE0 + 0x8000
        call copy_handler
        mov edi, SMBASE_BSP + 0x8000
        call copy_handler
        mov edi, SMBASE_AP + 0x8000
        call copy_handler
        SMRAM 0x0a

        ; the BSP relocates itself (SMI IPI to its own APIC ID 0)
        mov dword [MB_MODE], 0
        mov dword [MB_NEWBASE], SMBASE_BSP
        mov dword [A_ICR_HI], 0
        mov dword [A_ICR_LO], 0x4200
        WAIT_FOR MB_RUNS, 1
        CHECK [MB_CS], SMBASE0 >> 4, "BSP: first SMI at the default SMBASE"
        call smp_run                    ; start the AP; worker on both CPUs
        ret

; ebp = 0: the BSP runs the test; the AP idles until told to return
worker:
        test ebp, ebp
        jz .bsp
.idle:  cmp dword [MB_QUIT], 0
        jne .ret
        lock inc dword [MB_ALIVE]
        pause
        jmp .idle
.ret:   ret
.bsp:   ; relocate the AP
        mov dword [MB_NEWBASE], SMBASE_AP
        IPI_AP 0x4200
        WAIT_FOR MB_RUNS, 2
        CHECK [MB_CS], SMBASE0 >> 4, "AP: its first SMI at the default SMBASE too"
        mov dword [MB_MODE], 2
        mov dword [A_ICR_HI], 0
        mov dword [A_ICR_LO], 0x4200
        WAIT_FOR MB_RUNS, 3
        CHECK [MB_CS], SMBASE_BSP >> 4, "BSP: SMBASE relocated to 0xa0000"

        ; the AP in SMM, the BSP outside, at the same time
        mov dword [MB_MODE], 1
        IPI_AP 0x4200
        WAIT_FOR MB_IN, 1
        CHECK [MB_IN], 1, "AP: in its SMI handler at 0xb0000 (SMBASE 0xa8000)"
        CHECK [MB_CS], SMBASE_AP >> 4, "AP: SMBASE relocated to 0xa8000"
        mov eax, [SMBASE_AP + 0x100]
        cmp eax, SMRAM_MARK
        setne al
        movzx eax, al
        CHECK eax, 1, "BSP outside SMM does not see the AP's mark in SMRAM"
        mov eax, [SMBASE_AP + 0x8000]
        cmp eax, [smi_handler]
        setne al
        movzx eax, al
        CHECK eax, 1, "BSP outside SMM does not see the handler the AP runs"
        mov ecx, 1000
.poke:  mov dword [SMBASE_AP + 0x100], 0x0badf00d     ; goes to the VGA window
        dec ecx
        jnz .poke
        ; INIT while the AP is in SMM: held.  Wait until its handler has
        ; gone round its loop many more times (PAUSE also hands the thread
        ; to the AP with thread=single).
        IPI_AP 0x4500
        mov eax, [MB_SPINS]
        add eax, 100000
        mov ecx, 20000000
.hold:  cmp [MB_SPINS], eax
        jae .held_on
        pause
        dec ecx
        jnz .hold
.held_on:
        CHECK [MB_IN], 1, "INIT to a CPU in SMM: it stays in its SMI handler"
        cmp [MB_SPINS], eax
        setae al
        movzx eax, al
        CHECK_TODO eax, 1, "...and keeps running it", "qemu-tcg takes INIT in SMM"
        test eax, eax
        jnz .held
        ; the INIT was not held: the AP left its handler without RSM
        SKIP "the rest: RSM, INIT after it, SIPI, SMBASE kept", "INIT was taken in SMM"
        mov dword [MB_QUIT], 1
        IPI_AP 0x4600 | ((ap_trampoline - $$ + BASE) >> 12)     ; it waits for SIPI
        ret
.held:  mov dword [MB_RELEASE], 1
        WAIT_FOR MB_IN, 0
        CHECK [MB_IN], 0, "AP left SMM with RSM"
        CHECK [MB_BAD], 0, "AP in SMM saw its SMRAM mark all along"
        ; after RSM the held INIT stops the AP (wait-for-SIPI) before its
        ; idle loop counts again
        mov eax, [MB_ALIVE]
        mov ecx, 200000
.still: pause
        dec ecx
        jnz .still
        CHECK [MB_ALIVE], eax, "after RSM the held INIT put the AP into wait-for-SIPI"
        ; a SIPI restarts it; INIT kept its SMBASE
        IPI_AP 0x4600 | ((ap_trampoline - $$ + BASE) >> 12)
        WAIT_FOR V_CHECKIN, 2
        CHECK [V_CHECKIN], 2, "SIPI restarts the AP after that INIT"
        mov dword [MB_MODE], 2
        mov eax, [MB_RUNS]
        inc eax
        mov [runs_want], eax
        IPI_AP 0x4200
        mov ecx, WAIT_MAX
.r:     mov eax, [MB_RUNS]
        cmp eax, [runs_want]
        je .rd
        pause
        dec ecx
        jnz .r
.rd:    CHECK [MB_RUNS], [runs_want], "SMI to the restarted AP ran"
        CHECK_TODO [MB_CS], SMBASE_AP >> 4, "INIT kept the AP's relocated SMBASE", "qemu-tcg resets SMBASE on INIT"
        mov dword [MB_QUIT], 1
        ret

        align 4
runs_want: dd 0

; ---- the SMI handler (AMD64 map), at SMBASE + 0x8000; SMBASE = CS << 4 ----
        bits 16
smi_handler:
        mov esp, 0x7000
        mov ax, cs
        movzx ebx, ax
        mov [dword MB_CS], ebx
        shl ebx, 4                      ; SMBASE
        cmp dword [dword MB_MODE], 1
        je .spin
        cmp dword [dword MB_MODE], 2
        je .done
        mov eax, [dword MB_NEWBASE]
        mov [ebx + 0xff00], eax         ; SMBASE field (0x7f00 from SMBASE + 0x8000)
        jmp .done
.spin:  mov esp, 0x6000                 ; not the BSP's stack
        mov dword [ebx + 0x100], SMRAM_MARK
        mov dword [dword MB_RELEASE], 0
        mov dword [dword MB_IN], 1
.l:     cmp dword [ebx + 0x100], SMRAM_MARK
        je .same
        lock inc dword [dword MB_BAD]
.same:  lock inc dword [dword MB_SPINS]
        cmp dword [dword MB_RELEASE], 0
        je .l
        mov dword [dword MB_IN], 0
.done:  lock inc dword [dword MB_RUNS]
        rsm
smi_handler_end:
        bits 32

%include "smp.inc"

%include "lib_tail.inc"
