# The soak test (tests/soak/soak.py) at full length: `make soak` runs 600 s
# of misbehaving QMP/HMP/gdb/serial clients against a Linux guest;
# `make soak SOAK_TIME=S` picks the length (make check runs 60 s through
# tests/soak/run-soak.sh).  SOAK_SEED, SOAK_NO_STALL and the other knobs in
# soak.py's header pass through the environment.
SOAK_TIME ?= 600

.PHONY: soak
soak: all
	SOAK_TIME=$(SOAK_TIME) BUILD=$(BUILD) tests/soak/run-soak.sh
