/*
 * The vhost-user wire format (the front-end's half) and one channel to a
 * back-end: a connected UNIX stream socket, the messages it may carry, and
 * the checks every reply passes before anyone reads it.
 *
 * Messages are described by one table (VHOST_USER_MESSAGES below): the
 * request id, the payload the request carries, how many fds it may attach,
 * and the payload its reply must have (none: the back-end sends nothing
 * unless REPLY_ACK asked for an ack). vhost_user_chan_call() sends a request
 * and, when a reply is due, reads exactly one message and accepts it only
 * if its header says version 1 + reply, its request id is the one sent, its
 * size is the one the table gives, and it carries no fd. Anything else
 * (short reads, extra bytes, fds, an EOF or a timeout) is -EPROTO, -ECONNRESET
 * or -ETIMEDOUT, any received fd is closed, and the caller drops the
 * connection: after a bad reply the stream position is unknown.
 *
 * The back-end is not trusted (docs/vhost-user.md): every field it sends is
 * checked here or by the caller before use.
 */
#ifndef IOVIRT_VHOST_USER_MSG_H
#define IOVIRT_VHOST_USER_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compiler.h"

#define VHOST_USER_VERSION      0x1
#define VHOST_USER_VERSION_MASK 0x3
#define VHOST_USER_REPLY        (1u << 2)
#define VHOST_USER_NEED_REPLY   (1u << 3)
#define VHOST_USER_HDR_SIZE     12
#define VHOST_USER_MAX_FDS      8
#define VHOST_USER_MAX_REGIONS  8

/* The feature bit that says GET/SET_PROTOCOL_FEATURES exist. */
#define VHOST_USER_F_PROTOCOL_FEATURES 30

/* Protocol feature bits the front-end knows. */
#define VHOST_USER_PROTOCOL_F_MQ        0
#define VHOST_USER_PROTOCOL_F_REPLY_ACK 3
#define VHOST_USER_PROTOCOL_F_CONFIG    9

/* The u64 payload of SET_VRING_KICK/CALL/ERR: queue index, and "no fd attached". */
#define VHOST_USER_VRING_IDX_MASK 0xff
#define VHOST_USER_VRING_NOFD     (1u << 8)

/* Payload kinds (what follows the header). */
enum vhost_user_payload {
	VU_P_NONE,      /* size 0 */
	VU_P_U64,       /* features, a queue index, a count */
	VU_P_STATE,     /* struct vhost_user_vring_state */
	VU_P_ADDR,      /* struct vhost_user_vring_addr */
	VU_P_MEM,       /* struct vhost_user_mem_table (size from its region count) */
	VU_P_CONFIG,    /* struct vhost_user_config (size from its size field) */
};

/*
 * X(name, id, request payload, max fds the request attaches, reply payload
 *   or VU_P_NONE when the back-end sends no reply of its own)
 */
#define VHOST_USER_MESSAGES(X)                                                   \
	X(GET_FEATURES,           1, VU_P_NONE,   0, VU_P_U64)                   \
	X(SET_FEATURES,           2, VU_P_U64,    0, VU_P_NONE)                  \
	X(SET_OWNER,              3, VU_P_NONE,   0, VU_P_NONE)                  \
	X(SET_MEM_TABLE,          5, VU_P_MEM,    VHOST_USER_MAX_FDS, VU_P_NONE) \
	X(SET_VRING_NUM,          8, VU_P_STATE,  0, VU_P_NONE)                  \
	X(SET_VRING_ADDR,         9, VU_P_ADDR,   0, VU_P_NONE)                  \
	X(SET_VRING_BASE,        10, VU_P_STATE,  0, VU_P_NONE)                  \
	X(GET_VRING_BASE,        11, VU_P_STATE,  0, VU_P_STATE)                 \
	X(SET_VRING_KICK,        12, VU_P_U64,    1, VU_P_NONE)                  \
	X(SET_VRING_CALL,        13, VU_P_U64,    1, VU_P_NONE)                  \
	X(SET_VRING_ERR,         14, VU_P_U64,    1, VU_P_NONE)                  \
	X(GET_PROTOCOL_FEATURES, 15, VU_P_NONE,   0, VU_P_U64)                   \
	X(SET_PROTOCOL_FEATURES, 16, VU_P_U64,    0, VU_P_NONE)                  \
	X(GET_QUEUE_NUM,         17, VU_P_NONE,   0, VU_P_U64)                   \
	X(SET_VRING_ENABLE,      18, VU_P_STATE,  0, VU_P_NONE)                  \
	X(GET_CONFIG,            24, VU_P_CONFIG, 0, VU_P_CONFIG)

