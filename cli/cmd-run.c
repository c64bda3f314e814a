/* iovirt run: boot a Linux kernel or one of the project's guest images under KVM. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "boot-linux.h"
#include "cli.h"
#include "compiler.h"
#include "guest-image.h"
#include "memory-map.h"
#include "pci-inventory.h"
#include "pci.h"
#include "platform.h"
#include "run-check.h"
#include "sandbox.h"
#include "uart-8250.h"
#include "ucall.h"
#include "vhost-user-net.h"
#include "vcpu.h"
#include "vfio-kernel.h"
#include "vfio-pci.h"
#include "vm.h"

#define RUN_EXIT_RESET    3
#define LINUX_MIN_RAM     (32ULL << 20)
#define RUN_MAX_RAM       (8ULL << 40) /* KVM maps at most 2^31 - 1 pages in one memory slot */
#define RUN_MAX_TIMEOUT_S 86400

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
	"  --mem SIZE        guest RAM, a multiple of 2 MiB up to 8T: 512M, 2G, ... (default 512M)\n"
	"  --cpus N          vCPUs, 1-64 (default 1)\n"
	"  --hugetlb         back guest RAM with 2 MiB huge pages\n"
	"  --device NAME     add a PCI device (pci-testdev); may be repeated\n"
	"  --net MODEL,backend=SPEC[,mac=MAC]\n"
	"                    add a NIC, up to 8: MODEL e1000 or virtio; SPEC tap:NAME,\n"
	"                    hub:ID (NICs of this VM on one hub), loop, sink or\n"
	"                    gen:size=N,count=N,rate=PPS,... (docs/devices.md); MAC\n"
	"                    defaults to 52:54:00:12:34:56 counting up\n"
	"  --net vhost-user,socket=PATH[,server][,queues=N][,mac=MAC]\n"
	"                    a virtio NIC whose queues a vhost-user back-end (DPDK,\n"
	"                    iovirt switch) services: connect to PATH, or with server\n"
	"                    listen there; N queue pairs (1-3, default 1; the back-end\n"
	"                    must serve as many); the guest sees the link down while\n"
	"                    no back-end is attached (docs/vhost-user.md)\n"
	"  --vfio BDF[,rom=on]\n"
	"                    pass the host PCI function BDF (bound to vfio-pci) through\n"
	"                    to the guest, up to 8; rom=on also shows its option\n"
	"                    ROM (docs/passthrough.md)\n"
	"  --console FILE    write the serial console to FILE instead of standard output\n"
	"  --timeout SEC     stop the guest after SEC seconds (exit status 1)\n"
	"  --stats           print boot timing and per-vCPU KVM exit counters at the end\n"
	"  --reboot ACTION   when the guest reboots: restart (default: reset the VM and\n"
	"                    boot the same kernel or image again) or exit (status 3)\n"
	"  --no-sandbox      run the vCPU and device threads without their seccomp\n"
	"                    filters (on by default: each may make only the system\n"
	"                    calls it needs, docs/security.md); for debugging: when\n"
	"                    a run ends with 'forbidden system call' after a change\n"
	"                    to iovirt, or for a tool the filters would refuse (a\n"
	"                    sanitizer's full report, a profiler)\n"
	"  -h, --help        this text\n"
	"\n"
	"Exit status: 0 the guest powered off (or a guest image finished with status 0);\n"
	"1 a guest crash (triple fault, KVM internal error, failed guest assertion),\n"
	"a timeout or a setup error; 2 a usage error; 3 the guest asked for a reset\n"
	"(reboot) under --reboot exit; 159 a vCPU or device thread made a system call\n"
	"its sandbox forbids (named on standard error). Every input is checked before /dev/kvm or the\n"
	"console file is opened.\n";

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

/* ---- options: one row per option, one setter per row ---- */

/* Store an option's argument (NULL for a flag) in o; -1 to go on, or an exit code. */
typedef int (*run_opt_set_fn)(struct run_opts *o, const char *arg);

struct run_option {
	const char *name;
	int has_arg;        /* required_argument or no_argument */
	run_opt_set_fn set;
};

