/* iovirt run: boot a Linux kernel or one of the project's guest images under KVM. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "boot-linux.h"
#include "cli.h"
#include "compiler.h"
#include "guest-image.h"
#include "memory-map.h"
#include "pci.h"
#include "platform.h"
#include "uart-8250.h"
#include "ucall.h"
#include "vcpu.h"
#include "vm.h"

#define RUN_EXIT_RESET   3
#define LINUX_MIN_RAM    (32ULL << 20)
#define MAX_DEVICES      16

static const char usage[] =
	"usage: iovirt run --kernel FILE [--initrd FILE] [--cmdline STRING] [OPTIONS]\n"
	"       iovirt run --guest IMAGE [OPTIONS]\n"
	"\n"
	"Run a virtual machine on /dev/kvm: a Linux kernel (bzImage or vmlinux ELF,\n"
	"64-bit boot protocol, ACPI and MP tables describing the CPUs, the PCI host\n"
	"bridge and a poweroff register) or one of the project's guest images (a\n"
	"static ELF built from guest/, entered in long mode on every vCPU). The guest's\n"
	"serial console (COM1, ttyS0) goes to standard output, its input comes from\n"
	"standard input.\n"
	"\n"
	"Options:\n"
	"  --kernel FILE     Linux bzImage or vmlinux\n"
	"  --initrd FILE     initial ramdisk\n"
	"  --cmdline STRING  kernel command line (default: console=ttyS0)\n"
	"  --guest IMAGE     a guest image (ELF) instead of a kernel\n"
	"  --mem SIZE        guest RAM, a multiple of 2 MiB: 512M, 2G, ... (default 512M)\n"
	"  --cpus N          vCPUs, 1-64 (default 1)\n"
	"  --hugetlb         back guest RAM with 2 MiB huge pages\n"
	"  --device NAME     add a PCI device (pci-testdev); may be repeated\n"
	"  --console FILE    write the serial console to FILE instead of standard output\n"
	"  --timeout SEC     stop the guest after SEC seconds (exit status 1)\n"
	"  --stats           print boot timing and per-vCPU KVM exit counters at the end\n"
	"  -h, --help        this text\n"
	"\n"
	"Exit status: 0 the guest powered off (or a guest image finished with status 0);\n"
	"1 a guest crash (triple fault, KVM internal error, failed guest assertion),\n"
	"a timeout or a setup error; 2 a usage error; 3 the guest asked for a reset\n"
	"(reboot).\n";

struct run_opts {
	const char *kernel, *initrd, *cmdline, *guest, *console;
	const char *devices[MAX_DEVICES];
	unsigned n_devices;
	uint64_t mem;
	unsigned cpus;
	unsigned timeout_s;
	bool hugetlb, stats;
};

struct run_state {
	struct timespec t0;
	double first_ucall_ms; /* < 0 until the guest's first ucall */
	pthread_mutex_t lock;
};

