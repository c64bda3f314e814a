#include "acpi.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "log.h"

#define ACPI_OEM_ID        "IOVIRT"
#define ACPI_CREATOR_ID    "IOVT"
#define ACPI_TABLE_ALIGN   16
#define SDT_HDR_LEN        36
#define RSDP_LEN           36
#define RSDP_V1_LEN        20
#define FADT_LEN           276     /* revision 6 */
#define MCFG_LEN           60
#define FADT_HW_REDUCED    (1u << 20)
#define FADT_RESET_REG_SUP (1u << 10)
#define FADT_WBINVD        (1u << 0)
#define IAPC_VGA_NOT_PRESENT (1u << 2)
#define GAS_SYSTEM_IO      1
#define GAS_ACCESS_BYTE    1
#define MADT_LAPIC         0
#define MADT_IOAPIC        1
#define MADT_ISO           2
#define MADT_LAPIC_NMI     4
#define MADT_PCAT_COMPAT   1
#define MPS_INTI_LEVEL_HIGH 0x000d /* polarity 01 (high), trigger 11 (level) */
#define MPS_INTI_EDGE_HIGH  0x0005
#define ISA_PIT_IRQ        0
#define ISA_PIT_GSI        2

/* Host-side image of the ACPI area; offsets are relative to GPA_ACPI_TABLES. */
struct acpi_area {
	uint8_t data[GPA_ACPI_TABLES_SIZE];
	size_t used;
};


/* Reserve len bytes, ACPI_TABLE_ALIGN-aligned; returns the offset, or SIZE_MAX when full. */
static size_t area_alloc(struct acpi_area *a, size_t len)
{
	size_t off = (a->used + ACPI_TABLE_ALIGN - 1) & ~(size_t)(ACPI_TABLE_ALIGN - 1);

	if (off > sizeof(a->data) || len > sizeof(a->data) - off)
		return SIZE_MAX;
	a->used = off + len;
	return off;
}

static uint64_t area_gpa(size_t off)
{
	return GPA_ACPI_TABLES + off;
}

static void sdt_header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev, const char *table_id)
{
	char id[8];

	memcpy(t, sig, 4);
	le_put(t + 4, 4, len);
	le_put(t + 8, 1, rev);
	memcpy(t + 10, ACPI_OEM_ID, 6);
	memset(id, ' ', sizeof(id));
	memcpy(id, table_id, strnlen(table_id, sizeof(id)));
	memcpy(t + 16, id, sizeof(id));
	le_put(t + 24, 4, 1);
	memcpy(t + 28, ACPI_CREATOR_ID, 4);
	le_put(t + 32, 4, 1);
}

/* Finish a table: checksum over its whole length (byte 9). */
static void sdt_seal(uint8_t *t)
{
	uint32_t len;

	memcpy(&len, t + 4, sizeof(len));
	t[9] = 0;
	t[9] = checksum8(t, len);
}

/* ---- AML (the DSDT's byte code) ---- */

#define AML_ZERO        0x00
#define AML_ONE         0x01
#define AML_NAME        0x08
#define AML_BYTE        0x0a
#define AML_WORD        0x0b
#define AML_DWORD       0x0c
#define AML_QWORD       0x0e
#define AML_SCOPE       0x10
#define AML_BUFFER      0x11
#define AML_PACKAGE     0x12
#define AML_METHOD      0x14
#define AML_EXT         0x5b
#define AML_LOCAL0      0x60
#define AML_ARG0        0x68   /* Arg0..Arg6: 0x68..0x6e */
#define AML_STORE       0x70
#define AML_AND         0x7b
#define AML_OR          0x7d
#define AML_DEVICE      0x82   /* after AML_EXT */
#define AML_CREATE_DWORD_FIELD 0x8a
#define AML_LNOT        0x92
#define AML_LEQUAL      0x93
#define AML_IF          0xa0
#define AML_ELSE        0xa1
#define AML_RETURN      0xa4
#define AML_PKG_RESERVE 4      /* bytes kept for a PkgLength until its size is known */
#define AML_PKG_MAX     0x0fffffff

/* An AML stream into a fixed buffer; err latches the first overflow. */
struct aml {
	uint8_t *p;
	size_t len;
	size_t cap;
	bool err;
};

static void aml_bytes(struct aml *a, const void *b, size_t n)
{
	if (a->err || n > a->cap - a->len) {
		a->err = true;
		return;
	}
	memcpy(a->p + a->len, b, n);
	a->len += n;
}

static void aml_byte(struct aml *a, uint8_t b)
{
	aml_bytes(a, &b, 1);
}

static void aml_le(struct aml *a, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		aml_byte(a, (uint8_t)(v >> (8 * i)));
}

