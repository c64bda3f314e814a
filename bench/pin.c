/* Pinning a VMM's threads by name: its vCPU threads to one CPU, every other thread to another. */
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench.h"

void bench_pin_default(struct bench_pin *p)
{
	cpu_set_t set;

	*p = (struct bench_pin){ .vcpu = -1, .io = -1 };
	if (sched_getaffinity(0, sizeof(set), &set) || !CPU_ISSET(0, &set) || !CPU_ISSET(1, &set)) {
		snprintf(p->why, sizeof(p->why), "this process may not run on both CPU 0 and CPU 1");
		return;
	}
	p->vcpu = 0;
	p->io = 1;
}

int bench_pin_parse(const char *arg, struct bench_pin *p)
{
	unsigned vcpu, io;
	char extra;

	*p = (struct bench_pin){ .vcpu = -1, .io = -1 };
	if (!strcmp(arg, "off")) {
		snprintf(p->why, sizeof(p->why), "--pin off");
		return 0;
	}
	if (sscanf(arg, "vcpu=%u,io=%u%c", &vcpu, &io, &extra) != 2 || vcpu >= CPU_SETSIZE ||
	    io >= CPU_SETSIZE)
		return -EINVAL;
	p->vcpu = (int)vcpu;
	p->io = (int)io;
	return 0;
}

static int pin_tid(pid_t tid, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(tid, sizeof(set), &set) ? -errno : 0;
}

/* The thread's name (/proc/PID/task/TID/comm) into buf; "" when unreadable. */
static void thread_name(pid_t pid, const char *tid, char *buf, size_t len)
{
	char path[300];
	FILE *f;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/task/%.255s/comm", (int)pid, tid);
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

int bench_pin_process(pid_t pid, const char *vcpu_prefix, const struct bench_pin *p,
		      unsigned *vcpus)
{
	char path[64], name[32];
	struct dirent *e;
	int pinned = 0, ret = 0;
	DIR *d;

	*vcpus = 0;
	if (p->vcpu < 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((e = readdir(d)) && !ret) {
		bool vcpu;
		int r;

		if (e->d_name[0] == '.')
			continue;
		thread_name(pid, e->d_name, name, sizeof(name));
		vcpu = !strncmp(name, vcpu_prefix, strlen(vcpu_prefix));
		r = pin_tid((pid_t)atoi(e->d_name), vcpu ? p->vcpu : p->io);
		if (r == -ESRCH)
			continue; /* it ended meanwhile */
		ret = r;
		pinned += !r;
		*vcpus += vcpu && !r;
	}
	closedir(d);
	return ret ? ret : pinned;
}

void bench_pin_sample(const struct bench_plan *plan, pid_t pid, const char *vcpu_prefix,
		      struct bench_sample *s)
{
	unsigned vcpus;
	int n = bench_pin_process(pid, vcpu_prefix, &plan->pin, &vcpus);

	if (!s)
		return;
	if (n < 0) {
		snprintf(s->error, sizeof(s->error), "cannot pin the threads of PID %d to CPUs %d and "
			 "%d: %s", (int)pid, plan->pin.vcpu, plan->pin.io, strerror(-n));
		s->ok = false;
		return;
	}
	s->pinned_threads = plan->pin.vcpu < 0 ? -1 : n;
	s->pinned_vcpus = vcpus;
}
