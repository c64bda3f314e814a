#include "vmm-test.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <linux/kvm.h>
#include <string.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest-image.h"
#include "sandbox.h"

/* Ends every skip message: where the test runs instead. */
#define TEST_SKIP_LAB "; the same test runs inside the lab as lab-vmm-tier (meson test --suite lab)"

void test_require_kvm(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int vm;

	if (fd < 0) {
		printf("SKIP: cannot open /dev/kvm: %s%s\n", strerror(errno), TEST_SKIP_LAB);
		exit(TEST_SKIP);
	}
	vm = ioctl(fd, KVM_CREATE_VM, 0);
	if (vm < 0) {
		printf("SKIP: KVM_CREATE_VM failed: %s%s\n", strerror(errno), TEST_SKIP_LAB);
		exit(TEST_SKIP);
	}
	close(vm);
	close(fd);
}

const char *test_image(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s GUEST-IMAGE.elf\n", argv[0]);
		exit(1);
	}
	return argv[1];
}

void test_vm_create(struct vm *vm, struct platform *plat, const char *image, unsigned ncpus,
		    uint64_t mem, int console_fd)
{
	struct vm_config cfg = { .ram_size = mem, .ncpus = ncpus };
	int ret;

	test_require_kvm();
	/* every vCPU and device thread under its seccomp filter, as in iovirt run (once per test) */
	if (!sandbox_enabled())
		TEST_ASSERT(!sandbox_enable(SANDBOX_TRAP), "cannot turn the sandbox on");
	ret = vm_create(vm, &cfg);
	TEST_ASSERT(!ret, "vm_create: %s", strerror(-ret));
	ret = platform_attach(vm, console_fd, plat);
	TEST_ASSERT(!ret, "platform_attach: %s", strerror(-ret));
	ret = guest_image_boot(vm, image);
	TEST_ASSERT(!ret, "guest_image_boot(%s): %s", image, strerror(-ret));
}

static void watchdog_fire(int sig)
{
	static const char msg[] = "watchdog: the run did not end in time (VMM or guest hung)\n";

	(void)sig;
	(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	_exit(1);
}

void test_watchdog(unsigned seconds)
{
	signal(SIGALRM, watchdog_fire);
	alarm(seconds);
}

/* As guest/host-link.h. */

int test_sync_tsc_answer(struct vcpu *vcpu, const struct ucall *uc)
{
	unsigned khz;

	if (uc->cmd != UCALL_SYNC || uc->args[0] != UCALL_SYNC_TSC_KHZ)
		return 0;
	khz = vcpu_tsc_khz(vcpu);
	TEST_ASSERT(khz > 0, "KVM_GET_TSC_KHZ gave no rate");
	printf("host: guest TSC %u kHz (KVM_GET_TSC_KHZ)\n", khz);
	TEST_ASSERT(!ucall_reply(vcpu, khz), "ucall reply");
	return 1;
}

uint64_t test_vcpu_ucall(struct vcpu *vcpu, struct ucall *uc)
{
	int r = vcpu_run(vcpu);

	TEST_ASSERT(r == VCPU_EXIT_UCALL, "vCPU %u stopped: %s: %s", vcpu->id,
		    vm_stop_reason_name(vcpu->vm->stop_reason), vcpu->vm->stop_msg);
	return get_ucall(vcpu, uc);
}

static long read_long(const char *path)
{
	FILE *f = fopen(path, "re");
	long v = -1;

	if (f && fscanf(f, "%ld", &v) != 1)
		v = -1;
	if (f)
		fclose(f);
	return v;
}

static bool hugetlbfs_mounted(void)
{
	FILE *f = fopen("/proc/mounts", "re");
	char line[512];
	bool found = false;

	while (f && !found && fgets(line, sizeof(line), f))
		found = strstr(line, " hugetlbfs ") != NULL;
	if (f)
		fclose(f);
	return found;
}

void test_hugepages_ensure(unsigned pages)
{
	const char *nr = "/proc/sys/vm/nr_hugepages";
	long free_pages = read_long("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages");
	FILE *f;

	if (free_pages < (long)pages && (f = fopen(nr, "we"))) {
		fprintf(f, "%ld\n", read_long(nr) + (long)pages - free_pages);
		fclose(f);
	}
	free_pages = read_long("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages");
	if (free_pages < (long)pages)
		printf("host: only %ld free 2 MiB hugepages of the %u wanted\n", free_pages, pages);
	if (!hugetlbfs_mounted()) {
		mkdir("/dev/hugepages", 0755);
		if (mount("none", "/dev/hugepages", "hugetlbfs", 0, NULL))
			printf("host: cannot mount hugetlbfs: %s\n", strerror(errno));
	}
}

int test_fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	TEST_ASSERT(d, "/proc/self/fd: %s", strerror(errno));
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

bool test_file_has(const char *path, const char *needle)
{
	static char buf[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return false;
	buf[n] = 0;
	return strstr(buf, needle);
}