/* Open a PkgLength-prefixed body; returns the position to hand to aml_pkg_end(). */
static size_t aml_pkg_begin(struct aml *a)
{
	size_t pos = a->len;

	aml_le(a, 0, AML_PKG_RESERVE);
	return pos;
}

/*
 * Close the body opened at pos: encode its PkgLength (which counts its own
 * bytes) in the fewest bytes and move the body up against it.
 */
static void aml_pkg_end(struct aml *a, size_t pos)
{
	size_t body, n, total;

	if (a->err)
		return;
	body = a->len - pos - AML_PKG_RESERVE;
	for (n = 1; n <= 4; n++) {
		total = body + n;
		if ((n == 1 && total <= 0x3f) || (n > 1 && total < (1ULL << (4 + 8 * (n - 1)))))
			break;
	}
	if (n > 4 || total > AML_PKG_MAX) {
		a->err = true;
		return;
	}
	memmove(a->p + pos + n, a->p + pos + AML_PKG_RESERVE, body);
	a->len = pos + n + body;
	if (n == 1) {
		a->p[pos] = (uint8_t)total;
		return;
	}
	a->p[pos] = (uint8_t)(((n - 1) << 6) | (total & 0x0f));
	for (size_t i = 1; i < n; i++)
		a->p[pos + i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
}

/* A NameString: "\\" for the root, then 4-character segments joined by '.' (one or two). */
static void aml_name(struct aml *a, const char *path)
{
	size_t n;

	if (*path == '\\') {
		aml_byte(a, '\\');
		path++;
	}
	n = strlen(path);
	if (n == 9 && path[4] == '.') {
		aml_byte(a, 0x2e); /* DualNamePrefix */
		aml_bytes(a, path, 4);
		aml_bytes(a, path + 5, 4);
	} else if (n == 4) {
		aml_bytes(a, path, 4);
	} else {
		a->err = true;
	}
}

static void aml_int(struct aml *a, uint64_t v)
{
	if (v == 0) {
		aml_byte(a, AML_ZERO);
	} else if (v == 1) {
		aml_byte(a, AML_ONE);
	} else if (v <= UINT8_MAX) {
		aml_byte(a, AML_BYTE);
		aml_le(a, v, 1);
	} else if (v <= UINT16_MAX) {
		aml_byte(a, AML_WORD);
		aml_le(a, v, 2);
	} else if (v <= UINT32_MAX) {
		aml_byte(a, AML_DWORD);
		aml_le(a, v, 4);
	} else {
		aml_byte(a, AML_QWORD);
		aml_le(a, v, 8);
	}
}

/* EisaId("PNP0A08"): three 5-bit letters and four hex digits, as a DWord constant. */
static void aml_eisaid(struct aml *a, const char *id)
{
	static const char hex[] = "0123456789ABCDEF";
	uint8_t b[4];
	unsigned int d[4];

	for (int i = 0; i < 4; i++)
		d[i] = (unsigned int)(strchr(hex, id[3 + i]) - hex);
	b[0] = (uint8_t)(((id[0] & 0x1f) << 2) | ((id[1] & 0x1f) >> 3));
	b[1] = (uint8_t)(((id[1] & 0x07) << 5) | (id[2] & 0x1f));
	b[2] = (uint8_t)((d[0] << 4) | d[1]);
	b[3] = (uint8_t)((d[2] << 4) | d[3]);
	aml_byte(a, AML_DWORD);
	aml_bytes(a, b, sizeof(b));
}

/*
 * ToUUID("xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"): a 16-byte Buffer, the first
 * three fields little-endian and the last two in string order.
 */
static void aml_uuid(struct aml *a, const char *s)
{
	static const uint8_t order[16] = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15 };
	static const char hex[] = "0123456789ABCDEF";
	uint8_t str[16] = { 0 }, b[16];
	unsigned int digits = 0;
	size_t pkg;

	for (; *s; s++) {
		const char *d = strchr(hex, *s);

		if (*s == '-')
			continue;
		if (!d || digits == 32) {
			a->err = true;
			return;
		}
		str[digits / 2] = (uint8_t)(str[digits / 2] << 4 | (d - hex));
		digits++;
	}
	if (digits != 32) {
		a->err = true;
		return;
	}
	for (int i = 0; i < 16; i++)
		b[i] = str[order[i]];
	aml_byte(a, AML_BUFFER);
	pkg = aml_pkg_begin(a);
	aml_int(a, sizeof(b));
	aml_bytes(a, b, sizeof(b));
	aml_pkg_end(a, pkg);
}

