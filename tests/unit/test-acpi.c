/*
 * ACPI tables: found the way Linux finds them (RSDP scan of 0xe0000-0xfffff),
 * checksums and lengths of every table, MADT entries for 1, 2, 64 and 255
 * CPUs, FADT hardware-reduced sleep registers, MCFG, and a DSDT whose AML is
 * walked by an independent decoder (PkgLength encodings, names, packages,
 * buffers and the resource descriptors inside them), and the host bridge's
 * _OSC run by a small AML interpreter of the test's own.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "acpi.h"
#include "bytes.h"
#include "memory-map.h"

#define RAM (64 * MiB)

struct vm {
	struct guest_mem mem;
	uint8_t *ram;
};

static void vm_init(struct vm *vm)
{
	memset(vm, 0, sizeof(*vm));
	vm->ram = calloc(1, RAM);
	assert_non_null(vm->ram);
	assert_int_equal(guest_mem_add(&vm->mem, 0, RAM, vm->ram, -1, 0), 0);
}

static uint8_t sum(const uint8_t *p, size_t len)
{
	uint8_t s = 0;

	for (size_t i = 0; i < len; i++)
		s += p[i];
	return s;
}

/* Linux's scan: 16-byte steps over the BIOS area, signature and the ACPI 1.0 checksum. */
static uint64_t rsdp_scan(struct vm *vm)
{
	for (uint64_t a = 0xe0000; a < 0x100000; a += 16) {
		if (!memcmp(vm->ram + a, "RSD PTR ", 8) && sum(vm->ram + a, 20) == 0)
			return a;
	}
	return 0;
}

/* A table at gpa: inside the ACPI area, signature, length and checksum good. */
static const uint8_t *table_at(struct vm *vm, uint64_t gpa, const char *sig)
{
	const uint8_t *t;
	uint32_t len;

	assert_true(gpa >= GPA_ACPI_TABLES && gpa + 36 <= GPA_ACPI_TABLES + GPA_ACPI_TABLES_SIZE);
	t = vm->ram + gpa;
	assert_memory_equal(t, sig, 4);
	len = le_get(t + 4, 4);
	assert_true(len >= 36);
	assert_true(gpa + len <= GPA_ACPI_TABLES + GPA_ACPI_TABLES_SIZE);
	assert_int_equal(sum(t, len), 0);
	return t;
}

/* Find a table through the XSDT, checking the RSDT lists the same tables. */
static const uint8_t *table_find(struct vm *vm, const char *sig)
{
	uint64_t rsdp = rsdp_scan(vm);
	const uint8_t *x, *r;
	size_t n;

	assert_true(rsdp);
	x = table_at(vm, le_get(vm->ram + rsdp + 24, 8), "XSDT");
	r = table_at(vm, le_get(vm->ram + rsdp + 16, 4), "RSDT");
	n = (le_get(x + 4, 4) - 36) / 8;
	assert_int_equal(le_get(x + 4, 4), 36 + n * 8);
	assert_int_equal(le_get(r + 4, 4), 36 + n * 4);
	for (size_t i = 0; i < n; i++) {
		uint64_t gpa = le_get(x + 36 + i * 8, 8);

		assert_int_equal(le_get(r + 36 + i * 4, 4), gpa);
		if (!memcmp(vm->ram + gpa, sig, 4))
			return table_at(vm, gpa, sig);
	}
	return NULL;
}

static void build_default(struct vm *vm, unsigned int ncpus)
{
	struct acpi_cfg cfg;

	acpi_cfg_init_default(&cfg, ncpus, RAM);
	assert_int_equal(acpi_build(&vm->mem, &cfg), 0);
}

static void test_rsdp(void **state)
{
	struct vm vm;
	uint64_t rsdp;

	vm_init(&vm);
	build_default(&vm, 2);
	rsdp = rsdp_scan(&vm);
	assert_int_equal(rsdp, GPA_ACPI_RSDP);
	assert_int_equal(rsdp % 16, 0);
	assert_true(rsdp >= 0xe0000 && rsdp + 36 <= 0x100000);
	assert_int_equal(vm.ram[rsdp + 15], 2);            /* revision */
	assert_int_equal(le_get(vm.ram + rsdp + 20, 4), 36);    /* length */
	assert_int_equal(sum(vm.ram + rsdp, 36), 0);       /* extended checksum */
	assert_non_null(table_find(&vm, "FACP"));
	assert_non_null(table_find(&vm, "APIC"));
	assert_non_null(table_find(&vm, "MCFG"));
	free(vm.ram);
}

static void test_fadt(void **state)
{
	const uint8_t *f, *d;
	struct vm vm;

	vm_init(&vm);
	build_default(&vm, 1);
	f = table_find(&vm, "FACP");
	assert_non_null(f);
	assert_int_equal(le_get(f + 4, 4), 276);
	assert_true(f[8] >= 5);
	assert_true(le_get(f + 112, 4) & (1u << 20));           /* HW_REDUCED_ACPI */
	assert_int_equal(le_get(f + 46, 2), ACPI_SCI_IRQ);
	/* SLEEP_CONTROL_REG and SLEEP_STATUS_REG: byte registers in I/O space */
	assert_int_equal(f[244], 1);
	assert_int_equal(f[245], 8);
	assert_int_equal(le_get(f + 248, 8), PORT_ACPI_SLEEP_CTL);
	assert_int_equal(f[256], 1);
	assert_int_equal(le_get(f + 260, 8), PORT_ACPI_SLEEP_STS);
	/* no reset register by default */
	assert_false(le_get(f + 112, 4) & (1u << 10));
	/* DSDT and X_DSDT agree and point at a good table */
	assert_int_equal(le_get(f + 40, 4), le_get(f + 140, 8));
	d = table_at(&vm, le_get(f + 140, 8), "DSDT");
	assert_true(d[8] >= 2);
	assert_int_equal(ACPI_SLEEP_CTL_S5, 0x34);
	free(vm.ram);
}

