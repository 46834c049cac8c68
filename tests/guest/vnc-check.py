#!/usr/bin/env python3
"""Checks of Vireo's VNC server against a running Vireo (started by
tests/guest/vnc.sh).  Prints TAP-like "ok"/"not ok" lines; exit status 1 if
anything failed.

    vnc-check.py MODE VNC_ADDR QMP_PATH SERIAL_LOG OUTDIR
MODE "none": a display without password: handshakes (3.3/3.7/3.8), frames
    in Raw/zlib/Tight and other pixel formats equal to the screendump, keys
    reaching the guest (SeaBIOS's boot menu on the serial console), two
    clients at once, garbage clients dropped while the others go on.
MODE "password": a display with password=on: refused before a password is
    set, the right password (QMP, then HMP) accepted, a wrong one refused.
"""
import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rfbclient as rfb  # noqa: E402

fails = 0


def ok(cond, what):
    global fails
    print(("ok - " if cond else "not ok - ") + what, flush=True)
    if not cond:
        fails += 1
    return cond


class QMP:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(20)
        self.s.connect(path)
        self.f = self.s.makefile("rb")
        self.events = []
        self.read()
        self.cmd("qmp_capabilities")

    def read(self):
        while True:
            line = self.f.readline()
            if not line:
                raise RuntimeError("QMP closed")
            msg = json.loads(line)
            if "event" not in msg:
                return msg
            self.events.append(msg)

    def cmd(self, name, **args):
        self.s.sendall(json.dumps({"execute": name, "arguments": args}).encode() + b"\n")
        return self.read()

    def hmp(self, line):
        return self.cmd("human-monitor-command", **{"command-line": line}).get("return", "")


def connect(addr, **kw):
    c = rfb.RFBClient(addr)
    c.handshake(**kw)
    return c


def frame(addr, encs, pf=None):
    c = connect(addr)
    if pf:
        c.set_pixel_format(pf)
    c.set_encodings(encs + [rfb.ENC_DESKTOP_SIZE])
    c.request()
    c.read_update()
    c.close()
    return c


def close_enough(got, want, tol):
    if len(got) != len(want):
        return False
    if tol == 0:
        return got == want
    return all(abs(a - b) <= tol for a, b in zip(got, want))


def check_frame(qmp, addr, outdir, label, encs, pf=None, tol=0):
    """The VNC frame equals a screendump taken just before or just after it
    (the guest's screen may change between the two: a blinking cursor)."""
    for attempt in range(5):
        before = os.path.join(outdir, "before.ppm")
        after = os.path.join(outdir, "after.ppm")
        r = qmp.cmd("screendump", filename=before)
        if "error" in r:
            return ok(False, "%s: screendump: %s" % (label, r["error"]["desc"]))
        c = frame(addr, encs, pf)
        qmp.cmd("screendump", filename=after)
        got = bytes(c.fb)
        open(os.path.join(outdir, "vnc-%s.ppm" % label.replace(" ", "-")), "wb").write(c.ppm())
        for ref in (before, after):
            w, h, want = rfb.read_ppm(ref)
            if (w, h) == (c.width, c.height) and close_enough(got, want, tol):
                return ok(True, "%s: %dx%d frame equals the screendump%s" %
                          (label, w, h, " (within %d per channel)" % tol if tol else ""))
        time.sleep(0.3)
    w, h, want = rfb.read_ppm(after)
    diff = sum(1 for i in range(0, min(len(got), len(want)), 3) if got[i:i + 3] != want[i:i + 3])
    return ok(False, "%s: frame %dx%d differs from the screendump %dx%d (%d pixels differ)" %
              (label, c.width, c.height, w, h, diff))


def wait_serial(path, text, timeout=30, start=0):
    end = time.time() + timeout
    while time.time() < end:
        try:
            data = open(path, "rb").read()[start:]
            if text.encode() in data:
                return True
        except FileNotFoundError:
            pass
        time.sleep(0.1)
    return False


def still_serves(addr, what):
    try:
        c = connect(addr)
        c.set_encodings([rfb.ENC_RAW])
        c.request()
        c.read_update()
        c.close()
        return ok(True, "after %s: a new client still gets a frame" % what)
    except Exception as e:  # noqa: BLE001
        return ok(False, "after %s: a new client fails: %s" % (what, e))


