#!/bin/bash
# -drive werror= on a real guest (issue #10): Debian's kernel with its own
# virtio_blk module writes 256 KiB of random data to a virtio-blk disk with
# O_DIRECT.  The disk sits on blkdebug, which fails the first write with
# ENOSPC, as a full host disk would; with QEMU's default werror=enospc the
# VM must stop (info status: io-error, info block: I/O status nospace),
# and after "cont" the held write must land: the guest reads back what it
# wrote, and the image file on the host holds the same bytes.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
BUILD=${BUILD:-build}
VIREO=${VIREO:-$BUILD/vireo}
TIMEOUT=${BOOT_TIMEOUT:-240}
grep -qs '^CONFIG_SANITIZERS=yes' "$BUILD/config.mak" && TIMEOUT=${BOOT_TIMEOUT_ASAN:-900}
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
out=$BUILD/tests/werror-linux
rm -rf "$out" && mkdir -p "$out" || exit 1
fail=0 n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); echo "not ok $n - $*"; fail=1; }

mapfile -t guest < <(GUEST_MODULES="virtio_pci virtio_blk" scripts/make-linux-guest.sh 2>"$out/guest.err")
if [ "${#guest[@]}" -lt 2 ]; then
    echo "SKIP: Linux guest not available: $(tail -n1 "$out/guest.err")"
    exit 77
fi
disk=$out/disk.img
truncate -s 8M "$disk"
rules=$out/rules.cfg
printf '[inject-error]\nevent = "write_aio"\nerrno = "28"\nonce = "on"\n' > "$rules"
sock=$out/hmp.sock
log=$out/serial.log
hmp() { python3 "$top/tests/guest/hmp.py" "$sock" "$@" 2>&1 | tr -d '\r'; }
cmds="dd if=/dev/urandom of=/tmp/data bs=64k count=4 2>/dev/null; echo wrote-to-disk; dd if=/tmp/data of=/dev/vda bs=64k oflag=direct 2>&1 | tail -n1; echo sum-written \$(sha256sum < /tmp/data); echo sum-read \$(dd if=/dev/vda bs=64k count=4 iflag=direct 2>/dev/null | sha256sum); echo workload-done"
"$VIREO" -m 256 -display none -no-reboot -no-shutdown -serial "file:$log" \
    -monitor "unix:$sock,server,nowait" \
    -drive "file=blkdebug:$rules:$disk,format=raw,if=virtio,cache=writeback" \
    -kernel "${guest[0]}" -initrd "${guest[1]}" \
    -append "console=ttyS0 quiet vireo.cmd=\"$cmds\" vireo.end" > "$out/vireo.log" 2>&1 &
vpid=$!

# the guest starts its write: wait for the VM to stop on it
status=""
for _ in $(seq $((TIMEOUT * 2))); do
    kill -0 $vpid 2>/dev/null || break
    if grep -qa '^wrote-to-disk' "$log" 2>/dev/null; then
        status=$(hmp "info status" | grep 'VM status')
        case $status in *io-error*) break ;; esac
    fi
    sleep 0.5
done
case $status in
*"paused (io-error)"*) ok "the guest's write hit ENOSPC and the VM stopped: $status" ;;
*) notok "the VM did not stop with io-error (status '$status', see $log)" ;;
esac
info=$(hmp "info block")
grep -q 'I/O status: *nospace' <<<"$info" && ok "info block: I/O status nospace" ||
    notok "info block has no 'I/O status: nospace': $(tr '\n' ' ' <<<"$info" | head -c 300)"
grep -qa '^workload-done' "$log" && notok "the guest went on while the VM was stopped"
hmp cont > /dev/null
done_=""
for _ in $(seq $((TIMEOUT * 2))); do
    grep -qa '^workload-done' "$log" 2>/dev/null && { done_=1; break; }
    kill -0 $vpid 2>/dev/null || break
    sleep 0.5
done
[ -n "$done_" ] && ok "after cont the guest finished its workload" ||
    notok "the guest did not finish after cont (see $log)"
status=$(hmp "info status" | grep 'VM status')
info=$(hmp "info block")
hmp quit > /dev/null
wait $vpid 2>/dev/null
w=$(tr -d '\r' < "$log" | awk '/^sum-written/ {print $2}')
r=$(tr -d '\r' < "$log" | awk '/^sum-read/ {print $2}')
h=$(head -c 262144 "$disk" | sha256sum | awk '{print $1}')
if [ -n "$w" ] && [ "$w" = "$r" ] && [ "$w" = "$h" ]; then
    ok "the held write landed: guest wrote, guest read and host file all sha256 ${w:0:16}..."
else
    notok "sha256 written '$w', read back '$r', host file '$h'"
fi
grep -q 'I/O status' <<<"$info" && notok "I/O status still shown after cont" ||
    ok "after cont: I/O status ok again"
grep -qi 'error' "$out/vireo.log" && notok "vireo printed an error: $(head -c 200 "$out/vireo.log")"
echo "1..$n"
exit $fail
