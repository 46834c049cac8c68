#!/bin/bash
# The real gdb (Debian's) against Vireo's gdbstub: start the guest stopped
# (-gdb tcp::PORT -S), then in one gdb session: registers at the reset
# vector, stepi, a breakpoint at a symbol of the guest, registers and memory
# there, a hardware watchpoint that fires on the guest's store, a memory
# write and a register write the guest then checks, stepi with timer
# interrupts pending (must stay out of the handler), reads through the
# guest's page tables and an unmapped page, detach.  After the
# detach the guest runs to its end and reports through isa-debug-exit.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
BUILD=${BUILD:-build}
vireo=${VIREO:-$BUILD/vireo}
bin=$BUILD/tests/gdb/target.bin
map=$BUILD/tests/gdb/target.map
command -v gdb >/dev/null || { echo "SKIP: gdb is not installed"; exit 77; }
[ -f "$bin" ] && [ -f "$map" ] || { echo "missing $bin (make $bin)"; exit 1; }

sym() { awk -v n="$1" '$3 == n { print "0x" $2 }' "$map"; }
loop=$(sym gdb_loop) after=$(sym gdb_after) counter=$(sym counter) poke=$(sym poke) paged=$(sym gdb_paged)
irqloop=$(sym gdb_irq_loop) irqcount=$(sym irq_count)
[ -n "$loop" ] && [ -n "$after" ] && [ -n "$counter" ] && [ -n "$poke" ] && [ -n "$paged" ] &&
    [ -n "$irqloop" ] && [ -n "$irqcount" ] ||
    { echo "symbols missing in $map"; exit 1; }
# where the guest's page tables show poke's page (see target.asm)
poke_va=$(printf "0x%x" $((0x400000 + (poke & 0xfff))))

tmp=$(mktemp -d)
trap 'kill $vpid 2>/dev/null; rm -rf "$tmp"' EXIT
# a port nobody uses: try a few
for try in 1 2 3 4 5; do
    port=$((20000 + (RANDOM % 30000)))
    "$vireo" -bios "$bin" -gdb tcp:127.0.0.1:$port -S -display none -m 32 \
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
printf "AT-RESET rip=%#x cs=%#x\n", \$rip, \$cs
stepi
printf "AFTER-STEPI rip=%#x cs=%#x\n", \$rip, \$cs
break *$loop
continue
printf "AT-LOOP rip=%#x eax=%#x ebx=%#x\n", \$rip, \$eax, \$ebx
printf "COUNTER0 %d\n", *(int *)$counter
info registers eflags
monitor info status
delete
watch *(int *)$counter
continue
printf "WATCHED counter=%d rip=%#x\n", *(int *)$counter, \$rip
delete
set {int}$poke = 0xcafef00d
printf "POKE %#x\n", *(unsigned int *)$poke
set \$rdi = 0x5a5a5a5a
break *$after
continue
printf "AT-AFTER rip=%#x rdi=%#x counter=%d\n", \$rip, \$rdi, *(int *)$counter
delete
break *$irqloop
continue
delete
printf "IRQS-BEFORE %d\n", *(int *)$irqcount
set \$n = 0
set \$left = 0
while \$n < 40
  stepi
  if \$pc < $irqloop || \$pc > $irqloop + 16
    set \$left = \$left + 1
  end
  set \$n = \$n + 1
end
shell sleep 0.2
stepi
stepi
printf "IRQS-STEPPED %d left=%d\n", *(int *)$irqcount, \$left
break *$paged
continue
printf "PAGED %#x\n", *(unsigned int *)$poke_va
GDB
# an error ends a -x script, so the failing read goes in its own -ex
timeout 60 gdb -nx -batch -x "$tmp/cmds.gdb" -ex "x/4xb 0x401000" -ex delete -ex detach \
    >"$tmp/gdb.out" 2>&1
gst=$?
for i in $(seq 1 100); do kill -0 $vpid 2>/dev/null || break; sleep 0.1; done
wait $vpid
vst=$?
cat "$tmp/gdb.out"
echo "--- guest serial:"
cat "$tmp/serial.log"

fail=0
want() {   # want REGEX DESCRIPTION
    if grep -Eq "$1" "$tmp/gdb.out"; then echo "ok - $2"; else echo "not ok - $2 (no match for /$1/)"; fail=1; fi
}
want "^AT-RESET rip=0xfff0 cs=0xf000$" "registers at the reset vector (f000:fff0)"
want "^AFTER-STEPI rip=(0|0x[0-9a-f]+) cs=0xf000$" "stepi executes the far jump to f000:start16"
grep -q "^AFTER-STEPI rip=0xfff0 " "$tmp/gdb.out" && { echo "not ok - stepi did not move"; fail=1; }
want "^AT-LOOP rip=$loop eax=0x11111111 ebx=0x22222222$" "breakpoint at gdb_loop, registers there"
want "^COUNTER0 0$" "memory read at the breakpoint"
want "^eflags +0x46 +\\[ (PF ZF|ZF PF) \\]$" "eflags decoded with the flag names (xor edi,edi left ZF PF)"
want "^VM status: paused \\(debug\\)$" "monitor commands through gdb's 'monitor'"
want "Hardware watchpoint 2: \*\(int \*\)$counter" "watch uses a hardware watchpoint"
want "^New value = 1$" "the watchpoint fires on the guest's first store"
want "^WATCHED counter=1 rip=0x" "stopped right after the store"
want "^POKE 0xcafef00d$" "memory write reads back"
want "^AT-AFTER rip=$after rdi=0x5a5a5a5a counter=1000$" "continue to a later breakpoint, register write kept"
before=$(sed -n 's/^IRQS-BEFORE //p' "$tmp/gdb.out")
if [ -n "$before" ] && [ "$before" -gt 0 ] && grep -q "^IRQS-STEPPED $before left=0$" "$tmp/gdb.out"; then
    echo "ok - stepi with timer interrupts pending never enters the handler ($before ticks before, none while stepping)"
else
    echo "not ok - stepping took interrupts or left the loop: $(grep '^IRQS' "$tmp/gdb.out" | tr '\n' ' ')"; fail=1
fi
want "^PAGED 0xcafef00d$" "with paging on, memory reads go through the guest's page tables"
want "^0x401000:\s+Cannot access memory at address 0x401000$" "an unmapped page is an error"
[ $gst -eq 0 ] || { echo "not ok - gdb exited with $gst"; fail=1; }
if [ $vst -eq 1 ] && ! grep -q "^not ok" "$tmp/serial.log" && grep -q "^ok 3 " "$tmp/serial.log"; then
    echo "ok - after detach the guest ran to its end and saw gdb's writes (exit status $vst)"
else
    echo "not ok - guest result: exit status $vst (1 = pass)"; fail=1
fi
exit $fail
