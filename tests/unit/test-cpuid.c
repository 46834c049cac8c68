/*
 * -cpu MODEL,property=value: what the guest then reads from CPUID, and
 * the one-line errors for values QEMU refuses too.  kvm-unit-tests passes
 * vendor=, phys-bits= and host-phys-bits to QEMU (x86/unittests.cfg).
 */
#include <glib.h>
#include <setjmp.h>
#include <string.h>

#include "hw/core/memory.h"
#include "target/x86/helper.h"

static X86CPU *make(const char *model)
{
    char *err = NULL;
    X86CPU *cpu = x86_cpu_new(model, &err);
    if (!cpu) {
        g_error("%s: %s", model, err);
    }
    return cpu;
}

static void cpuid(X86CPU *cpu, uint32_t leaf, uint32_t r[4])
{
    cpu->regs[R_EAX] = leaf;
    cpu->regs[R_ECX] = 0;
    helper_cpuid(cpu);
    r[0] = cpu->regs[R_EAX];
    r[1] = cpu->regs[R_EBX];
    r[2] = cpu->regs[R_ECX];
    r[3] = cpu->regs[R_EDX];
}

static void vendor_of(X86CPU *cpu, char out[13])
{
    uint32_t r[4];
    cpuid(cpu, 0, r);
    memcpy(out, &r[1], 4);
    memcpy(out + 4, &r[3], 4);
    memcpy(out + 8, &r[2], 4);
    out[12] = 0;
}

static void test_vendor(void)
{
    char v[13];
    X86CPU *cpu = make("qemu64");
    vendor_of(cpu, v);
    g_assert_cmpstr(v, ==, "GenuineIntel");
    g_assert_true(x86_cpu_is_intel(cpu));
    x86_cpu_free(cpu);

    cpu = make("qemu64,vendor=AuthenticAMD");
    vendor_of(cpu, v);
    g_assert_cmpstr(v, ==, "AuthenticAMD");
    g_assert_false(x86_cpu_is_intel(cpu));
    x86_cpu_free(cpu);
}

/* Family/model/stepping land in CPUID.1:EAX with the extended fields as
 * the SDM's CPUID "Version Information" describes: family 23 is 0xf plus
 * extended family 8, model 0x31 is model 1 plus extended model 3. */
static void test_family_model_stepping(void)
{
    uint32_t r[4];
    X86CPU *cpu = make("qemu64,family=23,model=49,stepping=0");
    cpuid(cpu, 1, r);
    g_assert_cmphex(r[0], ==, 0x00830f10);
    x86_cpu_free(cpu);

    cpu = make("qemu64,family=6,model=0x3a,stepping=9");
    cpuid(cpu, 1, r);
    g_assert_cmphex(r[0], ==, 0x000306a9);
    x86_cpu_free(cpu);
}

static void test_phys_bits_and_model_id(void)
{
    uint32_t r[4];
    X86CPU *cpu = make("qemu64,phys-bits=36,host-phys-bits=off");
    cpuid(cpu, 0x80000008, r);
    g_assert_cmpuint(r[0] & 0xff, ==, 36);
    g_assert_cmpuint(x86_maxphyaddr(cpu), ==, 36);
    x86_cpu_free(cpu);

    cpu = make("max,host-phys-bits");
    cpuid(cpu, 0x80000008, r);
    g_assert_cmpuint(r[0] & 0xff, >=, 32);
    g_assert_cmpuint(r[0] & 0xff, <=, 52);
    x86_cpu_free(cpu);

    cpu = make("qemu64,model-id=Test CPU");
    char brand[49] = { 0 };
    for (int i = 0; i < 3; i++) {
        cpuid(cpu, 0x80000002 + i, r);
        memcpy(brand + 16 * i, r, 16);
    }
    g_assert_cmpstr(brand, ==, "Test CPU");
    x86_cpu_free(cpu);
}

/* Without phys-bits, MAXPHYADDR is QEMU TCG's: 40 with long mode, else 36
 * with PAE, else 32, also where the model has leaf 0x80000008. */
