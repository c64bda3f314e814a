#include "guest-image.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"
#include "memory-map.h"
#include "vcpu.h"
#include "vm.h"

static bool elf_header_valid(const Elf64_Ehdr *eh, size_t len)
{
	if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_machine != EM_X86_64 || eh->e_type != ET_EXEC)
		return false;
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || !eh->e_phnum || eh->e_phnum > 64)
		return false;
	return eh->e_phoff <= len && eh->e_phnum * sizeof(Elf64_Phdr) <= len - eh->e_phoff;
}

static int elf_segment_load(struct guest_mem *mem, const uint8_t *file, size_t len,
			    const Elf64_Phdr *ph)
{
	uint8_t *dst;

	if (ph->p_filesz > ph->p_memsz || ph->p_offset > len || ph->p_filesz > len - ph->p_offset)
		return -ENOEXEC;
	if (ph->p_paddr < GUEST_IMAGE_MIN_GPA)
		return -EFAULT;
	dst = gpa_to_hva(mem, ph->p_paddr, ph->p_memsz);
	if (!dst)
		return -EFAULT;
	memcpy(dst, file + ph->p_offset, ph->p_filesz);
	memset(dst + ph->p_filesz, 0, ph->p_memsz - ph->p_filesz);
	return 0;
}

static bool elf_entry_in(const Elf64_Phdr *ph, uint64_t entry)
{
	return (ph->p_flags & PF_X) && entry >= ph->p_paddr && entry - ph->p_paddr < ph->p_memsz;
}

int guest_image_load_buf(struct guest_mem *mem, const void *buf, size_t len, uint64_t *entry)
{
	const Elf64_Ehdr *eh = buf;
	const Elf64_Phdr *phs;
	bool entry_ok = false;
	unsigned loaded = 0;

	if (!elf_header_valid(eh, len))
		return -ENOEXEC;
	phs = (const Elf64_Phdr *)((const uint8_t *)buf + eh->e_phoff);
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr ph;
		int ret;

		memcpy(&ph, &phs[i], sizeof(ph));
		if (ph.p_type != PT_LOAD || !ph.p_memsz)
			continue;
		ret = elf_segment_load(mem, buf, len, &ph);
		if (ret)
			return ret;
		loaded++;
		entry_ok |= elf_entry_in(&ph, eh->e_entry);
	}
	if (!loaded || !entry_ok)
		return -ENOEXEC;
	*entry = eh->e_entry;
	return 0;
}

static int file_read_all(const char *path, uint8_t **out, size_t *len)
{
	struct stat st;
	ssize_t n;
	int fd, ret = 0;

	fd = file_open_regular(path, &st);
	if (fd == -EISDIR)
		return -EINVAL;
	if (fd < 0)
		return fd;
	if ((uint64_t)st.st_size > GUEST_IMAGE_MAX_FILE || st.st_size == 0) {
		ret = -EFBIG;
		goto out;
	}
	*out = malloc(st.st_size);
	if (!*out) {
		ret = -ENOMEM;
		goto out;
	}
	n = pread(fd, *out, st.st_size, 0);
	if (n != st.st_size) {
		free(*out);
		ret = n < 0 ? -errno : -EIO;
		goto out;
	}
	*len = st.st_size;
out:
	close(fd);
	return ret;
}

int guest_image_load(struct guest_mem *mem, const char *path, uint64_t *entry)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int ret;

	ret = file_read_all(path, &buf, &len);
	if (ret)
		return ret == -EFBIG ? -ENOEXEC : ret;
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
