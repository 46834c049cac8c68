#!/bin/bash
# See bench/net.py: network throughput of virtio-net-pci and e1000 on Vireo and
# qemu-system-x86_64 -accel tcg (when installed), and Vireo's I/O cost per
# packet with the fitted overhead model.   bench/net.sh [MODEL...]
exec python3 "$(dirname "$0")/net.py" "$@"
