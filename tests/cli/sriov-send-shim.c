/*
 * LD_PRELOAD shim for the netlink oracle test: every RTM_NEWLINK or
 * RTM_SETLINK message a program sends is appended, as one line of hex, to
 * the file named by SRIOV_SHIM_OUT, then sent on unchanged.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags);
ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
	       socklen_t tolen);

static void record(const void *buf, size_t len)
{
	const struct nlmsghdr *h = buf;
	const char *path = getenv("SRIOV_SHIM_OUT");
	FILE *f;

	if (!path || len < sizeof(*h) || h->nlmsg_len > len ||
	    (h->nlmsg_type != RTM_NEWLINK && h->nlmsg_type != RTM_SETLINK))
		return;
	f = fopen(path, "a");
	if (!f)
		return;
	for (size_t i = 0; i < h->nlmsg_len; i++)
		fprintf(f, "%02x", ((const unsigned char *)buf)[i]);
	fputc('\n', f);
	fclose(f);
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	ssize_t (*real)(int, const struct msghdr *, int) = dlsym(RTLD_NEXT, "sendmsg");

	if (msg && msg->msg_iovlen == 1)
		record(msg->msg_iov[0].iov_base, msg->msg_iov[0].iov_len);
	return real(fd, msg, flags);
}

ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
	       socklen_t tolen)
{
	ssize_t (*real)(int, const void *, size_t, int, const struct sockaddr *, socklen_t) =
		dlsym(RTLD_NEXT, "sendto");

	record(buf, len);
	return real(fd, buf, len, flags, to, tolen);
}
