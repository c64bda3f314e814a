/*
 * One sample on a QEMU peer path: qemu-system-x86_64 -accel kvm (TCG only
 * for plan->qemu_tcg_check, whose figures are never reported) runs the same
 * image through multiboot with the parameters on its command line, and QEMU's
 * own NIC model on the workload's nearest QEMU back-end: tx on a UDP socket
 * back-end whose frames a sink of this process counts, rx on a TCP socket
 * back-end a generator of this process feeds (both qemu-net.h), pingpong on
 * a UDP socket back-end that sends to its own address (every frame comes
 * back). The vhost-user path instead gives QEMU's virtio-net-pci a
 * `-netdev vhost-user` to an `iovirt switch` child in the workload's mode
 * (sink, gen, reflect), as the iovirt-vhost-user path has, with guest RAM
 * from a shared memfd. The host side samples QEMU's CPU time (every thread;
 * and the switch's) and, where debugfs shows them, its VM's KVM exit
 * counters at the guest's bench-start and bench-result lines on COM1.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "parse.h"
#include "qemu-net.h"

#define QEMU_ARGS_MAX 48
#define LINE_BUF      1024

struct qsnap {
	double wall;
	uint64_t cpu_ns;
	bool cpu_ok, exits_ok;
	uint64_t exits[BENCH_EXIT_REASONS];
};

/* A free UDP port on 127.0.0.1 (bound and released: QEMU binds it next). */
static int udp_port_free(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), port = -errno;

	if (fd < 0)
		return port;
	if (!bind(fd, (struct sockaddr *)&a, sizeof(a)) && !getsockname(fd, (struct sockaddr *)&a, &len))
		port = ntohs(a.sin_port);
	else
		port = -errno;
	close(fd);
	return port;
}

/* The VM's KVM counters under debugfs (/sys/kernel/debug/kvm/PID-FD/NAME). */
static bool debugfs_exits(int pid, uint64_t exits[BENCH_EXIT_REASONS])
{
	char prefix[32], path[600], buf[32];
	DIR *d = opendir("/sys/kernel/debug/kvm");
	struct dirent *e;
	bool found = false;

	if (!d)
		return false;
	snprintf(prefix, sizeof(prefix), "%d-", pid);
	while ((e = readdir(d)) && !found) {
		if (strncmp(e->d_name, prefix, strlen(prefix)))
			continue;
		found = true;
		for (unsigned i = 0; i < BENCH_EXIT_REASONS; i++) {
			FILE *f;

			exits[i] = UINT64_MAX;
			snprintf(path, sizeof(path), "/sys/kernel/debug/kvm/%s/%s", e->d_name,
				 bench_exit_names[i]);
			f = fopen(path, "re");
			if (!f)
				continue;
			if (fgets(buf, sizeof(buf), f)) {
				buf[strcspn(buf, "\n")] = 0;
				if (parse_u64(buf, 0, UINT64_MAX, &exits[i]))
					exits[i] = UINT64_MAX;
			}
			fclose(f);
		}
	}
	closedir(d);
	return found;
}

/* QEMU's (pid) counters, and the switch's CPU time too when sw_pid > 0. */
static void qsnap_take(int pid, int sw_pid, struct qsnap *q)
{
	uint64_t sw_ns = 0;

	q->cpu_ok = !bench_cpu_ns(pid, &q->cpu_ns) && (sw_pid <= 0 || !bench_cpu_ns(sw_pid, &sw_ns));
	q->cpu_ns += sw_ns;
	q->exits_ok = debugfs_exits(pid, q->exits);
	q->wall = bench_now_s();
}

/*
 * QEMU's argument vector into argv (strings in store), its NIC on host_port
 * (the socket back-ends) or on vhost-user socket sock. 0 or -errno.
 */
