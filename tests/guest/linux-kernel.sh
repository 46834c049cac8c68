#!/bin/bash
# Guest test: Debian 12's unmodified kernel (linux-image-amd64, bzImage,
# boot protocol 2.15) with a busybox initramfs, loaded by -kernel/-initrd/
# -append through fw_cfg and our option ROM (firmware/linuxboot.asm).
# Guest files come from scripts/make-linux-guest.sh (apt-get download into
# build/cache; nothing committed); skipped (77) when they cannot be fetched.
#
# What is checked, from the guest's own output on the serial console:
#  - SeaBIOS boots our ROM first ("Booting from ROM...");
#  - the kernel's setup code runs: until Vireo has long mode it stops with
#    its real-mode "requires an x86-64 CPU" message; once the CPU has long
#    mode, "Linux version" appears instead;
#  - the command line reached the kernel: with earlyprintk=ttyS0 on -append
#    the setup code echoes its messages to the UART itself besides the BIOS
#    console, so every character of that message comes twice.
#   exit 0 pass, 1 fail, 77 skip.  BOOT_TIMEOUT=120 (s).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
VIREO=${VIREO:-$BUILD/vireo}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-120}
# the sanitizer build runs guests several times slower
grep -qs '^CONFIG_SANITIZERS=yes' "$BUILD/config.mak" && BOOT_TIMEOUT=${BOOT_TIMEOUT_ASAN:-600}
out=$BUILD/tests/guest/linux-kernel
mkdir -p "$out"
[ -x "$VIREO" ] || { echo "SKIP: $VIREO not built"; exit 77; }
mapfile -t guest < <("$top/scripts/make-linux-guest.sh" "$BUILD/guests/linux" 2>"$out/fetch.log")
kernel=${guest[0]:-}; initrd=${guest[1]:-}
if [ ! -f "$kernel" ] || [ ! -f "$initrd" ]; then
    echo "SKIP: cannot build the Linux guest (see $out/fetch.log)"; exit 77
fi

fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# boot NAME APPEND: run until the kernel stops or says "Linux version"
boot() {
    local name=$1 append=$2 log=$out/$1.log
    "$VIREO" -kernel "$kernel" -initrd "$initrd" -append "$append" -m 256 \
        -nographic -display none </dev/null >"$log" 2>&1 &
    local pid=$! i
    for ((i = 0; i < BOOT_TIMEOUT * 2; i++)); do
        grep -qaE 'Unable to boot|UUnnaabbllee  ttoo|Linux version|Kernel panic' "$log" && break
        kill -0 $pid 2>/dev/null || break
        sleep 0.5
    done
    sleep 0.5
    kill $pid 2>/dev/null
    wait $pid 2>/dev/null
    tr -d '\r' <"$log" >"$log.t" && mv "$log.t" "$log"
    grep -q '^Booting from ROM\.\.\.$' "$log" || fail "$name: SeaBIOS did not boot the ROM ($log)"
}

boot early "console=ttyS0 earlyprintk=ttyS0"
log=$out/early.log
if grep -qa 'Linux version 6\.1' "$log"; then
    echo "kernel reached: $(grep -a -m1 'Linux version' "$log")"
elif grep -qax 'TThhiiss  kkeerrnneell  rreeqquuiirreess  aann  xx8866--6644  CCPPUU,,  bbuutt  oonnllyy  ddeetteecctteedd  aann  ii668866  CCPPUU..*' "$log"; then
    echo "kernel setup ran (message doubled by earlyprintk=ttyS0): $(grep -a -m1 'rreeqquuiirreess' "$log")"
else
    fail "neither the kernel's doubled CPU message nor 'Linux version' ($log)"
fi

# User errors: one line naming the file, exit 1.
msg=$("$VIREO" -kernel "$out/nonexistent" -display none 2>&1 </dev/null); st=$?
[ $st -eq 1 ] && [[ $msg == *"$out/nonexistent"* ]] && [ "$(wc -l <<<"$msg")" -eq 1 ] \
    || fail "missing kernel: status $st, '$msg'"
msg=$("$VIREO" -kernel "$kernel" -initrd "$out/nonexistent" -display none 2>&1 </dev/null); st=$?
[ $st -eq 1 ] && [[ $msg == *"$out/nonexistent"* ]] || fail "missing initrd: status $st, '$msg'"
head -c 4096 /dev/zero >"$out/zero.img"
msg=$("$VIREO" -kernel "$out/zero.img" -display none 2>&1 </dev/null); st=$?
[ $st -eq 1 ] && [[ $msg == *zero.img* ]] || fail "not a kernel: status $st, '$msg'"
long=$(head -c 3000 /dev/zero | tr '\0' x)
msg=$("$VIREO" -kernel "$kernel" -append "$long" -display none 2>&1 </dev/null); st=$?
[ $st -eq 1 ] && [[ $msg == *"command line"* ]] || fail "too long -append: status $st, '$msg'"

[ $fails -eq 0 ] && echo "PASS: linux-kernel" && exit 0
exit 1
