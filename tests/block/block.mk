# Image format tests (tests/block/): the vireo-img command line and the
# qemu-img interop run (tests/block/run-*.sh), with their helper vireo-io.
$(BUILD)/tests/block/vireo-io: tests/block/vireo-io.c $(BUILD)/libvireo.a
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -MMD -MP,$(ALL_CFLAGS)) -o $@ $< -Wl,--whole-archive $(BUILD)/libvireo.a -Wl,--no-whole-archive $(LDLIBS)

CHECK_BUILD += $(BUILD)/vireo-img $(BUILD)/tests/block/vireo-io

# Debian's Linux on a vireo-img qcow2 disk and with -snapshot: three guest
# boots, minutes under TCG, so not in make check.
.PHONY: check-qcow2-guest
check-qcow2-guest: all
	tests/block/guest-qcow2-linux.sh
