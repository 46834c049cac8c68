#!/usr/bin/env python3
"""A small RFB (VNC) client written from RFC 6143, for testing Vireo's server.

It speaks 3.3, 3.7 and 3.8, security types None and VNC Authentication (DES
through libnettle with ctypes: Python's standard library has no DES), and
decodes Raw, zlib, Tight (fill, and basic compression with the copy or
palette filter) and CopyRect in any true-colour pixel format of 8, 16 or 32 bits, plus the
DesktopSize and QEMU extended-key pseudo-encodings.  The framebuffer is kept
as 8-bit RGB triples so it can be compared with a PPM screendump.

Used as a library by tests/guest/vnc-check.py, and by hand:
    rfbclient.py unix:/path/to/sock snapshot out.ppm [--enc raw|zlib|tight] [--password PW]
"""
import ctypes
import ctypes.util
import socket
import struct
import sys
import zlib

ENC_RAW, ENC_COPYRECT, ENC_ZLIB, ENC_TIGHT = 0, 1, 6, 7
ENC_DESKTOP_SIZE, ENC_QEMU_EXT_KEY = -223, -258
ENC_NAMES = {"raw": ENC_RAW, "zlib": ENC_ZLIB, "tight": ENC_TIGHT}


class RFBError(Exception):
    pass


class AuthFailed(RFBError):
    pass


def des_response(password, challenge):
    """VNC authentication: DES-ECB of the challenge keyed with the password's
    bytes (8, zero padded), each byte bit-reversed."""
    name = ctypes.util.find_library("nettle") or "libnettle.so.8"
    lib = ctypes.CDLL(name)
    key = bytes(int("{:08b}".format(b)[::-1], 2) for b in password.encode()[:8].ljust(8, b"\0"))
    ctx = ctypes.create_string_buffer(256)
    lib.nettle_des_set_key(ctx, key)
    out = ctypes.create_string_buffer(16)
    lib.nettle_des_encrypt(ctx, ctypes.c_size_t(16), out, challenge)
    return out.raw