static int qemu_argv(const struct bench_plan *plan, const struct bench_case *c, int host_port,
		     const char *sock, char *store, size_t len, char **argv)
{
	char netdev[128], append[128], device[160], chardev[160];
	int n = 0, port;
	size_t used = 0;
	const char *args[QEMU_ARGS_MAX];

	if (sock) {
		snprintf(netdev, sizeof(netdev), "vhost-user,id=n0,chardev=c0");
		snprintf(chardev, sizeof(chardev), "socket,id=c0,path=%s", sock);
	} else if (c->workload == BENCH_WL_PINGPONG) {
		port = udp_port_free();
		if (port < 0)
			return port;
		snprintf(netdev, sizeof(netdev), "socket,id=n0,udp=127.0.0.1:%d,localaddr=127.0.0.1:%d",
			 port, port);
	} else if (c->workload == BENCH_WL_TX) {
		port = udp_port_free();
		if (port < 0)
			return port;
		snprintf(netdev, sizeof(netdev), "socket,id=n0,udp=127.0.0.1:%d,localaddr=127.0.0.1:%d",
			 host_port, port);
	} else {
		snprintf(netdev, sizeof(netdev), "socket,id=n0,connect=127.0.0.1:%d", host_port);
	}
	snprintf(append, sizeof(append), "workload=%s size=%u count=%u nic=0",
		 bench_workload_name(c->workload), c->size, plan->count);
	/* no option ROM: the image boots through multiboot, and a -L directory may hold no ROMs */
	snprintf(device, sizeof(device), "%s,netdev=n0,addr=0x4,romfile=", c->path->model);
	const char *fixed[] = { plan->qemu, "-M", "pc", "-m", "128", "-smp", "1", "-nodefaults",
		"-display", "none", "-no-reboot", "-serial", "stdio", "-monitor", "none",
		"-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-accel",
		plan->qemu_tcg_check ? "tcg" : "kvm", "-cpu", plan->qemu_tcg_check ? "max" : "host",
		"-kernel", plan->image, "-append", append, "-netdev", netdev, "-device", device };
	/* vhost-user: the back-end maps guest RAM, which must be a shared memfd */
	const char *vhost_user[] = { "-chardev", chardev, "-object",
		"memory-backend-memfd,id=ram,size=128M,share=on", "-machine", "memory-backend=ram" };
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		args[n++] = fixed[i];
	for (size_t i = 0; sock && i < sizeof(vhost_user) / sizeof(vhost_user[0]); i++)
		args[n++] = vhost_user[i];
	if (plan->qemu_data) {
		args[n++] = "-L";
		args[n++] = plan->qemu_data;
	}
	for (int i = 0; i < n; i++) {
		size_t l = strlen(args[i]) + 1;

		if (used + l > len)
			return -E2BIG;
		argv[i] = memcpy(store + used, args[i], l);
		used += l;
	}
	argv[n] = NULL;
	return 0;
}

/* Start QEMU with stdout (COM1) on a pipe; its pid, *fd the read end; -errno. */
static int qemu_spawn(char **argv, int *fd)
{
	int p[2], devnull;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -errno;
	}
	if (pid == 0) {
		devnull = open("/dev/null", O_RDWR);
		dup2(devnull, STDIN_FILENO);
		dup2(p[1], STDOUT_FILENO);
		dup2(devnull, STDERR_FILENO);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	*fd = p[0];
	return pid;
}

struct qrun {
	const struct bench_plan *plan;
	int pid, sw_pid;
	struct qemu_tcp_gen *gen; /* rx: started at bench-start */
	struct bench_sample *s;
	struct qsnap start, end;
	bool have_start, have_end, done;
	int done_status;
};

