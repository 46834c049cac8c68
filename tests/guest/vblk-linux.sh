#!/bin/bash
# Debian's kernel with its own virtio_blk, virtio_pci and ext4 modules on
# virtio-blk-pci, an ext4 image made by mkfs.ext4 -d (no root needed):
#   boot 1, -drive if=virtio,serial=...: the driver binds over the modern
#     transport (VERSION_1, indirect descriptors, event idx), the serial
#     reaches /sys/block/vda/serial (GET_ID), the guest mounts the image,
#     reads the file the host put there, writes VBLK_MB MiB of random data,
#     syncs, prints its sha256, unmounts, fstrim runs (DISCARD) and the
#     guest powers off; the host's e2fsck finds the file system clean and
#     debugfs dumps a file with the same sha256;
#   boot 2, -device virtio-blk-pci,drive=...,num-queues=2 (the generic
#     device path, multiqueue): the guest reads the file back and its
#     sha256 equals the first boot's; then on a second disk opened with
#     cache=writethrough it writes a random marker with O_DIRECT, syncs and
#     prints it; the host kills Vireo with SIGKILL right then and finds the
#     marker in the image: an acknowledged write is not lost.
# VBLK_MB (default 32) sizes the file; `make check-vblk-256` runs the
# issue's 256 MiB case.  VBLK_FORMAT=qcow2 uses qcow2 images made by
# vireo-img (and checks them with vireo-img check); `make
# check-vblk-qcow2` runs that.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
BUILD=${BUILD:-build}
VIREO=${VIREO:-$BUILD/vireo}
MB=${VBLK_MB:-32}
FMT=${VBLK_FORMAT:-raw}
out=$BUILD/tests/vblk
mkdir -p "$out"
fail=0
PATH=$PATH:/sbin:/usr/sbin
ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; fail=1; }
expect() { if grep -qaE -- "$2" "$1"; then ok "$3"; else notok "$3 (no /$2/ in $1)"; fi; }

"$VIREO" -device help 2>&1 | grep -q '"virtio-blk-pci"' || { echo "SKIP: no virtio-blk-pci"; exit 77; }
if ! command -v mkfs.ext4 >/dev/null || ! command -v debugfs >/dev/null; then
    apt-get install -y -qq e2fsprogs >/dev/null 2>&1 || true
fi
command -v mkfs.ext4 >/dev/null || { echo "SKIP: mkfs.ext4 (e2fsprogs) missing"; exit 77; }
mapfile -t guest < <(GUEST_MODULES="virtio_pci virtio_blk ext4 crc32c_generic" scripts/make-linux-guest.sh) ||
    { echo "cannot build the guest"; exit 1; }
kernel=${guest[0]} initrd=${guest[1]}

# the file system: the host's file inside, room for the guest's
rootd=$out/rootfs
rm -rf "$rootd" && mkdir -p "$rootd"
hostword=host$RANDOM$RANDOM
echo "$hostword" > "$rootd/hello.txt"
imga=$out/fs.img
imgb=$out/marker.img
rm -f "$imga" "$imgb"
mkfs.ext4 -q -F -E nodiscard -d "$rootd" "$imga" $((MB + 64))M || { echo "mkfs.ext4 failed"; exit 1; }
truncate -s 16M "$imgb"
if [ "$FMT" = qcow2 ]; then
    img_tool=$BUILD/vireo-img
    [ -x "$img_tool" ] || { echo "SKIP: VBLK_FORMAT=qcow2 needs $img_tool"; exit 77; }
    "$img_tool" convert -f raw -O qcow2 "$imga" "$imga.qcow2" && mv "$imga.qcow2" "$imga"
    "$img_tool" convert -f raw -O qcow2 "$imgb" "$imgb.qcow2" && mv "$imgb.qcow2" "$imgb"
fi

# -- boot 1: -drive if=virtio ------------------------------------------
log1=$out/boot1.log
cmd1="echo vda-serial=\$(cat /sys/block/vda/serial); sed 's/^/virtio-features=/' /sys/block/vda/device/features; mkdir -p /mnt; mount -t ext4 /dev/vda /mnt && echo mounted; cat /mnt/hello.txt | sed s/^/hello=/; head -c 1048576 /dev/urandom > /tmp/r; i=0; while [ \$i -lt $MB ]; do cat /tmp/r; i=\$((i+1)); done > /mnt/big; sync; echo synced; sha256sum /mnt/big | sed s/^/sha1=/; fstrim -v /mnt; umount /mnt && echo umount-ok"
t0=$(date +%s)
timeout 900 "$VIREO" -nographic -no-reboot -m 256 -kernel "$kernel" -initrd "$initrd" \
    -drive file="$imga",format=$FMT,if=virtio,serial=vblk-boot1 \
    -append "console=ttyS0 quiet vireo.cmd=\"$cmd1\" vireo.end" </dev/null >"$log1" 2>&1
