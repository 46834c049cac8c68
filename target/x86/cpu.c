/*
 * CPU models, creation and reset (SDM vol. 3, 9.1 "Initialization").
 *
 * A model (the table "models") asks for CPUID features by name; "-cpu
 * NAME,+feat,-feat,feat=on|off" changes the request; then every feature
 * Vireo does not implement is filtered out, with QEMU TCG's warning, so a
 * guest only ever sees what is there.
 */
#include <errno.h>
#include <glib.h>
#include <inttypes.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#include <stdio.h>
#include <string.h>

#include "target/x86/cpu.h"
#include "accel/tcg/tb-cache.h"
#include "target/x86/helper.h"
#include "target/x86/seg.h"
#include "target/x86/sse.h"
#include "util/log.h"

#define VIREO_CPU_VERSION "0.1"

/*
 * Feature words: where a feature bit lives in CPUID (subleaf 0).  The
 * order is the order in which missing features are reported.
 */
enum { W_1_EDX, W_1_ECX, W_7_EBX, W_7_ECX, W_7_EDX, W_7_2_EDX, W_81_EDX, W_81_ECX, W_8A_EDX,
       NB_WORDS };

static const struct {
    uint32_t leaf;
    const char *reg;
} word_info[NB_WORDS] = {
    [W_1_EDX] = { 1, "EDX" }, [W_1_ECX] = { 1, "ECX" },
    [W_7_EBX] = { 7, "EBX" }, [W_7_ECX] = { 7, "ECX" }, [W_7_EDX] = { 7, "EDX" },
    [W_7_2_EDX] = { 7, "EDX(ECX=2)" },
    [W_81_EDX] = { 0x80000001, "EDX" }, [W_81_ECX] = { 0x80000001, "ECX" },
    [W_8A_EDX] = { 0x8000000a, "EDX" },     /* SVM features */
};

/* Where the CPU keeps a word; NULL for the SVM word, in which nothing
 * is implemented (nor is SVM itself). */
static uint32_t *word_of(CPUX86State *env, int word)
{
    switch (word) {
    case W_1_EDX: return &env->cpuid_features;
    case W_1_ECX: return &env->cpuid_ext_features;
    case W_7_EBX: return &env->cpuid_7_0_ebx;
    case W_7_ECX: return &env->cpuid_7_0_ecx;
    case W_7_EDX: return &env->cpuid_7_0_edx;
    case W_7_2_EDX: return &env->cpuid_7_2_edx;
    case W_81_EDX: return &env->cpuid_ext2_features;
    case W_81_ECX: return &env->cpuid_ext3_features;
    default: return NULL;
    }
}

enum { NO, YES, HOST };      /* HOST: runs on the host's SSE unit (sse.c) */

typedef struct Feature {
    const char *name;       /* QEMU's name, as Linux shows most of them */
    uint8_t word, bit;
    uint8_t implemented;
} Feature;

/*
 * Every CPUID flag QEMU 7.2 recognises in these words.  A model or a user
 * may ask for any of them; those Vireo does not implement are filtered out
 * (x86_cpu_new), so a guest never sees a feature that is not there.
 */
