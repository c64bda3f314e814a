#include "nic.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "e1000.h"
#include "virtio-net.h"

const struct nic_model nic_models[] = {
	{
		.name = "e1000",
		.summary = "Intel 82540EM, emulated register by register",
		.create = e1000_create,
	},
	{
		.name = "virtio",
		.summary = "virtio-net (virtio 1.x, modern PCI), serviced by an I/O thread in the VMM",
		.create = virtio_net_create,
		.link_changed = virtio_net_link_changed,
	},
	{
		.name = "vhost-user",
		.summary = "virtio-net whose queues an external vhost-user back-end services",
		.own_backend = true,
	},
	{ 0 },
};

const struct nic_model *nic_model_find(const char *name)
{
	for (const struct nic_model *m = nic_models; m->name; m++)
		if (!strcmp(m->name, name))
			return m;
	return NULL;
}

#define MAC_TEXT_LEN 17 /* xx:xx:xx:xx:xx:xx */

/* A MAC at text, which ends there (at_end) or at a comma. */
static int nic_mac_take(const char *text, bool at_end, struct nic_spec *out, const char **why)
{
	char buf[MAC_TEXT_LEN + 1];
	static const uint8_t zero[6];
	size_t len = strlen(text);

	snprintf(buf, sizeof(buf), "%s", text);
	if (len < MAC_TEXT_LEN || (at_end ? len != MAC_TEXT_LEN : text[MAC_TEXT_LEN] != ',') ||
	    net_mac_parse(buf, out->mac)) {
		*why = "mac= needs six hex bytes such as 52:54:00:12:34:56";
		return -EINVAL;
	}
	if ((out->mac[0] & 1) || !memcmp(out->mac, zero, 6)) {
		*why = "mac= must be a unicast address other than 00:00:00:00:00:00";
		return -EINVAL;
	}
	out->mac_given = true;
	return 0;
}

/* ",queues=N" with N 1 .. VIRTIO_NET_MAX_PAIRS, ending there or at a comma. */
static int nic_queues_take(const char *text, struct nic_spec *out, const char **why)
{
	if (text[0] < '1' || text[0] > '0' + VIRTIO_NET_MAX_PAIRS || (text[1] && text[1] != ',') ||
	    out->queue_pairs) {
		*why = "queues= takes a queue pair count from 1 to 3, once";
		return -EINVAL;
	}
	out->queue_pairs = text[0] - '0';
	return 0;
}

/* "socket=PATH[,server][,queues=N][,mac=MAC]" in any order after socket=. */
static int nic_socket_spec_parse(const char *rest, struct nic_spec *out, const char **why)
{
	const char *end;
	size_t len;

	if (strncmp(rest, "socket=", 7) || !rest[7] || rest[7] == ',') {
		*why = "socket=PATH is missing (the vhost-user socket)";
		return -EINVAL;
	}
	rest += 7;
	end = strchrnul(rest, ',');
	len = (size_t)(end - rest);
	if (len >= sizeof(out->socket)) {
		*why = "the socket path is too long (107 bytes at most)";
		return -EINVAL;
	}
	memcpy(out->socket, rest, len);
	out->socket[len] = '\0';
	for (rest = end; *rest; rest = strchrnul(rest + 1, ',')) {
		if (!strncmp(rest, ",server", 7) && (rest[7] == ',' || !rest[7])) {
			out->server = true;
		} else if (!strncmp(rest, ",mac=", 5) && !out->mac_given) {
			if (nic_mac_take(rest + 5, !strchr(rest + 5, ','), out, why))
				return -EINVAL;
		} else if (!strncmp(rest, ",queues=", 8)) {
			if (nic_queues_take(rest + 8, out, why))
				return -EINVAL;
		} else {
			*why = "after socket=PATH only server, queues=N and mac=MAC may follow";
			return -EINVAL;
		}
	}
	return 0;
}

int nic_spec_parse(const char *arg, struct nic_spec *out, const char **why)
{
	const char *comma = strchr(arg, ','), *rest, *tail;
	char model[16];
	size_t len;

	*out = (struct nic_spec){ 0 };
	len = comma ? (size_t)(comma - arg) : strlen(arg);
	snprintf(model, sizeof(model), "%.*s", (int)len, arg);
	out->model = len < sizeof(model) ? nic_model_find(model) : NULL;
	if (!out->model) {
		*why = "unknown NIC model (e1000, virtio or vhost-user)";
		return -ENOENT;
	}
	rest = comma ? comma + 1 : "";
	if (!strncmp(rest, "mac=", 4)) {
		if (nic_mac_take(rest + 4, false, out, why))
			return -EINVAL;
		rest += 4 + MAC_TEXT_LEN + 1;
	}
	if (out->model->own_backend)
		return nic_socket_spec_parse(rest, out, why);
	if (strncmp(rest, "backend=", 8) || !rest[8]) {
		*why = "backend=SPEC is missing (tap:NAME, hub:ID, loop, sink or gen:...)";
		return -EINVAL;
	}
	rest += 8;
	tail = strrchr(rest, ',');
	len = strlen(rest);
	if (tail && !strncmp(tail, ",mac=", 5) && !out->mac_given) {
		if (nic_mac_take(tail + 5, true, out, why))
			return -EINVAL;
		len = (size_t)(tail - rest);
	}
	if (len >= sizeof(out->backend)) {
		*why = "the back-end spec is too long";
		return -EINVAL;
	}
	memcpy(out->backend, rest, len);
	out->backend[len] = '\0';
	return 0;
}

void nic_default_mac(unsigned index, uint8_t mac[6])
{
	static const uint8_t base[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	unsigned last = base[5] + index;

	memcpy(mac, base, 6);
	mac[5] = (uint8_t)last;
	mac[4] = (uint8_t)(base[4] + (last >> 8));
}

int nic_add(struct vm *vm, struct pci_root *root, const struct nic_spec *spec,
	    const uint8_t mac[6], struct nic *out, const char **stage)
{
	struct net_backend *be;
	int ret;

	*stage = "device";
	if (spec->model->own_backend)
		return -EOPNOTSUPP;
	*stage = "backend";
	ret = net_backend_open(spec->backend, vm, &be);
	if (ret)
		return ret;
	*stage = "device";
	ret = spec->model->create(vm, root, be, mac, &out->dev);
	if (ret) {
		net_backend_close(be);
		return ret;
	}
	out->model = spec->model;
	out->be = be;
	return 0;
}

void nic_set_link(struct nic *nic, bool up)
{
	__atomic_store_n(&nic->be->link_up, up, __ATOMIC_RELEASE);
	if (nic->model->link_changed)
		nic->model->link_changed(nic->dev);
}
