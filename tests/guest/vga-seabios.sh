#!/bin/bash
# Guest test: Debian's SeaBIOS and its vgabios-stdvga draw on the standard
# VGA, and an HMP screendump shows what they drew.
#   - Vireo with the default VGA and -display none boots SeaBIOS to "No
#     bootable device" (its debug log at port 0x402);
#   - HMP screendump gives a 720x400 PPM (80x25 text, 9x16 cells);
#   - the guest's own text buffer (HMP xp of 0xb8000) starts with
#     SeaBIOS's banner, and every cell of the picture agrees with it: a
#     blank cell is all background, a printed character has foreground
#     pixels, in the colours of its attribute (light grey on black);
#   - with -f png the same frame comes as a PNG;
#   - where qemu-system-x86_64 is installed, its screendump of the same
#     guest matches the banner line pixel for pixel (the lines below it
#     differ: QEMU tries the hard disk before the floppy); else a SKIP line.
#   exit 0 pass, 1 fail.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
VIREO=${VIREO:-$BUILD/vireo}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-60}
grep -qs '^CONFIG_SANITIZERS=yes' "$BUILD/config.mak" && BOOT_TIMEOUT=180
out=$BUILD/tests/guest/vga
rm -rf "$out"
mkdir -p "$out"
command -v socat >/dev/null || { echo "SKIP: socat missing"; exit 77; }
fail=0
ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; fail=1; }

# run NAME BINARY ARGS...: boot to "No bootable device", then screendump
# (PPM and PNG) and the text buffer through the human monitor
run() {
    local name=$1 bin=$2
    shift 2
    local sock=$out/$name.sock dbg=$out/$name.debug
    "$bin" -m 128 -display none -serial null "$@" \
        -monitor unix:"$sock",server=on,wait=off \
        -chardev file,id=dbg,path="$dbg" -device isa-debugcon,chardev=dbg,iobase=0x402 \
        </dev/null >"$out/$name.stdout" 2>"$out/$name.stderr" &
    local pid=$! t=0
    while [ $t -lt $((BOOT_TIMEOUT * 5)) ]; do
        grep -qa "No bootable device" "$dbg" 2>/dev/null && break
        kill -0 $pid 2>/dev/null || break
        sleep 0.2
        t=$((t + 1))
    done
    sleep 0.5
    python3 "$top/tests/guest/hmp.py" "$sock" "screendump $out/$name.ppm" \
        "screendump $out/$name.png -f png" "xp /2000hx 0xb8000" >"$out/$name.hmp" 2>&1
    kill $pid 2>/dev/null
    wait $pid 2>/dev/null
}

run vireo "$VIREO"
if grep -qa "No bootable device" "$out/vireo.debug"; then
    ok "SeaBIOS ran to 'No bootable device'"
else
    notok "SeaBIOS did not finish (see $out/vireo.debug, $out/vireo.stderr)"
fi

python3 - "$out" <<'PY' || fail=1
import re, sys, zlib, struct
out = sys.argv[1]
bad = 0
def ok(m): print("ok - " + m)
def notok(m):
    global bad
    print("not ok - " + m); bad = 1

def ppm(path):
    d = open(path, 'rb').read()
    m = re.match(rb'P6\n(\d+) (\d+)\n255\n', d)
    return int(m.group(1)), int(m.group(2)), d[m.end():]

try:
    w, h, px = ppm(out + '/vireo.ppm')
except Exception as e:
    notok("screendump wrote no PPM (%s)" % e); sys.exit(1)
if (w, h) == (720, 400) and len(px) == w * h * 3:
    ok("screendump is 720x400 (80x25 text in 9x16 cells)")
else:
    notok("screendump is %dx%d, %d bytes" % (w, h, len(px)))
    sys.exit(1)

# the text buffer as the guest left it: words of (attribute << 8 | char)
words = []
for line in open(out + '/vireo.hmp', errors='replace'):
    m = re.match(r'\s*[0-9a-f]+:((?:\s+0x[0-9a-f]{4})+)', line)
    if m:
        words += [int(x, 16) for x in m.group(1).split()]
