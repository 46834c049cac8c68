#!/bin/bash
# Put SeaBIOS's bios.bin and vgabios-stdvga.bin into DIR (default build/firmware),
# taken from Debian's seabios package (apt-get download + dpkg-deb -x, via
# scripts/fetch-guests.sh) and checked against firmware/seabios.sha256.
#   scripts/fetch-firmware.sh [DIR]
# Environment: VIREO_CACHE (package cache, default build/cache).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
dest=${1:-$top/build/firmware}
sums=$top/firmware/seabios.sha256
version=$(sed -n 's/^# version: *//p' "$sums")
blobs=$(grep -v '^#' "$sums" | awk 'NF == 2 { print $2 }')

log() { echo "fetch-firmware: $*" >&2; }

verify() {   # verify DIR: all blobs present with the recorded checksums
    (cd "$1" && grep -v '^#' "$sums" | sha256sum --quiet -c - >/dev/null 2>&1)
}

mkdir -p "$dest"
if verify "$dest"; then
    exit 0
fi

# The recorded version first; if the archive has moved on, take what it has
# and let the checksum decide.
root=$("$top/scripts/fetch-guests.sh" "seabios=$version" 2>&2 | tail -n1) ||
root=$("$top/scripts/fetch-guests.sh" seabios | tail -n1) || {
    log "could not fetch Debian package seabios"; exit 1; }

src=$root/usr/share/seabios
for b in $blobs; do
    [ -f "$src/$b" ] || { log "$b missing from the seabios package ($src)"; exit 1; }
    cp -f "$src/$b" "$dest/$b.tmp" && mv -f "$dest/$b.tmp" "$dest/$b"
done

if ! verify "$dest"; then
    log "SHA-256 mismatch against $sums:"
    (cd "$dest" && grep -v '^#' "$sums" | sha256sum -c - >&2) || true
    log "the package differs from the recorded seabios $version;" \
        "check it and update firmware/seabios.sha256"
    for b in $blobs; do rm -f "$dest/$b"; done
    exit 1
fi
log "SeaBIOS $version firmware in $dest (SHA-256 verified)"