static int set_kernel(struct run_opts *o, const char *a) { o->kernel = a; return -1; }
static int set_initrd(struct run_opts *o, const char *a) { o->initrd = a; return -1; }
static int set_cmdline(struct run_opts *o, const char *a) { o->cmdline = a; return -1; }
static int set_guest(struct run_opts *o, const char *a) { o->guest = a; return -1; }
static int set_console(struct run_opts *o, const char *a) { o->console = a; return -1; }
static int set_hugetlb(struct run_opts *o, const char *a) { o->hugetlb = true; return -1; }
static int set_stats(struct run_opts *o, const char *a) { o->stats = true; return -1; }
static int set_no_sandbox(struct run_opts *o, const char *a) { o->no_sandbox = true; return -1; }

static int set_mem(struct run_opts *o, const char *a)
{
	int ret = cli_arg_size(&cli_cmd_run, "--mem", a, VM_MIN_RAM, RUN_MAX_RAM, &o->mem);

	if (ret < 0 && o->mem % (2 * MiB))
		return cli_usage_error(&cli_cmd_run, "--mem %s: not a multiple of 2 MiB (such as 512M "
				       "or 2G)", a);
	return ret;
}

static int set_cpus(struct run_opts *o, const char *a)
{
	return cli_arg_uint(&cli_cmd_run, "--cpus", a, 1, VM_MAX_VCPUS, &o->cpus);
}

static int set_timeout(struct run_opts *o, const char *a)
{
	return cli_arg_uint(&cli_cmd_run, "--timeout", a, 1, RUN_MAX_TIMEOUT_S, &o->timeout_s);
}

static int set_device(struct run_opts *o, const char *a)
{
	if (!pci_device_type_find(a))
		return cli_usage_error(&cli_cmd_run, "--device %s: unknown device", a);
	if (o->n_devices == RUN_MAX_DEVICES)
		return cli_usage_error(&cli_cmd_run, "at most %d --device options", RUN_MAX_DEVICES);
	o->devices[o->n_devices++] = a;
	return -1;
}

static int set_net(struct run_opts *o, const char *a)
{
	struct nic_spec *spec = &o->nets[o->n_nets];
	const char *why;

	if (o->n_nets == RUN_MAX_NICS)
		return cli_usage_error(&cli_cmd_run, "at most %d --net options", RUN_MAX_NICS);
	if (nic_spec_parse(a, spec, &why))
		return cli_usage_error(&cli_cmd_run, "--net %s: %s", a, why);
	if (!spec->mac_given)
		nic_default_mac(o->n_nets, spec->mac);
	o->n_nets++;
	return -1;
}

static int set_vfio(struct run_opts *o, const char *a)
{
	struct run_vfio *v = &o->vfios[o->n_vfios];
	const char *opt = strchr(a, ',');
	char bdf[PCI_BDF_STRLEN];

	if (o->n_vfios == RUN_MAX_VFIO)
		return cli_usage_error(&cli_cmd_run, "at most %d --vfio options", RUN_MAX_VFIO);
	if ((size_t)(opt ? opt - a : (ptrdiff_t)strlen(a)) >= sizeof(bdf))
		return cli_usage_error(&cli_cmd_run, "--vfio %s: not a PCI address such as 0000:03:00.0", a);
	snprintf(bdf, sizeof(bdf), "%.*s", opt ? (int)(opt - a) : (int)strlen(a), a);
	if (pci_bdf_parse(bdf, v->bdf))
		return cli_usage_error(&cli_cmd_run, "--vfio %s: not a PCI address such as 0000:03:00.0", a);
	if (opt && strcmp(opt, ",rom=on") && strcmp(opt, ",rom=off"))
		return cli_usage_error(&cli_cmd_run, "--vfio %s: the only option is rom=on or rom=off", a);
	v->rom = opt && !strcmp(opt, ",rom=on");
	for (unsigned i = 0; i < o->n_vfios; i++)
		if (!strcmp(o->vfios[i].bdf, v->bdf))
			return cli_usage_error(&cli_cmd_run, "--vfio %s: given twice", v->bdf);
	o->n_vfios++;
	return -1;
}

static int set_reboot(struct run_opts *o, const char *a)
{
	if (strcmp(a, "restart") && strcmp(a, "exit"))
		return cli_usage_error(&cli_cmd_run, "--reboot %s: expected restart or exit", a);
	o->reboot_exit = !strcmp(a, "exit");
	return -1;
}

static int set_help(struct run_opts *o, const char *a)
{
	cli_print_usage(&cli_cmd_run);
	return CLI_EXIT_OK;
}