class PixelFormat:
    def __init__(self, bpp=32, depth=24, big_endian=False, true_colour=True,
                 rmax=255, gmax=255, bmax=255, rshift=16, gshift=8, bshift=0):
        self.bpp, self.depth, self.big_endian, self.true_colour = bpp, depth, big_endian, true_colour
        self.rmax, self.gmax, self.bmax = rmax, gmax, bmax
        self.rshift, self.gshift, self.bshift = rshift, gshift, bshift

    @classmethod
    def unpack(cls, b):
        f = struct.unpack(">BBBBHHHBBB3x", b)
        return cls(f[0], f[1], bool(f[2]), bool(f[3]), *f[4:])

    def pack(self):
        return struct.pack(">BBBBHHHBBB3x", self.bpp, self.depth, self.big_endian,
                           self.true_colour, self.rmax, self.gmax, self.bmax,
                           self.rshift, self.gshift, self.bshift)

    def tpixel24(self):
        return (self.true_colour and self.bpp == 32 and self.depth == 24 and
                self.rmax == self.gmax == self.bmax == 255)

    def to_rgb(self, v):
        """Pixel value -> 8-bit (r, g, b)."""
        def ch(shift, mx):
            c = (v >> shift) & mx
            return (c * 255 + mx // 2) // mx
        return ch(self.rshift, self.rmax), ch(self.gshift, self.gmax), ch(self.bshift, self.bmax)


class RFBClient:
    def __init__(self, addr, timeout=20):
        if addr.startswith("unix:"):
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(timeout)
            self.sock.connect(addr[5:])
        else:
            host, port = addr.rsplit(":", 1)
            self.sock = socket.create_connection((host or "127.0.0.1", int(port)), timeout)
        self.zlib = zlib.decompressobj()
        self.tight = [zlib.decompressobj() for _ in range(4)]
        self.width = self.height = 0
        self.fb = bytearray()
        self.pf = PixelFormat()
        self.ext_key = False
        self.desktop_sizes = []
        self.encodings_seen = set()

    # ---- bytes ----
    def recv(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise RFBError("server closed the connection (after %d of %d bytes)" % (len(buf), n))
            buf += chunk
        return buf

    def u8(self):
        return self.recv(1)[0]

    def u16(self):
        return struct.unpack(">H", self.recv(2))[0]

    def u32(self):
        return struct.unpack(">I", self.recv(4))[0]

    def send(self, b):
        self.sock.sendall(b)

    def close(self):
        self.sock.close()

    # ---- handshake ----
    def handshake(self, version="3.8", password=None, shared=True):
        server = self.recv(12)
        if not server.startswith(b"RFB 003."):
            raise RFBError("bad server version %r" % server)
        minor = int(version.split(".")[1])
        self.send(b"RFB 003.%03d\n" % minor)
        if minor >= 7:
            n = self.u8()
            if n == 0:
                raise RFBError("connection refused: %s" % self.recv(self.u32()).decode())
            types = list(self.recv(n))
            want = 2 if password is not None else 1
            if want not in types:
                raise RFBError("server offers security types %s, not %d" % (types, want))
            self.send(bytes([want]))
            sec = want
        else:
            sec = self.u32()
            if sec == 0:
                raise RFBError("connection refused: %s" % self.recv(self.u32()).decode())
        if sec == 2:
            if password is None:
                raise RFBError("server wants a password")
            self.send(des_response(password, self.recv(16)))
        if sec == 2 or minor >= 8:
            result = self.u32()
            if result != 0:
                reason = self.recv(self.u32()).decode() if minor >= 8 else ""
                raise AuthFailed(reason or "authentication failed")
        self.send(bytes([1 if shared else 0]))
        self.width, self.height = self.u16(), self.u16()
        self.pf = PixelFormat.unpack(self.recv(16))
        self.name = self.recv(self.u32()).decode()
        self.fb = bytearray(self.width * self.height * 3)
        return self.name

    # ---- client messages ----
    def set_pixel_format(self, pf):
        self.pf = pf
        self.send(b"\0\0\0\0" + pf.pack())

    def set_encodings(self, encs):
        self.send(struct.pack(">BxH", 2, len(encs)) + b"".join(struct.pack(">i", e) for e in encs))

    def request(self, incremental=False, x=0, y=0, w=None, h=None):
        w = self.width if w is None else w
        h = self.height if h is None else h
        self.send(struct.pack(">BBHHHH", 3, 1 if incremental else 0, x, y, w, h))

    def key(self, keysym, down):
        self.send(struct.pack(">BBxxI", 4, 1 if down else 0, keysym))

    def ext_key_event(self, keysym, keycode, down):
        self.send(struct.pack(">BBHII", 255, 0, 1 if down else 0, keysym, keycode))

    def pointer(self, mask, x, y):
        self.send(struct.pack(">BBHH", 5, mask, x, y))

    # ---- server messages ----
    def read_message(self):
        """Read one server message; returns its type (0 update, 1 colours,
        2 bell, 3 cut text)."""
        t = self.u8()
        if t == 0:
            self.recv(1)
            for _ in range(self.u16()):
                x, y, w, h, enc = struct.unpack(">HHHHi", self.recv(12))
                self.rect(x, y, w, h, enc)
        elif t == 2:
            pass
        elif t == 3:
            self.recv(3)
            self.recv(self.u32())
        else:
            raise RFBError("unexpected server message type %d" % t)
        return t

    def read_update(self):
        while self.read_message() != 0:
            pass

    def bytes_pp(self):
        return self.pf.bpp // 8

    def pixel_values(self, data, n):
        bpp = self.bytes_pp()
        order = ">" if self.pf.big_endian else "<"
        code = {1: "B", 2: "H", 4: "I"}[bpp]
        return struct.unpack(order + code * n, data[:n * bpp])

    def put_pixels(self, x, y, w, h, rgb_list):
        if x + w > self.width or y + h > self.height:
            raise RFBError("rectangle %dx%d+%d+%d outside %dx%d" % (w, h, x, y, self.width, self.height))
        i = 0
        for row in range(y, y + h):
            off = (row * self.width + x) * 3
            for _ in range(w):
                self.fb[off:off + 3] = bytes(rgb_list[i])
                off += 3
                i += 1

    def rect(self, x, y, w, h, enc):
        self.encodings_seen.add(enc)
        n = w * h
        if enc == ENC_RAW:
            vals = self.pixel_values(self.recv(n * self.bytes_pp()), n)
            self.put_pixels(x, y, w, h, [self.pf.to_rgb(v) for v in vals])
        elif enc == ENC_ZLIB:
            data = self.zlib.decompress(self.recv(self.u32()))
            if len(data) != n * self.bytes_pp():
                raise RFBError("zlib rectangle: %d bytes for %d pixels" % (len(data), n))
            vals = self.pixel_values(data, n)
            self.put_pixels(x, y, w, h, [self.pf.to_rgb(v) for v in vals])
        elif enc == ENC_TIGHT:
            self.tight_rect(x, y, w, h)
        elif enc == ENC_COPYRECT:
            sx, sy = struct.unpack(">HH", self.recv(4))
            if sx + w > self.width or sy + h > self.height or x + w > self.width or y + h > self.height:
                raise RFBError("CopyRect %dx%d from %d,%d to %d,%d outside the screen" % (w, h, sx, sy, x, y))
            rows = [bytes(self.fb[((sy + r) * self.width + sx) * 3:((sy + r) * self.width + sx + w) * 3])
                    for r in range(h)]
            for r in range(h):
                off = ((y + r) * self.width + x) * 3
                self.fb[off:off + w * 3] = rows[r]
        elif enc == ENC_DESKTOP_SIZE:
            self.width, self.height = w, h
            self.fb = bytearray(w * h * 3)
            self.desktop_sizes.append((w, h))
        elif enc == ENC_QEMU_EXT_KEY:
            self.ext_key = True
        else:
            raise RFBError("unexpected encoding %d" % enc)

    def compact_len(self):
        b = self.u8()
        n = b & 0x7f
        if b & 0x80:
            b = self.u8()
            n |= (b & 0x7f) << 7
            if b & 0x80:
                n |= self.u8() << 14
        return n

    def tpixels(self, data, n):
        if self.pf.tpixel24():
            return [tuple(data[i * 3:i * 3 + 3]) for i in range(n)]
        return [self.pf.to_rgb(v) for v in self.pixel_values(data, n)]

    def tight_rect(self, x, y, w, h):
        if w > 2048:
            raise RFBError("tight rectangle wider than 2048")
        ctl = self.u8()
        for i in range(4):
            if ctl & (1 << i):
                self.tight[i] = zlib.decompressobj()
        kind = ctl >> 4
        tp = 3 if self.pf.tpixel24() else self.bytes_pp()
        if kind == 8:                                   # fill
            self.put_pixels(x, y, w, h, self.tpixels(self.recv(tp), 1) * (w * h))
            return
        if kind > 7:
            raise RFBError("unsupported tight compression %#x" % ctl)
        palette = None
        if kind & 4:
            f = self.u8()
            if f == 1:                                  # palette filter
                n = self.u8() + 1
                palette = self.tpixels(self.recv(n * tp), n)
            elif f != 0:
                raise RFBError("tight filter %d not supported by this client" % f)
        if palette is None:
            size = w * h * tp
        elif len(palette) == 2:
            size = (w + 7) // 8 * h                     # 1 bit per pixel, rows byte-padded
        else:
            size = w * h
        if size < 12:
            data = self.recv(size)
        else:
            data = self.tight[kind & 3].decompress(self.recv(self.compact_len()))
        if len(data) != size:
            raise RFBError("tight rectangle: %d bytes for %d" % (len(data), size))
        if palette is None:
            self.put_pixels(x, y, w, h, self.tpixels(data, w * h))
        elif len(palette) == 2:
            stride = (w + 7) // 8
            self.put_pixels(x, y, w, h, [palette[(data[r * stride + c // 8] >> (7 - c % 8)) & 1]
                                         for r in range(h) for c in range(w)])
        else:
            self.put_pixels(x, y, w, h, [palette[i] for i in data])

    def ppm(self):
        return b"P6\n%d %d\n255\n" % (self.width, self.height) + bytes(self.fb)


def read_ppm(path):
    """-> (width, height, rgb bytes) of a binary PPM (P6, maxval 255)."""
    data = open(path, "rb").read()
    fields, pos = [], 0
    while len(fields) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos)
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    if fields[0] != b"P6" or fields[3] != b"255":
        raise RFBError("%s: not a P6 PPM with maxval 255" % path)
    w, h = int(fields[1]), int(fields[2])
    return w, h, data[pos + 1:pos + 1 + w * h * 3]


def main(argv):
    addr, cmd = argv[1], argv[2]
    password = None
    enc = "raw"
    if "--password" in argv:
        password = argv[argv.index("--password") + 1]
    if "--enc" in argv:
        enc = argv[argv.index("--enc") + 1]
    c = RFBClient(addr)
    print("server:", c.handshake(password=password))
    if cmd == "snapshot":
        c.set_encodings([ENC_NAMES[enc], ENC_DESKTOP_SIZE])
        c.request()
        c.read_update()
        open(argv[3], "wb").write(c.ppm())
        print("%dx%d written to %s" % (c.width, c.height, argv[3]))
    c.close()


if __name__ == "__main__":
    main(sys.argv)
