#!/bin/bash
# Guest test: the pvpanic device and -action panic=.  Debian's kernel, with
# its pvpanic_mmio module, finds the device through the ACPI node QEMU0001
# the machine describes, binds its driver, and panics on sysrq-c; with
# -action panic=exit-failure Vireo must then exit with status 1 at once
# (without the notification the kernel would sit in its panic loop until
# the timeout).  A second run with -action panic=none keeps running after
# the panic (status 124 from timeout, the panic printed).
#   exit 0 pass, 1 fail, 77 skip (no guest).  BOOT_TIMEOUT=300 (s)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
VIREO=${VIREO:-$BUILD/vireo}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-300}
grep -qs '^CONFIG_SANITIZERS=yes' "$BUILD/config.mak" && BOOT_TIMEOUT=${BOOT_TIMEOUT_ASAN:-900}
out=$BUILD/tests/guest/pvpanic-linux
mkdir -p "$out"
[ -x "$VIREO" ] || { echo "FAIL: $VIREO not built"; exit 1; }
mapfile -t guest < <(GUEST_MODULES="pvpanic_mmio" "$top/scripts/make-linux-guest.sh" 2>"$out/fetch.log")
kernel=${guest[0]:-}; initrd=${guest[1]:-}
if [ ! -f "$kernel" ] || [ ! -f "$initrd" ]; then
    echo "SKIP: cannot build the Linux guest (see $out/fetch.log)"; exit 77
fi

fails=0
ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; fails=$((fails + 1)); }

cmd='echo acpi-status=$(cat /sys/bus/acpi/devices/QEMU0001:00/status); echo driver: $(ls /sys/bus/platform/drivers/pvpanic-mmio/); echo 1 > /proc/sys/kernel/sysrq; echo c > /proc/sysrq-trigger'
run() {     # ACTION TIMEOUT LOG
    timeout -k 5 "$2" "$VIREO" -nographic -m 256 -device pvpanic -action panic="$1" \
        -kernel "$kernel" -initrd "$initrd" \
        -append "console=ttyS0 quiet vireo.cmd=\"$cmd\" vireo.end" </dev/null >"$3" 2>&1
    local st=$?
    tr -d '\r' <"$3" >"$3.tmp" && mv "$3.tmp" "$3"
    return $st
}

log=$out/exit-failure.log
run exit-failure "$BOOT_TIMEOUT" "$log"
st=$?
grep -q '^acpi-status=15$' "$log" && ok "the guest sees ACPI device QEMU0001 present (_STA 15)" ||
    notok "no ACPI QEMU0001 device (see $log)"
grep -q '^driver: .*QEMU0001:00' "$log" && ok "Linux's pvpanic-mmio driver bound to it" ||
    notok "pvpanic-mmio did not bind (see $log)"
grep -q 'Kernel panic - not syncing: sysrq triggered crash' "$log" && ok "the guest panicked" ||
    notok "no panic in $log"
[ $st -eq 1 ] && ok "-action panic=exit-failure: Vireo exited with status 1" ||
    notok "-action panic=exit-failure: status $st, want 1"

log=$out/none.log
none_s=15
grep -qs '^CONFIG_SANITIZERS=yes' "$BUILD/config.mak" && none_s=60
run none $none_s "$log"
st=$?
grep -q 'Kernel panic - not syncing' "$log" && [ $st -eq 124 ] &&
    ok "-action panic=none: the guest panicked and Vireo kept running" ||
    notok "-action panic=none: status $st, want 124 (timeout) after a panic (see $log)"

[ $fails -eq 0 ]