def mode_none(addr, qmp, serial, outdir):
    info = qmp.cmd("query-vnc").get("return", {})
    ok(info.get("enabled") is True and info.get("auth") == "none",
       "query-vnc: enabled, auth none (%s)" % json.dumps(info))

    # the boot menu prompt: keys typed over VNC must reach SeaBIOS
    prompt = wait_serial(serial, "Press ESC for boot menu", 60)
    ok(prompt, "SeaBIOS shows its boot menu prompt")
    keyer = connect(addr)
    keyer.set_encodings([rfb.ENC_RAW, rfb.ENC_QEMU_EXT_KEY])
    keyer.key(0xff1b, True)            # Escape, as a plain KeyEvent
    keyer.key(0xff1b, False)
    ok(wait_serial(serial, "Select boot device", 20),
       "Escape sent as an RFB KeyEvent opened SeaBIOS's boot menu (keyboard -> i8042 -> guest)")
    mark = len(open(serial, "rb").read())
    # QEMU extended key event: Escape again, by its scancode only (keysym 0,
    # so the server cannot have used the keymap), leaves the menu and boots
    keyer.request()
    keyer.read_update()
    ok(keyer.ext_key, "server acknowledges the QEMU extended key event pseudo-encoding")
    time.sleep(2.5)                    # SeaBIOS ignores Escape for 1.5 s after the menu opens
    keyer.ext_key_event(0, 0x01, True)
    keyer.ext_key_event(0, 0x01, False)
    ok(wait_serial(serial, "Booting from", 20, mark),
       "Escape sent as a QEMU extended key event (scancode 0x01) left the menu and booted")
    keyer.close()
    ok(wait_serial(serial, "No bootable device", 60), "SeaBIOS reaches 'No bootable device'")

    for version in ("3.3", "3.7", "3.8"):
        try:
            c = connect(addr, version=version)
            ok(c.width > 0 and c.height > 0, "RFB %s handshake (None): %dx%d '%s'" %
               (version, c.width, c.height, c.name))
            c.close()
        except Exception as e:  # noqa: BLE001
            ok(False, "RFB %s handshake: %s" % (version, e))

    # The frames are compared with screendumps when the machine has a
    # display adapter (PCI class 0x03xx).  Without one (before the vga
    # branch's VGA device is merged) there is no console and the server
    # shows a blank 640x480 screen: check the encodings agree on that.
    devs = qmp.cmd("query-pci").get("return", [{}])[0].get("devices", [])
    has_vga = any(d.get("class_info", {}).get("class", 0) >> 8 == 3 for d in devs)
    if not has_vga:
        print("# no display adapter on this machine: screendump comparisons skipped")
        ref = frame(addr, [rfb.ENC_RAW])
        for label, encs, pf in (("zlib", [rfb.ENC_ZLIB], None), ("tight", [rfb.ENC_TIGHT], None),
                                ("raw rgb565", [rfb.ENC_RAW],
                                 rfb.PixelFormat(16, 16, True, True, 31, 63, 31, 11, 5, 0))):
            c = frame(addr, encs, pf)
            ok((c.width, c.height, c.fb) == (ref.width, ref.height, ref.fb),
               "no VGA: %s frame equals the raw one (%dx%d)" % (label, c.width, c.height))
        ok((ref.width, ref.height) == (640, 480) and not any(ref.fb),
           "no VGA: a black 640x480 screen")
    else:
        check_frames(qmp, addr, outdir)
    two_clients_and_garbage(qmp, addr)


