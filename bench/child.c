/* Child processes of the harness (iovirt switch, dpdk-testpmd): output to a file, stopped by signal. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

pid_t bench_child_spawn(char *const argv[], const char *out_path)
{
	int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	pid_t pid;

	if (out < 0)
		return -errno;
	pid = fork();
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);

		if (devnull < 0 || dup2(devnull, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 ||
		    dup2(out, STDERR_FILENO) < 0)
			_exit(126);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(out);
	return pid < 0 ? -errno : pid;
}

int bench_child_stop(pid_t pid, int sig, double timeout_s)
{
	double deadline = bench_now_s() + timeout_s;
	const struct timespec nap = { .tv_nsec = 10000000 };
	int status;
	pid_t got;

	kill(pid, sig);
	while ((got = waitpid(pid, &status, WNOHANG)) == 0 && bench_now_s() < deadline)
		nanosleep(&nap, NULL);
	if (got == pid)
		return status;
	kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return -ETIMEDOUT;
}

bool bench_file_has(const char *path, const char *needle)
{
	char buf[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = 0;
	return strstr(buf, needle) != NULL;
}
