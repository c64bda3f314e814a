/*
 * The guest's e820 memory map, built from the memory map (memory-map.h) and
 * the guest's RAM size, in the layout Linux reads from boot_params.
 *
 *   0          - 0x9fc00       RAM
 *   0x9fc00    - 0xa0000       reserved (EBDA)
 *   0xa0000    - 0xe0000       reserved (legacy VGA and option ROM hole)
 *   0xe0000    - 0x100000      reserved (BIOS area: MP and ACPI tables)
 *   1 MiB      - min(RAM, GPA_RAM_LOW_END)  RAM
 *   GPA_PCI_ECAM, GPA_PCI_ECAM_SIZE         reserved (PCI ECAM)
 *   4 GiB      - 4 GiB + (RAM - GPA_RAM_LOW_END)  RAM, when RAM > GPA_RAM_LOW_END
 */
#ifndef IOVIRT_E820_H
#define IOVIRT_E820_H

#include <stdbool.h>
#include <stdint.h>

#include "compiler.h"
#include "memory-map.h"

#define E820_MAX_ENTRIES 128 /* what boot_params.e820_table holds */

enum e820_type {
	E820_TYPE_RAM = 1,
	E820_TYPE_RESERVED = 2,
	E820_TYPE_ACPI = 3,
	E820_TYPE_NVS = 4,
	E820_TYPE_UNUSABLE = 5,
};

/* One entry, laid out as struct boot_e820_entry in boot_params (20 bytes). */
struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
} __attribute__((packed));

struct e820_map {
	struct e820_entry entries[E820_MAX_ENTRIES];
	unsigned int n;
};

/* Smallest RAM size the map (and a Linux guest) can use: the low 640 KiB plus 1 MiB above the hole. */
#define E820_RAM_MIN (GPA_LEGACY_HOLE_END + MiB)

/*
 * Build the map of a guest with ram_size bytes of RAM (low RAM first, the rest
 * from GPA_RAM_HIGH_START, as the VM lays it out). Returns 0, or -ENOMEM when
 * ram_size < E820_RAM_MIN.
 */
int e820_map_build(struct e820_map *map, uint64_t ram_size) __must_check;

/*
 * Append [addr, addr + size) of the given type. Entries must be added in
 * ascending order without overlap. Returns 0, -EINVAL (size 0, wrap, out of
 * order, overlap) or -ENOSPC (map full).
 */
int e820_map_add(struct e820_map *map, uint64_t addr, uint64_t size, uint32_t type) __must_check;

/* True when entries are non-empty, sorted, non-overlapping and non-wrapping. */
bool e820_map_is_valid(const struct e820_map *map);

/* True when [addr, addr + size) lies wholly inside one E820_TYPE_RAM entry. */
bool e820_map_is_ram(const struct e820_map *map, uint64_t addr, uint64_t size);

#endif
