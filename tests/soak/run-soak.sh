#!/bin/bash
# The soak test's entry for make check (tests/*/run-*.sh): boots Debian's
# Linux guest and runs tests/soak/soak.py for SOAK_TIME seconds (default 60;
# `make soak` runs 600).  Exit 0 pass, 1 fail, 77 skip when the guest
# packages cannot be fetched or python3 is missing.
#   SOAK_SEED=N repeats a run's random choices, SOAK_NO_STALL=1 leaves out
#   the clients that stop reading; soak.py's header lists the other knobs.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
BUILD=${BUILD:-build}
export BUILD
VIREO=${VIREO:-$BUILD/vireo}
if [ ! -x "$VIREO" ]; then
    echo "run-soak: $VIREO is not built"
    exit 1
fi
if ! command -v python3 >/dev/null 2>&1; then
    echo "SKIP: python3 is not installed (scripts/install-deps.sh installs it)"
    exit 77
fi
glog=$BUILD/tests/soak/make-linux-guest.log
mkdir -p "$(dirname "$glog")"
scripts/make-linux-guest.sh >"$glog.out" 2>"$glog"
st=$?
mapfile -t guest <"$glog.out"
if [ $st -ne 0 ] || [ ${#guest[@]} -ne 2 ] || [ ! -f "${guest[0]}" ] || [ ! -f "${guest[1]}" ]; then
    echo "SKIP: cannot build the Linux guest: scripts/make-linux-guest.sh exit status $st" \
         "(Debian's linux-image and busybox-static packages could not be fetched?); its log:"
    tail -n 5 "$glog"
    exit 77
fi
exec python3 tests/soak/soak.py --vireo "$VIREO" --kernel "${guest[0]}" --initrd "${guest[1]}" \
    --time "${SOAK_TIME:-60}"
