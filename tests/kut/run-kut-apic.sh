#!/bin/bash
# kvm-unit-tests' apic test (x86/apic.c) in both of its configurations, the
# suite's [x2apic] and [xapic] (-smp 2, -cpu qemu64,+x2apic,+tsc-deadline
# and -x2apic), run directly rather than through the suite's runner: the
# runner adds pc-testdev, with which the test issues KVM's "send IPI"
# hypercall (VMCALL), an #UD without KVM that ends it half-way, on QEMU TCG
# as here.  The suite's own switch TEST_DEVICE=0 (its environment, passed as
# -initrd as its runner does) leaves that one check out, so the rest runs:
# xAPIC/x2APIC mode changes, x2APIC MSRs and IDs, self IPIs, broadcast and
# logical IPIs, NMI delivery and latching, the APIC timer's modes and the
# TSC-deadline timer.  Asserted on the test's own SUMMARY line: no
# unexpected failure.  Skips (77) without the suite (tests/kut/kut.sh builds
# it).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
BUILD=${BUILD:-build}
VIREO=${VIREO:-$BUILD/vireo}
# build the suite (the smoke list's first test is quick) if not built yet
if ! ls "$BUILD"/kut/kvm-unit-tests-*/x86/apic.flat >/dev/null 2>&1; then
    tests/kut/kut.sh --no-reference setjmp >/dev/null 2>&1
    [ $? -eq 77 ] && { echo "SKIP: kvm-unit-tests archive not found"; exit 77; }
fi
flat=$(ls "$BUILD"/kut/kvm-unit-tests-*/x86/apic.flat 2>/dev/null | head -n 1)
[ -f "$flat" ] || { echo "FAIL: kvm-unit-tests did not build (see $BUILD/kut/build.log)"; exit 1; }
out=$BUILD/tests/kut/apic
mkdir -p "$out"
printf 'TEST_DEVICE=0\n' > "$out/environ"
limit=120
grep -qs '^CONFIG_SANITIZERS=yes' "$BUILD/config.mak" && limit=600
fails=0 n=0
for cfg in "x2apic qemu64,+x2apic,+tsc-deadline" "xapic qemu64,-x2apic,+tsc-deadline"; do
    set -- $cfg
    n=$((n + 1))
    log=$out/$1.log
    timeout $limit "$VIREO" --no-reboot -nodefaults -device pc-testdev \
        -device isa-debug-exit,iobase=0xf4,iosize=0x4 -display none -serial stdio \
        -kernel "$flat" -initrd "$out/environ" -smp 2 -cpu "$2" </dev/null >"$log" 2>&1
    st=$?
    summary=$(grep -a '^SUMMARY:' "$log")
    # exit status 1 is the suite's pass through isa-debug-exit
    if [ $st -eq 1 ] && [ -n "$summary" ] && ! grep -q 'unexpected failures' <<<"$summary"; then
        echo "ok $n - apic [$1] -cpu $2: $summary"
    else
        echo "not ok $n - apic [$1] -cpu $2: exit $st, ${summary:-no SUMMARY}; $(grep -a -m3 '^FAIL' "$log" | tr '\n' ' ')(log $log)"
        fails=$((fails + 1))
    fi
done
echo "1..$n"
exit $((fails > 0))
