; smp-lock.asm - locked read-modify-write across CPUs (issue #8): every CPU
; of -smp N (N from CMOS 0x5f, as QEMU's pc sets it) runs the same loop at
; once, and no update may be lost:
;   LOCK INC, LOCK XADD, LOCK ADD/SUB, LOCK CMPXCHG8B counters;
;   a plain (non-atomic) counter inside a spinlock taken with LOCK CMPXCHG
;   and released with a plain MOV, and another inside an XCHG lock;
;   LOCK BTS/BTR of each CPU's own bit in a shared word (a non-atomic
;   update would bring back a bit another CPU just cleared);
;   LOCK INC of a counter on a page holding code and of one split across a
;   cache line (the emulator's non-RAM path).
; smp.inc wakes the APs with INIT/SIPI and runs `worker' on every CPU.
; With vCPUs on host threads the CPUs really race; with one thread the
; answers must be the same.
; RUN-ARGS: -smp 2
%include "lib.inc"
kernel_name: db "smp-lock (LOCK RMW, XCHG, CMPXCHG8B, spinlocks across CPUs)", 0

ITER        equ 100000
SPIN_MAX    equ 50000000                ; a lock held this long was lost

; shared variables, each on its own cache line, on a page without code
V_INC       equ SCRATCH + 0x000
V_XADD      equ SCRATCH + 0x040
V_PLAIN     equ SCRATCH + 0x080
V_LOCK      equ SCRATCH + 0x0c0
V_C64       equ SCRATCH + 0x100
V_PLAIN2    equ SCRATCH + 0x140
V_LOCK2     equ SCRATCH + 0x180
V_BITS      equ SCRATCH + 0x1c0
V_ADDSUB    equ SCRATCH + 0x200
V_SPLIT     equ SCRATCH + 0x33e     ; bytes 0x33e..0x341 straddle a 64-byte line

main:
        ; zero the shared block
        mov edi, SCRATCH
        mov ecx, 0x400 / 4
        xor eax, eax
        rep stosd
        mov dword [cnt_code], 0
        mov dword [stuck], 0
        call smp_run                    ; worker on every CPU (smp.inc)
        mov eax, [ncpus]
        imul eax, eax, ITER
        mov [expect], eax
        CHECK [V_INC], [expect], "LOCK INC: no increment lost"
        CHECK [V_XADD], [expect], "LOCK XADD: no increment lost"
        CHECK [V_C64], [expect], "LOCK CMPXCHG8B: no increment lost (low dword)"
        CHECK [V_C64 + 4], 0, "LOCK CMPXCHG8B: high dword"
        CHECK [V_PLAIN], [expect], "plain counter in a LOCK CMPXCHG spinlock"
        CHECK [V_PLAIN2], [expect], "plain counter in an XCHG spinlock"
        mov eax, [expect]
        shl eax, 1
        mov [expect2], eax
        CHECK [V_ADDSUB], [expect2], "LOCK ADD 3 / LOCK SUB 1: no update lost"
        CHECK [V_BITS], 0, "LOCK BTS/BTR of own bits: no other CPU's bit brought back"
        CHECK [cnt_code], [expect], "LOCK INC on a page holding code"
        CHECK [V_SPLIT], [expect], "LOCK INC split across a cache line"
        CHECK [V_LOCK], 0, "spinlock released"
        CHECK [stuck], 0, "no CPU stuck on a spinlock (a lost release)"
        ret

; ---- the loop every CPU runs; ebp = this CPU's bit number ----
worker:
        mov ecx, ITER
.loop:
        lock inc dword [V_INC]
        mov eax, 1
        lock xadd [V_XADD], eax
        lock add dword [V_ADDSUB], 3
        lock sub dword [V_ADDSUB], 1
        ; 64-bit counter by compare-and-swap
        mov eax, [V_C64]
        mov edx, [V_C64 + 4]
.cas:   mov ebx, eax
        mov esi, edx
        add ebx, 1
        adc esi, 0
        push ecx
        mov ecx, esi
        lock cmpxchg8b [V_C64]
        pop ecx
        jnz .cas
        ; spinlock with LOCK CMPXCHG, released by a plain store
        mov edi, SPIN_MAX
.acq:   xor eax, eax
        mov edx, 1
        lock cmpxchg [V_LOCK], edx
        jz .got
        pause
        dec edi
        jz .stuck
        jmp .acq
.got:   mov eax, [V_PLAIN]              ; a deliberately wide window
        inc eax
        mov [V_PLAIN], eax
        mov dword [V_LOCK], 0
        ; spinlock with XCHG (implicitly locked)
        mov edi, SPIN_MAX
.acq2:  mov eax, 1
        xchg [V_LOCK2], eax
        test eax, eax
        jz .got2
        pause
        dec edi
        jz .stuck
        jmp .acq2
.got2:  mov eax, [V_PLAIN2]
        inc eax
        mov [V_PLAIN2], eax
        mov dword [V_LOCK2], 0
        ; own bit on and off again
        lock bts dword [V_BITS], ebp
        lock btr dword [V_BITS], ebp
        ; the emulator's slow paths
        lock inc dword [cnt_code]
        lock inc dword [V_SPLIT]
        dec ecx
        jnz .loop
.out:   ret
.stuck: mov dword [stuck], 1            ; a lost release (or a lost acquire)
        jmp .out

        align 4
expect: dd 0
expect2: dd 0
cnt_code: dd 0                          ; shares its page with code
stuck:  dd 0

%include "smp.inc"
%include "lib_tail.inc"