st=$?
echo "# boot 1: exit status $st after $(( $(date +%s) - t0 ))s, log $log1"
[ $st -eq 0 ] && ok "boot 1: guest powered off, status 0" || notok "boot 1: exit status $st"
expect "$log1" '^vda-serial=vblk-boot1' "boot 1: -drive if=virtio,serial= reaches the guest (GET_ID)"
expect "$log1" '^virtio-features=.{32}1' "boot 1: virtio 1.0 transport"
expect "$log1" '^virtio-features=.{28}11' "boot 1: indirect descriptors and event idx negotiated"
expect "$log1" '^mounted' "boot 1: ext4 mounted from /dev/vda"
expect "$log1" "^hello=$hostword" "boot 1: the guest reads the file the host put in the image"
expect "$log1" '^synced' "boot 1: $MB MiB written and synced"
expect "$log1" '^/mnt: [0-9]+ bytes trimmed' "boot 1: fstrim (DISCARD) succeeds"
expect "$log1" '^umount-ok' "boot 1: clean unmount"
sha1=$(sed -n 's/^sha1=\([0-9a-f]\{64\}\) .*/\1/p' "$log1" | head -n1)
[ -n "$sha1" ] && ok "boot 1: sha256 of the file $sha1" || notok "boot 1: no sha256 printed"
hostimg=$imga
if [ "$FMT" = qcow2 ]; then
    if "$img_tool" check "$imga" >"$out/check1.log" 2>&1; then ok "host: vireo-img check is clean after boot 1"
    else notok "host: vireo-img check (see $out/check1.log)"; fi
    hostimg=$out/fs.raw
    "$img_tool" convert -f qcow2 -O raw "$imga" "$hostimg" || notok "host: vireo-img convert to raw"
fi
if true; then
    if e2fsck -fn "$hostimg" >"$out/e2fsck.log" 2>&1; then ok "host: e2fsck finds the file system clean"
    else notok "host: e2fsck (see $out/e2fsck.log)"; fi
    rm -f "$out/big.host"
    debugfs -R "dump /big $out/big.host" "$hostimg" >/dev/null 2>&1
    hsha=$(sha256sum < "$out/big.host" 2>/dev/null | cut -d' ' -f1)
    [ -n "$sha1" ] && [ "$hsha" = "$sha1" ] && ok "host: the file in the image has the guest's sha256" ||
        notok "host: sha256 of the file in the image is '$hsha', the guest said '$sha1'"
    rm -f "$out/big.host" "$out/fs.raw"
fi

# -- boot 2: -device virtio-blk-pci,drive= ; kill -9 after a writethrough write
log2=$out/boot2.log
marker=mark$RANDOM$RANDOM$RANDOM
cmd2="for d in /sys/block/vd*; do echo serial-\$(basename \$d)=\$(cat \$d/serial); done; sed 's/^/vda-features=/' /sys/block/vda/device/features; mkdir -p /mnt; mount -t ext4 -o ro /dev/vda /mnt && echo mounted; sha256sum /mnt/big | sed s/^/sha2=/; umount /mnt; echo $marker > /tmp/m; dd if=/tmp/m of=/dev/vdb bs=512 count=1 conv=sync oflag=direct 2>/dev/null && sync && echo marker-synced=$marker; sleep 600"
t0=$(date +%s)
# no timeout(1) in between: the SIGKILL must reach Vireo itself
"$VIREO" -nographic -no-reboot -m 256 -kernel "$kernel" -initrd "$initrd" \
    -drive if=none,id=disk0,file="$imga",format=$FMT \
    -device virtio-blk-pci,drive=disk0,serial=vblk-boot2,num-queues=2 \
    -drive if=none,id=disk1,file="$imgb",format=$FMT,cache=writethrough \
    -device virtio-blk-pci,drive=disk1,serial=vblk-marker \
    -append "console=ttyS0 quiet vireo.cmd=\"$cmd2\" vireo.end" </dev/null >"$log2" 2>&1 &
vpid=$!
killed=no
for _ in $(seq 1800); do
    if grep -qa "^marker-synced=$marker" "$log2"; then
        kill -9 $vpid && killed=yes
        break
    fi
    kill -0 $vpid 2>/dev/null || break
    sleep 0.5
done
kill -9 $vpid 2>/dev/null
wait $vpid 2>/dev/null
echo "# boot 2: killed=$killed after $(( $(date +%s) - t0 ))s, log $log2"
expect "$log2" '^serial-vda=vblk-boot2' "boot 2: -device virtio-blk-pci,drive=,serial= is vda"
expect "$log2" '^serial-vdb=vblk-marker' "boot 2: the second disk is vdb"
# (one vCPU: Linux then uses one of the two queues)
expect "$log2" '^vda-features=.{12}1' "boot 2: num-queues=2 offers multiqueue (VIRTIO_BLK_F_MQ)"
expect "$log2" '^mounted' "boot 2: ext4 mounted again"
[ -n "$sha1" ] && grep -qa "^sha2=$sha1 " "$log2" && ok "boot 2: sha256 matches the first boot's" ||
    notok "boot 2: sha256 '$(sed -n 's/^sha2=\([0-9a-f]*\).*/\1/p' "$log2")' differs from '$sha1'"
[ $killed = yes ] && ok "boot 2: Vireo killed with SIGKILL after the guest's acknowledged write" ||
    notok "boot 2: the guest never reported the marker written"
if [ "$FMT" = raw ]; then
    got=$(head -c ${#marker} "$imgb")
else
    got=$("$BUILD/vireo-img" convert -f qcow2 -O raw "$imgb" "$out/marker.raw" && head -c ${#marker} "$out/marker.raw")
fi
[ "$got" = "$marker" ] && ok "host: the marker is in the writethrough image after kill -9" ||
    notok "host: image holds '$got', want '$marker'"
if [ "$FMT" = qcow2 ]; then
    # killed: at most leaked clusters (exit 3), never corruption
    "$img_tool" check "$imgb" >"$out/check2.log" 2>&1; rc=$?
    [ $rc -eq 0 ] || [ $rc -eq 3 ] && ok "host: vireo-img check finds no corruption after kill -9 (exit $rc)" ||
        notok "host: vireo-img check exit $rc after kill -9 (see $out/check2.log)"
fi
exit $fail
