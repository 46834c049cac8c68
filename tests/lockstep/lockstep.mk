# make check-lockstep: Linux to a shell plus the bench workloads under
# -accel tcg,lockstep=on (tests/lockstep/linux.sh; minutes, not in make
# check, which runs the short tests/guest/lockstep.sh).
# LOCKSTEP_TIMEOUT=seconds bounds it (default 3600).
.PHONY: check-lockstep
check-lockstep: all
	BUILD=$(BUILD) tests/lockstep/linux.sh
