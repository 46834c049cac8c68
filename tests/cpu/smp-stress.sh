#!/bin/bash
# LOCK stress (issue #8): boot the smp-lock test kernel RUNS times (default
# 1000), alternating -smp 2 and -smp 4, with the vCPUs on host threads, and
# count the runs in which any update was lost or a CPU got stuck.  Not part
# of `make check` (about 0.3 s a run); `make check-smp-stress RUNS=N`.
#   exit 0: every run passed; 1: some failed (their logs are kept)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$top/build}
VIREO=${VIREO:-$BUILD/vireo}
runs=${1:-${RUNS:-1000}}
bin=$BUILD/tests/cpu/smp-lock.bin
out=$BUILD/tests/cpu/smp-stress
mkdir -p "$out"
[ -x "$VIREO" ] && [ -f "$bin" ] || { echo "FAIL: build $VIREO and $bin first (make cpu-tests)"; exit 1; }
bad=0
for i in $(seq 1 "$runs"); do
    n=$(( i % 2 ? 2 : 4 ))
    log=$out/run-$i.log
    timeout 60 "$VIREO" -accel tcg,thread=multi -bios "$bin" -nographic -display none -smp "$n" -m 32 \
        -device isa-debug-exit,iobase=0xf4,iosize=4 </dev/null >"$log" 2>&1
    st=$?
    if [ $st -ne 1 ] || grep -q '^not ok' "$log" || ! grep -q '^1\.\.' "$log"; then
        bad=$((bad + 1))
        echo "run $i (-smp $n): exit $st: $(grep -m3 '^not ok' "$log" | tr '\n' ' ') (log $log)"
    else
        rm -f "$log"
    fi
done
echo "$runs runs, $bad failed"
[ $bad -eq 0 ]
