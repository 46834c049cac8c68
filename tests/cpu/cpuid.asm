; cpuid.asm - what a guest reads from CPUID with a named QEMU model
; (-cpu Opteron_G3, issue #8 part 4): the model's vendor, family/model/
; stepping, levels and brand string; features Vireo implements are there,
; one it filters out (misalignsse, which QEMU TCG lacks too) is not; AMD's
; copies of leaf 1 EDX in 0x80000001 EDX; xlevel raised to the SVM leaf;
; MAXPHYADDR 40 with long mode.
; The same kernel passes on qemu-system-x86_64 -accel tcg.
; RUN-ARGS: -cpu Opteron_G3
%include "lib.inc"
kernel_name: db "cpuid (-cpu Opteron_G3: vendor, signature, levels, brand, features)", 0

%macro LEAF 1
        mov eax, %1
        xor ecx, ecx
        cpuid
%endmacro

; BITS reg, mask, want, "message": (reg & mask) == want
%macro BITS 4
        mov eax, %1
        and eax, %2
        CHECK eax, %3, %4
%endmacro

main:
        LEAF 0                                  ; (CHECK keeps every register)
        CHECK eax, 5, "CPUID.0:EAX (level) = 5"
        CHECK ebx, 0x68747541, "vendor AuthenticAMD: EBX 'Auth'"
        CHECK edx, 0x69746e65, "vendor AuthenticAMD: EDX 'enti'"
        CHECK ecx, 0x444d4163, "vendor AuthenticAMD: ECX 'cAMD'"

        LEAF 1
        CHECK eax, 0x00100f23, "CPUID.1:EAX = family 16 (0xf + ext 1), model 2, stepping 3"
        BITS edx, 1 << 17, 1 << 17, "CPUID.1:EDX.PSE36"
        BITS ecx, 1 << 23, 1 << 23, "CPUID.1:ECX.POPCNT"
        BITS ecx, 1 << 13, 1 << 13, "CPUID.1:ECX.CX16"

        ; the model says 0x80000008; svm raises it to its leaf as in QEMU,
        ; though Vireo filters svm out
        LEAF 0x80000000
        CHECK eax, 0x8000000a, "CPUID.80000000H:EAX (xlevel, raised for SVM)"

        LEAF 0x80000001
        BITS ecx, 1 << 7, 0, "CPUID.80000001H:ECX.misalignsse filtered out"
        BITS ecx, 1, 1, "CPUID.80000001H:ECX.LAHF-LM"
        BITS edx, 1 << 29, 1 << 29, "CPUID.80000001H:EDX.LM"
        BITS edx, 1 << 27, 1 << 27, "CPUID.80000001H:EDX.RDTSCP"
        BITS edx, (1 << 0) | (1 << 23) | (1 << 24), (1 << 0) | (1 << 23) | (1 << 24), \
             "CPUID.80000001H:EDX: AMD's copies of FPU, MMX, FXSR"

        LEAF 0x80000002
        CHECK eax, 0x20444d41, "brand string starts 'AMD '"
        CHECK ebx, 0x6574704f, "brand string goes on 'Opte'"

        LEAF 0x80000008
        and eax, 0xff
        CHECK eax, 40, "CPUID.80000008H:EAX[7:0] (MAXPHYADDR) = 40"
        ret

%include "lib_tail.inc"
