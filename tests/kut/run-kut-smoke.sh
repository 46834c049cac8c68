#!/bin/bash
# make check's share of kvm-unit-tests (tests/kut/kut.sh): a fixed list of
# quick tests that pass on Vireo (all but debug pass on QEMU TCG too;
# intel_iommu runs the q35 machine, intel-iommu and edu); each
# must pass.  The full
# run with the QEMU comparison is make check-kut.  Skips (77) without the
# suite's archive.
top=$(cd "$(dirname "$0")/../.." && pwd)
exec "$top/tests/kut/kut.sh" -j 2 --no-reference --must-pass \
    msr emulator idt_test eventinj memory realmode setjmp tsc xsave rmap_chain \
    vmexit_cpuid vmexit_mov_to_cr8 vmexit_inl_pmtimer debug syscall umip vmexit_ipi smap pku pks \
    intel_iommu
