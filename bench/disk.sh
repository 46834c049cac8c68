#!/bin/bash
# Disk benchmark inside Debian's Linux guest, on Vireo and on
# qemu-system-x86_64 -accel tcg (when installed) in the same run, with the
# same kernel, initramfs and a fresh raw image for each run:
#   seq-write  busybox dd if=/dev/zero of=DEV bs=1M count=MB oflag=direct
#   seq-read   busybox dd if=DEV of=/dev/null bs=1M count=MB iflag=direct
#              (BENCH_PASSES passes of each, 5 by default, write then
#              read; the median is shown)
#   rand-read  N reads of 4 KiB at random offsets with O_DIRECT, one at a
#              time (bench/disk-io.c, a static helper added to the initramfs;
#              it also times the dd runs: busybox's clock has 1 s steps)
#   bench/disk.sh [IFACE...]     IFACE: virtio (default), ide
# BENCH_MB (default 256), BENCH_RAND (default 2000) and BENCH_PASSES (default
# 5) size the runs.
# Prints MB/s and IOPS per interface and system, the ratios vireo/qemu and,
# with both interfaces, Vireo's virtio/ide.  An interface Vireo does not
# have yet shows n/a.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
BUILD=${BUILD:-build}
vireo=$BUILD/vireo
MB=${BENCH_MB:-256}
N=${BENCH_RAND:-2000}
PASSES=${BENCH_PASSES:-5}
ifaces=("$@")
[ ${#ifaces[@]} -gt 0 ] || ifaces=(virtio)
out=$BUILD/bench/disk
mkdir -p "$out"

declare -A devname=([virtio]=/dev/vda [ide]=/dev/sda)
for i in "${ifaces[@]}"; do
    [ -n "${devname[$i]:-}" ] || { echo "unknown interface '$i' (virtio or ide)" >&2; exit 1; }
done
mapfile -t guest < <(GUEST_MODULES="virtio_pci virtio_blk ata_piix sd_mod" scripts/make-linux-guest.sh) ||
    { echo "cannot build the guest" >&2; exit 1; }
kernel=${guest[0]}

# the helper, in a second initramfs archive appended to the first
initrd=$(bench/helper-initrd.sh bench/disk-io.c "$out" "${guest[1]}") || exit 1

guest_cmd() {   # DEV
    local d=$1
    echo "for i in \$(seq $PASSES); do t0=\$(disk-io now); dd if=/dev/zero of=$d bs=1M count=$MB oflag=direct 2>/dev/null || echo disk-bench: dd-write-failed; t1=\$(disk-io now); echo disk-bench: seq-write \$t0 \$t1; t0=\$(disk-io now); dd if=$d of=/dev/null bs=1M count=$MB iflag=direct 2>/dev/null || echo disk-bench: dd-read-failed; t1=\$(disk-io now); echo disk-bench: seq-read \$t0 \$t1; done; disk-io randread $d $MB $N | sed 's/^/disk-bench: /'"
}

# the median MB/s of the passes of KIND in LOG (one pass at 256 MiB lasts
# about a tenth of a second: a single one is mostly noise; with three the
# ratios of one run to the next moved by up to a factor of two)
median() {   # LOG KIND
    tr -d '\r' <"$1" | awk -v mb="$MB" -v k="disk-bench: $2 " 'index($0, k) == 1 && $4 > $3 { print mb / ($4 - $3) }' |
        sort -g | awk '{ v[NR] = $1 } END { if (NR) printf "%.1f", v[int((NR + 1) / 2)] }'
}

declare -A res
run() {   # SYSTEM IFACE
    local sys=$1 iface=$2 img=$out/disk-$1-$2.img log=$out/$1-$2.log
    rm -f "$img"
    truncate -s $((MB + 16))M "$img"
    local append="console=ttyS0 quiet vireo.cmd=\"$(guest_cmd "${devname[$iface]}")\" vireo.end"
    local drive="file=$img,format=raw,if=$iface"
    if [ "$sys" = vireo ]; then
        timeout 1800 "$vireo" -m 512 -nographic -no-reboot -kernel "$kernel" -initrd "$initrd" \
            -drive "$drive" -append "$append" </dev/null >"$log" 2>&1
    else
        timeout 1800 qemu-system-x86_64 -accel tcg -m 512 -nographic -no-reboot -nic none \
            -kernel "$kernel" -initrd "$initrd" -drive "$drive" -append "$append" </dev/null >"$log" 2>&1
    fi
    rm -f "$img"
    local w r rr
    w=$(median "$log" seq-write)
    r=$(median "$log" seq-read)
    rr=$(awk '/disk-bench: randread/ { printf "%.0f", $3 / $4 }' "$log" | tr -d '\r')
    if grep -qa 'disk-bench: dd-' "$log"; then w=fail r=fail; fi
    res[$sys.$iface.w]=${w:-n/a}
    res[$sys.$iface.r]=${r:-n/a}
    res[$sys.$iface.rr]=${rr:-n/a}
}

systems=(vireo)
command -v qemu-system-x86_64 >/dev/null && systems+=(qemu)
for iface in "${ifaces[@]}"; do
    for sys in "${systems[@]}"; do
        echo "running $sys $iface ($MB MiB, $N random reads) ..." >&2
        run "$sys" "$iface"
    done
done

ratio() {   # A B
    awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else printf "n/a" }'
}
printf '%-8s %-6s %16s %16s %16s\n' iface system "seq-write MB/s" "seq-read MB/s" "4K rand IOPS"
for iface in "${ifaces[@]}"; do
    for sys in "${systems[@]}"; do
        printf '%-8s %-6s %16s %16s %16s\n' "$iface" "$sys" "${res[$sys.$iface.w]}" \
            "${res[$sys.$iface.r]}" "${res[$sys.$iface.rr]}"
    done
    if [ ${#systems[@]} -gt 1 ]; then
        printf '%-8s %-6s %16s %16s %16s\n' "$iface" "v/q" \
            "$(ratio "${res[vireo.$iface.w]}" "${res[qemu.$iface.w]}")" \
            "$(ratio "${res[vireo.$iface.r]}" "${res[qemu.$iface.r]}")" \
            "$(ratio "${res[vireo.$iface.rr]}" "${res[qemu.$iface.rr]}")"
    fi
done
if [ -n "${res[vireo.virtio.w]:-}" ] && [ -n "${res[vireo.ide.w]:-}" ]; then
    printf '%-15s %16s %16s %16s\n' "vireo virtio/ide" \
        "$(ratio "${res[vireo.virtio.w]}" "${res[vireo.ide.w]}")" \
        "$(ratio "${res[vireo.virtio.r]}" "${res[vireo.ide.r]}")" \
        "$(ratio "${res[vireo.virtio.rr]}" "${res[vireo.ide.rr]}")"
fi
echo "(logs in $out; v/q = vireo/qemu, higher is better for Vireo)"
