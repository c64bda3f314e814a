/* virtio-net's control queue, shared by the in-VMM device and the vhost-user front-end. */
#include <endian.h>
#include <errno.h>

#include "iov.h"
#include "virtio-net.h"
#include "virtio-pci.h"

/* One command chain: class, command and data readable, then the writable ack byte. */
static uint8_t ctrl_command(const struct iovec *iov, const struct virtq_chain *c,
			    uint8_t (*pairs_set)(void *opaque, uint16_t pairs), void *opaque)
{
	uint8_t cmd[2];
	uint16_t pairs;

	if (c->out_bytes < sizeof(cmd) + sizeof(pairs))
		return VIRTIO_NET_ERR;
	iov_to_buf(iov, c->n_out, 0, cmd, sizeof(cmd));
	if (cmd[0] != VIRTIO_NET_CTRL_MQ || cmd[1] != VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET)
		return VIRTIO_NET_ERR;
	iov_to_buf(iov, c->n_out, sizeof(cmd), &pairs, sizeof(pairs));
	return pairs_set(opaque, le16toh(pairs));
}

bool virtio_net_ctrl_process(struct virtio_pci *vp, unsigned q, struct iovec *iov,
			     unsigned iov_max, uint8_t (*pairs_set)(void *opaque, uint16_t pairs),
			     void *opaque)
{
	struct virtq *vq = virtio_pci_vq(vp, q);
	struct virtq_chain c;
	uint8_t ack;
	int ret;

	while ((ret = virtq_pop(vq, iov, iov_max, &c)) > 0) {
		if (!c.in_bytes) {
			ret = -EIO;
			break;
		}
		ack = ctrl_command(iov, &c, pairs_set, opaque);
		iov_from_buf(iov + c.n_out, c.n_in, 0, &ack, sizeof(ack));
		virtq_push(vq, c.head, sizeof(ack));
	}
	if (ret < 0)
		virtio_pci_set_needs_reset(vp);
	return virtq_need_notify(vq);
}