static void test_fadt_reset_reg(void **state)
{
	struct acpi_cfg cfg;
	const uint8_t *f;
	struct vm vm;

	vm_init(&vm);
	acpi_cfg_init_default(&cfg, 1, RAM);
	cfg.reset_port = PORT_RESET_CF9;
	cfg.reset_value = 0x06;
	assert_int_equal(acpi_build(&vm.mem, &cfg), 0);
	f = table_find(&vm, "FACP");
	assert_true(le_get(f + 112, 4) & (1u << 10));
	assert_int_equal(f[116], 1);
	assert_int_equal(le_get(f + 120, 8), PORT_RESET_CF9);
	assert_int_equal(f[128], 0x06);
	free(vm.ram);
}

/* Walk the MADT entries: lengths must tile the table exactly. */
static void check_madt(struct vm *vm, unsigned int ncpus)
{
	const uint8_t *m = table_find(vm, "APIC");
	uint32_t len, off;
	unsigned int lapics = 0, ioapics = 0, isos = 0, nmis = 0;

	assert_non_null(m);
	len = le_get(m + 4, 4);
	assert_int_equal(le_get(m + 36, 4), GPA_LAPIC);
	for (off = 44; off < len; off += m[off + 1]) {
		const uint8_t *e = m + off;

		assert_true(e[1] >= 2 && off + e[1] <= len);
		switch (e[0]) {
		case 0:
			assert_int_equal(e[1], 8);
			assert_int_equal(e[3], lapics);     /* APIC id */
			assert_int_equal(le_get(e + 4, 4) & 1, 1);
			lapics++;
			break;
		case 1:
			assert_int_equal(e[1], 12);
			assert_int_equal(le_get(e + 4, 4), GPA_IOAPIC);
			assert_int_equal(le_get(e + 8, 4), 0);
			ioapics++;
			break;
		case 2:
			assert_int_equal(e[1], 10);
			assert_int_equal(e[2], 0);
			if (e[3] == 0)
				assert_int_equal(le_get(e + 4, 4), 2);
			else if (e[3] == ACPI_SCI_IRQ)
				assert_int_equal(le_get(e + 8, 2), 0x000d);
			else
				fail_msg("unexpected override of IRQ %u", e[3]);
			isos++;
			break;
		case 4:
			assert_int_equal(e[1], 6);
			nmis++;
			break;
		default:
			fail_msg("unexpected MADT entry type %u", e[0]);
		}
	}
	assert_int_equal(off, len);
	assert_int_equal(lapics, ncpus);
	assert_int_equal(ioapics, 1);
	assert_int_equal(isos, 2);
	assert_int_equal(nmis, 1);
}

static void test_madt_counts(void **state)
{
	static const unsigned int counts[] = { 1, 2, 64, ACPI_MAX_CPUS };
	struct vm vm;

	vm_init(&vm);
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		memset(vm.ram + GPA_ACPI_TABLES, 0, GPA_ACPI_TABLES_SIZE);
		build_default(&vm, counts[i]);
		check_madt(&vm, counts[i]);
	}
	free(vm.ram);
}

static void test_mcfg(void **state)
{
	const uint8_t *m;
	struct vm vm;

	vm_init(&vm);
	build_default(&vm, 4);
	m = table_find(&vm, "MCFG");
	assert_int_equal(le_get(m + 4, 4), 60);
	assert_int_equal(le_get(m + 44, 8), GPA_PCI_ECAM);
	assert_int_equal(le_get(m + 52, 2), 0);
	assert_int_equal(m[54], 0);
	assert_int_equal(m[55], 0); /* only bus 0 exists: the guest probes no other */
	free(vm.ram);
}

/* ---- an independent AML decoder for the subset a DSDT of ours may use ---- */

struct aml_obj {
	char path[64];
	const uint8_t *data;  /* the object after the name */
	const uint8_t *end;
};

struct aml_walk {
	struct aml_obj objs[256];
	int n;
	int max_pkglen_bytes;
};

/* PkgLength at *p: returns the end of the package (from *p), advancing *p past the encoding. */
static const uint8_t *aml_pkglen(const uint8_t **p, const uint8_t *end, struct aml_walk *w)
{
	const uint8_t *start = *p;
	unsigned int n;
	size_t len;

	assert_true(*p < end);
	n = **p >> 6;
	if (!n) {
		len = **p & 0x3f;
	} else {
		assert_int_equal(**p & 0x30, 0);
		assert_true(*p + 1 + n <= end);
		len = **p & 0x0f;
		for (unsigned int i = 0; i < n; i++)
			len |= (size_t)(*p)[1 + i] << (4 + 8 * i);
	}
	if ((int)n + 1 > w->max_pkglen_bytes)
		w->max_pkglen_bytes = (int)n + 1;
	*p += 1 + n;
	assert_true(len >= n + 1);
	assert_true(start + len <= end);
	return start + len;
}

