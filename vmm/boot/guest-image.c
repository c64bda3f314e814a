#include "guest-image.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf-load.h"
#include "file.h"
#include "memory-map.h"
#include "vcpu.h"
#include "vm.h"

/* A loadable segment: inside the file, at or above GUEST_IMAGE_MIN_GPA, wholly in RAM. */
static int image_segment_load(struct guest_mem *mem, const uint8_t *file, size_t len,
			      const Elf64_Phdr *ph)
{
	int ret = elf_segment_check("guest image", ph, len);

	if (ret)
		return ret;
	if (ph->p_paddr < GUEST_IMAGE_MIN_GPA)
		return -EFAULT;
	return elf_segment_load("guest image", mem, file, ph);
}

static bool elf_entry_in(const Elf64_Phdr *ph, uint64_t entry)
{
	return (ph->p_flags & PF_X) && entry >= ph->p_paddr && entry - ph->p_paddr < ph->p_memsz;
}

int guest_image_load_buf(struct guest_mem *mem, const void *buf, size_t len, uint64_t *entry)
{
	bool entry_ok = false;
	unsigned loaded = 0;
	Elf64_Ehdr eh;

	if (elf_exec_check("guest image", buf, len, &eh))
		return -ENOEXEC;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		int ret;

		elf_phdr_get(buf, &eh, i, &ph);
		if (ph.p_type != PT_LOAD || !ph.p_memsz)
			continue;
		ret = image_segment_load(mem, buf, len, &ph);
		if (ret)
			return ret;
		loaded++;
		entry_ok |= elf_entry_in(&ph, eh.e_entry);
	}
	if (!loaded || !entry_ok)
		return -ENOEXEC;
	*entry = eh.e_entry;
	return 0;
}

int guest_image_load(struct guest_mem *mem, const char *path, uint64_t *entry)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int ret;

	ret = file_read_regular(path, GUEST_IMAGE_MAX_FILE, &buf, &len);
	if (ret == -EISDIR)
		return -EINVAL;
	if (ret)
		return ret == -E2BIG ? -ENOEXEC : ret;
	ret = guest_image_load_buf(mem, buf, len, entry);
	free(buf);
	return ret;
}

int guest_image_boot(struct vm *vm, const char *path)
{
	uint64_t entry;
	int ret;

	ret = guest_image_load(&vm->mem, path, &entry);
	for (unsigned i = 0; !ret && i < vm->ncpus; i++)
		ret = vcpu_set_long_mode(vm->vcpus[i], entry, GPA_BOOT_STACK_TOP, vm->ncpus, i);
	return ret;
}
