#!/bin/bash
# SeaBIOS's boot order over the PIIX3 IDE drives, as a user sets it:
#   1. the default order (-hda + -cdrom): the hard disk first, its boot
#      failing (blank), then the CD, whose El Torito boot program (our own
#      54 bytes: it writes a line to COM1 and halts) runs;
#   2. -boot d: the CD first, the disk never tried;
#   3. bootindex=0 on an ide-cd (-device) beats -hda: the fw_cfg
#      "bootorder" path /pci@i0cf8/ide@1,1/drive@1/disk@0 matches the drive;
#   4. bootindex=0 on the disk with -boot strict=on: only the disk is
#      tried, SeaBIOS ends with "No bootable device." and the CD never runs;
#   5. a bootable disk (the same program in an MBR) on virtio-blk-pci
#      behind a blank -hda: SeaBIOS tries one hard disk only, the IDE one,
#      and fails; with bootindex=0 on the virtio disk it boots that one;
#   6. bootindex=0 on a floppy drive wins over -boot order=c.
# Only SeaBIOS runs: a few seconds each.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
BUILD=${BUILD:-build}
VIREO=${VIREO:-$BUILD/vireo}
out=$BUILD/tests/ide-boot
mkdir -p "$out"
fail=0
ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; fail=1; }

command -v xorriso >/dev/null ||
    { [ "$(id -u)" -eq 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -q xorriso </dev/null >/dev/null 2>&1; }
command -v xorriso >/dev/null || { echo "SKIP: xorriso (Debian package xorriso) is not installed"; exit 77; }

# The boot program: mov dx,0x3f8; (mov al,C; out dx,al) for each character;
# cli; hlt; jmp back to hlt.  SeaBIOS loads it at 0x7c00.
bootprog() {
    local msg=$1 i
    printf '\xba\xf8\x03'
    for ((i = 0; i < ${#msg}; i++)); do
        printf '\xb0%s\xee' "${msg:i:1}"
    done
    printf '\xb0\r\xee\xb0\n\xee\xfa\xf4\xeb\xfd'
}
rm -rf "$out/cd" && mkdir -p "$out/cd"
bootprog VIREO-CD-BOOT > "$out/cd/boot.bin"
truncate -s 2048 "$out/cd/boot.bin"
# a hard disk whose MBR is the program (signature 55 AA at 510)
rm -f "$out/boot-hd.img"
bootprog VIREO-HD-BOOT > "$out/boot-hd.img"
truncate -s 510 "$out/boot-hd.img"
printf '\x55\xaa' >> "$out/boot-hd.img"
truncate -s 1M "$out/boot-hd.img"
xorriso -as mkisofs -quiet -o "$out/boot.iso" -b boot.bin -no-emul-boot -boot-load-size 4 \
    "$out/cd" 2>"$out/xorriso.log" || { cat "$out/xorriso.log"; echo "xorriso failed"; exit 1; }
rm -f "$out/blank.img"
truncate -s 8M "$out/blank.img"
iso=$out/boot.iso disk=$out/blank.img

# run NAME PATTERN ARGS...: boot until PATTERN is printed (or 30 s), then stop
run() {
    local name=$1 pat=$2
    shift 2
    local log=$out/$name.log
    "$VIREO" -nographic -no-reboot "$@" </dev/null >"$log" 2>&1 &
    local pid=$!
    for _ in $(seq 300); do
        grep -qa -- "$pat" "$log" && break
        kill -0 $pid 2>/dev/null || break
        sleep 0.1
    done
    kill $pid 2>/dev/null
    wait $pid 2>/dev/null
    tr -d '\033' < "$log" > "$log.txt"
}
# before LOG FIRST SECOND: FIRST is printed and SECOND (if at all) after it
before() {
    local a b
    a=$(grep -na -m1 -- "$2" "$1" | cut -d: -f1)
    b=$(grep -na -m1 -- "$3" "$1" | cut -d: -f1)
    [ -n "$a" ] && { [ -z "$b" ] || [ "$a" -lt "$b" ]; }
}

run default VIREO-CD-BOOT -drive file="$disk",format=raw,if=ide -drive file="$iso",format=raw,if=ide,index=2,media=cdrom
l=$out/default.log.txt
if before "$l" 'Booting from Hard Disk' 'Booting from DVD/CD' && grep -qa 'not a bootable disk' "$l" &&
   grep -qa '^VIREO-CD-BOOT\|VIREO-CD-BOOT' "$l"; then
    ok "default order: the blank disk fails, then the CD's boot program runs"
else
    notok "default order (log $l)"
fi

run boot-d VIREO-CD-BOOT -drive file="$disk",format=raw,if=ide -drive file="$iso",format=raw,if=ide,index=2,media=cdrom -boot d
l=$out/boot-d.log.txt
if grep -qa 'Booting from DVD/CD' "$l" && grep -qa 'VIREO-CD-BOOT' "$l" && ! grep -qa 'Booting from Hard Disk' "$l"; then
    ok "-boot d: the CD first"
else
    notok "-boot d (log $l)"
fi

run bootindex VIREO-CD-BOOT -drive file="$disk",format=raw,if=ide \
    -drive file="$iso",format=raw,if=none,id=cd,media=cdrom -device ide-cd,drive=cd,bus=ide.1,unit=0,bootindex=0
l=$out/bootindex.log.txt
if grep -qa 'Booting from DVD/CD' "$l" && grep -qa 'VIREO-CD-BOOT' "$l" && ! grep -qa 'Booting from Hard Disk' "$l"; then
    ok "bootindex=0 on the ide-cd: SeaBIOS boots it before the hard disk"
else
    notok "bootindex on the CD (log $l)"
fi

run strict 'No bootable device' -boot strict=on \
    -drive file="$disk",format=raw,if=none,id=hd -device ide-hd,drive=hd,bootindex=0 \
    -drive file="$iso",format=raw,if=ide,index=2,media=cdrom
l=$out/strict.log.txt
if grep -qa 'Booting from Hard Disk' "$l" && grep -qa 'No bootable device' "$l" &&
   ! grep -qa 'Booting from DVD/CD' "$l"; then
    ok "-boot strict=on with bootindex=0 on the disk: only the disk is tried"
else
    notok "strict (log $l)"
fi
if "$VIREO" -device help 2>&1 | grep -q virtio-blk-pci; then
    run vblk-first 'Boot failed\|VIREO-HD-BOOT' -drive file="$disk",format=raw,if=ide \
        -drive file="$out/boot-hd.img",format=raw,if=none,id=vd -device virtio-blk-pci,drive=vd
    run vblk-bootindex VIREO-HD-BOOT -drive file="$disk",format=raw,if=ide \
        -drive file="$out/boot-hd.img",format=raw,if=none,id=vd -device virtio-blk-pci,drive=vd,bootindex=0
    l1=$out/vblk-first.log.txt l2=$out/vblk-bootindex.log.txt
    if grep -qa 'not a bootable disk' "$l1" && ! grep -qa VIREO-HD-BOOT "$l1" &&
       grep -qa VIREO-HD-BOOT "$l2" && ! grep -qa 'not a bootable disk' "$l2"; then
        ok "bootindex=0 on virtio-blk-pci: SeaBIOS boots its disk instead of the blank -hda"
    else
        notok "virtio-blk bootindex (logs $l1 $l2)"
    fi
fi
# 6. the same for a floppy (-device floppy,bootindex=) against a bootable
#    -hda with -boot order=c: the listed device wins over the CMOS order
rm -f "$out/boot-fd.img"
bootprog VIREO-FD-BOOT > "$out/boot-fd.img"
truncate -s 510 "$out/boot-fd.img"
printf '\x55\xaa' >> "$out/boot-fd.img"
truncate -s 1440K "$out/boot-fd.img"
if "$VIREO" -device help 2>&1 | grep -q '"floppy"'; then
    run fd-order VIREO-..-BOOT -boot order=c -drive file="$out/boot-hd.img",format=raw,if=ide \
        -drive file="$out/boot-fd.img",format=raw,if=none,id=fd -device floppy,unit=0,drive=fd
    run fd-bootindex VIREO-..-BOOT -boot order=c -drive file="$out/boot-hd.img",format=raw,if=ide \
        -drive file="$out/boot-fd.img",format=raw,if=none,id=fd -device floppy,unit=0,drive=fd,bootindex=0
    l1=$out/fd-order.log.txt l2=$out/fd-bootindex.log.txt
    if grep -qa VIREO-HD-BOOT "$l1" && grep -qa VIREO-FD-BOOT "$l2" && ! grep -qa VIREO-HD-BOOT "$l2"; then
        ok "bootindex=0 on a floppy drive beats -boot order=c"
    else
        notok "floppy bootindex (logs $l1 $l2)"
    fi
fi
exit $fail
