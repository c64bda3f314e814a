/*
 * SR-IOV physical functions: the VF count and its kernel rules, the processes
 * holding VFs open through VFIO, and the per-VF settings a network PF's
 * driver keeps (MAC, VLAN/QoS, spoof check, trust, tx rates, link state),
 * read and written over rtnetlink with libnl-route.
 *
 * sysfs and /proc are read under configurable roots so that tests can point
 * the library at fixture trees. Functions return 0 or -errno and never print;
 * where a refusal needs explaining, a sentence for the user is left in a
 * caller-supplied buffer.
 */
#ifndef IOVIRT_SRIOV_H
#define IOVIRT_SRIOV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compiler.h"
#include "pci-inventory.h"

#define SRIOV_MSG_LEN 512

/* Where the library looks, and how it writes a sysfs attribute. */
struct sriov_env {
	const char *sysfs_root;   /* "/sys" on a live host */
	const char *proc_root;    /* "/proc" on a live host */
	/*
	 * Write value to the attribute at path; NULL means sysfs_write_str. Tests
	 * plug a fake kernel in here. Returns 0 or -errno as write(2) fails.
	 */
	int (*write_attr)(const char *path, const char *value, void *ctx);
	void *write_ctx;
};

/* The SR-IOV state of one PF as sysfs reports it. */
struct sriov_pf_state {
	char bdf[PCI_BDF_STRLEN];
	int totalvfs;               /* sriov_totalvfs */
	int numvfs;                 /* sriov_numvfs, or the virtfnN links when there are more */
	int autoprobe;              /* sriov_drivers_autoprobe: 0, 1, or -1 when unreadable */
	char driver[PCI_DRIVER_LEN];
	size_t n_vf_links;          /* virtfnN links present */
};

/*
 * Read a PF's state. -ENODEV when bdf is not a device of the tree, -ENOTSUP
 * when it has no SR-IOV capability (no sriov_totalvfs), -EINVAL when its
 * counts are unreadable. msg explains any error.
 */
int sriov_pf_read(const struct sriov_env *env, const char *bdf, struct sriov_pf_state *st,
		  char *msg, size_t msglen) __must_check;

/* One process holding a VF open through VFIO. */
struct sriov_holder {
	int pid;
	char comm[32];                  /* its /proc/PID/comm; "" if unreadable */
	char vf[PCI_BDF_STRLEN];
	char path[64];                  /* "/dev/vfio/40" or "/dev/vfio/devices/vfio3" */
};

/*
 * Find the processes under env->proc_root with an open descriptor on the
 * VFIO group of one of the PF's VFs (/dev/vfio/<group>) or on a VF's VFIO
 * device file (/dev/vfio/devices/vfioN). Fills up to max holders, sorted by
 * PID, and returns how many were found (may exceed max), or -errno when
 * the PF's VFs cannot be read. Processes that vanish or cannot be read are
 * skipped.
 */
int sriov_holders_find(const struct sriov_env *env, const char *pf_bdf, struct sriov_holder *out,
		       size_t max) __must_check;

enum sriov_autoprobe {
	SRIOV_AUTOPROBE_KEEP,  /* leave sriov_drivers_autoprobe as it is */
	SRIOV_AUTOPROBE_OFF,   /* new VFs stay without a driver */
	SRIOV_AUTOPROBE_ON,    /* new VFs are probed by their host driver */
};

struct sriov_numvfs_result {
	int before;       /* sriov_numvfs before the change */
	int wanted;
	int after;        /* read back after the write */
	bool changed;     /* false: already at the wanted count, nothing written */
	bool partial;     /* the driver enabled fewer VFs than asked */
	bool vf_token;    /* the PF is bound to vfio-pci: its VFs open only with the PF owner's VF token */
};

/*
 * Set a PF's VF count under the kernel's rules: wanted at most TotalVFs; a
 * nonzero count changes only through 0 (-EBUSY otherwise); a PF bound to
 * vfio-pci needs vfio-pci's enable_sriov parameter (-EPERM without it);
 * going to 0 is refused with -EBUSY while a process holds a VF open
 * (sriov_holders_find), naming the PID. The same count twice writes nothing.
 * autoprobe is applied before VFs are created. The count is read back: a
 * partial enable is 0 with res->partial set and msg saying so. msg explains
 * every refusal.
 */
int sriov_numvfs_set(const struct sriov_env *env, const char *bdf, int wanted,
		     enum sriov_autoprobe autoprobe, struct sriov_numvfs_result *res, char *msg,
		     size_t msglen) __must_check;

/* Write sriov_drivers_autoprobe (on: new VFs get their host driver). 0 or -errno. */
int sriov_autoprobe_set(const struct sriov_env *env, const char *bdf, bool on) __must_check;

/* The VF attributes `sriov set` knows, one bit each. */
enum sriov_vf_attr {
	SRIOV_VF_MAC = 1 << 0,
	SRIOV_VF_VLAN = 1 << 1,        /* vlan and qos travel together */
	SRIOV_VF_SPOOFCHK = 1 << 2,
	SRIOV_VF_TRUST = 1 << 3,
	SRIOV_VF_RATE = 1 << 4,        /* min_tx_rate and max_tx_rate travel together */
	SRIOV_VF_LINK_STATE = 1 << 5,
};

