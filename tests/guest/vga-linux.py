#!/usr/bin/env python3
"""Screen checks for tests/guest/vga-linux.sh (standard library only).

  vga-linux.py text HMP PPM SERIAL MARKER GLYPHS
      HMP holds "xp /4096hx" dumps of 0xb8000-0xbffff (the 32 KiB colour text
      window), PPM the 720x400 screendump taken with it.  Linux's vgacon
      scrolls by moving the CRTC start address, so the visible screen is
      any 80x25 window of that buffer: find the one the screendump agrees
      with (blank cells plain background, printed cells with foreground),
      then check that it shows kernel lines that the serial log also has,
      and MARKER.  Writes the 8x16 bitmaps of the characters it saw (the
      first 8 of the 9 columns of each cell) to GLYPHS as JSON.
  vga-linux.py fb PPM GLYPHS SERIAL TEXTMARKER MARKER
      PPM is the screendump with bochs-drm's framebuffer console: it must
      be 1024x768.  fbcon redrew the text console on it, TEXTMARKER too:
      that row is found with the text mode's glyphs, and Linux's own
      glyphs of its characters are taken from it; with those each 8x16
      cell is read back into a character, and MARKER (written after
      fbcon took over) must be on one of the rows, as must kernel lines
      printed after the switch.
Prints TAP-ish "ok - ..." / "not ok - ..." lines; exit 1 if any failed.
"""
import json
import re
import sys

fails = 0


def report(good, text):
    global fails
    print(("ok - " if good else "not ok - ") + text)
    fails += not good


def read_ppm(path):
    d = open(path, 'rb').read()
    m = re.match(rb'P6\s+(\d+)\s+(\d+)\s+255\s', d)
    if not m:
        raise SystemExit("not ok - %s is not a binary PPM" % path)
    return int(m.group(1)), int(m.group(2)), d[m.end():]


def read_words(path):
    words = []
    for line in open(path, errors='replace'):
        m = re.match(r'\s*[0-9a-f]+:((?:\s+0x[0-9a-f]{4})+)', line)
        if m:
            words += [int(x, 16) for x in m.group(1).split()]
    return words


# The VGA BIOS's 16 text colours: attribute nibble -> RGB
PAL = [0x000000, 0x0000a8, 0x00a800, 0x00a8a8, 0xa80000, 0xa800a8, 0xa85700, 0xa8a8a8,
       0x575757, 0x5757ff, 0x57ff57, 0x57ffff, 0xff5757, 0xff57ff, 0xffff57, 0xffffff]


def rgb(c):
    return bytes(((c >> 16) & 255, (c >> 8) & 255, c & 255))


def serial_lines(path):
    # the serial log has \r\n endings and may hold escape sequences
    return [l.rstrip('\r') for l in open(path, errors='replace').read().split('\n')]


def text(hmp, ppm, serial, marker, glyph_out):
    w, h, px = read_ppm(ppm)
    words = read_words(hmp)
    report((w, h) == (720, 400) and len(words) >= 16384,
           "text mode screendump %dx%d, %d words of text buffer" % (w, h, len(words)))
    if (w, h) != (720, 400) or len(words) < 2000:
        return

    def cell(r, c):
        rows = []
        for y in range(16):
            o = ((r * 16 + y) * w + c * 9) * 3
            rows.append([px[o + 3 * x:o + 3 * x + 3] for x in range(9)])
        return rows

    cells = [[cell(r, c) for c in range(80)] for r in range(25)]
    colours = [[{p for row in cells[r][c] for p in row} for c in range(80)] for r in range(25)]

    def disagree(origin):
        bad = printed = 0
        for r in range(25):
            for c in range(80):
                wd = words[origin + r * 80 + c]
                ch, attr = wd & 0xff, wd >> 8
                fg, bg = rgb(PAL[attr & 15]), rgb(PAL[(attr >> 4) & 7])
                seen = colours[r][c]
                if ch in (0, 0x20):
                    # the cursor may be drawn in a blank cell
                    bad += bool(seen - {bg}) and seen != {fg, bg}
                else:
                    printed += 1
                    bad += fg not in seen or bool(seen - {fg, bg})
        return bad, printed

    best = None
    for origin in range(0, len(words) - 2000 + 1, 80):
        bad, printed = disagree(origin)
        if best is None or bad < best[1]:
            best = (origin, bad, printed)
    origin, bad, printed = best
    report(bad <= 1 and printed >= 200,
           "the screendump shows the text buffer from 0x%x (CRTC start address %d): "
           "%d printed cells, %d disagree" % (0xb8000 + 2 * origin, origin, printed, bad))
    rows = [''.join(chr(x & 0xff) if 32 <= (x & 0xff) < 127 else ' '
                    for x in words[origin + r * 80:origin + r * 80 + 80]).rstrip()
            for r in range(25)]
    for r in rows:
        print("#  |" + r)
    log = serial_lines(serial)
    logtext = '\n'.join(log)
    kernel = [r for r in rows if re.match(r'\[ *\d+\.\d{6}\] \S', r)]
    found = [r for r in kernel if r in logtext]
    report(len(found) >= 10,
           "%d of the screen's %d kernel lines are on the serial log too, e.g. %r"
           % (len(found), len(kernel), found[-1] if found else None))
    report(any(marker in r for r in rows), "the marker %r is on the text screen" % marker)

    # glyphs: foreground pixels of the first 8 columns, one bit each
    glyphs, clash = {}, set()
    for r in range(25):
        for c in range(80):
            wd = words[origin + r * 80 + c]
            ch, attr = wd & 0xff, wd >> 8
            if not 0x21 <= ch < 0x7f:
                continue
            fg = rgb(PAL[attr & 15])
            bits = [sum(1 << x for x in range(8) if cells[r][c][y][x] == fg) for y in range(16)]
            if glyphs.get(chr(ch), bits) != bits:
                clash.add(chr(ch))      # e.g. the cursor over it
            glyphs.setdefault(chr(ch), bits)
    for ch in clash:
        del glyphs[ch]
    json.dump(glyphs, open(glyph_out, 'w'))
    print("# %d glyphs taken from the text screen" % len(glyphs))


