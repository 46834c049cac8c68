#!/bin/bash
# Fetch Debian packages (firmware, test guests) into a cache and unpack them.
#   scripts/fetch-guests.sh [-d DESTROOT] PACKAGE[=VERSION] ...
# Each package's .deb is fetched with `apt-get download` into
# $VIREO_CACHE/debs (default build/cache/debs) unless a matching .deb is
# already cached, then unpacked with `dpkg-deb -x` into
# $VIREO_CACHE/root/PACKAGE (or DESTROOT/PACKAGE).  Prints the unpack
# directory of each package on stdout, one per line.
# Nothing is downloaded except through apt-get.  If apt's package lists are
# empty (fresh machine), runs `apt-get update` once (as root or with sudo -n).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${VIREO_CACHE:-$top/build/cache}
destroot=""
if [ "${1:-}" = -d ]; then destroot=$2; shift 2; fi
[ $# -gt 0 ] || { echo "usage: $0 [-d DESTROOT] PACKAGE[=VERSION]..." >&2; exit 2; }
debs=$cache/debs
destroot=${destroot:-$cache/root}
mkdir -p "$debs" "$destroot"

log() { echo "fetch-guests: $*" >&2; }

updated=no
apt_update() {
    [ $updated = yes ] && return 1
    updated=yes
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null || return 1
        sudo=(sudo -n)
    fi
    log "apt-get update"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q update </dev/null >&2
}

# find_deb NAME [VERSION]: newest cached .deb of NAME (of VERSION if given)
find_deb() {
    local name=$1 ver=${2:-} pat
    if [ -n "$ver" ]; then
        pat="${name}_${ver//:/%3a}_*.deb"
    else
        pat="${name}_*.deb"
    fi
    (cd "$debs" && ls -1t $pat 2>/dev/null | head -n1) || true
}

for spec in "$@"; do
    name=${spec%%=*}
    ver=""
    [ "$spec" != "$name" ] && ver=${spec#*=}
    deb=$(find_deb "$name" "$ver")
    if [ -z "$deb" ]; then
        log "apt-get download $spec"
        # apt drops privileges to _apt for downloads; a root-owned cache dir
        # it cannot write to only gives a harmless warning.
        until (cd "$debs" && apt-get -q download "$spec" </dev/null >&2); do
            apt_update || { log "cannot download $spec"; exit 1; }
        done
        deb=$(find_deb "$name" "$ver")
        [ -n "$deb" ] || { log "download of $spec left no .deb in $debs"; exit 1; }
    fi
    dest=$destroot/$name
    stamp=$dest/.vireo-deb
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$deb" ]; then
        rm -rf "$dest"
        mkdir -p "$dest"
        dpkg-deb -x "$debs/$deb" "$dest"
        echo "$deb" > "$stamp"
        log "unpacked $deb into $dest"
    fi
    echo "$dest"
done
