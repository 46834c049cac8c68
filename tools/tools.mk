# Host tools (tools/README.md): vireo-img, linked against libvireo like the
# emulator (--whole-archive keeps the block drivers' registrations).
$(BUILD)/vireo-img: $(BUILD)/tools/vireo-img.o $(BUILD)/libvireo.a
	$(CC) $(SAN_FLAGS) -o $@ $< -Wl,--whole-archive $(BUILD)/libvireo.a -Wl,--no-whole-archive $(LDLIBS)

all: $(BUILD)/vireo-img
CHECK_BUILD += $(BUILD)/vireo-img
-include $(BUILD)/tools/vireo-img.d
