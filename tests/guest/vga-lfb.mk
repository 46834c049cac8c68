# The guest of tests/guest/vga-lfb.sh (nasm -f bin, booted with -kernel).
$(BUILD)/tests/guest/vga-lfb.bin: tests/guest/vga-lfb.asm tests/guest/vbe-guest.inc
	@mkdir -p $(dir $@)
	$(NASM) -f bin -I tests/guest/ -o $@ $<
CHECK_BUILD += $(BUILD)/tests/guest/vga-lfb.bin