static void qline(struct qrun *q, const char *line)
{
	struct bench_guest_report rep;
	int ret = bench_guest_line_parse(line, &rep);

	if (!strncmp(line, "IOVIRT-GUEST: done status=", 26)) {
		q->done = true;
		q->done_status = atoi(line + 26);
		return;
	}
	if (!strncmp(line, "IOVIRT-GUEST: assert ", 21) && !q->s->error[0])
		snprintf(q->s->error, sizeof(q->s->error), "guest assertion: %.120s", line + 21);
	if (ret == -ENOENT)
		return;
	if (ret) {
		snprintf(q->s->error, sizeof(q->s->error), "malformed guest line: %.100s", line);
		return;
	}
	if (rep.start && !q->have_start) {
		q->s->tsc_khz = rep.tsc_khz;
		q->have_start = true;
		bench_pin_sample(q->plan, q->pid, "CPU ", q->s);
		bench_pin_sample(q->plan, getpid(), "\n", NULL); /* the socket ends: the back-end */
		qsnap_take(q->pid, q->sw_pid, &q->start);
		if (q->gen)
			atomic_store(&q->gen->go, true);
	} else if (!rep.start && q->have_start && !q->have_end) {
		qsnap_take(q->pid, q->sw_pid, &q->end);
		q->s->res = rep;
		q->have_end = true;
	}
}

/* Read COM1 lines until QEMU closes it or the deadline; false on a timeout. */
static bool qread(struct qrun *q, int fd, double deadline)
{
	char buf[LINE_BUF];
	size_t have = 0;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		double left = deadline - bench_now_s();
		ssize_t n;
		char *nl;

		if (left <= 0)
			return false;
		if (poll(&p, 1, (int)(left * 1000) + 1) <= 0)
			continue;
		n = read(fd, buf + have, sizeof(buf) - 1 - have);
		if (n <= 0)
			return true;
		have += n;
		buf[have] = 0;
		while ((nl = memchr(buf, '\n', have))) {
			*nl = 0;
			qline(q, buf);
			have -= nl + 1 - buf;
			memmove(buf, nl + 1, have);
			buf[have] = 0;
		}
		if (have == sizeof(buf) - 1)
			have = 0; /* a line too long for a report: drop it */
	}
}

static void qsample_fill(struct qrun *q)
{
	struct bench_sample *s = q->s;

	s->guest_s = s->tsc_khz ? s->res.cycles / (s->tsc_khz * 1e3) : 0;
	s->wall_s = q->end.wall - q->start.wall;
	s->cpu_s = q->start.cpu_ok && q->end.cpu_ok ? (q->end.cpu_ns - q->start.cpu_ns) / 1e9 : -1;
	s->exits_known = q->start.exits_ok && q->end.exits_ok;
	for (unsigned i = 0; i < BENCH_EXIT_REASONS && s->exits_known; i++)
		s->exits[i] = q->start.exits[i] == UINT64_MAX || q->end.exits[i] == UINT64_MAX ?
			UINT64_MAX : q->end.exits[i] - q->start.exits[i];
}

/* The host ends of the case's back-end, and their counts once QEMU is gone. */
struct qhost {
	struct qemu_udp_sink sink;
	struct qemu_tcp_gen gen;
	struct bench_switch sw;  /* the vhost-user path's (sw.pid > 0) */
	unsigned workload;
};

/* Start the host end the workload needs; its port (0: none) or -errno (s->error set). */
static int qhost_start(struct qhost *h, const struct bench_plan *plan, const struct bench_case *c,
		       struct bench_sample *s)
{
	int ret = 0;

	*h = (struct qhost){ .sink.fd = -1, .gen.fd = -1, .sw.pid = -1, .workload = c->workload };
	if (c->path->vhost_user)
		ret = bench_switch_start(&h->sw, plan->iovirt, c->workload, c->size, plan->count,
					 plan->pin.io, s->error, sizeof(s->error));
	else if (c->workload == BENCH_WL_TX)
		ret = qemu_udp_sink_start(&h->sink);
	else if (c->workload == BENCH_WL_RX)
		ret = qemu_tcp_gen_start(&h->gen, c->size, plan->count);
	if (ret)
		return ret;
	return h->sink.fd >= 0 ? h->sink.port : h->gen.fd >= 0 ? h->gen.port : 0;
}