static void aml_name_int(struct aml *a, const char *name, uint64_t v)
{
	aml_byte(a, AML_NAME);
	aml_name(a, name);
	aml_int(a, v);
}

static void aml_name_eisaid(struct aml *a, const char *name, const char *id)
{
	aml_byte(a, AML_NAME);
	aml_name(a, name);
	aml_eisaid(a, id);
}

/* ---- resource descriptors (inside a Buffer) ---- */

#define RES_WORD_ADDR   0x88
#define RES_DWORD_ADDR  0x87
#define RES_QWORD_ADDR  0x8a
#define RES_IO          0x47
#define RES_END         0x79
#define RES_IRQ_NOFLAGS 0x22   /* small IRQ descriptor, 2 bytes: edge, active high */
#define RES_TYPE_MEM    0
#define RES_TYPE_IO     1
#define RES_TYPE_BUS    2
#define RES_MIF_MAF     0x0c   /* _MIF and _MAF: the range is fixed */
#define RES_CONSUMER    0x01
#define RES_MEM_RW      0x01
#define RES_IO_ENTIRE   0x03

/* An address space descriptor of width 2, 4 or 8 bytes for [min, min + len). */
static void res_addr(struct aml *a, unsigned int width, uint8_t type, uint8_t gflags,
		     uint8_t tflags, uint64_t min, uint64_t len)
{
	uint8_t tag = width == 2 ? RES_WORD_ADDR : width == 4 ? RES_DWORD_ADDR : RES_QWORD_ADDR;

	aml_byte(a, tag);
	aml_le(a, 3 + 5 * width, 2);
	aml_byte(a, type);
	aml_byte(a, gflags);
	aml_byte(a, tflags);
	aml_le(a, 0, width);                /* _GRA */
	aml_le(a, min, width);              /* _MIN */
	aml_le(a, min + len - 1, width);    /* _MAX */
	aml_le(a, 0, width);                /* _TRA */
	aml_le(a, len, width);              /* _LEN */
}

static void res_io(struct aml *a, uint16_t port, uint8_t len)
{
	aml_byte(a, RES_IO);
	aml_byte(a, 1);                      /* 16-bit decode */
	aml_le(a, port, 2);
	aml_le(a, port, 2);
	aml_byte(a, 1);
	aml_byte(a, len);
}

static void res_irq(struct aml *a, unsigned int irq)
{
	aml_byte(a, RES_IRQ_NOFLAGS);
	aml_le(a, 1u << irq, 2);
}

static void com1_crs(struct aml *a, const struct acpi_cfg *cfg)
{
	res_io(a, PORT_COM1, 8);
	res_irq(a, IRQ_COM1);
}

/* The CMOS RTC without an interrupt: the model raises none, so Linux runs it without alarms. */
static void rtc_crs(struct aml *a, const struct acpi_cfg *cfg)
{
	res_io(a, PORT_RTC_INDEX, 2);
}

static void res_end(struct aml *a)
{
	aml_byte(a, RES_END);
	aml_byte(a, 0);
}

/* Name(name, Buffer() { descriptors }) where body() writes the descriptors. */
static void aml_name_resources(struct aml *a, const char *name,
			       void (*body)(struct aml *, const struct acpi_cfg *),
			       const struct acpi_cfg *cfg)
{
	struct aml tmp;
	uint8_t buf[256];
	size_t pkg;

	tmp = (struct aml){ .p = buf, .cap = sizeof(buf) };
	body(&tmp, cfg);
	res_end(&tmp);
	if (tmp.err) {
		a->err = true;
		return;
	}
	aml_byte(a, AML_NAME);
	aml_name(a, name);
	aml_byte(a, AML_BUFFER);
	pkg = aml_pkg_begin(a);
	aml_int(a, tmp.len);
	aml_bytes(a, buf, tmp.len);
	aml_pkg_end(a, pkg);
}

static void pci0_crs(struct aml *a, const struct acpi_cfg *cfg)
{
	res_addr(a, 2, RES_TYPE_BUS, RES_MIF_MAF, 0, cfg->pci_bus_start,
		 (uint64_t)cfg->pci_bus_end - cfg->pci_bus_start + 1);
	res_io(a, PORT_PCI_CONFIG_ADDR, 8);
	res_addr(a, 2, RES_TYPE_IO, RES_MIF_MAF, RES_IO_ENTIRE, 0, PORT_PCI_CONFIG_ADDR);
	res_addr(a, 2, RES_TYPE_IO, RES_MIF_MAF, RES_IO_ENTIRE, PORT_PCI_CONFIG_ADDR + 8,
		 0x10000 - (PORT_PCI_CONFIG_ADDR + 8));
	if (cfg->pci_mmio32_size)
		res_addr(a, 4, RES_TYPE_MEM, RES_MIF_MAF, RES_MEM_RW, cfg->pci_mmio32_base,
			 cfg->pci_mmio32_size);
	if (cfg->pci_mmio64_size)
		res_addr(a, 8, RES_TYPE_MEM, RES_MIF_MAF, RES_MEM_RW, cfg->pci_mmio64_base,
			 cfg->pci_mmio64_size);
}

