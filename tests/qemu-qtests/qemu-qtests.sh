#!/bin/bash
# QEMU's own qtests against Vireo (make check-qemu-qtests).
#
# Takes the source of Debian's `qemu` package with apt (a deb-src entry in a
# private apt configuration under $BUILD/qemu-qtests, so the machine's own
# sources are untouched; apt checks the archive's signatures), configures it
# for x86_64 and builds only the qtest programs named below (libqtest,
# libqos and the tests; not QEMU itself, which takes much longer), all under
# $BUILD/qemu-qtests: nothing of QEMU's is kept in this tree.  Then runs
# every program against QTEST_QEMU_BINARY=$BUILD/vireo-system-x86_64, whole
# and in its own order (some share one machine between their cases); when a
# failed g_assert ends a program, that case counts as failed and the program
# goes on from the next case.  Prints one line per case and a summary.
#
#   tests/qemu-qtests/qemu-qtests.sh [-j N] [PROGRAM[:PATH-PREFIX]...]
#
# Debian's qemu-system-x86_64 is built without the qtest accelerator, so
# there is no reference run: these tests pass on QEMU 7.2 upstream by
# construction.  A case that fails on Vireo is an error unless
# tests/qemu-qtests/known-divergences names it (with the reason, and the
# docs that describe the difference); a case named there that passes is
# reported, so the list cannot go stale silently.
#
# Exit status: 0 when every failure is a known divergence, 1 otherwise;
# 77 (skip) when the source cannot be fetched (no network to Debian's
# archive).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
BUILD=${BUILD:-build}
BUILD=$(cd "$BUILD" && pwd)
jobs=$(nproc)
want=()
while [ $# -gt 0 ]; do
    case $1 in
    -j) jobs=$2; shift ;;
    -*) echo "qemu-qtests.sh: unknown option $1" >&2; exit 2 ;;
    *) want+=("$1") ;;
    esac
    shift
done

# The programs for the pc and q35 machines' devices that Vireo has (q35-test:
# the MCH's SMRAM, TSEG and SMBASE; lpc-ich9-test: PMBASE/ACPI_CTRL).  qos-test walks
# QEMU's device graph and runs the nodes whose devices query-machines and
# qom-list-types report (virtio-blk-pci, virtio-net-pci, e1000, ...).
programs=(ide-test cdrom-test fdc-test hd-geo-test rtc-test i440fx-test
          fw_cfg-test boot-order-test endianness-test machine-none-test
          qmp-test drive_del-test display-vga-test pvpanic-test qos-test
          q35-test lpc-ich9-test)
# Not run: cases for what Vireo does not have (vhost-user backends); each
# would wait for its timeout.
skip_re='/vhost-user/'


work=$BUILD/qemu-qtests
mkdir -p "$work"
log() { echo "qemu-qtests: $*"; }

need=()
for p in meson:meson ninja:ninja-build dpkg-source:dpkg-dev pkg-config:pkg-config genisoimage:genisoimage; do
    command -v "${p%%:*}" > /dev/null || need+=("${p#*:}")
done
for h in libfdt.h:libfdt-dev glib-2.0/glib.h:libglib2.0-dev pixman-1/pixman.h:libpixman-1-dev zlib.h:zlib1g-dev; do
    [ -e "/usr/include/${h%%:*}" ] || need+=("${h#*:}")
done
if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "qemu-qtests.sh: needs ${need[*]} (apt-get install them, or run as root)" >&2
        exit 1
    fi
    log "installing ${need[*]}"
    { DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" ||
      { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}"; }
    } > "$work/apt-install.log" 2>&1 || {
        echo "qemu-qtests.sh: apt-get install ${need[*]} failed; see $work/apt-install.log" >&2
        exit 1
    }
fi

