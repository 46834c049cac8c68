#!/bin/bash
# Guest test: a real VNC viewer from Debian (TigerVNC's xtigervncviewer,
# package tigervnc-viewer) on a private Xvfb, connected to Vireo's VNC
# server over a UNIX socket (issue #11):
#   build/vireo -display none -vnc unix:SOCK -name vnctest -m 64 \
#       -boot menu=on,splash-time=15000 -monitor unix:... -debugcon ...
#  - the viewer's window is titled "vnctest ... - TigerVNC" (the desktop
#    name) and is the guest's 720x400;
#  - with the guest stopped after SeaBIOS's banner, the X screen (xwd) at
#    the window's place shows the same pixels as an HMP screendump;
#  - Esc typed into the viewer (xdotool) reaches SeaBIOS: its boot menu;
#  - the viewer killed, the guest runs on.
#   exit 0 pass, 1 fail, 77 skip (no viewer, Xvfb, xdotool, xwd or SeaBIOS)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
VIREO=${VIREO:-$BUILD/vireo}
out=$BUILD/tests/guest/vnc-viewer
rm -rf "$out"
mkdir -p "$out"
for t in xtigervncviewer Xvfb xdotool xwd socat python3; do
    command -v $t >/dev/null 2>&1 ||
        { echo "SKIP: $t missing (scripts/install-deps.sh installs tigervnc-viewer xvfb x11-apps xdotool socat)"; exit 77; }
done
[ -f "$BUILD/firmware/bios.bin" ] || { echo "SKIP: no SeaBIOS image (make firmware)"; exit 77; }
wait_s=60
grep -qs '^CONFIG_SANITIZERS=yes' "$BUILD/config.mak" && wait_s=300

fails=0 n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); echo "not ok $n - $*"; fails=$((fails + 1)); }

xpid= vpid= tpid=
cleanup() {
    for p in $tpid $vpid $xpid; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
}
trap cleanup EXIT
# A private X server on a display -displayfd finds free; one that a
# server still shutting down makes unusable is tried again.
for attempt in 1 2 3; do
    rm -f "$out/displayno"
    Xvfb -displayfd 3 -screen 0 1280x1024x24 -nolisten tcp 3>"$out/displayno" 2>"$out/xvfb.log" &
    xpid=$!
    for _ in $(seq 50); do [ -s "$out/displayno" ] && break; sleep 0.1; done
    export DISPLAY=:$(head -n1 "$out/displayno" 2>/dev/null)
    up=0
    for _ in $(seq 20); do
        xdotool getdisplaygeometry >/dev/null 2>&1 && { up=1; break; }
        sleep 0.1
    done
    [ $up = 1 ] && break
    kill $xpid 2>/dev/null
    wait $xpid 2>/dev/null
    xpid=
done
[ $up = 1 ] || { echo "FAIL: Xvfb did not start: $(head -c 300 "$out/xvfb.log")"; exit 1; }

dbg=$out/debugcon.log sock=$out/hmp.sock vsock=$out/vnc.sock
"$VIREO" -display none -vnc unix:"$vsock" -name vnctest -m 64 -boot menu=on,splash-time=15000 \
    -monitor unix:"$sock",server=on,wait=off \
    -chardev file,id=d,path="$dbg" -device isa-debugcon,chardev=d,iobase=0x402 \
    </dev/null >"$out/stderr.log" 2>&1 &
vpid=$!
hmp() { printf '%s\n' "$@" | timeout 10 socat -t 2 - UNIX-CONNECT:"$sock" 2>&1 | tee -a "$out/hmp.log"; }

for _ in $(seq $((wait_s * 5))); do
    grep -qa 'SeaBIOS (version' "$dbg" 2>/dev/null && break
    kill -0 $vpid 2>/dev/null || break
    sleep 0.2
done
grep -qa 'SeaBIOS (version' "$dbg" 2>/dev/null ||
    { echo "not ok - SeaBIOS banner never came; stderr: $(head -c 400 "$out/stderr.log")"; exit 1; }

