#!/bin/bash
# The test initramfs plus an in-guest helper of a benchmark (disk.sh's
# disk-io.c, loop.sh's scan.c): the C file built static on the host into
# /bin/NAME of a second archive appended to the first (the kernel unpacks
# concatenated archives in order).
#   bench/helper-initrd.sh SRC.c OUTDIR BASE-INITRD   prints OUTDIR/initramfs.cpio.gz
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
src=$1 out=$2 base=$3
BUILD=${BUILD:-build}
name=$(basename "$src" .c)
cc -static -O2 -o "$out/$name" "$src" || exit 1
rm -rf "$out/extra" && mkdir -p "$out/extra/bin"
cp "$out/$name" "$out/extra/bin/$name"
busybox=${VIREO_CACHE:-$BUILD/cache}/root/busybox-static/bin/busybox
case $busybox in /*) ;; *) busybox=$top/$busybox ;; esac
(cd "$out/extra" && find . | LC_ALL=C sort | "$busybox" cpio -o -H newc 2>/dev/null) | gzip -9n > "$out/extra.cpio.gz" || exit 1
cat "$base" "$out/extra.cpio.gz" > "$out/initramfs.cpio.gz" || exit 1
echo "$out/initramfs.cpio.gz"
