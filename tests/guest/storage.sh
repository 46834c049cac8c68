#!/bin/bash
# Debian's kernel on ext4 disk images, for each way of attaching a disk and
# each kind of image (issue #10's matrix):
#   interfaces: if=ide (/dev/sdX), if=virtio (/dev/vdX),
#               -drive if=none + -device virtio-blk-pci (/dev/vdX);
#   images:     raw; qcow2 made by vireo-img convert; where qemu-img is
#               installed, a qcow2 overlay made by qemu-img whose backing
#               file qemu-img wrote with compressed clusters.
# Every pair is one disk of the same VM, so the matrix costs two boots
# whatever its size.  Each disk's file system holds a file naming its pair
# and a file from the host.  Boot 1 mounts every disk, checks the host's
# file, writes STORAGE_MB MiB of random data (default 8; `make
# check-storage` uses 256), prints its sha256 under the pair's name, syncs
# and powers off; boot 2 prints each sha256 again and it must match; then
# `vireo-img check` (and `qemu-img check`) finds each qcow2 image clean.
# make check runs the pairs in STORAGE_PAIRS (default: vireo-img's qcow2
# on IDE, qemu-img's compressed+backing qcow2 on if=virtio, raw on
# -device virtio-blk-pci); `make check-storage` runs all nine with 256 MiB.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
BUILD=${BUILD:-build}
VIREO=${VIREO:-$BUILD/vireo}
IMG=${VIREO_IMG:-$BUILD/vireo-img}
MB=${STORAGE_MB:-8}
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
    pairs=${STORAGE_PAIRS:-"ide:qcow2 virtio:qemu-qcow2 device:raw"}
fi
if ! command -v qemu-img >/dev/null; then
    [ "$(id -u)" -eq 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends qemu-utils </dev/null >/dev/null 2>&1
fi
have_qemu_img=yes
command -v qemu-img >/dev/null || have_qemu_img=no

# the host's file, the same on every disk
head -c $((1 << 20)) /dev/urandom > "$out/hello.bin"
hsha=$(sha256sum < "$out/hello.bin" | cut -d' ' -f1)

opts=() names=() imgs=() ndisk=0 nide=0
for pair in $pairs; do
    iface=${pair%%:*} fmt=${pair#*:}
    name=$iface-$fmt
    case $iface in
    ide) if [ $nide -ge 4 ]; then notok "$pair: IDE has four places"; continue; fi
         nide=$((nide + 1)) ;;
    virtio|device) ;;
    *) notok "unknown interface $iface"; continue ;;
    esac
    # a file system naming its pair
    fsdir=$out/fs-$name base=$out/base-$name.raw
    rm -rf "$fsdir" "$base" && mkdir -p "$fsdir"
    cp "$out/hello.bin" "$fsdir/hello.bin"
    echo "$name" > "$fsdir/pair"
    mkfs.ext4 -q -F -d "$fsdir" "$base" $((MB + 48))M || { notok "$name: mkfs.ext4 failed"; continue; }
    case $fmt in
    raw) img=$base; drvfmt=raw ;;
    qcow2) img=$out/$name.qcow2; rm -f "$img"
           "$IMG" convert -f raw -O qcow2 "$base" "$img" || { notok "$name: vireo-img convert to qcow2"; continue; }
           rm -f "$base"; drvfmt=qcow2 ;;
    qemu-qcow2)
        if [ $have_qemu_img = no ]; then
            echo "ok - # SKIP $name: qemu-img is not installed: no qcow2 images made by QEMU"
            continue
        fi
        rm -f "$out/$name-base.qcow2" "$out/$name.qcow2"
        qemu-img convert -c -f raw -O qcow2 "$base" "$out/$name-base.qcow2" &&
        qemu-img create -q -f qcow2 -b "$name-base.qcow2" -F qcow2 "$out/$name.qcow2" >/dev/null ||
            { notok "$name: qemu-img could not make the images"; continue; }
        rm -f "$base"; img=$out/$name.qcow2; drvfmt=qcow2 ;;
    *) notok "unknown format $fmt"; continue ;;
    esac
    case $iface in
    ide) opts+=(-drive "file=$img,format=$drvfmt,if=ide") ;;
    virtio) opts+=(-drive "file=$img,format=$drvfmt,if=virtio") ;;
    device) opts+=(-drive "file=$img,format=$drvfmt,if=none,id=d$ndisk" -device "virtio-blk-pci,drive=d$ndisk") ;;
    esac
    names+=("$name") imgs+=("$img:$drvfmt")
    ndisk=$((ndisk + 1))
