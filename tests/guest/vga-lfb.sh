#!/bin/bash
# Guest test: VRAM dirty logging behind the screendump.  Our own guest
# (tests/guest/vga-lfb.asm, multiboot via -kernel) sets 1024x768x32 through
# Bochs VBE, fills the screen, then draws twelve 64x48 rectangles, one per
# byte the test sends on COM1, alternately with rep stosd and with single
# mov stores into the linear framebuffer.  After each step the HMP
# screendump must be exactly the picture the guest drew so far (the test
# models it from the rule in the .asm); a page written but not marked
# dirty would leave a stale rectangle.  A VNC client (bench/vnc-load.py)
# stays attached meanwhile, so the 30 Hz refresh takes snapshots of the
# dirty log between the screendumps too.
#   exit 0 pass, 1 fail.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
VIREO=${VIREO:-$BUILD/vireo}
kernel=$BUILD/tests/guest/vga-lfb.bin
[ -f "$kernel" ] || make -s -C "$top" BUILD="$BUILD" "$kernel" ||
    { echo "not ok - cannot build $kernel"; exit 1; }
out=$BUILD/tests/guest/vga-lfb
rm -rf "$out"
mkdir -p "$out"

# the serial server waits for the test (wait=on): "ready" must not be lost
"$VIREO" -m 64 -display none -nic none -kernel "$kernel" \
    -serial unix:"$out/serial.sock",server=on,wait=on \
    -monitor unix:"$out/hmp.sock",server=on,wait=off \
    -vnc unix:"$out/vnc.sock" </dev/null >"$out/stdout" 2>"$out/stderr" &
pid=$!
trap 'kill $pid 2>/dev/null' EXIT
for _ in $(seq 100); do
    [ -S "$out/serial.sock" ] && break
    sleep 0.1
done

python3 - "$out" "$top" <<'PY'
import os, re, socket, subprocess, sys, time
out, top = sys.argv[1], sys.argv[2]
W, H, BG, RW, RH, STEPS = 1024, 768, 0x204060, 64, 48, 12

def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.settimeout(60)
    return s

ser = connect(out + "/serial.sock")
for _ in range(100):                 # the monitor and VNC come up once it runs
    if os.path.exists(out + "/hmp.sock") and os.path.exists(out + "/vnc.sock"):
        break
    time.sleep(0.1)
hmp = connect(out + "/hmp.sock")
load = subprocess.Popen([sys.executable, top + "/bench/vnc-load.py", "unix:" + out + "/vnc.sock", "raw", "120"],
                        stdout=open(out + "/vnc.txt", "w"), stderr=subprocess.STDOUT)
import atexit
atexit.register(load.terminate)      # a failing check exits through sys.exit
sbuf = b""

def wait_line(text):
    global sbuf
    deadline = time.time() + 60
    while text.encode() + b"\n" not in sbuf:
        if time.time() > deadline:
            print("not ok - no %r on the serial line (got %r)" % (text, sbuf[-200:]))
            sys.exit(1)
        sbuf += ser.recv(4096)

def hmp_read():
    data = b""
    while not data.endswith(b"(qemu) "):
        chunk = hmp.recv(65536)
        if not chunk:
            print("not ok - the monitor closed")
            sys.exit(1)
        data += chunk
    return data

def hmp_cmd(cmd):
    hmp.sendall(cmd.encode() + b"\n")
    return hmp_read()

hmp_read()           # the banner and the first prompt

model = bytearray(bytes([(BG >> 16) & 255, (BG >> 8) & 255, BG & 255]) * (W * H))

def check(step):
    path = "%s/step%02d.ppm" % (out, step)
    hmp_cmd("screendump " + path)
    d = open(path, "rb").read()
    m = re.match(rb"P6\n(\d+) (\d+)\n255\n", d)
    if not m or (int(m.group(1)), int(m.group(2))) != (W, H):
        print("not ok - step %d: screendump is not %dx%d" % (step, W, H))
        sys.exit(1)
    px = d[m.end():]
    if px != model:
        bad = sum(1 for i in range(0, len(model), 3) if px[i:i + 3] != model[i:i + 3])
        first = next(i for i in range(0, len(model), 3) if px[i:i + 3] != model[i:i + 3]) // 3
        print("not ok - step %d: %d pixels differ from what the guest drew, first at (%d,%d)" %
              (step, bad, first % W, first // W))
        sys.exit(1)

wait_line("ready")
check(0)
for k in range(1, STEPS + 1):
    time.sleep(0.05)                 # let a refresh tick or two pass
    ser.sendall(b"g")
    wait_line("step %d" % k)
    x, y = (k * 149) % (W - RW), (k * 97) % (H - RH)
    c = ((k * 0x00102030) ^ 0x00a05010) & 0xffffff
    rgb = bytes([(c >> 16) & 255, (c >> 8) & 255, c & 255])
    for r in range(y, y + RH):
        model[(r * W + x) * 3:(r * W + x + RW) * 3] = rgb * RW
    check(k)
# the scroll: a client that has the whole frame gets the moved rows as
# CopyRect (rfbclient.py decodes it) and ends with the guest's picture
sys.path.insert(0, top + "/tests/guest")
import rfbclient
c = rfbclient.RFBClient("unix:" + out + "/vnc.sock")
c.handshake()
c.set_pixel_format(rfbclient.PixelFormat())
c.set_encodings([rfbclient.ENC_RAW, rfbclient.ENC_COPYRECT, rfbclient.ENC_DESKTOP_SIZE])
c.request(incremental=False)
c.read_update()
if bytes(c.fb) != bytes(model):
    print("not ok - the VNC client's first frame is not the guest's picture")
    sys.exit(1)
c.encodings_seen.clear()
ser.sendall(b"g")
wait_line("scrolled")
SCROLL = 64
model[0:(H - SCROLL) * W * 3] = model[SCROLL * W * 3:]
model[(H - SCROLL) * W * 3:] = bytes([(BG >> 16) & 255, (BG >> 8) & 255, BG & 255]) * (SCROLL * W)
check(STEPS + 1)
deadline = time.time() + 20
while bytes(c.fb) != bytes(model) and time.time() < deadline:
    c.request(incremental=True)
    c.read_update()
if bytes(c.fb) != bytes(model):
    print("not ok - after the scroll the VNC client's frame is not the guest's picture")
    sys.exit(1)
if rfbclient.ENC_COPYRECT not in c.encodings_seen:
    print("not ok - the scroll did not come as CopyRect (encodings %s)" % sorted(c.encodings_seen))
    sys.exit(1)
print("ok - the scroll by %d rows reached a VNC client as CopyRect; its frame is the guest's picture" % SCROLL)
c.close()
load.terminate()
load.wait()
print("ok - %d screendumps of 1024x768x32 agree pixel for pixel with what the guest drew "
      "(rep stosd and mov stores, a scroll, a VNC client refreshing meanwhile)" % (STEPS + 2))
PY
rc=$?
if [ $rc = 0 ]; then
    upd=$(awk '/^updates/ {print $2}' "$out/vnc.txt")
    if [ "${upd:-0}" -gt 0 ]; then
        echo "ok - the VNC client got $upd updates meanwhile"
    else
        echo "not ok - the VNC client got no update ($out/vnc.txt)"
        rc=1
    fi
fi
exit $rc
