#!/bin/bash
# Two Vireo instances on one virtual wire: -netdev socket,listen= on the
# first and -netdev socket,connect= on the second (127.0.0.1 only), each
# with a virtio-net-pci NIC and Debian's kernel.  The guests give
# themselves addresses on a private link and ping each other; we assert on
# both guests' ping statistics.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
BUILD=${BUILD:-build}
VIREO=${VIREO:-$BUILD/vireo}
vm_timeout=300     # each VM; the sanitizer build runs guests several times slower
grep -qs '^CONFIG_SANITIZERS=yes' "$BUILD/config.mak" && vm_timeout=900
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
out=$BUILD/tests/net-socket
mkdir -p "$out"
mapfile -t guest < <(GUEST_MODULES="virtio_pci virtio_net" scripts/make-linux-guest.sh) ||
    { echo "cannot build the guest"; exit 1; }
kernel=${guest[0]} initrd=${guest[1]}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cmd() {   # cmd MYADDR PEERADDR
    # the two guests boot at their own pace: wait (up to 90 s) until the
    # peer answers, then count 3 pings
    echo "ifconfig eth0 $1 netmask 255.255.255.0 up; for t in \$(seq 90); do ping -c 1 -W 1 $2 >/dev/null 2>&1 && break; done; ping -c 3 -w 30 $2; echo ping-done; sleep 8"
}
run() {   # run NAME MAC NETDEV-OPTS MY PEER
    timeout "$vm_timeout" "$VIREO" -nographic -no-reboot -m 256 -kernel "$kernel" -initrd "$initrd" \
        -netdev socket,id=n0,$3 -device virtio-net-pci,netdev=n0,mac=$2 \
        -append "console=ttyS0 quiet vireo.cmd=\"$(cmd $4 $5)\" vireo.end" </dev/null >"$out/$1.log" 2>&1
}
run a 52:54:00:00:77:01 listen=127.0.0.1:$port 192.168.77.1 192.168.77.2 &
pa=$!
for _ in $(seq 100); do
    python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$port),0.2)" 2>/dev/null && break
    sleep 0.1
done
# (that probe connection took the listener's one peer slot and closed: the
# listener accepts again)
sleep 0.5
run b 52:54:00:00:77:02 connect=127.0.0.1:$port 192.168.77.2 192.168.77.1 &
pb=$!
wait $pa; sa=$?
wait $pb; sb=$?
fail=0
for x in a:$sa b:$sb; do
    n=${x%%:*} st=${x#*:}
    log=$out/$n.log
    if [ "$st" -eq 0 ]; then echo "ok - guest $n powered off"; else echo "not ok - guest $n: exit status $st"; fail=1; fi
    if grep -qa '3 packets transmitted, 3 packets received, 0% packet loss' "$log"; then
        echo "ok - guest $n: $(grep -a 'packets transmitted' "$log" | head -n1 | tr -d '\r')"
    else
        echo "not ok - guest $n: no replies ($(grep -a 'packets transmitted' "$log" | tr -d '\r'))"
        fail=1
    fi
done
exit $fail
