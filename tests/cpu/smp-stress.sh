#!/bin/bash
# LOCK stress (issue #8): RUNS times (default 1000), boot the two lock-race
# test kernels with the vCPUs on host threads: smp-lock (every kind of
# locked update, alternating -smp 2 and -smp 4) and smp-spinlock (one
# LOCK CMPXCHG / MOV spinlock with owner checks, -smp 3).  Counts the runs
# in which any update was lost or a CPU got stuck.  Not part of `make
# check` (about 1 s a run); `make check-smp-stress RUNS=N`.
#   exit 0: every run passed; 1: some failed (their logs are kept)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$top/build}
VIREO=${VIREO:-$BUILD/vireo}
runs=${1:-${RUNS:-1000}}
out=$BUILD/tests/cpu/smp-stress
mkdir -p "$out"
for k in smp-lock smp-spinlock; do
    [ -x "$VIREO" ] && [ -f "$BUILD/tests/cpu/$k.bin" ] ||
        { echo "FAIL: build $VIREO and $BUILD/tests/cpu/$k.bin first (make cpu-tests)"; exit 1; }
done
bad=0
for i in $(seq 1 "$runs"); do
    failed=
    for k in smp-lock smp-spinlock; do
        n=$(( i % 2 ? 2 : 4 ))
        [ $k = smp-spinlock ] && n=3
        log=$out/run-$i-$k.log
        timeout 60 "$VIREO" -accel tcg,thread=multi -bios "$BUILD/tests/cpu/$k.bin" -nographic \
            -display none -smp "$n" -m 32 -device isa-debug-exit,iobase=0xf4,iosize=4 </dev/null >"$log" 2>&1
        st=$?
        if [ $st -ne 1 ] || grep -q '^not ok' "$log" || ! grep -q '^1\.\.' "$log"; then
            failed=yes
            echo "run $i, $k -smp $n: exit $st: $(grep -m3 '^not ok' "$log" | tr '\n' ' ') (log $log)"
        else
            rm -f "$log"
        fi
    done
    [ -n "$failed" ] && bad=$((bad + 1))
done
echo "$runs runs, $bad failed"
[ $bad -eq 0 ]