enum vhost_user_request {
#define VU_ENUM(name, id, req, fds, reply) VHOST_USER_##name = id,
	VHOST_USER_MESSAGES(VU_ENUM)
#undef VU_ENUM
};

struct vhost_user_vring_state {
	uint32_t index;
	uint32_t num;
};

struct vhost_user_vring_addr {
	uint32_t index;
	uint32_t flags;
	uint64_t desc;   /* front-end virtual addresses of the three rings */
	uint64_t used;
	uint64_t avail;
	uint64_t log;
};

struct vhost_user_mem_region {
	uint64_t guest_phys_addr;
	uint64_t memory_size;
	uint64_t userspace_addr;
	uint64_t mmap_offset;
};

struct vhost_user_mem_table {
	uint32_t nregions;
	uint32_t padding;
	struct vhost_user_mem_region regions[VHOST_USER_MAX_REGIONS];
};

#define VHOST_USER_CONFIG_MAX 256
struct vhost_user_config {
	uint32_t offset;
	uint32_t size;
	uint32_t flags;
	uint8_t data[VHOST_USER_CONFIG_MAX];
};

union vhost_user_payload_buf {
	uint64_t u64;
	struct vhost_user_vring_state state;
	struct vhost_user_vring_addr addr;
	struct vhost_user_mem_table mem;
	struct vhost_user_config config;
};

struct vhost_user_msg {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
	union vhost_user_payload_buf payload;
} __attribute__((packed));

/* What the table says about one request. */
struct vhost_user_msg_desc {
	const char *name;            /* "GET_FEATURES" */
	uint32_t id;
	enum vhost_user_payload request;
	unsigned max_fds;
	enum vhost_user_payload reply;
};

/* The table row of request id, or NULL for a request the front-end never sends. */
const struct vhost_user_msg_desc *vhost_user_msg_find(uint32_t id);

/* The payload size a message of kind k must have, given its payload (MEM, CONFIG). */
size_t vhost_user_payload_size(enum vhost_user_payload k, const union vhost_user_payload_buf *p);

/* One connection to a back-end. */
struct vhost_user_chan {
	int fd;                      /* connected socket, -1 when none */
	const char *name;            /* the socket path, for logs and errors */
	int timeout_ms;              /* how long a whole reply may take */
	bool reply_ack;              /* REPLY_ACK negotiated: every request asks for an ack */
};

/*
 * Send request id with payload p (NULL for none) and nfds fds (borrowed,
 * not closed), then, when the table gives a reply, or REPLY_ACK is on and
 * the request has none, read and validate it into *reply (may be NULL when
 * the reply is only an ack). 0, -EINVAL (a request the table does not allow,
 * too many fds), -EPROTO (a reply that failed validation, or a non-zero
 * ack), -ECONNRESET (EOF or a send/recv error), -ETIMEDOUT. On error the
 * channel is unusable and the caller closes it. *why (may be NULL) names
 * what failed, for the caller's log line.
 */
int vhost_user_chan_call(struct vhost_user_chan *ch, uint32_t id,
			 const union vhost_user_payload_buf *p, const int *fds, unsigned nfds,
			 union vhost_user_payload_buf *reply, const char **why) __must_check;

/*
 * Whether the back-end sent something while no reply was due (an unsolicited
 * message) or hung up: true means the connection must be dropped, *why says
 * which. Never blocks.
 */
bool vhost_user_chan_idle_broken(struct vhost_user_chan *ch, const char **why);

#endif
