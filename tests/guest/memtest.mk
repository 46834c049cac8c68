# make check-memtest: memtest86+ (Debian's package, -kernel, -m 256) until it
# completes a whole pass with 0 errors -- over ten minutes here, so make
# check runs tests/guest/memtest.sh only until memtest's test #3 starts.
.PHONY: check-memtest
check-memtest: all
	MEMTEST_PASS=1 BUILD=$(BUILD) tests/guest/memtest.sh
