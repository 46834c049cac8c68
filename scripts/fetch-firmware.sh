#!/bin/bash
# Put the firmware blobs Vireo uses into DIR (default build/firmware): for each
# firmware/*.sha256 (SeaBIOS's bios.bin and vgabios; the iPXE option ROMs of
# the NICs), the Debian package named in its "# package:" line is fetched
# (apt-get download + dpkg-deb -x, via scripts/fetch-guests.sh), the listed
# files are copied from its "# path:" directory, and each is checked against
# the recorded SHA-256.
#   scripts/fetch-firmware.sh [DIR]
# Environment: VIREO_CACHE (package cache, default build/cache).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
dest=${1:-$top/build/firmware}
log() { echo "fetch-firmware: $*" >&2; }
mkdir -p "$dest"

fetch_one() {   # fetch_one SUMSFILE
    local sums=$1 package version path blobs root src b
    package=$(sed -n 's/^# package: *//p' "$sums")
    version=$(sed -n 's/^# version: *//p' "$sums")
    path=$(sed -n 's/^# path: *//p' "$sums")
    blobs=$(grep -v '^#' "$sums" | awk 'NF == 2 { print $2 }')
    verify() { (cd "$dest" && grep -v '^#' "$sums" | sha256sum --quiet -c - >/dev/null 2>&1); }
    verify && return 0
    # The recorded version first; if the archive has moved on, take what it
    # has and let the checksum decide.
    root=$("$top/scripts/fetch-guests.sh" "$package=$version" 2>&2 | tail -n1) ||
    root=$("$top/scripts/fetch-guests.sh" "$package" | tail -n1) || {
        log "could not fetch Debian package $package"; return 1; }
    src=$root/$path
    for b in $blobs; do
        [ -f "$src/$b" ] || { log "$b missing from the $package package ($src)"; return 1; }
        cp -f "$src/$b" "$dest/$b.tmp" && mv -f "$dest/$b.tmp" "$dest/$b"
    done
    if ! verify; then
        log "SHA-256 mismatch against $sums:"
        (cd "$dest" && grep -v '^#' "$sums" | sha256sum -c - >&2) || true
        log "the package differs from the recorded $package $version;" \
            "check it and update $(basename "$sums")"
        for b in $blobs; do rm -f "$dest/$b"; done
        return 1
    fi
    log "$package $version firmware in $dest (SHA-256 verified)"
}

for sums in "$top"/firmware/*.sha256; do
    fetch_one "$sums"
done
