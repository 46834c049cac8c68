# The guest for tests/gdb/run-gdb.sh: a lib.inc kernel plus its symbol map.
$(BUILD)/tests/gdb/target.bin: tests/gdb/target.asm tests/cpu/lib.inc tests/cpu/lib_tail.inc
	@mkdir -p $(dir $@)
	$(NASM) -f bin -I tests/cpu/ -DMAPFILE=$(BUILD)/tests/gdb/target.map -o $@ $<

CHECK_BUILD += $(BUILD)/tests/gdb/target.bin

# The multiboot kernel for tests/gdb/run-gdb-kernel.sh (booted with -kernel).
$(BUILD)/tests/gdb/kernel.o: tests/gdb/kernel.asm
	@mkdir -p $(dir $@)
	$(NASM) -f elf32 -o $@ $<

$(BUILD)/tests/gdb/kernel.elf: $(BUILD)/tests/gdb/kernel.o
	ld -m elf_i386 -n -e start -Ttext 0x100000 --no-warn-rwx-segments -o $@ $<

CHECK_BUILD += $(BUILD)/tests/gdb/kernel.elf
