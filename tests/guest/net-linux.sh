#!/bin/bash
# Debian's kernel with its own NIC driver module (from the same package, in
# the initramfs) on each NIC model Vireo offers, over -nic user (libslirp):
#   - the driver binds (its dmesg line) and udhcpc gets 10.0.2.15 from slirp;
#   - wget fetches 64 MiB of random data from an HTTP server on the host's
#     127.0.0.1 through the gateway 10.0.2.2 into sha256sum (a pipe: no
#     copy in the guest's RAM), and the guest's sha256 equals the host's
#     (virtio-net: through frames Vireo coalesced, GUEST_TSO4);
#   - the guest sends 4 MiB of random data with busybox nc to a TCP sink on
#     the host's 127.0.0.1 (large segments: checksum offload and TSO in the
#     NIC models), and the host's sha256 equals the guest's;
#   - hostfwd=tcp:127.0.0.1:PORT-:23 reaches busybox nc listening in the
#     guest: the host reads the token the guest serves;
#   - guestfwd=tcp:10.0.2.100:4321-tcp:127.0.0.1:PORT: a line the guest
#     sends to 10.0.2.100:4321 reaches a server on the host;
#   - IPv6: the guest's SLAAC address from slirp's router advertisement,
#     and three ICMPv6 echoes to slirp's fec0::2, none lost;
#   - 8000-byte pings to 10.0.2.2: fragments slirp reassembles (through
#     net/slirp.c's fragment guard) and a fragmented reply.
# NET_MODELS="e1000" limits the models (default: every model -nic model=help lists
# among e1000 and virtio-net-pci).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
BUILD=${BUILD:-build}
VIREO=${VIREO:-$BUILD/vireo}
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
out=$BUILD/tests/net
mkdir -p "$out"
fail=0
ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; fail=1; }
expect() { if grep -qaE -- "$2" "$1"; then ok "$3"; else notok "$3 (no /$2/ in $1)"; fi; }

declare -A driver=([e1000]=e1000 [virtio-net-pci]=virtio_net)
declare -A modules=([e1000]=e1000 [virtio-net-pci]="virtio_pci virtio_net")
avail=$("$VIREO" -nic user,model=help 2>/dev/null)
models=${NET_MODELS:-}
if [ -z "$models" ]; then
    for m in e1000 virtio-net-pci; do grep -qx "$m" <<<"$avail" && models="$models $m"; done
fi
[ -n "$models" ] || { echo "SKIP: no NIC models built"; exit 77; }
mods=""
for m in $models; do mods="$mods ${modules[$m]}"; done
mapfile -t guest < <(GUEST_MODULES="$mods" scripts/make-linux-guest.sh) || { echo "cannot build the guest"; exit 1; }
kernel=${guest[0]} initrd=${guest[1]}

# the host side: random data served on 127.0.0.1
. tests/guest/http-blob.inc
http_blob 64
trap 'kill $http_pid 2>/dev/null' EXIT
# a TCP sink: each connection's bytes go to $out/sink-N
python3 -u - "$out" > "$out/sink.log" 2>&1 <<'PY' &
import socket, sys, os
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(4)
print("port", s.getsockname()[1], flush=True)
n = 0
while True:
    c, _ = s.accept()
    with open(os.path.join(sys.argv[1], "sink-%d" % n), "wb") as f:
        while True:
            b = c.recv(65536)
            if not b:
                break
            f.write(b)
    c.close()
    n += 1
PY
sink_pid=$!
trap 'kill $http_pid $sink_pid 2>/dev/null' EXIT
for _ in $(seq 50); do
    sport=$(sed -n 's/^port \([0-9]*\)/\1/p' "$out/sink.log" | head -n1)
    [ -n "$sport" ] && break
    sleep 0.1
done
rm -f "$out"/sink-*
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