# --- the source: Debian's qemu, through apt with a deb-src entry of our own
src=$work/src
if [ ! -f "$src/.extracted" ]; then
    apt=$work/apt
    rm -rf "$apt" && mkdir -p "$apt/lists/partial" "$apt/archives/partial"
    # the same mirror and suites as the machine's own deb entries
    mirror=$(sed -n 's/^URIs: *\(http[^ ]*debian\)$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)
    [ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $2 ~ /debian$/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null)
    [ -n "$mirror" ] || mirror=http://deb.debian.org/debian
    codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
    printf 'deb-src %s %s main\ndeb-src %s %s-updates main\n' "$mirror" "$codename" "$mirror" "$codename" > "$apt/sources.list"
    opts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o "Dir::Etc::SourceParts=$apt/none"
          -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache::Archives=$apt/archives"
          -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache=" -o "APT::Sandbox::User=root")
    log "fetching Debian's qemu source ($mirror $codename)"
    if ! apt-get "${opts[@]}" -q update > "$work/apt.log" 2>&1 ||
       ! (cd "$work" && rm -rf qemu-[0-9]* && apt-get "${opts[@]}" -q source qemu >> "$work/apt.log" 2>&1); then
        echo "SKIP: could not fetch Debian's qemu source; see $work/apt.log"
        exit 77
    fi
    rm -rf "$src" && mv "$work"/qemu-[0-9]*/ "$src" && ls "$work"/qemu_*.dsc > "$src/.extracted" || exit 1
    rm -rf "$work/b"
fi
log "source $(basename "$(cat "$src/.extracted")" .dsc)"

# --- build the qtest programs (QEMU's configure, with as little as it takes)
b=$work/b
if [ ! -f "$b/build.ninja" ]; then
    mkdir -p "$b"
    log "configuring (log: $work/configure.log)"
    if ! (cd "$b" && "$src/configure" --meson=meson --target-list=x86_64-softmmu --disable-docs \
            --disable-tools --disable-guest-agent --disable-werror --disable-slirp --disable-sdl \
            --disable-gtk --disable-vnc --disable-opengl --disable-spice --disable-capstone \
            --enable-fdt=system) > "$work/configure.log" 2>&1; then
        echo "qemu-qtests.sh: QEMU's configure failed; see $work/configure.log" >&2
        rm -f "$b/build.ninja"
        exit 1
    fi
fi
log "building ${#programs[@]} qtest programs (log: $work/build.log)"
if ! ninja -C "$b" -j "$jobs" "${programs[@]/#/tests/qtest/}" > "$work/build.log" 2>&1; then
    echo "qemu-qtests.sh: building QEMU's qtests failed; see $work/build.log" >&2
    exit 1
fi

make --no-print-directory -s all || exit 1
export QTEST_QEMU_BINARY=$BUILD/vireo-system-x86_64
[ -x "$QTEST_QEMU_BINARY" ] || { echo "qemu-qtests.sh: $QTEST_QEMU_BINARY missing" >&2; exit 1; }
export QTEST_QEMU_IMG=$BUILD/vireo-img
export QTEST_QEMU_STORAGE_DAEMON_BINARY=/nonexistent
# QEMU's programs make their images and sockets in TMPDIR and leave them
# there when a failed g_assert ends one (the known divergences): a
# directory of the run's own, removed at the end
qtmp=$(mktemp -d /tmp/vireo-qtests.XXXXXX) || exit 1
trap 'rm -rf "$qtmp"' EXIT
export TMPDIR=$qtmp

# --- the cases, program by program.  A program runs whole, in its own
# order (fdc-test and rtc-test share one machine between their cases, so a
# case depends on those before it); when a failed g_assert ends it, the
# case it was in is a failure and the program runs again from the next
# case (-s for each case already done).
sel_file=$work/selection
printf '%s\n' ${want[@]+"${want[@]}"} > "$sel_file"
run_prog() {
    local p=$1 list done_args=() n=0 path res rc
    local out=$work/out/$p
    mkdir -p "$out"
    list=$(cd "$work" && timeout 60 "$b/tests/qtest/$p" -l 2> "$out/list.err")
    if [ $? -ne 0 ]; then
        echo "FAIL $p -"          # listing failed: one failure for the program
        return
    fi
    list=$(grep '^/' <<< "$list" | grep -Ev "$skip_re")
    # PROGRAM:PREFIX arguments choose cases; a bare PROGRAM takes them all
    if grep -q "^$p:" "$sel_file"; then
        list=$(while read -r path; do
                   while read -r w; do
                       [[ $w == "$p:"* && $path == "${w#*:}"* ]] && { echo "$path"; break; }
                   done < "$sel_file"
               done <<< "$list")
    fi
    for path in $(cd "$work" && "$b/tests/qtest/$p" -l 2>/dev/null | grep '^/'); do
        grep -qxF "$path" <<< "$list" || done_args+=(-s "$path")
    done
    declare -A seen=()
    while [ -n "$list" ]; do
        n=$((n + 1))
        (cd "$work" && timeout 600 "$b/tests/qtest/$p" --tap -k ${done_args[@]+"${done_args[@]}"}) > "$out/run$n.log" 2>&1
        rc=$?
        while read -r res path; do
            [ -n "${seen[$path]:-}" ] && continue
            seen[$path]=1
            done_args+=(-s "$path")
            echo "$res $p $path"
        done < <(grep -v '# SKIP by request' "$out/run$n.log" |
                 sed -n -e 's/^ok [0-9]* \(\/[^ ]*\) # SKIP.*/SKIP \1/p' \
                        -e 's/^ok [0-9]* \(\/[^ ]*\)$/PASS \1/p' \
                        -e 's/^ok [0-9]* \(\/[^ ]*\) .*/PASS \1/p' \
                        -e 's/^not ok [0-9]* \(\/[^ ]*\).*/FAIL \1/p')
        local rest=()
        while read -r path; do
            [ -n "$path" ] && [ -z "${seen[$path]:-}" ] && rest+=("$path")
        done <<< "$list"
        [ ${#rest[@]} -eq 0 ] && break
        if [ $rc -eq 0 ]; then
            for path in "${rest[@]}"; do echo "FAIL $p $path"; done   # never ran
            break
        fi
        # the program died in the first case that has no result
        path=${rest[0]}
        seen[$path]=1
        done_args+=(-s "$path")
        echo "FAIL $p $path"
        cp "$out/run$n.log" "$work/out/$p$(echo "$path" | tr '/' '_').log"
    done
}
export -f run_prog
export work b skip_re sel_file
rm -rf "$work/out" && mkdir -p "$work/out"
progs=()
for p in "${programs[@]}"; do
    if [ ${#want[@]} -eq 0 ] || printf '%s\n' "${want[@]}" | grep -q "^$p\(:\|$\)"; then
        progs+=("$p")
    fi
done
log "running ${#progs[@]} programs, $jobs at a time, on $QTEST_QEMU_BINARY"
printf '%s\n' "${progs[@]}" | xargs -P "$jobs" -I{} bash -c 'run_prog {} 2>/dev/null' |
    sort -k2,2 -k3,3 > "$work/results"

known=tests/qemu-qtests/known-divergences
unexpected=0 stale=0
while read -r res p path; do
    k=$(awk -v c="$p $path" '$0 !~ /^#/ && ($1 " " $2) == c { print "known"; exit }' "$known")
    if [ "$res" = FAIL ] && [ -z "$k" ]; then
        unexpected=$((unexpected + 1)); tag="  <- unexpected (logs: $work/out/$p/)"
    elif [ "$res" = FAIL ]; then
        tag="  (known divergence)"
    elif [ "$res" = PASS ] && [ -n "$k" ]; then
        stale=$((stale + 1)); tag="  <- passes but is listed in $known"
    else
        tag=""
    fi
    printf '%-4s %-16s %s%s\n' "$res" "$p" "$path" "$tag"
done < "$work/results"
pass=$(grep -c '^PASS' "$work/results"); fail=$(grep -c '^FAIL' "$work/results"); skip=$(grep -c '^SKIP' "$work/results")
echo "qemu-qtests: $pass passed, $fail failed ($((fail - unexpected)) known divergences), $skip skipped"
[ $stale -gt 0 ] && echo "qemu-qtests: $stale listed divergences now pass: take them out of $known"
[ $unexpected -eq 0 ] && [ $stale -eq 0 ]
