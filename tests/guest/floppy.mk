# The floppy guest test with Linux's floppy driver as well (tests/guest/floppy.sh
# part 4: a Linux boot, too slow for make check).
.PHONY: check-floppy-linux
check-floppy-linux: all
	FLOPPY_LINUX=1 tests/guest/floppy.sh
