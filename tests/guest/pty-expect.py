#!/usr/bin/env python3
"""Run a command on a pseudo-terminal of 80x25 and wait until its output,
read as a terminal would show it, contains a text.
Usage: pty-expect.py TIMEOUT_S TEXT RAWLOG -- COMMAND [ARGS...]
Escape sequences are dropped and cursor-forward moves (CSI n C) become n
spaces, since curses moves over blanks instead of writing them.  The raw
output goes to RAWLOG.  Exit 0 when TEXT was seen, 1 otherwise; the command
gets SIGTERM then (and SIGKILL if it lingers)."""
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
        return b"\n" if m.group(2) == b"H" else b""
    return CSI.sub(csi, OTHER_ESC.sub(b"", raw)).replace(b"\x0f", b"").replace(b"\x0e", b"")


def main():
    timeout, text, rawlog = float(sys.argv[1]), sys.argv[2].encode(), sys.argv[3]
    cmd = sys.argv[sys.argv.index("--") + 1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 25, 80, 0, 0))
    os.kill(pid, signal.SIGWINCH)
    raw = b""
    found = False
    end = time.time() + timeout
    while time.time() < end and not found:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            raw += chunk
            found = text in visible(raw)
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
    print("seen" if found else "not seen", repr(text.decode()), "in", len(raw), "bytes")
    sys.exit(0 if found else 1)


main()
