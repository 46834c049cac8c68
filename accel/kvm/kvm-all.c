/*
 * The KVM accelerator: guest code runs on the host CPU through /dev/kvm
 * (the KVM API, Documentation/virt/kvm/api.rst in Linux).
 *
 * - Memory: every RAM and ROM range of the flattened system address space
 *   is a KVM memory slot pointing at the same host memory TCG uses; the
 *   slots are rebuilt from the memory listener after every change (PAM,
 *   BARs, the APIC window).  ROM is a read-only slot, so writes to it exit
 *   as MMIO and reach the device (or are dropped), as under TCG.
 * - Exits: port I/O and MMIO go to the same address spaces the devices are
 *   registered in; HLT returns to the main loop until an interrupt arrives;
 *   a triple fault (SHUTDOWN) asks for a machine reset.
 * - Interrupts: the PIC, IOAPIC and local APIC stay Vireo's (no in-kernel
 *   irqchip): a pending vector is injected with KVM_INTERRUPT when the
 *   guest can take it, otherwise KVM is asked for an interrupt window.
 * - Registers: general, segment, control and the MSRs Vireo models are
 *   copied into KVM before each KVM_RUN and back after it, so monitors, gdb
 *   and the device models see CPUX86State as under TCG.  The x87/SSE state
 *   stays in the kernel (not copied).
 * - Time: KVM_RUN blocks the thread, so a POSIX timer interrupts it (via
 *   kvm_run.immediate_exit) at the next virtual-timer deadline or after
 *   10 ms, and the main loop runs its timers, chardevs and bottom halves.
 *
 * Without /dev/kvm, init fails with one line and -accel kvm:tcg falls back.
 */
#include "accel/accel.h"

#include "config-host.h"

#ifdef CONFIG_KVM

#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "hw/core/memory.h"
#include "hw/core/timer.h"
#include "hw/intc/apic.h"
#include "system/runstate.h"
#include "target/x86/helper.h"
#include "util/error.h"
#include "util/log.h"

#define KVM_MAX_SLOTS 256
#define KVM_SLICE_NS (10 * 1000 * 1000)
#define KVM_KICK_SIGNAL SIGUSR2

typedef struct KVMSlot {
    uint64_t start, size;
    void *host;
    bool readonly;
} KVMSlot;

static struct {
    int fd, vm_fd, vcpu_fd;
    struct kvm_run *run;
    size_t run_size;
    KVMSlot slots[KVM_MAX_SLOTS];
    unsigned nr_slots, max_slots;
    bool readonly_mem;              /* KVM_CAP_READONLY_MEM */
    timer_t kick_timer;
    struct kvm_cpuid2 *supported;   /* KVM_GET_SUPPORTED_CPUID */
} kvm = { .fd = -1, .vm_fd = -1, .vcpu_fd = -1 };

static volatile sig_atomic_t kick_pending;

/* ---- memory slots from the flattened system address space ---- */

static int set_slot(unsigned id, const KVMSlot *s)
{
    struct kvm_userspace_memory_region r = {
        .slot = id,
        .flags = s && s->readonly ? KVM_MEM_READONLY : 0,
        .guest_phys_addr = s ? s->start : 0,
        .memory_size = s ? s->size : 0,         /* 0 deletes the slot */
        .userspace_addr = s ? (uint64_t)(uintptr_t)s->host : 0,
    };
    return ioctl(kvm.vm_fd, KVM_SET_USER_MEMORY_REGION, &r);
}

