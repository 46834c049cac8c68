# ISA device tests.  The generic rule links them against all of libvireo
# (--whole-archive); these "-isa" variants link only what they use, so they
# build and run while other parts of the library are still incomplete.
ISA_DEV_TESTS := $(addprefix $(BUILD)/tests/unit/,test-pic-isa test-pit-isa test-rtc-isa test-serial-isa test-kbc-isa test-isa-robust-isa test-isa-misc-isa)
ISA_DEV_OBJS := $(addprefix $(BUILD)/hw/,intc/i8259.o timer/i8254.o timer/mc146818rtc.o \
                  char/serial.o input/i8042.o isa/port92.o dma/i8257.o isa/isa.o \
                  char/debugcon.o misc/debugexit.o)

$(BUILD)/tests/unit/%-isa: tests/unit/%.c tests/unit/isa-test-util.h $(ISA_DEV_OBJS) $(BUILD)/libvireo.a
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -MMD -MP,$(ALL_CFLAGS)) -o $@ $< $(ISA_DEV_OBJS) $(BUILD)/libvireo.a $(LDLIBS)

.PHONY: check-isa-devs
check-isa-devs: $(ISA_DEV_TESTS)
	@for t in $(ISA_DEV_TESTS); do echo "  TEST $$t"; $$t -q || exit 1; done