def check_frames(qmp, addr, outdir):
    check_frame(qmp, addr, outdir, "raw", [rfb.ENC_RAW])
    check_frame(qmp, addr, outdir, "zlib", [rfb.ENC_ZLIB, rfb.ENC_RAW])
    check_frame(qmp, addr, outdir, "tight", [rfb.ENC_TIGHT, rfb.ENC_RAW])
    pf565be = rfb.PixelFormat(16, 16, True, True, 31, 63, 31, 11, 5, 0)
    check_frame(qmp, addr, outdir, "raw rgb565 big-endian", [rfb.ENC_RAW], pf565be, tol=5)
    check_frame(qmp, addr, outdir, "tight rgb565", [rfb.ENC_TIGHT],
                rfb.PixelFormat(16, 16, False, True, 31, 63, 31, 11, 5, 0), tol=5)
    pf233 = rfb.PixelFormat(8, 8, False, True, 7, 7, 3, 0, 3, 6)
    check_frame(qmp, addr, outdir, "zlib bgr233", [rfb.ENC_ZLIB], pf233, tol=43)  # 2-bit blue: steps of 85
    pfbgr32 = rfb.PixelFormat(32, 24, True, True, 255, 255, 255, 0, 8, 16)
    check_frame(qmp, addr, outdir, "zlib 32bpp big-endian bgr", [rfb.ENC_ZLIB], pfbgr32)


def two_clients_and_garbage(qmp, addr):

    # two clients at once; both get frames, incremental requests included
    a, b = connect(addr), connect(addr)
    for c in (a, b):
        c.set_encodings([rfb.ENC_ZLIB])
        c.request()
    a.read_update()
    b.read_update()
    ok(a.fb == b.fb and a.width == b.width, "two clients at once get the same frame")
    clients = qmp.cmd("query-vnc").get("return", {}).get("clients", [])
    ok(len(clients) == 2, "query-vnc lists the two clients (%d)" % len(clients))
    qmp.cmd("query-status")            # the events before it have arrived
    names = [e["event"] for e in qmp.events]
    ok("VNC_CONNECTED" in names and "VNC_INITIALIZED" in names and "VNC_DISCONNECTED" in names,
       "QMP events VNC_CONNECTED/VNC_INITIALIZED/VNC_DISCONNECTED (%d seen)" % len(names))
    ev = next((e for e in qmp.events if e["event"] == "VNC_INITIALIZED"), {})
    ok(ev.get("data", {}).get("server", {}).get("auth") == "none" and
       ev.get("data", {}).get("client", {}).get("family") == "unix",
       "VNC_INITIALIZED names server and client: %s" % json.dumps(ev.get("data")))
    info = qmp.hmp("info vnc")
    ok("Client:" in info and "Server:" in info, "HMP info vnc: %s" % info.strip().replace("\r\n", " | "))

    # garbage clients: dropped, others undisturbed
    def garbage(payload, what, handshake=True):
        s = socket.socket(socket.AF_UNIX if addr.startswith("unix:") else socket.AF_INET)
        if addr.startswith("unix:"):
            s.connect(addr[5:])
        else:
            host, port = addr.rsplit(":", 1)
            s.connect((host or "127.0.0.1", int(port)))
        s.settimeout(10)
        if handshake:
            s.recv(12)
            s.sendall(b"RFB 003.008\n")
            s.recv(2)
            s.sendall(b"\x01")
            s.recv(4)
            s.sendall(b"\x01")
            s.recv(24 + 64)
        s.sendall(payload)
        closed = False
        try:
            while True:
                d = s.recv(65536)
                if not d:
                    closed = True
                    break
        except socket.timeout:
            pass
        except ConnectionResetError:
            closed = True
        s.close()
        ok(closed, "garbage client (%s) is dropped" % what)

    garbage(b"HELLO WORLD!\n", "not RFB", handshake=False)
    garbage(b"\x07" + b"\0" * 16, "unknown message type 7")
    garbage(b"\x06\0\0\0\xff\xff\xff\xff" + b"x" * 100, "ClientCutText of 4 GiB")
    if not os.environ.get("VNC_REFERENCE"):      # Vireo's bound; QEMU waits for them all
        garbage(b"\x02\0\xff\xff" + b"\0" * 64, "SetEncodings count 65535")
    garbage(b"\x00\0\0\0" + bytes([24, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0]),
            "SetPixelFormat 24 bpp")
    garbage(b"\xff\x07" + b"\0" * 20, "unknown QEMU submessage")
    # the two clients survive all that
    for c in (a, b):
        c.request(incremental=False)
    try:
        a.read_update()
        b.read_update()
        ok(True, "the two clients still get updates after the garbage")
    except Exception as e:  # noqa: BLE001
        ok(False, "the two clients after garbage: %s" % e)
    a.close()
    b.close()
    # a client that asks for frame after frame and never reads: the server
    # must neither block on it nor queue without bound
    slow = connect(addr)
    slow.set_encodings([rfb.ENC_RAW])
    for _ in range(300):
        slow.request()
    t0 = time.time()
    still_serves(addr, "a client that never reads its frames")
    ok(time.time() - t0 < 10, "other clients not slowed by it (%.1f s)" % (time.time() - t0))
    r = qmp.cmd("query-status")
    ok(r.get("return", {}).get("status") == "running", "monitor answers while it waits")
    slow.close()
    # share=allow-exclusive (the default): an exclusive client disconnects
    # the shared one, and a shared newcomer is refused while it is there
    shared = connect(addr)
    excl = connect(addr, shared=False)
    try:
        shared.request()
        shared.read_update()
        ok(False, "an exclusive client did not disconnect the shared one")
    except (rfb.RFBError, OSError):
        ok(True, "an exclusive client disconnects the shared one")
    try:
        connect(addr).close()
        ok(False, "a shared client joined while an exclusive one is connected")
    except (rfb.RFBError, OSError):
        ok(True, "a shared client is refused while an exclusive one is connected")
    excl.close()
    shared.close()
    time.sleep(0.2)
    # a client that vanishes mid-update
    c = connect(addr)
    c.set_encodings([rfb.ENC_RAW])
    c.request()
    c.sock.close()
    still_serves(addr, "a client closing mid-update")
    r = qmp.cmd("query-status")
    ok(r.get("return", {}).get("status") == "running", "guest still running: %s" % r.get("return"))
    r = qmp.cmd("change-vnc-password", password="x")
    ok("error" in r, "change-vnc-password refused without password=on: %s" %
       r.get("error", {}).get("desc"))


