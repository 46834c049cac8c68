# Vireo: one non-recursive Makefile.  Sources are found by wildcard, so a new
# device or module is just a new .c file in its directory.
BUILD ?= build
-include $(BUILD)/config.mak

SRC_DIRS := system util chardev hw/core hw/i386 hw/pci hw/isa hw/intc hw/timer \
            hw/char hw/input hw/nvram hw/dma hw/display hw/ide hw/virtio hw/net \
            hw/acpi hw/misc target/x86 accel/tcg accel/kvm accel/qtest block net ui \
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

.PHONY: all check demo clean distclean asan firmware guests
all: $(BUILD)/vireo $(BUILD)/vireo-system-x86_64

$(BUILD)/config.mak: configure
	@./configure || { scripts/install-deps.sh && ./configure; }

$(BUILD)/%.o: %.c $(BUILD)/config.mak
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

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

# Test suites and firmware add their own rules here.
-include $(wildcard tests/*/*.mk firmware/*.mk)

-include $(ALL_SRCS:%.c=$(BUILD)/%.d)

clean:
	rm -rf $(BUILD)/*.o $(BUILD)/*/ $(BUILD)/vireo $(BUILD)/libvireo.a
distclean:
	rm -rf $(BUILD)
