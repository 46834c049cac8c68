#!/bin/bash
# Guest test: Debian's unmodified SeaBIOS boots to "No bootable device".
# For each RAM size (-m 128, 64, 3G by default) boot
#   $VIREO -nographic -m SIZE -chardev file,id=d,path=LOG \
#          -device isa-debugcon,chardev=d,iobase=0x402
# under timeout, wait (polling) for "No bootable device" on the serial
# console, kill it, and check the serial output and SeaBIOS's debug log.
# Expectations are computed from -m (the pc machine's split: RAM below 4G is
# all of it up to 0xe0000000, else 0xc0000000, the rest above 4G), with the
# line formats of SeaBIOS 1.16 as printed under QEMU's pc machine.
#   exit 0 pass, 1 fail, 77 skip.
# Environment:
#   VIREO=binary (default $BUILD/vireo).  To check this script itself
#     against the reference: VIREO=qemu-system-x86_64 (adds -machine pc
#     -accel tcg -nic none -bios $BUILD/firmware/bios.bin).
#   VIREO_ARGS=extra arguments; SEABIOS_MEM="128 64 3G"; BOOT_TIMEOUT=60 (s)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
VIREO=${VIREO:-$BUILD/vireo}
MEMS=${SEABIOS_MEM:-128 64 3G}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-60}
grep -qs '^CONFIG_SANITIZERS=yes' "$BUILD/config.mak" && BOOT_TIMEOUT=${BOOT_TIMEOUT_ASAN:-180}
out=$BUILD/tests/guest/seabios
mkdir -p "$out"
# shellcheck source=tests/guest/seabios-boot.bash
. "$top/tests/guest/seabios-boot.bash"

extra=()
case $(basename "$VIREO") in
    qemu-system-*)
        command -v "$VIREO" >/dev/null || { echo "SKIP: $VIREO not installed"; exit 77; }
        extra=(-machine pc -accel tcg -nic none -bios "$BUILD/firmware/bios.bin") ;;
    *)
        if [ ! -x "$VIREO" ]; then
            echo "FAIL: $VIREO not built"; exit 1
        fi
        if [ ! -f "$(dirname "$VIREO")/firmware/bios.bin" ]; then
            echo "FAIL: no firmware next to $VIREO (make firmware)"; exit 1
        fi ;;
esac

# mem_bytes 128 | 64M | 3G | 1024K -> bytes (QEMU's -m: plain number = MiB)
mem_bytes() {
    local v=$1 n unit
    n=${v%[kKmMgGtT]}; unit=${v#"$n"}
    case $unit in
        k|K) echo $((n << 10)) ;;
        ""|m|M) echo $((n << 20)) ;;
        g|G) echo $((n << 30)) ;;
        t|T) echo $((n << 40)) ;;
    esac
}

fails=0
ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; fails=$((fails + 1)); }
# expect FILE FIXED-STRING DESCRIPTION
expect() {
    if grep -qF -- "$2" "$1"; then ok "$3"; else notok "$3: no line '$2' in $(basename "$1")"; fi
}
expect_re() {
    if grep -qE -- "$2" "$1"; then ok "$3"; else notok "$3: no line matching /$2/ in $(basename "$1")"; fi
}

boot() {   # boot MEM: run to "No bootable device" (or timeout/exit); sets $ser $dbg $err
    local mem=$1
    ser=$out/serial-$mem.log dbg=$out/debugcon-$mem.log err=$out/stderr-$mem.log
    rm -f "$ser" "$dbg" "$err"
    # the 64M boot takes the log with QEMU's short form, whose port only
    # -global moves (the -device form sets it directly)
    local con=(-chardev file,id=d,path="$dbg" -device isa-debugcon,chardev=d,iobase=0x402)
    [ "$mem" = 64 ] && con=(-debugcon file:"$dbg" -global isa-debugcon.iobase=0x402)
    # shellcheck disable=SC2086
    seabios_boot "$ser" "$err" -nographic -m "$mem" "${con[@]}" ${VIREO_ARGS:-}
    [ -f "$dbg" ] || : >"$dbg"
}