def mode_password(addr, qmp, serial, outdir):
    info = qmp.cmd("query-vnc").get("return", {})
    ok(info.get("auth") == "vnc", "query-vnc: auth vnc")
    try:
        connect(addr, password="anything")
        ok(False, "password=on and no password set: login accepted")
    except rfb.AuthFailed as e:
        ok(True, "password=on and no password set: login refused (%s)" % e)
    try:
        connect(addr)
        ok(False, "security type None accepted with password=on")
    except rfb.RFBError as e:
        ok(True, "security type None refused with password=on (%s)" % e)
    r = qmp.cmd("change-vnc-password", password="s3cret")
    ok("return" in r, "QMP change-vnc-password")
    for version in ("3.3", "3.7", "3.8"):
        try:
            c = connect(addr, password="s3cret", version=version)
            c.set_encodings([rfb.ENC_TIGHT])
            c.request()
            c.read_update()
            ok(c.width > 0, "RFB %s: right password accepted, frame %dx%d" % (version, c.width, c.height))
            c.close()
        except Exception as e:  # noqa: BLE001
            ok(False, "RFB %s with the right password: %s" % (version, e))
    for version in ("3.3", "3.8"):
        try:
            connect(addr, password="wrong", version=version)
            ok(False, "RFB %s: wrong password accepted" % version)
        except rfb.AuthFailed as e:
            ok(True, "RFB %s: wrong password refused (%s)" % (version, e))
        except rfb.RFBError as e:
            ok(version == "3.3", "RFB %s: wrong password: connection closed (%s)" % (version, e))
    out = qmp.hmp("change vnc password hmp-pw")
    ok(not out.strip(), "HMP change vnc password (%r)" % out)
    try:
        connect(addr, password="hmp-pw").close()
        ok(True, "password set over HMP accepted")
    except Exception as e:  # noqa: BLE001
        ok(False, "password set over HMP: %s" % e)
    try:
        connect(addr, password="s3cret")
        ok(False, "the old password still works after HMP changed it")
    except rfb.AuthFailed:
        ok(True, "the old password no longer works")


def main():
    mode, addr, qmp_path, serial, outdir = sys.argv[1:6]
    qmp = QMP(qmp_path)
    try:
        (mode_none if mode == "none" else mode_password)(addr, qmp, serial, outdir)
    except Exception as e:  # noqa: BLE001
        ok(False, "exception: %r" % e)
    sys.exit(1 if fails else 0)


if __name__ == "__main__":
    main()
