/*
 * Fuzz RSM: the guest owns SMRAM, so the state save area RSM reloads is
 * guest input.  Each input enters SMM from a flat 32-bit protected-mode
 * state (the AMD64 map of the default qemu64 CPU), puts its bytes into the
 * save area (SMBASE + 0xfe00 .. 0xffff), XORed onto the saved state or in
 * its place, and runs the RSM at SMBASE + 0x8000 and whatever the loaded
 * state then executes, for a bounded number of instructions.  RSM must
 * either load a state the CPU can be in or shut down (a machine reset);
 * nothing may crash or hang.
 */
#include <string.h>

#include "hw/core/memory.h"
#include "hw/core/timer.h"
#include "system/runstate.h"
#include "target/x86/helper.h"
#include "fuzz-driver.h"

static const char *fuzz_name = "smm";
static X86CPU *cpu;

extern ShutdownCause runstate_reset_req, runstate_shutdown_req;

static void fuzz_setup(void)
{
    clock_virtual_set_manual(true);
    cpu = fuzz_machine(16 << 20);
}

static void fuzz_one(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return;
    }
    pc_machine_reset();
    tb_flush_all(NULL);
    uint8_t mode = data[0];
    data++;
    size--;
    if (size > 512) {
        size = 512;
    }

    CPUX86State *env = cpu;
    fuzz_flat32(env);
    env->regs[R_ESP] = 0x7000;
    env->eip = 0x7c00;
    static const uint8_t hlt = 0xf4;
    address_space_write(&address_space_memory, 0x7c00, &hlt, 1);

    /* SMI: the state goes to SMBASE 0x30000 (plain RAM: no SMRAM set up),
     * the handler is an RSM */
    do_smm_enter(env);
    static const uint8_t rsm[2] = { 0x0f, 0xaa };
    address_space_write(&address_space_memory, 0x38000, rsm, sizeof(rsm));
    uint8_t area[512];
    address_space_read(&address_space_memory, 0x3fe00, area, sizeof(area));
    for (size_t i = 0; i < size; i++) {
        area[i] = (mode & 1) ? area[i] ^ data[i] : data[i];
    }
    address_space_write(&address_space_memory, 0x3fe00, area, sizeof(area));

    for (int slice = 0; slice < 4; slice++) {
        CPUExitReason r = x86_cpu_exec(cpu, 5000);
        if (r == CPU_EXIT_RESET) {
            break;
        }
        clock_virtual_step(100000);
        timers_run_expired();
    }
    runstate_reset_req = runstate_shutdown_req = SHUTDOWN_CAUSE_NONE;
}
