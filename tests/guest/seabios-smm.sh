#!/bin/bash
# Guest test: Debian's SeaBIOS with SMM (bios-256k.bin, the image QEMU's pc
# machine boots by default; Debian's 128 KiB bios.bin has no SMM code).
# With SMM on (the default under TCG) SeaBIOS relocates SMBASE to 0xa0000
# through an SMI on port 0xb2 and later switches between 16- and 32-bit
# code through SMM (its call32 trampoline, used here by iPXE's calls into
# SeaBIOS's PMM).  Boots to "No bootable device" with -d int, whose
# "SMM: enter" / "SMM: after RSM" lines and CPU dumps (as QEMU's) show:
#   - the relocation SMI, entered and left in the same 32-bit code;
#   - each trampoline SMI (EAX=0xb5): "enter" with ECX=0x1234 from 16-bit
#     code resumes in SeaBIOS's flat 32-bit code segment (CS 0008) at the
#     EIP the caller put in EBX, "return" (ECX=0x5678) goes back to 16-bit
#     code (CS f000) at EBX: SeaBIOS's handler, running from SMRAM at the
#     relocated SMBASE, read and rewrote our save-state map;
#   - with -smp 2 and -smp 4 (thread=multi) the same, and SeaBIOS still
#     counts its CPUs;
#   - -machine smm=off: not one SMI, and SeaBIOS still boots (the old
#     behaviour: APMC_EN set at reset, SeaBIOS leaves SMM alone).
#   exit 0 pass, 1 fail, 77 skip.
# Environment: VIREO=binary (default $BUILD/vireo; VIREO=qemu-system-x86_64
# checks the script against the reference), BOOT_TIMEOUT=60 (s).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
VIREO=${VIREO:-$BUILD/vireo}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-60}
grep -qs '^CONFIG_SANITIZERS=yes' "$BUILD/config.mak" && BOOT_TIMEOUT=${BOOT_TIMEOUT_ASAN:-180}
out=$BUILD/tests/guest/seabios-smm
mkdir -p "$out"
# shellcheck source=tests/guest/seabios-boot.bash
. "$top/tests/guest/seabios-boot.bash"
bios=$BUILD/firmware/bios-256k.bin

extra=()
case $(basename "$VIREO") in
    qemu-system-*)
        command -v "$VIREO" >/dev/null || { echo "SKIP: $VIREO not installed"; exit 77; }
        extra=(-machine pc -accel tcg) ;;
    *)
        [ -x "$VIREO" ] || { echo "FAIL: $VIREO not built"; exit 1; } ;;
esac
[ -f "$bios" ] || { echo "FAIL: no $bios (make firmware)"; exit 1; }

fails=0
ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; fails=$((fails + 1)); }

boot() {   # boot NAME ARGS...: run to "No bootable device"; sets $ser $dbg $int $err
    local name=$1
    shift
    ser=$out/serial-$name.log dbg=$out/debugcon-$name.log int=$out/int-$name.log
    err=$out/stderr-$name.log
    rm -f "$ser" "$dbg" "$int" "$err"
    seabios_boot "$ser" "$err" -nographic -m 128 -bios "$bios" -nic user,model=e1000 \
        -d int -D "$int" -chardev file,id=d,path="$dbg" \
        -device isa-debugcon,chardev=d,iobase=0x402 "$@"
    [ -f "$dbg" ] || : >"$dbg"
    [ -f "$int" ] || : >"$int"
}

# The SMIs of an -d int log, one line each:
#   enter EAX EBX ECX EIP CS | after EAX EBX ECX EIP CS
smm_events() {
    awk '
        /^SMM: enter/ { what = "enter"; next }
        /^SMM: after RSM/ { what = "after"; next }
        what != "" && /^EAX=/ { split($0, r, /[= ]+/); eax = r[2]; ebx = r[4]; ecx = r[6] }
        what != "" && /^EIP=/ { split($0, r, /[= ]+/); eip = r[2] }
        what != "" && /^CS =/ { print what, eax, ebx, ecx, eip, substr($0, 5, 4); what = "" }
    ' "$1"
}