static const Feature features[] = {
    { "fpu", W_1_EDX, 0, YES }, { "vme", W_1_EDX, 1, NO }, { "de", W_1_EDX, 2, YES },
    { "pse", W_1_EDX, 3, YES }, { "tsc", W_1_EDX, 4, YES }, { "msr", W_1_EDX, 5, YES },
    { "pae", W_1_EDX, 6, YES }, { "mce", W_1_EDX, 7, YES }, { "cx8", W_1_EDX, 8, YES },
    /* apic: CPUID clears it while IA32_APIC_BASE disables the APIC */
    { "apic", W_1_EDX, 9, YES }, { "sep", W_1_EDX, 11, YES }, { "mtrr", W_1_EDX, 12, YES },
    { "pge", W_1_EDX, 13, YES }, { "mca", W_1_EDX, 14, YES }, { "cmov", W_1_EDX, 15, YES },
    { "pat", W_1_EDX, 16, YES }, { "pse36", W_1_EDX, 17, YES }, { "pn", W_1_EDX, 18, NO },
    { "clflush", W_1_EDX, 19, YES }, { "ds", W_1_EDX, 21, NO }, { "acpi", W_1_EDX, 22, NO },
    { "mmx", W_1_EDX, 23, YES }, { "fxsr", W_1_EDX, 24, YES }, { "sse", W_1_EDX, 25, YES },
    { "sse2", W_1_EDX, 26, YES }, { "ss", W_1_EDX, 27, NO }, { "ht", W_1_EDX, 28, NO },
    { "tm", W_1_EDX, 29, NO }, { "ia64", W_1_EDX, 30, NO }, { "pbe", W_1_EDX, 31, NO },

    { "pni", W_1_ECX, 0, HOST }, { "pclmulqdq", W_1_ECX, 1, NO }, { "dtes64", W_1_ECX, 2, NO },
    { "monitor", W_1_ECX, 3, NO }, { "ds-cpl", W_1_ECX, 4, NO }, { "vmx", W_1_ECX, 5, NO },
    { "smx", W_1_ECX, 6, NO }, { "est", W_1_ECX, 7, NO }, { "tm2", W_1_ECX, 8, NO },
    { "ssse3", W_1_ECX, 9, HOST }, { "cid", W_1_ECX, 10, NO }, { "fma", W_1_ECX, 12, NO },
    { "cx16", W_1_ECX, 13, YES }, { "xtpr", W_1_ECX, 14, NO }, { "pdcm", W_1_ECX, 15, NO },
    { "pcid", W_1_ECX, 17, NO }, { "dca", W_1_ECX, 18, NO }, { "sse4.1", W_1_ECX, 19, HOST },
    { "sse4.2", W_1_ECX, 20, HOST }, { "x2apic", W_1_ECX, 21, YES }, { "movbe", W_1_ECX, 22, NO },
    { "popcnt", W_1_ECX, 23, YES }, { "tsc-deadline", W_1_ECX, 24, YES },
    { "aes", W_1_ECX, 25, NO }, { "xsave", W_1_ECX, 26, NO }, { "avx", W_1_ECX, 28, NO },
    { "f16c", W_1_ECX, 29, NO }, { "rdrand", W_1_ECX, 30, YES },
    { "hypervisor", W_1_ECX, 31, NO },

    { "fsgsbase", W_7_EBX, 0, NO }, { "tsc-adjust", W_7_EBX, 1, NO }, { "sgx", W_7_EBX, 2, NO },
    { "bmi1", W_7_EBX, 3, NO }, { "hle", W_7_EBX, 4, NO }, { "avx2", W_7_EBX, 5, NO },
    { "fdp-excptn-only", W_7_EBX, 6, NO }, { "smep", W_7_EBX, 7, YES },
    { "bmi2", W_7_EBX, 8, NO }, { "erms", W_7_EBX, 9, NO }, { "invpcid", W_7_EBX, 10, NO },
    { "rtm", W_7_EBX, 11, NO }, { "zero-fcs-fds", W_7_EBX, 13, NO }, { "mpx", W_7_EBX, 14, NO },
    { "avx512f", W_7_EBX, 16, NO }, { "avx512dq", W_7_EBX, 17, NO },
    { "rdseed", W_7_EBX, 18, YES }, { "adx", W_7_EBX, 19, NO }, { "smap", W_7_EBX, 20, YES },
    { "avx512ifma", W_7_EBX, 21, NO }, { "pcommit", W_7_EBX, 22, NO },
    { "clflushopt", W_7_EBX, 23, NO }, { "clwb", W_7_EBX, 24, NO },
    { "intel-pt", W_7_EBX, 25, NO }, { "avx512pf", W_7_EBX, 26, NO },
    { "avx512er", W_7_EBX, 27, NO }, { "avx512cd", W_7_EBX, 28, NO },
    { "sha-ni", W_7_EBX, 29, NO }, { "avx512bw", W_7_EBX, 30, NO },
    { "avx512vl", W_7_EBX, 31, NO },

    { "avx512vbmi", W_7_ECX, 1, NO }, { "umip", W_7_ECX, 2, YES }, { "pku", W_7_ECX, 3, YES },
    { "waitpkg", W_7_ECX, 5, NO }, { "avx512vbmi2", W_7_ECX, 6, NO }, { "gfni", W_7_ECX, 8, NO },
    { "vaes", W_7_ECX, 9, NO }, { "vpclmulqdq", W_7_ECX, 10, NO },
    { "avx512vnni", W_7_ECX, 11, NO }, { "avx512bitalg", W_7_ECX, 12, NO },
    { "avx512-vpopcntdq", W_7_ECX, 14, NO }, { "la57", W_7_ECX, 16, NO },
    { "rdpid", W_7_ECX, 22, YES }, { "bus-lock-detect", W_7_ECX, 24, NO },
    { "cldemote", W_7_ECX, 25, NO }, { "movdiri", W_7_ECX, 27, NO },
    { "movdir64b", W_7_ECX, 28, NO }, { "sgxlc", W_7_ECX, 30, NO }, { "pks", W_7_ECX, 31, YES },

    { "avx512-4vnniw", W_7_EDX, 2, NO }, { "avx512-4fmaps", W_7_EDX, 3, NO },
    { "fsrm", W_7_EDX, 4, NO }, { "avx512-vp2intersect", W_7_EDX, 8, NO },
    { "md-clear", W_7_EDX, 10, NO }, { "serialize", W_7_EDX, 14, NO },
    { "tsx-ldtrk", W_7_EDX, 16, NO }, { "arch-lbr", W_7_EDX, 19, NO },
    { "amx-bf16", W_7_EDX, 22, NO }, { "avx512-fp16", W_7_EDX, 23, NO },
    { "amx-tile", W_7_EDX, 24, NO }, { "amx-int8", W_7_EDX, 25, NO },
    { "spec-ctrl", W_7_EDX, 26, YES }, { "stibp", W_7_EDX, 27, YES },
    { "flush-l1d", W_7_EDX, 28, NO }, { "arch-capabilities", W_7_EDX, 29, YES },
    { "core-capability", W_7_EDX, 30, NO }, { "ssbd", W_7_EDX, 31, YES },

    /* leaf 7 subleaf 2 (QEMU 8.x's names; 7.2 has no such word): controls
     * in IA32_SPEC_CTRL; BHI_DIS_S is kept like its other bits */
    { "intel-psfd", W_7_2_EDX, 0, NO }, { "ipred-ctrl", W_7_2_EDX, 1, NO },
    { "rrsba-ctrl", W_7_2_EDX, 2, NO }, { "ddpd-u", W_7_2_EDX, 3, NO },
    { "bhi-ctrl", W_7_2_EDX, 4, YES }, { "mcdt-no", W_7_2_EDX, 5, NO },

    { "syscall", W_81_EDX, 11, YES }, { "nx", W_81_EDX, 20, YES },
    { "mmxext", W_81_EDX, 22, NO }, { "fxsr-opt", W_81_EDX, 25, NO },
    { "pdpe1gb", W_81_EDX, 26, NO }, { "rdtscp", W_81_EDX, 27, YES }, { "lm", W_81_EDX, 29, YES },
    { "3dnowext", W_81_EDX, 30, NO }, { "3dnow", W_81_EDX, 31, NO },

    { "lahf-lm", W_81_ECX, 0, YES }, { "cmp-legacy", W_81_ECX, 1, NO },
    { "svm", W_81_ECX, 2, NO }, { "extapic", W_81_ECX, 3, NO }, { "cr8legacy", W_81_ECX, 4, NO },
    { "abm", W_81_ECX, 5, NO }, { "sse4a", W_81_ECX, 6, NO }, { "misalignsse", W_81_ECX, 7, NO },
    { "3dnowprefetch", W_81_ECX, 8, NO }, { "osvw", W_81_ECX, 9, NO }, { "ibs", W_81_ECX, 10, NO },
    { "xop", W_81_ECX, 11, NO }, { "skinit", W_81_ECX, 12, NO }, { "wdt", W_81_ECX, 13, NO },
    { "lwp", W_81_ECX, 15, NO }, { "fma4", W_81_ECX, 16, NO }, { "tce", W_81_ECX, 17, NO },
    { "nodeid-msr", W_81_ECX, 19, NO }, { "tbm", W_81_ECX, 21, NO },
    { "topoext", W_81_ECX, 22, NO }, { "perfctr-core", W_81_ECX, 23, NO },
    { "perfctr-nb", W_81_ECX, 24, NO },

    { "npt", W_8A_EDX, 0, NO }, { "lbrv", W_8A_EDX, 1, NO }, { "svm-lock", W_8A_EDX, 2, NO },
    { "nrip-save", W_8A_EDX, 3, NO }, { "tsc-scale", W_8A_EDX, 4, NO },
    { "vmcb-clean", W_8A_EDX, 5, NO }, { "flushbyasid", W_8A_EDX, 6, NO },
    { "decodeassists", W_8A_EDX, 7, NO }, { "pause-filter", W_8A_EDX, 10, NO },
    { "pfthreshold", W_8A_EDX, 12, NO }, { "avic", W_8A_EDX, 13, NO },
    { "v-vmsave-vmload", W_8A_EDX, 15, NO }, { "vgif", W_8A_EDX, 16, NO },
    { "svme-addr-chk", W_8A_EDX, 28, NO },
};

