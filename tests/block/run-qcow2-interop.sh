#!/bin/bash
# qcow2 interop with QEMU's qemu-img (Debian's qemu-utils), both ways:
#  - images qemu-img made and wrote (plain, compat=0.10, small clusters,
#    -c compressed, backing chains) read by Vireo byte for byte as
#    qemu-img reads them, and `vireo-img check` clean on them;
#  - images vireo-img made (every option) and Vireo wrote into (random
#    unaligned writes, zeroes, compressed clusters from 4 threads, COW over
#    qemu-made backing files, convert -c) pass `qemu-img check` and
#    `qemu-img compare` against a raw reference.
# qemu-img is installed with apt-get when missing and possible; otherwise
# the test prints a SKIP line and exits 77.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) b=$BUILD ;; *) b=$top/$BUILD ;; esac
V=$b/vireo-img
IO=$b/tests/block/vireo-io
for f in "$V" "$IO"; do
    [ -x "$f" ] || { echo "FAIL: $f not built"; exit 1; }
done
if ! command -v qemu-img >/dev/null || ! command -v qemu-io >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "installing qemu-utils for the interop test"
        timeout 180 apt-get install -y -q --no-install-recommends qemu-utils >/dev/null 2>&1 ||
            { timeout 120 apt-get update -q >/dev/null 2>&1 &&
              timeout 180 apt-get install -y -q --no-install-recommends qemu-utils >/dev/null 2>&1; }
    fi
fi
if ! command -v qemu-img >/dev/null || ! command -v qemu-io >/dev/null; then
    echo "SKIP: qemu-img/qemu-io not installed and qemu-utils could not be installed"
    exit 77
fi
echo "using $(qemu-img --version | head -1)"

t=$(mktemp -d "${TMPDIR:-/tmp}/vireo-interop-XXXXXX")
trap 'rm -rf "$t"' EXIT
cd "$t"
fails=0 passes=0
ok()   { passes=$((passes + 1)); echo "ok - $*"; }
bad()  { fails=$((fails + 1)); echo "not ok - $*"; }
# run CMD...: its output goes to the log, shown on failure
try() {
    local what=$1; shift
    if "$@" > out.log 2>&1; then ok "$what"; else bad "$what"; sed 's/^/    | /' out.log | tail -20; fi
}

# source data: random, zeros, text (compressible), a hole
head -c 3M /dev/urandom > data.raw
dd if=/dev/zero bs=1M count=2 status=none >> data.raw
yes "vireo reads what qemu wrote" | head -c 3M >> data.raw
truncate -s 10M data.raw

same_as_qemu() {   # IMAGE: Vireo's raw rendering equals qemu-img's
    rm -f v.raw q.raw
    "$V" convert -O raw "$1" v.raw && qemu-img convert -O raw "$1" q.raw && cmp v.raw q.raw
}

# 1. images qemu-img made and wrote
for o in "" "-o compat=0.10" "-o cluster_size=512" "-o cluster_size=2M" \
         "-o refcount_bits=1" "-o refcount_bits=64,cluster_size=4k" \
         "-o preallocation=metadata"; do
    rm -f q.qcow2
    qemu-img create -q -f qcow2 $o q.qcow2 16M
    qemu-io -c "write -P 0x5a 1000 200k" -c "write -P 0x11 5M 64k" -c "write -z 6M 128k" \
            -c "discard 5M 64k" -c "write -P 0x22 15M 1M" q.qcow2 > /dev/null
    try "qemu-img create $o + qemu-io writes: Vireo reads the same bytes" same_as_qemu q.qcow2
    try "qemu-img create $o: vireo-img check clean" "$V" check q.qcow2
done
qemu-img convert -c -f raw -O qcow2 data.raw qc.qcow2
try "qemu-img convert -c: Vireo reads compressed clusters" sh -c "'$V' convert -O raw qc.qcow2 v.raw && cmp v.raw data.raw"
try "qemu-img convert -c: vireo-img check clean" "$V" check qc.qcow2
qemu-img convert -c -o compat=0.10,cluster_size=4k -f raw -O qcow2 data.raw qc2.qcow2
try "qemu-img convert -c (v2, 4k clusters): Vireo reads it" sh -c "'$V' convert -O raw qc2.qcow2 v.raw && cmp v.raw data.raw"
# backing chain: raw <- qcow2 <- qcow2 (compressed base)
qemu-img create -q -f qcow2 -b data.raw -F raw mid.qcow2
qemu-io -c "write -P 0x33 100k 300k" -c "write -z 4M 64k" mid.qcow2 > /dev/null
qemu-img create -q -f qcow2 -b mid.qcow2 -F qcow2 top.qcow2 12M
qemu-io -c "write -P 0x44 250k 10k" -c "write -P 0x55 11M 100k" top.qcow2 > /dev/null
try "qemu-img backing chain raw<-qcow2<-qcow2: Vireo reads the same bytes" same_as_qemu top.qcow2
try "qemu-img backing chain: vireo-img check clean" "$V" check top.qcow2
qemu-img create -q -f qcow2 -b qc.qcow2 -F qcow2 overc.qcow2
try "overlay of a compressed image: Vireo reads the same bytes" same_as_qemu overc.qcow2
try "vireo-img info --output=json equals qemu-img's" sh -c "'$V' info --output=json top.qcow2 > v.json && qemu-img info --output=json top.qcow2 > q.json && diff q.json v.json"
try "vireo-img info (human) equals qemu-img's" sh -c "'$V' info mid.qcow2 | grep -v '^disk size' > v.txt && qemu-img info mid.qcow2 | grep -v '^disk size' > q.txt && diff q.txt v.txt"
qemu-img snapshot -c first qc.qcow2
try "vireo-img snapshot -l lists qemu's internal snapshot" sh -c "'$V' snapshot -l qc.qcow2 | grep -q ' first '"
try "vireo-img check clean with an internal snapshot" "$V" check qc.qcow2