static bool aml_namechar(uint8_t c, bool lead)
{
	return c == '_' || (c >= 'A' && c <= 'Z') || (!lead && c >= '0' && c <= '9');
}

static void aml_seg(const uint8_t **p, const uint8_t *end, char *out)
{
	assert_true(*p + 4 <= end);
	for (int i = 0; i < 4; i++)
		assert_true(aml_namechar((*p)[i], i == 0));
	strncat(out, (const char *)*p, 4);
	*p += 4;
}

/* NameString into path (absolute); scope is the enclosing path. */
static void aml_namestring(const uint8_t **p, const uint8_t *end, const char *scope, char *path)
{
	int segs = 1;

	assert_true(*p < end);
	if (**p == '\\') {
		strcpy(path, "\\");
		(*p)++;
	} else {
		snprintf(path, 64, "%s%s", scope, strcmp(scope, "\\") ? "." : "");
	}
	if (**p == 0x2e) {
		segs = 2;
		(*p)++;
	}
	for (int i = 0; i < segs; i++) {
		if (i)
			strcat(path, ".");
		aml_seg(p, end, path);
	}
}

static uint64_t aml_integer(const uint8_t **p, const uint8_t *end)
{
	uint8_t op = **p;
	size_t n;
	uint64_t v = 0;

	(*p)++;
	switch (op) {
	case 0x00: return 0;
	case 0x01: return 1;
	case 0xff: return UINT64_MAX;
	case 0x0a: n = 1; break;
	case 0x0b: n = 2; break;
	case 0x0c: n = 4; break;
	case 0x0e: n = 8; break;
	default: fail_msg("not an integer opcode 0x%02x", op); return 0;
	}
	assert_true(*p + n <= end);
	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)(*p)[i] << (8 * i);
	*p += n;
	return v;
}

/* Resource descriptors: items tile the buffer and end with an End Tag. */
static void aml_resources(const uint8_t *p, const uint8_t *end)
{
	while (p < end) {
		size_t item;

		if (*p & 0x80) {
			assert_true(p + 3 <= end);
			item = 3 + le_get(p + 1, 2);
			if (*p == 0x88)
				assert_int_equal(item, 16);
			if (*p == 0x87)
				assert_int_equal(item, 26);
			if (*p == 0x8a)
				assert_int_equal(item, 46);
		} else {
			item = 1 + (*p & 7);
			if (((*p >> 3) & 0xf) == 0xf) {
				assert_int_equal(item, 2);
				assert_true(p + 2 == end);
				return;
			}
		}
		assert_true(p + item <= end);
		p += item;
	}
	fail_msg("resource template without an End Tag");
}

static void aml_dataobj(const uint8_t **p, const uint8_t *end, struct aml_walk *w);

static void aml_package(const uint8_t **p, const uint8_t *end, struct aml_walk *w)
{
	const uint8_t *pend = aml_pkglen(p, end, w);
	unsigned int count, seen = 0;

	assert_true(*p < pend);
	count = *(*p)++;
	while (*p < pend) {
		aml_dataobj(p, pend, w);
		seen++;
	}
	assert_int_equal(seen, count);
}

static void aml_buffer(const uint8_t **p, const uint8_t *end, struct aml_walk *w)
{
	const uint8_t *bend = aml_pkglen(p, end, w);
	uint64_t size = aml_integer(p, bend);

	assert_int_equal(size, (uint64_t)(bend - *p));
	aml_resources(*p, bend);
	*p = bend;
}

static void aml_dataobj(const uint8_t **p, const uint8_t *end, struct aml_walk *w)
{
	assert_true(*p < end);
	if (**p == 0x12) {
		(*p)++;
		aml_package(p, end, w);
	} else if (**p == 0x11) {
		(*p)++;
		aml_buffer(p, end, w);
	} else {
		aml_integer(p, end);
	}
}

static void aml_termlist(const uint8_t *p, const uint8_t *end, const char *scope,
			 struct aml_walk *w)
{
	char path[64];

	while (p < end) {
		const uint8_t *body_end, *start;

		if (*p == 0x08) {                      /* Name */
			p++;
			aml_namestring(&p, end, scope, path);
			start = p;
			aml_dataobj(&p, end, w);
			assert_true(w->n < 256);
			snprintf(w->objs[w->n].path, 64, "%s", path);
			w->objs[w->n].data = start;
			w->objs[w->n++].end = p;
		} else if (*p == 0x14) {               /* Method: recorded from its flags byte */
			p++;
			body_end = aml_pkglen(&p, end, w);
			aml_namestring(&p, body_end, scope, path);
			assert_true(p < body_end && w->n < 256);
			snprintf(w->objs[w->n].path, 64, "%s", path);
			w->objs[w->n].data = p;
			w->objs[w->n++].end = body_end;
			p = body_end;
		} else if (*p == 0x10 || (*p == 0x5b && p + 1 < end && p[1] == 0x82)) {
			p += *p == 0x10 ? 1 : 2;       /* Scope, Device */
			body_end = aml_pkglen(&p, end, w);
			aml_namestring(&p, body_end, scope, path);
			aml_termlist(p, body_end, path, w);
			p = body_end;
		} else {
			fail_msg("unexpected AML opcode 0x%02x", *p);
		}
	}
}

