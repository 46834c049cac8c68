# Multiboot test kernels (tests/cpu/multiboot/*.asm), booted with -kernel by
# tests/cpu/run-multiboot.sh: each source is built twice, as a flat image with
# the a.out kludge (nasm -f bin -DAOUT) and as an ELF32 (nasm -f elf32 + ld).
MB_ASMS := $(wildcard tests/cpu/multiboot/*.asm)
MB_BINS := $(MB_ASMS:tests/cpu/multiboot/%.asm=$(BUILD)/tests/cpu/multiboot/%-aout.bin) \
           $(MB_ASMS:tests/cpu/multiboot/%.asm=$(BUILD)/tests/cpu/multiboot/%.elf)

$(BUILD)/tests/cpu/multiboot/%-aout.bin: tests/cpu/multiboot/%.asm
	@mkdir -p $(dir $@)
	$(NASM) -f bin -DAOUT -o $@ $<
$(BUILD)/tests/cpu/multiboot/%.o: tests/cpu/multiboot/%.asm
	@mkdir -p $(dir $@)
	$(NASM) -f elf32 -o $@ $<
# -N: one segment at the link address (no ELF-header segment below 1 MiB)
$(BUILD)/tests/cpu/multiboot/%.elf: $(BUILD)/tests/cpu/multiboot/%.o
	ld -m elf_i386 -N --no-warn-rwx-segments -Ttext 0x100000 -o $@ $<
CHECK_BUILD += $(MB_BINS)
