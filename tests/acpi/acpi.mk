# ACPI guest test (tests/acpi/README): the soft-off "BIOS" image.
NASM ?= nasm
ACPI_TEST_BINS := $(BUILD)/tests/acpi/s5.bin

$(BUILD)/tests/acpi/%.bin: tests/acpi/%.asm
	@mkdir -p $(dir $@)
	$(NASM) -f bin -o $@ $<

CHECK_BUILD += $(ACPI_TEST_BINS)
