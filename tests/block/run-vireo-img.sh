#!/bin/bash
# vireo-img as a user meets it, without qemu-img: create with size
# suffixes and options, info (human and json), convert (zero areas stay
# sparse, -c, -p), check's output and exit codes (0 clean, 3 leaks, 2
# corruptions, 63 raw, 1 not completed) with -r leaks/all repairs, resize
# (grow, --shrink rules), snapshot -l, and one-line "vireo-img: ..." errors
# with exit status 1 for bad arguments and hostile images.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) b=$BUILD ;; *) b=$top/$BUILD ;; esac
V=$b/vireo-img
[ -x "$V" ] || { echo "FAIL: $V not built"; exit 1; }
t=$(mktemp -d "${TMPDIR:-/tmp}/vireo-img-XXXXXX")
trap 'rm -rf "$t"' EXIT
cd "$t"
fails=0 passes=0
ok()  { passes=$((passes + 1)); echo "ok - $*"; }
bad() { fails=$((fails + 1)); echo "not ok - $*"; }
# expect STATUS WHAT CMD...: exit status and, for errors, one stderr line
expect() {
    local want=$1 what=$2; shift 2
    "$@" > out.txt 2> err.txt
    local st=$?
    if [ "$st" != "$want" ]; then
        bad "$what (exit $st, expected $want)"; sed 's/^/    | /' out.txt err.txt | tail -10; return
    fi
    if [ "$want" = 1 ] && { [ "$(wc -l < err.txt)" != 1 ] || ! grep -q '^vireo-img: ' err.txt; }; then
        bad "$what: not one 'vireo-img: ...' line"; sed 's/^/    | /' err.txt; return
    fi
    ok "$what"
}
has() {   # has WHAT PATTERN FILE
    if grep -q -- "$2" "$3"; then ok "$1"; else bad "$1 (no '$2')"; sed 's/^/    | /' "$3" | head; fi
}

expect 0 "create raw 1.5M" "$V" create -f raw r.raw 1.5M
[ "$(stat -c %s r.raw)" = 1572864 ] && ok "raw size 1.5M = 1572864" || bad "raw size"
expect 0 "create qcow2 10G" "$V" create -f qcow2 a.qcow2 10G
has "create prints Formatting" "Formatting 'a.qcow2', fmt=qcow2 size=10737418240" out.txt
expect 0 "info qcow2" "$V" info a.qcow2
has "info: virtual size" "^virtual size: 10 GiB (10737418240 bytes)" out.txt
has "info: cluster_size" "^cluster_size: 65536" out.txt
has "info: compat" "^    compat: 1.1" out.txt
expect 0 "info --output=json raw" "$V" info --output=json -f raw r.raw
has "json: format raw" '"format": "raw"' out.txt
has "json: virtual-size" '"virtual-size": 1572864' out.txt
has "json: dirty-flag" '"dirty-flag": false' out.txt
expect 0 "create qcow2 with options" "$V" create -q -f qcow2 -o cluster_size=4k,compat=0.10,preallocation=metadata o.qcow2 1M
expect 0 "info of it (json)" "$V" info --output=json o.qcow2
has "json: cluster-size 4096" '"cluster-size": 4096' out.txt
has "json: compat 0.10" '"compat": "0.10"' out.txt
expect 0 "create with -b, size from the backing file" "$V" create -q -f qcow2 -b r.raw -F raw ov.qcow2
expect 0 "info of the overlay" "$V" info ov.qcow2
has "overlay: backing file" "^backing file: r.raw" out.txt
has "overlay: backing format" "^backing file format: raw" out.txt
has "overlay: size of the backing file" "(1572864 bytes)" out.txt

expect 1 "create: bad size" "$V" create -f raw x.raw 12Q
expect 1 "create: unknown format" "$V" create -f vmdk x.img 1M
expect 1 "create: bad cluster size" "$V" create -f qcow2 -o cluster_size=3000 x.qcow2 1M
expect 1 "create: unknown option" "$V" create -f qcow2 -o colour=blue x.qcow2 1M
expect 1 "create: missing backing file" "$V" create -f qcow2 -b nothere.raw -F raw x.qcow2 1M
expect 1 "create: no size" "$V" create -f qcow2 x.qcow2
expect 1 "info: missing file" "$V" info nothere.qcow2
expect 1 "unknown command" "$V" frobnicate
expect 1 "info: bad --output" "$V" info --output=xml a.qcow2