static void ecam_crs(struct aml *a, const struct acpi_cfg *cfg)
{
	uint64_t len = ((uint64_t)cfg->pci_bus_end - cfg->pci_bus_start + 1) << 20;

	res_addr(a, 8, RES_TYPE_MEM, RES_MIF_MAF | RES_CONSUMER, RES_MEM_RW,
		 cfg->ecam_base + ((uint64_t)cfg->pci_bus_start << 20), len);
}

/* Name(_PRT, Package() { Package() { slot << 16 | 0xffff, pin, 0, gsi }, ... }) */
static void pci0_prt(struct aml *a, const struct acpi_cfg *cfg)
{
	size_t outer, inner;

	aml_byte(a, AML_NAME);
	aml_name(a, "_PRT");
	aml_byte(a, AML_PACKAGE);
	outer = aml_pkg_begin(a);
	aml_byte(a, (uint8_t)cfg->n_pci_irqs);
	for (unsigned int i = 0; i < cfg->n_pci_irqs; i++) {
		const struct acpi_pci_irq *r = &cfg->pci_irqs[i];

		aml_byte(a, AML_PACKAGE);
		inner = aml_pkg_begin(a);
		aml_byte(a, 4);
		aml_int(a, ((uint64_t)r->slot << 16) | 0xffff);
		aml_int(a, r->pin);
		aml_int(a, 0);
		aml_int(a, r->gsi);
		aml_pkg_end(a, inner);
	}
	aml_pkg_end(a, outer);
}

static void aml_device_begin(struct aml *a, const char *name, size_t *pkg)
{
	aml_byte(a, AML_EXT);
	aml_byte(a, AML_DEVICE);
	*pkg = aml_pkg_begin(a);
	aml_name(a, name);
}

/* Device(name) { _HID hid, _UID uid, _CRS from crs } */
static void dsdt_device(struct aml *a, const char *name, const char *hid, unsigned int uid,
			void (*crs)(struct aml *, const struct acpi_cfg *),
			const struct acpi_cfg *cfg)
{
	size_t dev;

	aml_device_begin(a, name, &dev);
	aml_name_eisaid(a, "_HID", hid);
	aml_name_int(a, "_UID", uid);
	aml_name_resources(a, "_CRS", crs, cfg);
	aml_pkg_end(a, dev);
}

/*
 * _OSC of the PCI host bridge (ACPI 6.x, 6.2.11; PCI Firmware Specification
 * 3.x, 4.5): Arg0 the UUID, Arg1 the revision, Arg2 the DWORD count, Arg3
 * the capabilities buffer: DWORD 1 query flag and errors, DWORD 2 the OS's
 * support, DWORD 3 the control it asks for.
 */
#define OSC_PCI_HOST_BRIDGE_UUID "33DB4D5B-1FF7-401C-9657-7441C03DD766"
#define OSC_ERR_UUID          (1u << 2)   /* DWORD 1: unrecognized UUID */
#define OSC_ERR_REVISION      (1u << 3)   /* DWORD 1: unrecognized revision */
#define OSC_ERR_MASKED        (1u << 4)   /* DWORD 1: capabilities masked */
#define OSC_CTRL_PCIE_HOTPLUG (1u << 0)   /* DWORD 3 control bits */
#define OSC_CTRL_SHPC_HOTPLUG (1u << 1)
#define OSC_CTRL_PME          (1u << 2)
#define OSC_CTRL_AER          (1u << 3)
#define OSC_CTRL_PCIE_CAP     (1u << 4)

/*
 * What the platform hands over: the PCI Express capability structures and,
 * with them, native PME and AER, which firmware of ours never handles. Not
 * native hot-plug (PCIe or SHPC): nothing here hot-plugs. Not LTR, DPC or
 * the newer bits: bus 0 has no ports for them to act on.
 */
#define OSC_CTRL_GRANTED      (OSC_CTRL_PCIE_CAP | OSC_CTRL_PME | OSC_CTRL_AER)

static void aml_create_dword_field(struct aml *a, unsigned int arg, uint64_t byte, const char *name)
{
	aml_byte(a, AML_CREATE_DWORD_FIELD);
	aml_byte(a, (uint8_t)(AML_ARG0 + arg));
	aml_int(a, byte);
	aml_name(a, name);
}