def fb(ppm, glyph_file, serial, tmark, fmark):
    w, h, px = read_ppm(ppm)
    report((w, h) == (1024, 768), "the screendump is %dx%d" % (w, h))
    if (w, h) != (1024, 768):
        return
    text_glyphs = {k: tuple(v) for k, v in json.load(open(glyph_file)).items()}

    def lit(o):
        return max(px[o], px[o + 1], px[o + 2]) >= 0x60

    cells = [[tuple(sum(1 << x for x in range(8) if lit(((r * 16 + y) * w + c * 8 + x) * 3))
                    for y in range(16)) for c in range(w // 8)] for r in range(h // 16)]

    # fbcon redraws what vgacon had, the text marker included.  Linux's
    # 8x16 font is not the VGA BIOS's (some letters differ), so find that
    # row with the characters whose glyphs are the same in both, then take
    # Linux's glyphs for every character of the marker from that row.
    best = (-1, 0, 0)
    for r in range(len(cells)):
        for c0 in range(len(cells[r]) - len(tmark) + 1):
            n = sum(cells[r][c0 + i] == text_glyphs.get(ch) for i, ch in enumerate(tmark))
            if n > best[0]:
                best = (n, r, c0)
    n, r, c0 = best
    printed = sum(ch != ' ' for ch in tmark)
    blank = all(not any(cells[r][c0 + i]) for i, ch in enumerate(tmark) if ch == ' ')
    report(n * 2 >= printed and blank,
           "the text screen's marker is on the framebuffer (row %d): %d of its %d characters "
           "drawn as in text mode, its spaces blank" % (r, n, printed))
    glyphs = dict(text_glyphs)
    for i, ch in enumerate(tmark):
        if ch != ' ':
            glyphs[ch] = cells[r][c0 + i]
    report(len(set(glyphs[ch] for ch in set(tmark) - {' '})) == len(set(tmark) - {' '}),
           "the marker's %d characters have distinct glyphs on the framebuffer"
           % len(set(tmark) - {' '}))
    by_bits = {}
    for ch, bits in glyphs.items():
        by_bits.setdefault(bits, ch)
    rows = []
    for r in range(len(cells)):
        rows.append(''.join(' ' if not any(b) else by_bits.get(b, '\0') for b in cells[r]).rstrip())
    for row in rows:
        if row:
            print("#  |" + row.replace('\0', '?'))
    missing = sorted(set(fmark) - set(glyphs) - {' '})
    report(not missing and any(fmark in row for row in rows),
           "the marker %r written after bochs-drm took over is drawn on the framebuffer "
           "console%s" % (fmark, " (no glyphs for %r)" % ''.join(missing) if missing else ""))
    # kernel lines fbcon printed itself (a character without a glyph
    # matches any character)
    logtext = '\n'.join(serial_lines(serial))
    found = []
    for row in rows:
        if re.match(r'\[ *\d+\.\d{6}\] \S', row):
            pat = ''.join('.' if ch == '\0' else re.escape(ch) for ch in row)
            if re.search(pat, logtext):
                found.append(row)
    report(len(found) >= 3 and any('frame buffer device' in row for row in found),
           "%d kernel lines on the framebuffer console are on the serial log too, e.g. %r"
           % (len(found), found[-1] if found else None))


if __name__ == '__main__':
    if len(sys.argv) == 7 and sys.argv[1] == 'text':
        text(*sys.argv[2:])
    elif len(sys.argv) == 7 and sys.argv[1] == 'fb':
        fb(*sys.argv[2:])
    else:
        raise SystemExit(__doc__)
    sys.exit(1 if fails else 0)
