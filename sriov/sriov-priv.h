/* Helpers shared by the files of sriov/; not part of its interface. */
#ifndef IOVIRT_SRIOV_PRIV_H
#define IOVIRT_SRIOV_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "sriov.h"

#define SRIOV_PATH_LEN 512
#define SRIOV_MAX_VFS 65535 /* the capability's TotalVFs is 16 bits */

/* Format a sentence for the user into msg (NULL or 0 length: nothing). */
void sriov_msg(char *msg, size_t len, const char *fmt, ...) __printf(3, 4);

/* "<sysfs>/bus/pci/devices/<bdf>/<attr>" into path; -ENAMETOOLONG when it does not fit. */
int sriov_dev_attr(const struct sriov_env *env, const char *bdf, const char *attr, char *path,
		   size_t len) __must_check;

/* Read a device attribute as an integer within [min, max]; -EINVAL outside, -errno unreadable. */
int sriov_dev_read_int(const struct sriov_env *env, const char *bdf, const char *attr, long min,
		       long max, int *out) __must_check;

/* How many virtfnN links the device has (0 when its directory cannot be read). */
size_t sriov_vf_links_count(const struct sriov_env *env, const char *bdf);

/*
 * Walk one datagram (n bytes, untrusted) from a NETLINK_ROUTE socket for the
 * answer to request seq: an NLMSG_ERROR sets *code (0 or -errno) and copies
 * its capped extended-ack message into err; an RTM_NEWLINK is copied to a
 * malloc'd *reply. Returns 1 when the answer was found, 0 when it is not in
 * this datagram, -EBADMSG for a truncated error, -ENOMEM.
 */
int sriov_nl_answer_read(const unsigned char *buf, int n, uint32_t seq, void **reply,
			 size_t *reply_len, int *code, char *err, size_t errlen) __must_check;

#endif
