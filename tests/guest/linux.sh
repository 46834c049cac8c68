#!/bin/bash
# Debian 12's real kernel (linux-image-amd64, 6.1) with a busybox-static
# initramfs (scripts/make-linux-guest.sh) on Vireo's own CPU.  The initramfs
# runs the commands given in vireo.cmd="..." and powers off; we assert on
# what the guest itself printed:
#   - the kernel banner, busybox commands and their results (uname, ls,
#     sha256sum of a known string, arithmetic in the shell, /proc/cpuinfo
#     with the long-mode and SSE2 flags);
#   - dmesg: ACPI tables used, IOAPIC routing, the HPET and TSC clocksources,
#     and none of "unchecked MSR access", "Call Trace", soft lockups, bad
#     RIPs, segfaults, "BUG"/"WARNING:" lines;
#   - poweroff -f in the guest ends Vireo with exit status 0 (ACPI S5).
# Runs once with the default CPU and 512M, once with -cpu max and 128M.
# (64M is too small for this kernel: its decompressor places its page tables
# above 64M and triple-faults, under QEMU exactly as under Vireo.)
# LINUX_TEST_QUICK=1 runs only the first.  LINUX_TEST_CPUS="Skylake-Client
# EPYC" adds a run per named CPU model (512M) that also checks the guest's
# /proc/cpuinfo "model name" is the model's brand string (-cpu help).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
BUILD=${BUILD:-build}
VIREO=${VIREO:-$BUILD/vireo}
mapfile -t guest < <(scripts/make-linux-guest.sh) || { echo "cannot build the Linux guest"; exit 1; }
kernel=${guest[0]} initrd=${guest[1]}
out=$BUILD/tests/linux
mkdir -p "$out"
fail=0
ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; fail=1; }
expect() {   # expect LOG REGEX DESCRIPTION
    if grep -qaE -- "$2" "$1"; then ok "$3"; else notok "$3 (no /$2/ in $1)"; fi
}
reject() {   # reject LOG REGEX DESCRIPTION
    local hit
    hit=$(grep -av 'vireo.cmd=' "$1" | grep -aE -m1 -- "$2")
    if [ -z "$hit" ]; then ok "$3"; else notok "$3: $hit"; fi
}

cmds="uname -r; ls /; echo -n abc | sha256sum; echo sum=\$((6*7)); grep -c processor /proc/cpuinfo; grep -m1 ^model.name /proc/cpuinfo; grep -m1 ^flags /proc/cpuinfo; dmesg | grep -v vireo.cmd > /tmp/d; grep -iE 'unchecked|call trace|soft lockup|bad rip|segfault|^.[ 0-9.]*. (BUG|WARNING):' /tmp/d | sed 's/^/DMESG-BAD /'; echo dmesg-lines=\$(wc -l < /tmp/d)"
# (no double quotes inside: the kernel would end the vireo.cmd=\"...\" word there)

run() {   # run NAME VIREO-ARGS...
    local name=$1 log=$out/$1.log st
    shift
    timeout 600 "$VIREO" "$@" -nographic -no-reboot -kernel "$kernel" -initrd "$initrd" \
        -append "console=ttyS0 vireo.cmd=\"$cmds\" vireo.end" </dev/null >"$log" 2>&1
    st=$?
    echo "# $name: exit status $st, log $log"
    [ $st -eq 0 ] && ok "$name: guest poweroff -f ends Vireo with status 0" || notok "$name: exit status $st"
    expect "$log" 'Linux version 6\.1\.[0-9]+-[0-9]+-amd64 .*Debian' "$name: Debian's kernel banner"
    expect "$log" '^6\.1\.[0-9]+-[0-9]+-amd64' "$name: uname -r in the guest"
    expect "$log" 'bin +dev +etc +init +proc' "$name: ls / in the guest"
    expect "$log" '^ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  -' "$name: sha256sum computed by busybox"
    expect "$log" '^sum=42' "$name: shell arithmetic"
    expect "$log" '^flags.* lm .*' "$name: /proc/cpuinfo shows long mode"
    expect "$log" '^flags.* sse2 ' "$name: /proc/cpuinfo shows SSE2"
    expect "$log" 'ACPI: RSDP 0x' "$name: ACPI tables found"
    expect "$log" 'ACPI: Using IOAPIC for interrupt routing' "$name: IOAPIC routing"
    expect "$log" 'IOAPIC\[0\]: apic_id 0, version 32, address 0xfec00000' "$name: IOAPIC from the MADT"
    expect "$log" 'clocksource: Switched to clocksource (tsc|hpet)' "$name: HPET/TSC clocksource"
    expect "$log" 'ACPI: PM: Preparing to enter system sleep state S5' "$name: ACPI S5 power-off"
    expect "$log" 'dmesg-lines=[0-9]+' "$name: dmesg readable"
    reject "$log" '^DMESG-BAD|unchecked MSR|Call Trace|Kernel panic|soft lockup|Bad RIP|segfault' \
        "$name: no MSR warnings, call traces, lockups or segfaults"
}

run default -m 512
if [ "${LINUX_TEST_QUICK:-0}" != 1 ]; then
    run max-128m -cpu max -m 128
fi
for cpu in ${LINUX_TEST_CPUS:-}; do
    run "cpu-$cpu" -cpu "$cpu" -m 512
    brand=$("$VIREO" -cpu help | awk -v m="$cpu" '$1 == m { sub(/^ *[^ ]+ +/, ""); print; exit }')
    if grep -qaF "model name	: $brand" "$out/cpu-$cpu.log"; then
        ok "cpu-$cpu: /proc/cpuinfo model name is '$brand'"
    else
        notok "cpu-$cpu: no 'model name	: $brand' in $out/cpu-$cpu.log"
    fi
done
exit $fail
