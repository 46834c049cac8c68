/*
 * Fuzz the CPU: the input is guest code.  It is placed in RAM and run in
 * real mode from 0000:7c00 for a bounded number of instructions, so the
 * decoder, every instruction handler, exception delivery and (through IN,
 * OUT and stores) the devices all see arbitrary bytes.  The first input
 * byte selects a few starting conditions (protected mode with flat
 * segments, paging off) so 32-bit code is reached too.
 */
#include <string.h>

#include "hw/core/memory.h"
#include "hw/core/timer.h"
#include "target/x86/helper.h"
#include "fuzz-driver.h"

static const char *fuzz_name = "code";
static X86CPU *cpu;

static void fuzz_setup(void)
{
    clock_virtual_set_manual(true);
    cpu = fuzz_machine(16 << 20);
}

static void fuzz_one(const uint8_t *data, size_t size)
{
    if (size < 2) {
        return;
    }
    pc_machine_reset();
    /* a reset keeps translated blocks (RAM keeps its bytes); blocks from
     * earlier inputs would pile up on the pages they ran from, and every
     * store to such a page would scan them all */
    tb_flush_all(NULL);
    uint8_t mode = data[0];
    data++;
    size--;
    if (size > 4096) {
        size = 4096;
    }
    /* a real-mode IVT pointing every vector at an IRET, so faults return */
    static uint8_t ivt[1024];
    for (int v = 0; v < 256; v++) {
        ivt[v * 4] = 0x00; ivt[v * 4 + 1] = 0x05;   /* 0000:0500 */
        ivt[v * 4 + 2] = 0; ivt[v * 4 + 3] = 0;
    }
    address_space_write(&address_space_memory, 0, ivt, sizeof(ivt));
    uint8_t iret = 0xcf;
    address_space_write(&address_space_memory, 0x500, &iret, 1);
    address_space_write(&address_space_memory, 0x7c00, data, size);

    CPUX86State *env = cpu;
    cpu_x86_load_seg_real(env, R_CS, 0);
    cpu_x86_load_seg_real(env, R_SS, 0);
    cpu_x86_load_seg_real(env, R_DS, 0);
    env->regs[R_ESP] = 0x7000;
    env->eip = 0x7c00;
    if (mode & 1) {
        fuzz_flat32(env);
        env->idt.base = 0;
        env->idt.limit = 0;                         /* every fault escalates: triple fault path */
    }
    for (int slice = 0; slice < 4; slice++) {
        CPUExitReason r = x86_cpu_exec(cpu, 5000);
        if (r == CPU_EXIT_RESET) {
            break;
        }
        clock_virtual_step(100000);
        timers_run_expired();
    }
}
