#!/bin/bash
# -accel kvm where KVM cannot be used (issue #8 part 1): Vireo stops with one
# line that names the cause and exit status 1, -machine accel=kvm:tcg falls
# back to tcg with a warning and runs the guest, and a list given to -accel
# is refused as QEMU refuses it.  Runs everywhere: on a host with /dev/kvm
# the checks run as user nobody, who cannot open it (crw------- root).
#   exit 0 pass, 1 fail, 77 skip (cannot get a user without /dev/kvm access)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
VIREO=${VIREO:-$BUILD/vireo}
[ -x "$VIREO" ] || { echo "FAIL: $VIREO not built"; exit 1; }
kernel=$BUILD/tests/cpu/pm.bin
[ -f "$kernel" ] || { echo "FAIL: $kernel not built"; exit 1; }

as=()
if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
    if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null &&
       ! setpriv --reuid=65534 --regid=65534 --clear-groups test -r /dev/kvm; then
        as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
        echo "# /dev/kvm is usable here: the checks run as uid 65534, who cannot open it"
    else
        echo "SKIP: /dev/kvm is usable and there is no user without access to it"
        exit 77
    fi
fi
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
chmod 755 "$out"
fails=0
ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; fails=$((fails + 1)); }

# 1. -accel kvm / -enable-kvm: one line, exit 1
for opt in "-accel kvm" "-enable-kvm"; do
    # shellcheck disable=SC2086
    "${as[@]}" timeout 20 "$VIREO" $opt -display none -m 32 >"$out/o" 2>"$out/e"
    rc=$?
    n=$(wc -l <"$out/e")
    if [ $rc = 1 ] && [ "$n" = 1 ] && grep -q '^vireo: Could not access KVM kernel module: ' "$out/e"; then
        ok "$opt without KVM: exit 1, one line: $(cat "$out/e")"
    else
        notok "$opt without KVM: exit $rc, $n stderr lines: $(head -3 "$out/e" | tr '\n' '|')"
    fi
done

# 2. -machine accel=kvm:tcg: warns, then the guest runs on tcg (a tests/cpu
# kernel reports its TAP on serial and exits through isa-debug-exit)
"${as[@]}" timeout 60 "$VIREO" -machine accel=kvm:tcg -bios "$kernel" -nographic -display none \
    -device isa-debug-exit,iobase=0xf4,iosize=4 -m 32 >"$out/o" 2>"$out/e" </dev/null
rc=$?
if grep -q 'warning: Could not access KVM kernel module: .*; falling back to tcg' "$out/e"; then
    ok "accel=kvm:tcg warns: $(head -1 "$out/e")"
else
    notok "accel=kvm:tcg gave no fallback warning: $(head -3 "$out/e" | tr '\n' '|')"
fi
if [ $rc = 1 ] && grep -q '^1\.\.[0-9]' "$out/o" && ! grep -q '^not ok' "$out/o"; then
    ok "accel=kvm:tcg then runs the guest on tcg ($(grep -c '^ok' "$out/o") TAP lines ok, exit $rc)"
else
    notok "accel=kvm:tcg: guest did not finish (exit $rc): $(tail -2 "$out/o" | tr '\n' '|')"
fi

# 3. a list in -accel is QEMU's "invalid accelerator"; two -accel options
# are tried in order
timeout 10 "$VIREO" -accel kvm:tcg -display none >"$out/o" 2>"$out/e"
rc=$?
if [ $rc = 1 ] && grep -q 'invalid accelerator kvm:tcg' "$out/e"; then
    ok "-accel kvm:tcg refused: $(cat "$out/e")"
else
    notok "-accel kvm:tcg: exit $rc: $(cat "$out/e")"
fi
"${as[@]}" timeout 60 "$VIREO" -accel kvm -accel tcg -bios "$kernel" -nographic -display none \
    -device isa-debug-exit,iobase=0xf4,iosize=4 -m 32 >"$out/o" 2>"$out/e" </dev/null
rc=$?
if [ $rc = 1 ] && grep -q 'falling back to tcg' "$out/e" && grep -q '^1\.\.[0-9]' "$out/o"; then
    ok "-accel kvm -accel tcg falls back to tcg and runs"
else
    notok "-accel kvm -accel tcg: exit $rc: $(head -2 "$out/e" | tr '\n' '|')"
fi
[ $fails = 0 ]
