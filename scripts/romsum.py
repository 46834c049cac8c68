#!/usr/bin/env python3
"""Finish an option ROM image: pad to a multiple of 512 bytes, store the
size in 512-byte blocks at offset 2 and make all bytes sum to 0 mod 256
(the last byte is the checksum byte), as the PC option ROM format requires.
    scripts/romsum.py IN OUT"""
import sys

data = bytearray(open(sys.argv[1], 'rb').read())
if data[:2] != b'\x55\xaa':
    sys.exit('romsum: %s: no 0x55 0xaa signature' % sys.argv[1])
size = (len(data) + 1 + 511) // 512 * 512   # room for the checksum byte
if size > 255 * 512:
    sys.exit('romsum: %s: too large for an option ROM' % sys.argv[1])
data += bytes(size - len(data))
data[2] = size // 512
data[-1] = 0
data[-1] = (-sum(data)) & 0xff
open(sys.argv[2], 'wb').write(data)
