/*
 * The UNIX sockets a vhost-user front-end talks over: it either connects to
 * a back-end's listening socket (client mode) or listens and accepts one
 * back-end at a time (server mode).
 */
#ifndef IOVIRT_VHOST_USER_SOCK_H
#define IOVIRT_VHOST_USER_SOCK_H

#include "compiler.h"

/* Connect to the socket at path. The connected fd (close-on-exec), or -errno. */
int vhost_user_sock_connect(const char *path) __must_check;

/*
 * Listen at path (a stale socket file there is replaced; any other file is
 * -EEXIST). The listening fd (non-blocking, close-on-exec), or -errno.
 */
int vhost_user_sock_listen(const char *path) __must_check;

/* Accept one waiting back-end: its fd (blocking, close-on-exec), -EAGAIN when none, or -errno. */
int vhost_user_sock_accept(int listen_fd) __must_check;

#endif
