#!/bin/bash
# I/O accounting against a real guest (issue #12 part 5): Debian's kernel
# with its own virtio_blk, virtio_net and e1000 modules on a virtio-blk-pci
# disk and two NICs (e1000, virtio-net-pci) over -nic user.  The guest gets
# a DHCP lease on each NIC, then reads the disk exactly 7 times 12 KiB and
# writes it exactly 3 times 20 KiB with O_DIRECT (one virtio request each:
# sizes nothing else in the guest uses), and powers off; Vireo stays
# (-no-shutdown) and HMP "info iostats" is read.  Checked:
#   - the -iostats-trace file holds exactly 7 virtio-blk reads of 12288
#     bytes and 3 writes of 20480, each with a latency;
#   - info iostats shows, for the disk and for each NIC, requests, register
#     exits and interrupts (non-zero), the disk's read and write kinds with
#     histograms, and DHCP's frames both ways on each NIC.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
BUILD=${BUILD:-build}
VIREO=${VIREO:-$BUILD/vireo}
TIMEOUT=${BOOT_TIMEOUT:-240}
grep -qs '^CONFIG_SANITIZERS=yes' "$BUILD/config.mak" && TIMEOUT=${BOOT_TIMEOUT_ASAN:-900}
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
avail=$("$VIREO" -nic user,model=help 2>/dev/null)
for m in e1000 virtio-net-pci; do
    grep -qx "$m" <<<"$avail" || { echo "SKIP: no $m"; exit 77; }
done
out=$BUILD/tests/iostats-linux
rm -rf "$out" && mkdir -p "$out" || exit 1
fail=0 n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); echo "not ok $n - $*"; fail=1; }

mapfile -t guest < <(GUEST_MODULES="virtio_pci virtio_blk virtio_net e1000" \
                     scripts/make-linux-guest.sh 2>"$out/guest.err")
if [ "${#guest[@]}" -lt 2 ]; then
    echo "SKIP: Linux guest not available: $(tail -n1 "$out/guest.err")"
    exit 77
fi
disk=$out/disk.img
truncate -s 8M "$disk"
sock=$out/hmp.sock
log=$out/serial.log
trace=$out/trace.json
cmds="for i in /sys/class/net/eth*; do i=\${i##*/}; ip link set \$i up; done; sleep 2; for i in /sys/class/net/eth*; do timeout 60 udhcpc -i \${i##*/} -n -q -t 10; done; dd if=/dev/vda of=/dev/null bs=12288 count=7 skip=50 iflag=direct; dd if=/dev/zero of=/dev/vda bs=20480 count=3 seek=100 oflag=direct; echo workload-done"
"$VIREO" -m 256 -display none -no-reboot -no-shutdown -serial "file:$log" \
    -monitor "unix:$sock,server,nowait" -iostats-trace "$trace" \
    -drive "file=$disk,format=raw,if=virtio" \
    -nic user,model=e1000 -nic user,model=virtio-net-pci \
    -kernel "${guest[0]}" -initrd "${guest[1]}" \
    -append "console=ttyS0 quiet vireo.cmd=\"$cmds\" vireo.end" > "$out/vireo.log" 2>&1 &
vpid=$!
done_=""
for _ in $(seq $((TIMEOUT * 2))); do
    grep -qa '^workload-done' "$log" 2>/dev/null && { done_=1; break; }
    kill -0 $vpid 2>/dev/null || break
    sleep 0.5
done
[ -n "$done_" ] && ok "the guest ran its DHCP and disk workload" ||
    notok "the guest did not finish its workload (see $log)"
sleep 2     # the guest powers off; Vireo stays
python3 "$top/tests/guest/hmp.py" "$sock" "info iostats" > "$out/iostats.txt" 2>&1
python3 "$top/tests/guest/hmp.py" "$sock" quit > /dev/null 2>&1
wait $vpid 2>/dev/null
tr -d '\r' < "$out/iostats.txt" > "$out/iostats.clean" && mv "$out/iostats.clean" "$out/iostats.txt"

# the trace: exactly the guest's direct reads and writes
python3 - "$trace" > "$out/trace-check.txt" 2>&1 <<'PY'
import json, sys
ev = json.load(open(sys.argv[1]))
blk = [e for e in ev if e.get("ph") == "X" and e.get("cat") == "block"]
reads = [e for e in blk if e["name"] == "read" and e["args"]["bytes"] == 12288]
writes = [e for e in blk if e["name"] == "write" and e["args"]["bytes"] == 20480]
assert all(e["dur"] >= 0 for e in reads + writes)
print("reads", len(reads), "writes", len(writes), "device",
      ",".join(sorted({e["args"]["device"] for e in reads + writes})))
PY
if grep -qx 'reads 7 writes 3 device virtio-blk-pci.0' "$out/trace-check.txt"; then
    ok "trace: exactly 7 reads of 12 KiB and 3 writes of 20 KiB on virtio-blk-pci.0"
else
    notok "trace: $(tr '\n' ' ' < "$out/trace-check.txt" | head -c 300)"
fi

# info iostats: one section per device; the figures of the one named $1
section() { awk -v d="$1" '/^[^ ].* \((net|block)\): /{p = ($1 == d)} p' "$out/iostats.txt"; }
for dev in $(awk '/^[^ ].* \(net\): /{print $1}' "$out/iostats.txt") virtio-blk-pci.0; do
    hdr=$(section "$dev" | head -n1)
    reqs=$(sed -n 's/.*): \([0-9]*\) requests (\([0-9]*\) tx, \([0-9]*\) rx).*/\1 \2 \3/p' <<<"$hdr")
    read -r total tx rx <<<"${reqs:-0 0 0}"
    exits=$(section "$dev" | awk '$1 == "exits" {print $2; exit}')
    irqs=$(section "$dev" | awk '$1 == "interrupts" {print $2; exit}')
    if [ "${total:-0}" -gt 0 ] && [ "${tx:-0}" -gt 0 ] && [ "${rx:-0}" -gt 0 ] &&
       [ "${exits:-0}" -gt 0 ] && [ "${irqs:-0}" -gt 0 ]; then
        ok "info iostats $dev: $total requests ($tx tx, $rx rx), $exits exits, $irqs interrupts"
    else
        notok "info iostats $dev: '$hdr', exits '${exits:-}', interrupts '${irqs:-}'"
    fi
done
[ "$(awk '/^[^ ].* \(net\): /' "$out/iostats.txt" | wc -l)" -eq 2 ] && ok "info iostats lists both NICs" ||
    notok "info iostats lists $(awk '/^[^ ].* \(net\): /' "$out/iostats.txt" | wc -l) NICs, want 2"
for kind in read write; do
    line=$(section virtio-blk-pci.0 | grep -E "^  $kind: [0-9]+ requests")
    hist=$(section virtio-blk-pci.0 | grep -A2 -E "^  $kind: " | grep -E '^    (latency|size) ' | wc -l)
    if [ -n "$line" ] && [ "$hist" -eq 2 ]; then
        ok "info iostats virtio-blk-pci.0 $kind:${line#*:}"
    else
        notok "info iostats virtio-blk-pci.0: no $kind requests with histograms"
    fi
done
echo "1..$n"
exit $fail
