/*
 * NMI delivery on the real CPU (system + instruction layers): while an
 * NMI handler runs, a second NMI is held until the handler's IRET
 * (Intel SDM vol. 3, 6.7.1), then delivered.
 */
#include <glib.h>
#include <string.h>

#include "hw/core/memory.h"
#include "target/x86/helper.h"

static MemoryRegion ram;

static uint8_t peek(hwaddr a) { return address_space_ld(&address_space_memory, a, 1); }

static void test_nmi_blocking(void)
{
    memory_region_init_ram(&ram, "ram", 1 << 20);
    memory_region_add_subregion(address_space_memory.root, 0, &ram);
    static const uint8_t handler[] = {
        0xfe, 0x06, 0x00, 0x06,             /* inc byte [0x600]          */
        0x80, 0x3e, 0x01, 0x06, 0x00,       /* spin: cmp byte [0x601], 0 */
        0x74, 0xf9,                         /* je spin                   */
        0xc6, 0x06, 0x01, 0x06, 0x00,       /* mov byte [0x601], 0       */
        0xcf,                               /* iret                      */
    };
    static const uint8_t main_loop[] = { 0xeb, 0xfe };   /* jmp $ */
    const uint8_t ivt_nmi[4] = { 0x00, 0x08, 0x00, 0x00 };  /* 0000:0800 */
    address_space_write(&address_space_memory, 2 * 4, ivt_nmi, 4);
    address_space_write(&address_space_memory, 0x800, handler, sizeof(handler));
    address_space_write(&address_space_memory, 0x7c00, main_loop, sizeof(main_loop));

    char *err = NULL;
    X86CPU *cpu = x86_cpu_new(NULL, &err);
    g_assert_null(err);
    cpu_x86_load_seg_real(cpu, R_CS, 0);
    cpu_x86_load_seg_real(cpu, R_SS, 0);
    cpu_x86_load_seg_real(cpu, R_DS, 0);
    cpu->regs[R_ESP] = 0x7000;
    cpu->eip = 0x7c00;

    x86_cpu_exec(cpu, 1000);
    g_assert_cmpint(peek(0x600), ==, 0);

    x86_cpu_set_nmi(cpu);
    x86_cpu_exec(cpu, 1000);
    g_assert_cmpint(peek(0x600), ==, 1);            /* in the handler, spinning */

    x86_cpu_set_nmi(cpu);
    x86_cpu_exec(cpu, 1000);
    g_assert_cmpint(peek(0x600), ==, 1);            /* held: no IRET yet */

    address_space_st(&address_space_memory, 0x601, 1, 1);   /* let the handler IRET */
    x86_cpu_exec(cpu, 1000);
    g_assert_cmpint(peek(0x600), ==, 2);            /* the held NMI came in after IRET */
    g_assert_cmpuint(cpu->eip, >=, 0x800);
    g_assert_cmpuint(cpu->eip, <, 0x800 + sizeof(handler));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/cpu/nmi-blocking", test_nmi_blocking);
    return g_test_run();
}
