#!/bin/bash
# Network boot as QEMU users do it: -boot n with -nic user,tftp=DIR,bootfile=.
# SeaBIOS runs the NIC's option ROM (iPXE's efi-e1000.rom from Debian's
# ipxe-qemu, checked by firmware/ipxe.sha256); iPXE gets an address and the
# boot file name from slirp's DHCP, fetches an iPXE script over slirp's TFTP,
# and the script loads Debian's kernel and initramfs over TFTP and boots
# them.  We assert on what iPXE and then the booted Linux printed.
# NETBOOT_MODELS overrides the NIC models (default: e1000 virtio-net-pci;
# virtio-net-pci uses efi-virtio.rom).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
BUILD=${BUILD:-build}
VIREO=${VIREO:-$BUILD/vireo}
out=$BUILD/tests/netboot
mkdir -p "$out/tftp"
mapfile -t guest < <(scripts/make-linux-guest.sh) || { echo "cannot build the Linux guest"; exit 1; }
cp -f "${guest[0]}" "$out/tftp/vmlinuz"
cp -f "${guest[1]}" "$out/tftp/initramfs.cpio.gz"
token=netboot$RANDOM$RANDOM
cat > "$out/tftp/boot.ipxe" <<EOS
#!ipxe
echo vireo-ipxe: script loaded
kernel tftp://10.0.2.2/vmlinuz console=ttyS0 quiet vireo.cmd="echo $token" vireo.end
initrd tftp://10.0.2.2/initramfs.cpio.gz
boot
EOS
fail=0
ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; fail=1; }
expect() { if grep -qaE -- "$2" "$1"; then ok "$3"; else notok "$3 (no /$2/ in $1)"; fi; }
for model in ${NETBOOT_MODELS:-e1000 virtio-net-pci}; do
    log=$out/$model.log
    timeout 400 "$VIREO" -nographic -no-reboot -m 256 -boot n \
        -nic user,model=$model,tftp=$out/tftp,bootfile=boot.ipxe </dev/null >"$log" 2>&1
    st=$?
    echo "# $model: exit status $st, log $log"
    [ $st -eq 0 ] && ok "$model: the netbooted guest powered off, status 0" || notok "$model: exit status $st"
    expect "$log" 'iPXE \(PCI 00:0[0-9a-f].0\) starting execution' "$model: SeaBIOS runs iPXE's option ROM (-boot n)"
    expect "$log" 'net0: 10\.0\.2\.15/255\.255\.255\.0 gw 10\.0\.2\.2' "$model: iPXE configured by slirp's DHCP"
    expect "$log" 'Filename: boot\.ipxe' "$model: DHCP hands over bootfile="
    expect "$log" 'vireo-ipxe: script loaded' "$model: the script came over TFTP and runs"
    expect "$log" "^$token" "$model: the kernel and initramfs loaded over TFTP boot and run /init"
done
exit $fail