for mem in $MEMS; do
    bytes=$(mem_bytes "$mem")
    [ -n "$bytes" ] || { notok "-m $mem: cannot parse size"; continue; }
    if [ "$bytes" -ge $((0xe0000000)) ]; then below=$((0xc0000000)); else below=$bytes; fi
    above=$((bytes - below))
    echo "# -m $mem: $bytes bytes = below 4G $(printf '0x%x' $below), above 4G $(printf '0x%x' $above)"
    boot "$mem"
    if grep -q "No bootable device" "$ser"; then
        ok "-m $mem: serial reached 'No bootable device' in ${secs}s"
    else
        notok "-m $mem: serial did not show 'No bootable device' (${exited}after ${secs}s)"
    fi
    expect "$ser" "SeaBIOS (version " "-m $mem: serial shows the SeaBIOS banner"
    expect "$dbg" "SeaBIOS (version " "-m $mem: debugcon shows the SeaBIOS banner"
    expect "$dbg" "Running on QEMU (i440fx)" "-m $mem: SeaBIOS detects the i440FX pc machine"
    expect "$dbg" "Found QEMU fw_cfg" "-m $mem: fw_cfg found"
    # RAM as SeaBIOS reads it from fw_cfg etc/e820
    expect "$dbg" "$(printf 'qemu/e820: addr 0x%016x len 0x%016x [RAM]' 0 $below)" \
        "-m $mem: fw_cfg e820 RAM below 4G = $(printf '0x%x' $below)"
    if [ $above -gt 0 ]; then
        expect "$dbg" "$(printf 'qemu/e820: addr 0x%016x len 0x%016x [RAM]' $((1 << 32)) $above)" \
            "-m $mem: fw_cfg e820 RAM above 4G = $(printf '0x%x' $above)"
    elif grep -q "qemu/e820: addr 0x0000000100000000" "$dbg"; then
        notok "-m $mem: unexpected RAM above 4G"
    fi
    # The final e820 map SeaBIOS hands to the OS: RAM from 1M up to the end
    # of low RAM, except what SeaBIOS keeps at the top for its high zone
    # (0x20000 under QEMU, which has ACPI tables there; less without them),
    # which must then be RESERVED up to exactly the end of low RAM.
    end=$(sed -nE 's/^ +[0-9]+: 0000000000100000 - ([0-9a-f]{16}) = 1 RAM$/\1/p' "$dbg" | head -n1)
    if [ -z "$end" ]; then
        notok "-m $mem: e820 map has no RAM entry starting at 1M"
    else
        end=$((16#$end))
        if [ $end -eq $below ]; then
            ok "-m $mem: e820 map RAM 1M..$(printf '0x%x' $below)"
        elif [ $end -lt $below ] && [ $end -ge $((below - 0x100000)) ]; then
            expect_re "$dbg" "$(printf '^ +[0-9]+: %016x - %016x = 2 RESERVED$' $end $below)" \
                "-m $mem: e820 map RAM 1M..$(printf '0x%x' $end), reserved up to $(printf '0x%x' $below)"
        else
            notok "-m $mem: e820 map RAM 1M..$(printf '0x%x' $end), expected up to $(printf '0x%x' $below)"
        fi
    fi
    if [ $above -gt 0 ]; then
        expect_re "$dbg" "$(printf '^ +[0-9]+: %016x - %016x = 1 RAM$' $((1 << 32)) $(((1 << 32) + above)))" \
            "-m $mem: e820 map RAM above 4G"
    elif grep -qE '^ +[0-9]+: 0000000100000000 - [0-9a-f]+ = 1 RAM$' "$dbg"; then
        notok "-m $mem: e820 map has RAM above 4G, expected none"
    fi
    # the chipset on PCI
    expect "$dbg" "PCI: init bdf=00:00.0 id=8086:1237" "-m $mem: i440FX host bridge at 00:00.0"
    expect "$dbg" "PCI: init bdf=00:01.0 id=8086:7000" "-m $mem: PIIX3 ISA bridge at 00:01.0"
    expect "$dbg" "PIIX3/PIIX4 init: elcr=00 0c" "-m $mem: PIIX3 PIRQ/ELCR set up"
    # ACPI: SeaBIOS moves the PM block to 0x600 only when etc/table-loader
    # exists, programs the PIIX4 PM function and uses its timer; a loader
    # that failed or left no RSDP would print a WARNING (checked below).
    expect "$dbg" "Moving pm_base to 0x600" "-m $mem: fw_cfg etc/table-loader found"
    expect "$dbg" "PCI: init bdf=00:01.3 id=8086:7113" "-m $mem: PIIX4 PM at 00:01.3"
    expect "$dbg" "Using pmtimer, ioport 0x608" "-m $mem: SeaBIOS uses the ACPI PM timer"
    # our 128K ACPI table blob is the only thing in the high zone kept for
    # the OS: exactly what SeaBIOS reserves under QEMU
    expect_re "$dbg" "$(printf '^ +[0-9]+: %016x - %016x = 2 RESERVED$' $((below - 0x20000)) $below)" \
        "-m $mem: e820 reserves the ACPI tables' 128K below $(printf '0x%x' $below)"
    # SeaBIOS reads the local APIC's ID/version and counts CPUs through it
    expect "$dbg" "Found 1 cpu(s) max supported 1 cpu(s)" "-m $mem: SeaBIOS finds the local APIC (1 CPU)"
    if grep -q "No apic" "$dbg"; then
        notok "-m $mem: SeaBIOS reports no APIC"
    fi
    if grep -q "WARNING" "$dbg"; then
        notok "-m $mem: SeaBIOS warnings: $(grep -m3 WARNING "$dbg" | tr '\n' ' ')"
    else
        ok "-m $mem: no WARNING lines"
    fi
    # sanitizer reports (make asan) or crashes on stderr
    if grep -qE "ERROR: AddressSanitizer|runtime error:|ERROR: LeakSanitizer|Segmentation fault" "$err"; then
        notok "-m $mem: sanitizer/crash report on stderr: $(grep -m1 -E 'ERROR|runtime error' "$err")"
    else
        ok "-m $mem: no sanitizer reports"
    fi
    if [ $fails -gt 0 ]; then
        echo "# logs: $ser $dbg $err"
        echo "# last serial lines:"; tail -n 5 "$ser" | sed 's/^/#   /'
        echo "# last debugcon lines:"; tail -n 5 "$dbg" | sed 's/^/#   /'
        echo "# stderr:"; tail -n 5 "$err" | sed 's/^/#   /'
    fi
done

[ $fails -eq 0 ] || { echo "# $fails check(s) failed"; exit 1; }
exit 0
