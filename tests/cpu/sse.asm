; sse.asm - SSE/MMX exception rules on a bare machine (SDM vol.3 2.5, 13.1,
; vol.2 "SIMD Floating-Point Exceptions"): #UD without CR4.OSFXSR, #NM with
; CR0.TS, #UD with CR0.EM, #GP(0) for a misaligned MOVAPS/PADDB m128 but not
; MOVUPS, unmasked SIMD exception -> #XM with CR4.OSXMMEXCPT else #UD with
; the destination unchanged, MXCSR flags, FXSAVE/FXRSTOR of XMM and MXCSR,
; CPUID bits.  The arithmetic itself is compared with the host CPU by
; tests/unit/test-sse.c.
%include "lib.inc"
kernel_name: db "sse (#UD/#NM/#GP/#XM rules, MXCSR, FXSAVE)", 0

CR0_EM equ 4
CR0_TS equ 8
CR4_OSFXSR equ 0x200
CR4_OSXMMEXCPT equ 0x400

main:
        mov eax, 1
        cpuid
        mov eax, edx
        and eax, 0x07800000
        CHECK eax, 0x07800000, "CPUID.1:EDX MMX, FXSR, SSE, SSE2"
        and ecx, 1
        CHECK ecx, 1, "CPUID.1:ECX SSE3"

        ; CR4.OSFXSR = 0: SSE instructions are #UD, MMX ones are not
        mov eax, cr0
        and eax, ~(CR0_EM | CR0_TS)
        or eax, 2                               ; MP
        mov cr0, eax
        EXPECT .r1
.i1:    addps xmm0, xmm1
.r1:    CHECK dword [exc_vec], 6, "ADDPS without CR4.OSFXSR: #UD"
        CHECK dword [exc_eip], .i1, "#UD saved EIP = the ADDPS"
        EXPECT .bad2
        paddb mm0, mm1
        emms
        CHECK dword [exc_vec], -1, "PADDB mm without CR4.OSFXSR runs"
.bad2:
        mov eax, cr4
        or eax, CR4_OSFXSR | CR4_OSXMMEXCPT
        mov cr4, eax

        ; CR0.TS: #NM; CR0.EM: #UD
        mov eax, cr0
        or eax, CR0_TS
        mov cr0, eax
        EXPECT .r3
        addps xmm0, xmm1
.r3:    CHECK dword [exc_vec], 7, "ADDPS with CR0.TS: #NM"
        clts
        mov eax, cr0
        or eax, CR0_EM
        mov cr0, eax
        EXPECT .r4
        pxor xmm0, xmm0
.r4:    CHECK dword [exc_vec], 6, "PXOR xmm with CR0.EM: #UD"
        mov eax, cr0
        and eax, ~CR0_EM
        mov cr0, eax

        ; alignment of 16-byte memory operands
        mov ebx, SCRATCH + 0x104
        EXPECT .r5
.i5:    movaps xmm0, [ebx]
.r5:    CHECK dword [exc_vec], 13, "MOVAPS misaligned: #GP"
        CHECK dword [exc_err], 0, "#GP error code 0"
        EXPECT .r6
        paddb xmm0, [ebx]
.r6:    CHECK dword [exc_vec], 13, "PADDB xmm, m128 misaligned: #GP"
        EXPECT .bad7
        movups xmm0, [ebx]
        movdqu [ebx], xmm0
        addss xmm0, [ebx]
        CHECK dword [exc_vec], -1, "MOVUPS/MOVDQU/ADDSS misaligned: fine"
.bad7:

        ; data: pcmpeqb/pmovmskb as string functions use them
        mov dword [SCRATCH + 0x100], 0x64636261
        mov dword [SCRATCH + 0x104], 0x00676665
        mov dword [SCRATCH + 0x108], 0
        mov dword [SCRATCH + 0x10c], 0
        pxor xmm1, xmm1
        movdqa xmm0, [SCRATCH + 0x100]
        pcmpeqb xmm0, xmm1
        pmovmskb eax, xmm0
        bsf eax, eax
        CHECK eax, 7, "PCMPEQB/PMOVMSKB/BSF finds the NUL (strlen)"

        ; unmasked divide by zero: #XM, destination unchanged, ZE set
        push dword 0x1f80 & ~0x200
        ldmxcsr [esp]
        add esp, 4
        mov dword [SCRATCH], 0x3f800000         ; 1.0
        mov dword [SCRATCH + 4], 0
        movss xmm2, [SCRATCH]
        movss xmm3, [SCRATCH + 4]
        EXPECT .r8
.i8:    divss xmm2, xmm3
.r8:    CHECK_TODO dword [exc_vec], 19, "unmasked DIVSS by zero: #XM", "QEMU TCG never raises #XM"
        CHECK_TODO dword [exc_eip], .i8, "#XM saved EIP = the DIVSS", "QEMU TCG never raises #XM"
        stmxcsr [SCRATCH + 8]
        mov eax, [SCRATCH + 8]
        and eax, 0x3f
        CHECK eax, 4, "MXCSR.ZE set"
        movd eax, xmm2
        CHECK_TODO eax, 0x3f800000, "destination unchanged", "QEMU TCG never raises #XM"
        mov eax, cr4
        and eax, ~CR4_OSXMMEXCPT
        mov cr4, eax
        EXPECT .r9
        divss xmm2, xmm3
.r9:    CHECK_TODO dword [exc_vec], 6, "without CR4.OSXMMEXCPT: #UD", "QEMU TCG never raises #XM"
        mov eax, cr4
        or eax, CR4_OSXMMEXCPT
        mov cr4, eax
        push dword 0x1f80
        ldmxcsr [esp]
        add esp, 4
        divss xmm2, xmm3
        movd eax, xmm2
        CHECK eax, 0x7f800000, "masked: +inf"

        ; FXSAVE/FXRSTOR carry XMM registers and MXCSR
        mov dword [SCRATCH], 0x1234
        movd xmm5, [SCRATCH]
        push dword 0x3f80                       ; RC = down
        ldmxcsr [esp]
        add esp, 4
        fxsave [SCRATCH + 0x200]
        pxor xmm5, xmm5
        push dword 0x1f80
        ldmxcsr [esp]
        add esp, 4
        fxrstor [SCRATCH + 0x200]
        movd eax, xmm5
        CHECK eax, 0x1234, "FXRSTOR restores XMM5"
        stmxcsr [SCRATCH]
        CHECK dword [SCRATCH], 0x3f80, "FXRSTOR restores MXCSR"
        EXPECT .r10
        fxsave [SCRATCH + 0x208]
.r10:   CHECK dword [exc_vec], 13, "FXSAVE misaligned: #GP"
        ret

%include "lib_tail.inc"
