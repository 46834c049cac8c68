# The whole storage matrix of tests/guest/storage.sh (three interfaces x
# raw / vireo-img qcow2 / qemu-img compressed+backing qcow2) with 256 MiB
# written and read back; make check runs three pairs with 16 MiB.
.PHONY: check-storage
check-storage: all
	STORAGE_ALL=1 STORAGE_MB=256 tests/guest/storage.sh