/* Other spellings QEMU takes (after '_' became '-') */
static const struct {
    const char *alias, *name;
} feature_aliases[] = {
    { "sse3", "pni" }, { "sse4-1", "sse4.1" }, { "sse4-2", "sse4.2" },
    { "pclmuldq", "pclmulqdq" }, { "xd", "nx" }, { "ffxsr", "fxsr-opt" }, { "i64", "lm" },
};

/* NAME as QEMU reads it: "lahf_lm" is "lahf-lm", "sse4_1" is "sse4.1". */
static const Feature *feature_by_name(const char *name)
{
    char *n = g_strdelimit(g_strdup(name), "_", '-');
    for (size_t i = 0; i < G_N_ELEMENTS(feature_aliases); i++) {
        if (!strcmp(n, feature_aliases[i].alias)) {
            g_free(n);
            n = g_strdup(feature_aliases[i].name);
        }
    }
    const Feature *f = NULL;
    for (size_t i = 0; i < G_N_ELEMENTS(features) && !f; i++) {
        if (!strcmp(features[i].name, n)) {
            f = &features[i];
        }
    }
    g_free(n);
    return f;
}

static const Feature *feature_at(int word, int bit)
{
    for (size_t i = 0; i < G_N_ELEMENTS(features); i++) {
        if (features[i].word == word && features[i].bit == bit) {
            return &features[i];
        }
    }
    return NULL;
}

/* SSE3..SSE4.2 run on the host's own SSE units, so they exist only when
 * the host has them. */
static bool feature_available(const Feature *f)
{
    if (f->implemented == HOST) {
        return (sse_host_features() & (1u << f->bit)) != 0;
    }
    return f->implemented == YES;
}

/*
 * Give the CPU the features in WANT that Vireo can provide.  Each one it
 * cannot is reported as QEMU TCG reports it when VERBOSE ("check", on by
 * default, or "enforce").  True when some were filtered out.
 */
static bool filter_features(CPUX86State *env, const uint32_t want[NB_WORDS], bool verbose)
{
    bool filtered = false;
    for (int w = 0; w < NB_WORDS; w++) {
        for (int bit = 0; bit < 32; bit++) {
            if (!(want[w] & (1u << bit))) {
                continue;
            }
            const Feature *f = feature_at(w, bit);
            if (feature_available(f)) {
                *word_of(env, w) |= 1u << bit;
                continue;
            }
            filtered = true;
            if (verbose) {
                warn_report("TCG doesn't support requested feature: CPUID.%02" PRIX32 "H:%s.%s "
                            "[bit %d]", word_info[w].leaf, word_info[w].reg, f->name, bit);
            }
        }
    }
    return filtered;
}

static void set_vendor(CPUX86State *env, const char *v)
{
    memcpy(&env->cpuid_vendor[0], v, 4);
    memcpy(&env->cpuid_vendor[1], v + 4, 4);
    memcpy(&env->cpuid_vendor[2], v + 8, 4);
}

/* CPUID leaf 1 EAX, with the extended family and model fields as the
 * SDM's CPUID "Version Information" describes them. */
static void set_family(CPUX86State *env, unsigned family)
{
    env->cpuid_version &= ~0x0ff00f00u;
    env->cpuid_version |= family > 0xf ? 0xf00 | (family - 0xf) << 20 : family << 8;
}

static void set_model(CPUX86State *env, unsigned model)
{
    env->cpuid_version &= ~0x000f00f0u;
    env->cpuid_version |= (model & 0xf) << 4 | (model >> 4) << 16;
}

static void set_stepping(CPUX86State *env, unsigned stepping)
{
    env->cpuid_version = (env->cpuid_version & ~0xfu) | stepping;
}

static bool parse_uint(const char *val, uint64_t max, uint64_t *out)
{
    char *end;
    if (!*val || *val == '-') {
        return false;
    }
    errno = 0;
    uint64_t v = g_ascii_strtoull(val, &end, 0);
    if (errno || *end || v > max) {
        return false;
    }
    *out = v;
    return true;
}

static bool parse_bool(const char *val, bool *out)
{
    if (!strcmp(val, "on") || !strcmp(val, "true")) {
        *out = true;
    } else if (!strcmp(val, "off") || !strcmp(val, "false")) {
        *out = false;
    } else {
        return false;
    }
    return true;
}

/* The host's MAXPHYADDR, for host-phys-bits=on. */
static unsigned host_phys_bits(void)
{
#if defined(__x86_64__) || defined(__i386__)
    unsigned a, b, c, d;
    if (__get_cpuid(0x80000000, &a, &b, &c, &d) && a >= 0x80000008 &&
        __get_cpuid(0x80000008, &a, &b, &c, &d)) {
        return a & 0xff;
    }
#endif
    return 40;
}

/* QEMU's non-feature CPU properties (-cpu MODEL,name=value): 1 when NAME is
 * one and VAL was taken, 0 when NAME is not one, -1 (with *err) when VAL
 * is invalid. */