# convert: zero areas stay holes; -c makes compressed clusters; -p shows progress
"$V" create -q -f raw big.raw 256M
printf 'hello' | dd of=big.raw bs=1 seek=$((100 << 20)) conv=notrunc status=none
expect 0 "convert sparse raw -> qcow2" "$V" convert -O qcow2 big.raw big.qcow2
[ "$(stat -c %s big.qcow2)" -lt $((1 << 20)) ] && ok "zero areas are not written" || bad "qcow2 of a sparse raw is $(stat -c %s big.qcow2) bytes"
expect 0 "convert qcow2 -> raw" "$V" convert -f qcow2 -O raw big.qcow2 back.raw
cmp -s big.raw back.raw && ok "round trip is byte for byte" || bad "round trip differs"
[ "$(du -k back.raw | cut -f1)" -lt 1024 ] && ok "raw output is sparse" || bad "raw output not sparse"
yes "compressible text" | head -c 4M > text.raw
expect 0 "convert -c -p" "$V" convert -c -p -O qcow2 text.raw text.qcow2
has "progress reaches 100%" "100.00/100%" out.txt
expect 0 "check of the compressed image" "$V" check text.qcow2
has "check reports compressed clusters" "100.00% compressed clusters" out.txt
expect 1 "convert -c to raw" "$V" convert -c -O raw text.raw x.raw

# check: exit codes and repair
expect 0 "check clean" "$V" check a.qcow2
has "check: no errors" "No errors were found on the image." out.txt
expect 63 "check of a raw image" "$V" check -f raw r.raw
"$V" create -q -f qcow2 leak.qcow2 1M && truncate -s 1M leak.qcow2
printf '\000\001' | dd of=leak.qcow2 bs=1 seek=$((2 * 65536 + 20)) conv=notrunc status=none
expect 3 "check finds a leak" "$V" check leak.qcow2
has "leak line" "Leaked cluster 10 refcount=1 reference=0" err.txt
has "leak summary" "1 leaked clusters were found on the image." out.txt
expect 0 "check --output=json" "$V" check --output=json -U a.qcow2
has "check json" '"check-errors": 0' out.txt
expect 0 "check -r leaks repairs it" "$V" check -r leaks leak.qcow2
has "repair report" "The following inconsistencies were found and repaired:" out.txt
expect 0 "clean after the repair" "$V" check leak.qcow2
printf '\000\000' | dd of=leak.qcow2 bs=1 seek=$((2 * 65536)) conv=notrunc status=none
expect 2 "check finds a corruption" "$V" check leak.qcow2
has "corruption summary" "1 errors were found on the image." out.txt
expect 2 "-r leaks leaves the corruption" "$V" check -r leaks leak.qcow2
expect 0 "-r all repairs it" "$V" check -r all leak.qcow2
expect 0 "clean after -r all" "$V" check leak.qcow2

# hostile images: one line, exit 1
head -c 100 a.qcow2 > short.qcow2
expect 1 "truncated header" "$V" info short.qcow2
cp a.qcow2 ext.qcow2
printf '\000\000\000\000\000\000\000\020' | dd of=ext.qcow2 bs=1 seek=72 conv=notrunc status=none
expect 1 "unsupported incompatible feature" "$V" info ext.qcow2
has "feature named" "extended L2 entries" err.txt
cp a.qcow2 l1.qcow2
printf '\377\377\377\377' | dd of=l1.qcow2 bs=1 seek=36 conv=notrunc status=none
expect 1 "huge L1 table" "$V" check l1.qcow2
has "names the file" "l1.qcow2" err.txt

# resize
expect 0 "resize raw +1M" "$V" resize -f raw r.raw +1M
[ "$(stat -c %s r.raw)" = $((1572864 + 1048576)) ] && ok "raw grew" || bad "raw size after resize"
expect 1 "shrink without --shrink" "$V" resize -f raw r.raw -1M
expect 0 "shrink raw with --shrink" "$V" resize -f raw --shrink r.raw -1M
expect 0 "resize qcow2 to 20G" "$V" resize a.qcow2 20G
expect 0 "info after resize" "$V" info a.qcow2
has "new size" "(21474836480 bytes)" out.txt
expect 1 "shrink qcow2" "$V" resize --shrink a.qcow2 1G
expect 0 "check after resize" "$V" check a.qcow2
expect 0 "snapshot -l, none" "$V" snapshot -l a.qcow2
[ -s out.txt ] && bad "snapshot -l printed something for no snapshots" || ok "no snapshot list"

echo "$passes passed, $fails failed"
[ $fails = 0 ]
