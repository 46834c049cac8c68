/*
 * CPU models, creation and reset (SDM vol. 3, 9.1 "Initialization").
 *
 * A model advertises exactly what the emulator implements: CPUID is built
 * from the features below, and "-cpu NAME,+feat,-feat" can only remove
 * features or add ones that are implemented.
 */
#include <errno.h>
#include <glib.h>
#include <inttypes.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#include <string.h>

#include "target/x86/cpu.h"
#include "accel/tcg/tb-cache.h"
#include "target/x86/helper.h"
#include "target/x86/seg.h"
#include "target/x86/sse.h"
#include "util/log.h"

#define VIREO_CPU_VERSION "0.1"

typedef struct FeatureName {
    const char *name;
    int word;               /* 0: leaf 1 EDX, 1: leaf 1 ECX, 2: 0x80000001 EDX, 3: its ECX */
    uint32_t bit;
    bool implemented;
    bool max_only;          /* beyond the qemu32/qemu64 baseline: only in "max" */
    bool lm_only;           /* 64-bit models (qemu64, max) only */
} FeatureName;

static const FeatureName features[] = {
    { "fpu", 0, 1u << 0, true },
    { "vme", 0, 1u << 1, false },
    { "de", 0, 1u << 2, true },
    { "pse", 0, 1u << 3, true },
    { "tsc", 0, 1u << 4, true },
    { "msr", 0, 1u << 5, true },
    { "pae", 0, 1u << 6, true },
    { "mce", 0, 1u << 7, true },
    { "cx8", 0, 1u << 8, true },
    { "apic", 0, 1u << 9, true },     /* cleared by CPUID when no APIC is attached */
    { "sep", 0, 1u << 11, true },
    { "mtrr", 0, 1u << 12, true },
    { "pge", 0, 1u << 13, true },
    { "mca", 0, 1u << 14, true },
    { "cmov", 0, 1u << 15, true },
    { "pat", 0, 1u << 16, true },
    { "pse36", 0, 1u << 17, false },
    { "clflush", 0, 1u << 19, true },
    { "mmx", 0, 1u << 23, true },
    { "fxsr", 0, 1u << 24, true },
    { "sse", 0, 1u << 25, true },
    { "sse2", 0, 1u << 26, true },
    { "sse3", 1, 1u << 0, true },
    { "pni", 1, 1u << 0, true },        /* QEMU's name for sse3 */
    { "ssse3", 1, 1u << 9, true, true },
    { "cx16", 1, 1u << 13, true, false, true },
    { "sse4.1", 1, 1u << 19, true, true },
    { "sse4_1", 1, 1u << 19, true, true },
    { "sse4.2", 1, 1u << 20, true, true },
    { "sse4_2", 1, 1u << 20, true, true },
    { "popcnt", 1, 1u << 23, true, true },
    { "syscall", 2, 1u << 11, true, false, true },
    { "nx", 2, 1u << 20, true },
    { "rdtscp", 2, 1u << 27, true, true, true },       /* QEMU's qemu64 lacks it */
    { "lm", 2, 1u << 29, true, false, true },
    { "lahf_lm", 3, 1u << 0, true, false, true },
    { "lahf-lm", 3, 1u << 0, true, false, true },
};

static uint32_t *feature_word(CPUX86State *env, int word)
{
    switch (word) {
    case 0: return &env->cpuid_features;
    case 1: return &env->cpuid_ext_features;
    case 2: return &env->cpuid_ext2_features;
    default: return &env->cpuid_ext3_features;
    }
}

/*
 * SSE3..SSE4.2 run on the host's own SSE units (sse.c), so they exist only
 * when the host has them.
 */
static bool feature_available(const FeatureName *f)
{
    if (!f->implemented) {
        return false;
    }
    if (f->word == 1 && (f->bit & ((1u << 0) | (1u << 9) | (1u << 19) | (1u << 20)))) {
        return (sse_host_features() & f->bit) != 0;
    }
    return true;
}

static void set_all_implemented(CPUX86State *env, bool max, bool lm)
{
    for (size_t i = 0; i < G_N_ELEMENTS(features); i++) {
        if (feature_available(&features[i]) && (max || !features[i].max_only) &&
            (lm || !features[i].lm_only)) {
            *feature_word(env, features[i].word) |= features[i].bit;
        }
    }
}