static int cpu_property(CPUX86State *env, const char *name, const char *val, char **err)
{
    uint64_t v;
    bool b;
    if (!strcmp(name, "vendor")) {
        if (strlen(val) != 12) {
            *err = g_strdup_printf("invalid value '%s' for CPU property 'vendor' "
                                   "(12 characters, as GenuineIntel)", val);
            return -1;
        }
        set_vendor(env, val);
        return 1;
    }
    if (!strcmp(name, "model-id")) {
        memset(env->cpuid_model_id, 0, sizeof(env->cpuid_model_id));
        strncpy(env->cpuid_model_id, val, sizeof(env->cpuid_model_id) - 1);
        return 1;
    }
    static const struct {
        const char *name;
        uint64_t min, max;
    } nums[] = {
        { "family", 0, 0xff + 0xf }, { "model", 0, 0xff }, { "stepping", 0, 0xf },
        { "level", 1, 0xd }, { "xlevel", 0x80000000, 0x80000008 },
        { "phys-bits", 32, 52 },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(nums); i++) {
        if (strcmp(name, nums[i].name)) {
            continue;
        }
        if (!parse_uint(val, nums[i].max, &v) || v < nums[i].min) {
            *err = g_strdup_printf(nums[i].max > 0xffff
                                   ? "invalid value '%s' for CPU property '%s' "
                                     "(0x%" PRIx64 "..0x%" PRIx64 ")"
                                   : "invalid value '%s' for CPU property '%s' "
                                     "(%" PRIu64 "..%" PRIu64 ")",
                                   val, name, nums[i].min, nums[i].max);
            return -1;
        }
        switch (i) {
        case 0:
            set_family(env, v);
            break;
        case 1:
            set_model(env, v);
            break;
        case 2:
            set_stepping(env, v);
            break;
        case 3:
            env->cpuid_level = v;
            break;
        case 4:
            env->cpuid_xlevel = v;
            break;
        case 5:
            env->phys_bits = v;
            break;
        }
        return 1;
    }
    if (!strcmp(name, "host-phys-bits") || !strcmp(name, "migratable")) {
        if (!parse_bool(val, &b)) {
            *err = g_strdup_printf("invalid value '%s' for CPU property '%s' (on or off)",
                                   val, name);
            return -1;
        }
        if (b && !strcmp(name, "host-phys-bits")) {
            env->phys_bits = host_phys_bits();
        }
        return 1;
    }
    return 0;
}

/*
 * CPU models: one row each, the CPUID a guest sees before filtering.
 * FEATURES holds names as "+FEAT" takes them.
 */
typedef struct CPUModel {
    const char *name;
    const char *vendor;
    uint16_t family;
    uint8_t model, stepping;
    uint32_t level, xlevel;          /* highest basic / extended CPUID leaf */
    const char *model_id;            /* brand string, CPUID 0x80000002..4 */
    const char *features;
    const char *desc;                /* for -cpu help; NULL: the brand string */
    uint8_t phys_bits;               /* 0: x86_maxphyaddr's default */
    bool all;                        /* every feature Vireo implements ("max") */
} CPUModel;

#define INTEL "GenuineIntel"
#define AMD "AuthenticAMD"
#define VIREO_BRAND "Vireo Virtual CPU version " VIREO_CPU_VERSION

/*
 * Feature sets the rows share.  No row lists "vme": QEMU turns it off on
 * every model under TCG, and Vireo does not implement it either.
 */
#define PENTIUM_FEATURES "fpu pse de tsc msr mce cx8 mmx apic"
#define PENTIUM2_FEATURES PENTIUM_FEATURES " pae sep mtrr pge mca cmov pat pse36 fxsr"
/* Pentium Pro's leaf 1 EDX, and what every later model adds to it */
#define PPRO_FEATURES "fpu de pse tsc msr mce cx8 pge cmov pat fxsr mmx sse sse2 pae sep apic"
#define CORE_FEATURES PPRO_FEATURES " mtrr mca clflush pse36"
#define SANDYBRIDGE_ECX "pni pclmulqdq ssse3 cx16 sse4.1 sse4.2 x2apic popcnt tsc-deadline " \
                        "aes xsave avx"
#define HASWELL_ECX SANDYBRIDGE_ECX " fma movbe pcid f16c rdrand"
#define HASWELL_7 "fsgsbase bmi1 avx2 smep bmi2 erms invpcid"
#define BROADWELL_7 HASWELL_7 " rdseed adx smap"
#define SKYLAKE_SERVER_7 BROADWELL_7 " clwb avx512f avx512dq avx512bw avx512cd avx512vl " \
                         "clflushopt pku"
#define ICELAKE_7 SKYLAKE_SERVER_7 " avx512vbmi umip avx512vbmi2 gfni vaes vpclmulqdq " \
                  "avx512vnni avx512bitalg avx512-vpopcntdq la57 spec-ctrl ssbd"
#define TSX " hle rtm"
#define LM_FEATURES " lm syscall nx"
/* 0x80000001 of the Broadwell..Icelake parts */
#define BROADWELL_81 LM_FEATURES " rdtscp abm lahf-lm 3dnowprefetch"
#define OPTERON_G4_FEATURES CORE_FEATURES " pni pclmulqdq ssse3 cx16 sse4.1 sse4.2 popcnt aes " \
    "xsave avx" LM_FEATURES " pdpe1gb rdtscp fma4 xop 3dnowprefetch misalignsse sse4a abm " \
    "svm lahf-lm npt nrip-save"

