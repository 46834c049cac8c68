#!/bin/bash
# Deterministic run of every fuzz harness (corpus replay + fixed-seed
# random inputs) under the normal build: it must not crash or hang.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
cd "$top"
status=0
for src in tests/fuzz/fuzz-*.c; do
    bin=$BUILD/tests/fuzz/$(basename "$src" .c)
    if [ ! -x "$bin" ]; then
        echo "not ok - $bin not built"
        status=1
        continue
    fi
    if VIREO_SRC=$top timeout 300 "$bin" --tap > "$bin.log" 2>&1 && ! grep -q '^not ok' "$bin.log"; then
        echo "ok - $(basename "$bin") ($(grep -c '^ok' "$bin.log") cases)"
    else
        echo "not ok - $(basename "$bin"), see $bin.log"
        tail -n 20 "$bin.log"
        status=1
    fi
done
exit $status
