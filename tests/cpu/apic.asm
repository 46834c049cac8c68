; apic.asm - local APIC and IOAPIC (SDM vol.3 ch.10; 82093AA): IA32_APIC_BASE,
; CPUID.APIC, version, self-IPI through ICR, TPR masking, ISR/EOI, the APIC
; timer one-shot and periodic (1 GHz bus as QEMU's pc, divide by 1), and the
; PIT routed through IOAPIC pin 2 (ISA IRQ0 override) with the 8259s masked;
; the HPET: a level-triggered timer through the IOAPIC (remote IRR, EOI) and
; legacy replacement (timer 0 on IRQ0, the PIT cut off).
%include "lib.inc"
kernel_name: db "apic (LAPIC timer, self-IPI, TPR, EOI, IOAPIC routing of the PIT)", 0

APIC        equ 0xfee00000
IOAPIC      equ 0xfec00000
A_VER       equ APIC + 0x30
A_TPR       equ APIC + 0x80
A_EOI       equ APIC + 0xb0
A_SVR       equ APIC + 0xf0
A_ISR2      equ APIC + 0x120       ; ISR bits 64..95 (vectors 0x40..0x5f)
A_IRR2      equ APIC + 0x220
A_ICR       equ APIC + 0x300
A_LVTT      equ APIC + 0x320
A_TICR      equ APIC + 0x380
A_TCCR      equ APIC + 0x390
A_TDCR      equ APIC + 0x3e0
HPET        equ 0xfed00000

%macro HPET_WAIT 1                 ; busy-wait %1 HPET ticks (10 ns) with IF=1
        mov ebx, [HPET + 0xf0]
        sti
%%l:    mov eax, [HPET + 0xf0]
        sub eax, ebx
        cmp eax, %1
        jb %%l
        cli
%endmacro

%macro WAIT_COUNT 2                ; counter, at least: sti/hlt until reached
        mov ecx, 1000000
%%w:    cmp dword [%1], %2
        jae %%done
        sti
        hlt
        cli
        loop %%w
%%done:
%endmacro

%macro HPET_ARM0 2                 ; timer 0 config, counter its ISR bumps
        ; Timer 0 due 100 us from now.  An HPET matches on equality only: if
        ; the host stalls the vCPU past the deadline before the timer is on,
        ; the match is lost until the counter wraps.  So when the counter is
        ; past the comparator once armed, wait up to 10 ms for the interrupt
        ; and arm again if it did not come.
%%arm:  mov dword [HPET + 0x100], 0
        mov eax, [HPET + 0xf0]
        add eax, 10000
        mov dword [HPET + 0x10c], 0
        mov [HPET + 0x108], eax
        mov dword [HPET + 0x100], %1
        mov ecx, [HPET + 0xf0]
        sub ecx, eax
        js %%armed                         ; not reached yet: it will match
        mov ebx, [HPET + 0xf0]
        sti
%%w:    cmp dword [%2], 0
        jne %%armed
        mov ecx, [HPET + 0xf0]
        sub ecx, ebx
        cmp ecx, 1000000
        jb %%w
        cli
        jmp %%arm
%%armed:
        cli
%endmacro

main:
        IDT_GATE 0x40, isr40, 0x8e
        IDT_GATE 0x41, isr41, 0x8e
        IDT_GATE 0x50, isr50, 0x8e
        IDT_GATE 0x51, isr51, 0x8e
        IDT_GATE 0x52, isr52, 0x8e
        IDT_GATE 0xff, isrff, 0x8e
        IDT_GATE 0x42, isr42, 0x8e

        ; IA32_APIC_BASE: 0xfee00000, enabled, BSP
        mov ecx, 0x1b
        rdmsr
        and eax, 0xfffff900
        CHECK eax, 0xfee00900, "IA32_APIC_BASE = 0xfee00000 | EN | BSP"
        mov eax, 1
        cpuid
        and edx, 1 << 9
        CHECK edx, 1 << 9, "CPUID.1:EDX.APIC set"
        mov eax, [A_VER]
        and eax, 0xff
        CHECK eax, 0x14, "APIC version 0x14"
        mov eax, [A_VER]
        shr eax, 16
        and eax, 0xff
        CHECK eax, 5, "max LVT entry 5 (6 LVTs)"

        mov dword [A_SVR], 0x1ff          ; software enable, spurious 0xff
        mov dword [HPET + 0x10], 1         ; HPET main counter as a time base

        ; self-IPI with IF=0: pending in IRR, taken after STI
        mov dword [A_ICR], 0x40000 | 0x41
        mov eax, [A_IRR2]
        and eax, 2
        CHECK eax, 2, "self-IPI 0x41 pending in IRR while IF=0"
        sti
        nop
        cli
        CHECK [cnt41], 1, "self-IPI 0x41 delivered after STI"
        mov eax, [isr_seen41]
        and eax, 2
        CHECK eax, 2, "ISR bit of 0x41 set in its handler"
        mov eax, [A_ISR2]
        and eax, 2
        CHECK eax, 0, "EOI cleared the ISR bit"

        ; TPR: class 4 held while TPR = 0x50
        mov dword [A_TPR], 0x50
        mov dword [A_ICR], 0x40000 | 0x41
        sti
        nop
        nop
        cli
        CHECK [cnt41], 1, "vector 0x41 held while TPR = 0x50"
        mov dword [A_TPR], 0
        sti
        nop
        cli
        CHECK [cnt41], 2, "vector 0x41 delivered once TPR = 0"

        ; one-shot timer, divide by 1, 100 us
        mov dword [A_TDCR], 0xb
        mov dword [A_LVTT], 0x10040        ; masked: a long count just to read it
        mov dword [A_TICR], 0xffffffff     ; ~4.3 s
        mov eax, [A_TCCR]
        mov ebx, [A_TCCR]
        cmp eax, ebx
        seta al
        movzx eax, al
        CHECK eax, 1, "timer current count counts down"
        mov dword [A_LVTT], 0x40
        mov dword [A_TICR], 100000
        WAIT_COUNT cnt40, 1
        CHECK [cnt40], 1, "one-shot timer interrupt (vector 0x40)"
        CHECK [A_TCCR], 0, "one-shot current count stops at 0"
        mov eax, [isr_seen40]
        and eax, 1
        CHECK eax, 1, "ISR bit of 0x40 set in the timer handler"
        ; it does not fire again
        HPET_WAIT 50000                    ; 500 us, 5 times its count
        CHECK [cnt40], 1, "one-shot timer fires once"

        ; a timer due while the CPU spins in a tight loop (no HLT, no exit
        ; to the emulator) fires within 0.5 ms of its deadline: LAPIC
        ; one-shot due 1 ms after arming, lateness measured on the HPET (10
        ; ns ticks).  The loop reads the TSC at every turn: a gap over
        ; 100000 ticks (0.1 ms at Vireo's 1 GHz TSC) means the host took the
        ; vCPU thread off its CPU, which no emulator can help, so that trial
        ; is not counted.  Up to 100 trials until 10 count; at least 7 of
        ; those must be on time (the host may also be slow to run the
        ; emulator's timer thread, now and then, on a busy machine).
        mov dword [A_LVTT], 0x42
        mov dword [good42], 0
        mov dword [calm42], 0
        mov esi, 100
.trial: mov dword [fired42], 0
        mov eax, [HPET + 0xf0]
        mov [t_arm], eax
        rdtsc
        mov ebx, eax                       ; the previous TSC reading
        xor edi, edi                       ; the largest gap between readings
        mov dword [A_TICR], 1000000        ; 1 ms at 1 GHz, divide by 1
        sti
.spin:  rdtsc
        mov ecx, eax
        sub ecx, ebx
        mov ebx, eax
        cmp ecx, edi
        jbe .nogap
        mov edi, ecx
.nogap: cmp dword [fired42], 0
        je .spin
        cli
        mov ecx, [tsc_fire]                ; the handler's reading
        sub ecx, ebx
        cmp ecx, edi
        jbe .gaps
        mov edi, ecx
.gaps:  cmp edi, 100000
        jae .next                          ; descheduled: does not count
        inc dword [calm42]
        mov eax, [t_fire]
        sub eax, [t_arm]
        sub eax, 100000                    ; ticks past the deadline (early: huge)
        cmp eax, 50000                     ; 0.5 ms
        jae .next
        inc dword [good42]
.next:  cmp dword [calm42], 10
        jae .tdone
        dec esi
        jnz .trial
.tdone: mov eax, [good42]
        cmp eax, 7
        setae al
        movzx eax, al
        CHECK_TODO eax, 1, "LAPIC timer due while the CPU spins fires within 0.5 ms of its deadline (7 of 10 trials the host did not deschedule)", "qemu-tcg fired 0.9-1+ ms late in our runs"

        ; periodic timer, 50 us
        mov dword [cnt40], 0
        mov dword [A_LVTT], 0x20040
        mov dword [A_TICR], 50000
        WAIT_COUNT cnt40, 5
        mov eax, [cnt40]
        cmp eax, 5
        setae al
        movzx eax, al
        CHECK eax, 1, "periodic timer: 5 interrupts"
        mov eax, [A_TCCR]
        cmp eax, 0
        setne al
        movzx eax, al
        CHECK eax, 1, "periodic current count reloads (non-zero)"
        mov dword [A_TICR], 0              ; stop
        mov dword [A_LVTT], 0x10040

        ; PIT channel 0 through IOAPIC pin 2 (IRQ0 override), 8259s masked
        mov dword [IOAPIC], 0x01
        mov eax, [IOAPIC + 0x10]
        CHECK eax, 0x00170020, "IOAPIC version 0x20, 24 entries"
        mov dword [IOAPIC], 0x15           ; RTE 2 high: destination APIC 0
        mov dword [IOAPIC + 0x10], 0
        mov dword [IOAPIC], 0x14           ; RTE 2 low: vector 0x50, fixed, edge
        mov dword [IOAPIC + 0x10], 0x50
        mov al, 0x34                       ; ch0, lo/hi, mode 2
        out 0x43, al
        mov al, 1193 & 0xff                ; 1 ms
        out 0x40, al
        mov al, 1193 >> 8
        out 0x40, al
        WAIT_COUNT cnt50, 3
        mov eax, [cnt50]
        cmp eax, 3
        setae al
        movzx eax, al
        CHECK eax, 1, "PIT IRQ0 arrives through IOAPIC pin 2 as vector 0x50"
        mov eax, [isr_seen50]
        and eax, 1 << 16
        CHECK eax, 1 << 16, "ISR bit of 0x50 set in its handler"
        mov dword [IOAPIC], 0x14           ; mask the pin again
        mov dword [IOAPIC + 0x10], 0x10050
        mov al, 0x30                       ; PIT ch0 mode 0 without a count: OUT low, stopped
        out 0x43, al

        ; HPET: capabilities as QEMU's pc
        CHECK [HPET], 0x8086a201, "HPET: rev 1, 3 timers, 64-bit counter, legacy capable"
        CHECK [HPET + 4], 10000000, "HPET period 10 ns (100 MHz)"
        ; timer 0, level-triggered, routed to IOAPIC pin 2 (level, vector 0x51)
        mov dword [HPET + 0x10], 1         ; enable the main counter
        mov dword [IOAPIC], 0x14
        mov dword [IOAPIC + 0x10], 0x8051
        HPET_ARM0 (2 << 9) | (1 << 2) | (1 << 1), cnt51
        WAIT_COUNT cnt51, 1
        mov eax, [cnt51]
        cmp eax, 1
        setae al
        movzx eax, al
        CHECK eax, 1, "HPET timer 0 (level) arrives through IOAPIC pin 2"
        mov eax, [rirr_seen51]
        and eax, 1 << 14
        CHECK eax, 1 << 14, "IOAPIC remote IRR set while the level interrupt is in service"
        mov dword [IOAPIC], 0x14
        mov eax, [IOAPIC + 0x10]
        and eax, 1 << 14
        ; (QEMU 7.2 TCG, the reference, keeps the HPET level line asserted
        ; after the status write: it redelivers forever; HPET spec 2.3.9.2.4)
        CHECK_TODO eax, 0, "the local APIC's EOI cleared remote IRR", "QEMU 7.2 HPET level line stays asserted after the status write"
        mov dword [IOAPIC], 0x14
        mov dword [IOAPIC + 0x10], 0x18051 ; mask it before waiting (QEMU storms)
        HPET_WAIT 20000
        CHECK_TODO [cnt51], 1, "no redelivery once the HPET status is cleared", "QEMU 7.2 HPET level line stays asserted after the status write"

        ; legacy replacement: the PIT is cut off, timer 0 drives IRQ0 (pin 2)
        mov dword [HPET + 0x100], 0        ; timer 0 off, edge
        mov dword [IOAPIC], 0x14
        mov dword [IOAPIC + 0x10], 0x52    ; edge, vector 0x52
        mov dword [HPET + 0x10], 3         ; enable + LEG_RT_CNF
        mov al, 0x34                       ; PIT ch0 periodic, 1 ms
        out 0x43, al
        mov al, 1193 & 0xff
        out 0x40, al
        mov al, 1193 >> 8
        out 0x40, al
        HPET_WAIT 500000                   ; 5 ms
        CHECK [cnt52], 0, "legacy replacement: the PIT no longer reaches IOAPIC pin 2"
        HPET_ARM0 1 << 2, cnt52            ; timer 0 enabled, edge
        WAIT_COUNT cnt52, 1
        CHECK [cnt52], 1, "legacy replacement: HPET timer 0 arrives as IRQ0 (pin 2)"
        mov dword [HPET + 0x10], 1         ; legacy off: the PIT is back
        WAIT_COUNT cnt52, 4
        mov eax, [cnt52]
        cmp eax, 4
        setae al
        movzx eax, al
        CHECK eax, 1, "legacy replacement off: the PIT reaches pin 2 again"
        mov dword [IOAPIC], 0x14
        mov dword [IOAPIC + 0x10], 0x10052
        mov al, 0x30
        out 0x43, al
        mov dword [HPET + 0x10], 0

        mov eax, [A_ISR2]
        CHECK eax, 0, "no vector left in service"
        CHECK [cntff], 0, "no spurious interrupts"
        jmp finish

isr40:  push eax
        inc dword [cnt40]
        mov eax, [A_ISR2]
        mov [isr_seen40], eax
        mov dword [A_EOI], 0
        pop eax
        iretd
isr42:  push eax
        push edx
        rdtsc
        mov [tsc_fire], eax
        mov eax, [HPET + 0xf0]
        mov [t_fire], eax
        mov dword [fired42], 1
        mov dword [A_EOI], 0
        pop edx
        pop eax
        iretd
isr41:  push eax
        inc dword [cnt41]
        mov eax, [A_ISR2]
        mov [isr_seen41], eax
        mov dword [A_EOI], 0
        pop eax
        iretd
isr50:  push eax
        inc dword [cnt50]
        mov eax, [A_ISR2]
        mov [isr_seen50], eax
        mov dword [A_EOI], 0
        pop eax
        iretd
isr51:  push eax
        inc dword [cnt51]
        mov dword [IOAPIC], 0x14
        mov eax, [IOAPIC + 0x10]
        mov [rirr_seen51], eax
        mov dword [HPET + 0x20], 1         ; clear the level status first
        mov dword [A_EOI], 0
        pop eax
        iretd
isr52:  inc dword [cnt52]
        mov dword [A_EOI], 0
        iretd
isrff:  inc dword [cntff]              ; spurious: no EOI
        iretd

        align 4
cnt40:  dd 0
fired42: dd 0
calm42: dd 0
tsc_fire: dd 0
good42: dd 0
t_arm:  dd 0
t_fire: dd 0
cnt41:  dd 0
cnt50:  dd 0
cntff:  dd 0
cnt51:  dd 0
cnt52:  dd 0
rirr_seen51: dd 0
isr_seen40: dd 0
isr_seen41: dd 0
isr_seen50: dd 0

%include "lib_tail.inc"