static const CPUModel models[] = {
    /* Vireo's own: they advertise only what Vireo implements.  qemu64 says
     * family 6 model 15 (a Core 2): Linux turns PAT off on Intel family-6
     * models below 15 for an erratum of those parts.  It reports
     * IA32_ARCH_CAPABILITIES, whose "not affected" bits keep Linux from
     * page-table isolation and buffer clearing, which it would otherwise
     * apply to an Intel CPU (QEMU's qemu64 avoids them by saying AMD).
     * Not spec-ctrl: with it (and bhi-ctrl) Linux takes enhanced IBRS and
     * leaves its retpolines out, which made a Linux guest's 4 KiB random
     * disk reads no faster (bench, 6 pairs of runs). */
    { "qemu64", INTEL, 6, 15, 11, 0xd, 0x80000008, VIREO_BRAND,
      CORE_FEATURES " pni cx16 lahf-lm" LM_FEATURES " arch-capabilities",
      .desc = "default: x86-64 with SSE..SSE3" },
    { "qemu32", INTEL, 6, 6, 3, 1, 0x80000004, VIREO_BRAND,
      PPRO_FEATURES " mtrr mca clflush pni nx", .desc = "32-bit, SSE..SSE3" },
    { "pentiumpro", INTEL, 6, 1, 1, 1, 0x80000004, VIREO_BRAND,
      "fpu de pse tsc msr pae mce cx8 apic mtrr pge mca cmov",
      .desc = "Pentium Pro: no MMX, SSE, SYSENTER or PAT" },
    { "base", INTEL, 6, 6, 3, 1, 0x80000004, VIREO_BRAND, "", .desc = "no CPUID features" },
    { "max", INTEL, 6, 15, 11, 0xd, 0x80000008, VIREO_BRAND, "",
      .desc = "everything Vireo implements", .phys_bits = 48, .all = true },

    /* QEMU's models (their first version, which the plain name means) */
    { "486", INTEL, 4, 8, 0, 1, 0, "", "fpu pse" },
    { "pentium", INTEL, 5, 4, 3, 1, 0, "", PENTIUM_FEATURES },
    { "pentium2", INTEL, 6, 5, 2, 2, 0, "", PENTIUM2_FEATURES },
    { "pentium3", INTEL, 6, 7, 3, 3, 0, "", PENTIUM2_FEATURES " sse" },
    { "athlon", AMD, 6, 2, 3, 2, 0x80000008, VIREO_BRAND,
      PPRO_FEATURES " pse36 mtrr mca mmxext 3dnow 3dnowext" },
    { "kvm32", INTEL, 15, 6, 1, 5, 0x80000008, "Common 32-bit KVM processor",
      CORE_FEATURES " pni" },
    { "kvm64", INTEL, 15, 6, 1, 0xd, 0x80000008, "Common KVM processor",
      CORE_FEATURES " pni cx16" LM_FEATURES },
    { "coreduo", INTEL, 6, 14, 8, 10, 0x80000008, "Genuine Intel(R) CPU           T2600  @ 2.16GHz",
      PPRO_FEATURES " mtrr mca clflush acpi ss pni monitor nx" },
    { "core2duo", INTEL, 6, 15, 11, 10, 0x80000008,
      "Intel(R) Core(TM)2 Duo CPU     T7700  @ 2.40GHz",
      CORE_FEATURES " acpi ss pni monitor ssse3 cx16 lahf-lm" LM_FEATURES },
    { "n270", INTEL, 6, 28, 2, 10, 0x80000008, "Intel(R) Atom(TM) CPU N270   @ 1.60GHz",
      PPRO_FEATURES " mtrr mca clflush acpi ss pni monitor ssse3 movbe nx lahf-lm" },
    { "phenom", AMD, 16, 2, 3, 5, 0x8000001a, "AMD Phenom(tm) 9550 Quad-Core Processor",
      CORE_FEATURES " pni monitor cx16 popcnt" LM_FEATURES " 3dnow 3dnowext mmxext fxsr-opt "
      "pdpe1gb rdtscp lahf-lm svm abm sse4a npt" },
    { "Conroe", INTEL, 6, 15, 3, 10, 0x80000008, "Intel Celeron_4x0 (Conroe/Merom Class Core 2)",
      CORE_FEATURES " pni ssse3 lahf-lm" LM_FEATURES },
    { "Penryn", INTEL, 6, 23, 3, 10, 0x80000008, "Intel Core 2 Duo P9xxx (Penryn Class Core 2)",
      CORE_FEATURES " pni ssse3 cx16 sse4.1 lahf-lm" LM_FEATURES },
    { "Nehalem", INTEL, 6, 26, 3, 11, 0x80000008, "Intel Core i7 9xx (Nehalem Class Core i7)",
      CORE_FEATURES " pni ssse3 cx16 sse4.1 sse4.2 popcnt lahf-lm" LM_FEATURES },
    { "Westmere", INTEL, 6, 44, 1, 11, 0x80000008, "Westmere E56xx/L56xx/X56xx (Nehalem-C)",
      CORE_FEATURES " pni pclmulqdq ssse3 cx16 sse4.1 sse4.2 popcnt aes lahf-lm" LM_FEATURES },
    { "SandyBridge", INTEL, 6, 42, 1, 0xd, 0x80000008, "Intel Xeon E312xx (Sandy Bridge)",
      CORE_FEATURES " " SANDYBRIDGE_ECX LM_FEATURES " rdtscp lahf-lm" },
    { "IvyBridge", INTEL, 6, 58, 9, 0xd, 0x80000008, "Intel Xeon E3-12xx v2 (Ivy Bridge)",
      CORE_FEATURES " " SANDYBRIDGE_ECX " f16c rdrand fsgsbase smep erms" LM_FEATURES
      " rdtscp lahf-lm" },
    { "Haswell", INTEL, 6, 60, 4, 0xd, 0x80000008, "Intel Core Processor (Haswell)",
      CORE_FEATURES " " HASWELL_ECX " " HASWELL_7 TSX LM_FEATURES " rdtscp abm lahf-lm" },
    { "Haswell-noTSX", INTEL, 6, 60, 1, 0xd, 0x80000008, "Intel Core Processor (Haswell, no TSX)",
      CORE_FEATURES " " HASWELL_ECX " " HASWELL_7 LM_FEATURES " rdtscp abm lahf-lm" },
    { "Broadwell", INTEL, 6, 61, 2, 0xd, 0x80000008, "Intel Core Processor (Broadwell)",
      CORE_FEATURES " " HASWELL_ECX " " BROADWELL_7 TSX BROADWELL_81 },
    { "Broadwell-noTSX", INTEL, 6, 61, 2, 0xd, 0x80000008,
      "Intel Core Processor (Broadwell, no TSX)",
      CORE_FEATURES " " HASWELL_ECX " " BROADWELL_7 BROADWELL_81 },
    { "Skylake-Client", INTEL, 6, 94, 3, 0xd, 0x80000008, "Intel Core Processor (Skylake)",
      CORE_FEATURES " " HASWELL_ECX " " BROADWELL_7 TSX BROADWELL_81 },
    { "Skylake-Server", INTEL, 6, 85, 4, 0xd, 0x80000008, "Intel Xeon Processor (Skylake)",
      CORE_FEATURES " " HASWELL_ECX " " SKYLAKE_SERVER_7 TSX BROADWELL_81 " pdpe1gb" },
    { "Cascadelake-Server", INTEL, 6, 85, 6, 0xd, 0x80000008, "Intel Xeon Processor (Cascadelake)",
      CORE_FEATURES " " HASWELL_ECX " " SKYLAKE_SERVER_7 TSX " avx512vnni spec-ctrl ssbd"
      BROADWELL_81 " pdpe1gb" },
    /* QEMU's Cascadelake-Server-v3: v2 also reports IA32_ARCH_CAPABILITIES */
    { "Cascadelake-Server-noTSX", INTEL, 6, 85, 6, 0xd, 0x80000008,
      "Intel Xeon Processor (Cascadelake)",
      CORE_FEATURES " " HASWELL_ECX " " SKYLAKE_SERVER_7 " avx512vnni spec-ctrl ssbd "
      "arch-capabilities" BROADWELL_81 " pdpe1gb" },
    { "Icelake-Server", INTEL, 6, 134, 0, 0xd, 0x80000008, "Intel Xeon Processor (Icelake)",
      CORE_FEATURES " " HASWELL_ECX " " ICELAKE_7 TSX BROADWELL_81 " pdpe1gb" },
    { "Icelake-Server-noTSX", INTEL, 6, 134, 0, 0xd, 0x80000008, "Intel Xeon Processor (Icelake)",
      CORE_FEATURES " " HASWELL_ECX " " ICELAKE_7 BROADWELL_81 " pdpe1gb" },
    { "Opteron_G1", AMD, 15, 6, 1, 5, 0x80000008, "AMD Opteron 240 (Gen 1 Class Opteron)",
      CORE_FEATURES " pni" LM_FEATURES },
    { "Opteron_G2", AMD, 15, 6, 1, 5, 0x80000008, "AMD Opteron 22xx (Gen 2 Class Opteron)",
      CORE_FEATURES " pni cx16 svm lahf-lm" LM_FEATURES },
    { "Opteron_G3", AMD, 16, 2, 3, 5, 0x80000008, "AMD Opteron 23xx (Gen 3 Class Opteron)",
      CORE_FEATURES " pni monitor cx16 popcnt" LM_FEATURES " rdtscp misalignsse sse4a abm svm "
      "lahf-lm" },
    { "Opteron_G4", AMD, 21, 1, 2, 0xd, 0x8000001a, "AMD Opteron 62xx class CPU",
      OPTERON_G4_FEATURES },
    { "Opteron_G5", AMD, 21, 2, 0, 0xd, 0x8000001a, "AMD Opteron 63xx class CPU",
      OPTERON_G4_FEATURES " f16c fma tbm" },
    { "EPYC", AMD, 23, 1, 2, 0xd, 0x8000001e, "AMD EPYC Processor",
      CORE_FEATURES " pni pclmulqdq monitor ssse3 fma cx16 sse4.1 sse4.2 movbe popcnt aes xsave "
      "avx f16c rdrand" LM_FEATURES " rdtscp pdpe1gb fxsr-opt mmxext osvw 3dnowprefetch "
      "misalignsse sse4a abm cr8legacy svm lahf-lm topoext fsgsbase bmi1 avx2 smep bmi2 "
      "rdseed adx smap clflushopt sha-ni npt nrip-save" },
};

