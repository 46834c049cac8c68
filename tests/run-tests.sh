#!/bin/bash
# Vireo test runner (make check).  Runs, each under timeout(1):
#   - every GLib test program: $BUILD/tests/unit/NAME for each tests/unit/NAME.c
#     and $BUILD/tests/qtest/NAME for each tests/qtest/test-NAME.c,
#     run with --tap; each test case counts (ok / not ok / # SKIP); a crash,
#     a timeout or a missing binary (build failure) counts as one failure;
#   - every executable test script: tests/guest/*.sh and tests/*/run-*.sh;
#     exit status 0 = pass, 77 = skip, anything else (incl. timeout) = fail.
# Prints one line per result and ends with exactly
#   N passed, M failed[, K skipped]
# Exit status 1 if anything failed.
#   tests/run-tests.sh [TEST...]   run only these (unit binaries or scripts)
# Environment: BUILD (default build), TEST_TIMEOUT (seconds per test, 300),
# VERBOSE=1 prints the output of failing tests in full (default: last lines).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
BUILD=${BUILD:-build}
export BUILD
# A GLib-CRITICAL (a broken GLib call contract) aborts the program under test.
export G_DEBUG=fatal-criticals
TEST_TIMEOUT=${TEST_TIMEOUT:-300}
logdir=$BUILD/tests/logs
mkdir -p "$logdir"

pass=0 fail=0 skip=0
failed_names=()

result() {   # result STATUS NAME [DETAIL]
    local st=$1 name=$2 detail=${3:-}
    case $st in
        PASS) pass=$((pass + 1)) ;;
        SKIP) skip=$((skip + 1)) ;;
        FAIL) fail=$((fail + 1)); failed_names+=("$name") ;;
    esac
    printf '%-4s %s%s\n' "$st" "$name" "${detail:+  ($detail)}"
}

show_log() {
    if [ "${VERBOSE:-0}" = 1 ]; then sed 's/^/    | /' "$1"
    else tail -n 15 "$1" | sed 's/^/    | /'; fi
}

status_text() {
    case $1 in
        124) echo "timeout after ${TEST_TIMEOUT}s" ;;
        137) echo "killed" ;;
        77) echo "skipped" ;;
        *) if [ "$1" -gt 128 ]; then echo "signal $(($1 - 128))"; else echo "exit $1"; fi ;;
    esac
}

run_unit() {   # a GLib test program, TAP output parsed per case
    local bin=$1 name log st np nf ns
    local suite
    suite=$(basename "$(dirname "$bin")")        # unit or qtest
    name=$suite/$(basename "$bin")
    log=$logdir/$suite-$(basename "$bin").log
    if [ ! -x "$bin" ]; then
        result FAIL "$name" "not built: see the build errors above"
        return
    fi
    timeout -k 10 "$TEST_TIMEOUT" "$bin" --tap </dev/null >"$log" 2>&1
    st=$?
    np=$(grep -Ec '^ok [0-9]+' "$log" | head -1)
    ns=$(grep -Ec '^ok [0-9]+.*# *SKIP' "$log")
    nf=$(grep -Ec '^not ok [0-9]+' "$log")
    np=$((np - ns))
    # per-case results
    while IFS= read -r line; do
        case $line in
            "not ok "*) result FAIL "$name: ${line#not ok }" ;;
            "ok "*"# SKIP"*|"ok "*"# skip"*) result SKIP "$name: ${line#ok }" ;;
            "ok "*) result PASS "$name: ${line#ok }" ;;
        esac
    done < <(grep -E '^(not )?ok [0-9]+' "$log")
    if [ $st -ne 0 ] && [ "$nf" -eq 0 ]; then
        # crashed, timed out or aborted outside a reported case
        result FAIL "$name" "$(status_text $st) after $np passed case(s)"
        show_log "$log"
    elif [ $st -eq 0 ] && [ $((np + nf + ns)) -eq 0 ]; then
        result PASS "$name" "no TAP cases reported"
    elif [ "$nf" -gt 0 ]; then
        show_log "$log"
    fi
}

run_script() {   # exit 0 pass, 77 skip, else fail
    local script=$1 name log st
    name=${script#tests/}
    log=$logdir/$(echo "$name" | tr / -).log
    local t0=$SECONDS
    timeout -k 10 "$TEST_TIMEOUT" "./$script" </dev/null >"$log" 2>&1
    st=$?
    # the time shows a script drifting towards TEST_TIMEOUT before it fails
    case $st in
        0) result PASS "$name" "$((SECONDS - t0)) s" ;;
        77) result SKIP "$name" "$(grep -m1 -i 'skip' "$log" | cut -c1-100)" ;;
        *) result FAIL "$name" "$(status_text $st); log: $log"; show_log "$log" ;;
    esac
}

units=() scripts=()
if [ $# -gt 0 ]; then
    for t in "$@"; do
        case $t in
            *.sh) scripts+=("${t#./}") ;;
            *) units+=("$t") ;;
        esac
    done
else
    for src in tests/unit/*.c tests/qtest/test-*.c; do
        [ -e "$src" ] || continue
        case $src in */unit/*) d=unit ;; *) d=qtest ;; esac
        [ -f "$src" ] && grep -q '^int main' "$src" || continue
        units+=("$BUILD/tests/$d/$(basename "$src" .c)")
    done
    for s in tests/guest/*.sh tests/*/run-*.sh; do
        [ -f "$s" ] && [ -x "$s" ] || continue
        case " ${scripts[*]-} " in *" $s "*) continue ;; esac
        scripts+=("$s")
    done
fi

echo "=== Vireo tests (BUILD=$BUILD, timeout ${TEST_TIMEOUT}s per test, logs in $logdir)"
for u in "${units[@]+"${units[@]}"}"; do run_unit "$u"; done
for s in "${scripts[@]+"${scripts[@]}"}"; do run_script "$s"; done

if [ $fail -gt 0 ]; then
    echo "=== failed:"
    printf '    %s\n' "${failed_names[@]}"
fi
summary="$pass passed, $fail failed"
[ $skip -gt 0 ] && summary="$summary, $skip skipped"
echo "$summary"
[ $fail -eq 0 ]