# no clipboard traffic: the server drops it anyway
xtigervncviewer -Shared -AcceptClipboard=0 -SendClipboard=0 -SendPrimary=0 "$vsock" \
    </dev/null >"$out/viewer.log" 2>&1 &
tpid=$!
win=
for _ in $(seq 100); do
    win=$(xdotool search --name 'TigerVNC$' 2>/dev/null | head -n1)
    [ -n "$win" ] && break
    sleep 0.1
done
if [ -z "$win" ]; then
    echo "not ok - no TigerVNC window; the viewer said: $(tail -n 5 "$out/viewer.log" | tr '\n' '|')"
    exit 1
fi
title=$(xdotool getwindowname "$win")
[[ $title == *vnctest*" - TigerVNC" ]] && ok "the viewer connected: window '$title'" ||
    notok "viewer window '$title' does not carry the desktop name vnctest"
sleep 5          # TigerVNC shows "Press F8 ..." over the picture for a while
hmp stop "screendump $out/dump.ppm" >/dev/null
for _ in $(seq 50); do [ -s "$out/dump.ppm" ] && break; sleep 0.1; done
sleep 1.5        # the viewer's last update of the stopped guest's picture
eval "$(xdotool getwindowgeometry --shell "$win")"
if [ "${WIDTH:-0}x${HEIGHT:-0}" = 720x400 ]; then
    ok "the window is the guest's 720x400 text mode, at $X,$Y"
else
    notok "the window is ${WIDTH:-?}x${HEIGHT:-?}, expected 720x400"
fi
xwd -root -silent >"$out/shot.xwd"
if [ ! -s "$out/dump.ppm" ]; then
    notok "HMP screendump wrote nothing: $(tail -c 300 "$out/hmp.log")"
else
    lit=$(python3 -c '
import sys
d = open(sys.argv[1], "rb").read()
px = d[-720 * 400 * 3:]
print(sum(1 for i in range(0, len(px), 3) if px[i] or px[i + 1] or px[i + 2]))' "$out/dump.ppm")
    cmp=$(python3 "$top/tests/guest/screen-compare.py" "$out/shot.xwd" "$out/dump.ppm" "${X:-0}" "${Y:-0}" 2>&1)
    bad=${cmp%% *}
    # one 9x16 character cell: the cursor may blink between dump and xwd
    if [ "$lit" -gt 500 ] && [[ $bad =~ ^[0-9]+$ ]] && [ "$bad" -le 144 ]; then
        ok "the viewer shows the guest's screen: $cmp ($lit lit pixels in the dump)"
    else
        notok "viewer vs screendump: $cmp; lit pixels in the dump: $lit"
    fi
fi
hmp cont >/dev/null
for _ in $(seq $((wait_s * 5))); do grep -qa 'Press ESC for boot menu' "$dbg" && break; sleep 0.2; done
# XTEST keys to the focused viewer (it ignores synthetic XSendEvent keys)
xdotool mousemove --window "$win" 100 100 windowfocus --sync "$win" key Escape 2>>"$out/xdotool.log"
for _ in $(seq 50); do grep -qa 'Select boot device' "$dbg" && break; sleep 0.2; done
if grep -qa 'Select boot device' "$dbg"; then
    ok "Esc typed into the viewer opens SeaBIOS's boot menu"
else
    notok "Esc typed into the viewer: no boot menu; SeaBIOS said: $(tail -n 3 "$dbg" | tr '\n' '|')"
fi
kill $tpid 2>/dev/null
wait $tpid 2>/dev/null
tpid=
sleep 0.5
if kill -0 $vpid 2>/dev/null && hmp "info status" | grep -q 'running'; then
    ok "the viewer gone, the guest runs on"
else
    notok "after the viewer went away: $(tail -c 300 "$out/stderr.log")"
fi
echo "1..$n"
exit $((fails > 0))
