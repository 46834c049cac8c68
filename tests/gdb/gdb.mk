# The guest for tests/gdb/run-gdb.sh: a lib.inc kernel plus its symbol map.
$(BUILD)/tests/gdb/target.bin: tests/gdb/target.asm tests/cpu/lib.inc tests/cpu/lib_tail.inc
	@mkdir -p $(dir $@)
	$(NASM) -f bin -I tests/cpu/ -DMAPFILE=$(BUILD)/tests/gdb/target.map -o $@ $<

CHECK_BUILD += $(BUILD)/tests/gdb/target.bin
