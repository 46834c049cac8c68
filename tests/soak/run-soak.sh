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
# On the sanitizer build (make check-asan) the guarantees checked are memory
# safety, leaks and UB; the time and RSS bounds are the plain build's.  ASan
# runs Vireo about three times slower, and it keeps freed blocks in a
# quarantine that counts in RSS until it is full (256 MB by default): a
# 90 s run grew 394 MB with it and 1.7 MB with it off.  So: a 16 MB
# quarantine, that much more RSS margin, three times the latency bound.
if grep -qs '^CONFIG_SANITIZERS=yes' "$BUILD/config.mak"; then
    export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=16"
    export SOAK_RSS_MARGIN_MB=${SOAK_RSS_MARGIN_MB:-40}
    export SOAK_MAX_LATENCY_MS=${SOAK_MAX_LATENCY_MS:-300}
    echo "run-soak: sanitizer build: quarantine 16 MB, RSS margin $SOAK_RSS_MARGIN_MB MB," \
         "latency bound $SOAK_MAX_LATENCY_MS ms"
fi
exec python3 tests/soak/soak.py --vireo "$VIREO" --kernel "${guest[0]}" --initrd "${guest[1]}" \
    --time "${SOAK_TIME:-60}"
