/* The guest image built into the binary (bench-image.S, generated from guest/bench/). */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "bench.h"

extern const unsigned char bench_image[], bench_image_end[];

int bench_image_write(const char *path)
{
	size_t len = (size_t)(bench_image_end - bench_image), done = 0;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), err = 0;

	if (fd < 0)
		return -errno;
	while (done < len) {
		ssize_t n = write(fd, bench_image + done, len - done);

		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			break;
		}
		done += (size_t)n;
	}
	if (close(fd) && !err)
		err = -errno;
	return err;
}
