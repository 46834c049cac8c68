#!/bin/bash
# Two Vireo instances on one virtual wire: -netdev socket,listen= on the
# first and -netdev socket,connect= on the second (127.0.0.1 only), each
# with a virtio-net-pci NIC and Debian's kernel.  The guests give
# themselves addresses on a private link and ping each other; we assert on
# both guests' ping statistics.  Then guest b sends 2 MiB of random data
# over TCP to busybox nc listening in guest a: b's driver uses TSO, so
# Vireo cuts its large frames into MTU-sized segments for the socket
# backend (net/gso.c), and a's sha256 of what arrived must equal b's.
# Then two more instances on one multicast group (mcast=, localaddr=
# 127.0.0.1) ping each other.
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
cmd() {   # cmd MYADDR PEERADDR ROLE
    # the two guests boot at their own pace: wait (up to 90 s) until the
    # peer answers, then count 3 pings; then the TCP transfer, b to a
    local tcp
    if [ "$3" = recv ]; then
        tcp="r0=\$(cat /sys/class/net/eth0/statistics/rx_packets); timeout 120 nc -l -p 5000 > /tmp/r; sha256sum /tmp/r | sed s/^/recv-sha=/; echo recv-frames=\$((\$(cat /sys/class/net/eth0/statistics/rx_packets) - r0))"
    else
        tcp="dd if=/dev/urandom of=/tmp/s bs=65536 count=32 2>/dev/null; sha256sum /tmp/s | sed s/^/send-sha=/; t0=\$(cat /sys/class/net/eth0/statistics/tx_packets); for t in \$(seq 60); do nc $2 5000 < /tmp/s && break; sleep 1; done; echo send-frames=\$((\$(cat /sys/class/net/eth0/statistics/tx_packets) - t0))"
    fi
    echo "ifconfig eth0 $1 netmask 255.255.255.0 up; for t in \$(seq 90); do ping -c 1 -W 1 $2 >/dev/null 2>&1 && break; done; ping -c 3 -w 30 $2; echo ping-done; $tcp; echo tcp-done; sleep 4"
}
run() {   # run NAME MAC NETDEV-OPTS MY PEER ROLE
    timeout "$vm_timeout" "$VIREO" -nographic -no-reboot -m 256 -kernel "$kernel" -initrd "$initrd" \
        -netdev socket,id=n0,$3 -device virtio-net-pci,netdev=n0,mac=$2,guest_tso4=off,guest_tso6=off \
        -append "console=ttyS0 quiet vireo.cmd=\"$(cmd $4 $5 $6)\" vireo.end" </dev/null >"$out/$1.log" 2>&1
}
run a 52:54:00:00:77:01 listen=127.0.0.1:$port 192.168.77.1 192.168.77.2 recv &
pa=$!
for _ in $(seq 100); do
    python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$port),0.2)" 2>/dev/null && break
    sleep 0.1
done
# (that probe connection took the listener's one peer slot and closed: the
# listener accepts again)
sleep 0.5
run b 52:54:00:00:77:02 connect=127.0.0.1:$port 192.168.77.2 192.168.77.1 send &
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
sent=$(sed -n 's/^send-sha=\([0-9a-f]*\) .*/\1/p' "$out/b.log" | head -n1)
got=$(sed -n 's/^recv-sha=\([0-9a-f]*\) .*/\1/p' "$out/a.log" | head -n1)
if [ -n "$sent" ] && [ "$sent" = "$got" ]; then
    echo "ok - 2 MiB over TCP from guest b to guest a, sha256 $sent"
else
    echo "not ok - TCP from b to a: b sent ${sent:-nothing}, a got ${got:-nothing}"
    fail=1
fi
# a's driver counts the wire frames it got (guest_tso4=off: Vireo gives
# them to it as they come, not coalesced), b's the (TSO) frames it sent:
# 2 MiB at a 1500-byte MTU is at least 1400 frames on the wire; only
# Vireo cutting b's TSO frames makes a get more frames than b sent (how
# many segments Linux puts in a TSO frame follows its pacing, so the
# margin asked for is small: 10%)
sf=$(sed -n 's/^send-frames=\([0-9]*\).*/\1/p' "$out/b.log" | head -n1)
rf=$(sed -n 's/^recv-frames=\([0-9]*\).*/\1/p' "$out/a.log" | head -n1)
if [ -n "$sf" ] && [ -n "$rf" ] && [ "$rf" -ge 1400 ] && [ $((sf * 10)) -lt $((rf * 9)) ]; then
    echo "ok - TSO: guest b's driver sent $sf frames, Vireo put $rf MTU-sized ones on the wire"
else
    echo "not ok - TSO: b's driver sent ${sf:-?} frames, a received ${rf:-?} (want >= 1400, and over 10% more than b's)"
    fail=1
fi

# -netdev socket,mcast=: two more instances on one multicast group (on the
# loopback interface, localaddr=127.0.0.1) ping each other
mport=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mrun() {   # mrun NAME MAC MY PEER
    timeout "$vm_timeout" "$VIREO" -nographic -no-reboot -m 256 -kernel "$kernel" -initrd "$initrd" \
        -netdev socket,id=n0,mcast=230.0.0.1:$mport,localaddr=127.0.0.1 \
        -device virtio-net-pci,netdev=n0,mac=$2 \
        -append "console=ttyS0 quiet vireo.cmd=\"ifconfig eth0 $3 netmask 255.255.255.0 up; for t in \$(seq 90); do ping -c 1 -W 1 $4 >/dev/null 2>&1 \&\& break; done; ping -c 3 -w 30 $4; sleep 4\" vireo.end" \
        </dev/null >"$out/$1.log" 2>&1
}
# does this host carry multicast on its loopback interface at all?
if ! python3 - "$mport" <<'PY'
import socket, struct, sys
port = int(sys.argv[1])
r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
r.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
r.bind(("", port))
lo = socket.inet_aton("127.0.0.1")
r.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, socket.inet_aton("230.0.0.1") + lo)
w = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
w.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, lo)
w.sendto(b"probe", ("230.0.0.1", port))
r.settimeout(2)
sys.exit(0 if r.recv(16) == b"probe" else 1)
PY
then
    echo "ok - mcast # SKIP no multicast on this host's loopback interface"
    exit $fail
fi
mrun c 52:54:00:00:78:01 192.168.78.1 192.168.78.2 &
pc=$!
mrun d 52:54:00:00:78:02 192.168.78.2 192.168.78.1 &
pd=$!
wait $pc; sc=$?
wait $pd; sd=$?
for x in c:$sc d:$sd; do
    n=${x%%:*} st=${x#*:}
    log=$out/$n.log
    if [ "$st" -eq 0 ] && grep -qa '3 packets transmitted, 3 packets received, 0% packet loss' "$log"; then
        echo "ok - mcast guest $n: $(grep -a 'packets transmitted' "$log" | head -n1 | tr -d '\r')"
    else
        echo "not ok - mcast guest $n: status $st, $(grep -a 'packets transmitted' "$log" | tr -d '\r')"
        fail=1
    fi
done
exit $fail
