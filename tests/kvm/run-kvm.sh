#!/bin/bash
# Guests on -accel kvm (issue #8 part 1), where /dev/kvm can be used:
#   - QMP query-kvm says enabled and present;
#   - tests/guest/seabios.sh, run with every Vireo invocation given
#     -accel kvm: Debian's SeaBIOS boots at three -m sizes and its log shows
#     the same e820 map, PCI devices, ACPI tables and timers as under tcg
#     (port I/O and MMIO exits, read-only BIOS slots, interrupt injection).
# Elsewhere it prints a SKIP line and exits 77.
#   exit 0 pass, 1 fail, 77 skip
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
VIREO=${VIREO:-$BUILD/vireo}
[ -x "$VIREO" ] || { echo "FAIL: $VIREO not built"; exit 1; }
if ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
    echo "SKIP: /dev/kvm is not usable here; KVM guest runs not tested"
    exit 77
fi
if ! "$VIREO" -accel help | grep -qx kvm; then
    echo "SKIP: this Vireo was built without KVM (no <linux/kvm.h> at configure time)"
    exit 77
fi
fails=0
ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; fails=$((fails + 1)); }

reply=$(printf '%s\n' '{"execute":"qmp_capabilities"}' '{"execute":"query-kvm"}' '{"execute":"quit"}' |
        timeout 20 "$VIREO" -accel kvm -display none -m 32 -qmp stdio 2>&1)
if grep -q '"return":{"enabled":true,"present":true}' <<<"$reply"; then
    ok "query-kvm under -accel kvm: enabled, present"
else
    notok "query-kvm under -accel kvm: $(tail -3 <<<"$reply" | tr '\n' '|')"
fi

# seabios.sh finds the firmware next to the binary it runs
wrap=$BUILD/tests/kvm/bin
mkdir -p "$wrap"
ln -sfn "$BUILD/firmware" "$wrap/firmware"
printf '#!/bin/sh\nexec "%s" -accel kvm "$@"\n' "$VIREO" > "$wrap/vireo"
chmod +x "$wrap/vireo"
BUILD=$BUILD VIREO=$wrap/vireo "$top/tests/guest/seabios.sh" > "$BUILD/tests/kvm/seabios.log" 2>&1
rc=$?
n=$(grep -c '^ok' "$BUILD/tests/kvm/seabios.log")
if [ $rc = 0 ]; then
    ok "SeaBIOS on -accel kvm: tests/guest/seabios.sh passes ($n checks)"
else
    notok "SeaBIOS on -accel kvm: tests/guest/seabios.sh exit $rc (log $BUILD/tests/kvm/seabios.log)"
    grep '^not ok' "$BUILD/tests/kvm/seabios.log" | head -5
fi
[ $fails = 0 ]
