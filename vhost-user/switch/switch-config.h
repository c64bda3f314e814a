/*
 * What `iovirt switch` is asked to do, and the checks and translations that
 * need no DPDK: port specifications, the EAL's argument vector, and the host
 * facts (socket directories, stale sockets, hugepages) that DPDK would
 * otherwise report obscurely or not at all.
 */
#ifndef IOVIRT_SWITCH_CONFIG_H
#define IOVIRT_SWITCH_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/un.h>

#include "compiler.h"

#define SWITCH_MAX_PORTS 16
#define SWITCH_SOCKET_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path))
#define SWITCH_EAL_MAX_ARGS 64

enum switch_mode {
	SWITCH_MODE_SWITCH,  /* L2 learning switch between the ports */
	SWITCH_MODE_REFLECT, /* swap the MACs, send back on the ingress port */
	SWITCH_MODE_SINK,    /* count and free */
	SWITCH_MODE_GEN,     /* send test frames (guest/abi/net-frame.h) to every port; sink what comes */
};

/* The generator's frames: SWITCH_GEN_MIN..SWITCH_GEN_MAX bytes, no FCS (one mbuf each). */
#define SWITCH_GEN_MIN 60
#define SWITCH_GEN_MAX 1514

/* One vhost-user port: the socket, and whether the switch connects (client) or listens (server). */
struct switch_port_spec {
	char path[SWITCH_SOCKET_PATH_MAX];
	bool client;
};

struct switch_config {
	struct switch_port_spec ports[SWITCH_MAX_PORTS];
	unsigned n_ports;
	const char *uplink;      /* DPDK devargs (a vdev or a PCI address), or NULL */
	enum switch_mode mode;
	const char *cores;       /* CPUs for the data path ("1", "0-1"), or NULL: any */
	const char *eal_extra;   /* extra EAL arguments, blank-separated, or NULL */
	const char *file_prefix; /* the EAL's file prefix; NULL: iovirt-switch-PID */
	unsigned mbufs;          /* packet buffers in the pool */
	unsigned mac_entries;    /* MAC table size */
	unsigned age_seconds;    /* MAC aging time; 0: never */
	unsigned gen_size;       /* gen mode: frame size */
	uint64_t gen_count;      /* gen mode: frames per port; 0: without end */
};

/* Defaults for everything but the ports. */
void switch_config_init(struct switch_config *c);

/*
 * Parse "PATH[,server|client]" (server is the default). Returns 0, -EINVAL for
 * an empty path or an unknown mode, -ENAMETOOLONG for a path that does not fit
 * a UNIX socket address.
 */
int switch_port_spec_parse(const char *arg, struct switch_port_spec *out) __must_check;

/*
 * Parse the generator's "size=N[,count=N]" (size SWITCH_GEN_MIN..SWITCH_GEN_MAX,
 * count 0 for no end, the default) into c. Returns 0 or -EINVAL.
 */
int switch_gen_parse(const char *arg, struct switch_config *c) __must_check;

/* "switch", "reflect", "sink" or "gen". Returns 0 or -EINVAL. */
int switch_mode_parse(const char *s, enum switch_mode *out) __must_check;
const char *switch_mode_name(enum switch_mode m);

/* A CPU list made only of digits, ',' and '-', starting and ending with a digit. */
bool switch_cpu_list_valid(const char *s);

/* True when devargs names a PCI device ("0000:03:00.0" or "03:00.0", options after a comma). */
bool switch_uplink_is_pci(const char *devargs);

/* The EAL's argument vector; argv points into buf. */
struct switch_eal_args {
	char buf[4096];
	char *argv[SWITCH_EAL_MAX_ARGS + 1];
	int argc;
};

/*
 * Build the EAL arguments for c: a file prefix of its own, one lcore whose
 * thread may run on c->cores (default: every CPU this process may use),
 * --no-pci unless the uplink is a PCI device (then -a BDF), --vdev for a vdev
 * uplink, no telemetry, --in-memory (or --no-shconf when the extras hold
 * --no-huge, which the EAL refuses with --in-memory), then c->eal_extra split
 * on blanks. Returns 0, -EINVAL (a bad CPU list) or -E2BIG.
 */
int switch_eal_args_build(const struct switch_config *c, struct switch_eal_args *out) __must_check;

/*
 * Check that a server port's socket can be created: its directory exists, is a
 * directory and is writable; a file already at the path is a socket nobody
 * listens on (then it is removed as stale). For a client port only the
 * directory is checked. Returns 0 or -errno: -ENOENT (no directory),
 * -ENOTDIR, -EACCES, -EEXIST (a file that is not a socket), -EADDRINUSE (a
 * live socket: another back-end serves it).
 */
int switch_port_check_path(const struct switch_port_spec *p) __must_check;

/*
 * Whether the EAL can find hugepages: a hugetlbfs mounted (in proc_mounts;
 * its mount point goes to mnt), writable by this process, and free pages of
 * some size (under sysfs_hugepages, normally /sys/kernel/mm/hugepages).
 * Returns 0, -ENOENT (no hugetlbfs mounted), -EACCES (its mount point is not
 * writable) or -ENOMEM (no free page).
 */
int switch_hugepages_check(const char *proc_mounts, const char *sysfs_hugepages, char *mnt,
			   size_t mnt_len) __must_check;

/* True when the extra EAL arguments ask for no hugepages (--no-huge). */
bool switch_eal_extra_no_huge(const char *eal_extra);

#endif
