/* The paths the benchmark knows, whether this machine can run them, and the machine's facts. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

const char *const bench_exit_names[BENCH_EXIT_REASONS] = {
	"exits", "io_exits", "mmio_exits", "halt_exits", "irq_exits", "irq_window_exits",
	"signal_exits", "irq_injections",
};

const struct bench_path bench_paths[] = {
	{ .name = "iovirt-e1000", .vmm = BENCH_VMM_IOVIRT, .model = "e1000",
	  .summary = "iovirt's e1000 model (full emulation)", .peer = "qemu-e1000" },
	{ .name = "iovirt-virtio", .vmm = BENCH_VMM_IOVIRT, .model = "virtio",
	  .summary = "iovirt's virtio-net, serviced in the VMM", .peer = "qemu-virtio" },
	{ .name = "qemu-e1000", .vmm = BENCH_VMM_QEMU, .model = "e1000,mitigation=on",
	  .summary = "QEMU 7.2's e1000, -accel kvm" },
	{ .name = "qemu-virtio", .vmm = BENCH_VMM_QEMU,
	  .model = "virtio-net-pci,disable-legacy=on,disable-modern=off",
	  .summary = "QEMU 7.2's virtio-net-pci (userspace data path), -accel kvm" },
	{ .name = "iovirt-vhost-user", .vmm = BENCH_VMM_IOVIRT, .vhost_user = true,
	  .summary = "iovirt's virtio-net over vhost-user to iovirt switch (sink, gen, reflect)",
	  .peer = "qemu-vhost-user" },
	{ .name = "qemu-vhost-user", .vmm = BENCH_VMM_QEMU, .vhost_user = true,
	  .model = "virtio-net-pci,disable-legacy=on,disable-modern=off",
	  .summary = "QEMU 7.2's virtio-net-pci with -netdev vhost-user to iovirt switch "
		     "(sink, gen, reflect), -accel kvm" },
	{ .name = BENCH_HOST_PATH, .vmm = BENCH_VMM_HOST,
	  .summary = "no VM (HOST): DPDK's virtio-user (testpmd txonly, rxonly) against iovirt "
		     "switch (sink, gen)" },
	{ .name = "vfio", .vmm = BENCH_VMM_LATER, .summary = "a device passed through with VFIO",
	  .later = "not in the benchmark yet (VFIO passthrough is being built)" },
};
const unsigned bench_path_count = sizeof(bench_paths) / sizeof(bench_paths[0]);

const struct bench_path *bench_path_find(const char *name)
{
	for (unsigned i = 0; i < bench_path_count; i++)
		if (!strcmp(bench_paths[i].name, name))
			return &bench_paths[i];
	return NULL;
}

/* 0 when a VM can be created on /dev/kvm; else -errno with why. */
static int kvm_check(char *why, size_t len)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC), vm, err;

	if (fd < 0) {
		err = errno;
		snprintf(why, len, "cannot open /dev/kvm: %s", strerror(err));
		return -err;
	}
	vm = ioctl(fd, KVM_CREATE_VM, 0);
	err = errno;
	close(fd);
	if (vm < 0) {
		snprintf(why, len, "/dev/kvm cannot create a VM: %s", strerror(err));
		return -err;
	}
	close(vm);
	return 0;
}

/* 0 when prog is an executable path or found on PATH. */
static int program_find(const char *prog)
{
	const char *path = getenv("PATH");
	char buf[4096];

	if (strchr(prog, '/'))
		return access(prog, X_OK) ? -errno : 0;
	for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
		size_t n = strcspn(p, ":");

		snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, p, prog);
		if (!access(buf, X_OK))
			return 0;
		p += n + (p[n] == ':');
	}
	return -ENOENT;
}

