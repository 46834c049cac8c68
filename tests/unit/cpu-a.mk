# x86 instruction-layer tests over a mock system layer (tests/unit/cpu-a-mock.h):
# they build from the CPU-A sources only, so they run whatever state the
# rest of libvireo is in.  The same test files also build normally against
# libvireo (without the mock and without the exec-loop cases).
CPU_A_SRCS := $(addprefix target/x86/,decode.c disas.c exec.c flags.c fpu.c x87.c sse.c) \
              $(wildcard target/x86/ops_*.c)
CPU_A_TESTS := $(BUILD)/tests/unit/test-alu-standalone $(BUILD)/tests/unit/test-decoder-standalone

$(BUILD)/tests/unit/%-standalone: tests/unit/%.c tests/unit/cpu-a-mock.h $(CPU_A_SRCS) \
                                  $(wildcard target/x86/*.h) $(BUILD)/config.mak
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -MMD -MP,$(ALL_CFLAGS)) -DCPU_A_STANDALONE -o $@ $< $(CPU_A_SRCS) $(LDLIBS)

.PHONY: check-cpu-a
check-cpu-a: $(CPU_A_TESTS)
	@for t in $(CPU_A_TESTS); do echo "  TEST $$t"; $$t -q || exit 1; done
