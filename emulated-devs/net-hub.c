/*
 * The `hub:ID` back-end: every NIC of one VM that names the same ID is a port
 * of one hub; a frame sent by a port is queued to every other port. Hubs live
 * in a process-wide registry keyed by (vm_id, ID); the last port to close
 * frees its hub.
 *
 * Locks, always taken in this order: net_hubs_lock (the registry, and a hub's
 * port list for writing), hub->lock (read: sending; write: joining, leaving),
 * a port's queue lock (net-queue.c).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "net-backend-impl.h"
#include "net-queue.h"

#define NET_HUB_ID_MAX 32   /* with its NUL */
#define NET_HUB_DEPTH  256  /* frames queued per port */

struct net_hub_port {
	struct net_hub *hub;
	struct net_backend *be;
	struct net_queue *q;
	struct net_hub_port *next;
};

struct net_hub {
	char id[NET_HUB_ID_MAX];
	const void *vm_id;
	pthread_rwlock_t lock;
	struct net_hub_port *ports;   /* under lock */
	struct net_hub *next;         /* under net_hubs_lock */
};

static pthread_mutex_t net_hubs_lock = PTHREAD_MUTEX_INITIALIZER;
static struct net_hub *net_hubs;

static int net_hub_id_check(const char *id)
{
	size_t len = strlen(id);

	if (len == 0 || len >= NET_HUB_ID_MAX)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		char c = id[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return -EINVAL;
	}
	return 0;
}

/* Senders hold the hub's lock for reading back to back: a joining or leaving port must not starve. */
static void net_hub_lock_init(pthread_rwlock_t *lock)
{
	pthread_rwlockattr_t attr;

	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(lock, &attr);
	pthread_rwlockattr_destroy(&attr);
}

/* The hub for (vm_id, id), created when missing (net_hubs_lock held). */
static struct net_hub *net_hub_get(const void *vm_id, const char *id)
{
	struct net_hub *h;

	for (h = net_hubs; h; h = h->next)
		if (h->vm_id == vm_id && !strcmp(h->id, id))
			return h;
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	strcpy(h->id, id);
	h->vm_id = vm_id;
	net_hub_lock_init(&h->lock);
	h->next = net_hubs;
	net_hubs = h;
	return h;
}

/* Unlink and free a hub without ports (net_hubs_lock held). */
static void net_hub_free(struct net_hub *hub)
{
	struct net_hub **pp;

	for (pp = &net_hubs; *pp != hub; pp = &(*pp)->next)
		;
	*pp = hub->next;
	pthread_rwlock_destroy(&hub->lock);
	free(hub);
}

static int net_hub_open(struct net_backend *be, const char *args)
{
	struct net_hub_port *port;
	struct net_hub *hub;
	int ret;

	ret = net_hub_id_check(args);
	if (ret < 0)
		return ret;
	port = calloc(1, sizeof(*port));
	if (!port)
		return -ENOMEM;
	ret = net_queue_create(NET_HUB_DEPTH, &port->q);
	if (ret < 0) {
		free(port);
		return ret;
	}
	port->be = be;
	pthread_mutex_lock(&net_hubs_lock);
	hub = net_hub_get(be->vm_id, args);
	if (!hub) {
		pthread_mutex_unlock(&net_hubs_lock);
		net_queue_destroy(port->q);
		free(port);
		return -ENOMEM;
	}
	port->hub = hub;
	pthread_rwlock_wrlock(&hub->lock);
	port->next = hub->ports;
	hub->ports = port;
	pthread_rwlock_unlock(&hub->lock);
	pthread_mutex_unlock(&net_hubs_lock);

	be->priv = port;
	be->poll_fd = net_queue_fd(port->q);
	be->caps = NET_BE_CAP_VNET_HDR;
	return 0;
}

static void net_hub_close(struct net_backend *be)
{
	struct net_hub_port *port = be->priv, **pp;
	struct net_hub *hub = port->hub;
	bool empty;

	pthread_mutex_lock(&net_hubs_lock);
	pthread_rwlock_wrlock(&hub->lock);
	for (pp = &hub->ports; *pp != port; pp = &(*pp)->next)
		;
	*pp = port->next;
	empty = !hub->ports;
	pthread_rwlock_unlock(&hub->lock);
	if (empty)
		net_hub_free(hub);
	pthread_mutex_unlock(&net_hubs_lock);
	net_queue_destroy(port->q);
	free(port);
}

/* Queue to every other port; a full port counts the frame in its own rx_dropped. */
static ssize_t net_hub_send(struct net_backend *be, const struct iovec *iov, int iovcnt)
{
	struct net_hub_port *self = be->priv, *p;

	pthread_rwlock_rdlock(&self->hub->lock);
	for (p = self->hub->ports; p; p = p->next) {
		if (p == self)
			continue;
		if (net_queue_push(p->q, iov, iovcnt, be->vnet_hdr) < 0)
			net_stat_add(&p->be->stats.rx_dropped, 1);
	}
	pthread_rwlock_unlock(&self->hub->lock);
	return (ssize_t)iov_length(iov, iovcnt);
}

static ssize_t net_hub_recv(struct net_backend *be, const struct iovec *iov, int iovcnt)
{
	struct net_hub_port *self = be->priv;

	return net_queue_pop(self->q, be, iov, iovcnt);
}

static ssize_t net_hub_peek_len(struct net_backend *be)
{
	struct net_hub_port *self = be->priv;

	return net_queue_peek_len(self->q, be);
}

const struct net_backend_ops net_hub_ops = {
	.name = "hub",
	.open = net_hub_open,
	.close = net_hub_close,
	.send = net_hub_send,
	.recv = net_hub_recv,
	.peek_len = net_hub_peek_len,
};
