#!/usr/bin/env python3
"""Compare a rectangle of an X screenshot (xwd, ZPixmap, 24/32 bpp) with a
PPM (P6) screendump of the guest.
Usage: screen-compare.py SHOT.xwd DUMP.ppm X Y [SCALE]
The rectangle is at X,Y on the screen and has the dump's size.  Prints the
number of differing pixels; exit status 0 when all match, 1 otherwise.
With an integer SCALE > 1 the window shows the dump magnified (filtered):
each lit pixel of the dump must be lit in its SCALExSCALE block on the
screen (the block's mean at least 40% of the pixel's brightness, so the
filter's blur passes and a blank or unscaled picture does not); prints how
many lit pixels are not, and exit status 0 when that is under 5%."""
import struct
import sys


def read_xwd(path):
    data = open(path, "rb").read()
    hdr = struct.unpack(">25I", data[:100])
    header_size, _, _, depth, width, height = hdr[0:6]
    byte_order, bpp, bytes_per_line = hdr[7], hdr[11], hdr[12]
    red_mask, green_mask, blue_mask = hdr[14], hdr[15], hdr[16]
    ncolors = hdr[19]
    if bpp not in (24, 32):
        sys.exit("screen-compare: xwd with %d bits per pixel not handled" % bpp)
    off = header_size + ncolors * 12
    size = bpp // 8

    def pixel(x, y):
        p = off + y * bytes_per_line + x * size
        v = int.from_bytes(data[p:p + size], "little" if byte_order == 0 else "big")
        return ((v & red_mask) >> 16, (v & green_mask) >> 8, v & blue_mask)
    return width, height, pixel


def read_ppm(path):
    data = open(path, "rb").read()
    fields, pos = [], 0
    while len(fields) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos) + 1
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    if fields[0] != b"P6" or fields[3] != b"255":
        sys.exit("screen-compare: %s is not an 8-bit P6 PPM" % path)
    w, h = int(fields[1]), int(fields[2])
    return w, h, data[pos + 1:]


def main():
    sw, sh, pixel = read_xwd(sys.argv[1])
    w, h, px = read_ppm(sys.argv[2])
    x0, y0 = int(sys.argv[3]), int(sys.argv[4])
    if x0 < 0 or y0 < 0 or x0 + w > sw or y0 + h > sh:
        sys.exit("screen-compare: %dx%d at %d,%d is off the %dx%d screen" % (w, h, x0, y0, sw, sh))
    scale = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    if scale > 1:
        if x0 + w * scale > sw or y0 + h * scale > sh:
            sys.exit("screen-compare: the magnified picture is off the screen")
        lit = bad = 0
        for y in range(h):
            for x in range(w):
                i = (y * w + x) * 3
                b = px[i] + px[i + 1] + px[i + 2]
                if b < 96:
                    continue
                lit += 1
                s = 0
                for dy in range(scale):
                    for dx in range(scale):
                        s += sum(pixel(x0 + x * scale + dx, y0 + y * scale + dy))
                if s / (scale * scale) < 0.4 * b:
                    bad += 1
        print("%d of %d lit pixels not lit on the screen" % (bad, lit))
        sys.exit(0 if lit and bad * 20 < lit else 1)
    bad = 0
    for y in range(h):
        for x in range(w):
            i = (y * w + x) * 3
            if pixel(x0 + x, y0 + y) != (px[i], px[i + 1], px[i + 2]):
                bad += 1
    print("%d of %d pixels differ" % (bad, w * h))
    sys.exit(0 if bad == 0 else 1)


main()
