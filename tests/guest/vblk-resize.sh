#!/bin/bash
# Guest test: block_resize under a running guest.  Debian's kernel with its
# virtio_blk module sees a 64 MiB if=none drive on -device virtio-blk-pci;
# QMP block_resize makes it 128 MiB, and the guest's driver must report the
# new capacity ("detected capacity change"; /sys/block/vda/size 262144).
#   exit 0 pass, 1 fail, 77 skip (no guest).  BOOT_TIMEOUT=300 (s)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
VIREO=${VIREO:-$BUILD/vireo}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-300}
grep -qs '^CONFIG_SANITIZERS=yes' "$BUILD/config.mak" && BOOT_TIMEOUT=${BOOT_TIMEOUT_ASAN:-900}
out=$BUILD/tests/guest/vblk-resize
mkdir -p "$out"
[ -x "$VIREO" ] || { echo "FAIL: $VIREO not built"; exit 1; }
mapfile -t guest < <(GUEST_MODULES="virtio_pci virtio_blk" "$top/scripts/make-linux-guest.sh" 2>"$out/fetch.log")
kernel=${guest[0]:-}; initrd=${guest[1]:-}
if [ ! -f "$kernel" ] || [ ! -f "$initrd" ]; then
    echo "SKIP: cannot build the Linux guest (see $out/fetch.log)"; exit 77
fi
command -v python3 >/dev/null || { echo "SKIP: no python3 for the QMP client"; exit 77; }

img=$out/disk.img qmp=$out/qmp.sock log=$out/serial.log
rm -f "$img" "$qmp" && truncate -s 64M "$img"
# the guest waits for the new size (Vireo's timeout bounds it), then reports
cmd='echo size1=$(cat /sys/block/vda/size); echo vireo-ready; while grep -qx 131072 /sys/block/vda/size; do sleep 0.2; done; echo size2=$(cat /sys/block/vda/size); dmesg | grep vda'
timeout -k 5 $((BOOT_TIMEOUT + 10)) "$VIREO" -nographic -m 256 \
    -drive if=none,id=d0,file="$img",format=raw -device virtio-blk-pci,drive=d0 \
    -qmp unix:"$qmp",server=on,wait=off -kernel "$kernel" -initrd "$initrd" \
    -append "console=ttyS0 quiet vireo.cmd=\"$cmd\" vireo.end" </dev/null >"$log" 2>&1 &
pid=$!
t=0
while [ $t -lt $((BOOT_TIMEOUT * 5)) ] && ! grep -qa '^vireo-ready' "$log" 2>/dev/null; do
    kill -0 $pid 2>/dev/null || break
    sleep 0.2
    t=$((t + 1))
done
reply=$(python3 - "$qmp" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rw")
f.readline()
for c in ({"execute": "qmp_capabilities"},
          {"execute": "block_resize", "arguments": {"device": "d0", "size": 128 << 20}}):
    f.write(json.dumps(c) + "\n"); f.flush()
    while True:
        r = json.loads(f.readline())
        if "return" in r or "error" in r:
            break
print(json.dumps(r))
PY
)
wait $pid
tr -d '\r' <"$log" >"$log.tmp" && mv "$log.tmp" "$log"

fails=0
ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; fails=$((fails + 1)); }
grep -q '^size1=131072$' "$log" && ok "the guest sees 64 MiB (131072 sectors)" || notok "no size1=131072 in $log"
[ "$reply" = '{"return": {}}' ] && ok "QMP block_resize to 128 MiB answered {}" || notok "block_resize: $reply"
[ "$(stat -c %s "$img")" = 134217728 ] && ok "the image is 128 MiB" || notok "image size $(stat -c %s "$img")"
grep -q 'vda: detected capacity change from 131072 to 262144' "$log" &&
    ok "the guest's driver: detected capacity change from 131072 to 262144" ||
    notok "no capacity change in the guest's log ($log)"
grep -q '^size2=262144$' "$log" && ok "/sys/block/vda/size is 262144" || notok "no size2=262144 in $log"
[ $fails -eq 0 ]