/* Free 2 MiB hugepages (the switch and testpmd need about 100). */
static long hugepages_free(void)
{
	FILE *f = fopen("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "re");
	long n = 0;

	if (f && fscanf(f, "%ld", &n) != 1)
		n = 0;
	if (f)
		fclose(f);
	return n;
}

/* What iovirt switch needs (the HOST baseline also dpdk-testpmd); 0 or -errno with why. */
static int switch_check(const struct bench_plan *plan, bool testpmd, char *why, size_t len)
{
	if (!plan->switch_built) {
		snprintf(why, len, "this iovirt was built without DPDK (no iovirt switch)");
		return -EOPNOTSUPP;
	}
	if (testpmd && program_find("dpdk-testpmd")) {
		snprintf(why, len, "dpdk-testpmd not found (Debian package dpdk-dev)");
		return -ENOENT;
	}
	if (hugepages_free() < 100) {
		snprintf(why, len, "%ld free 2 MiB hugepages, 100 needed (scripts/hugepages 512)",
			 hugepages_free());
		return -ENOMEM;
	}
	return 0;
}

int bench_workload_check(const struct bench_path *path, unsigned workload, char *why, size_t len)
{
	if (path->vmm != BENCH_VMM_HOST || workload != BENCH_WL_PINGPONG)
		return 0;
	snprintf(why, len, "the HOST baseline has no ping-pong (testpmd has no such workload)");
	return -EOPNOTSUPP;
}

int bench_path_check(const struct bench_path *path, const struct bench_plan *plan, char *why,
		     size_t len)
{
	int ret;

	if (path->vmm == BENCH_VMM_LATER) {
		snprintf(why, len, "%s", path->later);
		return -EOPNOTSUPP;
	}
	if (path->vmm == BENCH_VMM_HOST || path->vhost_user) {
		ret = switch_check(plan, path->vmm == BENCH_VMM_HOST, why, len);
		if (ret || path->vmm == BENCH_VMM_HOST)
			return ret;
	}
	if (path->vmm == BENCH_VMM_QEMU) {
		if (program_find(plan->qemu)) {
			snprintf(why, len, "%s not found (install qemu-system-x86)", plan->qemu);
			return -ENOENT;
		}
		if (plan->qemu_tcg_check)
			return 0;
	}
	ret = kvm_check(why, len);
	if (ret && path->vmm == BENCH_VMM_QEMU)
		snprintf(why + strlen(why), len - strlen(why), "; QEMU without KVM (TCG) gives "
			 "no meaningful figures");
	return ret;
}

int bench_backend_spec(unsigned workload, unsigned size, unsigned count, char *buf, size_t len)
{
	int n;

	switch (workload) {
	case BENCH_WL_TX:
		n = snprintf(buf, len, "sink");
		break;
	case BENCH_WL_RX:
		n = snprintf(buf, len, "gen:size=%u,count=%u", size, count);
		break;
	case BENCH_WL_PINGPONG:
		n = snprintf(buf, len, "loop");
		break;
	default:
		return -EINVAL;
	}
	return n < 0 || (size_t)n >= len ? -EINVAL : 0;
}

/* The first line of path starting with key, value after ": " into out. */
static void proc_value(const char *path, const char *key, char *out, size_t len)
{
	FILE *f = fopen(path, "re");
	char line[512];

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *c = strchr(line, ':');

		if (strncmp(line, key, strlen(key)) || !c)
			continue;
		c += 1 + strspn(c + 1, " \t");
		c[strcspn(c, "\n")] = 0;
		snprintf(out, len, "%s", c);
		break;
	}
	fclose(f);
}

static void kvm_describe(char *out, size_t len)
{
	static const char *const mods[] = { "kvm_intel", "kvm_amd", "kvm_pvm" };
	char why[BENCH_REASON_MAX], dir[64];
	struct stat st;
	const char *kind = "module unknown";

	for (size_t i = 0; i < sizeof(mods) / sizeof(mods[0]); i++) {
		snprintf(dir, sizeof(dir), "/sys/module/%s", mods[i]);
		if (!stat(dir, &st))
			kind = mods[i];
	}
	if (kvm_check(why, sizeof(why)))
		snprintf(out, len, "%s (%s)", why, kind);
	else
		snprintf(out, len, "/dev/kvm usable (%s)", kind);
}

static void qemu_describe(const char *qemu, char *out, size_t len)
{
	char cmd[600];
	FILE *p;

	snprintf(out, len, "%s not found", qemu);
	if (program_find(qemu) || strpbrk(qemu, "'\\"))
		return;
	snprintf(cmd, sizeof(cmd), "'%s' --version 2>/dev/null", qemu);
	p = popen(cmd, "re");
	if (!p)
		return;
	if (fgets(out, (int)len, p))
		out[strcspn(out, "\n")] = 0;
	pclose(p);
}

void bench_machine_probe(struct bench_machine *m, const char *qemu)
{
	struct utsname u;
	time_t now = time(NULL);
	struct tm tm;

	*m = (struct bench_machine){ .cpus = (unsigned)sysconf(_SC_NPROCESSORS_ONLN) };
	snprintf(m->cpu_model, sizeof(m->cpu_model), "unknown");
	proc_value("/proc/cpuinfo", "model name", m->cpu_model, sizeof(m->cpu_model));
	if (!uname(&u))
		snprintf(m->kernel, sizeof(m->kernel), "%s %s %s", u.sysname, u.release, u.machine);
	kvm_describe(m->kvm, sizeof(m->kvm));
	qemu_describe(qemu, m->qemu, sizeof(m->qemu));
	gmtime_r(&now, &tm);
	strftime(m->date, sizeof(m->date), "%Y-%m-%dT%H:%M:%SZ", &tm);
}