done
[ $ndisk -gt 0 ] || exit $fail

# the guest waits for all the disks, then runs BODY for each, mounted on /mnt
guest_loop() {   # guest_loop MOUNT-OPTIONS BODY
    echo "while [ \$(ls /sys/block | grep -cE '^(sd|vd)') -lt $ndisk ]; do sleep 0.2; done; mkdir -p /mnt; for d in \$(ls /sys/block | grep -E '^(sd|vd)'); do mount -t ext4 $1 /dev/\$d /mnt || { echo mount-failed=\$d; continue; }; p=\$(cat /mnt/pair); $2; umount /mnt; done"
}
# guest time is about a second per MiB written and hashed, plus the boot
vm_timeout=$((300 + 2 * MB * ndisk))
boot() {   # boot LOG CMD
    timeout "$vm_timeout" "$VIREO" -nographic -no-reboot -m 256 -kernel "$kernel" -initrd "$initrd" "${opts[@]}" \
        -append "console=ttyS0 quiet vireo.cmd=\"$2\" vireo.end" </dev/null >"$1" 2>&1
}

log1=$out/boot-1.log
boot "$log1" "$(guest_loop "" "sha256sum /mnt/hello.bin | sed s/^/hello-\$p=/; dd if=/dev/urandom of=/mnt/big bs=1M count=$MB 2>/dev/null && sha256sum /mnt/big | sed s/^/big-\$p=/; sync")"
st1=$?
log2=$out/boot-2.log
boot "$log2" "$(guest_loop "-o ro" "sha256sum /mnt/big | sed s/^/again-\$p=/")"
st2=$?
grep -a 'mount-failed=' "$log1" "$log2" | sed 's/^/# /'

for i in "${!names[@]}"; do
    name=${names[$i]} img=${imgs[$i]%:*} drvfmt=${imgs[$i]##*:}
    label=${name/-//}
    big=$(sed -n "s/^big-$name=\([0-9a-f]*\) .*/\1/p" "$log1" | head -n1)
    if [ $st1 -eq 0 ] && grep -qa "^hello-$name=$hsha " "$log1" && [ -n "$big" ]; then
        ok "$label: the host's file reads back, $MB MiB written and synced"
    else
        notok "$label: first boot (status $st1, log $log1)"
        continue
    fi
    if [ $st2 -eq 0 ] && grep -qa "^again-$name=$big " "$log2"; then
        ok "$label: the second boot reads the $MB MiB back, same sha256"
    else
        notok "$label: second boot (status $st2, want $big, log $log2)"
    fi
    if [ "$drvfmt" = qcow2 ]; then
        if "$IMG" check "$img" >"$out/check-$name.log" 2>&1; then
            ok "$label: vireo-img check finds no errors"
        else
            notok "$label: vireo-img check: $(tail -n 2 "$out/check-$name.log")"
        fi
        if [ $have_qemu_img = yes ]; then
            if qemu-img check "$img" >"$out/qcheck-$name.log" 2>&1; then
                ok "$label: qemu-img check finds no errors"
            else
                notok "$label: qemu-img check: $(tail -n 2 "$out/qcheck-$name.log")"
            fi
        fi
    fi
done
exit $fail