enum sriov_link_state { SRIOV_LINK_AUTO = 0, SRIOV_LINK_ENABLE = 1, SRIOV_LINK_DISABLE = 2 };

/* A VF's settings; `set` says which fields hold a value. */
struct sriov_vf_config {
	uint32_t vf;
	unsigned set;                /* enum sriov_vf_attr bits */
	uint8_t mac[6];
	uint32_t vlan, qos;
	bool spoofchk, trust;
	uint32_t min_tx_rate, max_tx_rate;   /* Mbit/s; 0 = no limit */
	bool min_rate_given, max_rate_given; /* a rate not given keeps the VF's current one */
	enum sriov_link_state link_state;
};

/* The user's name of an attribute ("mac", "vlan", "link-state", ...). */
const char *sriov_vf_attr_name(enum sriov_vf_attr a);

/* "auto", "enable", "disable". */
const char *sriov_link_state_name(enum sriov_link_state s);

/*
 * Parse one "key=value" setting into cfg: mac=02:..., vlan=0..4095,
 * qos=0..7, spoofchk=on|off, trust=on|off, min_tx_rate=N, max_tx_rate=N,
 * link-state=auto|enable|disable. -EINVAL with msg naming the key and what
 * it takes. qos without vlan is checked by sriov_vf_config_check.
 */
int sriov_vf_config_parse(struct sriov_vf_config *cfg, const char *kv, char *msg,
			  size_t msglen) __must_check;

/* Cross-field rules (qos needs vlan; min_tx_rate <= max_tx_rate unless max is 0). */
int sriov_vf_config_check(const struct sriov_vf_config *cfg, char *msg, size_t msglen) __must_check;

/*
 * A netlink peer for NETLINK_ROUTE: takes one request (a complete message,
 * nlmsg_len set) and returns the kernel's answer. For a request with
 * NLM_F_ACK the answer is the error code (0 or -errno) with the kernel's
 * extack message, if any, in err. For RTM_GETLINK *reply gets a malloc'd
 * copy of the RTM_NEWLINK answer (the caller frees). Returns 0 or -errno.
 */
struct sriov_nl {
	int (*exchange)(void *ctx, const void *req, size_t len, void **reply, size_t *reply_len,
			char *err, size_t errlen);
	void *ctx;
};

/* Open a NETLINK_ROUTE socket with extended acks as an sriov_nl. */
int sriov_nl_open(struct sriov_nl *nl) __must_check;
void sriov_nl_close(struct sriov_nl *nl);

/*
 * Build the RTM_NEWLINK request libnl-route makes for one attribute of cfg
 * on the PF with this ifindex: IFLA_VFINFO_LIST / IFLA_VF_INFO / the
 * attribute. *req is malloc'd (the caller frees). Returns 0 or -errno.
 */
int sriov_vf_request_build(int ifindex, const struct sriov_vf_config *cfg, enum sriov_vf_attr a,
			   void **req, size_t *len) __must_check;

/* What the driver said about one attribute. */
struct sriov_vf_outcome {
	enum sriov_vf_attr attr;
	int err;                         /* 0 or -errno */
	char extack[256];                /* the kernel's message, "" if none */
};

/*
 * Apply every attribute set in cfg with one request each, so a refusal
 * names its attribute. Fills out[] in the order of enum sriov_vf_attr and
 * returns how many outcomes were filled (a rate given alone takes the
 * other from cur, the VF's current config, when cur is not NULL), or -errno
 * when nothing could be sent.
 */
int sriov_vf_apply(const struct sriov_nl *nl, int ifindex, const struct sriov_vf_config *cfg,
		   const struct sriov_vf_config *cur, struct sriov_vf_outcome *out,
		   size_t max) __must_check;

/*
 * Ask the kernel for a network device's VF settings (RTM_GETLINK with
 * RTEXT_FILTER_VF) and decode them with libnl-route. Fills up to max
 * configs in VF order and returns how many VFs the device reports, or
 * -errno (-ENODEV: no such interface).
 */
int sriov_vf_list(const struct sriov_nl *nl, int ifindex, struct sriov_vf_config *out,
		  size_t max) __must_check;

/*
 * Decode an RTM_NEWLINK message (untrusted bytes) into VF configs; the
 * same contract as sriov_vf_list. -EBADMSG when it is not a well-formed
 * RTM_NEWLINK message.
 */
int sriov_vf_list_decode(const void *msg, size_t len, struct sriov_vf_config *out,
			 size_t max) __must_check;

/* Format a MAC as "02:00:5e:00:00:01"; buf has at least 18 bytes. */
const char *sriov_mac_format(const uint8_t mac[6], char *buf, size_t len);

/* Parse "aa:bb:cc:dd:ee:ff" exactly. -EINVAL otherwise. */
int sriov_mac_parse(const char *s, uint8_t mac[6]) __must_check;

#endif
