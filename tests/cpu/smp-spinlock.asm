; smp-spinlock.asm - one spinlock hammered by every CPU with vCPUs on host
; threads (issue #8): LOCK CMPXCHG takes it, a plain MOV releases it, as
; Linux's queued spinlocks and most hand-written locks do.  In the critical
; section each CPU writes its number into an owner word, bumps a plain
; counter with a load and a store, and checks that the owner word and the
; lock word are still its own; nothing may be lost.  Before guest loads and
; stores became single host accesses, a plain 4-byte store went through
; glibc's memcpy, which writes the 4 bytes twice: a release could land again
; after the next CPU took the lock (-smp 3: 18 failing runs in 20).
; RUN-ARGS: -smp 3 -accel tcg,thread=multi
%include "lib.inc"
kernel_name: db "smp-spinlock (LOCK CMPXCHG lock, MOV release, owner checks)", 0

APIC        equ 0xfee00000
A_SVR       equ APIC + 0xf0
A_ICR_LO    equ APIC + 0x300
A_ICR_HI    equ APIC + 0x310
ITER        equ 1000000
SPIN_MAX    equ 50000000                ; a lock held this long was lost

; shared variables, each on its own cache line, on a page without code
V_LOCK      equ SCRATCH + 0x000
V_PLAIN     equ SCRATCH + 0x040
V_OWNER     equ SCRATCH + 0x080
V_BADOWN    equ SCRATCH + 0x0c0
V_BADLOCK   equ SCRATCH + 0x100
V_CHECKIN   equ SCRATCH + 0x240
V_GO        equ SCRATCH + 0x280
V_DONE      equ SCRATCH + 0x2c0
AP_STACKS   equ 0x50000             ; 4 KiB each, below the ring-3 stack

main:
        ; zero the shared block
        mov edi, SCRATCH
        mov ecx, 0x400 / 4
        xor eax, eax
        rep stosd
        mov dword [stuck], 0
        ; CPU count: CMOS 0x5f holds N - 1
        mov al, 0x5f
        out 0x70, al
        in al, 0x71
        movzx eax, al
        inc eax
        mov [ncpus], eax
        cmp dword [ncpus], 1
        je .alone
        ; INIT, then SIPI twice, to all but self (the vector is the 4 KiB
        ; page of the trampoline)
        mov dword [A_SVR], 0x1ff
        mov dword [A_ICR_HI], 0
        mov dword [A_ICR_LO], 0x000c4500
        mov dword [A_ICR_LO], 0x000c4600 | ((ap_trampoline - $$ + BASE) >> 12)
        mov dword [A_ICR_LO], 0x000c4600 | ((ap_trampoline - $$ + BASE) >> 12)
        ; every AP checks in (bounded wait)
        mov ecx, 200000000
.wait:  mov eax, [V_CHECKIN]
        inc eax
        cmp eax, [ncpus]
        je .all_in
        pause
        dec ecx
        jnz .wait
.all_in:
        mov eax, [V_CHECKIN]
        inc eax
        CHECK eax, [ncpus], "every AP started by INIT/SIPI checked in"
.alone:
        mov dword [V_GO], 1             ; and off they go, the BSP too
        push ebp
        xor ebp, ebp                    ; the BSP's bit
        call worker
        pop ebp
        ; wait for the others to finish
        mov ecx, 400000000
.wdone: mov eax, [V_DONE]
        cmp eax, [ncpus]
        je .done
        pause
        dec ecx
        jnz .wdone
.done:  CHECK [V_DONE], [ncpus], "every CPU finished its loop"
        mov eax, [ncpus]
        imul eax, eax, ITER
        mov [expect], eax
        CHECK [V_PLAIN], [expect], "plain counter under the spinlock: no increment lost"
        CHECK [V_BADOWN], 0, "no other CPU inside the critical section"
        CHECK [V_BADLOCK], 0, "the lock word stayed taken while held"
        CHECK [V_LOCK], 0, "spinlock released"
        CHECK [stuck], 0, "no CPU stuck on the spinlock"
        ret

; ---- the loop every CPU runs; ebp = this CPU's number ----
worker:
        mov ecx, ITER
.loop:  mov edi, SPIN_MAX
.acq:   xor eax, eax
        mov edx, 1
        lock cmpxchg [V_LOCK], edx
        jz .got
        pause
        dec edi
        jz .stuck
        jmp .acq
.got:   mov [V_OWNER], ebp
        mov eax, [V_PLAIN]              ; a deliberately wide window
        inc eax
        mov [V_PLAIN], eax
        cmp [V_OWNER], ebp
        je .own
        lock inc dword [V_BADOWN]       ; another CPU got in as well
.own:   cmp dword [V_LOCK], 1
        je .held
        lock inc dword [V_BADLOCK]      ; someone released our lock
.held:  mov dword [V_LOCK], 0
        dec ecx
        jnz .loop
.out:   lock inc dword [V_DONE]
        ret
.stuck: mov dword [stuck], 1
        jmp .out

; ---- application processors ----
        bits 32
ap_pm:
        mov ax, SEL_DATA0
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov fs, ax
        mov gs, ax
        lidt [idtr]
        mov eax, 1
        lock xadd [V_CHECKIN], eax      ; eax = 0, 1, ...: this AP's index
        lea ebp, [eax + 1]              ; its bit (the BSP has bit 0)
        shl eax, 12
        lea esp, [AP_STACKS + 0x1000 + eax]
.go:    cmp dword [V_GO], 0
        jne .run
        pause
        jmp .go
.run:   call worker
.park:  cli
        hlt
        jmp .park

        align 4
ncpus:  dd 0
expect: dd 0
stuck:  dd 0

        bits 16
        align 4096
; SIPI starts an AP in real mode at CS = vector << 8, IP = 0
ap_trampoline:
        cli
        mov ax, BASE >> 4
        mov ds, ax
        o32 lgdt [gdtr - BASE]
        mov eax, cr0
        or al, 1
        mov cr0, eax
        jmp dword SEL_CODE0:ap_pm

%include "lib_tail.inc"
