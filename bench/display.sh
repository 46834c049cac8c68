#!/bin/bash
# Benchmark: host CPU used by the display path, Vireo against
# qemu-system-x86_64 -accel tcg (when installed), same firmware, same guest,
# same VNC client, in one run.
#   bench/display.sh [SECONDS]       (measuring window, default 10)
# Two guests, each with a VNC client attached (bench/vnc-load.py, always one
# incremental update request outstanding, pixels read and dropped):
#   idle    SeaBIOS with nothing to boot: "No bootable device" on the VGA
#           text screen, the CPU halted between timer ticks;
#   redraw  bench/vga-redraw.asm (-kernel): 1024x768x32 through Bochs VBE,
#           the whole framebuffer rewritten frame after frame.
# For each: host CPU seconds per second of the whole process, of its vCPU
# thread ("CPU 0/TCG") and of the rest (main loop, display, VNC), the VNC
# updates received per second and, for redraw, the guest's frames per second
# (it prints a count on COM1).  Then vireo/qemu for the whole process and for
# the non-vCPU part.  The issue's goal: idle costs less than QEMU's.
# Environment: BUILD (default build), VIREO, QEMU (default
#   qemu-system-x86_64), WARMUP (s before measuring, default 8), ENC (raw or
#   zlib, default raw).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
VIREO=${VIREO:-$BUILD/vireo}
QEMU=${QEMU:-qemu-system-x86_64}
SECS=${1:-10}
WARMUP=${WARMUP:-8}
ENC=${ENC:-raw}
BIOS=$BUILD/firmware/bios.bin
KERNEL=$BUILD/bench/vga-redraw.bin
tmp=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

[ -x "$VIREO" ] && [ -f "$BIOS" ] || { echo "display.sh: no $VIREO or $BIOS: run make first" >&2; exit 1; }
make -s -C "$top" BUILD="$BUILD" "$KERNEL" || { echo "display.sh: cannot build $KERNEL" >&2; exit 1; }
HZ=$(getconf CLK_TCK)

# ticks PID [vcpu|all]: utime+stime of the process, or of its vCPU threads
ticks() {
    local sum=0 t rest
    if [ "$2" = all ]; then
        rest=$(sed 's/^.*) //' "/proc/$1/stat") || return 1
        set -- $rest
        echo $(( ${12} + ${13} ))
        return
    fi
    for t in /proc/$1/task/*; do
        case $(cat "$t/comm" 2>/dev/null) in
        CPU\ *)
            rest=$(sed 's/^.*) //' "$t/stat") || continue
            set -- $rest
            sum=$(( sum + ${12} + ${13} ))
            ;;
        esac
    done
    echo $sum
}

frames() { grep -a '^frames ' "$1" 2>/dev/null | tail -n1 | awk '{print $2+0}'; }

# measure NAME GUEST EMULATOR ARGS...: prints "cpu vcpu other upd fps"
measure() {
    local name=$1 guest=$2; shift 2
    local sock=$tmp/$name-$guest.sock serial=$tmp/$name-$guest.serial
    local gargs
    if [ "$guest" = idle ]; then
        gargs=(-m 128)
    else
        gargs=(-m 64 -kernel "$KERNEL")
    fi
    rm -f "$sock"
    "$@" -name bench,debug-threads=on -bios "$BIOS" -nic none -display none \
        -vnc unix:"$sock" -serial file:"$serial" "${gargs[@]}" </dev/null >"$tmp/$name.out" 2>&1 &
    local pid=$! i=0
    pids+=($pid)
    while [ ! -S "$sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    python3 "$top/bench/vnc-load.py" unix:"$sock" "$ENC" >"$tmp/$name-$guest.load" 2>&1 &
    local lpid=$!
    pids+=($lpid)
    sleep "$WARMUP"
    local a0 v0 f0 a1 v1 f1
    a0=$(ticks $pid all) v0=$(ticks $pid vcpu) f0=$(frames "$serial")
    sleep "$SECS"
    a1=$(ticks $pid all) v1=$(ticks $pid vcpu) f1=$(frames "$serial")
    kill $lpid 2>/dev/null
    wait $lpid 2>/dev/null
    kill $pid 2>/dev/null
    wait $pid 2>/dev/null
    local upd
    upd=$(awk '/^updates/ {print $2}' "$tmp/$name-$guest.load")
    if [ -z "$a0" ] || [ -z "$a1" ] || [ -z "$upd" ]; then
        echo "fail fail fail fail fail"
        return
    fi
    # the client ran WARMUP+SECS seconds: its update count is per that span
    awk -v a=$((a1 - a0)) -v v=$((v1 - v0)) -v hz="$HZ" -v s="$SECS" -v u="$upd" \
        -v w="$WARMUP" -v f0="${f0:-0}" -v f1="${f1:-0}" -v g="$guest" 'BEGIN {
        printf "%.3f %.3f %.3f %.1f %s\n", a / hz / s, v / hz / s, (a - v) / hz / s,
            u / (s + w), g == "redraw" ? sprintf("%.1f", (f1 - f0) / s) : "-" }'
}

have_qemu=0
command -v "$QEMU" >/dev/null && have_qemu=1
printf '%-8s %-7s %9s %9s %9s %9s %9s\n' emulator guest "cpu/s" "vcpu/s" "other/s" "vnc upd/s" "frames/s"
declare -A R
for guest in idle redraw; do
    for emu in vireo qemu; do
        if [ $emu = vireo ]; then
            r=$(measure vireo $guest "$VIREO")
        elif [ $have_qemu = 1 ]; then
            r=$(measure qemu $guest "$QEMU" -accel tcg)
        else
            continue
        fi
        R[$emu-$guest]=$r
        printf '%-8s %-7s %9s %9s %9s %9s %9s\n' $emu $guest $r
    done
done
[ $have_qemu = 1 ] || { echo "($QEMU not installed: no ratios)"; exit 0; }
echo
for guest in idle redraw; do
    set -- ${R[vireo-$guest]} ${R[qemu-$guest]}
    awk -v g=$guest -v va="$1" -v vo="$3" -v qa="$6" -v qo="$8" 'BEGIN {
        r = (qa > 0) ? sprintf("%.2f", va / qa) : "n/a"
        o = (qo > 0) ? sprintf("%.2f", vo / qo) : "n/a"
        printf "%-7s vireo/qemu: whole process %s, display and main loop (non-vCPU) %s\n", g, r, o }'
done
