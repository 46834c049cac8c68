#!/bin/bash
# Debian's kernel on an ext4 disk image, for each way of attaching it and
# each kind of image (issue #10's matrix):
#   interfaces: if=ide (/dev/sda), if=virtio (/dev/vda),
#               -drive if=none + -device virtio-blk-pci (/dev/vda);
#   images:     raw; qcow2 made by vireo-img convert; where qemu-img is
#               installed, a qcow2 overlay made by qemu-img whose backing
#               file qemu-img wrote with compressed clusters.
# Each run: boot 1 mounts the disk, checks a file the host put there,
# writes STORAGE_MB MiB of random data (default 16; `make check-storage`
# uses 256), prints its sha256, syncs and powers off; boot 2 prints the
# sha256 again and it must match; then `vireo-img check` (and `qemu-img
# check` for qemu-img's images) finds the image clean.
# make check runs the pairs in STORAGE_PAIRS (default: qcow2 on IDE and on
# -device virtio-blk-pci, qemu-img's compressed+backing qcow2 on if=virtio;
# tests/guest/ide.sh and vblk-linux.sh cover raw images); `make
# check-storage` runs all nine pairs with 256 MiB.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
BUILD=${BUILD:-build}
VIREO=${VIREO:-$BUILD/vireo}
IMG=${VIREO_IMG:-$BUILD/vireo-img}
MB=${STORAGE_MB:-16}
out=$BUILD/tests/storage
mkdir -p "$out"
fail=0
ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; fail=1; }
PATH=$PATH:/sbin:/usr/sbin
command -v mkfs.ext4 >/dev/null || { echo "SKIP: mkfs.ext4 (e2fsprogs) is not installed"; exit 77; }
[ -x "$IMG" ] || { echo "vireo-img not built ($IMG)"; exit 1; }

mapfile -t guest < <(GUEST_MODULES="ata_piix sd_mod virtio_pci virtio_blk ext4 crc32c_generic" \
                     scripts/make-linux-guest.sh) || { echo "cannot build the guest"; exit 1; }
kernel=${guest[0]} initrd=${guest[1]}

if [ "${STORAGE_ALL:-0}" = 1 ]; then
    pairs=""
    for f in raw qcow2 qemu-qcow2; do for i in ide virtio device; do pairs="$pairs $i:$f"; done; done
else
    pairs=${STORAGE_PAIRS:-"ide:qcow2 device:qcow2 virtio:qemu-qcow2"}
fi
if ! command -v qemu-img >/dev/null; then
    [ "$(id -u)" -eq 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends qemu-utils </dev/null >/dev/null 2>&1
fi
have_qemu_img=yes
command -v qemu-img >/dev/null || have_qemu_img=no

# the file system every image starts from
fsdir=$out/fs
rm -rf "$fsdir" && mkdir -p "$fsdir"
head -c $((1 << 20)) /dev/urandom > "$fsdir/hello.bin"
hsha=$(sha256sum < "$fsdir/hello.bin" | cut -d' ' -f1)
base=$out/base.raw
rm -f "$base"
mkfs.ext4 -q -F -d "$fsdir" "$base" $((MB + 48))M || { echo "mkfs.ext4 failed"; exit 1; }

wait_dev='while [ ! -b /dev/DEV ]; do sleep 0.2; done; mkdir -p /mnt'

for pair in $pairs; do
    iface=${pair%%:*} fmt=${pair#*:}
    case $fmt in
    raw) img=$out/disk.raw; cp --sparse=always "$base" "$img"; drvfmt=raw ;;
    qcow2) img=$out/disk.qcow2; rm -f "$img"
           "$IMG" convert -f raw -O qcow2 "$base" "$img" || { notok "vireo-img convert to qcow2"; continue; }
           drvfmt=qcow2 ;;
    qemu-qcow2)
        if [ $have_qemu_img = no ]; then
            echo "ok - # SKIP qemu-img is not installed: no qcow2 images made by QEMU"
            continue
        fi
        rm -f "$out/qbase.qcow2" "$out/qtop.qcow2"
        qemu-img convert -c -f raw -O qcow2 "$base" "$out/qbase.qcow2" &&
        qemu-img create -q -f qcow2 -b qbase.qcow2 -F qcow2 "$out/qtop.qcow2" >/dev/null ||
            { notok "qemu-img could not make the images"; continue; }
        img=$out/qtop.qcow2; drvfmt=qcow2 ;;
    *) notok "unknown format $fmt"; continue ;;
    esac
    {
        case $iface in
        ide) dev=sda; opts=(-drive "file=$img,format=$drvfmt,if=ide") ;;
        virtio) dev=vda; opts=(-drive "file=$img,format=$drvfmt,if=virtio") ;;
        device) dev=vda; opts=(-drive "file=$img,format=$drvfmt,if=none,id=d0" -device virtio-blk-pci,drive=d0) ;;
        *) notok "unknown interface $iface"; continue ;;
        esac
        name="$iface/$fmt"
        f=big
        w="${wait_dev//DEV/$dev}; mount -t ext4 /dev/$dev /mnt && sha256sum /mnt/hello.bin | sed s/^/hello-sha=/ && dd if=/dev/urandom of=/mnt/$f bs=1M count=$MB 2>/dev/null && sha256sum /mnt/$f | sed s/^/big-sha=/ && sync && umount /mnt && echo written"
        log=$out/$iface-$fmt-1.log
        timeout 600 "$VIREO" -nographic -no-reboot -m 256 -kernel "$kernel" -initrd "$initrd" "${opts[@]}" \
            -append "console=ttyS0 quiet vireo.cmd=\"$w\" vireo.end" </dev/null >"$log" 2>&1
        st=$?
        big=$(sed -n 's/^big-sha=\([0-9a-f]*\) .*/\1/p' "$log" | head -n1)
        if [ $st -eq 0 ] && grep -qa "^hello-sha=$hsha " "$log" && grep -qa '^written' "$log" && [ -n "$big" ]; then
            ok "$name: the host's file reads back, $MB MiB written and synced"
        else
            notok "$name: first boot (status $st, log $log)"
            continue
        fi
        r="${wait_dev//DEV/$dev}; mount -t ext4 -o ro /dev/$dev /mnt && sha256sum /mnt/$f | sed s/^/again-sha=/"
        log=$out/$iface-$fmt-2.log
        timeout 600 "$VIREO" -nographic -no-reboot -m 256 -kernel "$kernel" -initrd "$initrd" "${opts[@]}" \
            -append "console=ttyS0 quiet vireo.cmd=\"$r\" vireo.end" </dev/null >"$log" 2>&1
        if grep -qa "^again-sha=$big " "$log"; then
            ok "$name: the second boot reads the $MB MiB back, same sha256"
        else
            notok "$name: second boot (want $big, log $log)"
        fi
        if [ "$drvfmt" = qcow2 ]; then
            if "$IMG" check "$img" >"$out/check-$iface-$fmt.log" 2>&1; then
                ok "$name: vireo-img check finds no errors"
            else
                notok "$name: vireo-img check: $(tail -n 2 "$out/check-$iface-$fmt.log")"
            fi
            if [ $have_qemu_img = yes ]; then
                if qemu-img check "$img" >"$out/qcheck-$iface-$fmt.log" 2>&1; then
                    ok "$name: qemu-img check finds no errors"
                else
                    notok "$name: qemu-img check: $(tail -n 2 "$out/qcheck-$iface-$fmt.log")"
                fi
            fi
        fi
    }
done
exit $fail