static const struct aml_obj *aml_find(const struct aml_walk *w, const char *path)
{
	for (int i = 0; i < w->n; i++)
		if (!strcmp(w->objs[i].path, path))
			return &w->objs[i];
	return NULL;
}

static void dsdt_walk(struct vm *vm, struct aml_walk *w)
{
	const uint8_t *f = table_find(vm, "FACP");
	const uint8_t *d = table_at(vm, le_get(f + 140, 8), "DSDT");

	memset(w, 0, sizeof(*w));
	aml_termlist(d + 36, d + le_get(d + 4, 4), "\\", w);
}

/*
 * The address space descriptor of resource type `type` (0 memory, 2 bus) and
 * width 2 or 8 in the _CRS buffer of object o; fails the test when missing.
 */
static const uint8_t *crs_addr(const struct aml_obj *o, uint8_t type, unsigned int width)
{
	const uint8_t head[] = { width == 2 ? 0x88 : 0x8a, (uint8_t)(3 + 5 * width), 0, type };
	const uint8_t *d;

	assert_non_null(o);
	d = memmem(o->data, (size_t)(o->end - o->data), head, sizeof(head));
	assert_non_null(d);
	return d;
}

/* The host bridge decodes bus 0 only, and RES0 reserves that bus's 1 MiB of ECAM. */
static void check_bus_range(const struct aml_walk *w)
{
	const uint8_t *d = crs_addr(aml_find(w, "\\_SB_.PCI0._CRS"), 2, 2);

	assert_int_equal(le_get(d + 8, 2), 0);      /* _MIN */
	assert_int_equal(le_get(d + 10, 2), 0);     /* _MAX */
	assert_int_equal(le_get(d + 14, 2), 1);     /* _LEN */
	d = crs_addr(aml_find(w, "\\_SB_.RES0._CRS"), 0, 8);
	assert_int_equal(le_get(d + 14, 8), GPA_PCI_ECAM);
	assert_int_equal(le_get(d + 38, 8), MiB);
}

/* COM1: Linux maps ISA IRQs only from the DSDT when the tables are hardware-reduced. */
static void check_com1(const struct aml_walk *w)
{
	static const uint8_t io[] = { 0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x01, 0x08 };
	static const uint8_t irq4[] = { 0x22, 0x10, 0x00 };
	const struct aml_obj *o = aml_find(w, "\\_SB_.COM1._HID");
	const uint8_t *p;

	assert_non_null(o);
	p = o->data;
	assert_int_equal(aml_integer(&p, o->end), 0x0105d041); /* EISAID("PNP0501") */
	o = aml_find(w, "\\_SB_.COM1._CRS");
	assert_non_null(o);
	assert_non_null(memmem(o->data, (size_t)(o->end - o->data), io, sizeof(io)));
	assert_non_null(memmem(o->data, (size_t)(o->end - o->data), irq4, sizeof(irq4)));
}

/* The CMOS RTC: ports 0x70-0x71 and no interrupt (the model raises none). */
static void check_rtc(const struct aml_walk *w)
{
	static const uint8_t io[] = { 0x47, 0x01, 0x70, 0x00, 0x70, 0x00, 0x01, 0x02 };
	const struct aml_obj *o = aml_find(w, "\\_SB_.RTC0._HID");
	const uint8_t *p;

	assert_non_null(o);
	p = o->data;
	assert_int_equal(aml_integer(&p, o->end), 0x000bd041); /* EISAID("PNP0B00") */
	o = aml_find(w, "\\_SB_.RTC0._CRS");
	assert_non_null(o);
	assert_non_null(memmem(o->data, (size_t)(o->end - o->data), io, sizeof(io)));
	for (p = o->data; p < o->end; p++)
		assert_int_not_equal(*p & 0xf8, 0x20); /* no IRQ descriptor (small item 4) */
}

static void test_dsdt(void **state)
{
	const struct aml_obj *o;
	struct aml_walk w;
	const uint8_t *p;
	struct vm vm;

	vm_init(&vm);
	build_default(&vm, 2);
	dsdt_walk(&vm, &w);
	/* \_S5_: Package(4) { SLP_TYPa, SLP_TYPb, 0, 0 } */
	o = aml_find(&w, "\\_S5_");
	assert_non_null(o);
	p = o->data;
	assert_int_equal(*p++, 0x12);
	(void)aml_pkglen(&p, o->end, &w);
	assert_int_equal(*p++, 4);
	assert_int_equal(aml_integer(&p, o->end), ACPI_SLP_TYP_S5);
	assert_int_equal(aml_integer(&p, o->end), ACPI_SLP_TYP_S5);
	/* the host bridge: PNP0A08, compatible PNP0A03, with resources */
	o = aml_find(&w, "\\_SB_.PCI0._HID");
	assert_non_null(o);
	p = o->data;
	assert_int_equal(aml_integer(&p, o->end), 0x080ad041);
	o = aml_find(&w, "\\_SB_.PCI0._CID");
	p = o->data;
	assert_int_equal(aml_integer(&p, o->end), 0x030ad041);
	assert_non_null(aml_find(&w, "\\_SB_.PCI0._CRS"));
	assert_null(aml_find(&w, "\\_SB_.PCI0._PRT"));
	/* ECAM as a motherboard resource */
	o = aml_find(&w, "\\_SB_.RES0._HID");
	p = o->data;
	assert_int_equal(aml_integer(&p, o->end), 0x020cd041);
	assert_non_null(aml_find(&w, "\\_SB_.RES0._CRS"));
	check_bus_range(&w);
	check_com1(&w);
	check_rtc(&w);
	free(vm.ram);
}

