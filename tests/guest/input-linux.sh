#!/bin/bash
# The PS/2 keyboard and mouse under Debian 12's real kernel (i8042, atkbd,
# psmouse, evdev; scripts/make-linux-guest.sh).  Linux's drivers probe the
# devices their own way -- keyboard ID and translation, the mouse reset and
# the IntelliMouse/Explorer sample-rate knocks -- and we assert on what the
# guest itself reports:
#   - /proc/bus/input/devices names "AT Translated Set 2 keyboard" and
#     "ImExPS/2 Generic Explorer Mouse";
#   - keys sent with QMP send-key reach /dev/input/eventN as the right
#     scancodes (MSC_SCAN) and key codes, press and release;
#   - a QMP input-send-event group (rel x/y, left button) arrives as
#     BTN_LEFT, REL_X, REL_Y with the PS/2 y axis turned back to screen
#     direction.
# INPUT_GUEST_DIR puts the guest elsewhere than build/guests.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
BUILD=${BUILD:-build}
VIREO=${VIREO:-$BUILD/vireo}
command -v socat >/dev/null || { echo "SKIP: socat missing"; exit 77; }
mapfile -t guest < <(GUEST_MODULES="psmouse evdev" scripts/make-linux-guest.sh ${INPUT_GUEST_DIR:-}) ||
    { echo "cannot build the Linux guest"; exit 1; }
kernel=${guest[0]} initrd=${guest[1]}
out=$BUILD/tests/input-linux
mkdir -p "$out"
log=$out/guest.log
sock=$out/qmp.sock
rm -f "$sock" "$log"
fail=0
ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; fail=1; }
expect() {   # expect REGEX DESCRIPTION
    if grep -qaE -- "$1" "$log"; then ok "$2"; else notok "$2 (no /$1/ in $log)"; fi
}

# The guest waits for psmouse's asynchronous probe, prints its devices,
# then dumps 12 keyboard events (two keys, press and release: scan, key,
# sync each) and 4 mouse events, one per line as 24 hex bytes.
# (No double quotes in it: they would end vireo.cmd="..." on the kernel
# command line.)
cmds='i=0; while [ $i -lt 400 ] && ! grep -q Explorer /proc/bus/input/devices; do sleep 0.1; i=$((i+1)); done;'
cmds="$cmds grep ^N: /proc/bus/input/devices;"
cmds="$cmds k=\$(grep -A5 AT.Translated /proc/bus/input/devices | grep -o 'event[0-9]*');"
cmds="$cmds m=\$(grep -A5 Explorer /proc/bus/input/devices | grep -o 'event[0-9]*');"
cmds="$cmds echo READY-KBD;"
cmds="$cmds dd if=/dev/input/\$k bs=24 count=12 2>/dev/null | hexdump -v -C | sed s/^/KEV:/;"
cmds="$cmds echo READY-MOUSE;"
cmds="$cmds dd if=/dev/input/\$m bs=24 count=4 2>/dev/null | hexdump -v -C | sed s/^/MEV:/"

timeout 240 "$VIREO" -nographic -no-reboot -m 256 -kernel "$kernel" -initrd "$initrd" \
    -append "console=ttyS0 vireo.cmd=\"$cmds\" vireo.end" \
    -qmp unix:"$sock",server=on,wait=off </dev/null >"$log" 2>&1 &
vpid=$!

wait_for() {   # wait_for REGEX SECONDS
    for _ in $(seq $(($2 * 10))); do
        grep -qa -- "$1" "$log" && return 0
        kill -0 $vpid 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}
qmp() {   # qmp JSON...: one QMP session sending these commands
    { echo '{"execute":"qmp_capabilities"}'; for j in "$@"; do sleep 0.3; echo "$j"; done; sleep 0.5; } |
        timeout 10 socat - UNIX-CONNECT:"$sock" >>"$out/qmp.log" 2>&1
}

if wait_for '^READY-KBD' 200; then
    sleep 0.5          # dd opens the device after the echo
    qmp '{"execute":"send-key","arguments":{"keys":[{"type":"qcode","data":"a"}],"hold-time":50}}' \
        '{"execute":"send-key","arguments":{"keys":[{"type":"qcode","data":"up"}],"hold-time":50}}'
fi
if wait_for '^READY-MOUSE' 20; then
    sleep 0.5
    qmp '{"execute":"input-send-event","arguments":{"events":[{"type":"rel","data":{"axis":"x","value":10}},{"type":"rel","data":{"axis":"y","value":-3}},{"type":"btn","data":{"down":true,"button":"left"}}]}}'
fi
wait $vpid
st=$?
echo "# exit status $st, log $log"
[ $st -eq 0 ] && ok "guest powers off, Vireo exits 0" || notok "exit status $st"

expect '^N: Name="AT Translated Set 2 keyboard"' "atkbd finds a translated set-2 keyboard"
expect '^N: Name="ImExPS/2 Generic Explorer Mouse"' "psmouse detects an IntelliMouse Explorer"

# The hexdump -C lines back into bytes, cut into input_events: 16 bytes of
# time, type (2), code (2), value (4), little-endian.  Prints "type code
# value" for each but the SYN_REPORTs, comma-separated.
events() {   # events PREFIX
    grep -a "^$1:[0-9a-f]\{8\}  " "$log" | sed "s/^$1:[0-9a-f]*  //; s/ *|.*//" | tr -s ' ' '\n' |
        grep -x '[0-9a-f][0-9a-f]' | paste -d' ' - - - - - - - - - - - - - - - - - - - - - - - - |
        while read -r -a b; do
            [ ${#b[@]} -eq 24 ] || continue
            local t=$((16#${b[17]}${b[16]})) c=$((16#${b[19]}${b[18]}))
            local v=$((16#${b[23]}${b[22]}${b[21]}${b[20]}))
            [ $v -ge $((1 << 31)) ] && v=$((v - (1 << 32)))
            echo "$t $c $v"
        done | grep -v '^0 0 0$' | tr '\n' ','
}
kev=$(events KEV)
mev=$(events MEV)
echo "# keyboard events (type code value): $kev"
echo "# mouse events: $mev"
# EV_MSC/MSC_SCAN carries the set-1 scancode atkbd saw after translation
# (E0 keys with 0x80 added), EV_KEY the key: KEY_A 30, KEY_UP 103.
[ "$kev" = "4 4 30,1 30 1,4 4 30,1 30 0,4 4 200,1 103 1,4 4 200,1 103 0," ] &&
    ok "send-key a, up: scancodes 0x1e/0xc8, KEY_A and KEY_UP pressed and released" ||
    notok "keyboard events: $kev"
# BTN_LEFT 272; REL_X 0 = +10, REL_Y 1 = -3 (screen up, as sent)
[ "$mev" = "1 272 1,2 0 10,2 1 -3," ] &&
    ok "input-send-event: BTN_LEFT down, REL_X +10, REL_Y -3" ||
    notok "mouse events: $mev"
exit $fail
