# Guests of the benchmarks (bench/*.asm, nasm -f bin), built on demand by
# the bench scripts (make BUILD=... build/bench/NAME.bin); not part of check.
NASM ?= nasm
$(BUILD)/bench/%.bin: bench/%.asm tests/guest/vbe-guest.inc
	@mkdir -p $(dir $@)
	$(NASM) -f bin -I tests/guest/ -o $@ $<
