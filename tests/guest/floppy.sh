#!/bin/bash
# Guest test: SeaBIOS boots floppies through the 82078 FDC and ISA DMA.
#
# 1. Our own two-stage boot program (tests/guest/floppy-boot.asm, nasm) on
#    a 1.44M image whose sectors carry markers: with
#      $VIREO -nographic -m 32 -boot a -fda IMG -device isa-debug-exit,iobase=0xf4,iosize=4
#    SeaBIOS prints "Booting from Floppy...", the boot sector loads stage 2
#    with INT 13h, which prints the drive parameters (type 04, 80
#    cylinders, 18 sectors, 2 heads), reads 51 sectors over two cylinders
#    and both heads plus the last sector of the disk and checks every
#    byte, writes a sector and reads it back, and exits with status 33
#    (0x10); the written sector is then in the image file.
# 2. The same with readonly=on: the write fails with INT 13h status 03
#    (write protected) and the image is unchanged.
# 3. Debian's grub-rescue-floppy.img (package grub-rescue-pc) with -fda:
#    GRUB's menu ("GNU GRUB  version") on the serial console; then 'c'
#    for its command line, "ls" lists "(fd0)", and "ls (fd0)/" lists the
#    image's "boot/" directory, which GRUB read from the floppy through
#    INT 13h.
# 4. Only with FLOPPY_LINUX=1 (make check-floppy-linux; a Linux boot under
#    TCG takes most of a minute): Debian's kernel with its floppy module
#    (scripts/make-linux-guest.sh, GUEST_MODULES=floppy) reads all of
#    /dev/fd0 (its sha256 matches the image's), writes a sector through
#    it, drops its caches and reads the sector back; the write is in the
#    image file afterwards.
#   exit 0 pass, 1 fail, 77 skip.
# Environment: VIREO=binary (default $BUILD/vireo); BOOT_TIMEOUT=60 (s);
# FLOPPY_LINUX=1 adds part 4 (LINUX_TIMEOUT=300 s).
# VIREO=qemu-system-x86_64 checks the script against QEMU.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
VIREO=${VIREO:-$BUILD/vireo}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-60}
grep -qs '^CONFIG_SANITIZERS=yes' "$BUILD/config.mak" && BOOT_TIMEOUT=${BOOT_TIMEOUT_ASAN:-180}
out=$BUILD/tests/guest/floppy
mkdir -p "$out"

extra=()
case $(basename "$VIREO") in
    qemu-system-*)
        command -v "$VIREO" >/dev/null || { echo "SKIP: $VIREO not installed"; exit 77; }
        extra=(-machine pc -accel tcg -nic none -bios "$BUILD/firmware/bios.bin") ;;
    *)
        [ -x "$VIREO" ] || { echo "FAIL: $VIREO not built"; exit 1; } ;;
esac
command -v nasm >/dev/null || { echo "FAIL: nasm not installed (scripts/install-deps.sh)"; exit 1; }
command -v python3 >/dev/null || { echo "FAIL: python3 not installed"; exit 1; }

fails=0
ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; fails=$((fails + 1)); }
# expect FILE FIXED-STRING DESCRIPTION
expect() {
    if grep -qF -- "$2" "$1"; then ok "$3"; else notok "$3 (no '$2' in $1)"; fi
}

# ---- 1, 2: our boot program ----
nasm -f bin -o "$out/boot.bin" "$top/tests/guest/floppy-boot.asm" || { echo "FAIL: nasm"; exit 1; }
make_image() {
    python3 - "$out/boot.bin" "$1" <<'EOF'
import sys
boot = open(sys.argv[1], 'rb').read()
img = bytearray(1474560)
img[:len(boot)] = boot
for lba in range(3, 2880):
    s = bytearray((lba + i) & 0xff for i in range(512))
    s[0:2] = lba.to_bytes(2, 'little')
    img[lba * 512:(lba + 1) * 512] = s
open(sys.argv[2], 'wb').write(img)
EOF
}
sector72() { dd if="$1" bs=512 skip=72 count=1 status=none | od -An -tx1 -v | tr -d ' \n'; }
want_written=$(python3 -c "print(''.join('%02x' % ((i ^ 0x5a) & 0xff) for i in range(512)))")