if len(words) < 2000:
    notok("xp of 0xb8000 gave %d words" % len(words)); sys.exit(1)
row0 = ''.join(chr(c & 0xff) for c in words[:80])
if row0.startswith('SeaBIOS (version'):
    ok("the text buffer starts with the banner: %s" % row0.strip())
else:
    notok("the text buffer's first row is %r" % row0)

# every cell of the picture agrees with the buffer (the cursor's cell
# may show the cursor)
pal = {0x0: (0, 0, 0), 0x7: (0xa8, 0xa8, 0xa8)}
cells_bad = 0
printed = 0
for r in range(25):
    for c in range(80):
        ch, attr = words[r * 80 + c] & 0xff, words[r * 80 + c] >> 8
        fg, bg = pal.get(attr & 0xf), pal.get(attr >> 4)
        cell = set()
        for y in range(16):
            o = ((r * 16 + y) * w + c * 9) * 3
            for x in range(9):
                cell.add(tuple(px[o + 3 * x:o + 3 * x + 3]))
        if fg is None or bg is None:
            continue
        if ch in (0, 0x20):
            if cell - {bg} and cell != {fg, bg}:
                cells_bad += 1
        else:
            printed += 1
            if fg not in cell or cell - {fg, bg}:
                cells_bad += 1
if printed >= 20 and cells_bad <= 1:
    ok("%d printed cells and the blank ones match the text buffer (%d off: the cursor)" % (printed, cells_bad))
else:
    notok("%d cells disagree with the text buffer (%d printed)" % (cells_bad, printed))

# the PNG is the same frame
try:
    d = open(out + '/vireo.png', 'rb').read()
    assert d[:8] == b'\x89PNG\r\n\x1a\n'
    pw, ph = struct.unpack('>II', d[16:24])
    pos, idat = 8, b''
    while pos < len(d):
        n, t = struct.unpack('>I4s', d[pos:pos + 8])
        if t == b'IDAT':
            idat += d[pos + 8:pos + 8 + n]
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = pw * 3
    rows, prev = [], bytearray(stride)
    for y in range(ph):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - 3] if i >= 3 else 0
            b, cc = prev[i], (prev[i - 3] if i >= 3 else 0)
            if f == 1: line[i] = (line[i] + a) & 0xff
            elif f == 2: line[i] = (line[i] + b) & 0xff
            elif f == 3: line[i] = (line[i] + (a + b) // 2) & 0xff
            elif f == 4:
                p = a + b - cc; pa, pb, pc = abs(p - a), abs(p - b), abs(p - cc)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else cc)) & 0xff
        rows.append(bytes(line)); prev = line
    # compare the banner line (the cursor blinks elsewhere)
    if (pw, ph) == (w, h) and b''.join(rows[:16]) == px[:16 * w * 3]:
        ok("screendump -f png gives the same frame as a PNG")
    else:
        notok("the PNG (%dx%d) differs from the PPM" % (pw, ph))
except Exception as e:
    notok("screendump -f png: %s" % e)
sys.exit(bad)
PY

if command -v qemu-system-x86_64 >/dev/null; then
    run qemu qemu-system-x86_64 -accel tcg -nodefaults -vga std -bios "$BUILD/firmware/bios.bin"
    if cmp -s <(tail -c +16 "$out/vireo.ppm" | head -c $((720 * 16 * 3))) \
              <(tail -c +16 "$out/qemu.ppm" | head -c $((720 * 16 * 3))) &&
       [ "$(head -c 15 "$out/qemu.ppm")" = "$(head -c 15 "$out/vireo.ppm")" ]; then
        ok "the banner line is pixel for pixel QEMU's (qemu-system-x86_64 screendump)"
    else
        notok "the banner line differs from QEMU's screendump ($out/qemu.ppm)"
    fi
else
    echo "SKIP: qemu-system-x86_64 not installed: no pixel comparison with QEMU"
fi
exit $fail
