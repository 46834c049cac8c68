#!/usr/bin/env python3
"""A VNC viewer stand-in for bench/display.sh: connects to an RFB server,
asks for 32-bit true colour and one encoding (raw or zlib), and keeps one
incremental update request outstanding at all times, as a viewer does,
reading and dropping the pixels.  Runs until SIGTERM or SECONDS elapse,
then prints "updates N rects N bytes N" on stdout.
    vnc-load.py ADDR [raw|zlib] [SECONDS]      ADDR: unix:PATH or HOST:PORT
The handshake is tests/guest/rfbclient.py's (RFC 6143)."""
import os
import signal
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "guest"))
import rfbclient  # noqa: E402

ENCODINGS = {"raw": rfbclient.ENC_RAW, "zlib": rfbclient.ENC_ZLIB}
stop = False


def on_term(signum, frame):
    global stop
    stop = True


def main():
    addr = sys.argv[1]
    enc = sys.argv[2] if len(sys.argv) > 2 else "raw"
    limit = float(sys.argv[3]) if len(sys.argv) > 3 else 1e9
    if enc not in ENCODINGS:
        sys.exit("vnc-load: encoding %s: raw or zlib" % enc)
    signal.signal(signal.SIGTERM, on_term)
    c = rfbclient.RFBClient(addr, timeout=5)
    c.handshake()
    c.set_pixel_format(rfbclient.PixelFormat())
    c.set_encodings([ENCODINGS[enc], rfbclient.ENC_DESKTOP_SIZE])
    sock = c.sock
    buf = bytearray(1 << 20)
    view = memoryview(buf)

    def skip(n):
        while n > 0:
            got = sock.recv_into(view, min(n, len(buf)))
            if not got:
                raise rfbclient.RFBError("server closed the connection")
            n -= got

    updates = rects = nbytes = 0
    end = time.monotonic() + limit
    c.request(incremental=False)
    while not stop and time.monotonic() < end:
        try:
            t = c.u8()
        except rfbclient.RFBError:
            break               # the server went away
        except OSError:
            if stop:
                break
            continue            # socket timeout: the screen did not change
        if t != 0:
            if t == 3:
                c.recv(3)
                skip(c.u32())
            continue
        c.recv(1)
        n = c.u16()
        for _ in range(n):
            x, y, w, h, e = struct.unpack(">HHHHi", c.recv(12))
            if e == rfbclient.ENC_RAW:
                size = w * h * 4
            elif e == rfbclient.ENC_ZLIB:
                size = c.u32()
            elif e == rfbclient.ENC_DESKTOP_SIZE:
                size = 0
            else:
                sys.exit("vnc-load: unexpected encoding %d" % e)
            skip(size)
            rects += 1
            nbytes += size
        updates += 1
        c.request(incremental=True)
    print("updates %d rects %d bytes %d" % (updates, rects, nbytes))


if __name__ == "__main__":
    main()
