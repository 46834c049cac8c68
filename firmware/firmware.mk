# SeaBIOS from Debian's seabios package: fetched with apt-get download into
# $(VIREO_CACHE)/debs, unpacked with dpkg-deb -x, verified against
# firmware/seabios.sha256 and installed next to the binary in
# $(BUILD)/firmware, where util/datadir.c looks.  Nothing is committed.
# The script is quick and silent when the verified blobs are already there,
# so it runs on every `make` (a deleted or damaged blob is restored).
VIREO_CACHE ?= $(CURDIR)/build/cache
export VIREO_CACHE
FIRMWARE_BLOBS := $(BUILD)/firmware/bios.bin $(BUILD)/firmware/bios-256k.bin \
                  $(BUILD)/firmware/vgabios-stdvga.bin

.PHONY: firmware
all: firmware
firmware:
	@scripts/fetch-firmware.sh $(BUILD)/firmware

# Our own option ROMs (firmware/*.asm): nasm -f bin, then padded and
# checksummed by scripts/romsum.py; installed next to bios.bin.
ROM_ASMS := $(wildcard firmware/*.asm)
ROM_BINS := $(ROM_ASMS:firmware/%.asm=$(BUILD)/firmware/%.bin)
NASM ?= nasm

all: $(ROM_BINS)
$(BUILD)/firmware/%.raw: firmware/%.asm
	@mkdir -p $(dir $@)
	$(NASM) -f bin -o $@ $<
$(BUILD)/firmware/%.bin: $(BUILD)/firmware/%.raw scripts/romsum.py
	python3 scripts/romsum.py $< $@
CHECK_BUILD += $(ROM_BINS)