run_boot() {    # run_boot NAME DRIVE-ARGS...
    local name=$1
    shift
    timeout -k 5 "$BOOT_TIMEOUT" "$VIREO" "${extra[@]}" -nographic -m 32 -boot a "$@" \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04 </dev/null >"$out/$name.serial" 2>"$out/$name.err"
    status=$?
    tr -d '\r' <"$out/$name.serial" >"$out/$name.tmp" && mv "$out/$name.tmp" "$out/$name.serial"
}

make_image "$out/boot.img"
before=$(sector72 "$out/boot.img")
run_boot rw -drive "if=floppy,file=$out/boot.img,format=raw"
s=$out/rw.serial
[ $status -eq 33 ] && ok "boot program exits with 0x10 (status 33)" || notok "boot program: exit status $status, want 33 (see $s, $out/rw.err)"
expect "$s" "Booting from Floppy..." "SeaBIOS boots from the floppy"
expect "$s" "FDBOOT: stage 1 from drive A:" "boot sector runs"
expect "$s" "FDBOOT: stage 2 loaded by INT 13h" "stage 2 read by INT 13h"
expect "$s" "FDBOOT: drive type 07 max cylinder 4F sectors 12 max head 01" "INT 13h AH=08: 80 cylinders, 18 sectors, 2 heads (SeaBIOS type 07, as on QEMU)"
expect "$s" "FDBOOT: 51 sectors of cylinders 0-1 and the last sector read and checked" "sectors read and checked"
expect "$s" "FDBOOT: sector written and read back" "sector written and read back"
expect "$s" "FDBOOT: done" "boot program done"
[ "$(sector72 "$out/boot.img")" = "$want_written" ] && ok "written sector is in the image file" \
    || notok "LBA 72 of the image does not hold what the guest wrote"

make_image "$out/ro.img"
run_boot ro -drive "if=floppy,file=$out/ro.img,format=raw,readonly=on"
s=$out/ro.serial
[ $status -eq 35 ] && ok "read-only: boot program exits with 0x11 (status 35)" || notok "read-only: exit status $status, want 35 (see $s)"
expect "$s" "FDBOOT: 51 sectors of cylinders 0-1 and the last sector read and checked" "read-only: reads work"
expect "$s" "FDBOOT: INT 13h failed, status 03" "read-only: write fails with 03 (write protected)"
[ "$(sector72 "$out/ro.img")" = "$before" ] && ok "read-only: image unchanged" || notok "read-only: image changed"

# ---- 3: GRUB's rescue floppy ----
if ! pkgdir=$("$top/scripts/fetch-guests.sh" grub-rescue-pc 2>"$out/fetch.log"); then
    notok "cannot fetch grub-rescue-pc (see $out/fetch.log)"
