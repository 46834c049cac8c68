#!/bin/bash
# make check-lockstep (issue #9 part 4): Debian's Linux guest
# (scripts/make-linux-guest.sh) boots to its shell under
# -accel tcg,lockstep=on -- every block run by tier 0 and by tier 1 and
# the end states compared -- and runs the bench workloads
# (bench/workloads.sh: seq, sha256sum, gzip, a shell loop) as
# tests/guest/jit-tiers.sh does.  Passes when the workloads' results equal
# native busybox's and lockstep reports 0 divergences over the run; prints
# lockstep's counts (blocks compared, skipped and why) and the time taken.
# Not part of make check: it takes minutes (LOCKSTEP_TIMEOUT, default
# 3600 s).   exit 0 pass, 1 fail, 77 skip.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
VIREO=${VIREO:-$BUILD/vireo}
TIMEOUT=${LOCKSTEP_TIMEOUT:-3600}
out=$BUILD/tests/lockstep
rm -rf "$out" && mkdir -p "$out" || exit 1

. "$top/tests/guest/bench-guest.inc"

# the guest under lockstep, the monitor on stdin: "info jit" (with
# lockstep's counts) once the workloads are done, then quit
serial=$out/serial.log
t0=$(date +%s)
(
    for _ in $(seq 1 $((TIMEOUT * 2))); do
        grep -q 'vireo-bench: all done' "$serial" 2>/dev/null && break
        # a divergence ends Vireo: stop waiting
        grep -q '^lockstep: divergence$' "$out/monitor.txt" 2>/dev/null && break
        sleep 0.5
    done
    echo "info jit"
    sleep 2
    echo quit
) | "$VIREO" -m 512 -display none -no-reboot -no-shutdown \
        -accel tcg,lockstep=on -serial "file:$serial" -monitor stdio \
        -kernel "${guest[0]}" -initrd "${guest[1]}" -append "console=ttyS0 quiet vireo.bench" \
        > "$out/monitor.txt" 2>&1 &
pid=$!
( sleep "$TIMEOUT"; kill $pid 2>/dev/null ) &
watchdog=$!
wait $pid
st=$?
kill $watchdog 2>/dev/null
wait $watchdog 2>/dev/null
secs=$(( $(date +%s) - t0 ))
tr -d '\r' < "$out/monitor.txt" > "$out/monitor.clean"
tr -d '\r' < "$serial" | grep '^vireo-bench: end ' | sort > "$out/lockstep.res"
if [ -s "$out/lockstep.res" ] && cmp -s "$out/native.res" "$out/lockstep.res"; then
    ok "Linux booted to its shell and ran the workloads under lockstep in ${secs} s; results equal native ($(wc -l < "$out/lockstep.res") results)"
else
    notok "workload results under lockstep differ from native (exit $st, ${secs} s): $(diff "$out/native.res" "$out/lockstep.res" | tr '\n' ' ' | head -c 400)"
fi
summary=$(grep '^lockstep: [0-9]* blocks compared' "$out/monitor.clean" | tail -1)
if grep -q '^lockstep: divergence$' "$out/monitor.clean"; then
    notok "lockstep found a divergence: $(grep -A60 '^lockstep: divergence in' "$out/monitor.clean" | head -60)"
elif echo "$summary" | grep -q ' 0 divergences'; then
    ok "$summary"
else
    notok "no lockstep summary: $(tail -c 600 "$out/monitor.clean")"
fi
echo "1..$n"
exit $fail