static void kvm_memory_changed(AddressSpace *as, void *opaque)
{
    if (as != &address_space_memory || kvm.vm_fd < 0) {
        return;
    }
    KVMSlot want[KVM_MAX_SLOTS];
    unsigned n = 0;
    const FlatView *v = as->view;
    for (unsigned i = 0; v && i < v->nr; i++) {
        const FlatRange *r = &v->ranges[i];
        if ((r->mr->type != MR_RAM && r->mr->type != MR_ROM) || !r->mr->ram) {
            continue;               /* MMIO and holes exit to us */
        }
        bool ro = r->readonly || r->mr->type == MR_ROM;
        if (ro && !kvm.readonly_mem) {
            continue;               /* without read-only slots, ROM is MMIO */
        }
        void *host = r->mr->ram + r->offset;
        /* KVM slots are page-granular: a range that is not stays MMIO */
        if ((r->start | r->size | (uintptr_t)host) & 0xfff) {
            continue;
        }
        if (n > 0 && want[n - 1].start + want[n - 1].size == r->start &&
            (uint8_t *)want[n - 1].host + want[n - 1].size == host && want[n - 1].readonly == ro) {
            want[n - 1].size += r->size;            /* merge contiguous runs */
            continue;
        }
        if (n == kvm.max_slots) {
            /* the rest stays MMIO: slower, still correct */
            vlog(LOG_UNIMP, "kvm: more than %u memory slots; 0x%" PRIx64 " stays MMIO\n",
                 kvm.max_slots, r->start);
            continue;
        }
        want[n++] = (KVMSlot){ .start = r->start, .size = r->size, .host = host, .readonly = ro };
    }
    /* a slot cannot be resized in place: delete every one that changed */
    for (unsigned i = 0; i < kvm.nr_slots; i++) {
        if (i >= n || memcmp(&kvm.slots[i], &want[i], sizeof(KVMSlot))) {
            set_slot(i, NULL);
        }
    }
    for (unsigned i = 0; i < n; i++) {
        if (i >= kvm.nr_slots || memcmp(&kvm.slots[i], &want[i], sizeof(KVMSlot))) {
            if (set_slot(i, &want[i]) < 0) {
                warn_report("kvm: cannot map guest memory at 0x%" PRIx64 " (+0x%" PRIx64 "): %s",
                            want[i].start, want[i].size, strerror(errno));
                want[i].size = 0;       /* accessed as MMIO from now on */
            }
        }
    }
    memcpy(kvm.slots, want, n * sizeof(KVMSlot));
    kvm.nr_slots = n;
}

/* ---- kick: a timer signal ends KVM_RUN ---- */

static void kick_handler(int sig)
{
    kick_pending = 1;
    if (kvm.run) {
        kvm.run->immediate_exit = 1;    /* also covers a signal just before KVM_RUN */
    }
}

static void arm_kick_timer(void)
{
    int64_t ns = timers_next_deadline_ns();
    if (ns < 0 || ns > KVM_SLICE_NS) {
        ns = KVM_SLICE_NS;
    }
    if (ns < 10000) {
        ns = 10000;
    }
    struct itimerspec it = { .it_value = { .tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000 } };
    timer_settime(kvm.kick_timer, 0, &it, NULL);
}

static void kvm_vcpu_kick(X86CPU *cpu)
{
    x86_cpu_kick(cpu);
    if (kvm.run) {
        kvm.run->immediate_exit = 1;
    }
}

/* ---- init ---- */

