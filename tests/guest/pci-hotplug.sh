#!/bin/bash
# Guest test: ACPI PCI hot-plug under Debian's kernel (its acpiphp driver).
# QMP device_add puts a virtio-blk-pci on an if=none drive into a running
# guest: the guest must find the new PCI function, bind virtio_blk and read
# the marker written at the start of the image.  QMP device_del then asks
# the guest to let go: the disk must disappear from the guest, QMP must say
# DEVICE_DELETED, and the -drive must be gone with its device (query-block).
# The same for an e1000 NIC on a -netdev user (its eth appears and goes).
#   exit 0 pass, 1 fail, 77 skip (no guest).  BOOT_TIMEOUT=300 (s)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
VIREO=${VIREO:-$BUILD/vireo}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-300}
grep -qs '^CONFIG_SANITIZERS=yes' "$BUILD/config.mak" && BOOT_TIMEOUT=${BOOT_TIMEOUT_ASAN:-900}
out=$BUILD/tests/guest/pci-hotplug
mkdir -p "$out"
[ -x "$VIREO" ] || { echo "FAIL: $VIREO not built"; exit 1; }
mapfile -t guest < <(GUEST_MODULES="virtio_pci virtio_blk e1000" "$top/scripts/make-linux-guest.sh" 2>"$out/fetch.log")
kernel=${guest[0]:-}; initrd=${guest[1]:-}
if [ ! -f "$kernel" ] || [ ! -f "$initrd" ]; then
    echo "SKIP: cannot build the Linux guest (see $out/fetch.log)"; exit 77
fi
command -v python3 >/dev/null || { echo "SKIP: no python3 for the QMP client"; exit 77; }

img=$out/disk.img qmp=$out/qmp.sock log=$out/serial.log events=$out/qmp.log
rm -f "$img" "$qmp" && truncate -s 16M "$img"
printf 'vireo-hotplug-marker' | dd of="$img" conv=notrunc status=none
# The guest reports each step and waits (bounded) for the next.  After
# the last one it stays up a while: Linux's acpiphp removes the function
# (its eth goes) before it evaluates _EJ0, the eject that makes the host
# delete the device, and a guest powering off at once can beat that.
cmd='w() { i=0; while [ $i -lt 600 ] && ! eval "$1"; do sleep 0.2; i=$((i+1)); done; }
echo vireo-ready
w "[ -e /sys/block/vda ]"; echo vda-size=$(cat /sys/block/vda/size) vda-data=$(head -c 20 /dev/vda)
w "[ ! -e /sys/block/vda ]"; echo vda-gone
w "ls /sys/class/net | grep -q eth"; echo eth-up=$(ls /sys/class/net | grep eth)
w "! ls /sys/class/net | grep -q eth"; echo eth-gone; sleep 3'
timeout -k 5 $((BOOT_TIMEOUT + 10)) "$VIREO" -nographic -m 256 -nic none \
    -drive if=none,id=hd1,file="$img",format=raw -netdev user,id=n1 \
    -qmp unix:"$qmp",server=on,wait=off -kernel "$kernel" -initrd "$initrd" \
    -append "console=ttyS0 quiet vireo.cmd=\"$cmd\" vireo.end" </dev/null >"$log" 2>&1 &
pid=$!
python3 - "$qmp" "$log" "$BOOT_TIMEOUT" >"$events" 2>&1 <<'PY'
import json, socket, sys, time
sock, log, limit = sys.argv[1], sys.argv[2], float(sys.argv[3])
t0 = time.time()
def wait_log(word):
    while time.time() - t0 < limit:
        try:
            if word in open(log, errors="replace").read():
                return True
        except OSError:
            pass
        time.sleep(0.2)
    print("timeout waiting for", word); return False
if not wait_log("vireo-ready"):
    sys.exit(1)
s = socket.socket(socket.AF_UNIX); s.connect(sock); f = s.makefile("rw")
f.readline()
def cmd(c, **a):
    f.write(json.dumps({"execute": c, "arguments": a}) + "\n"); f.flush()
    while True:
        r = json.loads(f.readline())
        if "event" in r:
            print("event", json.dumps(r["event"]), json.dumps(r.get("data", {})))
        elif "return" in r or "error" in r:
            print(c, json.dumps(r)); return r
def wait_event(name):
    s.settimeout(max(1, limit - (time.time() - t0)))
    while True:
        r = json.loads(f.readline())
        if "event" in r:
            print("event", json.dumps(r["event"]), json.dumps(r.get("data", {})))
            if r["event"] == name:
                return r
cmd("qmp_capabilities")
cmd("device_add", driver="virtio-blk-pci", drive="hd1", id="hot0")
wait_log("vda-size=")
cmd("device_del", id="hot0")
wait_event("DEVICE_DELETED")
r = cmd("query-block")
print("drives", json.dumps([b["device"] for b in r["return"]]))
wait_log("vda-gone")
cmd("device_add", driver="e1000", netdev="n1", id="nic0", addr="7")
wait_log("eth-up=")
cmd("device_del", id="nic0")
wait_event("DEVICE_DELETED")
wait_log("eth-gone")
PY
wait $pid
tr -d '\r' <"$log" >"$log.tmp" && mv "$log.tmp" "$log"

fails=0
ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; fails=$((fails + 1)); }
grep -q '^device_add {"return": {}}' "$events" && ok "QMP device_add virtio-blk-pci answered {}" ||
    notok "device_add: $(grep device_add "$events")"
grep -q '^vda-size=32768 vda-data=vireo-hotplug-marker$' "$log" &&
    ok "the guest found the hot-plugged disk: 32768 sectors, the marker read back" ||
    notok "no vda-size=32768 vda-data=vireo-hotplug-marker in $log"
grep -q '^event "DEVICE_DELETED" {"device": "hot0", "path": "/machine/peripheral/hot0"}' "$events" &&
    ok "device_del hot0: the guest ejected it, DEVICE_DELETED" || notok "no DEVICE_DELETED for hot0 ($events)"
grep -q '^drives \[\]$' "$events" && ok "the -drive went with its device (query-block is empty)" ||
    notok "drives left: $(grep '^drives' "$events")"
grep -q '^vda-gone$' "$log" && ok "the disk is gone from the guest" || notok "no vda-gone in $log"
grep -q '^eth-up=eth0$' "$log" && ok "the hot-plugged e1000 is the guest's eth0" || notok "no eth-up=eth0 in $log"
grep -q '^event "DEVICE_DELETED" {"device": "nic0"' "$events" && ok "device_del nic0: DEVICE_DELETED" ||
    notok "no DEVICE_DELETED for nic0 ($events)"
grep -q '^eth-gone$' "$log" && ok "eth0 is gone from the guest" || notok "no eth-gone in $log"
[ $fails -eq 0 ]