/* Or(name, bits, name), i.e. name |= bits */
static void aml_or_in(struct aml *a, const char *name, uint64_t bits)
{
	aml_byte(a, AML_OR);
	aml_name(a, name);
	aml_int(a, bits);
	aml_name(a, name);
}

/*
 * Method (_OSC, 4) {
 *     CreateDWordField (Arg3, 0, CDW1)
 *     If (Arg0 == ToUUID (OSC_PCI_HOST_BRIDGE_UUID)) {
 *         CreateDWordField (Arg3, 8, CDW3)
 *         Local0 = CDW3 & OSC_CTRL_GRANTED
 *         If (Arg1 != 1) { CDW1 |= OSC_ERR_REVISION }
 *         If (CDW3 != Local0) { CDW1 |= OSC_ERR_MASKED }
 *         CDW3 = Local0
 *     } Else {
 *         CDW1 |= OSC_ERR_UUID
 *     }
 *     Return (Arg3)
 * }
 * A query (DWORD 1 bit 0) gets the same answer: nothing here changes state.
 */
static void pci0_osc(struct aml *a)
{
	size_t method, body, inner;

	aml_byte(a, AML_METHOD);
	method = aml_pkg_begin(a);
	aml_name(a, "_OSC");
	aml_byte(a, 4);                          /* 4 arguments, not serialized */
	aml_create_dword_field(a, 3, 0, "CDW1");

	aml_byte(a, AML_IF);
	body = aml_pkg_begin(a);
	aml_byte(a, AML_LEQUAL);
	aml_byte(a, AML_ARG0);
	aml_uuid(a, OSC_PCI_HOST_BRIDGE_UUID);
	aml_create_dword_field(a, 3, 8, "CDW3");
	aml_byte(a, AML_AND);
	aml_name(a, "CDW3");
	aml_int(a, OSC_CTRL_GRANTED);
	aml_byte(a, AML_LOCAL0);
	aml_byte(a, AML_IF);                     /* If (LNot (LEqual (Arg1, 1))) */
	inner = aml_pkg_begin(a);
	aml_byte(a, AML_LNOT);
	aml_byte(a, AML_LEQUAL);
	aml_byte(a, AML_ARG0 + 1);
	aml_int(a, 1);
	aml_or_in(a, "CDW1", OSC_ERR_REVISION);
	aml_pkg_end(a, inner);
	aml_byte(a, AML_IF);                     /* If (LNot (LEqual (CDW3, Local0))) */
	inner = aml_pkg_begin(a);
	aml_byte(a, AML_LNOT);
	aml_byte(a, AML_LEQUAL);
	aml_name(a, "CDW3");
	aml_byte(a, AML_LOCAL0);
	aml_or_in(a, "CDW1", OSC_ERR_MASKED);
	aml_pkg_end(a, inner);
	aml_byte(a, AML_STORE);
	aml_byte(a, AML_LOCAL0);
	aml_name(a, "CDW3");
	aml_pkg_end(a, body);

	aml_byte(a, AML_ELSE);
	body = aml_pkg_begin(a);
	aml_or_in(a, "CDW1", OSC_ERR_UUID);
	aml_pkg_end(a, body);

	aml_byte(a, AML_RETURN);
	aml_byte(a, AML_ARG0 + 3);
	aml_pkg_end(a, method);
}

static void dsdt_pci(struct aml *a, const struct acpi_cfg *cfg)
{
	size_t dev;

	aml_device_begin(a, "PCI0", &dev);
	aml_name_eisaid(a, "_HID", "PNP0A08");
	aml_name_eisaid(a, "_CID", "PNP0A03");
	aml_name_int(a, "_SEG", 0);
	aml_name_int(a, "_BBN", cfg->pci_bus_start);
	aml_name_int(a, "_UID", 0);
	aml_name_resources(a, "_CRS", pci0_crs, cfg);
	pci0_osc(a);
	if (cfg->n_pci_irqs)
		pci0_prt(a, cfg);
	aml_pkg_end(a, dev);
	dsdt_device(a, "RES0", "PNP0C02", 0, ecam_crs, cfg);
}

/*
 * The legacy ISA devices the VMM emulates. Without a PIC (hardware-reduced
 * ACPI) Linux learns their IRQs only from here: without COM1, ttyS0 has no
 * interrupt and /dev/console output after early boot is lost; without RTC0,
 * rtc_cmos asks for ISA IRQ 8, which then does not exist, and fails (-EINVAL).
 */
static void dsdt_isa(struct aml *a, const struct acpi_cfg *cfg)
{
	dsdt_device(a, "COM1", "PNP0501", 1, com1_crs, cfg);
	dsdt_device(a, "RTC0", "PNP0B00", 0, rtc_crs, cfg);
}