static void load_model(CPUX86State *env, const CPUModel *m, uint32_t want[NB_WORDS])
{
    set_vendor(env, m->vendor);
    set_family(env, m->family);
    set_model(env, m->model);
    set_stepping(env, m->stepping);
    env->phys_bits = m->phys_bits;
    strncpy(env->cpuid_model_id, m->model_id, sizeof(env->cpuid_model_id) - 1);
    for (size_t i = 0; i < G_N_ELEMENTS(features) && m->all; i++) {
        if (feature_available(&features[i])) {
            want[features[i].word] |= 1u << features[i].bit;
        }
    }
    gchar **names = g_strsplit(m->features, " ", -1);
    for (gchar **n = names; *n; n++) {
        const Feature *f = feature_by_name(*n);
        if (!f) {
            g_error("CPU model %s: unknown feature '%s'", m->name, *n);
        }
        want[f->word] |= 1u << f->bit;
    }
    g_strfreev(names);
}

/*
 * The model's highest leaves, raised as QEMU raises them (its
 * "full-cpuid-auto-level") to reach the leaf of every feature asked for,
 * even one filtered out afterwards: svm takes Opteron_G3 to 0x8000000A.
 * A level= or xlevel= option (already in ENV: neither can be 0) is taken
 * as given.
 */
static void set_levels(CPUX86State *env, const CPUModel *m, const uint32_t want[NB_WORDS])
{
    uint32_t level = m->level, xlevel = m->xlevel;
    for (int w = 0; w < NB_WORDS; w++) {
        uint32_t leaf = word_info[w].leaf;
        if (want[w] && leaf >= 0x80000000) {
            xlevel = MAX(xlevel, leaf);
        } else if (want[w]) {
            level = MAX(level, leaf);
        }
    }
    if (want[W_81_ECX] & 1u << feature_by_name("svm")->bit) {
        xlevel = MAX(xlevel, word_info[W_8A_EDX].leaf);      /* svm brings its leaf */
    }
    if (!env->cpuid_level) {
        env->cpuid_level = level;
    }
    if (!env->cpuid_xlevel) {
        env->cpuid_xlevel = xlevel;
    }
}

/* What -cpu MODEL,OPTIONS asks for, resolved as QEMU resolves it. */
typedef struct FeatureRequest {
    uint32_t want[NB_WORDS];    /* the model's, then FEAT=on|off in order */
    uint32_t plus[NB_WORDS];    /* +FEAT: added after every FEAT= */
    uint32_t minus[NB_WORDS];   /* -FEAT: removed last, so it beats +FEAT */
    bool check;                 /* report filtered features (QEMU's default) */
    bool enforce;               /* and refuse to run */
} FeatureRequest;

/* One of the comma-separated OPTIONS: +FEAT, -FEAT, FEAT[=on|off] or a
 * property.  False (with *err) for a user error. */