for model in $models; do
    log=$out/$model.log
    fport=$(free_port)
    token=tok$RANDOM$RANDOM
    # guestfwd's host end: one connection, its first line to $out/$model.gfwd
    rm -f "$out/$model.gfwd" "$out/$model.gfwd-port"
    python3 - "$out/$model.gfwd" > "$out/$model.gfwd-port" 2>&1 <<'PY' &
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
print(s.getsockname()[1], flush=True)
s.settimeout(300)
c, _ = s.accept()
c.settimeout(300)
data = b""
while b"\n" not in data:
    b = c.recv(4096)
    if not b:
        break
    data += b
open(sys.argv[1], "wb").write(data)
PY
    gfwd_pid=$!
    gport=
    for _ in $(seq 50); do
        gport=$(head -n1 "$out/$model.gfwd-port")
        [ -n "$gport" ] && break
        sleep 0.1
    done
    cmds="echo eth0-driver=\$(basename \$(readlink /sys/class/net/eth0/device/driver)); cat /sys/class/net/eth0/device/features 2>/dev/null | sed 's/^/virtio-features=/'; ip link set eth0 up; sleep 2; timeout 60 udhcpc -i eth0 -n -q -t 10; wget -q -O - http://10.0.2.2:$hport/blob | sha256sum | sed s/^/down-sha=/; dd if=/dev/urandom of=/tmp/up bs=65536 count=64 2>/dev/null; nc 10.0.2.2 $sport < /tmp/up; sha256sum /tmp/up | sed s/^/up-sha=/; echo gfwd-$token | timeout 5 nc 10.0.2.100 4321; ip -6 addr show dev eth0 scope site | sed -n 's/.*inet6 \\([^ ]*\\) .*/ipv6-addr=\\1/p'; ping -6 -c 3 -w 20 fec0::2 | sed -n 's/^\\(.*packets transmitted.*\\)/ping6: \\1/p'; ping -c 3 -s 8000 -w 20 10.0.2.2 | sed -n 's/^\\(.*packets transmitted.*\\)/bigping: \\1/p'; echo nc-listening; echo $token | nc -l -p 23; echo nc-done"
    timeout 300 "$VIREO" -nographic -no-reboot -m 256 -kernel "$kernel" -initrd "$initrd" \
        -nic user,model=$model,hostfwd=tcp:127.0.0.1:$fport-:23,guestfwd=tcp:10.0.2.100:4321-tcp:127.0.0.1:$gport -monitor "unix:$out/$model.mon,server,nowait" \
        -append "console=ttyS0 quiet vireo.cmd=\"$cmds\" vireo.end" </dev/null >"$log" 2>&1 &
    vpid=$!
    got=""
    for _ in $(seq 600); do
        if grep -qa '^nc-listening' "$log"; then
            python3 tests/guest/hmp.py "$out/$model.mon" "info iostats" > "$out/$model.iostats" 2>&1
            python3 tests/guest/hmp.py "$out/$model.mon" "info network" > "$out/$model.network" 2>&1
            sleep 1
            got=$(python3 tests/guest/tcp-read.py 127.0.0.1 "$fport")
            break
        fi
        kill -0 $vpid 2>/dev/null || break
        sleep 0.5
    done
    wait $vpid
    st=$?
    echo "# $model: exit status $st, log $log"
    [ $st -eq 0 ] && ok "$model: guest powered off, status 0" || notok "$model: exit status $st"
    expect "$log" "^eth0-driver=${driver[$model]}[[:space:]]*\$" "$model: Linux's ${driver[$model]} driver drives eth0"
    expect "$out/$model.network" "^$model.0: index=0,type=nic,model=$model,macaddr=52:54:00:12:34:56" \
        "$model: info network shows the NIC as QEMU does"
    expect "$out/$model.network" '^ \\ [^:]*: index=0,type=user,net=10\.0\.2\.0,restrict=off' \
        "$model: info network shows its slirp backend as QEMU does"
    if [ "$model" = virtio-net-pci ]; then
        # bit 32 (VIRTIO_F_VERSION_1): the modern transport was used; 28/29:
        # indirect descriptors and event idx negotiated
        expect "$log" '^virtio-features=.{28}11.{2}1' "$model: virtio 1.0 with indirect descriptors and event idx"
        expect "$log" '^virtio-features=.{11}111' "$model: TSO4, TSO6 and ECN negotiated"
        expect "$log" '^virtio-features=.{7}11' "$model: GUEST_TSO4 and GUEST_TSO6 negotiated"
        # the receive size histogram: frames over 2 KiB are segments Vireo
        # coalesced for the guest (slirp sends MTU-sized ones)
        if awk '/^  rx: /{r=1; next} r && /size/{print; exit}' "$out/$model.iostats" | grep -qE '<=(4K|8K|16K|32K|64K):'; then
            ok "$model: the guest received coalesced TCP frames over 2 KiB"
        else
            notok "$model: no receive request over 2 KiB in $out/$model.iostats"
        fi
        # the transmit size histogram: frames above 2 KiB are TSO frames slirp took whole
        expect "$out/$model.iostats" '^  tx: .*' "$model: info iostats has transmit requests"
        if awk '/^  tx: /{t=1; next} t && /size/{print; exit}' "$out/$model.iostats" | grep -qE '<=(4K|8K|16K|32K|64K):'; then
            ok "$model: the guest sent TSO frames over 2 KiB"
        else
            notok "$model: no transmit request over 2 KiB in $out/$model.iostats"
        fi
        # the backend's line in "info network": the largest frame slirp was given
        big=$(awk '/^ \\ /{b=1; next} b && /frames:/{print; exit}' "$out/$model.network" |
              sed -n 's/.*received [0-9]* ([0-9]* bytes, largest \([0-9]*\)).*/\1/p')
        if [ -n "$big" ] && [ "$big" -gt 1514 ]; then
            ok "$model: slirp was handed whole TSO frames (largest $big bytes)"
        else
            notok "$model: largest frame given to slirp '${big}' (want > 1514; $out/$model.network)"
        fi
    fi
    expect "$log" 'lease of 10\.0\.2\.15 obtained from 10\.0\.2\.2' "$model: DHCP lease from slirp"
    expect "$log" "^down-sha=$want  -" "$model: 64 MiB over HTTP from the host, sha256 matches"
    [ "$got" = "$token" ] && ok "$model: hostfwd reaches nc in the guest" ||
        notok "$model: hostfwd read '$got', want '$token'"
    expect "$log" '^nc-done' "$model: guest nc finished"
    kill $gfwd_pid 2>/dev/null; wait $gfwd_pid 2>/dev/null
    if grep -qx "gfwd-$token" "$out/$model.gfwd" 2>/dev/null; then
        ok "$model: guestfwd carried the guest's line to the host"
    else
        notok "$model: guestfwd: the host got '$(cat "$out/$model.gfwd" 2>/dev/null)', want 'gfwd-$token'"
    fi
    expect "$log" '^ipv6-addr=fec0::5054:ff:fe12:3456/64' "$model: IPv6 address from slirp's router advertisement"
    expect "$log" '^ping6: 3 packets transmitted, 3 packets received, 0% packet loss' \
        "$model: three ICMPv6 echoes to fec0::2, none lost"
    expect "$log" '^bigping: 3 packets transmitted, 3 packets received, 0% packet loss' \
        "$model: 8000-byte pings to the gateway, fragmented both ways, none lost"
    up=$(ls -t "$out"/sink-* 2>/dev/null | head -n1)
    if [ -n "$up" ] && [ "$(stat -c %s "$up")" = 4194304 ] &&
       grep -qa "^up-sha=$(sha256sum < "$up" | cut -d' ' -f1)" "$log"; then
        ok "$model: 4 MiB from the guest reached the host intact"
    else
        notok "$model: guest-to-host data (${up:-nothing} received)"
    fi
done
exit $fail