static void test_default_phys_bits(void)
{
    static const struct { const char *model; unsigned bits; } cases[] = {
        { "qemu64", 40 }, { "EPYC", 40 }, { "kvm32", 36 }, { "coreduo", 36 },
        { "qemu64,-lm", 36 }, { "pentium", 32 }, { "qemu32,-pae,xlevel=0x80000008", 32 },
    };
    uint32_t r[4];
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        char *name = g_strconcat(cases[i].model, ",check=off", NULL);
        X86CPU *cpu = make(name);
        g_assert_cmpuint(x86_maxphyaddr(cpu), ==, cases[i].bits);
        cpuid(cpu, 0x80000000, r);
        if (r[0] >= 0x80000008) {
            cpuid(cpu, 0x80000008, r);
            g_assert_cmpuint(r[0] & 0xff, ==, cases[i].bits);
        }
        x86_cpu_free(cpu);
        g_free(name);
    }
}

static void test_bad_values(void)
{
    static const struct { const char *model, *msg; } bad[] = {
        { "qemu64,vendor=Intel", "invalid value 'Intel' for CPU property 'vendor'" },
        { "qemu64,family=x", "invalid value 'x' for CPU property 'family' (0..270)" },
        { "qemu64,model=256", "invalid value '256' for CPU property 'model' (0..255)" },
        { "qemu64,stepping=-1", "invalid value '-1' for CPU property 'stepping'" },
        { "qemu64,phys-bits=60", "invalid value '60' for CPU property 'phys-bits' (32..52)" },
        { "qemu64,host-phys-bits=maybe", "invalid value 'maybe' for CPU property 'host-phys-bits'" },
        { "qemu64,xlevel=5", "invalid value '5' for CPU property 'xlevel'" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        char *err = NULL;
        X86CPU *cpu = x86_cpu_new(bad[i].model, &err);
        g_assert_null(cpu);
        g_assert_nonnull(err);
        if (!g_str_has_prefix(err, bad[i].msg)) {
            g_error("%s: got '%s', want '%s...'", bad[i].model, err, bad[i].msg);
        }
        g_free(err);
    }
}

/* A feature Vireo does not implement is filtered out, as QEMU TCG does:
 * the CPU runs without it (and x86_cpu_new warns, unless check=off). */
static void test_unimplemented_filtered(void)
{
    uint32_t r[4];
    X86CPU *cpu = make("qemu64,+fma,avx=on,check=off");
    cpuid(cpu, 1, r);
    g_assert_cmphex(r[2] & (1u << 12), ==, 0);       /* fma */
    g_assert_cmphex(r[2] & (1u << 28), ==, 0);       /* avx */
    g_assert_cmphex(r[2] & (1u << 13), ==, 1u << 13);    /* cx16 stays */
    x86_cpu_free(cpu);

    char *err = NULL;
    g_assert_null(x86_cpu_new("qemu64,+fma,enforce", &err));
    g_assert_cmpstr(err, ==, "TCG doesn't support requested features");
    g_free(err);
    err = NULL;
    g_assert_null(x86_cpu_new("qemu64,+no-such-flag", &err));
    g_assert_cmpstr(err, ==, "unknown CPU feature 'no-such-flag'");
    g_free(err);

    /* enforce is content when everything asked for is there */
    cpu = make("qemu64,+lahf_lm,enforce");
    x86_cpu_free(cpu);
}

/* As QEMU: +FEAT is applied after every FEAT=on|off and -FEAT last, so
 * "-FEAT" wins whatever the order; '_' spells '-'; sse3 is pni. */
static void test_feature_order_and_names(void)
{
    uint32_t r[4];
    X86CPU *cpu = make("qemu64,-cx16,+cx16,lahf_lm=off,+sse3");
    cpuid(cpu, 1, r);
    g_assert_cmphex(r[2] & (1u << 13), ==, 0);
    cpuid(cpu, 0x80000001, r);
    g_assert_cmphex(r[2] & 1, ==, 0);
    x86_cpu_free(cpu);

    cpu = make("qemu64,+lahf-lm,lahf_lm=off");
    cpuid(cpu, 0x80000001, r);
    g_assert_cmphex(r[2] & 1, ==, 1);
    x86_cpu_free(cpu);
}

/* As QEMU, asking for a feature raises the level to its leaf, even if
 * the feature is filtered out; level= and xlevel= win. */
static void test_auto_level(void)
{
    uint32_t r[4];
    X86CPU *cpu = make("qemu32,+smep,+svm,check=off");
    cpuid(cpu, 0, r);
    g_assert_cmphex(r[0], ==, 7);
    cpuid(cpu, 0x80000000, r);
    g_assert_cmphex(r[0], ==, 0x8000000a);
    x86_cpu_free(cpu);

    cpu = make("Opteron_G3,xlevel=0x80000008,check=off");
    cpuid(cpu, 0x80000000, r);
    g_assert_cmphex(r[0], ==, 0x80000008);
    x86_cpu_free(cpu);

    cpu = make("Haswell,level=4,check=off");
    cpuid(cpu, 0, r);
    g_assert_cmphex(r[0], ==, 4);
    x86_cpu_free(cpu);
}

/* Leaf 7 answers the model's (filtered) words for subleaf 0, zeros for
 * any other subleaf. */
static void test_leaf7(void)
{
    uint32_t r[4];
    X86CPU *cpu = make("qemu64,level=7,+smep,+avx2,check=off");
    cpuid(cpu, 7, r);
    /* smep is implemented and kept; avx2 is not and is filtered out */
    g_assert_cmphex(r[1], ==, 1u << 7);
    g_assert_cmphex(r[0] | r[2], ==, 0);
    g_assert_cmphex(r[3], ==, 1u << 29);               /* qemu64's arch-capabilities */
    cpu->regs[R_EAX] = 7;
    cpu->regs[R_ECX] = 1;
    helper_cpuid(cpu);
    g_assert_cmphex(cpu->regs[R_EBX], ==, 0);
    x86_cpu_free(cpu);
}

/* QEMU's model names (their first version), and Vireo's own */
static const char *const model_names[] = {
    "qemu64", "qemu32", "pentiumpro", "base", "max", "486", "pentium", "pentium2",
    "pentium3", "athlon", "kvm32", "kvm64", "coreduo", "core2duo", "n270", "phenom",
    "Conroe", "Penryn", "Nehalem", "Westmere", "SandyBridge", "IvyBridge", "Haswell",
    "Haswell-noTSX", "Broadwell", "Broadwell-noTSX", "Skylake-Client", "Skylake-Server",
    "Cascadelake-Server", "Cascadelake-Server-noTSX", "Icelake-Server",
    "Icelake-Server-noTSX", "Opteron_G1", "Opteron_G2", "Opteron_G3", "Opteron_G4",
    "Opteron_G5", "EPYC",
};

/* Every model exists, and whatever it asks for, the guest only sees
 * features that "max" (everything Vireo implements) has too. */
static void test_every_model(void)
{
    X86CPU *max = make("max");
    for (size_t i = 0; i < G_N_ELEMENTS(model_names); i++) {
        char *name = g_strconcat(model_names[i], ",check=off", NULL);
        X86CPU *cpu = make(name);
        g_assert_cmphex(cpu->cpuid_features & ~max->cpuid_features, ==, 0);
        g_assert_cmphex(cpu->cpuid_ext_features & ~max->cpuid_ext_features, ==, 0);
        uint32_t amd_copies = 0x0183f3ff;          /* of leaf 1 EDX, checked above */
        g_assert_cmphex(cpu->cpuid_ext2_features & ~amd_copies & ~max->cpuid_ext2_features,
                        ==, 0);
        g_assert_cmphex(cpu->cpuid_ext3_features & ~max->cpuid_ext3_features, ==, 0);
        g_assert_cmphex(cpu->cpuid_7_0_ebx & ~max->cpuid_7_0_ebx, ==, 0);
        g_assert_cmphex(cpu->cpuid_7_0_ecx & ~max->cpuid_7_0_ecx, ==, 0);
        g_assert_cmphex(cpu->cpuid_7_0_edx & ~max->cpuid_7_0_edx, ==, 0);
        x86_cpu_free(cpu);
        g_free(name);
    }
    x86_cpu_free(max);
}

static void brand_of(X86CPU *cpu, char out[49])
{
    uint32_t r[4];
    for (int i = 0; i < 3; i++) {
        cpuid(cpu, 0x80000002 + i, r);
        memcpy(out + 16 * i, r, 16);
    }
    out[48] = 0;
}

/* A named model: QEMU's vendor, family/model/stepping, levels and brand
 * string; of its features, those Vireo implements and nothing else. */
static void test_named_models(void)
{
    uint32_t r[4];
    char v[13], brand[49];
    X86CPU *cpu = make("Opteron_G3,check=off");
    vendor_of(cpu, v);
    g_assert_cmpstr(v, ==, "AuthenticAMD");
    cpuid(cpu, 0, r);
    g_assert_cmphex(r[0], ==, 5);                        /* level */
    cpuid(cpu, 1, r);
    g_assert_cmphex(r[0], ==, 0x00100f23);    /* family 16 (0xf + 1), model 2, stepping 3 */
    g_assert_cmphex(r[2] & (1u << 23), ==, 1u << 23);    /* popcnt: implemented */
    g_assert_cmphex(r[2] & (1u << 3), ==, 0);            /* monitor: filtered */
    g_assert_cmphex(r[3] & (1u << 17), ==, 1u << 17);    /* pse36 */
    cpuid(cpu, 0x80000000, r);
    g_assert_cmphex(r[0], ==, 0x8000000a);    /* xlevel 0x80000008, raised for svm */
    cpuid(cpu, 0x8000000a, r);
    g_assert_cmphex(r[0] | r[1] | r[2] | r[3], ==, 0);   /* no SVM here */
    /* L1 caches with an associativity: Linux divides by it */
    cpuid(cpu, 0x80000005, r);
    g_assert_cmphex((r[2] >> 16) & 0xff, !=, 0);
    g_assert_cmphex((r[3] >> 16) & 0xff, !=, 0);
    cpuid(cpu, 0x80000001, r);
    g_assert_cmphex(r[3] & (1u << 29), ==, 1u << 29);    /* lm */
    g_assert_cmphex(r[3] & (1u << 27), ==, 1u << 27);    /* rdtscp */
    g_assert_cmphex(r[2] & (1u << 2), ==, 0);            /* svm: filtered */
    g_assert_cmphex(r[2] & (1u << 6), ==, 0);            /* sse4a: filtered */
    g_assert_cmphex(r[2] & 1, ==, 1);                    /* lahf-lm */
    /* AMD repeats fpu..pse36, mmx, fxsr here, less vme (not there) and
     * apic (none attached to this CPU) */
    g_assert_cmphex(r[3] & 0x0183f3ff, ==, 0x0183f3ff & ~(1u << 1 | 1u << 9));
    brand_of(cpu, brand);
    g_assert_cmpstr(brand, ==, "AMD Opteron 23xx (Gen 3 Class Opteron)");
    g_assert_cmpuint(x86_maxphyaddr(cpu), ==, 40);       /* QEMU TCG's default */
    x86_cpu_free(cpu);

    cpu = make("Skylake-Client,check=off");
    vendor_of(cpu, v);
    g_assert_cmpstr(v, ==, "GenuineIntel");
    cpuid(cpu, 0, r);
    g_assert_cmphex(r[0], ==, 0xd);
    cpuid(cpu, 1, r);
    g_assert_cmphex(r[0], ==, 0x000506e3);               /* family 6, model 94, stepping 3 */
    g_assert_cmphex(r[2] & (1u << 12), ==, 0);           /* fma: filtered */
    g_assert_cmphex(r[2] & (1u << 30), ==, 1u << 30);    /* rdrand kept */
    cpuid(cpu, 7, r);
    /* smep, rdseed, smap kept; avx2...: filtered */
    g_assert_cmphex(r[1], ==, (1u << 7) | (1u << 18) | (1u << 20));
    cpuid(cpu, 0x80000001, r);
    g_assert_cmphex(r[3] & 0x0183f3ff, ==, 0);           /* Intel: no AMD copies */
    brand_of(cpu, brand);
    g_assert_cmpstr(brand, ==, "Intel Core Processor (Skylake)");
    /* leaves between the ones Vireo answers (7, 0xB) read as zeros, not
     * garbage */
    for (uint32_t leaf = 2; leaf <= 0xd; leaf++) {
        if (leaf != 7 && leaf != 0xb) {
            cpuid(cpu, leaf, r);
            g_assert_cmphex(r[0] | r[1] | r[2] | r[3], ==, 0);
        }
    }
    x86_cpu_free(cpu);

    /* properties after the model override it, as QEMU's */
    cpu = make("EPYC,vendor=GenuineIntel,model-id=Mine,family=6,check=off");
    vendor_of(cpu, v);
    g_assert_cmpstr(v, ==, "GenuineIntel");
    cpuid(cpu, 1, r);
    g_assert_cmphex(r[0], ==, 0x00000612);
    cpuid(cpu, 0x80000000, r);
    g_assert_cmphex(r[0], ==, 0x8000001e);
    brand_of(cpu, brand);
    g_assert_cmpstr(brand, ==, "Mine");
    x86_cpu_free(cpu);
}

/* RDMSR/WRMSR of MSR: -1 when it succeeded (*val read), else the vector */
static int msr_access(X86CPU *cpu, uint32_t msr, bool write, uint64_t *val)
{
    if (sigsetjmp(cpu->jmp_env, 0)) {
        return cpu->exception_index;
    }
    cpu->regs[R_ECX] = msr;
    cpu->regs[R_EAX] = (uint32_t)*val;
    cpu->regs[R_EDX] = *val >> 32;
    if (write) {
        helper_wrmsr(cpu);
    } else {
        helper_rdmsr(cpu);
        *val = cpu->regs[R_EAX] | cpu->regs[R_EDX] << 32;
    }
    return -1;
}

/* Linux on an AMD model reads SYSCFG (MTRR setup), HWCR (family 0x15)
 * and the interrupt-pending message register (family 0x10's C1E erratum)
 * and writes NB_CFG (PCI extended config access): AMD's MSRs answer as
 * under QEMU TCG, zeros and writes ignored; an Intel model has none. */
static void test_amd_config_msrs(void)
{
    X86CPU *cpu = make("EPYC,check=off");
    static const uint32_t msrs[] = { 0xc0010010, 0xc0010015, 0xc001001f, 0xc0010055 };
    for (size_t i = 0; i < G_N_ELEMENTS(msrs); i++) {
        uint32_t msr = msrs[i];
        uint64_t v = 1ull << 46;
        g_assert_cmpint(msr_access(cpu, msr, true, &v), ==, -1);
        g_assert_cmpint(msr_access(cpu, msr, false, &v), ==, -1);
        g_assert_cmphex(v, ==, 0);
    }
    x86_cpu_free(cpu);
    cpu = make("Skylake-Client,check=off");
    uint64_t v = 0;
    g_assert_cmpint(msr_access(cpu, 0xc0010010, false, &v), ==, EXCP_GP);
    g_assert_cmpint(msr_access(cpu, 0xc001001f, true, &v), ==, EXCP_GP);
    x86_cpu_free(cpu);
}

/* IA32_ARCH_CAPABILITIES (0x10a) exists when CPUID.7.0:EDX[29] says so:
 * Vireo's CPUs do not speculate, so it reports RDCL_NO (Meltdown), MDS_NO,
 * TAA_NO, SSB_NO ... and Linux applies no page-table isolation.  It is
 * read-only; a model without the CPUID bit has no such MSR. */
static void test_arch_capabilities(void)
{
    uint32_t r[4];
    uint64_t v = 0;
    X86CPU *cpu = make("qemu64");
    cpuid(cpu, 7, r);
    g_assert_cmphex(r[3] & (1u << 29), !=, 0);
    g_assert_cmpint(msr_access(cpu, 0x10a, false, &v), ==, -1);
    g_assert_cmphex(v & 1, ==, 1);                     /* RDCL_NO */
    g_assert_cmphex(v & (1u << 5), !=, 0);             /* MDS_NO */
    g_assert_cmphex(v & (1u << 8), !=, 0);             /* TAA_NO */
    g_assert_cmphex(v & (1u << 1), ==, 0);             /* no IBRS_ALL: no SPEC_CTRL */
    g_assert_cmphex(v & (1u << 7), ==, 0);             /* no TSX_CTRL MSR */
    g_assert_cmpint(msr_access(cpu, 0x10a, true, &v), ==, EXCP_GP);
    x86_cpu_free(cpu);

    cpu = make("qemu64,-arch-capabilities");
    cpuid(cpu, 7, r);
    g_assert_cmphex(r[3] & (1u << 29), ==, 0);
    g_assert_cmpint(msr_access(cpu, 0x10a, false, &v), ==, EXCP_GP);
    x86_cpu_free(cpu);
    cpu = make("Nehalem");
    g_assert_cmpint(msr_access(cpu, 0x10a, false, &v), ==, EXCP_GP);
    x86_cpu_free(cpu);
}

/* IA32_SPEC_CTRL (0x48) exists with CPUID.7.0:EDX[26] (IBRS/IBPB) and
 * keeps the bits CPUID enumerates: IBRS (0), and BHI_DIS_S (10) with
 * CPUID.7.2:EDX[4], which also makes leaf 7 report subleaf 2; STIBP (1)
 * without its bit is reserved.  IA32_PRED_CMD (0x49) is write-only, bit
 * 0 (IBPB).  ARCH_CAPABILITIES then reports IBRS_ALL (enhanced IBRS). */
static void test_spec_ctrl(void)
{
    uint32_t r[4];
    uint64_t v;
    X86CPU *cpu = make("qemu64,+spec-ctrl,+bhi-ctrl");
    cpuid(cpu, 7, r);
    g_assert_cmphex(r[0], ==, 2);
    g_assert_cmphex(r[3] & (1u << 26), !=, 0);
    cpu->regs[R_EAX] = 7;
    cpu->regs[R_ECX] = 2;
    helper_cpuid(cpu);
    g_assert_cmphex(cpu->regs[R_EDX], ==, 1u << 4);
    g_assert_cmpint(msr_access(cpu, 0x10a, false, &v), ==, -1);
    g_assert_cmphex(v & (1u << 1), !=, 0);
    v = 1 | (1u << 10);
    g_assert_cmpint(msr_access(cpu, 0x48, true, &v), ==, -1);
    v = 0;
    g_assert_cmpint(msr_access(cpu, 0x48, false, &v), ==, -1);
    g_assert_cmphex(v, ==, 1 | (1u << 10));
    v = 2;                                              /* STIBP: not enumerated */
    g_assert_cmpint(msr_access(cpu, 0x48, true, &v), ==, EXCP_GP);
    v = 1;
    g_assert_cmpint(msr_access(cpu, 0x49, true, &v), ==, -1);
    v = 2;
    g_assert_cmpint(msr_access(cpu, 0x49, true, &v), ==, EXCP_GP);
    g_assert_cmpint(msr_access(cpu, 0x49, false, &v), ==, EXCP_GP);
    x86_cpu_free(cpu);

    cpu = make("qemu64");
    cpuid(cpu, 7, r);
    g_assert_cmphex(r[0], ==, 0);
    v = 0;
    g_assert_cmpint(msr_access(cpu, 0x48, false, &v), ==, EXCP_GP);
    g_assert_cmpint(msr_access(cpu, 0x49, true, &v), ==, EXCP_GP);
    x86_cpu_free(cpu);
}

/* SYSCALL from 32-bit code at CPL 3 (compatibility mode with LONG, else
 * legacy protected mode): -1 when it was taken, else the vector */
static int syscall_from_32bit(X86CPU *cpu, bool lng)
{
    cpu->cr[0] |= CR0_PE | (lng ? CR0_PG : 0);
    cpu->efer = EFER_SCE | (lng ? EFER_LME | EFER_LMA : 0);
    cpu->star = 0x10ull << 32 | 0x1234;
    cpu->lstar = 0x5678;
    cpu->cstar = 0x9abc;
    cpu->fmask = 0;
    cpu->eflags = 0x202;
    cpu_x86_load_seg_cache(cpu, R_CS, 0x23, 0, 0xffffffff,
                           DESC_P_MASK | DESC_S_MASK | DESC_CS_MASK | DESC_B_MASK |
                           (3 << DESC_DPL_SHIFT));
    cpu->hflags = (cpu->hflags & ~HF_CPL_MASK) | 3;
    cpu_update_hflags(cpu);
    if (sigsetjmp(cpu->jmp_env, 0)) {
        return cpu->exception_index;
    }
    helper_syscall(cpu, 0x4000);
    return -1;
}

/* AMD takes SYSCALL outside 64-bit mode (to CSTAR from compatibility mode,
 * to STAR[31:0] from legacy mode), as QEMU does for a non-Intel vendor;
 * Intel does not (#UD).  kvm-unit-tests' "syscall" test runs
 * -cpu Opteron_G1,vendor=AuthenticAMD for the first. */
static void test_syscall_vendor(void)
{
    X86CPU *cpu = make("Opteron_G1");
    g_assert_cmpint(syscall_from_32bit(cpu, true), ==, -1);
    g_assert_cmphex(cpu->eip, ==, 0x9abc);
    g_assert_cmphex(cpu->regs[R_ECX], ==, 0x4000);
    g_assert_cmphex(cpu->segs[R_CS].selector, ==, 0x10);
    g_assert_true(cpu->hflags & HF_CS64);
    g_assert_cmpint(cpu_cpl(cpu), ==, 0);
    x86_cpu_reset(cpu);
    g_assert_cmpint(syscall_from_32bit(cpu, false), ==, -1);
    g_assert_cmphex(cpu->eip, ==, 0x1234);
    g_assert_cmphex(cpu->eflags & IF_MASK, ==, 0);
    g_assert_true(cpu->hflags & HF_CS32);
    g_assert_cmpint(cpu_cpl(cpu), ==, 0);
    x86_cpu_free(cpu);

    cpu = make("Nehalem,check=off");
    g_assert_cmpint(syscall_from_32bit(cpu, true), ==, EXCP_UD);
    x86_cpu_reset(cpu);
    g_assert_cmpint(syscall_from_32bit(cpu, false), ==, EXCP_UD);
    x86_cpu_free(cpu);
}

/* Leaf 0xB (extended topology, SDM vol. 2A CPUID): EDX is the x2APIC ID
 * (the CPU index) in every subleaf; one thread per core, every CPU a core
 * of one package, so the core level's shift covers the CPU count. */
static void test_topology_leaf(void)
{
    X86CPU *cpu = make("qemu64");
    cpu->cpu_index = 5;
    cpu->nr_cpus = 6;
    uint32_t want[3][4] = {
        { 0, 1, 0x100, 5 },              /* SMT: shift 0, 1 thread, type 1 */
        { 3, 6, 0x201, 5 },              /* core: shift 3 (8 >= 6), 6 CPUs, type 2 */
        { 0, 0, 0x002, 5 },              /* invalid level: type 0 */
    };
    for (uint32_t sub = 0; sub < 3; sub++) {
        cpu->regs[R_EAX] = 0xb;
        cpu->regs[R_ECX] = sub;
        helper_cpuid(cpu);
        g_assert_cmphex(cpu->regs[R_EAX], ==, want[sub][0]);
        g_assert_cmphex(cpu->regs[R_EBX], ==, want[sub][1]);
        g_assert_cmphex(cpu->regs[R_ECX], ==, want[sub][2]);
        g_assert_cmphex(cpu->regs[R_EDX], ==, want[sub][3]);
    }
    x86_cpu_free(cpu);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/cpuid/vendor", test_vendor);
    g_test_add_func("/cpuid/family-model-stepping", test_family_model_stepping);
    g_test_add_func("/cpuid/phys-bits-model-id", test_phys_bits_and_model_id);
    g_test_add_func("/cpuid/bad-values", test_bad_values);
    g_test_add_func("/cpuid/default-phys-bits", test_default_phys_bits);
    g_test_add_func("/cpuid/unimplemented-filtered", test_unimplemented_filtered);
    g_test_add_func("/cpuid/feature-order-and-names", test_feature_order_and_names);
    g_test_add_func("/cpuid/leaf7", test_leaf7);
    g_test_add_func("/cpuid/auto-level", test_auto_level);
    g_test_add_func("/cpuid/every-model", test_every_model);
    g_test_add_func("/cpuid/named-models", test_named_models);
    g_test_add_func("/cpuid/amd-config-msrs", test_amd_config_msrs);
    g_test_add_func("/cpuid/syscall-vendor", test_syscall_vendor);
    g_test_add_func("/cpuid/arch-capabilities", test_arch_capabilities);
    g_test_add_func("/cpuid/spec-ctrl", test_spec_ctrl);
    g_test_add_func("/cpuid/topology-leaf", test_topology_leaf);
    return g_test_run();
}