static void set_vendor(CPUX86State *env, const char *v)
{
    memcpy(&env->cpuid_vendor[0], v, 4);
    memcpy(&env->cpuid_vendor[1], v + 4, 4);
    memcpy(&env->cpuid_vendor[2], v + 8, 4);
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
        uint32_t ver = env->cpuid_version;
        switch (i) {
        case 0:
            ver &= ~0x0ff00f00u;
            ver |= v > 0xf ? 0xf00 | (uint32_t)(v - 0xf) << 20 : (uint32_t)v << 8;
            break;
        case 1:
            ver &= ~0x000f00f0u;
            ver |= (uint32_t)(v & 0xf) << 4 | (uint32_t)(v >> 4) << 16;
            break;
        case 2:
            ver = (ver & ~0xfu) | (uint32_t)v;
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
        env->cpuid_version = ver;
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

__thread X86CPU *current_cpu;

X86CPU *x86_cpu_new(const char *cpu_model, char **err)
{
    CPUX86State *env = g_new0(CPUX86State, 1);
    /* qemu64 by default, as qemu-system-x86_64 */
    gchar **parts = g_strsplit(cpu_model ? cpu_model : "qemu64", ",", -1);
    const char *model = parts[0] ? parts[0] : "";

    set_vendor(env, "GenuineIntel");
    env->cpuid_level = 1;
    env->cpuid_xlevel = 0x80000004;
    if (!strcmp(model, "qemu32") || !strcmp(model, "pentiumpro") || !strcmp(model, "max") ||
        !strcmp(model, "base") || !strcmp(model, "qemu64")) {
        bool lm = !strcmp(model, "qemu64") || !strcmp(model, "max");
        env->cpuid_version = 0x663;               /* family 6, model 6, stepping 3 */
        if (strcmp(model, "base")) {
            set_all_implemented(env, !strcmp(model, "max"), lm);
        }
        if (lm) {
            env->cpuid_xlevel = 0x80000008;       /* address sizes */
            env->phys_bits = !strcmp(model, "max") ? 48 : 40;
            /* family 6 model 15 (a Core 2): Linux disables PAT on Intel
             * family 6 models below 15 for an erratum of those parts */
            env->cpuid_version = 0x6fb;
        }
        if (!strcmp(model, "pentiumpro")) {
            env->cpuid_version = 0x611;
            env->cpuid_ext2_features = 0;
            env->cpuid_ext_features = 0;          /* no SSE3 */
            env->cpuid_features &= ~((1u << 16) | (1u << 13) | (1u << 6) | (1u << 12) |
                                     (1u << 11) | (1u << 19) |      /* SEP, CLFLUSH */
                                     (1u << 23) | (1u << 24) | (1u << 25) | (1u << 26));
            env->cpuid_features |= (1u << 6) | (1u << 13) | (1u << 12);
        }
        const char *brand = "Vireo Virtual CPU version " VIREO_CPU_VERSION;
        strncpy(env->cpuid_model_id, brand, sizeof(env->cpuid_model_id) - 1);
    } else {
        *err = g_strdup_printf("unknown CPU model '%s' (use -cpu help)", model);
        goto fail;
    }

    for (gchar **p = parts + 1; *p; p++) {
        const char *f = *p;
        bool on;
        char *name;
        if (f[0] == '+' || f[0] == '-') {
            on = f[0] == '+';
            name = g_strdup(f + 1);
        } else if (strchr(f, '=')) {
            const char *val = strchr(f, '=') + 1;
            name = g_strndup(f, strchr(f, '=') - f);
            int r = cpu_property(env, name, val, err);
            if (r) {
                g_free(name);
                if (r < 0) {
                    goto fail;
                }
                continue;
            }
            if (!parse_bool(val, &on)) {
                *err = g_strdup_printf("invalid value '%s' for CPU feature '%s'", val, name);
                g_free(name);
                goto fail;
            }
        } else {
            on = true;
            name = g_strdup(f);
            int r = cpu_property(env, name, "on", err);   /* "host-phys-bits" alone */
            if (r) {
                g_free(name);
                if (r < 0) {
                    goto fail;
                }
                continue;
            }
        }
        /* QEMU's "check"/"enforce": warn or fail when a requested feature
         * cannot be provided.  Every feature Vireo lets a user ask for is
         * implemented (an unknown one is an error below), so both hold. */
        if (!strcmp(name, "check") || !strcmp(name, "enforce")) {
            g_free(name);
            continue;
        }
        const FeatureName *fn = NULL;
        for (size_t i = 0; i < G_N_ELEMENTS(features); i++) {
            if (!strcmp(features[i].name, name)) {
                fn = &features[i];
            }
        }
        if (!fn) {
            *err = g_strdup_printf("unknown CPU feature '%s'", name);
            g_free(name);
            goto fail;
        }
        if (on && fn->implemented && !feature_available(fn)) {
            *err = g_strdup_printf("CPU feature '%s' needs a host CPU that has it", name);
            g_free(name);
            goto fail;
        }
        if (on && !fn->implemented) {
            *err = g_strdup_printf("CPU feature '%s' is not implemented by Vireo", name);
            g_free(name);
            goto fail;
        }
        if (on) {
            *feature_word(env, fn->word) |= fn->bit;
        } else {
            *feature_word(env, fn->word) &= ~fn->bit;
        }
        g_free(name);
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
    uint64_t count = env->instr_count;
    uint32_t intr_line = env->interrupt_request & CPU_INTERRUPT_HARD;

    memset(env, 0, offsetof(CPUX86State, jmp_env));
    memcpy((uint8_t *)env + keep_from, saved + keep_from, keep_to - keep_from);
    env->intr_ack = ack;
    env->intr_opaque = ack_opaque;
    env->apic = apic;
    env->cpu_index = index;
    env->instr_count = count;
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

    x86_cpu_reset(env);
    env->fpu = fpu;
    env->tsc_offset = tsc_offset;
    env->pat = pat;
    env->smbase = smbase;
    env->mtrr_deftype = mtrr_deftype;
    memcpy(env->mtrr_fixed, mtrr_fixed, sizeof(mtrr_fixed));
    memcpy(env->mtrr_var, mtrr_var, sizeof(mtrr_var));
    env->interrupt_request |= keep_req;
}

void x86_cpu_set_a20(X86CPU *env, bool enabled)
{
    uint32_t mask = enabled ? ~0u : ~(1u << 20);
    if (mask != env->a20_mask) {
        env->a20_mask = mask;
        x86_cpu_tlb_flush_async(env);
    }
}

void x86_cpu_set_nmi(X86CPU *env)
{
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
