#!/usr/bin/env python3
"""hmp.py SOCKET CMD...: run HMP commands over a monitor's unix socket
(Vireo's or QEMU's, both prompt "(qemu) ") and print their output.

Each command is sent after the prompt that ends the previous one, and the
script returns once the prompt after the last one has arrived, so a long
output (an xp dump of a busy guest) is never cut short the way a fixed
wait after the input ends (socat -t) can cut it."""
import socket
import sys

PROMPT = b'(qemu) '


def main():
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(120)
    s.connect(sys.argv[1])
    buf = b''

    def until_prompt():
        nonlocal buf
        while PROMPT not in buf:
            d = s.recv(65536)
            if not d:
                out, buf = buf, b''
                return out
            buf += d
        out, _, buf = buf.partition(PROMPT)
        return out

    until_prompt()                      # the banner
    for cmd in sys.argv[2:]:
        s.sendall(cmd.encode() + b'\n')
        sys.stdout.buffer.write(until_prompt())
        sys.stdout.flush()
    s.close()


if __name__ == '__main__':
    main()