else
    img=$pkgdir/usr/lib/grub-rescue/grub-rescue-floppy.img
    cp "$img" "$out/grub.img"
    s=$out/grub.serial
    fifo=$out/grub.in
    rm -f "$fifo"
    mkfifo "$fifo"
    timeout -k 5 "$BOOT_TIMEOUT" "$VIREO" "${extra[@]}" -nographic -m 128 -boot a \
        -drive "if=floppy,file=$out/grub.img,format=raw" <"$fifo" >"$s" 2>"$out/grub.err" &
    pid=$!
    exec 3>"$fifo"
    # wait_for STRING: poll the serial log (0.2 s steps) while Vireo runs
    wait_for() {
        local t=0
        while [ $t -lt $((BOOT_TIMEOUT * 5)) ]; do
            grep -aqF -- "$1" "$s" 2>/dev/null && return 0
            kill -0 $pid 2>/dev/null || return 1
            sleep 0.2
            t=$((t + 1))
        done
        return 1
    }
    if wait_for "GNU GRUB  version"; then
        ok "GRUB's menu from the floppy"
        sleep 0.5
        printf 'c' >&3
        if wait_for "grub>"; then
            ok "GRUB command line"
            printf 'ls\r' >&3
            wait_for "(fd0)" && ok "GRUB ls lists (fd0)" || notok "GRUB ls: no (fd0) in $s"
            printf 'ls (fd0)/\r' >&3
            wait_for "boot/" && ok "GRUB lists (fd0)/: boot/" || notok "GRUB ls (fd0)/: no boot/ in $s"
        else
            notok "no grub> prompt after 'c' (see $s)"
        fi
    else
        notok "GRUB's menu did not appear (see $s, $out/grub.err)"
    fi
    exec 3>&-
    kill -TERM $pid 2>/dev/null
    wait $pid 2>/dev/null
    rm -f "$fifo"
    expect "$s" "Booting from Floppy..." "GRUB: SeaBIOS boots from the floppy"
    expect "$s" "GRUB loading" "GRUB: its boot sector loads the core image"
fi

# ---- 4: Linux's floppy driver ----
if [ "${FLOPPY_LINUX:-0}" = 1 ]; then
    if ! guest=$(GUEST_MODULES=floppy "$top/scripts/make-linux-guest.sh" 2>"$out/linux-guest.log"); then
        notok "cannot build the Linux guest (see $out/linux-guest.log)"
    else
        kernel=$(echo "$guest" | sed -n 1p)
        initrd=$(echo "$guest" | sed -n 2p)
        python3 -c "
import sys
img = bytearray(1474560)
for i in range(len(img)):
    img[i] = (i * 7 + (i >> 9)) & 0xff
open(sys.argv[1], 'wb').write(img)" "$out/linux.img"
        want=$(sha256sum "$out/linux.img" | cut -d' ' -f1)
        s=$out/linux.serial
        cmd='dd if=/dev/fd0 bs=18k 2>/dev/null | sha256sum; echo vireo-floppy-write > /tmp/w;'
        cmd="$cmd dd if=/tmp/w of=/dev/fd0 bs=512 seek=100 conv=notrunc,sync 2>/dev/null; sync;"
        cmd="$cmd echo 3 > /proc/sys/vm/drop_caches; dd if=/dev/fd0 bs=512 skip=100 count=1 2>/dev/null | head -c 18; echo; dmesg | grep -i 'floppy drive'"
        timeout -k 5 "${LINUX_TIMEOUT:-300}" "$VIREO" "${extra[@]}" -nographic -m 256 \
            -drive "if=floppy,file=$out/linux.img,format=raw" -kernel "$kernel" -initrd "$initrd" \
            -append "console=ttyS0 quiet vireo.cmd=\"$cmd\" vireo.end" </dev/null >"$s" 2>"$out/linux.err"
        tr -d '\r' <"$s" >"$s.tmp" && mv "$s.tmp" "$s"
        expect "$s" "Floppy drive(s): fd0 is 1.44M" "Linux: floppy driver finds fd0, 1.44M"
        expect "$s" "$want  -" "Linux: sha256 of /dev/fd0 matches the image"
        grep -q "^vireo-floppy-write" "$s" && ok "Linux: sector written and read back" \
            || notok "Linux: written sector not read back (see $s)"
        [ "$(dd if="$out/linux.img" bs=512 skip=100 count=1 status=none | head -c 18)" = vireo-floppy-write ] \
            && ok "Linux: written sector is in the image file" || notok "Linux: write not in the image file"
    fi
fi

if [ $fails -eq 0 ]; then
    [ "${FLOPPY_LINUX:-0}" = 1 ] && linux=", Linux's floppy driver" || linux=""
    echo "PASS: floppy boots (own boot program rw and read-only, GRUB rescue floppy$linux)"
    exit 0
fi
echo "FAIL: $fails floppy checks failed"
exit 1