/* Stop the host end; with s, fill in the host's counts of the frames. */
static void qhost_stop(struct qhost *h, struct bench_sample *s)
{
	struct bench_switch_counts last;

	if (h->sw.dir[0]) {      /* the switch's counters; its files kept when the guest failed */
		if (h->sw.pid > 0 && s && s->res.packets)
			bench_switch_sample_counts(&h->sw, h->workload, s);
		bench_switch_stop(&h->sw, &last, s && !s->res.ok);
	}
	if (h->sink.fd >= 0) {  /* the guest sent, the sink counted, its socket dropped */
		qemu_udp_sink_stop(&h->sink);
		if (s) {
			s->host_sent = (int64_t)s->res.packets;
			s->host_counted = (int64_t)atomic_load(&h->sink.frames);
			s->host_drops = (int64_t)atomic_load(&h->sink.dropped);
		}
	}
	if (h->gen.fd >= 0) {   /* the generator sent, the guest counted, the guest saw gaps */
		qemu_tcp_gen_stop(&h->gen);
		if (s) {
			s->host_sent = (int64_t)atomic_load(&h->gen.sent);
			s->host_counted = (int64_t)s->res.packets;
			s->host_drops = (int64_t)s->res.drops;
		}
	}
}

/* s->ok and s->error from how the run ended (status: waitpid's). */
static void qverdict(struct qrun *q, const struct bench_plan *plan, bool finished, int status)
{
	struct bench_sample *s = q->s;
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;

	if (!finished) {
		snprintf(s->error, sizeof(s->error), "QEMU did not finish in %u s", plan->timeout_s);
	} else if (code == 127 && !q->have_start) {
		snprintf(s->error, sizeof(s->error), "cannot run %s", plan->qemu);
	} else if (!q->have_end) {
		if (!s->error[0])
			snprintf(s->error, sizeof(s->error), "no result from the guest under QEMU "
				 "(exit status %d)", code);
	} else {
		qsample_fill(q);
		/* isa-debug-exit of status 0 ends QEMU with (0 << 1) | 1 */
		s->ok = s->res.ok && q->done && q->done_status == 0 && code == 1 && !s->error[0];
		if (!s->ok && !s->error[0])
			snprintf(s->error, sizeof(s->error), "guest reported a failure (timeout %d, "
				 "errors %llu, exit status %d)", s->res.timeout,
				 (unsigned long long)s->res.errors, code);
		if (s->ok && s->host_sent >= 0 && s->host_counted != s->host_sent - s->host_drops) {
			s->ok = false;
			snprintf(s->error, sizeof(s->error), "counted %lld frames, sent %lld minus "
				 "%lld dropped", (long long)s->host_counted, (long long)s->host_sent,
				 (long long)s->host_drops);
		}
	}
}

int bench_qemu_run(const struct bench_plan *plan, const struct bench_case *c,
		   struct bench_sample *s)
{
	char store[2048], *argv[QEMU_ARGS_MAX];
	struct qrun q = { .plan = plan, .s = s, .done_status = -1 };
	struct qhost h;
	int fd = -1, status = 0, port;
	bool finished;

	*s = (struct bench_sample){ .cpu_s = -1, .host_sent = -1, .host_counted = -1,
				    .host_drops = -1, .pinned_threads = -1 };
	port = qhost_start(&h, plan, c, s);
	if (port < 0) {
		qhost_stop(&h, s); /* a switch that did not start keeps its output */
		return port;
	}
	q.gen = h.gen.fd >= 0 ? &h.gen : NULL;
	q.sw_pid = h.sw.pid;
	q.pid = qemu_argv(plan, c, port, c->path->vhost_user ? h.sw.sock : NULL, store,
			  sizeof(store), argv);
	if (!q.pid)
		q.pid = qemu_spawn(argv, &fd);
	if (q.pid < 0) {
		qhost_stop(&h, NULL);
		return q.pid;
	}
	finished = qread(&q, fd, bench_now_s() + plan->timeout_s);
	close(fd);
	if (!finished)
		kill(q.pid, SIGKILL);
	while (waitpid(q.pid, &status, 0) < 0 && errno == EINTR)
		;
	qhost_stop(&h, s);
	qverdict(&q, plan, finished, status);
	return 0;
}
