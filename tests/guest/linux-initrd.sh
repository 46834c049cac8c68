#!/bin/bash
# Guest test: the -kernel/-initrd/-append handoff seen from inside Debian's
# running kernel.  The 64-bit kernel needs long mode, so this boots with
# -cpu qemu64 (tests/guest/linux-kernel.sh covers the default 32-bit CPU,
# where the setup code stops):
#   build/vireo -nographic -cpu qemu64 -m 256 -kernel vmlinuz \
#       -initrd initramfs.cpio.gz -append "console=ttyS0 vireo.cmd=... vireo.end"
# Asserted on the serial console, all printed by the guest itself:
#   - "Command line: " + our -append, exactly
#   - "RAMDISK: [mem X-Y]": the initrd's range, at least the file's size,
#     page aligned, inside a usable range of the BIOS-e820 map the kernel
#     printed
#   - "Freeing initrd memory: NK" with N = the file's size in whole pages
#   - "vireo-guest: init ok": /init from our initramfs ran
#   - the boot_params the kernel kept (sysfs) say type_of_loader 0xff, as
#     our loader wrote it, printed by vireo.cmd inside the guest
#   exit 0 pass, 1 fail, 77 skip (no guest).  BOOT_TIMEOUT=300 (s)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
VIREO=${VIREO:-$BUILD/vireo}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-300}
grep -qs '^CONFIG_SANITIZERS=yes' "$BUILD/config.mak" && BOOT_TIMEOUT=${BOOT_TIMEOUT_ASAN:-900}
out=$BUILD/tests/guest/linux-initrd
mkdir -p "$out"
[ -x "$VIREO" ] || { echo "FAIL: $VIREO not built"; exit 1; }
mapfile -t guest < <("$top/scripts/make-linux-guest.sh" "$BUILD/guests/linux" 2>"$out/fetch.log")
kernel=${guest[0]:-}; initrd=${guest[1]:-}
if [ ! -f "$kernel" ] || [ ! -f "$initrd" ]; then
    echo "SKIP: cannot build the Linux guest (see $out/fetch.log)"; exit 77
fi
size=$(stat -c %s "$initrd")

fails=0
ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; fails=$((fails + 1)); }

log=$out/serial.log
append="console=ttyS0 vireo.cmd=echo loader=\$(od -An -tx1 -j 528 -N 1 /sys/kernel/boot_params/data) vireo.end"
timeout -k 5 $((BOOT_TIMEOUT + 10)) "$VIREO" -nographic -cpu qemu64 -m 256 -kernel "$kernel" \
    -initrd "$initrd" -append "$append" </dev/null >"$log" 2>"$out/stderr.log" &
pid=$!
t=0
while [ $t -lt $((BOOT_TIMEOUT * 5)) ]; do
    grep -qaE 'vireo-guest: cmd done|Kernel panic|Unable to boot' "$log" 2>/dev/null && break
    kill -0 $pid 2>/dev/null || break
    sleep 0.2
    t=$((t + 1))
done
echo "# $(awk -v t=$t 'BEGIN { printf "%.1f", t / 5 }') s to the end of the guest's command"
kill -TERM $pid 2>/dev/null
wait $pid 2>/dev/null
tr -d '\r' <"$log" >"$log.tmp" && mv "$log.tmp" "$log"

grep -qaF "Command line: $append" "$log" && ok "the kernel got -append exactly" ||
    notok "no 'Command line: $append'"

range=$(sed -n 's/.*RAMDISK: \[mem \(0x[0-9a-f]*\)-\(0x[0-9a-f]*\)\].*/\1 \2/p' "$log" | head -n1)
if [ -z "$range" ]; then
    notok "no 'RAMDISK: [mem ...]' line"
else
    read -r lo hi <<<"$range"
    lo=$((lo)) hi=$((hi))
    if [ $((hi - lo + 1)) -ge "$size" ] && [ $((lo & 0xfff)) -eq 0 ]; then
        ok "RAMDISK $(printf '0x%x-0x%x' $lo $hi): page aligned, holds the $size-byte initrd"
    else
        notok "RAMDISK $(printf '0x%x-0x%x' $lo $hi) for a $size-byte initrd"
    fi
    inside=no
    while read -r a b; do
        [ $lo -ge $((a)) ] && [ $hi -le $((b)) ] && inside=yes
    done < <(sed -n 's/.*BIOS-e820: \[mem \(0x[0-9a-f]*\)-\(0x[0-9a-f]*\)\] usable.*/\1 \2/p' "$log")
    [ $inside = yes ] && ok "the initrd lies in usable RAM of the BIOS-e820 map" ||
        notok "the initrd is outside the usable RAM the kernel was told about"
fi
kib=$(( (size + 4095) / 4096 * 4 ))
grep -qaF "Freeing initrd memory: ${kib}K" "$log" && ok "the kernel unpacked and freed ${kib}K of initrd" ||
    notok "no 'Freeing initrd memory: ${kib}K'"
grep -qa "^vireo-guest: init ok" "$log" && ok "/init from the initramfs ran" ||
    notok "no 'vireo-guest: init ok' (initramfs not used)"
grep -qaE "^loader= ?ff$" "$log" && ok "boot_params.type_of_loader is 0xff, as the loader set it" ||
    notok "no 'loader=ff' from the guest: $(grep -a '^loader=' "$log")"
if [ $fails -gt 0 ]; then
    echo "# last serial lines:"; tail -n 5 "$log" | sed 's/^/#   /'
    exit 1
fi
exit 0
