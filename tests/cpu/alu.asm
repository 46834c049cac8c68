; alu.asm - integer instructions with known answers.
; Part 1 runs the generated table alu_vectors.inc (gen/alu-gen.c: results from
; native execution on real hardware, BCD from SDM pseudocode, undefined flags
; masked per SDM).  Part 2: hand-written checks (CMPXCHG8B, string
; instructions with REP and DF=1, 16-bit address-size wrap, ...), expected
; values from the SDM instruction descriptions.
%include "lib.inc"
kernel_name: db "alu (integer known-answer vectors, strings, CMPXCHG8B, a16 wrap)", 0

V_OP equ 0
V_MASK equ 4
V_REGS equ 8
V_IN equ 12
V_OUT equ 32
V_SIZE equ 52

main:
        ; ---- part 1: table
        mov esi, alu_vectors
        xor ebp, ebp                            ; op index
.op:    mov dword [op_bad], 0
        mov ecx, ALU_NVEC
.vec:   push ecx
        push esi
        call run_vector
        pop esi
        pop ecx
        add esi, V_SIZE
        loop .vec
        mov eax, [alu_op_table + ebp * 8 + 4]
        push dword 0
        push dword 0                            ; expected: 0 bad vectors
        push dword [op_bad]
        push eax
        call check_eq
        add esp, 16
        inc ebp
        cmp ebp, ALU_NOPS
        jb .op
        jmp part2

; run_vector: esi = vector.  Compares masked flags and selected registers;
; on mismatch prints a TAP comment and counts op_bad.
run_vector:
        mov [cur_vec], esi
        mov eax, [esi + V_OP]
        mov eax, [alu_op_table + eax * 8]
        mov [cur_fn], eax
        mov edx, [esi + V_IN + 16]
        or edx, 2
        push edx
        mov eax, [esi + V_IN]
        mov ebx, [esi + V_IN + 4]
        mov ecx, [esi + V_IN + 8]
        mov edx, [esi + V_IN + 12]
        popfd
        call [cur_fn]
        pushfd
        mov [res + 0], eax
        mov [res + 4], ebx
        mov [res + 8], ecx
        mov [res + 12], edx
        pop eax
        mov [res + 16], eax
        mov esi, [cur_vec]
        ; flags
        mov eax, [res + 16]
        xor eax, [esi + V_OUT + 16]
        and eax, [esi + V_MASK]
        jnz .bad
        xor ecx, ecx
.r:     bt dword [esi + V_REGS], ecx
        jnc .n
        mov eax, [res + ecx * 4]
        cmp eax, [esi + V_OUT + ecx * 4]
        jne .bad
.n:     inc ecx
        cmp ecx, 4
        jb .r
        ret
.bad:   inc dword [op_bad]
        push esi
        mov esi, s_badvec
        call puts
        pop esi
        mov ecx, 5
        xor edi, edi
.p1:    mov eax, [esi + V_IN + edi * 4]
        call print_hex
        mov al, ' '
        call putc
        inc edi
        loop .p1
        mov esi, s_badgot
        call puts
        xor edi, edi
        mov ecx, 5
.p2:    mov eax, [res + edi * 4]
        call print_hex
        mov al, ' '
        call putc
        inc edi
        loop .p2
        mov esi, s_badexp
        call puts
        mov esi, [cur_vec]
        xor edi, edi
        mov ecx, 5
.p3:    mov eax, [esi + V_OUT + edi * 4]
        call print_hex
        mov al, ' '
        call putc
        inc edi
        loop .p3
        mov esi, s_badmask
        call puts
        mov esi, [cur_vec]
        mov eax, [esi + V_MASK]
        call print_hex
        mov al, 10
        call putc
        ret

part2:
        ; ---- CMPXCHG8B (SDM: if EDX:EAX = m64 then ZF=1, m64 = ECX:EBX
        ;      else ZF=0, EDX:EAX = m64)
        mov dword [SCRATCH], 0x11111111
        mov dword [SCRATCH + 4], 0x22222222
        mov eax, 0x11111111
        mov edx, 0x22222222
        mov ebx, 0x33333333
        mov ecx, 0x44444444
        cmpxchg8b [SCRATCH]
        pushfd
        pop esi
        and esi, EFL_ZF
        CHECK esi, EFL_ZF, "CMPXCHG8B equal: ZF=1"
        CHECK [SCRATCH], 0x33333333, "CMPXCHG8B equal: m64 low = EBX"
        CHECK [SCRATCH + 4], 0x44444444, "CMPXCHG8B equal: m64 high = ECX"
        mov eax, 0
        mov edx, 0
        cmpxchg8b [SCRATCH]
        pushfd
        pop esi
        and esi, EFL_ZF
        CHECK esi, 0, "CMPXCHG8B not equal: ZF=0"
        CHECK eax, 0x33333333, "CMPXCHG8B not equal: EAX = m64 low"
        CHECK edx, 0x44444444, "CMPXCHG8B not equal: EDX = m64 high"

        ; ---- string instructions (SDM vol.2 MOVS/STOS/LODS/CMPS/SCAS, REP)
        mov edi, SCRATCH + 0x100
        mov ecx, 64
        mov al, 0
