/*
 * A small AML (ACPI Machine Language) encoder for the DSDT, following the
 * grammar of ACPI 6.x section 20.  Objects are trees: a node is either a
 * finished byte sequence or a block (Scope, Device, Method, If, Else,
 * Package, Buffer, Field) whose PkgLength is computed when it is appended
 * to its parent.  aml_append() takes ownership of the child.
 *
 * Names are written as in ASL: "\\_SB.PCI0", "LNKA", "^PRQ0"; each segment
 * is padded to 4 characters with '_'.
 */
#ifndef HW_ACPI_AML_H
#define HW_ACPI_AML_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct Aml Aml;

/* A plain term list (the DSDT's body). */
Aml *aml_new(void);
void aml_free(Aml *a);
/* Encode child (a finished object or a closed block) at the end of parent. */
void aml_append(Aml *parent, Aml *child);
/* The encoding of a term list built with aml_new(). */
const uint8_t *aml_data(const Aml *a, size_t *len);

/* Data */
Aml *aml_int(uint64_t v);
Aml *aml_string(const char *s);
Aml *aml_eisaid(const char *id);          /* "PNP0A03" -> its compressed dword */
Aml *aml_name(const char *path);          /* a reference to a named object */
Aml *aml_arg(int n);
Aml *aml_local(int n);
Aml *aml_package(void);                   /* block; elements via aml_append */
Aml *aml_buffer(const uint8_t *data, size_t len);

/* Named objects */
Aml *aml_name_decl(const char *name, Aml *value);
Aml *aml_scope(const char *path);          /* block */
Aml *aml_device(const char *path);         /* block */
Aml *aml_method(const char *name, int nargs, bool serialized);  /* block */
enum { AML_SYSTEM_MEMORY = 0, AML_SYSTEM_IO = 1, AML_PCI_CONFIG = 2 };
Aml *aml_operation_region(const char *name, uint8_t space, uint64_t offset, uint64_t len);
/* Field access type (bits 3:0), lock rule (bit 4), update rule (bits 6:5). */
enum { AML_ANY_ACC = 0, AML_BYTE_ACC = 1, AML_WORD_ACC = 2, AML_DWORD_ACC = 3 };
enum { AML_PRESERVE = 0 << 5, AML_WRITE_AS_ONES = 1 << 5, AML_WRITE_AS_ZEROS = 2 << 5 };
Aml *aml_field(const char *region, uint8_t flags);       /* block */
void aml_field_unit(Aml *field, const char *name, unsigned bits);  /* name NULL: reserved */
Aml *aml_create_dword_field(Aml *buf, Aml *byte_index, const char *name);

/* Statements and expressions */
Aml *aml_return(Aml *v);
Aml *aml_if(Aml *predicate);               /* block */
Aml *aml_else(void);                       /* block; append right after its If */
Aml *aml_store(Aml *src, Aml *dst);
Aml *aml_and(Aml *a, Aml *b, Aml *target);  /* target NULL: none */
Aml *aml_or(Aml *a, Aml *b, Aml *target);
Aml *aml_lless(Aml *a, Aml *b);
Aml *aml_shiftleft(Aml *a, Aml *count);      /* no target: the value */
Aml *aml_notify(Aml *object, Aml *value);
/* Method invocation: the method must be declared earlier in the table,
 * so a parser knows its argument count. */
Aml *aml_call0(const char *method);
Aml *aml_call1(const char *method, Aml *arg);

/* Resource templates (ACPI 6.x section 6.4): append descriptors, then
 * aml_resource_template() ends the list and wraps it in a Buffer. */
typedef struct AmlResources AmlResources;
AmlResources *aml_res_new(void);
void aml_res_io(AmlResources *r, uint16_t base, uint8_t align, uint8_t len);
void aml_res_irq_noflags(AmlResources *r, uint16_t irq_mask);
/* Small DMA descriptor: 8-bit, compatibility timing, not a bus master (ISA
 * DMA as the floppy uses it); channel_mask bit n = channel n. */
void aml_res_dma(AmlResources *r, uint8_t channel_mask);
/* Extended interrupt: consumer, level, active-high, shared. */
void aml_res_interrupt(AmlResources *r, const uint32_t *irqs, int n);
void aml_res_memory32_fixed(AmlResources *r, uint32_t base, uint32_t len, bool writable);
void aml_res_word_bus(AmlResources *r, uint16_t min, uint16_t max);
void aml_res_word_io(AmlResources *r, uint16_t min, uint16_t max);
void aml_res_dword_memory(AmlResources *r, uint32_t min, uint32_t max, bool cacheable);
void aml_res_qword_memory(AmlResources *r, uint64_t min, uint64_t max, bool cacheable);
Aml *aml_resource_template(AmlResources *r);   /* frees r */

#endif
