#!/bin/bash
# Build the Linux test guest from Debian packages: the real distribution
# kernel (linux-image-amd64 -> linux-image-6.1.*-amd64) and an initramfs made
# of busybox-static plus our /init.  Nothing here is committed; the .debs are
# cached by scripts/fetch-guests.sh under build/cache.
#   scripts/make-linux-guest.sh [OUTDIR]     (default build/guests/linux)
#   GUEST_MODULES="e1000 virtio_blk ext4" scripts/make-linux-guest.sh
#       also puts these kernel modules, with every module they depend on
#       (from the package's own modules.dep), into the initramfs; /init
#       loads them with modprobe (not with vireo.nomodules on the kernel
#       command line: then the vireo.cmd loads them when it wants, e.g. to
#       look at the boot console before a driver takes the screen over).
#       The default OUTDIR is then build/guests/linux-<module list>, so
#       each set is cached apart.
# Prints two lines: the kernel path and the initramfs path.
#
# /init mounts /proc, /sys, /dev, prints "vireo-guest: init ok", then:
#   - with vireo.bench on the kernel command line: runs the workloads of
#     bench/workloads.sh (the same script the benchmark runs natively),
#     printing "vireo-bench: NAME MS" lines, and powers off;
#   - with vireo.cmd="..." vireo.end: runs that command, then powers off;
#   - otherwise: an interactive shell on the console (poweroff -f ends it).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
mods=$(echo ${GUEST_MODULES:-} | tr ' ' '\n' | LC_ALL=C sort -u | tr '\n' ' ')
mods=${mods% }
if [ -n "$mods" ]; then
    out=${1:-$top/build/guests/linux-${mods// /-}}
else
    out=${1:-$top/build/guests/linux}
fi
mkdir -p "$out"

log() { echo "make-linux-guest: $*" >&2; }

# The metapackage only depends on the versioned kernel package: resolve it.
# (apt-cache fails on empty package lists: under pipefail that must not end
# the script before the fallback below runs)
kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/.*Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -n1) || kpkg=
if [ -z "$kpkg" ]; then
    # empty package lists on a fresh machine: fetch-guests.sh runs apt-get update
    "$top/scripts/fetch-guests.sh" linux-image-amd64 >/dev/null
    kpkg=$(apt-cache depends linux-image-amd64 | sed -n 's/.*Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -n1) || kpkg=
fi
[ -n "$kpkg" ] || { log "cannot resolve the kernel package behind linux-image-amd64"; exit 1; }

kroot=$("$top/scripts/fetch-guests.sh" "$kpkg")
broot=$("$top/scripts/fetch-guests.sh" busybox-static)

kernel=$(ls -1 "$kroot"/boot/vmlinuz-* | head -n1)
[ -f "$kernel" ] || { log "no vmlinuz in $kroot/boot"; exit 1; }
cp -f "$kernel" "$out/vmlinuz"

stage=$out/initramfs.d
rm -rf "$stage"
mkdir -p "$stage"/{bin,sbin,etc,proc,sys,dev,tmp,root,usr/bin,usr/sbin}
cp "$broot/bin/busybox" "$stage/bin/busybox"
for applet in $("$stage/bin/busybox" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$stage/bin/$applet"
done
if [ -n "$mods" ]; then
    # Debian's package carries no modules.dep (its postinst runs depmod):
    # follow each module's own "depends=" and let busybox depmod index them.
    kver=$(ls -1 "$kroot/lib/modules" | head -n1)
    mdir=$kroot/lib/modules/$kver
    declare -A path_of=() seen=()
    while IFS= read -r p; do
        b=${p##*/}; b=${b%%.ko*}
        path_of[${b//-/_}]=${p#"$mdir"/}
    done < <(find "$mdir" -name '*.ko*')
    add_mod() {
        local n=${1//-/_} p d
        [ -n "${seen[$n]:-}" ] && return 0
        p=${path_of[$n]:-}
        [ -n "$p" ] || { log "module $1 not found in $kpkg"; exit 1; }
        seen[$n]=1
        mkdir -p "$stage/lib/modules/$kver/$(dirname "$p")"
        cp "$mdir/$p" "$stage/lib/modules/$kver/$p"
        for d in $(grep -a -o -m1 'depends=[A-Za-z0-9_,-]*' "$mdir/$p" | sed 's/^depends=//; s/,/ /g'); do
            add_mod "$d"
        done
    }
    for m in $mods; do add_mod "$m"; done
    "$stage/bin/busybox" depmod -b "$stage" "$kver"
    printf '%s\n' $mods > "$stage/etc/modules"
fi
cp "$top/bench/workloads.sh" "$stage/bin/vireo-workloads"
chmod +x "$stage/bin/vireo-workloads"

cat > "$stage/init" <<'EOF'
#!/bin/sh
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null || mdev -s
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts
if [ -f /etc/modules ] && ! grep -qw vireo.nomodules /proc/cmdline; then
    for m in $(cat /etc/modules); do modprobe "$m" || echo "vireo-guest: modprobe $m failed"; done
fi
echo "vireo-guest: init ok"
cmdline=$(cat /proc/cmdline)
case " $cmdline " in
*" vireo.bench "*)
    /bin/vireo-workloads
    poweroff -f ;;
*" vireo.cmd="*)
    # vireo.cmd="a; b" vireo.end (the kernel keeps the quotes) or
    # vireo.cmd=a;b vireo.end
    cmd=${cmdline#*vireo.cmd=}
    cmd=${cmd%% vireo.end*}
    case $cmd in \"*\") cmd=${cmd#\"}; cmd=${cmd%\"} ;; esac
    sh -c "$cmd"
    echo "vireo-guest: cmd done"
    poweroff -f ;;
esac
echo "vireo-guest: shell ready (poweroff -f quits)"
exec setsid cttyhack sh -l
EOF
chmod +x "$stage/init"
# udhcpc's default script (Debian's busybox looks in /etc/udhcpc): the kernel
# gave /init no PATH, so the script sets one
mkdir -p "$stage/etc/udhcpc"
cat > "$stage/etc/udhcpc/default.script" <<'EOF'
#!/bin/sh
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
case "$1" in
deconfig) ifconfig "$interface" 0.0.0.0 up ;;
bound|renew)
    ifconfig "$interface" "$ip" netmask "${subnet:-255.255.255.0}" up
    if [ -n "$router" ]; then
        while route del default gw 0.0.0.0 dev "$interface" 2>/dev/null; do :; done
        for r in $router; do route add default gw "$r" dev "$interface"; done
    fi
    : > /etc/resolv.conf
    for d in $dns; do echo "nameserver $d" >> /etc/resolv.conf; done ;;
esac
exit 0
EOF
chmod +x "$stage/etc/udhcpc/default.script"
echo 'PS1="vireo:\w# "' > "$stage/etc/profile"

(cd "$stage" && find . | LC_ALL=C sort | "$broot/bin/busybox" cpio -o -H newc 2>/dev/null) | gzip -9n > "$out/initramfs.cpio.gz"
rm -rf "$stage"
log "kernel $kpkg, busybox $(basename "$(cat "$broot/.vireo-deb")")"
echo "$out/vmlinuz"
echo "$out/initramfs.cpio.gz"