.fill:  stosb
        inc al
        loop .fill                              ; SCRATCH+0x100: 00 01 02 .. 3f
        cld
        mov esi, SCRATCH + 0x100
        mov edi, SCRATCH + 0x200
        mov ecx, 10
        rep movsb
        CHECK ecx, 0, "REP MOVSB counts ECX to 0"
        CHECK esi, SCRATCH + 0x10a, "REP MOVSB DF=0: ESI advanced by 10"
        CHECK edi, SCRATCH + 0x20a, "REP MOVSB DF=0: EDI advanced by 10"
        CHECK [SCRATCH + 0x206], 0x09080706, "REP MOVSB copied the bytes"
        std
        mov esi, SCRATCH + 0x10c
        mov edi, SCRATCH + 0x30c
        mov ecx, 4
        rep movsd
        cld
        CHECK esi, SCRATCH + 0x0fc, "REP MOVSD DF=1: ESI decremented by 16"
        CHECK edi, SCRATCH + 0x2fc, "REP MOVSD DF=1: EDI decremented by 16"
        CHECK [SCRATCH + 0x300], 0x03020100, "REP MOVSD DF=1: lowest dword copied last"
        CHECK [SCRATCH + 0x30c], 0x0f0e0d0c, "REP MOVSD DF=1: first dword copied"
        std
        mov edi, SCRATCH + 0x41e
        mov ax, 0xbeef
        mov ecx, 3
        rep stosw
        cld
        CHECK edi, SCRATCH + 0x418, "REP STOSW DF=1: EDI -= 6"
        CHECK [SCRATCH + 0x41c], 0xbeefbeef, "REP STOSW stored words"
        ; forward REP STOS in bulk: a value of one repeated byte (a memset)
        ; and values that are not, each exactly ECX elements
        mov dword [SCRATCH + 0x6fe], 0xeeeeeeee
        mov dword [SCRATCH + 0x900], 0xeeeeeeee
        mov edi, SCRATCH + 0x700
        mov ax, 0x00ff
        mov ecx, 0x100
        rep stosw
        CHECK edi, SCRATCH + 0x900, "REP STOSW: EDI += 2 * ECX"
        CHECK [SCRATCH + 0x6fe], 0x00ffeeee, "REP STOSW 00FFh: the word before untouched, the first stored"
        CHECK [SCRATCH + 0x8fe], 0xeeee00ff, "REP STOSW 00FFh: the last word stored, the next untouched"
        mov edi, SCRATCH + 0x700
        mov eax, 0x5a5a5a5a
        mov ecx, 0x80
        rep stosd
        CHECK [SCRATCH + 0x6fe], 0x5a5aeeee, "REP STOSD 5A5A5A5Ah: the first dword stored"
        CHECK [SCRATCH + 0x8fe], 0xeeee5a5a, "REP STOSD 5A5A5A5Ah: the last stored, the next untouched"
        mov edi, SCRATCH + 0x700
        mov eax, 0x000000ff
        mov ecx, 0x80
        rep stosd
        CHECK [SCRATCH + 0x800], 0x000000ff, "REP STOSD 000000FFh: not a repeated byte"
        CHECK [SCRATCH + 0x8fe], 0xeeee0000, "REP STOSD 000000FFh: the last stored, the next untouched"
        mov ecx, 0
        mov edi, SCRATCH + 0x500
        mov dword [SCRATCH + 0x500], 0x12345678
        mov eax, 0
        rep stosd
        CHECK [SCRATCH + 0x500], 0x12345678, "REP with ECX=0 does nothing"
        CHECK edi, SCRATCH + 0x500, "REP with ECX=0 leaves EDI"
        std
        mov esi, SCRATCH + 0x105
        lodsb
        cld
        movzx eax, al
        CHECK eax, 5, "LODSB loads [ESI]"
        CHECK esi, SCRATCH + 0x104, "LODSB DF=1 decrements ESI"
        ; REPE CMPSB stops after the first mismatch
        mov esi, SCRATCH + 0x100
        mov edi, SCRATCH + 0x200
        mov byte [SCRATCH + 0x205], 0xee
        mov ecx, 10
        repe cmpsb
        pushfd
        pop eax
        and eax, EFL_ZF | EFL_CF
        CHECK ecx, 4, "REPE CMPSB stops after the mismatch (6 compared)"
        CHECK esi, SCRATCH + 0x106, "REPE CMPSB: ESI past the mismatch"
        CHECK eax, EFL_CF, "REPE CMPSB flags from 05 - EE (CF=1, ZF=0)"
        ; REPNE SCASB finds a byte
        mov edi, SCRATCH + 0x100
        mov al, 0x20
        mov ecx, 64
        repne scasb
        pushfd
        pop edx
        and edx, EFL_ZF
        CHECK edi, SCRATCH + 0x121, "REPNE SCASB: EDI one past the match"
        CHECK ecx, 64 - 0x21, "REPNE SCASB: ECX decremented per element"
        CHECK edx, EFL_ZF, "REPNE SCASB: ZF=1 on match"

        ; ---- 16-bit address size in a 32-bit segment (SDM vol.1 3.6:
        ; effective address computed modulo 2^16)
        mov word [0], 0xa55a
        mov word [0x10], 0x1234
        xor ebx, ebx
        xor esi, esi
        mov bx, 0xfff0
        mov si, 0x20
        a16 mov ax, [bx + si]                   ; 0xfff0 + 0x20 = 0x10010 -> 0x10
        movzx eax, ax
        CHECK eax, 0x1234, "a16 [BX+SI] wraps at 64K"
        mov word [0x10000], 0x7777
        mov bx, 0xffff
        a16 mov al, [bx + 1]
        movzx eax, al
        CHECK eax, 0x5a, "a16 [BX+1] with BX=0xffff reads offset 0"
        ; a16 REP MOVSB: SI/DI/CX are the counters and wrap at 64K
        mov byte [0xfffe], 0xc1
        mov byte [0xffff], 0xc2
        mov word [0], 0xc4c3
        mov esi, 0x5550fffe                     ; upper halves must be ignored
        mov edi, 0xaaaa3000
        mov ecx, 0x99990004
        a16 rep movsb                           ; reads fffe, ffff, 0000, 0001
        CHECK esi, 0x55500002, "a16 REP MOVSB: SI wrapped, ESI upper half kept"
        CHECK ecx, 0x99990000, "a16 REP: CX counted, ECX upper half kept"
        CHECK [0x3000], 0xc4c3c2c1, "a16 REP MOVSB copied across the SI wrap"
        ; 16-bit operand size: PUSH/POP word, MOVZX/MOVSX
        mov eax, 0x12348765
        movsx ebx, ax
        CHECK ebx, 0xffff8765, "MOVSX sign-extends the word"
        movzx ebx, ah
        CHECK ebx, 0x87, "MOVZX of AH"
        mov ebx, esp
        push word 0x4321
        sub ebx, esp
        pop ax
        CHECK ebx, 2, "o16 PUSH moves ESP by 2"
        ; XCHG / CBW / CWDE / CDQ / LEA
        mov eax, 0x80
        cbw
        movzx eax, ax
        CHECK eax, 0xff80, "CBW sign-extends AL"
        mov eax, 0x8000
        cwde
        CHECK eax, 0xffff8000, "CWDE sign-extends AX"
        mov eax, 0x80000000
        cdq
        CHECK edx, 0xffffffff, "CDQ fills EDX with the sign"
        mov ebx, 0x1000
        mov ecx, 0x20
        lea eax, [ebx + ecx * 4 + 7]
        CHECK eax, 0x1087, "LEA base + index*4 + disp"
        ; LOOP / JECXZ / SETcc / CMOVcc
        mov ecx, 5
        xor eax, eax
.lp:    inc eax
        loop .lp
        CHECK eax, 5, "LOOP runs ECX times"
        mov eax, 1
        cmp eax, 2
        setl bl
        setb bh
        seto cl
        movzx edx, bx
        CHECK edx, 0x0101, "SETL/SETB after 1 - 2"
        mov eax, 0x11
        mov ebx, 0x22
        cmp eax, eax
        cmovz eax, ebx
        CHECK eax, 0x22, "CMOVZ taken"
        cmovnz eax, ecx
        CHECK eax, 0x22, "CMOVNZ not taken"
        ret

        align 4
cur_vec: dd 0
cur_fn: dd 0
op_bad: dd 0
res: times 5 dd 0
s_badvec: db "# mismatch: in (eax ebx ecx edx efl) ", 0
s_badgot: db "got ", 0
s_badexp: db "expected ", 0
s_badmask: db "flag mask ", 0

%include "alu_vectors.inc"
%include "lib_tail.inc"