/* The DSDT body: \_S5, \_SB.COM1, \_SB.RTC0, and with PCI, \_SB.PCI0 and the ECAM reservation. */
static void dsdt_body(struct aml *a, const struct acpi_cfg *cfg)
{
	size_t pkg;

	aml_byte(a, AML_NAME);
	aml_name(a, "\\_S5_");
	aml_byte(a, AML_PACKAGE);
	pkg = aml_pkg_begin(a);
	aml_byte(a, 4);
	aml_int(a, ACPI_SLP_TYP_S5);  /* SLP_TYPa */
	aml_int(a, ACPI_SLP_TYP_S5);  /* SLP_TYPb */
	aml_int(a, 0);
	aml_int(a, 0);
	aml_pkg_end(a, pkg);
	aml_byte(a, AML_SCOPE);
	pkg = aml_pkg_begin(a);
	aml_name(a, "\\_SB_");
	dsdt_isa(a, cfg);
	if (cfg->ecam_base)
		dsdt_pci(a, cfg);
	aml_pkg_end(a, pkg);
}

/* ---- tables ---- */

static size_t dsdt_build(struct acpi_area *area, const struct acpi_cfg *cfg)
{
	size_t room = sizeof(area->data) - MIN(area->used, sizeof(area->data));
	struct aml a;
	uint8_t *buf;
	size_t off;

	buf = malloc(room);
	if (!buf)
		return SIZE_MAX;
	a = (struct aml){ .p = buf, .cap = room };
	for (int i = 0; i < SDT_HDR_LEN; i++)
		aml_byte(&a, 0);                       /* the header, filled below */
	dsdt_body(&a, cfg);
	off = a.err ? SIZE_MAX : area_alloc(area, a.len);
	if (off != SIZE_MAX) {
		memcpy(area->data + off, buf, a.len);
		sdt_header(area->data + off, "DSDT", (uint32_t)a.len, 2, "IOVIRT");
		sdt_seal(area->data + off);
	}
	free(buf);
	return off;
}

static void gas_io(uint8_t *p, size_t off, uint16_t port)
{
	le_put(p + off, 1, GAS_SYSTEM_IO);
	le_put(p + (off + 1), 1, 8);           /* bit width */
	le_put(p + (off + 2), 1, 0);           /* bit offset */
	le_put(p + (off + 3), 1, GAS_ACCESS_BYTE);
	le_put(p + (off + 4), 8, port);
}

static size_t fadt_build(struct acpi_area *area, const struct acpi_cfg *cfg, size_t dsdt)
{
	size_t off = area_alloc(area, FADT_LEN);
	uint32_t flags = FADT_HW_REDUCED | FADT_WBINVD;
	uint8_t *t;

	if (off == SIZE_MAX)
		return off;
	t = area->data + off;
	sdt_header(t, "FACP", FADT_LEN, 6, "IOVIRT");
	le_put(t + 40, 4, (uint32_t)area_gpa(dsdt));        /* DSDT */
	le_put(t + 46, 2, cfg->sci_irq);                   /* SCI_INT */
	le_put(t + 109, 2, IAPC_VGA_NOT_PRESENT);           /* IAPC_BOOT_ARCH */
	if (cfg->reset_port) {
		flags |= FADT_RESET_REG_SUP;
		gas_io(t, 116, cfg->reset_port);       /* RESET_REG */
		le_put(t + 128, 1, cfg->reset_value);
	}
	le_put(t + 112, 4, flags);
	le_put(t + 131, 1, 0);                               /* FADT minor version */
	le_put(t + 140, 8, area_gpa(dsdt));                 /* X_DSDT */
	gas_io(t, 244, cfg->sleep_ctl_port);           /* SLEEP_CONTROL_REG */
	gas_io(t, 256, cfg->sleep_sts_port);           /* SLEEP_STATUS_REG */
	memcpy(t + 268, "IOVIRT\0\0", 8);              /* hypervisor vendor identity */
	sdt_seal(t);
	return off;
}

static size_t madt_len(const struct acpi_cfg *cfg)
{
	return SDT_HDR_LEN + 8 + 8 * (size_t)cfg->ncpus + 12 + 2 * 10 + 6;
}

static size_t madt_iso(uint8_t *t, size_t p, uint8_t irq, uint32_t gsi, uint16_t flags)
{
	le_put(t + p, 1, MADT_ISO);
	le_put(t + (p + 1), 1, 10);
	le_put(t + (p + 2), 1, 0);                /* ISA */
	le_put(t + (p + 3), 1, irq);
	le_put(t + (p + 4), 4, gsi);
	le_put(t + (p + 8), 2, flags);
	return p + 10;
}