/* ---- a small AML interpreter for the control methods of the DSDT ---- */

/* A value: an integer, or a buffer (the test's own memory, or a literal in the table). */
struct aml_value {
	bool is_buf;
	uint64_t i;
	uint8_t *buf;
	size_t len;
};

/* A DWord buffer field (CreateDWordField). */
struct aml_field {
	char name[5];
	uint8_t *buf;
	size_t off;
};

struct aml_run {
	struct aml_value arg[7], local[8];
	struct aml_field field[8];
	int nfields;
	bool returned;
	struct aml_value ret;
};

static struct aml_value aml_int_value(uint64_t v)
{
	return (struct aml_value){ .i = v };
}

static uint64_t aml_to_int(struct aml_value v)
{
	assert_false(v.is_buf);
	return v.i;
}

/* A NameSeg of the method's scope (the only names a method of ours refers to). */
static struct aml_field *run_field(struct aml_run *r, const uint8_t **p, const uint8_t *end)
{
	char name[5] = { 0 };

	aml_seg(p, end, name);
	for (int i = 0; i < r->nfields; i++)
		if (!strcmp(r->field[i].name, name))
			return &r->field[i];
	fail_msg("AML refers to %s, which the method did not create", name);
	return NULL;
}

static struct aml_value run_expr(struct aml_run *r, const uint8_t **p, const uint8_t *end);

/* Store v into the SuperName at *p: a Local, an Arg, a DWord field or nothing (0x00). */
static void run_target(struct aml_run *r, const uint8_t **p, const uint8_t *end, struct aml_value v)
{
	uint8_t op;

	assert_true(*p < end);
	op = **p;
	if (op == 0x00) {
		(*p)++;
	} else if (op >= 0x60 && op <= 0x67) {
		r->local[op - 0x60] = v;
		(*p)++;
	} else if (op >= 0x68 && op <= 0x6e) {
		r->arg[op - 0x68] = v;
		(*p)++;
	} else {
		struct aml_field *f = run_field(r, p, end);

		le_put(f->buf + f->off, 4, (uint32_t)aml_to_int(v));
	}
}

static struct aml_value run_expr(struct aml_run *r, const uint8_t **p, const uint8_t *end)
{
	struct aml_value a, b, v;
	const uint8_t *bend;
	uint8_t op;

	assert_true(*p < end);
	op = **p;
	switch (op) {
	case 0x00: case 0x01: case 0xff: case 0x0a: case 0x0b: case 0x0c: case 0x0e:
		return aml_int_value(aml_integer(p, end));
	case 0x60: case 0x61: case 0x62: case 0x63: case 0x64: case 0x65: case 0x66: case 0x67:
		(*p)++;
		return r->local[op - 0x60];
	case 0x68: case 0x69: case 0x6a: case 0x6b: case 0x6c: case 0x6d: case 0x6e:
		(*p)++;
		return r->arg[op - 0x68];
	case 0x11: {                                   /* Buffer */
		struct aml_walk w = { .n = 0 };

		(*p)++;
		bend = aml_pkglen(p, end, &w);
		v = (struct aml_value){ .is_buf = true };
		v.len = aml_integer(p, bend);
		assert_int_equal(v.len, (size_t)(bend - *p));
		v.buf = (uint8_t *)*p;
		*p = bend;
		return v;
	}
	case 0x92:                                     /* LNot */
		(*p)++;
		return aml_int_value(aml_to_int(run_expr(r, p, end)) ? 0 : UINT64_MAX);
	case 0x93:                                     /* LEqual */
		(*p)++;
		a = run_expr(r, p, end);
		b = run_expr(r, p, end);
		assert_int_equal(a.is_buf, b.is_buf);
		if (a.is_buf)
			return aml_int_value(a.len == b.len && !memcmp(a.buf, b.buf, a.len) ? UINT64_MAX : 0);
		return aml_int_value(a.i == b.i ? UINT64_MAX : 0);
	case 0x7b:                                     /* And */
	case 0x7d:                                     /* Or */
		(*p)++;
		a = run_expr(r, p, end);
		b = run_expr(r, p, end);
		v = aml_int_value(op == 0x7b ? aml_to_int(a) & aml_to_int(b) : aml_to_int(a) | aml_to_int(b));
		run_target(r, p, end, v);
		return v;
	default:
		if (aml_namechar(op, true)) {
			struct aml_field *f = run_field(r, p, end);

			return aml_int_value(le_get(f->buf + f->off, 4));
		}
		fail_msg("AML opcode 0x%02x is not in the interpreter's subset", op);
		return aml_int_value(0);
	}
}

