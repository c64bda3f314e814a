#include "e820.h"

#include <errno.h>
#include <string.h>

#define EBDA_START 0x9fc00ULL

static bool range_wraps(uint64_t addr, uint64_t size)
{
	return addr + size - 1 < addr;
}

int e820_map_add(struct e820_map *map, uint64_t addr, uint64_t size, uint32_t type)
{
	const struct e820_entry *last;

	if (!size || range_wraps(addr, size))
		return -EINVAL;
	if (map->n) {
		last = &map->entries[map->n - 1];
		if (addr < last->addr + last->size)
			return -EINVAL;
	}
	if (map->n == E820_MAX_ENTRIES)
		return -ENOSPC;
	map->entries[map->n++] = (struct e820_entry){ .addr = addr, .size = size, .type = type };
	return 0;
}

int e820_map_build(struct e820_map *map, uint64_t ram_size)
{
	uint64_t low_end = MIN(ram_size, GPA_RAM_LOW_END);
	int ret = 0;

	memset(map, 0, sizeof(*map));
	if (ram_size < E820_RAM_MIN)
		return -ENOMEM;
	ret |= e820_map_add(map, 0, EBDA_START, E820_TYPE_RAM);
	ret |= e820_map_add(map, EBDA_START, GPA_LEGACY_HOLE_START - EBDA_START, E820_TYPE_RESERVED);
	ret |= e820_map_add(map, GPA_LEGACY_HOLE_START, GPA_BIOS_TABLES - GPA_LEGACY_HOLE_START,
			    E820_TYPE_RESERVED);
	ret |= e820_map_add(map, GPA_BIOS_TABLES, GPA_BIOS_TABLES_SIZE, E820_TYPE_RESERVED);
	ret |= e820_map_add(map, GPA_LEGACY_HOLE_END, low_end - GPA_LEGACY_HOLE_END, E820_TYPE_RAM);
	ret |= e820_map_add(map, GPA_PCI_ECAM, GPA_PCI_ECAM_SIZE, E820_TYPE_RESERVED);
	if (ram_size > GPA_RAM_LOW_END)
		ret |= e820_map_add(map, GPA_RAM_HIGH_START, ram_size - GPA_RAM_LOW_END, E820_TYPE_RAM);
	/* Only a ram_size so large that high RAM wraps can fail here. */
	return ret ? -ENOMEM : 0;
}

bool e820_map_is_valid(const struct e820_map *map)
{
	if (map->n > E820_MAX_ENTRIES)
		return false;
	for (unsigned int i = 0; i < map->n; i++) {
		const struct e820_entry *e = &map->entries[i];

		if (!e->size || range_wraps(e->addr, e->size))
			return false;
		if (i && e->addr < map->entries[i - 1].addr + map->entries[i - 1].size)
			return false;
	}
	return true;
}

bool e820_map_is_ram(const struct e820_map *map, uint64_t addr, uint64_t size)
{
	if (!size || range_wraps(addr, size))
		return false;
	for (unsigned int i = 0; i < map->n && i < E820_MAX_ENTRIES; i++) {
		const struct e820_entry *e = &map->entries[i];

		if (e->type == E820_TYPE_RAM && addr >= e->addr &&
		    addr - e->addr <= e->size && size <= e->size - (addr - e->addr))
			return true;
	}
	return false;
}