static size_t madt_build(struct acpi_area *area, const struct acpi_cfg *cfg)
{
	size_t len = madt_len(cfg), off = area_alloc(area, len), p;
	uint8_t *t;

	if (off == SIZE_MAX)
		return off;
	t = area->data + off;
	sdt_header(t, "APIC", (uint32_t)len, 4, "IOVIRT");
	le_put(t + 36, 4, (uint32_t)GPA_LAPIC);
	le_put(t + 40, 4, MADT_PCAT_COMPAT);
	p = 44;
	for (unsigned int i = 0; i < cfg->ncpus; i++, p += 8) {
		le_put(t + p, 1, MADT_LAPIC);
		le_put(t + (p + 1), 1, 8);
		le_put(t + (p + 2), 1, (uint8_t)i);  /* ACPI processor UID */
		le_put(t + (p + 3), 1, (uint8_t)i);  /* APIC id */
		le_put(t + (p + 4), 4, 1);          /* enabled */
	}
	le_put(t + p, 1, MADT_IOAPIC);
	le_put(t + (p + 1), 1, 12);
	le_put(t + (p + 2), 1, cfg->ioapic_id);
	le_put(t + (p + 4), 4, (uint32_t)cfg->ioapic_addr);
	le_put(t + (p + 8), 4, cfg->ioapic_gsi_base);
	p = madt_iso(t, p + 12, ISA_PIT_IRQ, cfg->ioapic_gsi_base + ISA_PIT_GSI, 0);
	p = madt_iso(t, p, (uint8_t)cfg->sci_irq, cfg->ioapic_gsi_base + cfg->sci_irq,
		     MPS_INTI_LEVEL_HIGH);
	le_put(t + p, 1, MADT_LAPIC_NMI);
	le_put(t + (p + 1), 1, 6);
	le_put(t + (p + 2), 1, 0xff);                /* all processors */
	le_put(t + (p + 3), 2, MPS_INTI_EDGE_HIGH);
	le_put(t + (p + 5), 1, 1);                   /* LINT1 */
	sdt_seal(t);
	return off;
}

static size_t mcfg_build(struct acpi_area *area, const struct acpi_cfg *cfg)
{
	size_t off = area_alloc(area, MCFG_LEN);
	uint8_t *t;

	if (off == SIZE_MAX)
		return off;
	t = area->data + off;
	sdt_header(t, "MCFG", MCFG_LEN, 1, "IOVIRT");
	le_put(t + 44, 8, cfg->ecam_base);
	le_put(t + 52, 2, 0);                     /* segment */
	le_put(t + 54, 1, cfg->pci_bus_start);
	le_put(t + 55, 1, cfg->pci_bus_end);
	sdt_seal(t);
	return off;
}

/* RSDT (4-byte entries) or XSDT (8-byte entries) pointing at tables[0..n). */
static size_t xsdt_build(struct acpi_area *area, const size_t *tables, size_t n, bool x)
{
	size_t esz = x ? 8 : 4, len = SDT_HDR_LEN + n * esz, off = area_alloc(area, len);
	uint8_t *t;

	if (off == SIZE_MAX)
		return off;
	t = area->data + off;
	sdt_header(t, x ? "XSDT" : "RSDT", (uint32_t)len, 1, "IOVIRT");
	for (size_t i = 0; i < n; i++) {
		if (x)
			le_put(t + (SDT_HDR_LEN + i * esz), 8, area_gpa(tables[i]));
		else
			le_put(t + (SDT_HDR_LEN + i * esz), 4, (uint32_t)area_gpa(tables[i]));
	}
	sdt_seal(t);
	return off;
}

static void rsdp_fill(uint8_t *r, size_t rsdt, size_t xsdt)
{
	memcpy(r, "RSD PTR ", 8);
	memcpy(r + 9, ACPI_OEM_ID, 6);
	le_put(r + 15, 1, 2);                              /* revision: ACPI 2.0+ */
	le_put(r + 16, 4, (uint32_t)area_gpa(rsdt));
	le_put(r + 20, 4, RSDP_LEN);
	le_put(r + 24, 8, area_gpa(xsdt));
	r[8] = checksum8(r, RSDP_V1_LEN);
	r[32] = checksum8(r, RSDP_LEN);
}

