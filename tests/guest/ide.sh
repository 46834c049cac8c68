#!/bin/bash
# Disks and CD-ROMs on the PIIX3 IDE controller, with real guests:
#   1. SeaBIOS boots an isolinux ISO (Debian's isolinux, kernel and a busybox
#      initramfs) from -cdrom with -boot d; the kernel reaches /init, then
#      Linux's own ata_piix + sr_mod mount the same CD (ATAPI, bus-master
#      DMA) and the sha256 of a file on it matches the host's.
#   2. Debian's kernel (-kernel) mounts an ext4 image on if=ide (ata_piix +
#      sd_mod, DMA), checks a file the host put there, writes 16 MiB, syncs
#      and powers off; a second boot reads the 16 MiB back with the same
#      sha256, and e2fsck finds the file system clean.
#   3. SeaBIOS's boot menu (-boot menu=on, ESC sent with HMP sendkey) lists
#      the DVD/CD and the hard disk.
#   4. Debian's grub-rescue-cdrom.iso (package grub-rescue-pc) from -cdrom
#      with the ext4 disk as -hda: GRUB's menu on the serial console (SeaBIOS
#      copies the screen there), 'c' for its command line, and 'ls' lists
#      the hard disk and the CD it booted from.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
BUILD=${BUILD:-build}
VIREO=${VIREO:-$BUILD/vireo}
out=$BUILD/tests/ide
mkdir -p "$out"
fail=0
ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; fail=1; }
expect() { if grep -qaE -- "$2" "$1"; then ok "$3"; else notok "$3 (no /$2/ in $1)"; fi; }

