#!/bin/bash
# -accel tcg,lockstep=on (issue #9 part 4): every block runs under tier 0
# and tier 1 and the end states are compared.  The CPU test kernels
# (real, protected, long and virtual-8086 mode, paging, SMM, x87, SSE,
# task switches, SMP) run under lockstep: each must pass and report
# "lockstep: N blocks compared, M skipped, 0 divergences", and together
# they must compare a good number of blocks.  Then tier 1 is made to
# miscompile ADD on purpose (VIREO_JIT_INJECT=add): lockstep must stop at
# the first block with an inline ADD, with exit status 1, the
# "lockstep: divergence" line and the report (the differing register
# marked, guest and host code).  The long run (Linux to a shell and the
# bench workloads under lockstep) is `make check-lockstep`
# (tests/lockstep/linux.sh).
#   exit 0 pass, 1 fail, 77 skip.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
VIREO=${VIREO:-$BUILD/vireo}
out=$BUILD/tests/guest/lockstep
rm -rf "$out" && mkdir -p "$out" || exit 1
[ -x "$VIREO" ] || { echo "SKIP: $VIREO not built"; exit 77; }
if [ "$(uname -s)/$(uname -m)" != Linux/x86_64 ]; then
    echo "SKIP: tier 1 translates to x86-64 Linux hosts only"; exit 77
fi
fail=0 n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); echo "not ok $n - $*"; fail=1; }

# the CPU test kernels; apic's timer-latency case measures guest time
# against a 1 ms deadline, which lockstep's double runs do not keep
kernels=$(cd "$top/tests/cpu" && ls *.asm | sed 's/\.asm$//' | grep -vx apic | tr '\n' ' ')
CPU_TESTS=$kernels VIREO=$VIREO VIREO_ARGS="-accel tcg,lockstep=on" BUILD=$BUILD \
    sh "$top/tests/cpu/run-cpu-tests.sh" > "$out/cpu.txt" 2>&1
st=$?
if [ $st -eq 77 ]; then
    echo "SKIP: $(tail -n1 "$out/cpu.txt")"; exit 77
fi
total=0 bad=""
for k in $kernels; do
    line=$(grep -h '^lockstep: [0-9]* blocks compared' "$BUILD/tests/cpu/$k.log" | tail -1)
    c=$(echo "$line" | sed -n 's/^lockstep: \([0-9]*\) blocks compared, [0-9]* skipped, 0 divergences.*/\1/p')
    if [ -z "$c" ]; then
        bad="$bad $k(${line:-no lockstep line})"
    else
        total=$((total + c))
    fi
done
if [ $st -eq 0 ] && [ -z "$bad" ]; then
    ok "CPU test kernels under lockstep=on pass with 0 divergences ($(grep -c '^PASS' "$out/cpu.txt") kernels)"
else
    notok "CPU test kernels under lockstep=on (exit $st):$bad $(grep -v '^PASS' "$out/cpu.txt" | head -5 | tr '\n' ' ')"
fi
if [ "$total" -gt 1000000 ]; then
    ok "lockstep compared $total blocks"
else
    notok "lockstep compared only $total blocks"
fi

# a miscompile on purpose: caught, reported, exit 1
inj=$out/inject.txt
VIREO_JIT_INJECT=add timeout 60 "$VIREO" -bios "$BUILD/tests/cpu/alu.bin" -nographic -display none \
    -device isa-debug-exit,iobase=0xf4,iosize=4 -m 32 -accel tcg,lockstep=on </dev/null >"$inj" 2>&1
st=$?
tr -d '\r' < "$inj" > "$inj.clean"
if [ $st -eq 1 ] && grep -q '^lockstep: divergence$' "$inj.clean" &&
        grep -q '^lockstep: divergence in the block at ' "$inj.clean" &&
        grep -Eq '^\* (R[A-Z0-9]+) ' "$inj.clean" &&
        grep -Eq '^  0x[0-9a-f]+:  add ' "$inj.clean" &&
        grep -Eq '^  0x[0-9a-f]+:  xor +[a-z0-9]+,0x1$' "$inj.clean" &&
        grep -q '^lockstep: [0-9]* blocks compared, [0-9]* skipped, 1 divergence' "$inj.clean" &&
        ! grep -q '^1\.\.' "$inj.clean"; then
    ok "VIREO_JIT_INJECT=add: $(grep '^lockstep: divergence in' "$inj.clean" | head -1), exit 1"
else
    notok "VIREO_JIT_INJECT=add: exit $st, not the report expected: $(head -c 600 "$inj.clean")"
fi
# the same kernel, no injection: no divergence
if grep -q '^lockstep: [0-9]* blocks compared, [0-9]* skipped, 0 divergences' "$BUILD/tests/cpu/alu.log" &&
        grep -q '^ok ' "$BUILD/tests/cpu/alu.log"; then
    ok "without the injection the same kernel passes: $(grep -h '^lockstep:' "$BUILD/tests/cpu/alu.log" | cut -c1-80)"
else
    notok "alu without the injection: $(grep -h '^lockstep:' "$BUILD/tests/cpu/alu.log")"
fi
echo "1..$n"
exit $fail