static int cfg_check(const struct acpi_cfg *cfg)
{
	if (!cfg->ncpus || cfg->ncpus > ACPI_MAX_CPUS) {
		log_err("acpi: %u CPUs: must be 1..%u", cfg->ncpus, ACPI_MAX_CPUS);
		return -EINVAL;
	}
	if (cfg->ioapic_addr > UINT32_MAX || cfg->sci_irq > 15) {
		log_err("acpi: IOAPIC address or SCI IRQ out of range");
		return -EINVAL;
	}
	if (cfg->ecam_base && (cfg->pci_bus_start > cfg->pci_bus_end ||
			       (cfg->ecam_base & (MiB - 1)) ||
			       cfg->pci_mmio32_base + cfg->pci_mmio32_size > 4 * GiB ||
			       cfg->pci_mmio32_base + cfg->pci_mmio32_size < cfg->pci_mmio32_base ||
			       cfg->pci_mmio64_base + cfg->pci_mmio64_size < cfg->pci_mmio64_base)) {
		log_err("acpi: bad PCI bus range, ECAM base or MMIO window");
		return -EINVAL;
	}
	if (cfg->n_pci_irqs > 32 * 4 || (cfg->n_pci_irqs && (!cfg->pci_irqs || !cfg->ecam_base))) {
		log_err("acpi: %u PCI routes without PCI, or more than 128", cfg->n_pci_irqs);
		return -EINVAL;
	}
	for (unsigned int i = 0; i < cfg->n_pci_irqs; i++) {
		if (cfg->pci_irqs[i].slot > 31 || cfg->pci_irqs[i].pin > 3) {
			log_err("acpi: PCI route %u: slot %u pin %u out of range", i,
				cfg->pci_irqs[i].slot, cfg->pci_irqs[i].pin);
			return -EINVAL;
		}
	}
	return 0;
}

/* Lay out every table in area; SIZE_MAX offsets mean the area is full. */
static int tables_build(struct acpi_area *area, const struct acpi_cfg *cfg)
{
	size_t rsdp, dsdt, tables[3], n = 0, rsdt, xsdt;

	rsdp = area_alloc(area, RSDP_LEN);
	dsdt = dsdt_build(area, cfg);
	if (rsdp == SIZE_MAX || dsdt == SIZE_MAX)
		return -ENOSPC;
	tables[n++] = fadt_build(area, cfg, dsdt);
	tables[n++] = madt_build(area, cfg);
	if (cfg->ecam_base)
		tables[n++] = mcfg_build(area, cfg);
	for (size_t i = 0; i < n; i++)
		if (tables[i] == SIZE_MAX)
			return -ENOSPC;
	rsdt = xsdt_build(area, tables, n, false);
	xsdt = xsdt_build(area, tables, n, true);
	if (rsdt == SIZE_MAX || xsdt == SIZE_MAX)
		return -ENOSPC;
	rsdp_fill(area->data + rsdp, rsdt, xsdt);
	return 0;
}

int acpi_build(struct guest_mem *mem, const struct acpi_cfg *cfg)
{
	struct acpi_area *area;
	int ret;

	ret = cfg_check(cfg);
	if (ret)
		return ret;
	area = calloc(1, sizeof(*area));
	if (!area)
		return -ENOMEM;
	ret = tables_build(area, cfg);
	if (ret)
		log_err("acpi: tables outgrow the %llu-byte area",
			(unsigned long long)GPA_ACPI_TABLES_SIZE);
	else if ((ret = guest_mem_write(mem, GPA_ACPI_TABLES, area->data, area->used)))
		log_err("acpi: table area at 0x%llx is not in guest RAM",
			(unsigned long long)GPA_ACPI_TABLES);
	free(area);
	return ret;
}

void acpi_cfg_init_default(struct acpi_cfg *cfg, unsigned int ncpus, uint64_t ram_size)
{
	uint64_t high_end = GPA_RAM_HIGH_START;

	if (ram_size > GPA_RAM_LOW_END)
		high_end += ram_size - GPA_RAM_LOW_END;
	*cfg = (struct acpi_cfg){
		.ncpus = ncpus,
		.ioapic_addr = GPA_IOAPIC,
		.ioapic_id = 0,
		.ioapic_gsi_base = 0,
		.sci_irq = ACPI_SCI_IRQ,
		.ecam_base = GPA_PCI_ECAM,
		.pci_bus_start = 0,
		.pci_bus_end = 0, /* only bus 0 exists: guests then probe no other */
		.pci_mmio32_base = GPA_PCI_MMIO32_START,
		.pci_mmio32_size = GPA_PCI_MMIO32_END - GPA_PCI_MMIO32_START,
		.pci_mmio64_base = (high_end + GiB - 1) & ~(GiB - 1),
		.pci_mmio64_size = GPA_PCI_MMIO64_SIZE,
		.sleep_ctl_port = PORT_ACPI_SLEEP_CTL,
		.sleep_sts_port = PORT_ACPI_SLEEP_STS,
	};
}
