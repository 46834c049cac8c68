#!/bin/bash
# kvm-unit-tests against Vireo (make check-kut; issue #8 part 4).
#
# Builds the suite's x86_64 tests from its public source archive (never
# kept in this tree: ../shared/suites/kvm-unit-tests-*.tar.gz next to the
# checkout, or KUT_ARCHIVE=PATH) into $BUILD/kut/, then runs the suite's own
# runner (run_tests.sh, with the options it passes QEMU) against
# $BUILD/vireo, and against qemu-system-x86_64 -accel tcg when that is
# installed, as the reference.  Prints one line per test with both results,
# then a summary.
#
#   tests/kut/kut.sh [-j N] [--no-reference] [--must-pass] [TEST...]
#
# KUT_ACCEL=tcg,tier=1 (for example) adds that -accel to Vireo's command
# line (the suite's runner passes -machine accel=tcg to both).
#
# TEST names come from the suite's x86/unittests.cfg (default: all).
# Exit status: 1 if a test passes on the reference but not on Vireo (a
# regression); with --must-pass, 1 if any named test does not pass on
# Vireo; 77 (skip) when the archive is not there.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
BUILD=${BUILD:-build}
jobs=1 reference=yes must_pass=no
tests=()
while [ $# -gt 0 ]; do
    case $1 in
    -j) jobs=$2; shift ;;
    --no-reference) reference=no ;;
    --must-pass) must_pass=yes ;;
    -*) echo "kut.sh: unknown option $1" >&2; exit 2 ;;
    *) tests+=("$1") ;;
    esac
    shift
done

archive=${KUT_ARCHIVE:-$(ls "$top"/../shared/suites/kvm-unit-tests-*.tar.gz 2>/dev/null | head -n 1)}
if [ -z "$archive" ] || [ ! -f "$archive" ]; then
    echo "SKIP: kvm-unit-tests archive not found (../shared/suites/kvm-unit-tests-*.tar.gz or KUT_ARCHIVE)"
    exit 77
fi
# the archive we know is checked; another one (KUT_ARCHIVE) is taken as given
sum=$(sha256sum "$archive" | cut -d' ' -f1)
known=$(awk -v f="$(basename "$archive")" '$2 == f { print $1 }' tests/kut/archives.sha256)
if [ -n "$known" ] && [ "$known" != "$sum" ]; then
    echo "kut.sh: $archive: SHA-256 $sum does not match tests/kut/archives.sha256" >&2
    exit 1
fi

name=$(basename "$archive" .tar.gz)
src=$BUILD/kut/$name
if [ ! -f "$src/.built" ]; then
    echo "kut: building $name (x86_64) in $src"
    rm -rf "$src" && mkdir -p "$BUILD/kut" || exit 1
    tmp=$(mktemp -d "$BUILD/kut/extract.XXXXXX")
    tar -xzf "$archive" -C "$tmp" || exit 1
    mv "$tmp"/* "$src" && rmdir "$tmp" || exit 1
    if ! (cd "$src" && ./configure --arch=x86_64 && make -j"$(nproc)") > "$BUILD/kut/build.log" 2>&1; then
        echo "kut.sh: building kvm-unit-tests failed; see $BUILD/kut/build.log" >&2
        tail -n 20 "$BUILD/kut/build.log" >&2
        exit 1
    fi
    touch "$src/.built"
fi

vireo=$(cd "$BUILD" && pwd)/vireo
[ -x "$vireo" ] || { echo "kut.sh: $vireo not built" >&2; exit 1; }

# run EMULATOR LABEL: the suite's runner, results into $BUILD/kut/LABEL.results
# ("RESULT name detail" lines; the runner's logs into $BUILD/kut/logs-LABEL)
run() {
    local qemu=$1 label=$2 out=$BUILD/kut/$2.results
    echo "kut: running on $label ($qemu)"
    rm -rf "$src/logs" "$BUILD/kut/logs-$label"
    (cd "$src" && QEMU=$qemu ACCEL=tcg ./run_tests.sh -j "$jobs" "${tests[@]}") 2>&1 |
        sed 's/\x1b\[[0-9;]*m//g' | grep -E '^(PASS|FAIL|SKIP) ' > "$out"
    mv "$src/logs" "$BUILD/kut/logs-$label" 2>/dev/null
}

if [ -n "${KUT_ACCEL:-}" ]; then
    wrap=$(cd "$BUILD" && pwd)/kut/vireo-accel
    printf '#!/bin/sh\nexec "%s" "$@" -accel "%s"\n' "$vireo" "$KUT_ACCEL" > "$wrap" && chmod +x "$wrap"
    run "$wrap" vireo
else
    run "$vireo" vireo
fi
ref=
if [ $reference = yes ] && command -v qemu-system-x86_64 > /dev/null; then
    ref=$(command -v qemu-system-x86_64)
    run "$ref" qemu
fi

status=0
python3 - "$BUILD/kut" "$must_pass" "${ref:+qemu}" <<'PY' || status=1
import sys
d, must_pass, ref = sys.argv[1], sys.argv[2] == "yes", sys.argv[3]
def load(label):
    res = {}
    order = []
    for line in open("%s/%s.results" % (d, label)):
        st, name, *rest = line.rstrip("\n").split(" ", 2)
        res[name] = (st, rest[0].strip() if rest else "")
        order.append(name)
    return res, order
v, order = load("vireo")
q = load(ref)[0] if ref else {}
bad = []
print("%-40s %-6s %-6s  %s" % ("test", "vireo", "qemu" if ref else "", "detail (vireo)"))
for n in order:
    vs, vd = v[n]
    qs = q.get(n, ("-", ""))[0] if ref else ""
    mark = ""
    if ref and qs == "PASS" and vs != "PASS":
        mark = "  <- regression"
        bad.append(n)
    elif must_pass and vs != "PASS":
        mark = "  <- must pass"
        bad.append(n)
    print("%-40s %-6s %-6s  %s%s" % (n, vs, qs, vd, mark))
count = lambda r, s: sum(1 for x in r.values() if x[0] == s)
print("kvm-unit-tests on Vireo: %d PASS, %d FAIL, %d SKIP" % (count(v, "PASS"), count(v, "FAIL"), count(v, "SKIP")))
if ref:
    print("kvm-unit-tests on QEMU TCG: %d PASS, %d FAIL, %d SKIP" % (count(q, "PASS"), count(q, "FAIL"), count(q, "SKIP")))
if bad:
    print("not passing on Vireo: " + " ".join(bad))
sys.exit(1 if bad else 0)
PY
exit $status
