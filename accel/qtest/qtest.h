/*
 * qtest: QEMU's test protocol, so device tests (ours in tests/qtest and
 * QEMU's own libqtest-based ones) drive Vireo's devices directly.
 * With the qtest accelerator no guest code runs and the virtual clock moves
 * only through clock_step/clock_set.
 */
#ifndef ACCEL_QTEST_QTEST_H
#define ACCEL_QTEST_QTEST_H

#include <glib.h>
#include <stdbool.h>

/* -qtest SPEC (a chardev spec: unix:PATH, tcp:HOST:PORT, chardev:ID) and
 * -qtest-log PATH|none (NULL: log to stderr, as QEMU). */
bool qtest_server_init(const char *spec, const char *log_path, GError **errp);
/* -accel qtest: manual virtual clock, no CPU execution. */
void qtest_set_accel(bool on);
bool qtest_enabled(void);
/* One command, already split into words (exposed for tests/fuzzing). */
void qtest_process_command(gchar **words);

#endif