# 2. images vireo-img made and Vireo wrote
n=0
for o in "" "-o compat=0.10" "-o cluster_size=512" "-o cluster_size=2M" "-o refcount_bits=1" \
         "-o refcount_bits=64,cluster_size=4k" "-o preallocation=metadata" \
         "-o compat=0.10,cluster_size=1k,preallocation=metadata"; do
    n=$((n + 1))
    rm -f v.qcow2 ref.raw
    "$V" create -q -f qcow2 $o v.qcow2 24M && truncate -s 24M ref.raw
    try "vireo-img create $o: qemu-img check clean" qemu-img check v.qcow2
    try "vireo-img create $o + Vireo writes from 4 threads" "$IO" v.qcow2 qcow2 ref.raw 60 $n
    try "vireo-img create $o + writes: qemu-img check clean" qemu-img check v.qcow2
    try "vireo-img create $o + writes: qemu-img reads what Vireo wrote" qemu-img compare -f raw -F qcow2 ref.raw v.qcow2
done
# copy-on-write over qemu's images: a raw base, and a compressed qcow2 base
for base in data.raw:raw qc2.qcow2:qcow2; do
    f=${base%%:*} fmt=${base##*:}
    rm -f ov.qcow2 ref.raw
    "$V" create -q -f qcow2 -b "$f" -F $fmt -o cluster_size=4k ov.qcow2
    qemu-img convert -O raw "$f" ref.raw
    try "Vireo writes over backing $f (COW)" "$IO" ov.qcow2 qcow2 ref.raw 40 7
    try "COW over $f: qemu-img check clean" qemu-img check ov.qcow2
    try "COW over $f: qemu-img reads what Vireo wrote" qemu-img compare -f raw -F qcow2 ref.raw ov.qcow2
done
# vireo-img convert (plain and -c) read by qemu-img
try "vireo-img convert -O qcow2: qemu-img compare" sh -c "'$V' convert -O qcow2 data.raw vc.qcow2 && qemu-img check vc.qcow2 && qemu-img compare data.raw vc.qcow2"
try "vireo-img convert -c: qemu-img check and compare" sh -c "'$V' convert -c -O qcow2 data.raw vcc.qcow2 && qemu-img check vcc.qcow2 | grep -q compressed && qemu-img compare data.raw vcc.qcow2"
try "vireo-img convert -c is smaller than plain" test "$(stat -c %s vcc.qcow2)" -lt "$(stat -c %s vc.qcow2)"
try "vireo-img convert -c -o compat=0.10,cluster_size=4k: qemu-img compare" sh -c "'$V' convert -c -o compat=0.10,cluster_size=4k -O qcow2 top.qcow2 vcc2.qcow2 && qemu-img check vcc2.qcow2 && qemu-img compare top.qcow2 vcc2.qcow2"
try "vireo-img resize of a qcow2: qemu-img check and size" sh -c "'$V' resize vc.qcow2 +3G && qemu-img check vc.qcow2 && qemu-img info --output=json vc.qcow2 | grep -q '\"virtual-size\": 3231711232'"
try "a leak qemu-img check reports is repaired by vireo-img check -r leaks" sh -c "
    '$V' create -q -f qcow2 leak.qcow2 1M && truncate -s 1M leak.qcow2 &&
    printf '\\000\\001' | dd of=leak.qcow2 bs=1 seek=\$((2 * 65536 + 20)) conv=notrunc status=none &&
    { qemu-img check leak.qcow2; [ \$? = 3 ]; } && { '$V' check leak.qcow2; [ \$? = 3 ]; } &&
    '$V' check -r leaks leak.qcow2 && qemu-img check leak.qcow2"

echo "$passes passed, $fails failed"
[ $fails = 0 ]
