/*
 * -cpu MODEL,property=value: what the guest then reads from CPUID, and
 * the one-line errors for values QEMU refuses too.  kvm-unit-tests passes
 * vendor=, phys-bits= and host-phys-bits to QEMU (x86/unittests.cfg).
 */
#include <glib.h>
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
    X86CPU *cpu = make("qemu64,+x2apic,tsc-deadline=on,check=off");
    cpuid(cpu, 1, r);
    g_assert_cmphex(r[2] & (1u << 21), ==, 0);       /* x2apic */
    g_assert_cmphex(r[2] & (1u << 24), ==, 0);       /* tsc-deadline */
    g_assert_cmphex(r[2] & (1u << 13), ==, 1u << 13);    /* cx16 stays */
    x86_cpu_free(cpu);

    char *err = NULL;
    g_assert_null(x86_cpu_new("qemu64,+x2apic,enforce", &err));
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

/* Leaf 7 answers the model's (filtered) words for subleaf 0, zeros for
 * any other subleaf. */
static void test_leaf7(void)
{
    uint32_t r[4];
    X86CPU *cpu = make("qemu64,level=7,+smep,+avx2,check=off");
    cpuid(cpu, 7, r);
    g_assert_cmphex(r[0] | r[1] | r[2] | r[3], ==, 0);
    cpu->regs[R_EAX] = 7;
    cpu->regs[R_ECX] = 1;
    helper_cpuid(cpu);
    g_assert_cmphex(cpu->regs[R_EBX], ==, 0);
    x86_cpu_free(cpu);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/cpuid/vendor", test_vendor);
    g_test_add_func("/cpuid/family-model-stepping", test_family_model_stepping);
    g_test_add_func("/cpuid/phys-bits-model-id", test_phys_bits_and_model_id);
    g_test_add_func("/cpuid/bad-values", test_bad_values);
    g_test_add_func("/cpuid/unimplemented-filtered", test_unimplemented_filtered);
    g_test_add_func("/cpuid/feature-order-and-names", test_feature_order_and_names);
    g_test_add_func("/cpuid/leaf7", test_leaf7);
    return g_test_run();
}