static const struct run_option run_options[] = {
	{ "kernel", required_argument, set_kernel },
	{ "initrd", required_argument, set_initrd },
	{ "cmdline", required_argument, set_cmdline },
	{ "guest", required_argument, set_guest },
	{ "mem", required_argument, set_mem },
	{ "cpus", required_argument, set_cpus },
	{ "hugetlb", no_argument, set_hugetlb },
	{ "device", required_argument, set_device },
	{ "console", required_argument, set_console },
	{ "timeout", required_argument, set_timeout },
	{ "stats", no_argument, set_stats },
	{ "reboot", required_argument, set_reboot },
	{ "net", required_argument, set_net },
	{ "no-sandbox", no_argument, set_no_sandbox },
	{ "vfio", required_argument, set_vfio },
	{ "help", no_argument, set_help },
};

#define RUN_OPT_BASE 256 /* getopt value of run_options[i]: RUN_OPT_BASE + i */

static void run_getopt_table(struct option *out)
{
	for (size_t i = 0; i < ARRAY_SIZE(run_options); i++)
		out[i] = (struct option){ run_options[i].name, run_options[i].has_arg, NULL,
					  RUN_OPT_BASE + (int)i };
	out[ARRAY_SIZE(run_options)] = (struct option){ 0 };
}

/* Combinations of options; -1 when they make sense together. */
static int run_parse_check(const struct run_opts *o)
{
	if (!o->kernel == !o->guest)
		return cli_usage_error(&cli_cmd_run, "give exactly one of --kernel or --guest");
	if (o->guest && o->initrd)
		return cli_usage_error(&cli_cmd_run, "--initrd goes with --kernel, not --guest");
	for (unsigned i = 0; i < o->n_nets; i++)
		for (unsigned k = 0; k < i; k++)
			if (!memcmp(o->nets[i].mac, o->nets[k].mac, 6))
				return cli_usage_error(&cli_cmd_run, "--net: two NICs with MAC "
						       "%02x:%02x:%02x:%02x:%02x:%02x", o->nets[i].mac[0],
						       o->nets[i].mac[1], o->nets[i].mac[2], o->nets[i].mac[3],
						       o->nets[i].mac[4], o->nets[i].mac[5]);
	if (o->kernel && o->mem < LINUX_MIN_RAM)
		return cli_usage_error(&cli_cmd_run, "--mem: a Linux guest needs at least %llu MiB",
				       (unsigned long long)(LINUX_MIN_RAM >> 20));
	return -1;
}

static int run_parse(int argc, char **argv, struct run_opts *o)
{
	struct option longopts[ARRAY_SIZE(run_options) + 1];
	int c, ret;

	*o = (struct run_opts){ .mem = 512 * MiB, .cpus = 1, .cmdline = "console=ttyS0" };
	run_getopt_table(longopts);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (c == ':')
			return cli_usage_error(&cli_cmd_run, "%s needs a value", argv[optind - 1]);
		if (c == 'h')
			c = RUN_OPT_BASE + (int)ARRAY_SIZE(run_options) - 1;
		if (c < RUN_OPT_BASE || c >= RUN_OPT_BASE + (int)ARRAY_SIZE(run_options))
			return cli_usage_error(&cli_cmd_run, "bad option '%s'", argv[optind - 1]);
		ret = run_options[c - RUN_OPT_BASE].set(o, optarg);
		if (ret >= 0)
			return ret;
	}
	if (optind < argc)
		return cli_usage_error(&cli_cmd_run, "unexpected argument '%s'", argv[optind]);
	return run_parse_check(o);
}

/*
 * Unless --no-sandbox, turn the sandbox on before any thread starts
 * (IOVIRT_SANDBOX=log: log forbidden calls instead, docs/security.md); -1 or an exit code.
 */
