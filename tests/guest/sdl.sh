#!/bin/bash
# Guest test of the SDL window (issue #11 part 3), under a private Xvfb:
#   build/vireo -display sdl -name sdltest -m 64 -boot menu=on,splash-time=15000 \
#       -monitor unix:SOCK,... \
#       -chardev file,id=d,path=LOG -device isa-debugcon,chardev=d,iobase=0x402
# Once SeaBIOS has printed its banner the VM is stopped (HMP stop) and
#  - the window is titled "Vireo (sdltest)" and is the guest's 720x400;
#  - the X screen (xwd -root) at the window's place shows the same pixels as
#    an HMP screendump of that moment (the blinking cursor's cell may differ);
#  - resized to 1440x800 it shows the same picture magnified, and
#    Ctrl+Alt+U brings it back to 720x400;
#  - Esc typed into the window (xdotool) reaches SeaBIOS through the input
#    layer and the PS/2 keyboard: it opens the boot menu;
#  - Ctrl+Alt+G (xdotool) grabs: the title gains " - Press Ctrl+Alt+G to
#    exit grab", and loses it on the second press;
#  - closing the window (WM_DELETE_WINDOW, as a window manager's close
#    button sends) makes Vireo exit with status 0.
# Also: no $DISPLAY -> exit 1 with one line; gl=on -> "OpenGL not supported".
#   exit 0 pass, 1 fail, 77 skip (no SDL build, no Xvfb/xdotool/xwd, no SeaBIOS)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
VIREO=${VIREO:-$BUILD/vireo}
out=$BUILD/tests/guest/sdl
mkdir -p "$out"
[ -x "$VIREO" ] || { echo "FAIL: $VIREO not built"; exit 1; }
grep -qs '^CONFIG_SDL=yes' "$BUILD/config.mak" || { echo "SKIP: built without SDL2"; exit 77; }
for t in Xvfb xdotool xwd socat python3; do
    command -v $t >/dev/null 2>&1 || { echo "SKIP: $t missing (scripts/install-deps.sh installs xvfb x11-apps xdotool socat)"; exit 77; }
done
[ -f "$BUILD/firmware/bios.bin" ] || { echo "SKIP: no SeaBIOS image (make firmware)"; exit 77; }
wait_s=60
grep -qs '^CONFIG_SANITIZERS=yes' "$BUILD/config.mak" && wait_s=300

fails=0 n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); echo "not ok $n - $*"; fails=$((fails + 1)); }

list=$("$VIREO" -display help 2>&1)
if grep -qx sdl <<<"$list" && grep -qx none <<<"$list"; then
    ok "-display help lists sdl and none"
else
    notok "-display help: '$list'"
fi

# Negative cases first: they need no X server.
msg=$(env -u DISPLAY -u WAYLAND_DISPLAY "$VIREO" -display sdl -m 64 </dev/null 2>&1)
st=$?
if [ $st -eq 1 ] && [ "$(wc -l <<<"$msg")" = 1 ] && grep -q 'DISPLAY' <<<"$msg"; then
    ok "no window system: exit 1, '$msg'"
else
    notok "no window system: exit $st, '$msg'"
fi
msg=$("$VIREO" -display sdl,gl=on -m 64 </dev/null 2>&1)
st=$?
if [ $st -eq 1 ] && grep -q 'OpenGL not supported' <<<"$msg"; then
    ok "gl=on refused: '$msg'"
else
    notok "gl=on: exit $st, '$msg'"
fi

# A private X server: -displayfd picks a free display number (other
# tests or engineers may be using :0 or :77).
xpid= vpid=
cleanup() {
    [ -n "$vpid" ] && kill "$vpid" 2>/dev/null
    [ -n "$xpid" ] && kill "$xpid" 2>/dev/null
    wait 2>/dev/null
}
trap cleanup EXIT
rm -f "$out/displayno"
Xvfb -displayfd 3 -screen 0 1600x1000x24 -nolisten tcp 3>"$out/displayno" 2>"$out/xvfb.log" &
xpid=$!
for _ in $(seq 50); do [ -s "$out/displayno" ] && break; sleep 0.1; done
[ -s "$out/displayno" ] || { echo "FAIL: Xvfb did not start: $(head -c 300 "$out/xvfb.log")"; exit 1; }
export DISPLAY=:$(head -n1 "$out/displayno")

dbg=$out/debugcon.log sock=$out/hmp.sock
rm -f "$dbg" "$sock" "$out/dump.ppm" "$out/shot.xwd"
"$VIREO" -display sdl -name sdltest -m 64 -boot menu=on,splash-time=15000 -monitor unix:"$sock",server=on,wait=off \
    -chardev file,id=d,path="$dbg" -device isa-debugcon,chardev=d,iobase=0x402 \
    </dev/null >"$out/stderr.log" 2>&1 &
vpid=$!
hmp() { printf '%s\n' "$@" | timeout 10 socat -t 2 - UNIX-CONNECT:"$sock" >>"$out/hmp.log" 2>&1; }

t=0
while [ $t -lt $((wait_s * 5)) ] && kill -0 $vpid 2>/dev/null; do
    grep -qa 'SeaBIOS (version' "$dbg" 2>/dev/null && break
    sleep 0.2
    t=$((t + 1))
done
if ! grep -qa 'SeaBIOS (version' "$dbg" 2>/dev/null; then
    echo "not ok - SeaBIOS banner never came; stderr: $(head -c 400 "$out/stderr.log")"
    exit 1
