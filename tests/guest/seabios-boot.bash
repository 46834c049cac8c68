# Sourced by the SeaBIOS guest tests (seabios.sh, seabios-smm.sh), not a
# test itself.  seabios_boot SER ERR ARGS...: run "$VIREO" "${extra[@]}"
# ARGS... with stdout (the serial console) in SER and stderr in ERR until
# SER shows "No bootable device", the emulator exits or BOOT_TIMEOUT
# seconds pass; then end it.  Sets $secs (how long it took) and $exited
# ("" when it was still running, else "exited with status N ").
seabios_boot() {
    local ser=$1 err=$2 pid t=0
    shift 2
    timeout -k 5 $((BOOT_TIMEOUT + 10)) "$VIREO" "${extra[@]}" "$@" </dev/null >"$ser" 2>"$err" &
    pid=$!
    # poll every 0.2 s
    while [ $t -lt $((BOOT_TIMEOUT * 5)) ]; do
        grep -q "No bootable device" "$ser" 2>/dev/null && break
        kill -0 $pid 2>/dev/null || break
        sleep 0.2
        t=$((t + 1))
    done
    secs=$(awk -v t=$t 'BEGIN { printf "%.1f", t / 5 }')
    sleep 0.3     # let the last debug lines reach the file
    if kill -0 $pid 2>/dev/null; then
        kill -TERM $pid 2>/dev/null
        wait $pid 2>/dev/null
        exited=""
    else
        wait $pid
        exited="exited with status $? "
    fi
    tr -d '\r' <"$ser" >"$ser.tmp" && mv "$ser.tmp" "$ser"
}
