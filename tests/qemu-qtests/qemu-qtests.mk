# QEMU's own qtests (Debian's qemu source, built under $(BUILD)/qemu-qtests)
# against Vireo; see tests/qemu-qtests/qemu-qtests.sh.  Not part of make
# check (the first run fetches ~25 MB and builds for two minutes; a run
# takes three more); .ci/run runs it after make check.  No archive to
# fetch from (status 77) is a skip, not a failure.
.PHONY: check-qemu-qtests
check-qemu-qtests: all
	@tests/qemu-qtests/qemu-qtests.sh; st=$$?; [ $$st -eq 0 ] || [ $$st -eq 77 ]
