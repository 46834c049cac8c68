#!/bin/bash
# Debian's kernel (-kernel) on a qcow2 disk over IDE (make
# check-qcow2-guest; tests/guest/storage.sh has the whole interface x
# image matrix):
#   1. an ext4 image converted to qcow2 by vireo-img: the guest checks a
#      file the host put there, writes 16 MiB, syncs and powers off; a
#      second boot reads it back with the same sha256; vireo-img check (and
#      qemu-img check where installed) find the image clean.
#   2. -snapshot: the guest's writes go to a temporary overlay; the image
#      is byte-for-byte unchanged afterwards.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
BUILD=${BUILD:-build}
VIREO=${VIREO:-$BUILD/vireo}
IMG=$BUILD/vireo-img
out=$BUILD/tests/qcow2-linux
mkdir -p "$out"
fail=0
ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; fail=1; }
[ -x "$IMG" ] || { echo "FAIL: $IMG not built"; exit 1; }
command -v mkfs.ext4 >/dev/null || PATH=$PATH:/sbin:/usr/sbin
if ! command -v mkfs.ext4 >/dev/null; then
    [ "$(id -u)" -eq 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -q e2fsprogs </dev/null >/dev/null 2>&1
    command -v mkfs.ext4 >/dev/null || { echo "SKIP: mkfs.ext4 (Debian package e2fsprogs) is not installed"; exit 77; }
fi
mapfile -t guest < <(GUEST_MODULES="ata_piix sd_mod ext4 crc32c_generic" scripts/make-linux-guest.sh) ||
    { echo "cannot build the guest"; exit 1; }
kernel=${guest[0]} initrd=${guest[1]}

fsdir=$out/fs
rm -rf "$fsdir" && mkdir -p "$fsdir"
head -c $((1 << 20)) /dev/urandom > "$fsdir/hello.bin"
hsha=$(sha256sum < "$fsdir/hello.bin" | cut -d' ' -f1)
raw=$out/disk.raw
rm -f "$raw"
mkfs.ext4 -q -F -d "$fsdir" "$raw" 64M || { echo "mkfs.ext4 failed"; exit 1; }

wait_sda='while [ ! -b /dev/sda ]; do sleep 0.2; done; mkdir -p /mnt; '
w1=$wait_sda'mount -t ext4 /dev/sda /mnt && sha256sum /mnt/hello.bin | sed s/^/hello-sha=/ && dd if=/dev/urandom of=/mnt/big bs=1M count=16 2>/dev/null && sha256sum /mnt/big | sed s/^/big-sha=/ && sync && umount /mnt && echo written'
w2=$wait_sda'mount -t ext4 /dev/sda /mnt && sha256sum /mnt/big | sed s/^/again-sha=/'

boot() {   # boot LOG CMD DRIVE-OPTIONS...
    local log=$1 cmd=$2; shift 2
    timeout 240 "$VIREO" -nographic -no-reboot -m 256 -kernel "$kernel" -initrd "$initrd" "$@" \
        -append "console=ttyS0 quiet vireo.cmd=\"$cmd\" vireo.end" </dev/null >"$log" 2>&1
}

# write_and_reread NAME IMAGE: two boots on IMAGE (qcow2, if=ide)
write_and_reread() {
    local name=$1 img=$2 log=$out/$1
    boot "$log-1.log" "$w1" -drive file="$img",format=qcow2,if=ide
    local st=$?
    [ $st -eq 0 ] && ok "$name: first boot powered off, status 0" || notok "$name: exit status $st (log $log-1.log)"
    grep -qa "^hello-sha=$hsha " "$log-1.log" && ok "$name: a file the host put on ext4 reads back intact" ||
        notok "$name: hello.bin (log $log-1.log)"
    grep -qa '^written' "$log-1.log" && ok "$name: 16 MiB written and synced" || notok "$name: write (log $log-1.log)"
    local big
    big=$(sed -n 's/^big-sha=\([0-9a-f]*\) .*/\1/p' "$log-1.log" | head -n1)
    boot "$log-2.log" "$w2" -drive file="$img",format=qcow2,if=ide
    if [ -n "$big" ] && grep -qa "^again-sha=$big " "$log-2.log"; then
        ok "$name: the second boot reads the 16 MiB back with the same sha256"
    else
        notok "$name: second boot (want ${big:-?}; log $log-2.log)"
    fi
    if "$IMG" check "$img" >"$log-check.log" 2>&1; then
        ok "$name: vireo-img check is clean"
    else
        notok "$name: vireo-img check: $(tail -n 3 "$log-check.log")"
    fi
    if command -v qemu-img >/dev/null; then
        if qemu-img check "$img" >"$log-qcheck.log" 2>&1; then
            ok "$name: qemu-img check is clean"
        else
            notok "$name: qemu-img check: $(tail -n 3 "$log-qcheck.log")"
        fi
    fi
}

q=$out/vireo.qcow2
rm -f "$q"
"$IMG" convert -q -f raw -O qcow2 "$raw" "$q" || { echo "vireo-img convert failed"; exit 1; }
write_and_reread vireo-img "$q"

# ---- 2. -snapshot ----
before=$(sha256sum < "$q")
boot "$out/snapshot.log" "$w1" -drive file="$q",format=qcow2,if=ide -snapshot
grep -qa '^written' "$out/snapshot.log" && ok "snapshot: the guest wrote 16 MiB" || notok "snapshot: write (log $out/snapshot.log)"
[ "$(sha256sum < "$q")" = "$before" ] && ok "snapshot: the image is unchanged" || notok "snapshot: the image changed"
exit $fail