static bool kvm_init(GError **errp)
{
    kvm.fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm.fd < 0) {
        vireo_set_error(errp, "Could not access KVM kernel module: %s", strerror(errno));
        return false;
    }
    int api = ioctl(kvm.fd, KVM_GET_API_VERSION, 0);
    if (api != KVM_API_VERSION) {
        vireo_set_error(errp, "kvm: API version %d, Vireo needs %d", api, KVM_API_VERSION);
        goto fail;
    }
    if (ioctl(kvm.fd, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY) <= 0 ||
        ioctl(kvm.fd, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT) <= 0) {
        vireo_set_error(errp, "kvm: the host kernel lacks user memory or immediate exit");
        goto fail;
    }
    kvm.readonly_mem = ioctl(kvm.fd, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM) > 0;
    int slots = ioctl(kvm.fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS);
    kvm.max_slots = slots > 0 && slots < KVM_MAX_SLOTS ? slots : KVM_MAX_SLOTS;
    do {
        kvm.vm_fd = ioctl(kvm.fd, KVM_CREATE_VM, 0);
    } while (kvm.vm_fd < 0 && errno == EINTR);
    if (kvm.vm_fd < 0) {
        vireo_set_error(errp, "kvm: cannot create a VM: %s", strerror(errno));
        goto fail;
    }
    /* Intel VMX needs three pages for the real-mode TSS and one for the
     * identity page table, below 4 GiB and outside RAM: just under the BIOS */
    if (ioctl(kvm.vm_fd, KVM_SET_TSS_ADDR, 0xfeffd000UL) < 0) {
        vireo_set_error(errp, "kvm: KVM_SET_TSS_ADDR: %s", strerror(errno));
        goto fail;
    }
    uint64_t ident = 0xfeffc000;
    ioctl(kvm.vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &ident);
    /* what the host's KVM can offer the guest, to filter our CPUID */
    for (int nent = 128; nent <= 4096; nent *= 2) {
        kvm.supported = g_malloc0(sizeof(*kvm.supported) + nent * sizeof(struct kvm_cpuid_entry2));
        kvm.supported->nent = nent;
        if (ioctl(kvm.fd, KVM_GET_SUPPORTED_CPUID, kvm.supported) == 0) {
            break;
        }
        g_clear_pointer(&kvm.supported, g_free);
        if (errno != E2BIG) {
            break;
        }
    }
    struct sigaction sa = { .sa_handler = kick_handler };   /* no SA_RESTART */
    sigemptyset(&sa.sa_mask);
    sigaction(KVM_KICK_SIGNAL, &sa, NULL);
    struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = KVM_KICK_SIGNAL };
    if (timer_create(CLOCK_MONOTONIC, &sev, &kvm.kick_timer) < 0) {
        vireo_set_error(errp, "kvm: timer_create: %s", strerror(errno));
        goto fail;
    }
    memory_listener_register(kvm_memory_changed, NULL);
    return true;
fail:
    if (kvm.vm_fd >= 0) {
        close(kvm.vm_fd);
        kvm.vm_fd = -1;
    }
    close(kvm.fd);
    kvm.fd = -1;
    return false;
}

/* CPUID as the model answers it, through the instruction's own helper. */
static void model_cpuid(X86CPU *env, uint32_t leaf, uint32_t sub, struct kvm_cpuid_entry2 *e)
{
    uint64_t save[4] = { env->regs[R_EAX], env->regs[R_EBX], env->regs[R_ECX], env->regs[R_EDX] };
    env->regs[R_EAX] = leaf;
    env->regs[R_ECX] = sub;
    helper_cpuid(env);
    *e = (struct kvm_cpuid_entry2){
        .function = leaf, .index = sub,
        .eax = env->regs[R_EAX], .ebx = env->regs[R_EBX],
        .ecx = env->regs[R_ECX], .edx = env->regs[R_EDX],
    };
    env->regs[R_EAX] = save[0]; env->regs[R_EBX] = save[1];
    env->regs[R_ECX] = save[2]; env->regs[R_EDX] = save[3];
}

/* Feature registers keep only what the host's KVM supports too. */
static void filter_cpuid(struct kvm_cpuid_entry2 *e)
{
    if (!kvm.supported || (e->function != 1 && e->function != 7 && e->function != 0x80000001)) {
        return;
    }
    for (uint32_t i = 0; i < kvm.supported->nent; i++) {
        const struct kvm_cpuid_entry2 *s = &kvm.supported->entries[i];
        if (s->function == e->function && s->index == e->index) {
            e->ecx &= s->ecx;
            e->edx &= s->edx;
            if (e->function == 7) {
                e->ebx &= s->ebx;
            }
            return;
        }
    }
}

