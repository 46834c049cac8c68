# The whole storage matrix of tests/guest/storage.sh (three interfaces x
# raw / vireo-img qcow2 / qemu-img compressed+backing qcow2) with 256 MiB
# written and read back; make check runs three pairs with 8 MiB.
# All the pairs are disks of one VM: two boots, each about a second of guest
# time per MiB written and hashed (tier 0 hashes slowly, issue #9).
.PHONY: check-storage
check-storage: all
	STORAGE_ALL=1 STORAGE_MB=256 tests/guest/storage.sh
