#!/bin/bash
# The real gdb against a kernel booted with -kernel (issue: "gdb attaches to
# build/vireo -s -S -kernel ..."): Vireo starts stopped with the gdbstub
# (-gdb tcp:127.0.0.1:PORT -S, i.e. -s -S on a free port) and boots
# tests/gdb/kernel.elf (multiboot, ELF32) through SeaBIOS and the loader ROM.
# One gdb session: a breakpoint at the kernel's entry point set before
# anything is loaded (EAX = multiboot magic there), registers and stepi in
# 32-bit code, a breakpoint in 64-bit long mode with 64-bit register values,
# a hardware watchpoint on a store of the 64-bit code, a memory write the
# guest then checks, detach; the guest runs to its end (isa-debug-exit).
#   exit 0 pass, 1 fail, 77 skip (no gdb).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
BUILD=${BUILD:-build}
vireo=${VIREO:-$BUILD/vireo}
elf=$BUILD/tests/gdb/kernel.elf
command -v gdb >/dev/null || { echo "SKIP: gdb is not installed"; exit 77; }
[ -f "$elf" ] || { echo "missing $elf (make $elf)"; exit 1; }

sym() { nm "$elf" | awk -v n="$1" '$3 == n { print "0x" $1 }' | sed 's/0x0*/0x/'; }
start=$(sym start) at32=$(sym at32) at64=$(sym at64) watched=$(sym watched) poke=$(sym poke)
[ -n "$start" ] && [ -n "$at32" ] && [ -n "$at64" ] && [ -n "$watched" ] && [ -n "$poke" ] ||
    { echo "symbols missing in $elf"; exit 1; }

tmp=$(mktemp -d)
trap 'kill $vpid 2>/dev/null; rm -rf "$tmp"' EXIT
for try in 1 2 3 4 5; do
    port=$((20000 + (RANDOM % 30000)))
    "$vireo" -cpu qemu64 -kernel "$elf" -gdb tcp:127.0.0.1:$port -S -display none -m 32 \
        -serial file:"$tmp/serial.log" -device isa-debug-exit,iobase=0xf4,iosize=4 \
        >"$tmp/vireo.out" 2>&1 &
    vpid=$!
    sleep 0.3
    kill -0 $vpid 2>/dev/null && break
    wait $vpid
done

cat > "$tmp/cmds.gdb" <<GDB
set pagination off
set confirm off
target remote 127.0.0.1:$port
break *$start
continue
printf "AT-ENTRY rip=%#x eax=%#x cs=%#x\n", \$rip, \$eax, \$cs
delete
break *$at32
continue
printf "AT32 rip=%#x ecx=%#x edx=%#x esi=%#x\n", \$rip, \$ecx, \$edx, \$esi
stepi
printf "STEPPED rip=%#x\n", \$rip
delete
break *$at64
continue
printf "AT64 rip=%#lx rax=%#lx r8=%#lx r15=%#lx cs=%#x\n", \$rip, \$rax, \$r8, \$r15, \$cs
delete
watch *(int *)$watched
continue
printf "WATCHED value=%d\n", *(int *)$watched
delete
set {int}$poke = 0xcafef00d
printf "POKE %#x\n", *(unsigned int *)$poke
detach
GDB
timeout 60 gdb -nx -batch -x "$tmp/cmds.gdb" >"$tmp/gdb.out" 2>&1
gst=$?
for i in $(seq 1 100); do kill -0 $vpid 2>/dev/null || break; sleep 0.1; done
wait $vpid
vst=$?
cat "$tmp/gdb.out"
echo "--- guest serial:"
tr -d '\r' <"$tmp/serial.log" | tail -n 3

fail=0
want() {   # want REGEX DESCRIPTION
    if grep -Eq "$1" "$tmp/gdb.out"; then echo "ok - $2"; else echo "not ok - $2 (no match for /$1/)"; fail=1; fi
}
want "^AT-ENTRY rip=$start eax=0x2badb002 cs=0x8$" "breakpoint at the kernel's entry point, multiboot magic in EAX"
want "^AT32 rip=$at32 ecx=0xc0c0c0c edx=0xd0d0d0d esi=0x51515151$" "registers in 32-bit code"
want "^STEPPED rip=$(printf '%#x' $((at32 + 1)))$" "stepi over one instruction"
want "^AT64 rip=$at64 rax=0x1122334455667788 r8=0x123456789abcdef r15=0xfedcba9876543210 cs=0x8$" \
    "registers in 64-bit code (long mode)"
want "^New value = 1$" "hardware watchpoint fires on the 64-bit store"
want "^WATCHED value=1$" "stopped right after the store"
want "^POKE 0xcafef00d$" "memory write reads back"
[ $gst -eq 0 ] || { echo "not ok - gdb exited with $gst"; fail=1; }
if [ $vst -eq 1 ] && grep -q "^gdb-kernel: ok" "$tmp/serial.log"; then
    echo "ok - after detach the kernel ran to its end and saw gdb's write (exit status $vst)"
else
    echo "not ok - guest result: exit status $vst (1 = pass)"; fail=1
fi
exit $fail
