#!/bin/bash
# Benchmark: wall time from process start to "No bootable device" on the
# serial console, SeaBIOS from build/firmware, for Vireo and (when installed)
# qemu-system-x86_64 -accel tcg with the same bios.bin, N runs each.
#   bench/boot-seabios.sh [RUNS]        (default 5; median and mean reported)
# Environment: BUILD (default build), VIREO (default $BUILD/vireo),
#   QEMU (default qemu-system-x86_64), MEM (default 128), LIMIT (s, default 120)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
VIREO=${VIREO:-$BUILD/vireo}
QEMU=${QEMU:-qemu-system-x86_64}
RUNS=${1:-5}
MEM=${MEM:-128}
LIMIT=${LIMIT:-120}
BIOS=$BUILD/firmware/bios.bin
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

[ -f "$BIOS" ] || { echo "no $BIOS: run make first" >&2; exit 1; }

now() { date +%s.%N; }

# one_run CMD...: prints seconds to "No bootable device", or "fail"
one_run() {
    local log=$tmp/serial.log pid t0 t1 n=0
    : >"$log"
    t0=$(now)
    timeout -k 2 "$LIMIT" "$@" </dev/null >"$log" 2>/dev/null &
    pid=$!
    until grep -q "No bootable device" "$log"; do
        if ! kill -0 $pid 2>/dev/null; then
            wait $pid 2>/dev/null; echo fail; return
        fi
        sleep 0.02
    done
    t1=$(now)
    kill $pid 2>/dev/null; wait $pid 2>/dev/null
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'
}

# series NAME CMD...: N runs, prints per-run times, sets $median
series() {
    local name=$1 times=() t i
    shift
    for ((i = 1; i <= RUNS; i++)); do
        t=$(one_run "$@")
        if [ "$t" = fail ]; then
            echo "$name: run $i did not reach 'No bootable device' (within ${LIMIT}s)"
            median=fail; return
        fi
        times+=("$t")
    done
    median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')
    mean=$(printf '%s\n' "${times[@]}" | awk '{ s += $1 } END { printf "%.3f", s / NR }')
    printf '%-8s runs: %s\n' "$name" "${times[*]}"
    printf '%-8s median %.3f s, mean %s s\n' "$name" "$median" "$mean"
}

echo "SeaBIOS boot to 'No bootable device', -m $MEM, $RUNS run(s) each ($(sha256sum "$BIOS" | cut -c1-12) bios.bin)"
vmed=fail qmed=fail
if [ -x "$VIREO" ]; then
    series vireo "$VIREO" -nographic -m "$MEM" -bios "$BIOS"; vmed=$median
else
    echo "vireo: $VIREO not built"
fi
if command -v "$QEMU" >/dev/null 2>&1; then
    # -nic none: no iPXE ROM, so QEMU does the same boot attempts as Vireo
    series qemu "$QEMU" -machine pc -accel tcg -nographic -nic none -m "$MEM" -bios "$BIOS"; qmed=$median
else
    echo "qemu: $QEMU not installed, no reference"
fi
if [ "$vmed" != fail ] && [ "$qmed" != fail ]; then
    awk -v v="$vmed" -v q="$qmed" 'BEGIN { printf "ratio vireo/qemu: %.2f (%s)\n", v / q, v <= q ? "vireo faster or equal" : "vireo slower" }'
fi
[ "$vmed" != fail ]