need_tool() {   # need_tool COMMAND PACKAGE: install it as root where apt works, else SKIP
    command -v "$1" >/dev/null && return 0
    [ "$(id -u)" -eq 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" </dev/null >/dev/null 2>&1
    command -v "$1" >/dev/null || { echo "SKIP: $1 (Debian package $2) is not installed"; exit 77; }
}
need_tool xorriso xorriso
need_tool mkfs.ext4 e2fsprogs
need_tool socat socat
PATH=$PATH:/sbin:/usr/sbin

mapfile -t guest < <(GUEST_MODULES="ata_piix sr_mod sd_mod isofs ext4 crc32c_generic" scripts/make-linux-guest.sh) ||
    { echo "cannot build the guest"; exit 1; }
kernel=${guest[0]} initrd=${guest[1]}
isoroot=$(scripts/fetch-guests.sh isolinux) && sysroot=$(scripts/fetch-guests.sh syslinux-common) ||
    { echo "cannot fetch isolinux"; exit 1; }

# ---- 1. the ISO ----
iso=$out/cd
rm -rf "$iso" && mkdir -p "$iso/isolinux"
cp "$isoroot/usr/lib/ISOLINUX/isolinux.bin" "$sysroot/usr/lib/syslinux/modules/bios/ldlinux.c32" "$iso/isolinux/"
cp "$kernel" "$iso/vmlinuz"
cp "$initrd" "$iso/initrd.gz"
head -c $((3 << 20)) /dev/urandom > "$iso/data.bin"
want=$(sha256sum < "$iso/data.bin" | cut -d' ' -f1)
# the drivers are modules that /init loads: wait for their devices (dmesg
# patterns are written so that they do not match the command line itself)
wait_dev='while [ ! -b /dev/DEV ]; do sleep 0.2; done'
cmds="echo iso-booted; ${wait_dev//DEV/sr0}; dmesg | grep -m1 'ata2[.]00: ATAPI'; mkdir -p /mnt; mount -t iso9660 -o ro /dev/sr0 /mnt && sha256sum /mnt/data.bin | sed s/^/cd-sha=/"
cat > "$iso/isolinux/isolinux.cfg" <<EOF
SERIAL 0 115200
DEFAULT linux
PROMPT 0
LABEL linux
  KERNEL /vmlinuz
  APPEND initrd=/initrd.gz console=ttyS0 quiet vireo.cmd="$cmds" vireo.end
EOF
xorriso -as mkisofs -quiet -o "$out/test.iso" -b isolinux/isolinux.bin -c isolinux/boot.cat \
    -no-emul-boot -boot-load-size 4 -boot-info-table -R -J "$iso" 2>"$out/xorriso.log" ||
    { cat "$out/xorriso.log"; echo "xorriso failed"; exit 1; }
log=$out/iso-boot.log
timeout 240 "$VIREO" -nographic -no-reboot -m 256 -cdrom "$out/test.iso" -boot d </dev/null >"$log" 2>&1
st=$?
[ $st -eq 0 ] && ok "ISO: guest powered off, status 0" || notok "ISO: exit status $st (log $log)"
expect "$log" 'Booting from DVD/CD' "ISO: SeaBIOS boots from the DVD/CD"
expect "$log" 'ISOLINUX [0-9.]+' "ISO: isolinux runs from the CD"
expect "$log" '^iso-booted' "ISO: the kernel and initramfs read by isolinux reach /init"
expect "$log" 'ata2\.00: ATAPI: QEMU DVD-ROM' "ISO: Linux's ata_piix finds the ATAPI drive"
expect "$log" "^cd-sha=$want  /mnt/data.bin" "ISO: Linux mounts the CD and a 3 MiB file's sha256 matches"

# ---- 2. an ext4 disk ----
fsdir=$out/fs
rm -rf "$fsdir" && mkdir -p "$fsdir"
head -c $((1 << 20)) /dev/urandom > "$fsdir/hello.bin"
hsha=$(sha256sum < "$fsdir/hello.bin" | cut -d' ' -f1)
disk=$out/disk.img
rm -f "$disk"
mkfs.ext4 -q -F -d "$fsdir" "$disk" 64M || { echo "mkfs.ext4 failed"; exit 1; }
w1="${wait_dev//DEV/sda}; dmesg | grep -m1 'ata1[.]00: ATA-'; mkdir -p /mnt; "'mount -t ext4 /dev/sda /mnt && sha256sum /mnt/hello.bin | sed s/^/hello-sha=/ && dd if=/dev/urandom of=/mnt/big bs=1M count=16 2>/dev/null && sha256sum /mnt/big | sed s/^/big-sha=/ && sync && umount /mnt && echo written'
log=$out/disk-1.log
timeout 240 "$VIREO" -nographic -no-reboot -m 256 -kernel "$kernel" -initrd "$initrd" \
    -drive file="$disk",format=raw,if=ide -append "console=ttyS0 quiet vireo.cmd=\"$w1\" vireo.end" \
    </dev/null >"$log" 2>&1
st=$?
[ $st -eq 0 ] && ok "disk: first boot powered off, status 0" || notok "disk: exit status $st (log $log)"
expect "$log" 'ata1\.00: ATA-7: QEMU HARDDISK' "disk: Linux's ata_piix finds the disk"
expect "$log" "^hello-sha=$hsha  /mnt/hello.bin" "disk: a file the host put on ext4 reads back intact"
expect "$log" '^written' "disk: 16 MiB written and synced"
big=$(sed -n 's/^big-sha=\([0-9a-f]*\) .*/\1/p' "$log" | head -n1)
log=$out/disk-2.log
timeout 240 "$VIREO" -nographic -no-reboot -m 256 -kernel "$kernel" -initrd "$initrd" \
    -hda "$disk" -append "console=ttyS0 quiet vireo.cmd=\"${wait_dev//DEV/sda}; mkdir -p /mnt; mount -t ext4 /dev/sda /mnt && sha256sum /mnt/big | sed s/^/again-sha=/\" vireo.end" \
    </dev/null >"$log" 2>&1
if [ -n "$big" ] && grep -qa "^again-sha=$big " "$log"; then
    ok "disk: the second boot reads the 16 MiB back with the same sha256"
else
    notok "disk: second boot (want ${big:-?}; log $log)"
fi
if e2fsck -fn "$disk" >"$out/fsck.log" 2>&1; then
    ok "disk: e2fsck -fn finds the file system clean"
else
    notok "disk: e2fsck: $(tail -n 3 "$out/fsck.log")"
fi

# ---- 3. SeaBIOS's boot menu ----
log=$out/menu.log
sock=$out/menu.sock
rm -f "$sock"
timeout 30 "$VIREO" -nographic -cdrom "$out/test.iso" -drive file="$disk",format=raw,if=ide \
    -boot menu=on,splash-time=15000 -monitor unix:"$sock",server=on,wait=off </dev/null >"$log" 2>&1 &
vpid=$!
for _ in $(seq 100); do grep -qa 'Press ESC for boot menu' "$log" && break; sleep 0.1; done
echo 'sendkey esc' | timeout 5 socat - UNIX-CONNECT:"$sock" >/dev/null 2>&1
for _ in $(seq 50); do grep -qa 'Select boot device' "$log" && break; sleep 0.1; done
sleep 0.5
kill $vpid 2>/dev/null
wait $vpid 2>/dev/null
expect "$log" 'Select boot device' "menu: ESC opens SeaBIOS's boot menu"
expect "$log" '[0-9]\. DVD/CD \[ata1-0: QEMU DVD-ROM ATAPI-4 DVD/CD\]' "menu: it lists the CD-ROM"
expect "$log" '[0-9]\. ata0-0: QEMU HARDDISK ATA-7 Hard-Disk \(64 MiBytes\)' "menu: it lists the hard disk"

# ---- 4. GRUB's rescue CD ----
if ! pkgdir=$(scripts/fetch-guests.sh grub-rescue-pc 2>"$out/fetch.log"); then
    notok "cannot fetch grub-rescue-pc (see $out/fetch.log)"
else
    s=$out/grub.serial
    fifo=$out/grub.in
    rm -f "$fifo"
    mkfifo "$fifo"
    timeout -k 5 120 "$VIREO" -nographic -m 128 -boot d -hda "$disk" \
        -cdrom "$pkgdir/usr/lib/grub-rescue/grub-rescue-cdrom.iso" <"$fifo" >"$s" 2>&1 &
    pid=$!
    exec 3>"$fifo"
    wait_for() {
        for _ in $(seq 500); do
            grep -aqF -- "$1" "$s" && return 0
            kill -0 $pid 2>/dev/null || return 1
            sleep 0.2
        done
        return 1
    }
    if wait_for "GNU GRUB  version"; then
        ok "GRUB: its menu from the rescue CD"
        sleep 0.5
        printf 'c' >&3
        if wait_for "grub>"; then
            printf 'ls\r' >&3
            wait_for "(cd,msdos1)" && sleep 0.3
        fi
    else
        notok "GRUB: no menu from the rescue CD (see $s)"
    fi
    exec 3>&-
    kill -TERM $pid 2>/dev/null
    wait $pid 2>/dev/null
    rm -f "$fifo"
    expect "$s" 'Booting from DVD/CD' "GRUB: SeaBIOS boots the rescue CD"
    expect "$s" '\(hd0\) \(cd\) \(cd,msdos1\)' "GRUB: ls lists the hard disk and the CD"
fi
exit $fail
