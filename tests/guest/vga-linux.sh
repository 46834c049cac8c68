#!/bin/bash
# Guest test: Debian 12's kernel on the standard VGA (-vga std), first with
# its boot console in text mode (vgacon), then with Debian's bochs DRM
# driver loaded as a module (bochs, drm_vram_helper, drm_kms_helper, ttm;
# scripts/make-linux-guest.sh) and fbcon on its framebuffer.  We assert on
# what the guest shows and reports:
#   - text mode: the screendump agrees with the 80x25 window of the text
#     buffer (HMP xp of 0xb8000) that vgacon scrolled to, and that window
#     holds kernel lines the serial log has too and a marker the guest
#     wrote to /dev/tty1;
#   - after modprobe bochs: the driver finds the EDID of BAR2, whose
#     native mode (1024x768) its fb0 takes (sysfs virtual_size), and the
#     screendump is 1024x768 too;
#   - the screendump shows the console: a second marker, and kernel lines
#     fbcon printed, read back from the pixels with the glyphs of the text
#     screen (tests/guest/vga-linux.py).
# The guest waits for Enter on tty1 (HMP sendkey) at each step, so the
# screens are taken while they are known to be up.
# VGA_LINUX_GUEST_DIR puts the guest elsewhere than build/guests.
#   exit 0 pass, 1 fail, 77 skip.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
BUILD=${BUILD:-build}
VIREO=${VIREO:-$BUILD/vireo}
command -v socat >/dev/null || { echo "SKIP: socat missing"; exit 77; }
mapfile -t guest < <(GUEST_MODULES="bochs" scripts/make-linux-guest.sh ${VGA_LINUX_GUEST_DIR:-}) ||
    { echo "not ok - cannot build the Linux guest"; exit 1; }
kernel=${guest[0]} initrd=${guest[1]}
out=$BUILD/tests/guest/vga-linux
rm -rf "$out"
mkdir -p "$out"
log=$out/serial.log
sock=$out/hmp.sock
fail=0
ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; fail=1; }
hmp() { python3 "$top/tests/guest/hmp.py" "$sock" "$@"; }

# Both markers use only characters the text marker shows, so that their
# glyphs can be taken from the text screen.  (No double quotes in the
# command: they would end vireo.cmd="..." on the kernel command line.)
tmark='vireo-text abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789'
fmark='vireo-fb MARK 1024x768 drawn by fbcon'
cmds="echo $tmark > /dev/tty1; echo READY-TEXT; read x < /dev/tty1;"
cmds="$cmds modprobe bochs;"
cmds="$cmds i=0; while [ \$i -lt 100 ] && [ ! -e /sys/class/graphics/fb0 ]; do sleep 0.1; i=\$((i+1)); done;"
cmds="$cmds echo FB0 \$(cat /sys/class/graphics/fb0/name /sys/class/graphics/fb0/virtual_size);"
cmds="$cmds echo $fmark > /dev/tty1; echo READY-FB; read x < /dev/tty1"

# modules are loaded by the command (vireo.nomodules), not by /init; ttyS0
# is named last so that it is /dev/console, where /init prints
timeout 150 "$VIREO" -vga std -display none -m 256 -no-reboot -kernel "$kernel" -initrd "$initrd" \
    -append "console=tty0 console=ttyS0 vireo.nomodules vireo.cmd=\"$cmds\" vireo.end" \
    -serial file:"$log" -monitor unix:"$sock",server=on,wait=off \
    </dev/null >"$out/stdout" 2>"$out/stderr" &
pid=$!

wait_for() {   # wait_for REGEX SECONDS
    for _ in $(seq $(($2 * 10))); do
        grep -qa -- "$1" "$log" 2>/dev/null && return 0
        kill -0 $pid 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

if wait_for '^READY-TEXT' 100; then
    sleep 0.5                     # the shell reads tty1 after the echo
    hmp "screendump $out/text.ppm" "xp /4096hx 0xb8000" "xp /4096hx 0xba000" \
        "xp /4096hx 0xbc000" "xp /4096hx 0xbe000" >"$out/text.hmp"
    hmp "sendkey ret" >/dev/null
    python3 tests/guest/vga-linux.py text "$out/text.hmp" "$out/text.ppm" "$log" "$tmark" \
        "$out/glyphs.json" || fail=1
else
    notok "the guest never got to its command ($log)"
fi
if wait_for '^READY-FB' 30; then
    sleep 0.5
    hmp "screendump $out/fb.ppm" >"$out/fb.hmp"
    hmp "sendkey ret" >/dev/null
else
    notok "no READY-FB from the guest after modprobe bochs ($log)"
fi
wait $pid
st=$?
echo "# exit status $st, serial log $log"
[ $st -eq 0 ] && ok "guest powers off, Vireo exits 0" || notok "exit status $st"
grep -a -E 'bochs|drm|fbcon|Console: ' "$log" | sed 's/^/# /'
if grep -qaF '[drm] Found EDID data blob' "$log"; then
    ok "bochs-drm reads the EDID block in BAR2"
else
    notok "bochs-drm found no EDID ($log)"
fi
if grep -qaE '^FB0 bochs-drmdrmfb 1024,768' "$log"; then
    ok "bochs-drm's fb0 is 1024x768: $(grep -a '^FB0' "$log")"
else
    notok "fb0 is not bochs-drm's at 1024x768: $(grep -a '^FB0' "$log")"
fi
if [ -f "$out/fb.ppm" ] && [ -f "$out/glyphs.json" ]; then
    python3 tests/guest/vga-linux.py fb "$out/fb.ppm" "$out/glyphs.json" "$log" "$tmark" "$fmark" || fail=1
else
    notok "no framebuffer screendump or no glyphs to read it with"
fi
exit $fail
