# Device tests through the qtest protocol (tests/qtest/README): each
# tests/qtest/test-*.c links with our libqtest and starts build/vireo.
QTEST_SRCS := $(wildcard tests/qtest/test-*.c)
QTEST_BINS := $(QTEST_SRCS:tests/qtest/%.c=$(BUILD)/tests/qtest/%)

$(BUILD)/tests/qtest/%: tests/qtest/%.c tests/qtest/libqtest.c tests/qtest/libqtest.h $(BUILD)/config.mak
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< tests/qtest/libqtest.c $(DEP_LIBS)

CHECK_BUILD += $(QTEST_BINS)
