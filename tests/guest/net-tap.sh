#!/bin/bash
# -netdev tap: Debian's kernel on a virtio-net-pci NIC whose backend is a
# host TAP interface Vireo creates (ifname=, script=no).  The host gives
# the interface 192.168.79.1/24, the guest takes 192.168.79.2; each pings
# the other, and the host reads a token from busybox nc in the guest over
# TCP.  Without CAP_NET_ADMIN Vireo must refuse -netdev tap with one line
# naming /dev/net/tun and exit 1.  Needs /dev/net/tun, iproute2 and the
# right to create interfaces (root); SKIPs visibly otherwise.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
BUILD=${BUILD:-build}
VIREO=${VIREO:-$BUILD/vireo}
vm_timeout=300
grep -qs '^CONFIG_SANITIZERS=yes' "$BUILD/config.mak" && vm_timeout=900
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
command -v ip >/dev/null || { echo "SKIP: no ip (iproute2)"; exit 77; }
[ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun"; exit 77; }
ifname=vireotap$$
ifname=${ifname:0:15}
if ! ip tuntap add dev "$ifname" mode tap 2>/dev/null; then
    echo "SKIP: cannot create a TAP interface here (no CAP_NET_ADMIN)"
    exit 77
fi
ip tuntap del dev "$ifname" mode tap
ip -4 route show | grep -q '^192\.168\.79\.' && { echo "SKIP: 192.168.79.0/24 is in use on this host"; exit 77; }
out=$BUILD/tests/net-tap
mkdir -p "$out"
fail=0
ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; fail=1; }

# the error a user without the privilege gets
if command -v setpriv >/dev/null; then
    err=$(timeout 20 setpriv --inh-caps=-net_admin --bounding-set=-net_admin \
          "$VIREO" -display none -netdev tap,id=n0 -device virtio-net-pci,netdev=n0 2>&1 </dev/null)
    st=$?
    if [ $st -eq 1 ] && [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] &&
       grep -q '^vireo: -netdev tap,id=n0: .*/dev/net/tun.*Operation not permitted' <<<"$err"; then
        ok "without CAP_NET_ADMIN: exit 1, '$err'"
    else
        notok "without CAP_NET_ADMIN: exit $st, '$err'"
    fi
fi

mapfile -t guest < <(GUEST_MODULES="virtio_pci virtio_net" scripts/make-linux-guest.sh) ||
    { echo "cannot build the guest"; exit 1; }
kernel=${guest[0]} initrd=${guest[1]}
token=tok$RANDOM$RANDOM
cmds="ifconfig eth0 192.168.79.2 netmask 255.255.255.0 up; for t in \$(seq 90); do ping -c 1 -W 1 192.168.79.1 >/dev/null 2>&1 && break; done; ping -c 3 -w 30 192.168.79.1; echo nc-listening; echo $token | timeout 60 nc -l -p 5000; echo nc-done"
log=$out/guest.log
timeout "$vm_timeout" "$VIREO" -nographic -no-reboot -m 256 -kernel "$kernel" -initrd "$initrd" \
    -netdev tap,id=n0,ifname=$ifname,script=no,downscript=no -device virtio-net-pci,netdev=n0 \
    -append "console=ttyS0 quiet vireo.cmd=\"$cmds\" vireo.end" </dev/null >"$log" 2>&1 &
vpid=$!
for _ in $(seq 100); do
    ip link show "$ifname" >/dev/null 2>&1 && break
    sleep 0.1
done
if ip addr add 192.168.79.1/24 dev "$ifname" && ip link set "$ifname" up; then
    ok "Vireo created TAP interface $ifname; the host configured it"
else
    notok "no TAP interface $ifname to configure"
fi
got="" hping=""
for _ in $(seq 600); do
    if grep -qa '^nc-listening' "$log"; then
        # three ICMP echoes to the guest (a raw socket: we are root; the
        # host need not have ping installed)
        hping=$(python3 - <<'PY'
import os, socket, struct, time
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    return ~(s + (s >> 16)) & 0xffff
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.settimeout(2)
ident, got = os.getpid() & 0xffff, 0
for seq in range(3):
    body = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + b"vireo-tap-echo.."
    body = body[:2] + struct.pack("!H", csum(body)) + body[4:]
    s.sendto(body, ("192.168.79.2", 0))
    end = time.time() + 2
    while time.time() < end:
        try:
            pkt, addr = s.recvfrom(2048)
        except socket.timeout:
            break
        icmp = pkt[(pkt[0] & 15) * 4:]
        if addr[0] == "192.168.79.2" and icmp[0] == 0 and struct.unpack("!HH", icmp[4:8]) == (ident, seq):
            got += 1
            break
print("echo replies %d/3" % got)
PY
)
        got=$(python3 tests/guest/tcp-read.py 192.168.79.2 5000)
        break
    fi
    kill -0 $vpid 2>/dev/null || break
    sleep 0.5
done
wait $vpid
st=$?
[ $st -eq 0 ] && ok "guest powered off, status 0" || notok "guest: exit status $st (log $log)"
if grep -qa '3 packets transmitted, 3 packets received, 0% packet loss' "$log"; then
    ok "guest pings the host: $(grep -a 'packets transmitted' "$log" | head -n1 | tr -d '\r')"
else
    notok "guest ping of the host: $(grep -a 'packets transmitted' "$log" | tr -d '\r')"
fi
if [ "$hping" = "echo replies 3/3" ]; then
    ok "host pings the guest: $hping"
else
    notok "host ping of the guest: '${hping}'"
fi
[ "$got" = "$token" ] && ok "the host reads the guest's nc over TCP" ||
    notok "TCP to the guest read '$got', want '$token'"
if ip link show "$ifname" >/dev/null 2>&1; then
    notok "TAP interface $ifname outlived Vireo"
else
    ok "TAP interface $ifname went away with Vireo"
fi
exit $fail
