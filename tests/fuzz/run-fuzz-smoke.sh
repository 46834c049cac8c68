#!/bin/bash
# Deterministic run of every fuzz harness (corpus replay + fixed-seed
# random inputs) under the normal build: it must not crash or hang.
# BUILD=build-asan runs the sanitizer tree's binaries.  FUZZ_RUNS sets the
# number of random inputs for every harness; by default the text parsers
# and fuzz-slirp, cheap per input, get many and fuzz-code (guest code runs)
# few, so the whole run stays around a minute on two cores.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
cd "$top"
status=0
runs_for() {
    case $1 in
    fuzz-code) echo 1500 ;;
    fuzz-hmp|fuzz-gdb|fuzz-qtest|fuzz-cmdline|fuzz-slirp) echo 20000 ;;
    *) echo 3000 ;;
    esac
}
for src in tests/fuzz/fuzz-*.c; do
    bin=$BUILD/tests/fuzz/$(basename "$src" .c)
    if [ ! -x "$bin" ]; then
        echo "not ok - $bin not built"
        status=1
        continue
    fi
    if FUZZ_RUNS=${FUZZ_RUNS:-$(runs_for "$(basename "$bin")")} VIREO_SRC=$top timeout 300 "$bin" --tap > "$bin.log" 2>&1 && ! grep -q '^not ok' "$bin.log"; then
        echo "ok - $(basename "$bin") ($(grep -c '^ok' "$bin.log") cases)"
    else
        echo "not ok - $(basename "$bin"), see $bin.log"
        tail -n 20 "$bin.log"
        status=1
    fi
done
exit $status