fi
# SeaBIOS draws the banner on the screen right after its debug port: give
# it and the window's 30 ms refresh a moment, then freeze the picture.
sleep 1
hmp stop "screendump $out/dump.ppm"
for _ in $(seq 50); do [ -s "$out/dump.ppm" ] && break; sleep 0.1; done
sleep 0.5        # several refreshes of the stopped guest's picture

win=$(xdotool search --name '^Vireo' 2>/dev/null | head -n1)
if [ -z "$win" ]; then
    notok "no window named Vireo on $DISPLAY"
    echo "1..$n"
    exit 1
fi
title=$(xdotool getwindowname "$win")
[ "$title" = "Vireo (sdltest)" ] && ok "title '$title'" || notok "title '$title', expected 'Vireo (sdltest)'"
eval "$(xdotool getwindowgeometry --shell "$win")"
if [ "${WIDTH:-0}x${HEIGHT:-0}" = 720x400 ]; then
    ok "window is the guest's 720x400 text mode, at $X,$Y"
else
    notok "window is ${WIDTH:-?}x${HEIGHT:-?}, expected 720x400"
fi

xwd -root -silent >"$out/shot.xwd"
if [ ! -s "$out/dump.ppm" ]; then
    notok "HMP screendump wrote nothing: $(tail -c 300 "$out/hmp.log")"
else
    # The dump must show something, or a black window would match it.
    lit=$(python3 -c '
import sys
d = open(sys.argv[1], "rb").read()
px = d[-720 * 400 * 3:]
print(sum(1 for i in range(0, len(px), 3) if px[i] or px[i + 1] or px[i + 2]))' "$out/dump.ppm")
    cmp=$(python3 "$top/tests/guest/screen-compare.py" "$out/shot.xwd" "$out/dump.ppm" "${X:-0}" "${Y:-0}" 2>&1)
    bad=${cmp%% *}
    # one 9x16 character cell: the cursor may blink between dump and xwd
    if [ "$lit" -gt 500 ] && [[ $bad =~ ^[0-9]+$ ]] && [ "$bad" -le 144 ]; then
        ok "the window shows the guest's screen: $cmp ($lit lit pixels in the dump)"
    else
        notok "window vs screendump: $cmp; lit pixels in the dump: $lit"
    fi
fi
# Resized by hand to twice the size, the window magnifies the picture.
xdotool windowmove "$win" 0 0
xdotool windowsize "$win" 1440 800
sleep 1
eval "$(xdotool getwindowgeometry --shell "$win")"
xwd -root -silent >"$out/shot2.xwd"
if [ -s "$out/dump.ppm" ] && [ "${WIDTH}x${HEIGHT}" = 1440x800 ]; then
    if cmp=$(python3 "$top/tests/guest/screen-compare.py" "$out/shot2.xwd" "$out/dump.ppm" "$X" "$Y" 2 2>&1); then
        ok "resized to 1440x800, the window shows the guest's screen magnified: $cmp"
    else
        notok "resized to 1440x800: $cmp"
    fi
else
    notok "resize to 1440x800: window is ${WIDTH}x${HEIGHT}, or no screendump"
fi
xdotool key --window "$win" ctrl+alt+u
sleep 0.5
eval "$(xdotool getwindowgeometry --shell "$win")"
[ "${WIDTH}x${HEIGHT}" = 720x400 ] && ok "Ctrl+Alt+U: back to 720x400" ||
    notok "after Ctrl+Alt+U the window is ${WIDTH}x${HEIGHT}"
hmp cont

for _ in $(seq $((wait_s * 5))); do grep -qa 'Press ESC for boot menu' "$dbg" && break; sleep 0.2; done
xdotool key --window "$win" Escape
for _ in $(seq 50); do grep -qa 'Select boot device' "$dbg" && break; sleep 0.2; done
if grep -qa 'Select boot device' "$dbg"; then
    ok "Esc typed into the window opens SeaBIOS's boot menu"
else
    notok "Esc typed into the window: no boot menu; SeaBIOS said: $(tail -n 3 "$dbg" | tr '\n' '|')"
fi

xdotool key --window "$win" ctrl+alt+g
sleep 0.5
title=$(xdotool getwindowname "$win")
if [ "$title" = "Vireo (sdltest) - Press Ctrl+Alt+G to exit grab" ]; then
    ok "Ctrl+Alt+G grabs: '$title'"
else
    notok "after Ctrl+Alt+G the title is '$title'"
fi
xdotool key --window "$win" ctrl+alt+g
sleep 0.5
title=$(xdotool getwindowname "$win")
[ "$title" = "Vireo (sdltest)" ] && ok "Ctrl+Alt+G again releases: '$title'" ||
    notok "after the second Ctrl+Alt+G the title is '$title'"

python3 "$top/tests/guest/x11-close.py" "$win"
for _ in $(seq 100); do kill -0 $vpid 2>/dev/null || break; sleep 0.1; done
if kill -0 $vpid 2>/dev/null; then
    notok "Vireo still runs 10 s after its window was closed"
else
    wait $vpid
    st=$?
    vpid=
    [ $st -eq 0 ] && ok "closing the window powers off: exit 0" ||
        notok "closing the window: exit status $st; stderr: $(head -c 300 "$out/stderr.log")"
fi
echo "1..$n"
exit $((fails > 0))
