#!/bin/bash
# Multiqueue virtio-net with Debian's kernel on two vCPUs:
#   -netdev user,queues=2 -device virtio-net-pci,mq=on
# and its virtio_net module.  We assert on what the guest reports:
#   - eth0 has queues rx-0 rx-1 tx-0 tx-1 (VIRTIO_NET_F_MQ negotiated, and
#     the driver set two pairs over the control queue);
#   - two wget downloads of 4 MiB from an HTTP server on the host's
#     127.0.0.1, one pinned to each CPU, both with the host's sha256;
#   - /proc/interrupts: each of the four data queues raised interrupts,
#     so both pairs carried traffic (XPS picks the CPU's transmit queue,
#     Vireo's receive steering follows each flow back to its pair).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
BUILD=${BUILD:-build}
VIREO=${VIREO:-$BUILD/vireo}
vm_timeout=300     # the sanitizer build runs guests several times slower
grep -qs '^CONFIG_SANITIZERS=yes' "$BUILD/config.mak" && vm_timeout=900
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
"$VIREO" -nic user,model=help 2>/dev/null | grep -qx virtio-net-pci ||
    { echo "SKIP: virtio-net-pci not built"; exit 77; }
out=$BUILD/tests/net-mq
mkdir -p "$out"
fail=0
ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; fail=1; }
mapfile -t guest < <(GUEST_MODULES="virtio_pci virtio_net" scripts/make-linux-guest.sh) ||
    { echo "cannot build the guest"; exit 1; }
kernel=${guest[0]} initrd=${guest[1]}

. tests/guest/http-blob.inc
http_blob 4
trap 'kill $http_pid 2>/dev/null' EXIT

url=http://10.0.2.2:$hport/blob
cmds="echo queues=\$(ls /sys/class/net/eth0/queues | tr '\n' ' '); ip link set eth0 up; sleep 1; timeout 60 udhcpc -i eth0 -n -q -t 10 >/dev/null; taskset 1 wget -q -O /tmp/a $url; taskset 2 wget -q -O /tmp/b $url; sha256sum /tmp/a /tmp/b | sed s/^/sha=/; grep virtio0- /proc/interrupts | sed s/^/irq=/"
log=$out/guest.log
timeout "$vm_timeout" "$VIREO" -smp 2 -m 256 -nographic -no-reboot -kernel "$kernel" -initrd "$initrd" \
    -netdev user,id=n0,queues=2 -device virtio-net-pci,netdev=n0,mq=on \
    -append "console=ttyS0 quiet vireo.cmd=\"$cmds\" vireo.end" </dev/null >"$log" 2>&1
st=$?
[ $st -eq 0 ] && ok "guest powered off, status 0" || notok "exit status $st (log $log)"
tr -d '\r' < "$log" | grep -qa '^queues=rx-0 rx-1 tx-0 tx-1 *$' && ok "eth0 has two queue pairs" ||
    notok "eth0's queues: $(grep -a '^queues=' "$log" | tr -d '\r')"
for f in a b; do
    grep -qa "^sha=$want  /tmp/$f" "$log" && ok "download on CPU $([ $f = a ] && echo 0 || echo 1): sha256 matches" ||
        notok "download /tmp/$f: sha256 differs or missing"
done
# per queue: the sum of its per-CPU interrupt counts
for q in input.0 output.0 input.1 output.1; do
    n=$(tr -d '\r' < "$log" | awk -v q="virtio0-$q" '/^irq=/ && $NF == q { s = 0; for (i = 2; i <= NF; i++) if ($i ~ /^[0-9]+$/) s += $i; print s }')
    [ -n "$n" ] && [ "$n" -gt 0 ] && ok "queue $q raised $n interrupts" ||
        notok "queue $q: ${n:-no line in /proc/interrupts}"
done
exit $fail
