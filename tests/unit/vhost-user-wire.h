/*
 * A small vhost-user back-end for tests: a wire between up to VU_WIRE_PORTS
 * front-ends. What one port's guest transmits is delivered to the other
 * port's receive queue (frames wait, up to VU_WIRE_BACKLOG, while that
 * guest has no buffers). It speaks the back-end's half of the protocol as
 * the specification says (REPLY_ACK offered, one queue pair, split rings,
 * VERSION_1, MRG_RXBUF, EVENT_IDX, INDIRECT_DESC), maps the guest's memfd
 * regions itself, and services the rings with the project's virtqueue code.
 * One thread does everything; ports come and go from other threads through
 * vu_wire_attach() and vu_wire_detach().
 */
#ifndef IOVIRT_TEST_VHOST_USER_WIRE_H
#define IOVIRT_TEST_VHOST_USER_WIRE_H

#include <stdint.h>

#define VU_WIRE_PORTS   2
#define VU_WIRE_BACKLOG 256

struct vu_wire;

struct vu_wire_stats {
	uint64_t sessions[VU_WIRE_PORTS];   /* SET_OWNERs seen */
	uint64_t forwarded[VU_WIRE_PORTS];  /* frames port p sent that reached the other guest */
	uint64_t dropped[VU_WIRE_PORTS];    /* frames port p sent that were dropped */
	uint64_t protocol_errors;
};

/* Start the wire's thread. 0 or -errno. */
int vu_wire_start(struct vu_wire **out);

/*
 * A new session on port p: the wire keeps one end of a socketpair and
 * returns the other (the front-end's, for vhost_user_net_new() or
 * vhost_user_net_attach_fd()), or -errno. A session already on p ends.
 */
int vu_wire_attach(struct vu_wire *w, unsigned p);

/* End port p's session, as a back-end that dies does (the front-end sees EOF). */
void vu_wire_detach(struct vu_wire *w, unsigned p);

void vu_wire_stats_get(struct vu_wire *w, struct vu_wire_stats *out);

/* Stop the thread, end every session, free everything. */
void vu_wire_stop(struct vu_wire *w);

#endif
