#!/bin/bash
# SMP scaling: the same parallel workload in the Linux guest of
# scripts/make-linux-guest.sh with 1 vCPU and with N (default 2, this
# host's cores), under Vireo with -accel tcg,thread=multi and, when
# installed, qemu-system-x86_64 -accel tcg (MTTCG), in one run.
#   bench/smp.sh [N] [JOBS]     (JOBS busybox shell loops, default 4)
# The guest runs JOBS processes at once, each counting to $LOOP in a shell
# loop; the time is taken on the host between the "begin" and "end" marker
# lines on the serial console.  Prints seconds per system and CPU count,
# the speed-up from 1 to N vCPUs, and vireo/qemu at N.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-$(nproc)}
jobs=${2:-4}
LOOP=${LOOP:-30000}
BUILD=${BUILD:-$top/build}
vireo=$BUILD/vireo
mapfile -t guest < <("$top/scripts/make-linux-guest.sh") || exit 1
kernel=${guest[0]} initrd=${guest[1]}
work="echo vireo-bench: begin par; for k in \$(seq $jobs); do (i=0; while [ \$i -lt $LOOP ]; do i=\$((i + 1)); done) & done; wait; echo vireo-bench: end par"
append="console=ttyS0 quiet vireo.cmd=$work vireo.end"

now() { date +%s.%N; }

# run CMD...: seconds between the guest's begin and end markers
run() {
    local t0 t1 line
    t0= t1=
    while IFS= read -r line; do
        case $line in
        *"vireo-bench: begin par"*) t0=$(now) ;;
        *"vireo-bench: end par"*) t1=$(now) ;;
        esac
    done < <(timeout 900 "$@" -m 512 -nographic -no-reboot -kernel "$kernel" -initrd "$initrd" \
             -append "$append" </dev/null 2>&1)
    [ -n "$t0" ] && [ -n "$t1" ] && echo "$t1 - $t0" | bc || echo fail
}

systems=(vireo)
command -v qemu-system-x86_64 >/dev/null && systems+=(qemu)
declare -A t
for s in "${systems[@]}"; do
    for c in 1 "$n"; do
        if [ $s = vireo ]; then
            t[$s.$c]=$(run "$vireo" -accel tcg,thread=multi -smp "$c" -cpu qemu64)
        else
            t[$s.$c]=$(run qemu-system-x86_64 -accel tcg,thread=multi -smp "$c" -nic none)
        fi
    done
done
div() { [[ $1 != fail && $2 != fail ]] && echo "scale=2; $1 / $2" | bc -l || echo -; }
echo "$jobs jobs of a $LOOP-iteration shell loop, seconds:"
printf '%-8s %10s %10s %10s\n' system "1 vCPU" "$n vCPUs" speed-up
for s in "${systems[@]}"; do
    printf '%-8s %10s %10s %10s\n' "$s" "${t[$s.1]}" "${t[$s.$n]}" "$(div "${t[$s.1]}" "${t[$s.$n]}")"
done
[[ " ${systems[*]} " == *" qemu "* ]] && echo "vireo/qemu at $n vCPUs: $(div "${t[vireo.$n]}" "${t[qemu.$n]}")"
