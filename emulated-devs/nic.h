/*
 * The NICs `iovirt run --net MODEL,backend=SPEC[,mac=MAC]` creates: one table
 * of models (e1000, virtio), the parsing of that option, and a NIC made of a
 * model plugged into the PCI root and the back-end it talks to.
 *
 * Ownership: nic_add() opens the back-end and the model takes it over; both
 * go away with the VM (the PCI root tears the model down, which closes the
 * back-end). struct nic only refers to them and needs no freeing.
 */
#ifndef IOVIRT_NIC_H
#define IOVIRT_NIC_H

#include <stdbool.h>
#include <stdint.h>

#include "compiler.h"
#include "net-backend.h"

struct vm;
struct pci_root;
struct pci_device;

struct nic_model {
	const char *name;     /* "e1000", "virtio" */
	const char *summary;
	/* Create and plug the model; it takes be over on success. 0 or -errno. */
	int (*create)(struct vm *vm, struct pci_root *root, struct net_backend *be,
		      const uint8_t mac[6], struct pci_device **out);
	/* The back-end's link_up changed (optional: the model may poll it). */
	void (*link_changed)(struct pci_device *dev);
	/*
	 * The model is its own back-end (vhost-user: an external process services
	 * its queues): its spec is "socket=PATH[,server][,queues=N][,mac=MAC]", it has no
	 * create hook and the caller creates it (vhost-user/frontend/vhost-user-net.h).
	 */
	bool own_backend;
};

/* The models, NULL-name terminated, and lookup by name (NULL when unknown). */
extern const struct nic_model nic_models[];
const struct nic_model *nic_model_find(const char *name);

struct nic_spec {
	const struct nic_model *model;
	char backend[NET_BE_SPEC_MAX];
	uint8_t mac[6];
	bool mac_given;
	char socket[108];     /* own_backend models: the UNIX socket path */
	bool server;          /* own_backend models: listen at socket instead of connecting */
	unsigned queue_pairs; /* own_backend models: queues=N, 0 when not given */
};

/*
 * Parse "MODEL,backend=SPEC[,mac=MAC]" (mac may also come right after the
 * model; SPEC is the rest and may hold commas, as gen's does), or for a
 * model that is its own back-end "MODEL,socket=PATH[,server][,queues=N][,mac=MAC]"
 * (PATH without commas, shorter than 108 bytes; N queue pairs, 1 to 3). 0, or
 * -ENOENT (unknown model) or -EINVAL (malformed; a MAC that is multicast or
 * zero is malformed too), with *why saying what is wrong.
 */
int nic_spec_parse(const char *arg, struct nic_spec *out, const char **why) __must_check;

/* The MAC of the index-th NIC when none is given: 52:54:00:12:34:56 + index, as QEMU numbers them. */
void nic_default_mac(unsigned index, uint8_t mac[6]);

struct nic {
	const struct nic_model *model;
	struct net_backend *be;
	struct pci_device *dev;
};

/*
 * Open spec's back-end (hubs scoped to vm) and plug a NIC of spec's model with
 * mac. 0, or the back-end's error (*stage "backend") or the model's (*stage
 * "device"); on error nothing is left open. -EOPNOTSUPP for own_backend
 * models, which the caller creates itself.
 */
int nic_add(struct vm *vm, struct pci_root *root, const struct nic_spec *spec,
	    const uint8_t mac[6], struct nic *out, const char **stage) __must_check;

/* Set the link the guest sees (the back-end's link_up) and tell the model. */
void nic_set_link(struct nic *nic, bool up);

#endif
