#!/bin/bash
# Not named run-*.sh: make check runs every tests/*/run-*.sh, and this is
# the long run of make fuzz, not a check.
# Long libFuzzer runs (make fuzz): fuzz every harness built in build-fuzz/
# for FUZZ_TIME seconds, growing build-fuzz/corpus/NAME/ from the seed
# corpus tests/fuzz/corpus/NAME/.  A crash in one harness does not stop the
# others; each harness's log is build-fuzz/tests/fuzz/NAME.fuzz.log and
# crashing inputs land in build-fuzz/artifacts/NAME/.  The summary line per
# harness gives executions, executions per second and the coverage reached
# (libFuzzer's cov: edges and ft: features).  FUZZ_TARGETS="gdb hmp" picks
# harnesses.  Exit status 1 if any harness found a crash, leak or timeout.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
FUZZ_TIME=${FUZZ_TIME:-60}
targets=${FUZZ_TARGETS:-$(for s in tests/fuzz/fuzz-*.c; do n=$(basename "$s" .c); echo "${n#fuzz-}"; done)}
status=0
for t in $targets; do
    bin=build-fuzz/tests/fuzz/fuzz-$t
    log=$bin.fuzz.log
    if [ ! -x "$bin" ]; then
        echo "not ok - $bin not built"; status=1; continue
    fi
    mkdir -p "build-fuzz/corpus/$t" "build-fuzz/artifacts/$t"
    echo "fuzzing fuzz-$t for ${FUZZ_TIME}s (log: $log)"
    VIREO_SRC=$top "$bin" -max_total_time="$FUZZ_TIME" -max_len=4096 -timeout=25 \
        -print_final_stats=1 -artifact_prefix="build-fuzz/artifacts/$t/" \
        "build-fuzz/corpus/$t" "tests/fuzz/corpus/$t" > "$log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    corp=$(ls "build-fuzz/corpus/$t" | wc -l)
    if [ $rc -eq 0 ]; then
        echo "ok - fuzz-$t: ${runs:-?} runs, ${eps:-?} exec/s, cov ${cov:-?}, ft ${ft:-?}, corpus $corp"
    else
        echo "not ok - fuzz-$t (exit $rc): ${runs:-?} runs, cov ${cov:-?}; see $log"
        grep -E 'ERROR: |SUMMARY: |Test unit written' "$log" | head -n 5
        status=1
    fi
done
exit $status
