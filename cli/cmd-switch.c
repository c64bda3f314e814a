/*
 * iovirt switch: a vhost-user back-end on DPDK's lib/vhost that joins N
 * front-ends (and optionally a DPDK ethdev uplink) with an L2 learning switch,
 * or reflects or sinks their frames for a benchmark.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "log.h"
#include "mac-table.h"
#include "switch-config.h"
#ifdef IOVIRT_HAVE_DPDK
#include "vswitch.h"
#endif

static const char usage[] =
	"usage: iovirt switch --port PATH[,server|client]... [--uplink DEVARGS]\n"
	"                     [--mode switch|reflect|sink|gen [--gen size=N[,count=N]]]\n"
	"                     [--stats SECONDS] [--cores LIST]\n"
	"                     [--eal \"ARGS\"] [--mbufs N] [--mac-entries N] [--age SECONDS]\n"
	"                     [--busy-poll]\n"
	"\n"
	"A vhost-user back-end on DPDK's lib/vhost. Each --port is a vhost-user socket\n"
	"a front-end (iovirt run, QEMU, a DPDK virtio-user port) connects to; the switch\n"
	"listens on it (server, the default) or connects to it (client, reconnecting\n"
	"when the front-end goes). Modes:\n"
	"  switch   an L2 learning switch: frames go to the port behind their destination\n"
	"           MAC; broadcast, multicast and unknown destinations flood to every\n"
	"           other port; never back out of the port a frame came in on\n"
	"  reflect  each frame goes back on its port with source and destination swapped\n"
	"  sink     frames are counted and freed\n"
	"  gen      every port with a front-end gets test frames (guest/abi/net-frame.h:\n"
	"           broadcast from 02:00:00:00:00:fe, flow 0, sequence numbers from 0) as\n"
	"           fast as its guest takes them, never dropped, up to count per port;\n"
	"           what the ports send is counted and freed\n"
	"\n"
	"Options:\n"
	"  --port PATH[,server|client]  a vhost-user port; up to 16\n"
	"  --uplink DEVARGS   a DPDK ethdev as one more port: a vdev (net_tap0,iface=x)\n"
	"                     or a PCI function bound to vfio-pci (0000:03:00.0)\n"
	"  --mode MODE        switch (default), reflect, sink or gen\n"
	"  --gen size=N[,count=N]\n"
	"                     gen mode's frames: N bytes (60-1514, no FCS), count per\n"
	"                     port (default 0: without end)\n"
	"  --stats SECONDS    print every port's counters this often (default 0: only on\n"
	"                     SIGUSR1 and at exit)\n"
	"  --cores LIST       CPUs the data path may run on (such as 1 or 0-1; default any)\n"
	"  --eal \"ARGS\"       extra DPDK EAL arguments, blank-separated\n"
	"  --mbufs N          packet buffers (default 16383)\n"
	"  --mac-entries N    MAC table size (default 4096)\n"
	"  --age SECONDS      MAC aging time (default 300; 0: never)\n"
	"  --busy-poll        never sleep when idle (default: sleep 100 us after 1000 empty polls)\n"
	"  -h, --help         this text\n"
	"\n"
	"The switch needs free hugepages and a mounted hugetlbfs (scripts/hugepages).\n"
	"Counters (rx, tx, drops, flooded) print as 'stats:' lines on stdout. SIGINT or\n"
	"SIGTERM stops it: the sockets are removed, the exit status is 0.\n"
#ifdef IOVIRT_HAVE_DPDK
	"This iovirt was built with DPDK.\n";
#else
	"This iovirt was built without DPDK: the command exits 2.\n";
#endif

struct switch_opts {
	struct switch_config cfg;
	unsigned stats_seconds;
	bool busy_poll;
};

static int switch_opt_port(struct switch_opts *o, const char *arg)
{
	struct switch_port_spec *p = &o->cfg.ports[o->cfg.n_ports];
	int ret;

	if (o->cfg.n_ports == SWITCH_MAX_PORTS)
		return cli_usage_error(&cli_cmd_switch, "at most %d --port", SWITCH_MAX_PORTS);
	ret = switch_port_spec_parse(arg, p);
	if (ret == -ENAMETOOLONG)
		return cli_usage_error(&cli_cmd_switch, "--port %s: a socket path has at most %zu bytes",
				       arg, SWITCH_SOCKET_PATH_MAX - 1);
	if (ret)
		return cli_usage_error(&cli_cmd_switch, "--port '%s': expected PATH[,server|client]",
				       arg);
	for (unsigned i = 0; i < o->cfg.n_ports; i++)
		if (!strcmp(o->cfg.ports[i].path, p->path))
			return cli_usage_error(&cli_cmd_switch, "--port %s given twice", p->path);
	o->cfg.n_ports++;
	return -1;
}

static int switch_opt(struct switch_opts *o, int c, const char *arg)
{
	switch (c) {
	case 'p':
		return switch_opt_port(o, arg);
	case 'u':
		o->cfg.uplink = arg;
		return -1;
	case 'm':
		if (switch_mode_parse(arg, &o->cfg.mode))
			return cli_usage_error(&cli_cmd_switch,
					       "--mode '%s': expected switch, reflect, sink or gen", arg);
		return -1;
	case 'g':
		if (switch_gen_parse(arg, &o->cfg))
			return cli_usage_error(&cli_cmd_switch, "--gen '%s': expected size=%d..%d[,count=N]",
					       arg, SWITCH_GEN_MIN, SWITCH_GEN_MAX);
		return -1;
	case 's':
		return cli_arg_uint(&cli_cmd_switch, "--stats", arg, 0, 86400, &o->stats_seconds);
	case 'c':
		if (!switch_cpu_list_valid(arg))
			return cli_usage_error(&cli_cmd_switch,
					       "--cores '%s': expected a CPU list such as 1, 0-1 or 0,2",
					       arg);
		o->cfg.cores = arg;
		return -1;
	case 'e':
		o->cfg.eal_extra = arg;
		return -1;
	case 'n':
		return cli_arg_uint(&cli_cmd_switch, "--mbufs", arg, 1023, 1u << 22, &o->cfg.mbufs);
	case 't':
		return cli_arg_uint(&cli_cmd_switch, "--mac-entries", arg, 1, MAC_TABLE_MAX_ENTRIES,
				    &o->cfg.mac_entries);
	case 'a':
		return cli_arg_uint(&cli_cmd_switch, "--age", arg, 0, 1000000, &o->cfg.age_seconds);
	case 'b':
		o->busy_poll = true;
		return -1;
	}
	return cli_usage_error(&cli_cmd_switch, "unknown option '%s'", arg);
}

static int switch_parse(int argc, char **argv, struct switch_opts *o)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' }, { "uplink", required_argument, NULL, 'u' },
		{ "mode", required_argument, NULL, 'm' }, { "gen", required_argument, NULL, 'g' },
		{ "stats", required_argument, NULL, 's' },
		{ "cores", required_argument, NULL, 'c' }, { "eal", required_argument, NULL, 'e' },
		{ "mbufs", required_argument, NULL, 'n' },
		{ "mac-entries", required_argument, NULL, 't' },
		{ "age", required_argument, NULL, 'a' }, { "busy-poll", no_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' }, { 0 },
	};
	int c, ret;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == ':')
			return cli_usage_error(&cli_cmd_switch, "%s needs a value", argv[optind - 1]);
		if (c == 'h') {
			cli_print_usage(&cli_cmd_switch);
			return CLI_EXIT_OK;
		}
		ret = switch_opt(o, c, c == '?' ? argv[optind - 1] : optarg);
		if (ret >= 0)
			return ret;
	}
	if (optind < argc)
		return cli_usage_error(&cli_cmd_switch, "unexpected argument '%s'", argv[optind]);
	if (!o->cfg.n_ports && !o->cfg.uplink)
		return cli_usage_error(&cli_cmd_switch, "no --port and no --uplink: nothing to switch");
	if ((o->cfg.mode == SWITCH_MODE_GEN) != (o->cfg.gen_size != 0))
		return cli_usage_error(&cli_cmd_switch, "--mode gen and --gen go together");
	return -1;
}

#ifdef IOVIRT_HAVE_DPDK
/* Every port's socket directory, and hugepages unless the EAL is told to do without. */
static int switch_check_host(const struct switch_config *c)
{
	char mnt[512];
	int ret;

	for (unsigned i = 0; i < c->n_ports; i++) {
		const struct switch_port_spec *p = &c->ports[i];

		ret = switch_port_check_path(p);
		if (ret == -ENOENT || ret == -ENOTDIR)
			return cli_fail(&cli_cmd_switch, "--port %s: its directory does not exist%s",
					p->path, ret == -ENOTDIR ? " (not a directory)" : "");
		if (ret == -EACCES)
			return cli_fail(&cli_cmd_switch, "--port %s: no permission to %s in its directory",
					p->path, p->client ? "reach a socket" : "create a socket");
		if (ret == -EEXIST)
			return cli_fail(&cli_cmd_switch,
					"--port %s: a file that is not a socket is in the way", p->path);
		if (ret == -EADDRINUSE)
			return cli_fail(&cli_cmd_switch,
					"--port %s: another back-end listens on this socket", p->path);
		if (ret)
			return cli_fail(&cli_cmd_switch, "--port %s: %s", p->path, strerror(-ret));
	}
	if (switch_eal_extra_no_huge(c->eal_extra))
		return -1;
	ret = switch_hugepages_check("/proc/mounts", "/sys/kernel/mm/hugepages", mnt, sizeof(mnt));
	if (ret == -ENOENT)
		return cli_fail(&cli_cmd_switch, "no hugetlbfs is mounted: run scripts/hugepages (or "
				"mount -t hugetlbfs nodev /dev/hugepages)");
	if (ret == -EACCES)
		return cli_fail(&cli_cmd_switch, "no permission to create hugepage files in %s (run as "
				"root or give this user the mount)", mnt);
	if (ret == -ENOMEM)
		return cli_fail(&cli_cmd_switch, "no free hugepages: run scripts/hugepages 512 (or echo "
				"512 > /proc/sys/vm/nr_hugepages as root)");
	return -1;
}

