#!/usr/bin/env python3
"""Run a command on a pseudo-terminal of 80x25 and play a script against
what the terminal shows.
Usage: pty-expect.py TIMEOUT_S RAWLOG STEP... -- COMMAND [ARGS...]
A STEP is "expect=TEXT" (wait, up to TIMEOUT_S, until TEXT appears in the
output after the previous step) or "send=TEXT" (type TEXT; Python escapes
such as \\x1b are decoded).  Escape sequences are dropped from the output
and cursor-forward moves (CSI n C) become n spaces, since curses moves over
blanks instead of writing them.  The raw output goes to RAWLOG.  Prints
one line per step; exit 0 when every expect was met, 1 at the first that
was not.  The command gets SIGTERM at the end (SIGKILL if it lingers)."""
import codecs
import fcntl
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import time

CSI = re.compile(rb"\x1b\[([0-9;?]*)([@-~])")
OTHER_ESC = re.compile(rb"\x1b[()][0-9A-Za-z]|\x1b[=>78NOM]|\x1b\][^\x07]*\x07")


def visible(raw):
    def csi(m):
        if m.group(2) == b"C":
            return b" " * int(m.group(1) or b"1")
        return b"\n" if m.group(2) in (b"H", b"d") else b""
    return CSI.sub(csi, OTHER_ESC.sub(b"", raw)).replace(b"\x0f", b"").replace(b"\x0e", b"")


def main():
    timeout, rawlog = float(sys.argv[1]), sys.argv[2]
    sep = sys.argv.index("--")
    steps, cmd = sys.argv[3:sep], sys.argv[sep + 1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 25, 80, 0, 0))
    os.kill(pid, signal.SIGWINCH)
    raw = b""
    start = 0           # visible output before this offset belongs to earlier steps
    status = 0
    for step in steps:
        kind, _, arg = step.partition("=")
        if kind == "send":
            os.write(fd, codecs.decode(arg, "unicode_escape").encode("latin-1"))
            start = len(visible(raw))
            print("sent %r" % arg)
            continue
        text = arg.encode()
        found = False
        end = time.time() + timeout
        while time.time() < end:
            at = visible(raw).find(text, start)
            if at >= 0:
                found = True
                break
            r, _, _ = select.select([fd], [], [], 0.2)
            if r:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                raw += chunk
        print("%s %r (%d bytes of output)" % ("seen" if found else "NOT seen", arg, len(raw)))
        if not found:
            status = 1
            break
        # the next step looks after this match (offsets in the visible
        # text: one chunk may hold several steps' text)
        start = at + len(text)
    open(rawlog, "wb").write(raw)
    os.kill(pid, signal.SIGTERM)
    for _ in range(50):
        if os.waitpid(pid, os.WNOHANG)[0]:
            break
        try:
            os.read(fd, 65536)      # let it restore the terminal
        except OSError:
            pass
        time.sleep(0.1)
    else:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    sys.exit(status)


main()