static bool parse_cpu_option(CPUX86State *env, const char *opt, FeatureRequest *req, char **err)
{
    char sign = (opt[0] == '+' || opt[0] == '-') ? opt[0] : 0;
    const char *eq = sign ? NULL : strchr(opt, '=');
    g_autofree char *name = eq ? g_strndup(opt, eq - opt) : g_strdup(opt + (sign != 0));
    const char *val = eq ? eq + 1 : "on";           /* "host-phys-bits" alone is on */
    bool on = sign != '-';

    g_strdelimit(name, "_", '-');                   /* QEMU's legacy spellings */
    if (!sign) {
        int r = cpu_property(env, name, val, err);
        if (r) {
            return r > 0;
        }
        if (!parse_bool(val, &on)) {
            *err = g_strdup_printf("invalid value '%s' for CPU feature '%s'", val, name);
            return false;
        }
    }
    if (!strcmp(name, "check") || !strcmp(name, "enforce")) {
        *(name[0] == 'c' ? &req->check : &req->enforce) = on;
        return true;
    }
    const Feature *f = feature_by_name(name);
    if (!f) {
        *err = g_strdup_printf("unknown CPU feature '%s'", name);
        return false;
    }
    uint32_t bit = 1u << f->bit;
    if (sign == '+') {
        req->plus[f->word] |= bit;
    } else if (sign == '-') {
        req->minus[f->word] |= bit;
    } else if (on) {
        req->want[f->word] |= bit;
    } else {
        req->want[f->word] &= ~bit;
    }
    return true;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* NAMES sorted, as a paragraph indented by two. */
static void print_wrapped(GPtrArray *names)
{
    g_ptr_array_sort(names, compare_names);
    int col = 0;
    for (guint i = 0; i < names->len; i++) {
        const char *n = g_ptr_array_index(names, i);
        if (col && col + 1 + (int)strlen(n) > 78) {
            putchar('\n');
            col = 0;
        }
        col += printf(col ? " %s" : "  %s", n);
    }
    putchar('\n');
}

void x86_cpu_list(void)
{
    printf("Available CPUs:\n");
    for (size_t i = 0; i < G_N_ELEMENTS(models); i++) {
        const CPUModel *m = &models[i];
        const char *desc = m->desc ? m->desc : m->model_id;
        printf(*desc ? "  %-24s %s\n" : "  %s\n", m->name, desc);
    }
    GPtrArray *all = g_ptr_array_new(), *here = g_ptr_array_new();
    for (size_t i = 0; i < G_N_ELEMENTS(features); i++) {
        g_ptr_array_add(all, (gpointer)features[i].name);
        if (feature_available(&features[i])) {
            g_ptr_array_add(here, (gpointer)features[i].name);
        }
    }
    printf("\nRecognized CPUID flags:\n");
    print_wrapped(all);
    printf("\nImplemented by Vireo on this host (a model's other flags are filtered out):\n");
    print_wrapped(here);
    g_ptr_array_free(all, TRUE);
    g_ptr_array_free(here, TRUE);
}

__thread X86CPU *current_cpu;

X86CPU *x86_cpu_new(const char *cpu_model, char **err)
{
    /* qemu64 by default, as qemu-system-x86_64 */
    gchar **parts = g_strsplit(cpu_model ? cpu_model : "qemu64", ",", -1);
    const char *name = parts[0] ? parts[0] : "";
    const CPUModel *m = NULL;
    for (size_t i = 0; i < G_N_ELEMENTS(models) && !m; i++) {
        if (!strcmp(models[i].name, name)) {
            m = &models[i];
        }
    }
    if (!m && !strcmp(name, "host")) {
        /* as QEMU under TCG: "host" is the host CPU's CPUID through KVM */
        *err = g_strdup("CPU model 'host' requires KVM or HVF");
        g_strfreev(parts);
        return NULL;
    }
    if (!m) {
        *err = g_strdup_printf("unknown CPU model '%s' (use -cpu help)", name);
        g_strfreev(parts);
        return NULL;
    }

    CPUX86State *env = g_new0(CPUX86State, 1);
    FeatureRequest req = { .check = true };
    load_model(env, m, req.want);
    for (gchar **p = parts + 1; *p; p++) {
        if (!parse_cpu_option(env, *p, &req, err)) {
            goto fail;
        }
    }
    for (int w = 0; w < NB_WORDS; w++) {
        req.want[w] = (req.want[w] | req.plus[w]) & ~req.minus[w];
    }
    set_levels(env, m, req.want);
    /* QEMU TCG: the warnings come with "check" (default) or "enforce",
     * and "enforce" makes them an error after naming them all */
    if (filter_features(env, req.want, req.check || req.enforce) && req.enforce) {
        *err = g_strdup("TCG doesn't support requested features");
        goto fail;
    }
    if (!memcmp(env->cpuid_vendor, AMD, 12)) {
        /* AMD parts repeat these leaf 1 EDX bits in 0x80000001 EDX (fpu..apic,
         * mtrr..pse36, mmx, fxsr), and so does QEMU for an AMD vendor */
        const uint32_t amd_aliases = 0x0183f3ff;
        env->cpuid_ext2_features &= ~amd_aliases;
        env->cpuid_ext2_features |= env->cpuid_features & amd_aliases;
    }
    g_strfreev(parts);
    mmu_register_cpu(env);
    x86_cpu_reset(env);
    return env;
fail:
    g_strfreev(parts);
    g_free(env);
    return NULL;
}

void x86_cpu_free(X86CPU *cpu)
{
    if (cpu) {
        mmu_unregister_cpu(cpu);
        tb_jmp_cache_free(cpu);
        g_free(cpu);
    }
}

_Static_assert(offsetof(CPUX86State, instr_count) < offsetof(CPUX86State, interrupt_request) &&
               offsetof(CPUX86State, interrupt_request) < offsetof(CPUX86State, jmp_env),
               "x86_cpu_reset keeps [instr_count, interrupt_request) and clears the rest before jmp_env");

void x86_cpu_reset(X86CPU *env)
{
    /* keep the model and the machine hooks; everything architectural resets */
    size_t keep_from = offsetof(CPUX86State, cpuid_level);
    size_t keep_to = offsetof(CPUX86State, tlb);
    uint8_t saved[sizeof(CPUX86State)];
    memcpy(saved, env, sizeof(*env));
    int (*ack)(void *) = env->intr_ack;
    void *ack_opaque = env->intr_opaque;
    void *apic = env->apic;
    uint32_t a20 = env->a20_mask ? env->a20_mask : ~0u;
    int index = env->cpu_index;
    uint32_t intr_line = env->interrupt_request & CPU_INTERRUPT_HARD;

    /* the accelerator's line after the TLB (instruction count, jump
     * cache, ...; see CPUX86State) survives, up to interrupt_request */
    memset(env, 0, offsetof(CPUX86State, instr_count));
    memset((uint8_t *)env + offsetof(CPUX86State, interrupt_request), 0,
           offsetof(CPUX86State, jmp_env) - offsetof(CPUX86State, interrupt_request));
    memcpy((uint8_t *)env + keep_from, saved + keep_from, keep_to - keep_from);
    env->intr_ack = ack;
    env->intr_opaque = ack_opaque;
    env->apic = apic;
    env->cpu_index = index;
    env->a20_mask = a20;

    env->cr[0] = 0x60000010;                     /* CD, NW, ET */
    env->eflags = 0x2;
    env->cc_op = CC_OP_EFLAGS;
    env->eip = 0xfff0;
    env->regs[R_EDX] = env->cpuid_version;
    for (int i = 0; i < 6; i++) {
        env->segs[i].selector = 0;
        env->segs[i].base = 0;
        env->segs[i].limit = 0xffff;
        env->segs[i].flags = DESC_P_MASK | DESC_S_MASK | DESC_W_MASK | DESC_A_MASK;
    }
    env->segs[R_CS].selector = 0xf000;
    env->segs[R_CS].base = 0xffff0000;
    env->segs[R_CS].flags |= DESC_CS_MASK | DESC_R_MASK;
    env->gdt.limit = 0xffff;
    env->idt.limit = 0xffff;
    env->ldt.limit = 0xffff;
    env->ldt.flags = DESC_P_MASK | (2 << DESC_TYPE_SHIFT);
    env->tr.limit = 0xffff;
    env->tr.flags = DESC_P_MASK | (11 << DESC_TYPE_SHIFT);
    env->dr[6] = 0xffff0ff0;
    env->dr[7] = 0x400;
    env->dr_exec_en = env->dr_data_en = env->dr_hit = 0;
    /* SDM vol. 3 table 9-1: after RESET the x87 registers hold +0.0 with
     * "zero" tags (FTW 5555H), FCW 0040H; MXCSR 1F80H (all masked) */
    env->fpu.fcw = 0x40;
    env->fpu.ftw_tag = 0x5555;
    env->fpu.mxcsr = 0x1f80;
    env->pat = 0x0007040600070406ULL;
    env->mcg_ctl = ~0ULL;                        /* every bank reports */
    /* fast strings; no BTS, no PEBS (those two read 1: "unavailable") */
    env->misc_enable = 1 | (1ull << 11) | (1ull << 12);
    for (int i = 0; i < MCE_BANKS; i++) {
        env->mce_banks[i * 4] = ~0ULL;           /* MCi_CTL: every error type */
    }
    env->smbase = 0x30000;                       /* SDM vol. 3, 34.4 */
    env->exception_index = -1;
    env->old_exception = -1;
    env->interrupt_request = intr_line;       /* the INTR line keeps its level */
    env->hflags = 0;
    cpu_update_hflags(env);
    /* application processors wait for a startup IPI (SDM vol. 3, 9.4) */
    env->wait_sipi = index != 0;
    if (env->wait_sipi) {
        env->hflags |= HF_HALTED;
    }
    env->tlb_nused = TLB_USED_MAX + 1;      /* cleared above, not empty: all of it */
    tlb_flush(env);
}

void x86_cpu_do_init(X86CPU *env)
{
    X86FPUState fpu = env->fpu;
    uint64_t tsc_offset = env->tsc_offset, pat = env->pat, mtrr_deftype = env->mtrr_deftype;
    uint64_t smbase = env->smbase;          /* INIT keeps a relocated SMBASE */
    uint64_t mtrr_fixed[11], mtrr_var[16];
    memcpy(mtrr_fixed, env->mtrr_fixed, sizeof(mtrr_fixed));
    memcpy(mtrr_var, env->mtrr_var, sizeof(mtrr_var));
    uint32_t keep_req = env->interrupt_request & (CPU_INTERRUPT_NMI | CPU_INTERRUPT_EXIT |
                                                  CPU_INTERRUPT_SIPI);
    uint32_t nmi_queued = env->nmi_queued, nmi_pending = env->nmi_pending;

    x86_cpu_reset(env);
    env->fpu = fpu;
    env->tsc_offset = tsc_offset;
    env->pat = pat;
    env->smbase = smbase;
    env->mtrr_deftype = mtrr_deftype;
    memcpy(env->mtrr_fixed, mtrr_fixed, sizeof(mtrr_fixed));
    memcpy(env->mtrr_var, mtrr_var, sizeof(mtrr_var));
    env->interrupt_request |= keep_req;
    env->nmi_queued = nmi_queued;         /* INIT keeps pending NMIs, as the request bit */
    env->nmi_pending = nmi_pending;
}

void x86_cpu_set_a20(X86CPU *env, bool enabled)
{
    uint32_t mask = enabled ? ~0u : ~(1u << 20);
    if (mask != env->a20_mask) {
        env->a20_mask = mask;
        x86_cpu_tlb_flush_async(env);
    }
}

/* The CPU counts the NMI in at its next instruction boundary (exec.c). */
void x86_cpu_set_nmi(X86CPU *env)
{
    __atomic_fetch_add(&env->nmi_queued, 1, __ATOMIC_SEQ_CST);
    __atomic_fetch_or(&env->interrupt_request, CPU_INTERRUPT_NMI, __ATOMIC_SEQ_CST);
    if (x86_cpu_notify) {
        x86_cpu_notify(env);
    }
}

void x86_cpu_sipi(X86CPU *env, uint8_t vector)
{
    env->sipi_vector = vector;
    __atomic_fetch_or(&env->interrupt_request, CPU_INTERRUPT_SIPI, __ATOMIC_SEQ_CST);
    if (x86_cpu_notify) {
        x86_cpu_notify(env);
    }
}

void x86_cpu_init_request(X86CPU *env)
{
    __atomic_fetch_or(&env->interrupt_request, CPU_INTERRUPT_INIT, __ATOMIC_SEQ_CST);
    if (x86_cpu_notify) {
        x86_cpu_notify(env);
    }
}
