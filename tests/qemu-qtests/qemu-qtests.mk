# QEMU's own qtests (Debian's qemu source, built under $(BUILD)/qemu-qtests)
# against Vireo; see tests/qemu-qtests/qemu-qtests.sh.  Not part of make
# check: the first run fetches ~25 MB and builds for a few minutes.
.PHONY: check-qemu-qtests
check-qemu-qtests: all
	tests/qemu-qtests/qemu-qtests.sh
