#!/bin/bash
# Guest test of -display curses (issue #11 part 2): on an 80x25
# pseudo-terminal (tests/guest/pty-expect.py, python3's pty module)
#   TERM=xterm LANG=C.UTF-8 build/vireo -display curses -m 64
# boots SeaBIOS, and the terminal must show the banner SeaBIOS drew on its
# VGA text screen ("SeaBIOS (version"): the text reaches the terminal only
# through the VGA's text buffer and curses, there is no serial console.
# Then Esc typed on the terminal opens SeaBIOS's boot menu (-boot menu=on).
# Also: stdout not a terminal -> exit 1 with one line.
#   exit 0 pass, 1 fail, 77 skip (no ncursesw build, no SeaBIOS image)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
VIREO=${VIREO:-$BUILD/vireo}
out=$BUILD/tests/guest/curses
mkdir -p "$out"
[ -x "$VIREO" ] || { echo "FAIL: $VIREO not built"; exit 1; }
grep -qs '^CONFIG_CURSES=yes' "$BUILD/config.mak" || { echo "SKIP: built without ncursesw"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 missing"; exit 77; }
[ -f "$BUILD/firmware/bios.bin" ] || { echo "SKIP: no SeaBIOS image (make firmware)"; exit 77; }
wait_s=60
grep -qs '^CONFIG_SANITIZERS=yes' "$BUILD/config.mak" && wait_s=300

fails=0 n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); echo "not ok $n - $*"; fails=$((fails + 1)); }

list=$("$VIREO" -display help 2>&1)
if grep -qx curses <<<"$list" && grep -qx none <<<"$list"; then
    ok "-display help lists curses and none"
else
    notok "-display help: '$list'"
fi

msg=$("$VIREO" -display curses -m 64 </dev/null 2>&1 >/dev/null)
st=$?
if [ $st -eq 1 ] && [ "$(wc -l <<<"$msg")" = 1 ] && grep -q terminal <<<"$msg"; then
    ok "not a terminal: exit 1, '$msg'"
else
    notok "not a terminal: exit $st, '$msg'"
fi

# Boot with the boot menu on offer: Esc typed on the terminal must reach
# SeaBIOS through curses, the input layer and the PS/2 keyboard.
res=$(TERM=xterm LANG=C.UTF-8 LC_ALL=C.UTF-8 python3 "$top/tests/guest/pty-expect.py" \
      "$wait_s" "$out/terminal.raw" 'expect=SeaBIOS (version' 'expect=Press ESC for boot menu' \
      'send=\x1b' 'expect=Select boot device' -- \
      "$VIREO" -display curses -m 64 -boot menu=on,splash-time=15000 2>&1)
if grep -q "^seen 'SeaBIOS (version'" <<<"$res"; then
    ok "the terminal shows SeaBIOS's VGA banner"
else
    notok "no SeaBIOS banner on the terminal: $res; raw output in $out/terminal.raw"
fi
if grep -q "^seen 'Select boot device'" <<<"$res"; then
    ok "Esc typed on the terminal opens SeaBIOS's boot menu"
else
    notok "Esc on the terminal: $(tr '\n' '|' <<<"$res") raw output in $out/terminal.raw"
fi
echo "1..$n"
exit $((fails > 0))
