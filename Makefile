# Vireo: one non-recursive Makefile.  Sources are found by wildcard, so a new
# device or module is just a new .c file in its directory.
#   make            configure if needed (installing missing Debian packages),
#                   fetch SeaBIOS, build $(BUILD)/vireo
#   make demo       boot SeaBIOS on this terminal (Ctrl-A x quits)
#   make check      build everything and run every test; ends "N passed, M failed"
#   make asan       ASan+UBSan build in build-asan/ and the SeaBIOS guest test with it
#   make check-asan every test of make check on that build (LeakSanitizer on)
#   BUILD=dir       build directory (default build); V=1 shows full commands
BUILD ?= build
-include $(BUILD)/config.mak

SRC_DIRS := system util chardev hw/core hw/i386 hw/pci hw/isa hw/intc hw/timer \
            hw/char hw/input hw/nvram hw/dma hw/display hw/ide hw/block hw/virtio hw/net \
            hw/acpi hw/misc hw/audio target/x86 accel accel/tcg accel/kvm accel/qtest block net ui audio \
            monitor gdbstub
ALL_SRCS := $(foreach d,$(SRC_DIRS),$(wildcard $(d)/*.c))
MAIN_SRC := system/main.c
LIB_SRCS := $(filter-out $(MAIN_SRC),$(ALL_SRCS))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
MAIN_OBJ := $(MAIN_SRC:%.c=$(BUILD)/%.o)

UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/unit/%)

WARN := -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare -Wno-missing-field-initializers
CFLAGS ?= -O2 -g
ALL_CFLAGS := -std=gnu11 $(WARN) $(CFLAGS) $(SAN_FLAGS) $(EXTRA_CFLAGS) -I. -I$(BUILD) $(DEP_CFLAGS) -MMD -MP
LDLIBS := $(DEP_LIBS) -lm -lpthread

# Test timeouts (seconds) for tests/run-tests.sh.
TEST_TIMEOUT ?= 300
export BUILD

.PHONY: all check demo demo-bios clean distclean asan firmware guests unit-tests check-build deps
all: $(BUILD)/vireo $(BUILD)/vireo-system-x86_64

# configure exits 2 when dependencies are missing: install them, try again.
$(BUILD)/config.mak: configure
	@./configure --builddir=$(BUILD) $(CONFIGURE_ARGS); st=$$?; \
	if [ $$st -eq 2 ]; then \
	    echo "make: installing missing dependencies (scripts/install-deps.sh)"; \
	    scripts/install-deps.sh && ./configure --builddir=$(BUILD) $(CONFIGURE_ARGS); \
	else exit $$st; fi

deps:
	scripts/install-deps.sh

$(BUILD)/%.o: %.c $(BUILD)/config.mak
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# ncursesw's feature macros are for the curses display only.
$(BUILD)/ui/curses.o: ALL_CFLAGS += $(CURSES_CFLAGS)

$(BUILD)/libvireo.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

# --whole-archive keeps the DEVICE_REGISTER constructors of every device.
$(BUILD)/vireo: $(MAIN_OBJ) $(BUILD)/libvireo.a
	$(CC) $(SAN_FLAGS) -o $@ $(MAIN_OBJ) -Wl,--whole-archive $(BUILD)/libvireo.a -Wl,--no-whole-archive $(LDLIBS)

$(BUILD)/vireo-system-x86_64: $(BUILD)/vireo
	ln -sf vireo $@

$(BUILD)/tests/unit/%: tests/unit/%.c $(BUILD)/libvireo.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< -Wl,--whole-archive $(BUILD)/libvireo.a -Wl,--no-whole-archive $(LDLIBS)

unit-tests: $(UNIT_BINS)

# Test suites and firmware add their own rules here.
-include $(wildcard tests/*/*.mk firmware/*.mk tools/*.mk bench/*.mk)

# What `make check` builds before running tests; a suite's .mk may add to it.
CHECK_BUILD += all unit-tests $(CPU_TEST_BINS)

# Build with -k so that one broken file does not hide every other result:
# tests/run-tests.sh reports a test whose binary is missing as failed.
check-build:
	-@$(MAKE) --no-print-directory -k $(CHECK_BUILD)

check: check-build
	@TEST_TIMEOUT=$(TEST_TIMEOUT) tests/run-tests.sh

# kvm-unit-tests (x86_64), built from ../shared/suites into $(BUILD)/kut and
# run by its own runner on Vireo and, when installed, on
# qemu-system-x86_64 -accel tcg; KUT_JOBS tests at a time.  make check runs
# a short subset (tests/kut/run-kut-smoke.sh).
KUT_JOBS ?= 2
.PHONY: check-kut
check-kut: all
	tests/kut/kut.sh -j $(KUT_JOBS)

# Debian's kernel + busybox initramfs to a shell on this terminal (the guest
# packages are fetched and cached by scripts/make-linux-guest.sh).
# `make demo-bios` boots SeaBIOS alone.
demo: all
	@scripts/make-linux-guest.sh > $(BUILD)/demo-guest.txt
	@echo "Booting Debian's Linux: $(BUILD)/vireo -nographic -m 512 -kernel ... -initrd ... (in the guest: poweroff -f; or Ctrl-A x)"
	$(BUILD)/vireo -nographic -m 512 -kernel "$$(sed -n 1p $(BUILD)/demo-guest.txt)" \
	    -initrd "$$(sed -n 2p $(BUILD)/demo-guest.txt)" -append "console=ttyS0 quiet"

demo-bios: all
	@echo "Booting SeaBIOS: $(BUILD)/vireo -nographic -m 128   (quit: Ctrl-A x)"
	$(BUILD)/vireo -nographic -m 128

# Sanitizer build: its own tree, so it never mixes objects with build/.
# `make asan` builds it and boots SeaBIOS; `make check-asan` runs the whole
# of make check on it with LeakSanitizer on, UBSan fatal and GLib-CRITICALs
# fatal (run-tests.sh), with longer timeouts for the slower binaries.
ASAN_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:print_summary=1 \
            UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 LSAN_OPTIONS=report_objects=0
.PHONY: asan-configure check-asan
asan-configure:
	@if ! grep -qs '^CONFIG_SANITIZERS=yes' build-asan/config.mak; then \
	    ./configure --builddir=build-asan --enable-sanitizers || { \
	        [ $$? -eq 2 ] && scripts/install-deps.sh && \
	        ./configure --builddir=build-asan --enable-sanitizers; }; \
	fi
asan: asan-configure
	+$(MAKE) --no-print-directory BUILD=build-asan all
	@$(ASAN_ENV) BUILD=build-asan TEST_TIMEOUT=$(TEST_TIMEOUT) tests/run-tests.sh tests/guest/seabios.sh
check-asan: asan-configure
	+@$(MAKE) --no-print-directory BUILD=build-asan check-build
	@$(ASAN_ENV) BUILD=build-asan TEST_TIMEOUT=$$(( $(TEST_TIMEOUT) * 3 )) tests/run-tests.sh

# The part of check-asan that .ci/run affords: every unit and qtest program,
# the tests that feed Vireo hostile input (command line, monitors, gdb,
# qtest, hostile socket clients, fuzz replay) and SeaBIOS; the Linux guest
# boots, the KUT run and the soak are left to make check-asan.
ASAN_QUICK = $(foreach s,$(wildcard tests/unit/*.c),build-asan/tests/unit/$(basename $(notdir $(s)))) \
             $(foreach s,$(wildcard tests/qtest/test-*.c),build-asan/tests/qtest/$(basename $(notdir $(s)))) \
             tests/cli/run-cli.sh tests/reliability/run-reliability.sh tests/fuzz/run-fuzz-smoke.sh \
             tests/gdb/run-gdb.sh tests/kvm/run-kvm-errors.sh tests/guest/seabios.sh
.PHONY: check-asan-quick
check-asan-quick: asan-configure
	+@$(MAKE) --no-print-directory BUILD=build-asan check-build
	@$(ASAN_ENV) BUILD=build-asan TEST_TIMEOUT=$$(( $(TEST_TIMEOUT) * 3 )) tests/run-tests.sh $(ASAN_QUICK)

# Test guests (Debian packages) into the cache: make guests GUESTS="pkg ..."
GUESTS ?= seabios
guests:
	scripts/fetch-guests.sh $(GUESTS)

-include $(ALL_SRCS:%.c=$(BUILD)/%.d) $(UNIT_BINS:%=%.d)

# clean keeps the configuration, the fetched firmware and the package cache.
clean:
	@if [ -d $(BUILD) ]; then \
	    find $(BUILD) -mindepth 1 -maxdepth 1 ! -name cache ! -name firmware \
	        ! -name config.mak ! -name config-host.h -exec rm -rf {} +; fi
distclean:
	rm -rf $(BUILD) build-asan
