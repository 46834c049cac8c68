#!/bin/bash
# Guest test: -smp 2 (issue #8 part 3).  SeaBIOS starts the second CPU
# with INIT/SIPI and counts it, Debian's kernel brings it online, and
# userspace sees both:
#   build/vireo -nographic -smp 2 -cpu qemu64 -m 256 -kernel vmlinuz \
#       -initrd initramfs.cpio.gz -append "console=ttyS0 vireo.cmd=... vireo.end"
# Asserted on what the guests printed: SeaBIOS's "Found 2 cpu(s)" (debugcon),
# the kernel's "smpboot: Total of 2 processors activated", nproc = 2 and
# two "processor" entries in /proc/cpuinfo.
#   exit 0 pass, 1 fail, 77 skip (no guest).  BOOT_TIMEOUT=300 (s)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
VIREO=${VIREO:-$BUILD/vireo}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-300}
grep -qs '^CONFIG_SANITIZERS=yes' "$BUILD/config.mak" && BOOT_TIMEOUT=${BOOT_TIMEOUT_ASAN:-900}
out=$BUILD/tests/guest/linux-smp
mkdir -p "$out"
[ -x "$VIREO" ] || { echo "FAIL: $VIREO not built"; exit 1; }
mapfile -t guest < <("$top/scripts/make-linux-guest.sh" "$BUILD/guests/linux" 2>"$out/fetch.log")
kernel=${guest[0]:-}; initrd=${guest[1]:-}
if [ ! -f "$kernel" ] || [ ! -f "$initrd" ]; then
    echo "SKIP: cannot build the Linux guest (see $out/fetch.log)"; exit 77
fi

fails=0
ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; fails=$((fails + 1)); }

log=$out/serial.log bios=$out/seabios.log
rm -f "$bios"
append="console=ttyS0 vireo.cmd=echo nproc=\$(nproc) cpuinfo=\$(grep -c ^processor /proc/cpuinfo) vireo.end"
timeout -k 5 $((BOOT_TIMEOUT + 10)) "$VIREO" -nographic -smp 2 -cpu qemu64 -m 256 \
    -chardev file,id=dbg,path="$bios" -device isa-debugcon,iobase=0x402,chardev=dbg \
    -kernel "$kernel" -initrd "$initrd" -append "$append" </dev/null >"$log" 2>"$out/stderr.log" &
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

grep -qa 'Found 2 cpu(s)' "$bios" && ok "SeaBIOS found 2 CPUs" ||
    notok "SeaBIOS did not report 'Found 2 cpu(s)': $(grep -a 'cpu(s)' "$bios")"
grep -qa 'smpboot: Total of 2 processors activated' "$log" && ok "Linux activated 2 processors" ||
    notok "no 'smpboot: Total of 2 processors activated': $(grep -a smpboot "$log" | tail -n 2)"
grep -qaE '^nproc=2 cpuinfo=2$' "$log" && ok "userspace: nproc 2, 2 CPUs in /proc/cpuinfo" ||
    notok "userspace saw: $(grep -a '^nproc=' "$log")"
grep -qaE 'Kernel panic|BUG:|soft lockup|stuck' "$log" && notok "the kernel complained: $(grep -aE 'Kernel panic|BUG:|soft lockup|stuck' "$log" | head -n 2)"
[ $fails -eq 0 ] || { echo "serial log: $log"; exit 1; }
echo "PASS: Linux runs on 2 CPUs"