check_smm() {   # check_smm NAME: the relocation SMI and the call32 trampoline
    local name=$1 ev n_enter n_after
    ev=$(smm_events "$int")
    n_enter=$(grep -c '^enter' <<<"$ev")
    n_after=$(grep -c '^after' <<<"$ev")
    if [ "$n_enter" -ge 1 ] && [ "$n_enter" -eq "$n_after" ]; then
        ok "$name: $n_enter SMIs, each left with RSM"
    else
        notok "$name: $n_enter 'SMM: enter' and $n_after 'SMM: after RSM' lines in $(basename "$int")"
        return
    fi
    # the first SMI is SeaBIOS's relocation (from its 32-bit init code):
    # RSM returns to where it came from
    local e a
    e=$(sed -n 1p <<<"$ev")
    a=$(sed -n 2p <<<"$ev")
    if [ "$(cut -d' ' -f5,6 <<<"$e")" = "$(cut -d' ' -f5,6 <<<"$a")" ]; then
        ok "$name: SMBASE relocation SMI returns to $(awk '{ print $6 ":" $5 }' <<<"$e")"
    else
        notok "$name: relocation SMI: entered at '$e', left at '$a'"
    fi
    # the trampoline: pairs of enter/after with EAX=b5
    local tramp=0 bad=0 i=1 total
    total=$(wc -l <<<"$ev")
    while [ $i -lt "$total" ]; do
        e=$(sed -n ${i}p <<<"$ev")
        a=$(sed -n $((i + 1))p <<<"$ev")
        i=$((i + 2))
        read -r _ eax ebx ecx _ _ <<<"$e"
        read -r _ _ _ _ aeip acs <<<"$a"
        [ "$eax" = 000000b5 ] || continue
        tramp=$((tramp + 1))
        case $ecx in
            00001234) want_cs=0008 ;;       # into 32-bit flat code
            00005678) want_cs=f000 ;;       # back into 16-bit code
            *) want_cs=?? ;;
        esac
        if [ "$aeip" != "$ebx" ] || [ "$acs" != "$want_cs" ]; then
            bad=$((bad + 1))
            echo "# trampoline SMI ECX=$ecx EBX=$ebx: RSM went to $acs:$aeip"
        fi
    done
    if [ $tramp -ge 2 ] && [ $bad -eq 0 ]; then
        ok "$name: $tramp call32 trampoline SMIs, each resumed at EBX in the right mode"
    else
        notok "$name: $tramp trampoline SMIs, $bad resumed in the wrong place"
    fi
}

common() {   # common NAME CPUS
    if grep -q "No bootable device" "$ser"; then
        ok "$1: serial reached 'No bootable device' in ${secs}s"
    else
        notok "$1: serial did not show 'No bootable device' after ${secs}s"
    fi
    if grep -qF "Found $2 cpu(s) max supported $2 cpu(s)" "$dbg"; then
        ok "$1: SeaBIOS found $2 CPU(s)"
    else
        notok "$1: no 'Found $2 cpu(s)' line in $(basename "$dbg")"
    fi
    if grep -q WARNING "$dbg"; then
        notok "$1: SeaBIOS warnings: $(grep -m3 WARNING "$dbg" | tr '\n' ' ')"
    else
        ok "$1: no WARNING lines"
    fi
    if grep -qE "ERROR: AddressSanitizer|runtime error:|Segmentation fault" "$err"; then
        notok "$1: crash or sanitizer report on stderr"
    fi
}

boot smm
common smm 1
check_smm smm

boot smm-smp2 -smp 2
common smm-smp2 2
check_smm smm-smp2

case $(basename "$VIREO") in
    qemu-system-*) boot smm-smp4 -smp 4 ;;     # QEMU runs x86 on MTTCG already
    *) boot smm-smp4 -smp 4 -accel tcg,thread=multi ;;
esac
common smm-smp4 4
check_smm smm-smp4

boot smm-off -machine smm=off
common smm-off 1
if grep -q "^SMM: enter" "$int"; then
    notok "smm-off: SMIs with -machine smm=off"
else
    ok "smm-off: no SMI at all (SeaBIOS finds SMM already set up)"
fi

if [ $fails -gt 0 ]; then
    echo "# logs in $out"
    exit 1
fi
exit 0
