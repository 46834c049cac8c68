/*
 * Boot devices named by bootindex=: a list kept sorted by index, so the
 * order does not depend on the order devices were created in.
 */
#include "hw/core/bootdevice.h"

#include <string.h>

#include "util/error.h"

typedef struct BootEntry {
    int32_t index;
    char *path;
} BootEntry;

static GList *boot_entries;

static gint boot_entry_cmp(gconstpointer a, gconstpointer b)
{
    const BootEntry *x = a, *y = b;
    return x->index < y->index ? -1 : x->index > y->index;
}

bool bootdevice_check(int32_t bootindex, GError **errp)
{
    for (GList *l = boot_entries; bootindex >= 0 && l; l = l->next) {
        const BootEntry *e = l->data;
        if (e->index == bootindex) {
            vireo_set_error(errp, "The bootindex %d has already been used", bootindex);
            return false;
        }
    }
    return true;
}

bool bootdevice_add(int32_t bootindex, const char *path, GError **errp)
{
    if (bootindex < 0) {
        return true;
    }
    if (!bootdevice_check(bootindex, errp)) {
        return false;
    }
    BootEntry *e = g_new0(BootEntry, 1);
    e->index = bootindex;
    e->path = g_strdup(path);
    boot_entries = g_list_insert_sorted(boot_entries, e, boot_entry_cmp);
    return true;
}

char *bootdevice_list(bool halt, size_t *len)
{
    if (!boot_entries) {
        *len = 0;
        return NULL;
    }
    GString *s = g_string_new(NULL);
    for (GList *l = boot_entries; l; l = l->next) {
        const BootEntry *e = l->data;
        if (s->len) {
            g_string_append_c(s, '\n');
        }
        g_string_append(s, e->path);
    }
    if (halt) {
        g_string_append(s, "\nHALT");
    }
    *len = s->len + 1;
    return g_string_free(s, FALSE);
}

static GList *lchs_entries;       /* "PATH C H S" lines, creation order */

void bootdevice_add_lchs(const char *path, uint32_t cyls, uint32_t heads, uint32_t secs)
{
    lchs_entries = g_list_append(lchs_entries,
                                 g_strdup_printf("%s %u %u %u", path, cyls, heads, secs));
}

char *bootdevice_lchs_list(size_t *len)
{
    if (!lchs_entries) {
        *len = 0;
        return NULL;
    }
    GString *s = g_string_new(NULL);
    for (GList *l = lchs_entries; l; l = l->next) {
        g_string_append_printf(s, "%s\n", (const char *)l->data);
    }
    *len = s->len + 1;
    return g_string_free(s, FALSE);
}

/* path is prefix itself or below it ("PREFIX/..."); a geometry line
 * continues with a space */
static bool under(const char *path, const char *prefix)
{
    size_t n = strlen(prefix);
    return !strncmp(path, prefix, n) && (!path[n] || path[n] == '/' || path[n] == ' ');
}

void bootdevice_del_pci(const char *name, int devfn)
{
    g_autofree char *prefix = bootdevice_pci_path(name, devfn);
    for (GList *l = boot_entries, *next; l; l = next) {
        BootEntry *e = l->data;
        next = l->next;
        if (under(e->path, prefix)) {
            g_free(e->path);
            g_free(e);
            boot_entries = g_list_delete_link(boot_entries, l);
        }
    }
    for (GList *l = lchs_entries, *next; l; l = next) {
        next = l->next;
        if (under(l->data, prefix)) {
            g_free(l->data);
            lchs_entries = g_list_delete_link(lchs_entries, l);
        }
    }
}

char *bootdevice_pci_path(const char *name, int devfn)
{
    int slot = (devfn >> 3) & 0x1f, fn = devfn & 7;
    if (fn) {
        return g_strdup_printf("/pci@i0cf8/%s@%x,%x", name, slot, fn);
    }
    return g_strdup_printf("/pci@i0cf8/%s@%x", name, slot);
}

bool bootdevice_add_pci(int32_t bootindex, const char *name, int devfn, const char *suffix,
                        GError **errp)
{
    if (bootindex < 0) {
        return true;
    }
    g_autofree char *pci = bootdevice_pci_path(name, devfn);
    g_autofree char *path = g_strconcat(pci, suffix, NULL);
    return bootdevice_add(bootindex, path, errp);
}
