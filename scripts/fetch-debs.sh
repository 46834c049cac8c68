#!/bin/sh
# fetch-debs.sh CACHE_DIR PACKAGE[=VERSION]...
# Downloads Debian packages with apt-get (the only place third-party
# binaries come from) into CACHE_DIR/debs and unpacks each into
# CACHE_DIR/root/<package>.  Already-unpacked packages are skipped, so the
# cache makes repeated runs free.
set -e
cache=$1
shift
mkdir -p "$cache/debs" "$cache/root"
for spec in "$@"; do
    name=${spec%%=*}
    dest="$cache/root/$name"
    [ -f "$dest/.unpacked" ] && continue
    deb=$(ls "$cache/debs/${name}_"*.deb 2>/dev/null | head -n 1 || true)
    if [ -z "$deb" ]; then
        # apt-get download wants a directory the _apt user may write to
        tmp=$(mktemp -d)
        chmod 777 "$tmp"
        if ! (cd "$tmp" && apt-get download "$spec" >/dev/null 2>&1); then
            (cd "$tmp" && apt-get update -q >/dev/null 2>&1 || true; apt-get download "$spec")
        fi
        mv "$tmp"/*.deb "$cache/debs/"
        rm -rf "$tmp"
        deb=$(ls "$cache/debs/${name}_"*.deb | head -n 1)
    fi
    rm -rf "$dest"
    mkdir -p "$dest"
    dpkg-deb -x "$deb" "$dest"
    touch "$dest/.unpacked"
done