static void run_terms(struct aml_run *r, const uint8_t *p, const uint8_t *end)
{
	struct aml_walk w = { .n = 0 };

	while (p < end && !r->returned) {
		const uint8_t *bend;
		struct aml_value v;
		bool taken;

		switch (*p) {
		case 0x8a: {                                   /* CreateDWordField */
			struct aml_field *f;
			uint64_t off;

			p++;
			v = run_expr(r, &p, end);
			off = aml_to_int(run_expr(r, &p, end));
			assert_true(v.is_buf && off + 4 <= v.len && r->nfields < 8);
			f = &r->field[r->nfields++];
			memset(f->name, 0, sizeof(f->name));
			aml_seg(&p, end, f->name);
			f->buf = v.buf;
			f->off = off;
			break;
		}
		case 0xa0:                                     /* If, and an Else after it */
			p++;
			bend = aml_pkglen(&p, end, &w);
			taken = aml_to_int(run_expr(r, &p, bend)) != 0;
			if (taken)
				run_terms(r, p, bend);
			p = bend;
			if (p < end && *p == 0xa1) {
				p++;
				bend = aml_pkglen(&p, end, &w);
				if (!taken)
					run_terms(r, p, bend);
				p = bend;
			}
			break;
		case 0x70:                                     /* Store */
			p++;
			v = run_expr(r, &p, end);
			run_target(r, &p, end, v);
			break;
		case 0x7b:
		case 0x7d:
			(void)run_expr(r, &p, end);
			break;
		case 0xa4:                                     /* Return */
			p++;
			r->ret = run_expr(r, &p, end);
			r->returned = true;
			break;
		default:
			fail_msg("AML statement 0x%02x is not in the interpreter's subset", *p);
		}
	}
}

/* 33DB4D5B-1FF7-401C-9657-7441C03DD766 as ToUUID lays it out (first three fields little-endian). */
static const uint8_t pci_host_bridge_uuid[16] = {
	0x5b, 0x4d, 0xdb, 0x33, 0xf7, 0x1f, 0x1c, 0x40,
	0x96, 0x57, 0x74, 0x41, 0xc0, 0x3d, 0xd7, 0x66,
};

/* The platform-wide _OSC UUID 0811B06E-4A27-44F9-8D60-3CBBC22E7B48: not for a host bridge. */
static const uint8_t platform_wide_uuid[16] = {
	0x6e, 0xb0, 0x11, 0x08, 0x27, 0x4a, 0xf9, 0x44,
	0x8d, 0x60, 0x3c, 0xbb, 0xc2, 0x2e, 0x7b, 0x48,
};

#define OSC_QUERY       0x01u
#define OSC_ERR_UUID    0x04u
#define OSC_ERR_REV     0x08u
#define OSC_ERR_MASKED  0x10u
/* what Linux 6.1 asks of a host bridge with every option built: PCIe and SHPC
 * hot-plug, PME, AER, the PCIe capability structure, LTR and DPC */
#define OSC_LINUX_ASKS  0xbfu
#define OSC_GRANTED     0x1cu  /* PME, AER, the PCIe capability structure */

/* Evaluate _OSC (uuid, rev, 3, Buffer { cdw[0], cdw[1], cdw[2] }); cdw[] gets the buffer back. */
static void osc_call(const struct aml_obj *m, const uint8_t uuid[16], uint64_t rev, uint32_t cdw[3])
{
	uint8_t caps[12], u[16];
	struct aml_run r;

	memset(&r, 0, sizeof(r));
	memcpy(u, uuid, sizeof(u));
	for (int i = 0; i < 3; i++)
		le_put(caps + 4 * i, 4, cdw[i]);
	r.arg[0] = (struct aml_value){ .is_buf = true, .buf = u, .len = sizeof(u) };
	r.arg[1] = aml_int_value(rev);
	r.arg[2] = aml_int_value(3);
	r.arg[3] = (struct aml_value){ .is_buf = true, .buf = caps, .len = sizeof(caps) };
	run_terms(&r, m->data + 1, m->end);
	assert_true(r.returned);
	assert_true(r.ret.is_buf && r.ret.buf == caps && r.ret.len == sizeof(caps));
	for (int i = 0; i < 3; i++)
		cdw[i] = (uint32_t)le_get(caps + 4 * i, 4);
}

static void check_osc(const struct aml_obj *m, const uint8_t uuid[16], uint64_t rev,
		      uint32_t cdw1, uint32_t ctrl, uint32_t want_cdw1, uint32_t want_ctrl)
{
	uint32_t cdw[3] = { cdw1, 0x1f, ctrl };

	osc_call(m, uuid, rev, cdw);
	assert_int_equal(cdw[0], want_cdw1);
	assert_int_equal(cdw[1], 0x1f);     /* the OS's support DWORD is left alone */
	assert_int_equal(cdw[2], want_ctrl);
}

