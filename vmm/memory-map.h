/*
 * The guest-physical memory map every iovirt VM uses (x86-64).
 *
 *   0x00000000 - 0x0009ffff  RAM (low 640 KiB: real-mode area, boot_params, command line)
 *   0x000a0000 - 0x000fffff  legacy hole (VGA, option ROMs, BIOS area: MP/ACPI tables live at 0xe0000)
 *   0x00100000 - RAM_LOW_END RAM (kernel, initrd, guest images)
 *   0xc0000000 - 0xdfffffff  32-bit PCI MMIO window (BARs)
 *   0xe0000000 - 0xefffffff  PCI ECAM (256 buses)
 *   0xfec00000               IOAPIC
 *   0xfee00000               local APIC
 *   4 GiB - ...              RAM above the hole when the guest has more than RAM_LOW_END
 *   after high RAM           64-bit PCI MMIO window
 *
 * The low-RAM entry covers 0 - min(size, RAM_LOW_END) in one memory slot; the
 * e820 map marks the legacy hole reserved, and KVM keeps backing it with RAM.
 */
#ifndef IOVIRT_MEMORY_MAP_H
#define IOVIRT_MEMORY_MAP_H

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

/* Boot-time structures in low RAM, shared by the Linux loader and the guest-image loader. */
#define GPA_BOOT_GDT          0x00000500ULL /* flat GDT: 0x10 = 64-bit code, 0x18 = data (Linux's __BOOT_CS/__BOOT_DS) */
#define GPA_BOOT_IDT          0x00000600ULL
#define GPA_ZERO_PAGE         0x00007000ULL /* Linux boot_params */
#define GPA_BOOT_STACK_TOP    0x00008ff0ULL
#define GPA_BOOT_PML4         0x00009000ULL /* identity page tables: PML4, PDPT, 4 PDs of 2 MiB pages = 4 GiB */
#define GPA_BOOT_PDPT         0x0000a000ULL
#define GPA_BOOT_PD           0x0000b000ULL /* 4 pages: 0xb000 - 0xefff */
#define GPA_CMDLINE           0x00020000ULL
#define GPA_CMDLINE_MAX       0x00010000ULL /* 64 KiB including the NUL */
#define GPA_KERNEL_DEFAULT    0x01000000ULL /* 16 MiB: where a relocatable kernel goes by default */

#define GPA_LEGACY_HOLE_START 0x000a0000ULL
#define GPA_LEGACY_HOLE_END   0x00100000ULL
#define GPA_BIOS_TABLES       0x000e0000ULL /* MP table, ACPI RSDP and tables: 128 KiB */
#define GPA_BIOS_TABLES_SIZE  0x00020000ULL
#define GPA_ACPI_TABLES       0x000e0000ULL /* RSDP first (Linux scans 0xe0000-0xfffff), then the tables: 64 KiB */
#define GPA_ACPI_TABLES_SIZE  0x00010000ULL
#define GPA_ACPI_RSDP         GPA_ACPI_TABLES
#define GPA_MPTABLE           0x000f0000ULL /* MP floating pointer + configuration table: 64 KiB */
#define GPA_MPTABLE_SIZE      0x00010000ULL
#define GPA_RAM_LOW_END       0xc0000000ULL /* RAM below the 32-bit PCI hole */
#define GPA_PCI_MMIO32_START  0xc0000000ULL
#define GPA_PCI_MMIO32_END    0xe0000000ULL
#define GPA_PCI_ECAM          0xe0000000ULL
#define GPA_PCI_ECAM_SIZE     0x10000000ULL
#define GPA_IOAPIC            0xfec00000ULL
#define GPA_LAPIC             0xfee00000ULL
#define GPA_RAM_HIGH_START    0x100000000ULL
#define GPA_PCI_MMIO64_SIZE   (64ULL * GiB)

/*
 * I/O ports the VMM emulates. The ACPI tables (FADT sleep control/status
 * registers, \_S5) and the MP table describe these same values.
 */
#define PORT_COM1             0x3f8  /* 8250 UART, 8 ports, ISA IRQ 4 */
#define IRQ_COM1              4
#define PORT_I8042_DATA       0x60
#define PORT_I8042_CMD        0x64   /* command 0xfe: pulse reset = reboot request */
#define PORT_RTC_INDEX        0x70   /* CMOS index (bit 7: NMI disable), data at 0x71 */
#define IRQ_RTC               8
#define PORT_UCALL            0x510  /* 32-bit write of a struct ucall's guest-physical address */
#define PORT_ACPI_SLEEP_CTL   0x600  /* hardware-reduced ACPI SLEEP_CONTROL_REG: SLP_TYP bits 4:2, SLP_EN bit 5 */
#define PORT_ACPI_SLEEP_STS   0x601  /* SLEEP_STATUS_REG: WAK_STS bit 7 */
#define ACPI_SLP_TYP_S5       5      /* \_S5 package value: writing SLP_TYP=5 with SLP_EN powers off */
#define ACPI_SCI_IRQ          9
#define PORT_PCI_CONFIG_ADDR  0xcf8  /* PCI configuration mechanism #1: CF8 address, CFC-CFF data */
#define PORT_PCI_CONFIG_DATA  0xcfc
#define PORT_RESET_CF9        0xcf9  /* reset control register: bit 2 (RST_CPU) requests a reset */
#define PORT_PCI_IO_START     0xc000 /* I/O BAR window */
#define PORT_PCI_IO_END       0x10000

#endif
