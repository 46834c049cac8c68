/*
 * A small libqtest of our own (GLib only): starts build/vireo as QEMU's
 * libqtest does (the test listens on a unix socket, Vireo connects with
 * -qtest unix:PATH and runs -accel qtest), speaks the qtest protocol and
 * records asynchronous "IRQ raise/lower N" lines.  QMP runs on a second
 * socket (-chardev socket,...,id=char0 -mon chardev=char0,mode=control),
 * negotiated at start as QEMU's libqtest does.
 * VIREO_BINARY overrides the binary (default $BUILD/vireo, BUILD=build).
 */
#ifndef TESTS_QTEST_LIBQTEST_H
#define TESTS_QTEST_LIBQTEST_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct QTestState QTestState;

/* Start Vireo with these extra arguments (shell-like words). */
QTestState *qtest_start(const char *extra_args);
/* QMP (char0, negotiated by qtest_start): send one command and return the
 * reply line, skipping events; or receive the next line, events included. */
char *qtest_qmp(QTestState *s, const char *json);
char *qtest_qmp_recv(QTestState *s);
/* SIGTERM, wait; asserts Vireo exited with status 0. */
void qtest_quit(QTestState *s);

/* Send one command line, return the reply line (without '\n'; g_free it). */
char *qtest_cmd(QTestState *s, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* Send and assert the reply starts with "OK"; returns the value after "OK " or 0. */
uint64_t qtest_ok(QTestState *s, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

uint8_t qtest_inb(QTestState *s, uint16_t port);
uint16_t qtest_inw(QTestState *s, uint16_t port);
uint32_t qtest_inl(QTestState *s, uint16_t port);
void qtest_outb(QTestState *s, uint16_t port, uint8_t v);
void qtest_outw(QTestState *s, uint16_t port, uint16_t v);
void qtest_outl(QTestState *s, uint16_t port, uint32_t v);
uint8_t qtest_readb(QTestState *s, uint64_t addr);
uint32_t qtest_readl(QTestState *s, uint64_t addr);
uint64_t qtest_readq(QTestState *s, uint64_t addr);
void qtest_writeb(QTestState *s, uint64_t addr, uint8_t v);
void qtest_writel(QTestState *s, uint64_t addr, uint32_t v);
void qtest_writeq(QTestState *s, uint64_t addr, uint64_t v);
void qtest_memread(QTestState *s, uint64_t addr, void *buf, size_t len);
void qtest_memwrite(QTestState *s, uint64_t addr, const void *buf, size_t len);
int64_t qtest_clock_step(QTestState *s, int64_t ns);     /* ns < 0: to the next deadline */
int64_t qtest_clock_set(QTestState *s, int64_t ns);
void qtest_irq_intercept_in(QTestState *s, const char *path);
void qtest_irq_intercept_out(QTestState *s, const char *path);
/* Level of intercepted line n as last reported (IRQ lines read so far). */
bool qtest_get_irq(QTestState *s, int n);
/* How many "IRQ raise n" lines have arrived so far. */
unsigned qtest_irq_raises(QTestState *s, int n);
/* Send a command after which Vireo is expected to exit; returns its exit status. */
int qtest_cmd_expect_exit(QTestState *s, const char *cmd);
/* PCI config space through ports 0xcf8/0xcfc (bus 0). */
uint32_t qtest_pci_readl(QTestState *s, int devfn, int reg);
uint8_t qtest_pci_readb(QTestState *s, int devfn, int reg);
void qtest_pci_writeb(QTestState *s, int devfn, int reg, uint8_t v);
void qtest_pci_writew(QTestState *s, int devfn, int reg, uint16_t v);
void qtest_pci_writel(QTestState *s, int devfn, int reg, uint32_t v);

#endif
