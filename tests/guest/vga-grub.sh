#!/bin/bash
# Guest test: GRUB's rescue CD from Debian's grub-rescue-pc on the VGA,
# driven only by keys: HMP sendkey types "ls" and Enter at GRUB's prompt
# (PS/2 keyboard, scancodes through the i8042), GRUB lists its drives on
# the text screen, and the screendump shows what GRUB wrote:
#   - GRUB's menu, then (sendkey c) its prompt, then (sendkey l, s, ret)
#     "grub> ls" and the drive list with (hd0) and the CD appear in the
#     text buffer (HMP xp of 0xb8000);
#   - every 9x16 cell of the 720x400 screendump agrees with that buffer
#     (blank cells all background, printed ones with foreground pixels).
#   exit 0 pass, 1 fail.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
VIREO=${VIREO:-$BUILD/vireo}
command -v socat >/dev/null || { echo "SKIP: socat missing"; exit 77; }
if ! pkgdir=$("$top/scripts/fetch-guests.sh" grub-rescue-pc 2>/dev/null); then
    echo "not ok - cannot fetch grub-rescue-pc"; exit 1
fi
iso=$pkgdir/usr/lib/grub-rescue/grub-rescue-cdrom.iso
[ -f "$iso" ] || { echo "not ok - no $iso"; exit 1; }
out=$BUILD/tests/guest/vga-grub
rm -rf "$out"
mkdir -p "$out"
sock=$out/hmp.sock
truncate -s 8M "$out/disk.img"
fail=0
ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; fail=1; }
hmp() { python3 "$top/tests/guest/hmp.py" "$sock" "$@"; }

"$VIREO" -m 128 -display none -serial null -drive file="$iso",media=cdrom,format=raw -boot d \
    -drive file="$out/disk.img",format=raw \
    -monitor unix:"$sock",server=on,wait=off </dev/null >"$out/stdout" 2>"$out/stderr" &
pid=$!
# GRUB is up when its prompt is in the text buffer
xp_text() {
    hmp "xp /2000hx 0xb8000" | python3 -c '
import re, sys
w = []
for line in sys.stdin:
    m = re.match(r"\s*[0-9a-f]+:((?:\s+0x[0-9a-f]{4})+)", line)
    if m:
        w += [int(x, 16) for x in m.group(1).split()]
print("\n".join("".join(chr(c & 0xff) if 32 <= (c & 0xff) < 127 else " " for c in w[r * 80:r * 80 + 80]) for r in range(len(w) // 80)))'
}
# wait_screen TEXT FILE: poll the text buffer until TEXT is on the screen
wait_screen() {
    local t=0
    while [ $t -lt 120 ]; do
        kill -0 $pid 2>/dev/null || return 1
        xp_text >"$2" 2>/dev/null
        grep -qF -- "$1" "$2" && return 0
        sleep 1
        t=$((t + 1))
    done
    return 1
}
if wait_screen "GNU GRUB" "$out/menu.txt"; then
    ok "GRUB's menu is on the VGA text screen"
else
    notok "no GRUB menu on the screen ($out/menu.txt)"
fi
hmp "sendkey c" >/dev/null
if wait_screen "grub>" "$out/prompt.txt"; then
    ok "'c' typed with sendkey: GRUB's command line"
else
    notok "no GRUB prompt after sendkey c ($out/prompt.txt)"
fi
hmp "sendkey l" "sendkey s" "sendkey ret" >/dev/null
wait_screen "(cd" "$out/screen.txt"
hmp "screendump $out/screen.ppm" "xp /2000hx 0xb8000" >"$out/final.hmp"
kill $pid 2>/dev/null
wait $pid 2>/dev/null
if grep -q 'grub> ls' "$out/screen.txt" && grep -q '(hd0)' "$out/screen.txt" &&
   grep -q '(cd' "$out/screen.txt"; then
    ok "'ls' typed with sendkey: GRUB listed its drives: $(grep -o '(hd0).*' "$out/screen.txt" | head -1)"
else
    notok "no drive list after 'ls' ($out/screen.txt)"
fi
python3 - "$out" <<'PY' || fail=1
import re, sys
out = sys.argv[1]
d = open(out + '/screen.ppm', 'rb').read()
m = re.match(rb'P6\n(\d+) (\d+)\n255\n', d)
w, h, px = int(m.group(1)), int(m.group(2)), d[m.end():]
words = []
for line in open(out + '/final.hmp', errors='replace'):
    m = re.match(r'\s*[0-9a-f]+:((?:\s+0x[0-9a-f]{4})+)', line)
    if m:
        words += [int(x, 16) for x in m.group(1).split()]
if (w, h) != (720, 400) or len(words) < 2000:
    print("not ok - screendump %dx%d, %d text words" % (w, h, len(words))); sys.exit(1)
# the VGA's default palette (SeaBIOS/vgabios): the 16 text colours
pal = [0x000000, 0x0000a8, 0x00a800, 0x00a8a8, 0xa80000, 0xa800a8, 0xa85700, 0xa8a8a8,
       0x575757, 0x5757ff, 0x57ff57, 0x57ffff, 0xff5757, 0xff57ff, 0xffff57, 0xffffff]
rgb = lambda c: ((c >> 16) & 255, (c >> 8) & 255, c & 255)
bad = printed = 0
for r in range(25):
    for c in range(80):
        ch, attr = words[r * 80 + c] & 0xff, words[r * 80 + c] >> 8
        fg, bg = rgb(pal[attr & 15]), rgb(pal[(attr >> 4) & 7])
        cell = set()
        for y in range(16):
            o = ((r * 16 + y) * w + c * 9) * 3
            for x in range(9):
                cell.add(tuple(px[o + 3 * x:o + 3 * x + 3]))
        if ch in (0, 0x20):
            bad += bool(cell - {bg}) and cell != {fg, bg}
        else:
            printed += 1
            bad += fg not in cell or bool(cell - {fg, bg})
if printed >= 40 and bad <= 1:
    print("ok - the screendump shows GRUB's screen: %d printed cells agree with the text buffer" % printed)
else:
    print("not ok - %d of the screendump's cells disagree with the text buffer (%d printed)" % (bad, printed))
    sys.exit(1)
PY
exit $fail
