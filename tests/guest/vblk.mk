# The issue's judged virtio-blk case (tests/guest/vblk-linux.sh with a
# 256 MiB file): too slow for make check, which runs the same script with
# 32 MiB.
.PHONY: check-vblk-256
check-vblk-256: all
	BUILD=$(BUILD) VBLK_MB=256 tests/guest/vblk-linux.sh

# The same on qcow2 images made by vireo-img.
.PHONY: check-vblk-qcow2
check-vblk-qcow2: all $(BUILD)/vireo-img
	BUILD=$(BUILD) VBLK_FORMAT=qcow2 tests/guest/vblk-linux.sh
