#!/bin/bash
# Loop-shape benchmark: bench/scan.c (a byte scan shaped like the kernel's
# xz BCJ filter: its loop is two blocks a turn unless the translator
# follows the Jcc back) built static on the host and run natively, inside
# Debian's Linux guest on Vireo and, when installed, on
# qemu-system-x86_64 -accel tcg, in this one run.  Times are taken on the
# host from the guest's begin and end marker lines, as in linux.sh.
#   bench/loop.sh [RUNS] [REPS]     (default 3 runs, 20 scans of 4 MiB)
# Prints the median seconds per system and vireo/qemu, vireo/native; a
# system whose result differs from native's is reported WRONG.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
BUILD=${BUILD:-build}
vireo=$BUILD/vireo
runs=${1:-3}
reps=${2:-20}
out=$BUILD/bench/loop
mkdir -p "$out"
mapfile -t guest < <(scripts/make-linux-guest.sh) || { echo "cannot build the guest" >&2; exit 1; }
kernel=${guest[0]}
initrd=$(bench/helper-initrd.sh bench/scan.c "$out" "${guest[1]}") || exit 1
append="console=ttyS0 quiet vireo.cmd=\"echo loop-bench: begin; scan $reps; echo loop-bench: end\" vireo.end"

now() { date +%s.%N; }
# SYSTEM LOG: seconds between the markers, and the result line
measure() {
    local t0 b="" e="" r="" line
    t0=$(now)
    while IFS= read -r line; do
        line=${line%$'\r'}
        case $line in
        *"loop-bench: begin"*) b=$(now) ;;
        *"loop-bench: end"*) e=$(now) ;;
        scan\ *) r=$line ;;
        esac
    done
    [ -n "$b" ] && [ -n "$e" ] && echo "$(echo "$e - $b" | bc) $r"
}
run_native() {
    local b e r
    b=$(now); r=$("$out/scan" "$reps"); e=$(now)
    echo "$(echo "$e - $b" | bc) $r"
}
run_vireo() {
    timeout 600 "$vireo" -m 512 -nographic -no-reboot -kernel "$kernel" -initrd "$initrd" \
        -append "$append" </dev/null 2>&1 | measure
}
run_qemu() {
    timeout 600 qemu-system-x86_64 -accel tcg -m 512 -nographic -no-reboot -nic none \
        -kernel "$kernel" -initrd "$initrd" -append "$append" </dev/null 2>&1 | measure
}
systems=(native vireo)
command -v qemu-system-x86_64 >/dev/null && systems+=(qemu)
declare -A t res
for r in $(seq 1 "$runs"); do          # interleaved, as linux.sh
    for s in "${systems[@]}"; do
        read -r sec rest < <("run_$s")
        t[$s.$r]=$sec
        res[$s.$r]=$rest
    done
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]}'; }
declare -A med
printf '%-8s %10s\n' system seconds
for s in "${systems[@]}"; do
    vals=() wrong=0
    for r in $(seq 1 "$runs"); do
        [ -n "${t[$s.$r]:-}" ] && vals+=("${t[$s.$r]}")
        [ "${res[$s.$r]:-}" = "${res[native.1]:-}" ] || wrong=1
    done
    med[$s]=$(median "${vals[@]}")
    if [ $wrong = 1 ] || [ -z "${med[$s]}" ]; then printf '%-8s %10s\n' "$s" WRONG; med[$s]=""
    else printf '%-8s %10.3f\n' "$s" "${med[$s]}"; fi
done
ratio() { [ -n "${med[$1]:-}" ] && [ -n "${med[$2]:-}" ] && echo "scale=2; ${med[$1]} / ${med[$2]}" | bc -l || echo "-"; }
echo "vireo/native $(ratio vireo native)"
[[ " ${systems[*]} " == *" qemu "* ]] && echo "vireo/qemu $(ratio vireo qemu)"
exit 0
