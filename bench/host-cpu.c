/* Host CPU time of a process, summed over its threads, from /proc. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "parse.h"

#define STAT_READ_MAX 1024

int bench_stat_line_ticks(const char *line, size_t len, uint64_t *ticks)
{
	const char *end = line + len, *p = NULL;
	uint64_t v[2];
	unsigned field = 3; /* the field after ") " is the state, field 3 */

	for (const char *q = line; q < end; q++)
		if (*q == ')')
			p = q;      /* the command name ends at the last ')' */
	if (!p || p + 2 > end || p[1] != ' ')
		return -EINVAL;
	p += 2;
	for (; p < end && field < 14; field++) {
		const char *sp = memchr(p, ' ', end - p);

		if (!sp)
			return -EINVAL;
		p = sp + 1;
	}
	for (int i = 0; i < 2; i++) {
		char num[24];
		const char *sp = memchr(p, ' ', end - p);
		size_t n = (sp ? sp : end) - p;

		if (p >= end || n == 0 || n >= sizeof(num))
			return -EINVAL;
		memcpy(num, p, n);
		num[n] = 0;
		if (parse_u64(num, 0, UINT64_MAX / 4, &v[i]))
			return -EINVAL;
		p += n + 1;
	}
	*ticks = v[0] + v[1];
	return 0;
}

/* Read at most STAT_READ_MAX - 1 bytes of path into buf (NUL-terminated); the length or -errno. */
static ssize_t small_read(const char *path, char *buf)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, STAT_READ_MAX - 1);
	if (n < 0)
		n = -errno;
	else
		buf[n] = 0;
	close(fd);
	return n;
}

/*
 * One thread's CPU time: *ns from schedstat (or stat when the kernel keeps
 * no schedstat), *ticks from stat. 0 or -errno (a thread that ended is -ENOENT).
 */
static int thread_cpu(const char *task_dir, const char *tid, uint64_t tick_ns, uint64_t *ns,
		      uint64_t *ticks)
{
	char path[300], buf[STAT_READ_MAX], num[24];
	ssize_t n;
	size_t k;

	snprintf(path, sizeof(path), "%s/%s/stat", task_dir, tid);
	n = small_read(path, buf);
	if (n < 0)
		return (int)n;
	if (bench_stat_line_ticks(buf, n, ticks))
		return -EINVAL;
	*ns = *ticks * tick_ns;
	snprintf(path, sizeof(path), "%s/%s/schedstat", task_dir, tid);
	n = small_read(path, buf);
	k = n > 0 ? strcspn(buf, " \n") : 0;
	if (k > 0 && k < sizeof(num)) {
		memcpy(num, buf, k);
		num[k] = 0;
		if (parse_u64(num, 0, UINT64_MAX, ns))
			*ns = *ticks * tick_ns;
	}
	return 0;
}

/*
 * From /proc: live threads' CPU time, plus that of threads which already
 * ended (the process's own stat counts every thread it ever had, in ticks).
 */
static int proc_cpu_ns(int pid, uint64_t *ns)
{
	uint64_t tick_ns = 1000000000ull / (uint64_t)sysconf(_SC_CLK_TCK);
	uint64_t sum = 0, live_ticks = 0, proc_ticks, t, tk;
	char dir[64], path[80], buf[STAT_READ_MAX];
	struct dirent *e;
	ssize_t n;
	DIR *d;
	int ret = 0;

	snprintf(dir, sizeof(dir), pid ? "/proc/%d" : "/proc/self", pid);
	snprintf(path, sizeof(path), "%s/stat", dir);
	n = small_read(path, buf);
	if (n < 0)
		return (int)n;
	if (bench_stat_line_ticks(buf, n, &proc_ticks))
		return -EINVAL;
	strncat(dir, "/task", sizeof(dir) - strlen(dir) - 1);
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		ret = thread_cpu(dir, e->d_name, tick_ns, &t, &tk);
		if (ret == -ENOENT) {
			ret = 0;    /* ended meanwhile */
			continue;
		}
		if (ret)
			break;
		sum += t;
		live_ticks += tk;
	}
	closedir(d);
	if (!ret)
		*ns = sum + (proc_ticks > live_ticks ? (proc_ticks - live_ticks) * tick_ns : 0);
	return ret;
}

int bench_cpu_ns(int pid, uint64_t *ns)
{
	struct timespec t;
	clockid_t clk;

	/* The process CPU clock: every thread, ended ones too, to the nanosecond. */
	if (!clock_getcpuclockid(pid ? pid : getpid(), &clk) && !clock_gettime(clk, &t)) {
		*ns = (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
		return 0;
	}
	return proc_cpu_ns(pid, ns);
}

double bench_now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}