static int run_sandbox(const struct run_opts *o)
{
	const char *env = getenv("IOVIRT_SANDBOX");
	int ret;

	if (o->no_sandbox)
		return -1;
	ret = sandbox_enable(env && !strcmp(env, "log") ? SANDBOX_LOG : SANDBOX_TRAP);
	if (ret)
		return cli_fail(&cli_cmd_run, "cannot set up the sandbox: %s (--no-sandbox runs "
				"without it)", strerror(-ret));
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

/* Load the guest into vm; -1 on success or an exit code. */
static int run_boot(struct vm *vm, const struct run_opts *o)
{
	enum linux_boot_input fault = LINUX_INPUT_NONE;
	struct linux_boot_cfg cfg = { .kernel_path = o->kernel, .initrd_path = o->initrd,
				      .cmdline = o->cmdline, .fault = &fault };
	int ret;

	if (o->guest)
		ret = guest_image_boot(vm, o->guest);
	else
		ret = platform_boot_linux(vm, &cfg);
	return ret ? run_load_error(ret, fault, o) : -1;
}

/* A vhost-user NIC: client mode fails here when nothing listens at the socket. */
static int run_vhost_user(struct vm *vm, struct platform *plat, const struct nic_spec *spec)
{
	struct vhost_user_net_config cfg = { .socket = spec->socket, .server = spec->server,
					     .fd = -1, .queue_pairs = spec->queue_pairs };
	int ret;

	memcpy(cfg.mac, spec->mac, 6);
	ret = vhost_user_net_create(vm, plat->pci, &cfg, NULL);
	if (ret)
		return cli_fail(&cli_cmd_run, "--net vhost-user: cannot %s the socket %s: %s",
				spec->server ? "listen at" : "connect to", spec->socket,
				strerror(-ret));
	return -1;
}

static int run_nics(struct vm *vm, struct platform *plat, const struct run_opts *o)
{
	for (unsigned i = 0; i < o->n_nets; i++) {
		const struct nic_spec *spec = &o->nets[i];
		const char *stage;
		struct nic nic;
		int ret;

		if (spec->model->own_backend) {
			ret = run_vhost_user(vm, plat, spec);
			if (ret >= 0)
				return ret;
			continue;
		}
		ret = nic_add(vm, plat->pci, spec, spec->mac, &nic, &stage);

		if (ret)
			return cli_fail(&cli_cmd_run, "--net %s: cannot open the %s %s: %s",
					spec->model->name, stage, !strcmp(stage, "backend") ?
					spec->backend : spec->model->name, strerror(-ret));
	}
	return -1;
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

/* The --vfio devices: open each through the kernel's VFIO, then plug it. */
static int run_vfio(struct vm *vm, struct platform *plat, const struct run_opts *o)
{
	for (unsigned i = 0; i < o->n_vfios; i++) {
		struct vfio_pci_opts opts = { .rom = o->vfios[i].rom };
		struct vfio_dev *vdev;
		char why[512];
		int ret;

		ret = vfio_kernel_open(o->vfios[i].bdf, NULL, &vdev, why, sizeof(why));
		if (ret)
			return cli_fail(&cli_cmd_run, "--vfio %s: %s", o->vfios[i].bdf,
					why[0] ? why : strerror(-ret));
		ret = vfio_pci_create(vm, plat->pci, vdev, &opts, NULL, why, sizeof(why));
		if (ret) {
			vfio_dev_close(vdev);
			return cli_fail(&cli_cmd_run, "--vfio %s: %s", o->vfios[i].bdf,
					why[0] ? why : strerror(-ret));
		}
	}
	return -1;
}

/* Standard input fed to COM1 by a thread that run_input_stop() ends before the UART goes. */
struct run_input {
	pthread_t thread;
	int stop_fd;          /* an eventfd: readable once the thread must end */
	struct uart_8250 *uart;
};

/* Wait until fd is readable or the stop eventfd fires; false on stop or error. */
static bool run_input_wait(struct run_input *in, int fd)
{
	struct pollfd p[2] = { { .fd = fd, .events = POLLIN }, { .fd = in->stop_fd, .events = POLLIN } };

	while (poll(p, 2, fd == -1 ? 1 : -1) < 0)
		if (errno != EINTR)
			return false;
	return !(p[1].revents & POLLIN);
}

static void *run_input_thread(void *arg)
{
	struct run_input *in = arg;
	uint8_t buf[64];
	ssize_t n;

	sandbox_thread_enter(SANDBOX_CONSOLE_IN, "console input");
	while (run_input_wait(in, STDIN_FILENO) && (n = read(STDIN_FILENO, buf, sizeof(buf))) > 0) {
		for (size_t done = 0; done < (size_t)n;) {
			size_t took = uart_8250_receive(in->uart, buf + done, n - done);

			done += took;
			if (!took && !run_input_wait(in, -1)) /* the guest has not drained the FIFO */
				return NULL;
		}
	}
	return NULL;
}

/* Start feeding standard input (a terminal or a pipe, not a file) to uart; 0 or -errno. */
static int run_input_start(struct run_input *in, struct uart_8250 *uart)
{
	int ret;

	*in = (struct run_input){ .stop_fd = -1, .uart = uart };
	if (!isatty(STDIN_FILENO) && (lseek(STDIN_FILENO, 0, SEEK_CUR) >= 0 || errno != ESPIPE))
		return 0;
	in->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (in->stop_fd < 0)
		return -errno;
	ret = -pthread_create(&in->thread, NULL, run_input_thread, in);
	if (ret) {
		close(in->stop_fd);
		in->stop_fd = -1;
	}
	return ret;
}

static void run_input_stop(struct run_input *in)
{
	if (in->stop_fd < 0)
		return;
	if (eventfd_write(in->stop_fd, 1) == 0)
		pthread_join(in->thread, NULL);
	close(in->stop_fd);
	in->stop_fd = -1;
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
		fprintf(stderr, "iovirt run: %s; exiting (--reboot exit)\n", vm->stop_msg);
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

/* The VM with its guest loaded, then the console and devices; -1 when it can run. */
static int run_setup(struct vm *vm, struct platform *plat, const struct run_opts *o, int *console)
{
	int ret = run_boot(vm, o);

	if (ret >= 0)
		return ret;
	*console = run_open_console(o);
	if (*console < 0)
		return cli_fail(&cli_cmd_run, "cannot open %s: %s",
				o->console ? o->console : "standard output", strerror(errno));
	ret = platform_attach(vm, *console, plat);
	if (ret)
		return cli_fail(&cli_cmd_run, "cannot set up the platform devices: %s", strerror(-ret));
	ret = run_devices(vm, plat, o);
	if (ret < 0)
		ret = run_nics(vm, plat, o);
	return ret >= 0 ? ret : run_vfio(vm, plat, o);
}

/* Milliseconds left of --timeout (0: none), at least 1 while it lasts. */
static unsigned run_time_left(const struct run_opts *o, const struct run_state *st)
{
	double left = o->timeout_s * 1e3 - ms_since(&st->t0);

	if (!o->timeout_s)
		return 0;
	return left < 1 ? 1 : (unsigned)left;
}

/* Run the guest, rebooting it in place while it asks to and --reboot restart holds. */
static int run_loop(struct vm *vm, const struct run_opts *o, struct run_state *st)
{
	int ret;

	for (;;) {
		ret = vm_run(vm, run_time_left(o, st));
		if (ret < 0)
			return cli_fail(&cli_cmd_run, "cannot start the vCPUs: %s", strerror(-ret));
		if (ret != VM_STOP_RESET || o->reboot_exit)
			return run_exit_code(vm, ret);
		fprintf(stderr, "iovirt run: %s; restarting the guest\n", vm->stop_msg);
		ret = vm_reset(vm);
		if (ret)
			return cli_fail(&cli_cmd_run, "cannot reset the VM: %s", strerror(-ret));
		ret = run_boot(vm, o);
		if (ret >= 0)
			return ret;
	}
}

static int run_main(int argc, char **argv)
{
	struct run_state st = { .first_ucall_ms = -1, .lock = PTHREAD_MUTEX_INITIALIZER };
	struct run_input input = { .stop_fd = -1 };
	struct vm_config cfg;
	struct platform plat;
	struct run_opts o;
	struct vm vm;
	int ret, console = -1;

	clock_gettime(CLOCK_MONOTONIC, &st.t0);
	ret = run_parse(argc, argv, &o);
	if (ret < 0)
		ret = run_check_inputs(&o);
	if (ret < 0)
		ret = run_sandbox(&o);
	if (ret >= 0)
		return ret;
	cfg = (struct vm_config){ .ram_size = o.mem, .ncpus = o.cpus, .hugetlb = o.hugetlb };
	ret = vm_create(&vm, &cfg);
	if (ret)
		return run_vm_error(ret, &o);
	ret = run_setup(&vm, &plat, &o, &console);
	if (ret < 0 && run_input_start(&input, plat.com1))
		ret = cli_fail(&cli_cmd_run, "cannot start the console input thread");
	if (ret < 0) {
		vm.ucall_fn = run_ucall;
		vm.ucall_opaque = &st;
		ret = run_loop(&vm, &o, &st);
		if (o.stats)
			run_print_stats(&vm, &st, ms_since(&st.t0));
	}
	run_input_stop(&input);
	vm_destroy(&vm);
	if (console >= 0)
		close(console);
	return ret;
}

const struct cli_command cli_cmd_run = {
	.name = "run",
	.fn = run_main,
	.summary = "run a Linux kernel or a guest image in a KVM virtual machine",
	.usage = usage,
};
