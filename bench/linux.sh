#!/bin/bash
# Linux guest benchmark: Debian's kernel + busybox initramfs
# (scripts/make-linux-guest.sh) booted with "vireo.bench", which runs
# bench/workloads.sh in the guest and powers off.  The same workloads run
# natively with the same busybox-static binary, and under
# qemu-system-x86_64 -accel tcg when it is installed, in this one run.
# Times come from the host clock as each marker line arrives on the serial
# console:  boot = start .. "vireo-guest: init ok";  NAME = begin .. end.
#   bench/linux.sh [RUNS]        (default 1)
# Columns: native, vireo (tier auto, the default), vireo-t0 (-accel
# tcg,tier=0) and qemu; prints the median seconds and the ratios
# vireo/native, vireo/qemu and t0/qemu; the last row is each emulator's
# peak RSS in MiB (GNU time), with the same ratios.
# A system whose workload results differ from native is reported WRONG.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-1}
BUILD=${BUILD:-$top/build}
vireo=$BUILD/vireo
mapfile -t guest < <("$top/scripts/make-linux-guest.sh") || exit 1
kernel=${guest[0]} initrd=${guest[1]}
busybox=${VIREO_CACHE:-$BUILD/cache}/root/busybox-static/bin/busybox
append="console=ttyS0 quiet vireo.bench"
names=(boot gen sha256sum gzip bzip2 shell-loop)

now() { date +%s.%N; }

# timestamp STARTTIME: read lines, print "SECONDS LINE" for marker lines
timestamp() {
    local t0=$1 line
    while IFS= read -r line; do
        line=${line%$'\r'}
        case $line in
        *vireo-guest:*|*vireo-bench:*) echo "$(echo "$(now) - $t0" | bc) ${line#*vireo-}" ;;
        esac
    done
}

# summarize FILE PREFIX: fills times[PREFIX.NAME] and results[PREFIX.NAME]
declare -A times results rss
rssfile=/dev/null
summarize() {
    local f=$1 p=$2 t rest kind name res
    declare -A begin
    while read -r t rest; do
        case $rest in
        "guest: init ok") times[$p.boot]=$t ;;
        bench:\ begin\ *) begin[${rest#bench: begin }]=$t ;;
        bench:\ end\ *)
            read -r kind name res <<<"${rest#bench: }"
            [ -n "${begin[$name]:-}" ] && times[$p.$name]=$(echo "$t - ${begin[$name]}" | bc)
            results[$p.$name]=$res ;;
        esac
    done < "$f"
}

run_native() {
    local bin=$(mktemp -d)
    for a in $("$busybox" --list); do ln -sf "$busybox" "$bin/$a"; done
    local t0=$(now)
    echo "vireo-guest: init ok" | timestamp "$t0"
    PATH=$bin "$busybox" sh "$top/bench/workloads.sh" | timestamp "$t0"
    rm -rf "$bin"
}

run_qemu() {
    local t0=$(now)
    /usr/bin/time -f %M -o "$rssfile" timeout 600 qemu-system-x86_64 -accel tcg -m 512 -nographic -no-reboot -nic none \
        -kernel "$kernel" -initrd "$initrd" -append "$append" </dev/null 2>&1 | timestamp "$t0"
}

run_vireo() {
    local t0=$(now)
    /usr/bin/time -f %M -o "$rssfile" timeout 600 "$vireo" -m 512 -nographic -no-reboot -accel "tcg,tier=${1:-auto}" \
        -kernel "$kernel" -initrd "$initrd" -append "$append" </dev/null 2>&1 | timestamp "$t0"
}

run_vireo-t0() { run_vireo 0; }

# vireo: the default (tier auto); vireo-t0: tier 0 alone (the fallback on
# hosts tier 1 does not support)
systems=(native vireo vireo-t0)
command -v qemu-system-x86_64 >/dev/null && systems+=(qemu)
tmp=$(mktemp -d)
# runs interleaved (each system once per round): a host whose speed drifts
# during the bench skews every system alike rather than the last one
for r in $(seq 1 "$runs"); do
    for sys in "${systems[@]}"; do
        rssfile=$tmp/$sys.$r.rss
        "run_$sys" > "$tmp/$sys.$r"
        [ -s "$rssfile" ] && rss[$sys.$r]=$(( $(tail -n1 "$rssfile") / 1024 ))
        summarize "$tmp/$sys.$r" "$sys.$r"
    done
done

# median over runs of one measurement
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print ""}'; }

printf '%-12s' "seconds"; for s in "${systems[@]}"; do printf ' %11s' "$s"; done
printf '%14s' "vireo/native"
[[ " ${systems[*]} " == *" qemu "* ]] && printf '%14s%14s' "vireo/qemu" "t0/qemu"; echo
for n in "${names[@]}"; do
    printf '%-12s' "$n"
    declare -A med=()
    for s in "${systems[@]}"; do
        vals=() wrong=0
        for r in $(seq 1 "$runs"); do
            v=${times[$s.$r.$n]:-}
            [ -n "$v" ] && vals+=("$v")
            if [ "$n" != boot ] && [ -n "${results[$s.$r.$n]:-}" ] &&
               [ "${results[$s.$r.$n]}" != "${results[native.1.$n]:-}" ]; then
                wrong=1
            fi
        done
        med[$s]=$(median "${vals[@]}")
        if [ $wrong = 1 ]; then printf ' %11s' WRONG; med[$s]=""
        elif [ -n "${med[$s]}" ]; then printf ' %11.3f' "${med[$s]}"
        else printf ' %11s' fail; fi
    done
    ratio() { [ -n "${med[$1]:-}" ] && [ -n "${med[$2]:-}" ] && echo "scale=2; ${med[$1]} / ${med[$2]}" | bc -l || echo "-"; }
    printf '%14s' "$(ratio vireo native)"
    [[ " ${systems[*]} " == *" qemu "* ]] && printf '%14s%14s' "$(ratio vireo qemu)" "$(ratio vireo-t0 qemu)"
    echo
done
# peak resident memory of the emulator process (GNU time's %M), median
printf '%-12s' "rss-MiB"
declare -A medr=()
for s in "${systems[@]}"; do
    vals=()
    for r in $(seq 1 "$runs"); do [ -n "${rss[$s.$r]:-}" ] && vals+=("${rss[$s.$r]}"); done
    medr[$s]=$(median "${vals[@]}")
    printf ' %11s' "${medr[$s]:--}"
done
printf '%14s' "-"
if [[ " ${systems[*]} " == *" qemu "* ]] && [ -n "${medr[vireo]:-}" ] && [ -n "${medr[qemu]:-}" ]; then
    printf '%14s%14s' "$(echo "scale=2; ${medr[vireo]} / ${medr[qemu]}" | bc -l)" \
        "$(echo "scale=2; ${medr[vireo-t0]} / ${medr[qemu]}" | bc -l)"
fi
echo
rm -rf "$tmp"
