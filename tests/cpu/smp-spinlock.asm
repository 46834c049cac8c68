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

ITER        equ 1000000
SPIN_MAX    equ 50000000                ; a lock held this long was lost

; shared variables, each on its own cache line, on a page without code
V_LOCK      equ SCRATCH + 0x000
V_PLAIN     equ SCRATCH + 0x040
V_OWNER     equ SCRATCH + 0x080
V_BADOWN    equ SCRATCH + 0x0c0
V_BADLOCK   equ SCRATCH + 0x100

main:
        ; zero the shared block
        mov edi, SCRATCH
        mov ecx, 0x400 / 4
        xor eax, eax
        rep stosd
        mov dword [stuck], 0
        call smp_run                    ; worker on every CPU (smp.inc)
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
.out:   ret
.stuck: mov dword [stuck], 1
        jmp .out

        align 4
expect: dd 0
stuck:  dd 0

%include "smp.inc"
%include "lib_tail.inc"