static bool kvm_vcpu_init(X86CPU *env, GError **errp)
{
    if (kvm.vcpu_fd >= 0) {
        vireo_set_error(errp, "kvm: one vCPU only for now (use -smp 1, or -accel tcg for -smp %d)",
                        env->cpu_index + 1);
        return false;
    }
    kvm.vcpu_fd = ioctl(kvm.vm_fd, KVM_CREATE_VCPU, (unsigned long)env->cpu_index);
    if (kvm.vcpu_fd < 0) {
        vireo_set_error(errp, "kvm: cannot create vCPU %d: %s", env->cpu_index, strerror(errno));
        return false;
    }
    int size = ioctl(kvm.fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (size < (int)sizeof(struct kvm_run)) {
        vireo_set_error(errp, "kvm: KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
        return false;
    }
    kvm.run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, kvm.vcpu_fd, 0);
    if (kvm.run == MAP_FAILED) {
        kvm.run = NULL;
        vireo_set_error(errp, "kvm: cannot map the vCPU's run area: %s", strerror(errno));
        return false;
    }
    kvm.run_size = size;

    /* CPUID: basic and extended leaves of the model; leaves with subleaves
     * (4, 7, 0xb, 0xd) get their first four, marked index-significant */
    enum { MAX_ENT = 128 };
    struct kvm_cpuid2 *c = g_malloc0(sizeof(*c) + MAX_ENT * sizeof(struct kvm_cpuid_entry2));
    struct kvm_cpuid_entry2 e;
    model_cpuid(env, 0, 0, &e);
    uint32_t level = e.eax;
    model_cpuid(env, 0x80000000, 0, &e);
    uint32_t xlevel = e.eax;
    for (uint32_t leaf = 0; leaf <= xlevel && c->nent < MAX_ENT; ) {
        bool sub = leaf == 4 || leaf == 7 || leaf == 0xb || leaf == 0xd;
        for (uint32_t s = 0; s < (sub ? 4u : 1u) && c->nent < MAX_ENT; s++) {
            struct kvm_cpuid_entry2 *ent = &c->entries[c->nent++];
            model_cpuid(env, leaf, s, ent);
            if (sub) {
                ent->flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
            }
            filter_cpuid(ent);
        }
        leaf = leaf == level ? 0x80000000 : leaf + 1;
        if (leaf > level && leaf < 0x80000000) {
            leaf = 0x80000000;
        }
    }
    int r = ioctl(kvm.vcpu_fd, KVM_SET_CPUID2, c);
    g_free(c);
    if (r < 0) {
        vireo_set_error(errp, "kvm: KVM_SET_CPUID2: %s", strerror(errno));
        return false;
    }
    return true;
}

/* ---- register state ---- */

static void seg_to_kvm(const SegmentCache *s, struct kvm_segment *k)
{
    *k = (struct kvm_segment){
        .base = s->base, .limit = s->limit, .selector = s->selector,
        .type = (s->flags >> DESC_TYPE_SHIFT) & 15,
        .present = !!(s->flags & DESC_P_MASK),
        .dpl = (s->flags >> DESC_DPL_SHIFT) & 3,
        .db = !!(s->flags & DESC_B_MASK), .s = !!(s->flags & DESC_S_MASK),
        .l = !!(s->flags & DESC_L_MASK), .g = !!(s->flags & DESC_G_MASK),
        .avl = !!(s->flags & DESC_AVL_MASK),
        .unusable = !(s->flags & DESC_P_MASK),
    };
}

static void seg_from_kvm(SegmentCache *s, const struct kvm_segment *k)
{
    s->selector = k->selector;
    s->base = k->base;
    s->limit = k->limit;
    s->flags = (k->type << DESC_TYPE_SHIFT) | (k->present && !k->unusable ? DESC_P_MASK : 0) |
               (k->dpl << DESC_DPL_SHIFT) | (k->db ? DESC_B_MASK : 0) |
               (k->s ? DESC_S_MASK : 0) | (k->l ? DESC_L_MASK : 0) |
               (k->g ? DESC_G_MASK : 0) | (k->avl ? DESC_AVL_MASK : 0);
}

static const uint32_t synced_msrs[] = {
    0x174, 0x175, 0x176,                            /* SYSENTER_CS/ESP/EIP */
    0x277,                                          /* PAT */
    0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084, /* STAR, LSTAR, CSTAR, FMASK */
    0xc0000102,                                     /* KERNEL_GS_BASE */
};

static uint64_t *msr_field(X86CPU *env, uint32_t msr)
{
    switch (msr) {
    case 0x175: return &env->sysenter_esp;
    case 0x176: return &env->sysenter_eip;
    case 0x277: return &env->pat;
    case 0xc0000081: return &env->star;
    case 0xc0000082: return &env->lstar;
    case 0xc0000083: return &env->cstar;
    case 0xc0000084: return &env->fmask;
    default: return &env->kernelgsbase;
    }
}

/* struct kvm_regs starts with rax rbx rcx rdx rsi rdi rsp rbp r8..r15 */
static const int kvm_gp_order[16] = { R_EAX, R_EBX, R_ECX, R_EDX, R_ESI, R_EDI, R_ESP, R_EBP,
                                      8, 9, 10, 11, 12, 13, 14, 15 };

static void kvm_state_put(X86CPU *env)
{
    struct kvm_regs r = { .rflags = cpu_compute_eflags(env), .rip = env->eip };
    __u64 *gp = &r.rax;
    for (int i = 0; i < 16; i++) {
        gp[i] = env->regs[kvm_gp_order[i]];
    }
    ioctl(kvm.vcpu_fd, KVM_SET_REGS, &r);

    struct kvm_sregs s = { 0 };
    struct kvm_segment *segs[6] = { &s.es, &s.cs, &s.ss, &s.ds, &s.fs, &s.gs };
    for (int i = 0; i < 6; i++) {
        seg_to_kvm(&env->segs[i], segs[i]);
    }
    seg_to_kvm(&env->ldt, &s.ldt);
    seg_to_kvm(&env->tr, &s.tr);
    s.gdt.base = env->gdt.base; s.gdt.limit = env->gdt.limit;
    s.idt.base = env->idt.base; s.idt.limit = env->idt.limit;
    s.cr0 = env->cr[0]; s.cr2 = env->cr2; s.cr3 = env->cr[3]; s.cr4 = env->cr[4];
    s.efer = env->efer;
    if (env->apic) {
        s.apic_base = apic_get_base(env->apic);
        s.cr8 = apic_get_tpr_cr8(env->apic);
    }
    ioctl(kvm.vcpu_fd, KVM_SET_SREGS, &s);

    struct {
        struct kvm_msrs hdr;
        struct kvm_msr_entry e[G_N_ELEMENTS(synced_msrs)];
    } m = { .hdr.nmsrs = G_N_ELEMENTS(synced_msrs) };
    for (size_t i = 0; i < G_N_ELEMENTS(synced_msrs); i++) {
        m.e[i].index = synced_msrs[i];
        m.e[i].data = synced_msrs[i] == 0x174 ? env->sysenter_cs : *msr_field(env, synced_msrs[i]);
    }
    ioctl(kvm.vcpu_fd, KVM_SET_MSRS, &m);
}

static void kvm_state_get(X86CPU *env)
{
    struct kvm_regs r;
    if (ioctl(kvm.vcpu_fd, KVM_GET_REGS, &r) == 0) {
        __u64 *gp = &r.rax;
        for (int i = 0; i < 16; i++) {
            env->regs[kvm_gp_order[i]] = gp[i];
        }
        env->eip = r.rip;
        env->cc_op = CC_OP_EFLAGS;
        env->eflags = (uint32_t)r.rflags | 2;
    }
    struct kvm_sregs s;
    if (ioctl(kvm.vcpu_fd, KVM_GET_SREGS, &s) == 0) {
        struct kvm_segment *segs[6] = { &s.es, &s.cs, &s.ss, &s.ds, &s.fs, &s.gs };
        for (int i = 0; i < 6; i++) {
            seg_from_kvm(&env->segs[i], segs[i]);
        }
        seg_from_kvm(&env->ldt, &s.ldt);
        seg_from_kvm(&env->tr, &s.tr);
        env->gdt.base = s.gdt.base; env->gdt.limit = s.gdt.limit;
        env->idt.base = s.idt.base; env->idt.limit = s.idt.limit;
        env->cr[0] = s.cr0; env->cr2 = s.cr2; env->cr[2] = (uint32_t)s.cr2;
        env->cr[3] = s.cr3; env->cr[4] = s.cr4;
        env->efer = s.efer;
        if (env->apic) {
            apic_set_tpr_cr8(env->apic, s.cr8);
        }
    }
    struct {
        struct kvm_msrs hdr;
        struct kvm_msr_entry e[G_N_ELEMENTS(synced_msrs)];
    } m = { .hdr.nmsrs = G_N_ELEMENTS(synced_msrs) };
    for (size_t i = 0; i < G_N_ELEMENTS(synced_msrs); i++) {
        m.e[i].index = synced_msrs[i];
    }
    int n = ioctl(kvm.vcpu_fd, KVM_GET_MSRS, &m);
    for (int i = 0; i < n; i++) {
        if (m.e[i].index == 0x174) {
            env->sysenter_cs = m.e[i].data;
        } else {
            *msr_field(env, m.e[i].index) = m.e[i].data;
        }
    }
    cpu_update_hflags(env);     /* CPL, modes: what the monitor and gdb show */
}

/* ---- the run loop ---- */

static void do_io(struct kvm_run *run)
{
    uint8_t *data = (uint8_t *)run + run->io.data_offset;
    unsigned size = run->io.size;
    for (uint32_t i = 0; i < run->io.count; i++, data += size) {
        if (run->io.direction == KVM_EXIT_IO_OUT) {
            uint64_t v = 0;
            memcpy(&v, data, size);
            address_space_st(&address_space_io, run->io.port, v, size);
        } else {
            uint64_t v = address_space_ld(&address_space_io, run->io.port, size);
            memcpy(data, &v, size);
        }
    }
}

static void do_mmio(struct kvm_run *run)
{
    unsigned len = run->mmio.len;
    if (len != 1 && len != 2 && len != 4 && len != 8) {
        /* not a single access (a string move across MMIO): byte by byte */
        for (unsigned i = 0; i < len && i < sizeof(run->mmio.data); i++) {
            if (run->mmio.is_write) {
                address_space_st(&address_space_memory, run->mmio.phys_addr + i,
                                 run->mmio.data[i], 1);
            } else {
                run->mmio.data[i] = address_space_ld(&address_space_memory,
                                                     run->mmio.phys_addr + i, 1);
            }
        }
        return;
    }
    uint64_t v = 0;
    if (run->mmio.is_write) {
        memcpy(&v, run->mmio.data, len);
        address_space_st(&address_space_memory, run->mmio.phys_addr, v, len);
    } else {
        v = address_space_ld(&address_space_memory, run->mmio.phys_addr, len);
        memcpy(run->mmio.data, &v, len);
    }
}

/* A pending interrupt goes in when the guest can take it; otherwise KVM
 * exits as soon as it can (interrupt window). */
static void inject_interrupts(X86CPU *env, struct kvm_run *run)
{
    if (env->interrupt_request & CPU_INTERRUPT_NMI) {
        __atomic_fetch_and(&env->interrupt_request, ~CPU_INTERRUPT_NMI, __ATOMIC_SEQ_CST);
        ioctl(kvm.vcpu_fd, KVM_NMI);
    }
    run->request_interrupt_window = 0;
    if (!(env->interrupt_request & CPU_INTERRUPT_HARD) || !env->intr_ack) {
        return;
    }
    if (run->ready_for_interrupt_injection && (run->if_flag)) {
        int vector = env->intr_ack(env->intr_opaque);
        if (vector >= 0) {
            struct kvm_interrupt irq = { .irq = vector };
            ioctl(kvm.vcpu_fd, KVM_INTERRUPT, &irq);
        }
    } else {
        run->request_interrupt_window = 1;
    }
}

static bool interrupt_deliverable(X86CPU *env)
{
    return (env->interrupt_request & CPU_INTERRUPT_NMI) ||
           ((env->interrupt_request & CPU_INTERRUPT_HARD) && (env->eflags & IF_MASK));
}

static CPUExitReason kvm_vcpu_exec(X86CPU *env, int64_t budget)
{
    struct kvm_run *run = kvm.run;
    if (env->hflags & HF_HALTED) {
        if (!interrupt_deliverable(env)) {
            return CPU_EXIT_HALTED;
        }
        env->hflags &= ~HF_HALTED;
    }
    kvm_state_put(env);
    CPUExitReason why = CPU_EXIT_BUDGET;
    kick_pending = 0;
    arm_kick_timer();
    for (;;) {
        if (env->interrupt_request & CPU_INTERRUPT_EXIT) {
            __atomic_fetch_and(&env->interrupt_request, ~CPU_INTERRUPT_EXIT, __ATOMIC_SEQ_CST);
            why = CPU_EXIT_KICKED;
            break;
        }
        inject_interrupts(env, run);
        int r = ioctl(kvm.vcpu_fd, KVM_RUN, 0);
        if (r < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                run->immediate_exit = 0;
                break;                  /* the slice is over: main-loop work */
            }
            warn_report("kvm: KVM_RUN failed: %s", strerror(errno));
            vm_stop_state(RUN_STATE_INTERNAL_ERROR);
            break;
        }
        switch (run->exit_reason) {
        case KVM_EXIT_IO:
            do_io(run);
            continue;
        case KVM_EXIT_MMIO:
            do_mmio(run);
            continue;
        case KVM_EXIT_IRQ_WINDOW_OPEN:
            continue;
        case KVM_EXIT_INTR:
            break;
        case KVM_EXIT_HLT:
            env->hflags |= HF_HALTED;
            why = CPU_EXIT_HALTED;
            break;
        case KVM_EXIT_SHUTDOWN:
            why = CPU_EXIT_RESET;       /* triple fault */
            break;
        case KVM_EXIT_FAIL_ENTRY:
            warn_report("kvm: VM entry failed (hardware reason 0x%llx)",
                        (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
            vm_stop_state(RUN_STATE_INTERNAL_ERROR);
            break;
        case KVM_EXIT_INTERNAL_ERROR:
            warn_report("kvm: internal error, suberror %u", run->internal.suberror);
            vm_stop_state(RUN_STATE_INTERNAL_ERROR);
            break;
        default:
            warn_report("kvm: unhandled exit reason %u", run->exit_reason);
            vm_stop_state(RUN_STATE_INTERNAL_ERROR);
            break;
        }
        break;
    }
    struct itimerspec off = { 0 };
    timer_settime(kvm.kick_timer, 0, &off, NULL);
    run->immediate_exit = 0;
    kvm_state_get(env);
    if (why == CPU_EXIT_HALTED && interrupt_deliverable(env)) {
        env->hflags &= ~HF_HALTED;      /* an interrupt came while it halted */
        why = CPU_EXIT_BUDGET;
    }
    return why;
}

static const AccelOps kvm_accel = {
    .name = "kvm",
    .desc = "the host CPU through /dev/kvm",
    .init = kvm_init,
    .vcpu_init = kvm_vcpu_init,
    .vcpu_exec = kvm_vcpu_exec,
    .vcpu_kick = kvm_vcpu_kick,
    .state_get = kvm_state_get,
    .state_put = kvm_state_put,
};
ACCEL_REGISTER(kvm_accel)

#endif /* CONFIG_KVM */
