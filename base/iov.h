/*
 * Scatter-gather lists (struct iovec): copies to and from flat buffers and
 * slices, for frames that cross guest buffers, back-ends and headers.
 */
#ifndef IOVIRT_IOV_H
#define IOVIRT_IOV_H

#include <stddef.h>
#include <sys/uio.h>

/* The total length of iov[0..n) (the caller knows it cannot overflow). */
size_t iov_length(const struct iovec *iov, unsigned n);

/* Copy up to len bytes of iov[0..n), starting skip bytes in, to buf; returns the bytes copied. */
size_t iov_to_buf(const struct iovec *iov, unsigned n, size_t skip, void *buf, size_t len);

/* Copy up to len bytes of buf into iov[0..n), starting skip bytes in; returns the bytes copied. */
size_t iov_from_buf(const struct iovec *iov, unsigned n, size_t skip, const void *buf, size_t len);

/*
 * Make dst (room for dst_max entries) the part of iov[0..n) that starts skip
 * bytes in. Returns the entry count of dst.
 */
unsigned iov_skip(const struct iovec *iov, unsigned n, size_t skip, struct iovec *dst,
		  unsigned dst_max);

#endif
