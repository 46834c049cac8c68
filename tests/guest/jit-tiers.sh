#!/bin/bash
# Guest test for the translator's tiers (issue #9): Debian's Linux guest
# (scripts/make-linux-guest.sh) boots with vireo.bench under
# -accel tcg,tier=1 (every block translated on first use) and runs
# bench/workloads.sh (seq, sha256sum, gzip, bzip2, a shell loop); each result must
# equal what the same busybox-static binary prints natively.  Then HMP
# "info jit" must report translated blocks and many instructions per trip
# through the loop (chained blocks), and the
# -perfmap file must name translated blocks (and host perf, when there,
# must use it).  Linux boots once under tier=0 too.  The CPU test kernels run
# under tier=0 and tier=1 (tier auto, the default, is what every other test
# runs).
#   exit 0 pass, 1 fail, 77 skip.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
VIREO=${VIREO:-$BUILD/vireo}
TIMEOUT=${BOOT_TIMEOUT:-240}
grep -qs '^CONFIG_SANITIZERS=yes' "$BUILD/config.mak" && TIMEOUT=${BOOT_TIMEOUT_ASAN:-900}
out=$BUILD/tests/guest/jit-tiers
rm -rf "$out" && mkdir -p "$out" || exit 1

. "$top/tests/guest/bench-guest.inc"

# the guest under tier 1, with the monitor on stdin: "info jit" once the
# workloads are done (the guest powers off; -no-shutdown keeps Vireo), then quit
serial=$out/serial.log
(
    for _ in $(seq 1 $((TIMEOUT * 2))); do
        grep -q 'vireo-bench: all done' "$serial" 2>/dev/null && break
        sleep 0.5
    done
    echo "info jit"
    sleep 1
    echo quit
) | "$VIREO" -m 512 -display none -no-reboot -no-shutdown -perfmap \
        -accel tcg,tier=1 -serial "file:$serial" -monitor stdio \
        -kernel "${guest[0]}" -initrd "${guest[1]}" -append "console=ttyS0 quiet vireo.bench" \
        > "$out/monitor.txt" 2>&1 &
pid=$!      # the pipeline's last process: Vireo itself
( sleep "$TIMEOUT"; kill $pid 2>/dev/null ) &
watchdog=$!
wait $pid
st=$?
kill $watchdog 2>/dev/null
wait $watchdog 2>/dev/null
tr -d '\r' < "$serial" | grep '^vireo-bench: end ' | sort > "$out/tier1.res"
if [ -s "$out/tier1.res" ] && cmp -s "$out/native.res" "$out/tier1.res"; then
    ok "tier=1: Linux ran the workloads and their results equal native ($(wc -l < "$out/tier1.res") results)"
else
    notok "tier=1: workload results differ from native (exit $st): $(diff "$out/native.res" "$out/tier1.res" | tr '\n' ' ' | head -c 400)"
fi
tr -d '\r' < "$out/monitor.txt" > "$out/monitor.clean"
translated=$(sed -n 's/.*translated (tier 1): \([0-9]*\).*/\1/p' "$out/monitor.clean" | head -1)
per_trip=$(sed -n 's/.*, \([0-9]*\)\.[0-9] per loop trip.*/\1/p' "$out/monitor.clean" | head -1)
# Blocks average a handful of instructions: unchained, every block would be
# a trip through the loop.  Chained, the loop sees a small share of them.
if [ "${translated:-0}" -gt 1000 ] && [ "${per_trip:-0}" -ge 1000 ]; then
    ok "info jit: $translated blocks translated, $per_trip instructions per loop trip: $(grep 'loop trips' "$out/monitor.clean")"
else
    notok "info jit: translated '${translated:-}', instructions per loop trip '${per_trip:-}' (want >= 1000): $(head -c 600 "$out/monitor.clean")"
fi
map=/tmp/perf-$pid.map
if [ -f "$map" ] && grep -qE '^[0-9a-f]+ [0-9a-f]+ vireo-tb-[0-9a-f]+$' "$map"; then
    ok "-perfmap: $(wc -l < "$map") blocks named in $map"
    rm -f "$map"
else
    notok "-perfmap: no /tmp/perf-PID.map naming vireo-tb- blocks"
fi
# and host perf uses it: samples in translated code carry the block names
# (a memfd code cache, say, would be taken for a file and left unnamed)
if command -v perf >/dev/null 2>&1 && perf record -q -o /dev/null -- true >/dev/null 2>&1; then
    touch "$out/perf.stamp"
    perf record -q -F 999 -o "$out/perf.data" -- timeout 6 "$VIREO" -m 512 -display none \
        -perfmap -accel tcg,tier=1 -serial none -kernel "${guest[0]}" -initrd "${guest[1]}" \
        -append "console=ttyS0 quiet" > /dev/null 2>&1
    named=$(perf report -i "$out/perf.data" --sort sym --stdio 2>/dev/null | grep -c 'vireo-tb-[0-9a-f]')
    find /tmp -maxdepth 1 -name 'perf-*.map' -newer "$out/perf.stamp" -delete 2>/dev/null
    if [ "$named" -gt 0 ]; then
        ok "perf report names $named translated blocks from the -perfmap file"
    else
        notok "perf report names no translated block (vireo-tb-*)"
    fi
else
    ok "# SKIP perf is not installed (or not allowed): perf naming of translated blocks not checked"
fi

# one Linux boot under tier 0 alone (tier=1 and auto boot everywhere
# else): the guest hashes its busybox binary, which must hash as on the host
want=$(sha256sum < "$busybox" | cut -d' ' -f1)
timeout "$TIMEOUT" "$VIREO" -m 512 -display none -no-reboot -accel tcg,tier=0 \
    -serial "file:$out/tier0.log" -kernel "${guest[0]}" -initrd "${guest[1]}" \
    -append "console=ttyS0 quiet vireo.cmd=\"sha256sum /bin/busybox | sed s/^/t0-sha=/\" vireo.end" \
    > "$out/tier0.out" 2>&1
st=$?
if tr -d '\r' < "$out/tier0.log" | grep -q "^t0-sha=$want "; then
    ok "tier=0: Linux booted and hashed its busybox as the host does (exit $st)"
else
    notok "tier=0: no matching sha256 of busybox (exit $st): $(tail -c 300 "$out/tier0.log")"
fi

# the CPU test kernels under each tier; apic's real-time checks (a timer
# within 1 ms while the CPU spins) run under tier auto in the CPU test run
# and here under tier 1 (translated code must be kicked out), not a third
# time under tier 0, where they add only exposure to host load
all=$(cd "$top/tests/cpu" && ls *.asm | sed 's/\.asm$//' | tr '\n' ' ')
for t in 0 1; do
    list=$all
    [ $t = 0 ] && list=$(echo "$all" | sed 's/\bapic\b//')
    if VIREO=$VIREO VIREO_ARGS="-accel tcg,tier=$t" BUILD=$BUILD CPU_TESTS="$list" \
            sh "$top/tests/cpu/run-cpu-tests.sh" > "$out/cpu-tier$t.txt" 2>&1; then
        ok "CPU test kernels under tier=$t: $(grep -c '^PASS' "$out/cpu-tier$t.txt") passed"
    else
        notok "CPU test kernels under tier=$t: $(grep -v '^PASS' "$out/cpu-tier$t.txt" | head -5 | tr '\n' ' ')"
    fi
done
echo "1..$n"
exit $fail