/* The host bridge's _OSC: its bytes, then its answers as Linux's negotiation would see them. */
static void test_osc(void **state)
{
	/* Buffer (0x10) { the UUID }: PkgLength 0x13 covers itself, BytePrefix 0x10 and 16 bytes */
	static const uint8_t uuid_buffer_head[] = { 0x11, 0x13, 0x0a, 0x10 };
	/* CreateDWordField (Arg3, Zero, CDW1) */
	static const uint8_t first[] = { 0x8a, 0x6b, 0x00, 'C', 'D', 'W', '1' };
	/* Return (Arg3) */
	static const uint8_t last[] = { 0xa4, 0x6b };
	uint8_t uuid[16];
	const struct aml_obj *m;
	struct aml_walk w;
	const uint8_t *u;
	struct vm vm;

	vm_init(&vm);
	build_default(&vm, 2);
	dsdt_walk(&vm, &w);
	m = aml_find(&w, "\\_SB_.PCI0._OSC");
	assert_non_null(m);
	assert_int_equal(m->data[0], 0x04);  /* 4 arguments, NotSerialized, SyncLevel 0 */
	assert_memory_equal(m->data + 1, first, sizeof(first));
	assert_memory_equal(m->end - sizeof(last), last, sizeof(last));
	u = memmem(m->data, (size_t)(m->end - m->data), uuid_buffer_head, sizeof(uuid_buffer_head));
	assert_non_null(u);
	assert_memory_equal(u + sizeof(uuid_buffer_head), pci_host_bridge_uuid, 16);

	/* Linux's first query asks for everything; what the platform lacks comes back cleared */
	check_osc(m, pci_host_bridge_uuid, 1, OSC_QUERY, OSC_LINUX_ASKS,
		  OSC_QUERY | OSC_ERR_MASKED, OSC_GRANTED);
	/* the query again with what was granted, then the request itself: no error */
	check_osc(m, pci_host_bridge_uuid, 1, OSC_QUERY, OSC_GRANTED, OSC_QUERY, OSC_GRANTED);
	check_osc(m, pci_host_bridge_uuid, 1, 0, OSC_GRANTED, 0, OSC_GRANTED);
	/* less than the platform has: granted as asked */
	check_osc(m, pci_host_bridge_uuid, 1, 0, 0x10, 0, 0x10);
	check_osc(m, pci_host_bridge_uuid, 1, 0, 0, 0, 0);
	/* native hot-plug alone: refused */
	check_osc(m, pci_host_bridge_uuid, 1, 0, 0x01, OSC_ERR_MASKED, 0);
	/* a revision other than 1 */
	check_osc(m, pci_host_bridge_uuid, 2, 0, OSC_GRANTED, OSC_ERR_REV, OSC_GRANTED);
	check_osc(m, pci_host_bridge_uuid, 0, 0, OSC_LINUX_ASKS, OSC_ERR_REV | OSC_ERR_MASKED,
		  OSC_GRANTED);
	/* another UUID: an error, and the buffer otherwise as it came */
	check_osc(m, platform_wide_uuid, 1, OSC_QUERY, OSC_LINUX_ASKS, OSC_QUERY | OSC_ERR_UUID,
		  OSC_LINUX_ASKS);
	memcpy(uuid, pci_host_bridge_uuid, sizeof(uuid));
	uuid[15] ^= 1;
	check_osc(m, uuid, 1, 0, OSC_LINUX_ASKS, OSC_ERR_UUID, OSC_LINUX_ASKS);
	free(vm.ram);
}

/* _PRT with n routes; 128 routes need a multi-byte PkgLength, 1 route a one-byte one. */
static void check_prt(unsigned int n)
{
	struct acpi_pci_irq *irqs = calloc(n, sizeof(*irqs));
	const struct aml_obj *o;
	struct acpi_cfg cfg;
	struct aml_walk w;
	const uint8_t *p;
	struct vm vm;

	assert_non_null(irqs);
	for (unsigned int i = 0; i < n; i++)
		irqs[i] = (struct acpi_pci_irq){ .slot = (uint8_t)(i / 4), .pin = (uint8_t)(i % 4),
						 .gsi = 16 + (i + i / 4) % 8 };
	vm_init(&vm);
	acpi_cfg_init_default(&cfg, 2, RAM);
	cfg.pci_irqs = irqs;
	cfg.n_pci_irqs = n;
	assert_int_equal(acpi_build(&vm.mem, &cfg), 0);
	dsdt_walk(&vm, &w);
	o = aml_find(&w, "\\_SB_.PCI0._PRT");
	assert_non_null(o);
	p = o->data;
	assert_int_equal(*p++, 0x12);
	(void)aml_pkglen(&p, o->end, &w);
	assert_int_equal(*p++, n);
	for (unsigned int i = 0; i < n; i++) {
		const uint8_t *q = p;

		assert_int_equal(*q++, 0x12);
		p = aml_pkglen(&q, o->end, &w);
		assert_int_equal(*q++, 4);
		assert_int_equal(aml_integer(&q, p), ((uint64_t)irqs[i].slot << 16) | 0xffff);
		assert_int_equal(aml_integer(&q, p), irqs[i].pin);
		assert_int_equal(aml_integer(&q, p), 0);
		assert_int_equal(aml_integer(&q, p), irqs[i].gsi);
		assert_true(q == p);
	}
	if (n >= 8)
		assert_true(w.max_pkglen_bytes >= 2);
	free(irqs);
	free(vm.ram);
}

static void test_prt(void **state)
{
	check_prt(1);
	check_prt(4);
	check_prt(8);
	check_prt(128);
}

static void test_no_pci(void **state)
{
	struct acpi_cfg cfg;
	struct aml_walk w;
	struct vm vm;

	vm_init(&vm);
	acpi_cfg_init_default(&cfg, 1, RAM);
	cfg.ecam_base = 0;
	assert_int_equal(acpi_build(&vm.mem, &cfg), 0);
	assert_null(table_find(&vm, "MCFG"));
	dsdt_walk(&vm, &w);
	assert_non_null(aml_find(&w, "\\_S5_"));
	assert_null(aml_find(&w, "\\_SB_.PCI0._HID"));
	assert_null(aml_find(&w, "\\_SB_.PCI0._OSC"));
	check_com1(&w);
	free(vm.ram);
}

