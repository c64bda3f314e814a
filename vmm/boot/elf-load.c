#include "elf-load.h"

#include <errno.h>
#include <string.h>

#include "log.h"

int elf_exec_check(const char *what, const uint8_t *buf, size_t len, Elf64_Ehdr *eh)
{
	if (len < sizeof(*eh)) {
		log_err("%s: %zu bytes is too small for an ELF header", what, len);
		return -ENOEXEC;
	}
	memcpy(eh, buf, sizeof(*eh));
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_ident[EI_DATA] != ELFDATA2LSB || eh->e_ident[EI_VERSION] != EV_CURRENT ||
	    eh->e_machine != EM_X86_64) {
		log_err("%s: not a little-endian ELF64 x86-64 file", what);
		return -ENOEXEC;
	}
	if (eh->e_type != ET_EXEC) {
		log_err("%s: ELF type %u is not ET_EXEC", what, eh->e_type);
		return -ENOEXEC;
	}
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || !eh->e_phnum || eh->e_phnum > ELF_PHNUM_MAX) {
		log_err("%s: %u program headers of %u bytes: unsupported", what, eh->e_phnum,
			eh->e_phentsize);
		return -ENOEXEC;
	}
	if (eh->e_phoff > len || (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > len - eh->e_phoff) {
		log_err("%s: program headers lie outside the file", what);
		return -ENOEXEC;
	}
	return 0;
}

void elf_phdr_get(const uint8_t *buf, const Elf64_Ehdr *eh, unsigned i, Elf64_Phdr *ph)
{
	memcpy(ph, buf + eh->e_phoff + (uint64_t)i * sizeof(*ph), sizeof(*ph));
}

int elf_segment_check(const char *what, const Elf64_Phdr *ph, size_t len)
{
	if (ph->p_filesz > ph->p_memsz) {
		log_err("%s: segment at 0x%llx has p_filesz > p_memsz", what,
			(unsigned long long)ph->p_paddr);
		return -ENOEXEC;
	}
	if (ph->p_offset > len || ph->p_filesz > len - ph->p_offset) {
		log_err("%s: segment data [0x%llx, +0x%llx) runs past the end of the file (%zu bytes)",
			what, (unsigned long long)ph->p_offset, (unsigned long long)ph->p_filesz, len);
		return -ENOEXEC;
	}
	if (ph->p_memsz && ph->p_paddr + ph->p_memsz - 1 < ph->p_paddr) {
		log_err("%s: segment at 0x%llx of 0x%llx bytes wraps the address space", what,
			(unsigned long long)ph->p_paddr, (unsigned long long)ph->p_memsz);
		return -ENOEXEC;
	}
	return 0;
}

int elf_segment_load(const char *what, struct guest_mem *mem, const uint8_t *buf,
		     const Elf64_Phdr *ph)
{
	uint8_t *dst = gpa_to_hva(mem, ph->p_paddr, ph->p_memsz);

	if (!dst) {
		log_err("%s: segment at 0x%llx is not backed by guest memory", what,
			(unsigned long long)ph->p_paddr);
		return -EFAULT;
	}
	memcpy(dst, buf + ph->p_offset, ph->p_filesz);
	memset(dst + ph->p_filesz, 0, ph->p_memsz - ph->p_filesz);
	return 0;
}
