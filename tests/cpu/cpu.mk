# CPU test kernels (tests/cpu/README): each tests/cpu/*.asm is a 64 KiB flat
# image that Vireo boots as its BIOS.  Needs nasm (checked by configure).
CPU_TEST_ASMS := $(wildcard tests/cpu/*.asm)
CPU_TEST_BINS := $(CPU_TEST_ASMS:tests/cpu/%.asm=$(BUILD)/tests/cpu/%.bin)
NASM ?= nasm

$(BUILD)/tests/cpu/%.bin: tests/cpu/%.asm tests/cpu/lib.inc tests/cpu/lib_tail.inc $(wildcard tests/cpu/*.inc)
	@mkdir -p $(dir $@)
	$(NASM) -f bin -I tests/cpu/ -o $@ $<

.PHONY: cpu-tests check-cpu
cpu-tests: $(CPU_TEST_BINS)

# Boot every kernel in Vireo (VIREO=... to use another binary, e.g. QEMU).
check-cpu: cpu-tests $(BUILD)/vireo
	tests/cpu/run-cpu-tests.sh

# The lock-race kernels (smp-lock, smp-spinlock) many times over (issue #8):
# no update may ever be lost.
RUNS ?= 1000
.PHONY: check-smp-stress
check-smp-stress: cpu-tests $(BUILD)/vireo
	tests/cpu/smp-stress.sh $(RUNS)

# Regenerate the ALU known-answer table from the build host's CPU (only when
# tests/cpu/gen/alu-gen.c changes; the .inc is committed).
.PHONY: cpu-test-vectors
cpu-test-vectors:
	@mkdir -p $(BUILD)/tests/cpu
	$(CC) -O1 -masm=intel -o $(BUILD)/tests/cpu/alu-gen tests/cpu/gen/alu-gen.c
	$(BUILD)/tests/cpu/alu-gen > tests/cpu/alu_vectors.inc