static double ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1e3 + (t.tv_nsec - t0->tv_nsec) / 1e6;
}

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || v == 0)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	case '\0': break;
	default: return -EINVAL;
	}
	if (*end == 'i' && end[1] == 'B')
		end += 2;
	if (*end || v > (1ULL << 46))
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_uint(const char *s, unsigned min, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

enum { OPT_KERNEL = 256, OPT_INITRD, OPT_CMDLINE, OPT_GUEST, OPT_MEM, OPT_CPUS, OPT_HUGETLB,
       OPT_DEVICE, OPT_CONSOLE, OPT_TIMEOUT, OPT_STATS };

static const struct option run_options[] = {
	{ "kernel", required_argument, NULL, OPT_KERNEL },
	{ "initrd", required_argument, NULL, OPT_INITRD },
	{ "cmdline", required_argument, NULL, OPT_CMDLINE },
	{ "guest", required_argument, NULL, OPT_GUEST },
	{ "mem", required_argument, NULL, OPT_MEM },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "hugetlb", no_argument, NULL, OPT_HUGETLB },
	{ "device", required_argument, NULL, OPT_DEVICE },
	{ "console", required_argument, NULL, OPT_CONSOLE },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* One option; returns -1 to go on, or an exit code. */
static int run_parse_one(int c, struct run_opts *o)
{
	switch (c) {
	case OPT_KERNEL: o->kernel = optarg; break;
	case OPT_INITRD: o->initrd = optarg; break;
	case OPT_CMDLINE: o->cmdline = optarg; break;
	case OPT_GUEST: o->guest = optarg; break;
	case OPT_CONSOLE: o->console = optarg; break;
	case OPT_HUGETLB: o->hugetlb = true; break;
	case OPT_STATS: o->stats = true; break;
	case OPT_MEM:
		if (parse_size(optarg, &o->mem) || o->mem % (2 * MiB))
			return cli_usage_error(&cli_cmd_run, "--mem %s: expected a multiple of 2 MiB "
					       "such as 512M or 2G", optarg);
		break;
	case OPT_CPUS:
		if (parse_uint(optarg, 1, VM_MAX_VCPUS, &o->cpus))
			return cli_usage_error(&cli_cmd_run, "--cpus %s: expected 1 to %d", optarg,
					       VM_MAX_VCPUS);
		break;
	case OPT_TIMEOUT:
		if (parse_uint(optarg, 1, 86400, &o->timeout_s))
			return cli_usage_error(&cli_cmd_run, "--timeout %s: expected 1 to 86400 seconds",
					       optarg);
		break;
	case OPT_DEVICE:
		if (!pci_device_type_find(optarg))
			return cli_usage_error(&cli_cmd_run, "--device %s: unknown device", optarg);
		if (o->n_devices == MAX_DEVICES)
			return cli_usage_error(&cli_cmd_run, "at most %d --device options", MAX_DEVICES);
		o->devices[o->n_devices++] = optarg;
		break;
	case 'h':
		cli_print_usage(&cli_cmd_run);
		return CLI_EXIT_OK;
	default:
		return cli_usage_error(&cli_cmd_run, "unexpected option");
	}
	return -1;
}

static int run_parse(int argc, char **argv, struct run_opts *o)
{
	int c, ret;

	*o = (struct run_opts){ .mem = 512 * MiB, .cpus = 1, .cmdline = "console=ttyS0" };
	while ((c = getopt_long(argc, argv, "h", run_options, NULL)) != -1) {
		if (c == '?')
			return cli_usage_error(&cli_cmd_run, "bad option '%s'", argv[optind - 1]);
		ret = run_parse_one(c, o);
		if (ret >= 0)
			return ret;
	}
	if (optind < argc)
		return cli_usage_error(&cli_cmd_run, "unexpected argument '%s'", argv[optind]);
	if (!o->kernel == !o->guest)
		return cli_usage_error(&cli_cmd_run, "give exactly one of --kernel or --guest");
	if (o->guest && o->initrd)
		return cli_usage_error(&cli_cmd_run, "--initrd goes with --kernel, not --guest");
	if (o->mem < VM_MIN_RAM)
		return cli_usage_error(&cli_cmd_run, "--mem: at least %llu MiB",
				       (unsigned long long)(VM_MIN_RAM >> 20));
	if (o->kernel && o->mem < LINUX_MIN_RAM)
		return cli_usage_error(&cli_cmd_run, "--mem: a Linux guest needs at least %llu MiB",
				       (unsigned long long)(LINUX_MIN_RAM >> 20));
	return -1;
}

static int run_vm_error(int err, const struct run_opts *o)
{
	if (err == -ENOENT || err == -ENXIO || err == -ENODEV)
		return cli_fail(&cli_cmd_run, "cannot open /dev/kvm: %s (is KVM enabled and the kvm "
				"module loaded?)", strerror(-err));
	if (err == -EACCES || err == -EPERM)
		return cli_fail(&cli_cmd_run, "cannot open /dev/kvm: %s (run as root or join the "
				"kvm group)", strerror(-err));
	if (err == -ENOMEM)
		return cli_fail(&cli_cmd_run, "cannot allocate %llu MiB of guest RAM%s",
				(unsigned long long)(o->mem >> 20),
				o->hugetlb ? " from huge pages (are 2 MiB pages reserved?)" : "");
	return cli_fail(&cli_cmd_run, "cannot create the VM: %s", strerror(-err));
}

static int run_load_error(int err, const char *what, const char *path, const struct run_opts *o)
{
	switch (err) {
	case -ENOEXEC:
		return cli_fail(&cli_cmd_run, "%s: not a %s", path, o->guest ?
				"guest image (static x86-64 ELF executable loaded at or above 1 MiB)" :
				"Linux kernel (bzImage with the 64-bit boot protocol, or vmlinux ELF)");
	case -ENOMEM:
	case -EFAULT:
		return cli_fail(&cli_cmd_run, "%s does not fit in %llu MiB of guest RAM: use a larger "
				"--mem", path, (unsigned long long)(o->mem >> 20));
	case -E2BIG:
		return cli_fail(&cli_cmd_run, "the %s is too large (command line longer than the "
				"kernel accepts, or a file larger than RAM)", what);
	default:
		return cli_fail(&cli_cmd_run, "cannot load %s %s: %s", what, path, strerror(-err));
	}
}

static int run_boot(struct vm *vm, const struct run_opts *o)
{
	struct linux_boot_cfg cfg = { .kernel_path = o->kernel, .initrd_path = o->initrd,
				      .cmdline = o->cmdline };
	int ret;

	if (o->guest) {
		ret = guest_image_boot(vm, o->guest);
		return ret ? run_load_error(ret, "guest image", o->guest, o) : -1;
	}
	ret = platform_boot_linux(vm, &cfg);
	if (ret && o->initrd && access(o->initrd, R_OK))
		return run_load_error(ret, "initrd", o->initrd, o);
	return ret ? run_load_error(ret, "kernel", o->kernel, o) : -1;
}

static int run_devices(struct vm *vm, struct platform *plat, const struct run_opts *o)
{
	for (unsigned i = 0; i < o->n_devices; i++) {
		const struct pci_device_type *t = pci_device_type_find(o->devices[i]);
		int ret = t->create(vm, plat->pci, NULL, NULL);

		if (ret)
			return cli_fail(&cli_cmd_run, "cannot add device %s: %s", o->devices[i],
					strerror(-ret));
	}
	return -1;
}

/* Feed standard input to COM1 until EOF; the thread dies with the process. */
static void *run_input_thread(void *arg)
{
	struct uart_8250 *uart = arg;
	uint8_t buf[64];
	ssize_t n;

	while ((n = read(STDIN_FILENO, buf, sizeof(buf))) > 0) {
		for (size_t done = 0; done < (size_t)n;) {
			size_t took = uart_8250_receive(uart, buf + done, n - done);

			done += took;
			if (!took)
				usleep(1000); /* the guest has not drained the FIFO yet */
		}
	}
	return NULL;
}

static void run_start_input(struct uart_8250 *uart)
{
	pthread_t t;

	if (isatty(STDIN_FILENO) || lseek(STDIN_FILENO, 0, SEEK_CUR) < 0 || errno != ESPIPE)
		if (!pthread_create(&t, NULL, run_input_thread, uart))
			pthread_detach(t);
}

/* The default ucall handling of vm_run(), plus the time of the first ucall. */
static void run_ucall(struct vcpu *vcpu, void *opaque)
{
	struct run_state *st = opaque;

	pthread_mutex_lock(&st->lock);
	if (st->first_ucall_ms < 0)
		st->first_ucall_ms = ms_since(&st->t0);
	pthread_mutex_unlock(&st->lock);
	vm_ucall_default(vcpu);
}

static void run_print_stats(struct vm *vm, const struct run_state *st, double total_ms)
{
	static const char *const names[] = { "exits", "io_exits", "mmio_exits", "irq_injections",
					     "halt_exits", "insn_emulation" };

	fprintf(stderr, "iovirt run: %.2f ms in all", total_ms);
	if (st->first_ucall_ms >= 0)
		fprintf(stderr, "; first ucall from the guest after %.2f ms", st->first_ucall_ms);
	fputc('\n', stderr);
	for (unsigned i = 0; i < vm->ncpus; i++) {
		fprintf(stderr, "  vCPU %u:", i);
		for (size_t k = 0; k < ARRAY_SIZE(names); k++) {
			uint64_t v;

			if (!vcpu_stat(vm->vcpus[i], names[k], &v))
				fprintf(stderr, " %s %llu", names[k], (unsigned long long)v);
		}
		fputc('\n', stderr);
	}
}

static int run_exit_code(struct vm *vm, int reason)
{
	switch (reason) {
	case VM_STOP_POWEROFF:
		return CLI_EXIT_OK;
	case VM_STOP_GUEST_DONE:
		if (vm->stop_status == 0)
			return CLI_EXIT_OK;
		return cli_fail(&cli_cmd_run, "%s", vm->stop_msg);
	case VM_STOP_RESET:
		fprintf(stderr, "iovirt run: %s\n", vm->stop_msg);
		return RUN_EXIT_RESET;
	default:
		return cli_fail(&cli_cmd_run, "guest stopped: %s: %s", vm_stop_reason_name(reason),
				vm->stop_msg);
	}
}

static int run_open_console(const struct run_opts *o)
{
	if (!o->console)
		return dup(STDOUT_FILENO);
	return open(o->console, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
}

static int run_main(int argc, char **argv)
{
	struct run_state st = { .first_ucall_ms = -1, .lock = PTHREAD_MUTEX_INITIALIZER };
	struct vm_config cfg;
	struct platform plat;
	struct run_opts o;
	struct vm vm;
	int ret, console;

	clock_gettime(CLOCK_MONOTONIC, &st.t0);
	ret = run_parse(argc, argv, &o);
	if (ret >= 0)
		return ret;
	console = run_open_console(&o);
	if (console < 0)
		return cli_fail(&cli_cmd_run, "cannot open %s: %s", o.console, strerror(errno));
	cfg = (struct vm_config){ .ram_size = o.mem, .ncpus = o.cpus, .hugetlb = o.hugetlb };
	ret = vm_create(&vm, &cfg);
	if (ret) {
		close(console);
		return run_vm_error(ret, &o);
	}
	ret = platform_attach(&vm, console, &plat);
	if (ret)
		ret = cli_fail(&cli_cmd_run, "cannot set up the platform devices: %s", strerror(-ret));
	else
		ret = run_devices(&vm, &plat, &o);
	if (ret < 0)
		ret = run_boot(&vm, &o);
	if (ret < 0) {
		vm.ucall_fn = run_ucall;
		vm.ucall_opaque = &st;
		run_start_input(plat.com1);
		ret = vm_run(&vm, o.timeout_s * 1000);
		if (o.stats)
			run_print_stats(&vm, &st, ms_since(&st.t0));
		ret = ret < 0 ? cli_fail(&cli_cmd_run, "cannot start the vCPUs: %s", strerror(-ret)) :
			run_exit_code(&vm, ret);
	}
	vm_destroy(&vm);
	close(console);
	return ret;
}

const struct cli_command cli_cmd_run = {
	.name = "run",
	.fn = run_main,
	.summary = "run a Linux kernel or a guest image in a KVM virtual machine",
	.usage = usage,
};
