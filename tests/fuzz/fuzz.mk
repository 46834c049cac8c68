# Fuzz harnesses (tests/fuzz/README.md).  Built normally they are
# deterministic GLib tests run by make check (tests/fuzz/run-fuzz-smoke.sh);
# `make fuzz` builds them as libFuzzer targets with clang in build-fuzz/.
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz-*.c)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/tests/fuzz/%)

$(BUILD)/tests/fuzz/%: tests/fuzz/%.c $(wildcard tests/fuzz/*.h tests/unit/x86-*.h) $(BUILD)/libvireo.a
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -MMD -MP,$(ALL_CFLAGS)) -o $@ $< -Wl,--whole-archive $(BUILD)/libvireo.a -Wl,--no-whole-archive $(LDLIBS)

CHECK_BUILD += $(FUZZ_BINS)

# The deterministic run make check does, on its own (BUILD=build-asan for
# the sanitizer tree).
.PHONY: fuzz-smoke
fuzz-smoke: $(FUZZ_BINS)
	BUILD=$(BUILD) tests/fuzz/run-fuzz-smoke.sh

# libFuzzer build: FUZZ_TIME seconds per harness (default 60);
# FUZZ_TARGETS="hmp gdb" picks harnesses (only those are built; tests/fuzz/long-fuzz.sh).
FUZZ_TIME ?= 60
.PHONY: fuzz
fuzz:
	@[ -f build-fuzz/config.mak ] || ./configure --builddir=build-fuzz --cc=clang \
	    --extra-cflags="-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer"
	+$(MAKE) --no-print-directory BUILD=build-fuzz build-fuzz/libvireo.a
	@mkdir -p build-fuzz/tests/fuzz
	@for src in $(if $(FUZZ_TARGETS),$(FUZZ_TARGETS:%=tests/fuzz/fuzz-%.c),$(FUZZ_SRCS)); do \
	    n=$$(basename $$src .c); \
	    clang -std=gnu11 -O1 -g -DVIREO_LIBFUZZER -fsanitize=fuzzer,address,undefined \
	        -I. -Ibuild-fuzz $$(pkg-config --cflags glib-2.0 json-glib-1.0) -o build-fuzz/tests/fuzz/$$n $$src \
	        -Wl,--whole-archive build-fuzz/libvireo.a -Wl,--no-whole-archive \
	        $$(sed -n 's/^DEP_LIBS=//p' build-fuzz/config.mak) -lm -lpthread || exit 1; \
	done
	FUZZ_TIME=$(FUZZ_TIME) tests/fuzz/long-fuzz.sh
