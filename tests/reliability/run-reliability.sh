#!/bin/bash
# Hostile and careless monitor, gdb and serial clients (tests/reliability/
# clients.py): none may stall or crash Vireo.  Needs SeaBIOS in $BUILD.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
BUILD=${BUILD:-build}
if [ ! -f "$BUILD/firmware/bios.bin" ]; then
    echo "SKIP: $BUILD/firmware/bios.bin missing"
    exit 77
fi
BUILD=$BUILD exec python3 tests/reliability/clients.py
