#!/bin/bash
# Guest test: memtest86+ from Debian's memtest86+ package, booted as QEMU
# users boot it (-kernel memtest86+x64.bin -m 256, the Linux boot protocol
# through SeaBIOS's linuxboot ROM; memtest switches to long mode itself),
# on the default VGA with -display none.  Asserts on what memtest draws on
# the VGA text screen (HMP xp of 0xb8000):
#   - its header "Memtest86+ v..." and 255MB of memory found;
#   - it runs its tests: the "Test #N" line moves past test #2, "Errors: 0";
#   - every 9x16 cell of a 720x400 screendump agrees with the text buffer.
# With MEMTEST_PASS=1 (make check-memtest) it also waits, up to
# MEMTEST_LIMIT seconds (default 1800), for the end of a whole pass: the
# status line "Pass: 1" with "Errors: 0" and "Status: Pass".
# exit 0 pass, 1 fail, 77 skip.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
VIREO=${VIREO:-$BUILD/vireo}
PASS=${MEMTEST_PASS:-0}
LIMIT=${MEMTEST_LIMIT:-1800}
command -v socat >/dev/null || { echo "SKIP: socat missing"; exit 77; }
if ! pkgdir=$("$top/scripts/fetch-guests.sh" memtest86+ 2>/dev/null); then
    echo "not ok - cannot fetch memtest86+"; exit 1
fi
bin=$pkgdir/boot/memtest86+x64.bin
[ -f "$bin" ] || { echo "not ok - no $bin"; exit 1; }
out=$BUILD/tests/guest/memtest$([ "$PASS" = 1 ] && echo -pass)
rm -rf "$out"
mkdir -p "$out"
sock=$out/hmp.sock
fail=0
ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; fail=1; }
hmp() { python3 "$top/tests/guest/hmp.py" "$sock" "$@"; }

"$VIREO" -m 256 -display none -serial null -kernel "$bin" \
    -monitor unix:"$sock",server=on,wait=off </dev/null >"$out/stdout" 2>"$out/stderr" &
pid=$!
trap 'kill $pid 2>/dev/null' EXIT
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
# wait_screen REGEX FILE SECONDS: poll the text buffer until REGEX is on it
wait_screen() {
    local t0=$SECONDS
    while [ $((SECONDS - t0)) -lt "$3" ]; do
        kill -0 $pid 2>/dev/null || return 1
        xp_text >"$2" 2>/dev/null
        grep -qE -- "$1" "$2" && return 0
        sleep 2
    done
    return 1
}
if wait_screen 'Memtest86\+ v[0-9]' "$out/start.txt" 120; then
    ok "memtest86+ started: $(grep -oE 'Memtest86\+ v[0-9.]+' "$out/start.txt" | head -1)"
else
    notok "no memtest86+ screen ($out/start.txt, $out/stderr)"
    exit 1
fi
if grep -qE 'Memory *: *255MB' "$out/start.txt"; then
    ok "it found 255MB of memory (-m 256)"
else
    notok "memory size not 255MB: $(grep -oE 'Memory *:[^|]*MB' "$out/start.txt" | head -1)"
fi
if wait_screen 'Test #([3-9]|1[0-9])' "$out/tests.txt" 240; then
    ok "its tests run: $(grep -oE 'Test #[0-9]+ +\[[^]]*\]' "$out/tests.txt" | head -1)"
else
    notok "memtest did not get past test #2 ($out/tests.txt)"
fi
if grep -qE 'Errors: +0 ' "$out/tests.txt"; then
    ok "Errors: 0"
else
    notok "errors reported: $(grep -oE 'Errors: +[0-9]+' "$out/tests.txt")"
fi
hmp "screendump $out/screen.ppm" "xp /2000hx 0xb8000" >"$out/final.hmp"
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
# the 16 text colours of the VGA BIOS's default palette
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
# memtest redraws its progress bars and spinner while we read: a few cells
# may have changed between the screendump and the xp
if printed >= 200 and bad <= 8:
    print("ok - the screendump shows memtest's screen: %d printed cells agree with the text buffer (%d differ)" % (printed, bad))
else:
    print("not ok - %d of the screendump's cells disagree with the text buffer (%d printed)" % (bad, printed))
    sys.exit(1)
PY
if [ "$PASS" = 1 ]; then
    if wait_screen 'Pass: +[1-9]' "$out/pass.txt" "$LIMIT"; then
        if grep -qE 'Pass: +1 +Errors: +0 ' "$out/pass.txt" && grep -q 'Status: Pass' "$out/pass.txt"; then
            ok "a whole pass completed with 0 errors in ${SECONDS}s: $(grep -oE 'Time: +[0-9:]+' "$out/pass.txt")"
        else
            notok "pass ended with errors ($out/pass.txt)"
        fi
    else
        notok "no completed pass within ${LIMIT}s ($out/pass.txt)"
    fi
fi
exit $fail