static volatile sig_atomic_t switch_stop, switch_dump;

static void switch_on_signal(int sig)
{
	if (sig == SIGUSR1)
		switch_dump = 1;
	else
		switch_stop = 1;
}

static void switch_signals(void)
{
	struct sigaction sa = { .sa_handler = switch_on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
}

static void switch_print_stats(const struct vswitch *sw)
{
	struct vswitch_port_stats st;
	struct mac_table_stats ms;
	uint32_t entries;

	for (unsigned i = 0; i < vswitch_port_count(sw); i++) {
		vswitch_port_get_stats(sw, i, &st);
		printf("stats: port=%u %s=%s state=%s rx=%llu tx=%llu drops=%llu flooded=%llu "
		       "rx_bytes=%llu tx_bytes=%llu\n", i,
		       vswitch_port_is_uplink(sw, i) ? "uplink" : "socket", vswitch_port_name(sw, i), vswitch_port_connected(sw, i) ? "up" : "down",
		       (unsigned long long)st.rx, (unsigned long long)st.tx,
		       (unsigned long long)st.drops, (unsigned long long)st.flooded,
		       (unsigned long long)st.rx_bytes, (unsigned long long)st.tx_bytes);
	}
	vswitch_mac_get_stats(sw, &ms, &entries);
	printf("stats: mac entries=%u learned=%llu moved=%llu aged=%llu full=%llu\n", entries,
	       (unsigned long long)ms.learned, (unsigned long long)ms.moved,
	       (unsigned long long)ms.aged, (unsigned long long)ms.full);
	fflush(stdout);
}

static double switch_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Poll until SIGINT or SIGTERM; sleep only when idle, look at the clock every 1024 polls. */
static void switch_loop(struct vswitch *sw, const struct switch_opts *o)
{
	const struct timespec nap = { .tv_nsec = 100000 };
	double next = switch_now() + o->stats_seconds;
	unsigned idle = 0, rounds = 0;

	while (!switch_stop) {
		if (vswitch_poll(sw))
			idle = 0;
		else if (++idle >= 1000 && !o->busy_poll)
			nanosleep(&nap, NULL);
		if (switch_dump) {
			switch_dump = 0;
			switch_print_stats(sw);
		}
		if (!o->stats_seconds || (++rounds & 1023))
			continue;
		if (switch_now() >= next) {
			switch_print_stats(sw);
			next += o->stats_seconds;
		}
	}
}

static int switch_run(const struct switch_opts *o)
{
	struct vswitch *sw;
	int ret;

	switch_signals();
	ret = vswitch_create(&o->cfg, &sw);
	if (ret == -ENOMEM)
		return cli_fail(&cli_cmd_switch, "cannot allocate %u packet buffers: too few free "
				"hugepages (scripts/hugepages, or a smaller --mbufs)", o->cfg.mbufs);
	if (ret == -ENODEV || ret == -EEXIST)
		return cli_fail(&cli_cmd_switch, "--uplink %s: %s", o->cfg.uplink,
				ret == -ENODEV ? "DPDK found no such device (a PCI function must be "
						 "bound to vfio-pci)" :
						 "more than one DPDK ethdev: which is the uplink?");
	if (ret)
		return cli_fail(&cli_cmd_switch, "cannot start: %s (DPDK's messages above say more)",
				strerror(-ret));
	printf("switch: ready mode=%s ports=%u\n", switch_mode_name(o->cfg.mode),
	       vswitch_port_count(sw));
	fflush(stdout);
	switch_loop(sw, o);
	switch_print_stats(sw);
	vswitch_destroy(sw);
	printf("switch: stopped\n");
	return CLI_EXIT_OK;
}
#endif

static int switch_main(int argc, char **argv)
{
	struct switch_opts o = { 0 };
	int ret;

	switch_config_init(&o.cfg);
	ret = switch_parse(argc, argv, &o);
	if (ret >= 0)
		return ret;
#ifndef IOVIRT_HAVE_DPDK
	return cli_usage_error(&cli_cmd_switch, "this iovirt was built without DPDK (libdpdk-dev); "
				"the switch is not available");
#else
	if (!getenv("IOVIRT_LOG"))
		log_set_level(LOG_INFO);
	ret = switch_check_host(&o.cfg);
	if (ret >= 0)
		return ret;
	return switch_run(&o);
#endif
}

const struct cli_command cli_cmd_switch = {
	.name = "switch",
	.fn = switch_main,
	.summary = "a vhost-user back-end on DPDK: an L2 switch, reflector or sink",
	.usage = usage,
};
