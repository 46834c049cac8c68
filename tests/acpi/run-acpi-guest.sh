#!/bin/bash
# ACPI power-off from inside a guest: boot tests/acpi/s5.asm as the BIOS
# (it programs the PIIX4 PM function, checks the PM timer and ACPI_ENABLE,
# then writes S5 to PM1_CNT) and check what a user sees:
#   - plain run: the guest's lines on the serial console, exit status 0;
#   - -no-shutdown: the emulator is still running 2 s after "entering S5".
#   exit 0 pass, 1 fail, 77 skip.
# VIREO=qemu-system-x86_64 checks the image and this script against QEMU.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
VIREO=${VIREO:-$BUILD/vireo}
out=$BUILD/tests/acpi
bin=$out/s5.bin
mkdir -p "$out"

extra=()
case $(basename "$VIREO") in
    qemu-system-*)
        command -v "$VIREO" >/dev/null || { echo "SKIP: $VIREO not installed"; exit 77; }
        extra=(-machine pc -accel tcg -nic none) ;;
    *) [ -x "$VIREO" ] || { echo "FAIL: $VIREO not built"; exit 1; } ;;
esac
if [ ! -f "$bin" ] || [ "$top/tests/acpi/s5.asm" -nt "$bin" ]; then
    command -v nasm >/dev/null || { echo "SKIP: nasm not installed"; exit 77; }
    nasm -f bin -o "$bin" "$top/tests/acpi/s5.asm" || { echo "FAIL: s5.asm does not assemble"; exit 1; }
fi

fails=0
ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; fails=$((fails + 1)); }

log=$out/s5.log
timeout -k 5 30 "$VIREO" "${extra[@]}" -bios "$bin" -nographic </dev/null >"$log" 2>&1
st=$?
tr -d '\r' <"$log" >"$log.tmp" && mv "$log.tmp" "$log"
for line in "pm timer: advancing" "acpi enable: SCI_EN set" "entering S5"; do
    if grep -qxF "$line" "$log"; then ok "guest printed '$line'"; else notok "guest did not print '$line'"; fi
done
if [ $st -eq 0 ]; then
    ok "S5 powered the machine off: exit status 0"
else
    notok "exit status $st after S5 (124 = still running at the timeout)"
fi

# -no-shutdown: the machine stops instead of exiting
log2=$out/s5-no-shutdown.log
"$VIREO" "${extra[@]}" -bios "$bin" -nographic -no-shutdown </dev/null >"$log2" 2>&1 &
pid=$!
t=0
while [ $t -lt 150 ] && ! grep -q "entering S5" "$log2" 2>/dev/null; do
    kill -0 $pid 2>/dev/null || break
    sleep 0.2; t=$((t + 1))
done
sleep 2
if kill -0 $pid 2>/dev/null; then
    if grep -q "entering S5" "$log2"; then
        ok "-no-shutdown: still running 2 s after S5"
    else
        notok "-no-shutdown: the guest never reached S5"
    fi
    kill -TERM $pid 2>/dev/null
    wait $pid 2>/dev/null
else
    wait $pid
    notok "-no-shutdown: exited with status $? after S5"
fi

if [ $fails -gt 0 ]; then
    echo "# logs: $log $log2"; sed 's/^/#   /' "$log" | tail -n 5
    exit 1
fi
exit 0
