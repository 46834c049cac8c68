#!/usr/bin/env python3
"""tcp-read.py HOST PORT: connect (20 s timeout), read until the peer
closes, print what came (stripped).  The guest tests read a token a
server in the guest serves this way (hostfwd, TAP)."""
import socket, sys

s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=20)
data = b""
while True:
    b = s.recv(4096)
    if not b:
        break
    data += b
print(data.decode(errors="replace").strip())
