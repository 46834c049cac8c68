#!/bin/bash
# Guest test: SeaBIOS counts every CPU of -smp N up to 255 (issue #8
# part 3: "up to 255 CPUs", one local APIC each).  For each N, boots
# SeaBIOS with its debug console on a file and waits for its count:
#   build/vireo -smp N -display none -m 256 \
#       -chardev file,id=d,path=LOG -device isa-debugcon,chardev=d,iobase=0x402
# Asserted on what SeaBIOS printed: "Found N cpu(s) max supported N cpu(s)".
# -smp 256 is refused with one line naming the limit.
#   exit 0 pass, 1 fail, 77 skip (no SeaBIOS image)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
VIREO=${VIREO:-$BUILD/vireo}
out=$BUILD/tests/guest/seabios-smp
mkdir -p "$out"
[ -x "$VIREO" ] || { echo "FAIL: $VIREO not built"; exit 1; }
[ -f "$BUILD/firmware/bios.bin" ] || { echo "SKIP: no SeaBIOS image (make firmware)"; exit 77; }
wait_s=120
grep -qs '^CONFIG_SANITIZERS=yes' "$BUILD/config.mak" && wait_s=600

fails=0 n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); echo "not ok $n - $*"; fails=$((fails + 1)); }

for cpus in 9 255; do
    dbg=$out/debugcon-$cpus.log
    rm -f "$dbg"
    "$VIREO" -smp $cpus -display none -m 256 -chardev file,id=d,path="$dbg" \
        -device isa-debugcon,chardev=d,iobase=0x402 </dev/null >"$out/stderr-$cpus.log" 2>&1 &
    pid=$!
    t=0
    while [ $t -lt $((wait_s * 5)) ] && kill -0 $pid 2>/dev/null; do
        grep -qa 'cpu(s)' "$dbg" 2>/dev/null && break
        sleep 0.2
        t=$((t + 1))
    done
    kill $pid 2>/dev/null
    wait $pid 2>/dev/null
    if grep -qa "^Found $cpus cpu(s) max supported $cpus cpu(s)" "$dbg"; then
        ok "-smp $cpus: SeaBIOS found $cpus CPUs (after $((t / 5)) s)"
    else
        notok "-smp $cpus: SeaBIOS said '$(grep -a 'cpu(s)' "$dbg")'; stderr: $(head -c 300 "$out/stderr-$cpus.log")"
    fi
done
msg=$("$VIREO" -smp 256 -display none </dev/null 2>&1)
st=$?
if [ $st -eq 1 ] && [ "$(wc -l <<<"$msg")" = 1 ] && grep -q "255" <<<"$msg"; then
    ok "-smp 256 refused: $msg"
else
    notok "-smp 256: exit $st, '$msg'"
fi
echo "1..$n"
exit $((fails > 0))
