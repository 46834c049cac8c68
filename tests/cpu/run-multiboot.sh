#!/bin/bash
# Boot the multiboot test kernels with -kernel/-append/-initrd through
# SeaBIOS and our option ROM (firmware/linuxboot.asm) and check what the
# kernel says it was handed: magic, mem_upper for -m, the command line
# (kernel path first, as QEMU passes it), module bytes and strings, the mmap.
# The kernel checks the mmap's sanity itself ("result pass", debug-exit 0).
#   exit 0 pass, 1 fail, 77 skip (kernels or emulator not built)
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-$top/build}
VIREO=${VIREO:-$BUILD/vireo}
dir=$BUILD/tests/cpu/multiboot
[ -x "$VIREO" ] || { echo "SKIP: $VIREO not built"; exit 77; }
[ -f "$dir/mbinfo-aout.bin" ] && [ -f "$dir/mbinfo.elf" ] || { echo "SKIP: multiboot kernels not built"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

printf 'first module %s\n' "$RANDOM" >"$work/mod1"
printf 'second,module' >"$work/mod2"

# run NAME MEGS KERNEL APPEND [INITRD]
run() {
    local name=$1 megs=$2 kernel=$3 append=$4 initrd=${5:-}
    local log=$work/$name.log args=()
    [ -n "$initrd" ] && args=(-initrd "$initrd")
    timeout 30 "$VIREO" -kernel "$kernel" -append "$append" "${args[@]}" -m "$megs" \
        -nographic -display none -device isa-debug-exit,iobase=0xf4,iosize=4 \
        </dev/null >"$log" 2>&1
    local st=$?
    tr -d '\r' <"$log" >"$log.t" && mv "$log.t" "$log"
    [ $st -eq 1 ] || fail "$name: exit status $st (want 1 = debug-exit 0)"
    grep -q '^Booting from ROM' "$log" || fail "$name: SeaBIOS did not boot our ROM"
    grep -q '^result pass$' "$log" || fail "$name: the kernel's own checks failed"
    grep -qx 'magic 2badb002' "$log" || fail "$name: bad magic"
    local want
    # mem_upper is the RAM at 1 MiB up to the first hole, as the mmap (the
    # BIOS's E820) shows it, as on QEMU: -m minus 1 MiB minus what SeaBIOS
    # reserved at the top (its ACPI tables: less than 1 MiB)
    local ram1m
    ram1m=$(sed -n 's/^mmap 0000000000100000 \([0-9a-f]*\) 00000001$/\1/p' "$log")
    want=$(printf 'mem_upper %08x' $(( ${ram1m:+0x$ram1m} / 1024 )))
    grep -qx "$want" "$log" || fail "$name: want '$want' (the mmap's RAM at 1 MiB), got '$(grep mem_upper "$log")'"
    [ -n "$ram1m" ] && [ $((0x$ram1m / 1024)) -le $((megs * 1024 - 1024)) ] &&
        [ $((0x$ram1m / 1024)) -ge $((megs * 1024 - 2048)) ] ||
        fail "$name: RAM at 1 MiB (0x${ram1m:-none}) does not match -m $megs"
    local ram0
    ram0=$(sed -n 's/^mmap 0000000000000000 \([0-9a-f]*\) 00000001$/\1/p' "$log")
    want=$(printf 'mem_lower %08x' $(( ${ram0:+0x$ram0} / 1024 )))
    grep -qx "$want" "$log" || fail "$name: want '$want' (the mmap's RAM at 0), got '$(grep mem_lower "$log")'"
    grep -qxF "cmdline $kernel $append" "$log" || fail "$name: cmdline: $(grep '^cmdline' "$log")"
    grep -q '^mmap 0000000000100000 ' "$log" || fail "$name: no mmap entry at 1 MiB"
    echo "--- $name"; grep -v '^mmap' "$log" | tail -n +2
}

run aout 32 "$dir/mbinfo-aout.bin" "foo=bar baz" "$work/mod1 modarg x,$work/mod2"
log=$work/aout.log
grep -qF "$work/mod1 modarg x [$(head -c 32 "$work/mod1")" "$log" || fail "aout: module 1 string/bytes"
grep -qF "$work/mod2 [second,module]" "$log" || fail "aout: module 2 string/bytes"
[ "$(grep -c '^module ' "$log")" -eq 2 ] || fail "aout: want 2 modules"

run elf 64 "$dir/mbinfo.elf" "console=ttyS0 a,b"
[ "$(grep -c '^module ' "$work/elf.log")" -eq 0 ] || fail "elf: modules without -initrd"

# A corrupted header checksum is a user error naming the file.
python3 - "$dir/mbinfo-aout.bin" "$work/bad.bin" <<'PY'
import sys
d = bytearray(open(sys.argv[1], 'rb').read())
i = d.find(bytes.fromhex('02b0ad1b'))
d[i + 8] ^= 1
open(sys.argv[2], 'wb').write(d)
PY
out=$("$VIREO" -kernel "$work/bad.bin" -display none 2>&1 </dev/null); st=$?
[ $st -eq 1 ] && [[ $out == *"$work/bad.bin"*checksum* ]] || fail "bad checksum: status $st, '$out'"
out=$("$VIREO" -kernel "$dir/mbinfo.elf" -initrd "$work/nonexistent" -display none 2>&1 </dev/null); st=$?
[ $st -eq 1 ] && [[ $out == *"$work/nonexistent"* ]] || fail "missing module: status $st, '$out'"

[ $fails -eq 0 ] && echo "PASS: multiboot" && exit 0
exit 1
