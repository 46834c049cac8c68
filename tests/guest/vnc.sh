#!/bin/bash
# Guest test: the VNC server (issue #11).  Boots SeaBIOS twice:
#  1. -nographic -vnc unix:SOCK, boot menu on: tests/guest/vnc-check.py
#     "none" types Escape and '1' over RFB into SeaBIOS's boot menu (seen on
#     the serial console), compares Raw/zlib/Tight frames in several pixel
#     formats with QMP screendumps, runs two clients at once and garbage
#     clients, and checks that the guest keeps running.
#  2. -vnc 127.0.0.1:N,password=on,to=N+99: VNC authentication before and
#     after a password is set over QMP and HMP, wrong passwords refused.
# Plus command-line errors: a bad -vnc option, a port in use.
#   exit 0 pass, 1 fail, 77 skip.  VIREO=binary (default $BUILD/vireo).
# To check this script itself against the reference: VIREO=qemu-system-x86_64
# (adds -machine pc -accel tcg -nic none -bios $BUILD/firmware/bios.bin and
# skips what is Vireo's own policy: the SetEncodings bound, -k, messages).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
VIREO=${VIREO:-$BUILD/vireo}
out=$BUILD/tests/guest/vnc
mkdir -p "$out"
extra=()
reference=
case $(basename "$VIREO") in
    qemu-system-*)
        command -v "$VIREO" >/dev/null || { echo "SKIP: $VIREO not installed"; exit 77; }
        extra=(-machine pc -accel tcg -nic none -bios "$BUILD/firmware/bios.bin")
        reference=1 ;;
    *)
        [ -x "$VIREO" ] || { echo "FAIL: $VIREO not built"; exit 1; } ;;
esac
export VNC_REFERENCE=$reference
command -v python3 >/dev/null || { echo "SKIP: no python3"; exit 77; }

fails=0
ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; fails=$((fails + 1)); }
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; }
trap cleanup EXIT

start() {   # start NAME ARGS...: Vireo in the background, QMP on $out/NAME.qmp
    local name=$1
    shift
    rm -f "$out/$name.qmp" "$out/$name.serial"
    timeout -k 5 240 "$VIREO" "${extra[@]}" -m 64 -serial file:"$out/$name.serial" \
        -qmp unix:"$out/$name.qmp",server=on,wait=off "$@" </dev/null \
        >"$out/$name.stdout" 2>"$out/$name.stderr" &
    pids+=($!)
    for _ in $(seq 100); do
        [ -S "$out/$name.qmp" ] && return 0
        sleep 0.1
    done
    notok "$name: Vireo did not start: $(head -c 300 "$out/$name.stderr")"
    return 1
}

# 1. no password, unix socket
sock=$out/vnc.sock
rm -f "$sock"
# -nographic: SeaBIOS mirrors its screen on the serial console only then;
# -vga std: Vireo leaves the VGA out with -nographic unless asked
if start plain -nographic -vga std -vnc unix:"$sock" -boot menu=on,splash-time=20000; then
    python3 "$top/tests/guest/vnc-check.py" none unix:"$sock" "$out/plain.qmp" \
        "$out/plain.serial" "$out" || fails=$((fails + 1))
    kill "${pids[-1]}" 2>/dev/null
    wait "${pids[-1]}" 2>/dev/null
    if grep -q "AddressSanitizer\|runtime error\|CRITICAL" "$out/plain.stderr"; then
        notok "plain: sanitizer/GLib errors: $(grep -m3 'AddressSanitizer\|runtime error\|CRITICAL' "$out/plain.stderr")"
    else
        ok "plain: no sanitizer or GLib errors on stderr"
    fi
fi

# 2. password=on over TCP (a free display among N..N+99)
n=$(( ($$ % 800) + 100 ))
if start auth -display none -vnc 127.0.0.1:$n,password=on,to=$((n + 99)); then
    port=$(python3 -c "
import json, socket
s = socket.socket(socket.AF_UNIX); s.connect('$out/auth.qmp'); f = s.makefile('rb')
f.readline(); s.sendall(b'{\"execute\":\"qmp_capabilities\"}\n'); f.readline()
s.sendall(b'{\"execute\":\"query-vnc\"}\n')
while True:
    m = json.loads(f.readline())
    if 'return' in m: print(m['return']['service']); break
")
    if [ -n "$port" ]; then
        ok "auth: listening on 127.0.0.1:$port"
        python3 "$top/tests/guest/vnc-check.py" password 127.0.0.1:"$port" "$out/auth.qmp" \
            "$out/auth.serial" "$out" || fails=$((fails + 1))
        if [ -z "$reference" ]; then
            # 3. the port in use: a second Vireo on exactly that display fails with one line
            disp=$((port - 5900))
            timeout 20 "$VIREO" -display none -vnc 127.0.0.1:$disp </dev/null >/dev/null 2>"$out/busy.stderr"
            st=$?
            if [ $st -eq 1 ] && [ "$(wc -l <"$out/busy.stderr")" -eq 1 ] && grep -q "5900\|$port" "$out/busy.stderr"; then
                ok "port in use: exit 1, one line: $(cat "$out/busy.stderr")"
            else
                notok "port in use: status $st, stderr: $(head -c 300 "$out/busy.stderr")"
            fi
        fi
    else
        notok "auth: query-vnc gave no port"
    fi
fi

if [ -n "$reference" ]; then
    [ $fails -eq 0 ] && echo "PASS (reference run)" || echo "FAIL: $fails"
    [ $fails -eq 0 ]
    exit
fi

# 4. bad options: exit 1 with one line naming the problem
for bad in ":1,frobnicate=on" "nonsense" ":1,share=maybe" ":1,password=perhaps" ":99999"; do
    timeout 20 "$VIREO" -display none -vnc "$bad" </dev/null >/dev/null 2>"$out/bad.stderr"
    st=$?
    if [ $st -eq 1 ] && [ "$(wc -l <"$out/bad.stderr")" -eq 1 ] && grep -q -- "-vnc" "$out/bad.stderr"; then
        ok "-vnc $bad: exit 1: $(cat "$out/bad.stderr")"
    else
        notok "-vnc $bad: status $st, stderr: $(head -c 300 "$out/bad.stderr")"
    fi
done
timeout 20 "$VIREO" -display none -k de </dev/null >/dev/null 2>"$out/bad.stderr"
st=$?
if [ $st -eq 1 ] && grep -q "layout" "$out/bad.stderr"; then
    ok "-k de: exit 1: $(cat "$out/bad.stderr")"
else
    notok "-k de: status $st, stderr: $(head -c 300 "$out/bad.stderr")"
fi

[ $fails -eq 0 ] && echo "PASS" || echo "FAIL: $fails"
[ $fails -eq 0 ]