static void test_bad_cfg(void **state)
{
	struct acpi_pci_irq bad_slot = { .slot = 32, .pin = 0, .gsi = 16 };
	struct acpi_pci_irq bad_pin = { .slot = 1, .pin = 4, .gsi = 16 };
	struct guest_mem empty = { .n_regions = 0 };
	struct acpi_cfg cfg;
	struct vm vm;

	vm_init(&vm);
	acpi_cfg_init_default(&cfg, 0, RAM);
	assert_int_equal(acpi_build(&vm.mem, &cfg), -EINVAL);
	cfg.ncpus = ACPI_MAX_CPUS + 1;
	assert_int_equal(acpi_build(&vm.mem, &cfg), -EINVAL);
	cfg.ncpus = 1;
	cfg.pci_irqs = &bad_slot;
	cfg.n_pci_irqs = 1;
	assert_int_equal(acpi_build(&vm.mem, &cfg), -EINVAL);
	cfg.pci_irqs = &bad_pin;
	assert_int_equal(acpi_build(&vm.mem, &cfg), -EINVAL);
	cfg.pci_irqs = NULL;
	assert_int_equal(acpi_build(&vm.mem, &cfg), -EINVAL);
	cfg.n_pci_irqs = 0;
	cfg.pci_bus_start = 10;
	cfg.pci_bus_end = 9;
	assert_int_equal(acpi_build(&vm.mem, &cfg), -EINVAL);
	acpi_cfg_init_default(&cfg, 1, RAM);
	cfg.sci_irq = 16;
	assert_int_equal(acpi_build(&vm.mem, &cfg), -EINVAL);
	/* no guest RAM behind the area */
	acpi_cfg_init_default(&cfg, 1, RAM);
	assert_int_equal(acpi_build(&empty, &cfg), -EFAULT);
	free(vm.ram);
}

static void test_default_cfg(void **state)
{
	struct acpi_cfg cfg;

	acpi_cfg_init_default(&cfg, 3, 8 * GiB);
	assert_int_equal(cfg.ncpus, 3);
	assert_int_equal(cfg.ecam_base, GPA_PCI_ECAM);
	assert_int_equal(cfg.pci_bus_end, 0); /* only bus 0 exists */
	assert_int_equal(cfg.sleep_ctl_port, PORT_ACPI_SLEEP_CTL);
	assert_int_equal(cfg.sleep_sts_port, PORT_ACPI_SLEEP_STS);
	/* the 64-bit window starts after high RAM (4 GiB + 5 GiB) */
	assert_true(cfg.pci_mmio64_base >= GPA_RAM_HIGH_START + 8 * GiB - GPA_RAM_LOW_END);
}

/*
 * test-acpi --dump-dsdt FILE: write the DSDT of the default configuration
 * (2 CPUs, PCI with legacy routes) to FILE, for ACPICA's disassembler
 * (test-acpi-iasl.sh). Exit 0, or 1 with a message.
 */
static int dump_dsdt(const char *path)
{
	static const struct acpi_pci_irq irqs[] = {
		{ .slot = 1, .pin = 0, .gsi = 16 }, { .slot = 1, .pin = 1, .gsi = 17 },
	};
	struct acpi_cfg cfg;
	uint8_t *ram = calloc(1, RAM);
	struct guest_mem mem = { 0 };
	uint64_t dsdt;
	size_t len;
	FILE *f;

	if (!ram || guest_mem_add(&mem, 0, RAM, ram, -1, 0)) {
		fprintf(stderr, "test-acpi: no guest RAM\n");
		return 1;
	}
	acpi_cfg_init_default(&cfg, 2, RAM);
	cfg.pci_irqs = irqs;
	cfg.n_pci_irqs = sizeof(irqs) / sizeof(irqs[0]);
	if (acpi_build(&mem, &cfg)) {
		fprintf(stderr, "test-acpi: acpi_build failed\n");
		return 1;
	}
	/* the DSDT: the table with that signature, at one of the area's 16-byte steps */
	for (dsdt = GPA_ACPI_TABLES; dsdt + 36 <= GPA_ACPI_TABLES + GPA_ACPI_TABLES_SIZE; dsdt += 16)
		if (!memcmp(ram + dsdt, "DSDT", 4))
			break;
	len = dsdt + 36 <= GPA_ACPI_TABLES + GPA_ACPI_TABLES_SIZE ? le_get(ram + dsdt + 4, 4) : 0;
	f = fopen(path, "wb");
	if (!len || !f || fwrite(ram + dsdt, 1, len, f) != len || fclose(f)) {
		fprintf(stderr, "test-acpi: cannot write the DSDT to %s\n", path);
		return 1;
	}
	free(ram);
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rsdp),
		cmocka_unit_test(test_fadt),
		cmocka_unit_test(test_fadt_reset_reg),
		cmocka_unit_test(test_madt_counts),
		cmocka_unit_test(test_mcfg),
		cmocka_unit_test(test_dsdt),
		cmocka_unit_test(test_osc),
		cmocka_unit_test(test_prt),
		cmocka_unit_test(test_no_pci),
		cmocka_unit_test(test_bad_cfg),
		cmocka_unit_test(test_default_cfg),
	};

	if (argc == 3 && !strcmp(argv[1], "--dump-dsdt"))
		return dump_dsdt(argv[2]);
	return cmocka_run_group_tests_name("acpi", tests, NULL, NULL);
}
