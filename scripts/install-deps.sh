#!/bin/bash
# Install Vireo's build and test dependencies on Debian/Ubuntu with apt-get.
# Non-interactive.  Works as root (no sudo needed) or as a user with sudo.
#   scripts/install-deps.sh            build + test dependencies
#   scripts/install-deps.sh --print    print the package list and exit
#   VIREO_EXTRA_DEPS="pkg ..."         install these too
set -euo pipefail

# Build dependencies (configure checks these).
BUILD_DEPS=(
    gcc make pkg-config nasm python3   # python3: scripts/romsum.py, tests/soak/soak.py
    libglib2.0-dev libjson-glib-dev libpixman-1-dev zlib1g-dev libslirp-dev
    libpng-dev             # screendump format=png
    nettle-dev             # DES for VNC authentication (ui/vnc.c)
    libjpeg-dev            # optional for the build: JPEG in the VNC server's Tight encoding
    libsdl2-dev            # optional for the build, but part of the standard set
    libncurses-dev         # optional: -display curses (ncursesw)
)
# What the tests and scripts use (timeout is in coreutils; apt-get download
# and dpkg-deb fetch and unpack firmware and test guests).
TEST_DEPS=(
    coreutils apt dpkg ca-certificates
    gdb                    # gdbstub tests
    socat                  # qtest/QMP/monitor socket tests
    acpica-tools           # iasl: the ACPI table test disassembles what we build
    e2fsprogs              # mkfs.ext4 -d, e2fsck, debugfs: the disk images of the storage guest tests
    xvfb x11-apps xdotool  # tests/guest/sdl.sh: a virtual X server, xwd, window control
    tigervnc-viewer        # tests/guest/vnc-viewer.sh: a real VNC viewer
    time bc                # bench/: GNU time (peak RSS) and ratios
    linux-perf             # tests/guest/jit-tiers.sh: host perf names translated blocks (-perfmap)
    meson ninja-build dpkg-dev libfdt-dev genisoimage   # tests/qemu-qtests: build QEMU's qtests
)

if [ "${1:-}" = --print ]; then
    printf '%s\n' "${BUILD_DEPS[@]}" "${TEST_DEPS[@]}" ${VIREO_EXTRA_DEPS:-}
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-deps: apt-get not found; install by hand:" >&2
    echo "  ${BUILD_DEPS[*]} ${TEST_DEPS[*]}" >&2
    exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo -n)          # never prompt: fail clearly instead of hanging
    if ! sudo -n true 2>/dev/null; then
        echo "install-deps: need root; run: sudo $0" >&2
        exit 1
    fi
else
    echo "install-deps: not root and no sudo; as root run: $0" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
APT=("${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -y -q
     -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)

echo "install-deps: apt-get update"
"${APT[@]}" update </dev/null
echo "install-deps: installing ${BUILD_DEPS[*]} ${TEST_DEPS[*]} ${VIREO_EXTRA_DEPS:-}"
# shellcheck disable=SC2086
"${APT[@]}" install --no-install-recommends \
    "${BUILD_DEPS[@]}" "${TEST_DEPS[@]}" ${VIREO_EXTRA_DEPS:-} </dev/null
echo "install-deps: done"
