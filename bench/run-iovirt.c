/*
 * One sample on an iovirt path: a VM made here through the vmm API (not an
 * `iovirt run` child: the harness answers the guest's parameter ucalls and
 * samples the vCPU's KVM statistics and the back-end's counters at the exact
 * ucalls that open and close the timed section), one NIC of the path's model
 * on the workload's back-end.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "guest-image.h"
#include "net-gen.h"
#include "nic.h"
#include "platform.h"
#include "ucall.h"
#include "vcpu.h"
#include "vhost-user-net.h"
#include "vm.h"

#define BENCH_RAM (64ULL << 20)

/* A snapshot of the host's counters. */
struct snap {
	double wall;
	uint64_t cpu_ns;
	bool cpu_ok;
	uint64_t exits[BENCH_EXIT_REASONS];
	bool exits_ok;
};

struct run {
	const struct bench_plan *plan;
	const struct bench_case *c;
	struct bench_sample *s;
	struct snap start, end;
	bool have_start, have_end;
	char bad_line[BENCH_REASON_MAX];
	struct bench_switch sw;   /* the vhost-user path's back-end (sw.pid > 0) */
};

static void snap_take(struct run *r, struct vcpu *vcpu, struct snap *sn)
{
	uint64_t sw_ns = 0;

	sn->exits_ok = true;
	for (unsigned i = 0; i < BENCH_EXIT_REASONS; i++)
		if (vcpu_stat(vcpu, bench_exit_names[i], &sn->exits[i]))
			sn->exits[i] = UINT64_MAX; /* this kernel lacks the statistic */
	sn->cpu_ok = !bench_cpu_ns(0, &sn->cpu_ns) &&
		     (r->sw.pid <= 0 || !bench_cpu_ns(r->sw.pid, &sw_ns));
	sn->cpu_ns += sw_ns;
	sn->wall = bench_now_s();
}

static uint64_t param_value(const struct run *r, unsigned key)
{
	switch (key) {
	case BENCH_KEY_WORKLOAD: return r->c->workload;
	case BENCH_KEY_SIZE: return r->c->size;
	case BENCH_KEY_COUNT: return r->plan->count;
	default: return 0; /* NIC 0, the only one */
	}
}

static void print_handle(struct run *r, struct vcpu *vcpu, const char *line)
{
	struct bench_guest_report rep;
	int ret = bench_guest_line_parse(line, &rep);

	if (ret == -ENOENT)
		return;
	if (ret) {
		snprintf(r->bad_line, sizeof(r->bad_line), "malformed guest line: %.100s", line);
		return;
	}
	if (rep.start && !r->have_start) {
		r->s->tsc_khz = rep.tsc_khz;
		r->have_start = true;
		bench_pin_sample(r->plan, getpid(), "vCPU", r->s);
		snap_take(r, vcpu, &r->start);
	} else if (!rep.start && r->have_start && !r->have_end) {
		snap_take(r, vcpu, &r->end);
		r->s->res = rep;
		r->have_end = true;
	}
}

static void bench_ucall(struct vcpu *vcpu, void *opaque)
{
	struct run *r = opaque;
	struct ucall uc;
	uint64_t cmd = get_ucall(vcpu, &uc);

	if (cmd == UCALL_SYNC && (uc.args[0] & ~0xffffull) == BENCH_SYNC_PARAM) {
		if (ucall_reply(vcpu, param_value(r, uc.args[0] & 0xffff)))
			vm_stop(vcpu->vm, VM_STOP_HOST_ERROR, "cannot answer a ucall");
		return;
	}
	if (cmd == UCALL_PRINT) {
		print_handle(r, vcpu, uc.buf);
		return;
	}
	vm_ucall_default(vcpu);
}

/* Wait up to 2 s for the back-end to have seen want frames (its threads may lag the guest). */
static void backend_settle(struct net_backend *be, unsigned workload, uint64_t want)
{
	struct net_backend_stats st;

	for (int i = 0; i < 200; i++) {
		net_backend_stats(be, &st);
		if (workload == BENCH_WL_TX && st.tx_frames + st.tx_dropped >= want)
			return;
		if (workload != BENCH_WL_TX)
			return;
		usleep(10000);
	}
}

/* The host's count of the frames against the guest's; sets s->ok and s->error. */
static void counts_check(struct run *r, struct nic *nic)
{
	struct bench_sample *s = r->s;
	const struct bench_guest_report *g = &s->res;
	struct net_backend_stats st;
	struct net_gen_stats gen;

	if (r->sw.pid > 0) {
		bench_switch_sample_counts(&r->sw, r->c->workload, s);
		goto check;
	}
	backend_settle(nic->be, r->c->workload, g->packets);
	net_backend_stats(nic->be, &st);
	switch (r->c->workload) {
	case BENCH_WL_TX:    /* the guest sent, sink counted, the back-end dropped */
		s->host_sent = (int64_t)g->packets;
		s->host_counted = (int64_t)st.tx_frames;
		s->host_drops = (int64_t)st.tx_dropped;
		break;
	case BENCH_WL_RX:    /* gen generated, the guest counted, the guest saw gaps */
		if (net_gen_stats_read(nic->be, &gen))
			return;
		s->host_sent = (int64_t)gen.generated;
		s->host_counted = (int64_t)g->packets;
		s->host_drops = (int64_t)g->drops;
		break;
	default:             /* the guest sent round trips, loop counted them back */
		s->host_sent = (int64_t)st.tx_frames;
		s->host_counted = (int64_t)st.rx_frames;
		s->host_drops = (int64_t)(st.rx_dropped + st.tx_dropped);
		break;
	}
check:
	if (s->host_counted != s->host_sent - s->host_drops) {
		if (!s->error[0]) /* the guest's own report, when it failed, says more */
			snprintf(s->error, sizeof(s->error), "counted %lld frames, sent %lld minus "
				 "%lld dropped", (long long)s->host_counted, (long long)s->host_sent,
				 (long long)s->host_drops);
		s->ok = false;
	}
}

static void sample_fill(struct run *r)
{
	struct bench_sample *s = r->s;

	s->guest_s = s->tsc_khz ? s->res.cycles / (s->tsc_khz * 1e3) : 0;
	s->wall_s = r->end.wall - r->start.wall;
	s->cpu_s = r->start.cpu_ok && r->end.cpu_ok ? (r->end.cpu_ns - r->start.cpu_ns) / 1e9 : -1;
	s->exits_known = r->start.exits_ok && r->end.exits_ok;
	for (unsigned i = 0; i < BENCH_EXIT_REASONS; i++)
		s->exits[i] = r->start.exits[i] == UINT64_MAX ? UINT64_MAX :
			r->end.exits[i] - r->start.exits[i];
}

/* Create the VM with its NIC; 0 or -errno with s->error set. */
/* The path's NIC: a model on the workload's back-end, or vhost-user to a new switch child. */
static int nic_setup(struct run *r, struct vm *vm, struct platform *plat, struct nic *nic,
		     const char **stage)
{
	char arg[NET_BE_SPEC_MAX + 32], be[NET_BE_SPEC_MAX];
	struct vhost_user_net_config vu = { .fd = -1 };
	struct pci_device *dev;
	struct nic_spec spec;
	const char *why = "";
	int ret;

	if (r->c->path->vhost_user) {
		*stage = "iovirt switch";
		ret = bench_switch_start(&r->sw, r->plan->iovirt, r->c->workload, r->c->size,
					 r->plan->count, r->plan->pin.io, r->s->error, sizeof(r->s->error));
		if (ret)
			return ret;
		*stage = "vhost-user NIC";
		vu.socket = r->sw.sock;
		nic_default_mac(0, vu.mac);
		return vhost_user_net_create(vm, plat->pci, &vu, &dev);
	}
	ret = bench_backend_spec(r->c->workload, r->c->size, r->plan->count, be, sizeof(be));
	if (ret)
		return ret;
	snprintf(arg, sizeof(arg), "%s,backend=%s", r->c->path->model, be);
	ret = nic_spec_parse(arg, &spec, &why);
	if (ret) {
		snprintf(r->s->error, sizeof(r->s->error), "%s: %s", arg, why);
		return ret;
	}
	nic_default_mac(0, spec.mac);
	return nic_add(vm, plat->pci, &spec, spec.mac, nic, stage);
}

/* Create the VM with its NIC; 0 or -errno with s->error set. */
static int vm_setup(struct run *r, struct vm *vm, struct nic *nic)
{
	struct vm_config cfg = { .ram_size = BENCH_RAM, .ncpus = 1 };
	struct platform plat;
	const char *stage = "";
	int ret;

	ret = vm_create(vm, &cfg);
	if (ret) {
		snprintf(r->s->error, sizeof(r->s->error), "cannot create the VM: %s", strerror(-ret));
		return ret;
	}
	ret = platform_attach(vm, -1, &plat);
	if (!ret)
		ret = guest_image_boot(vm, r->plan->image);
	if (!ret)
		ret = nic_setup(r, vm, &plat, nic, &stage);
	if (ret) {
		if (!r->s->error[0])
			snprintf(r->s->error, sizeof(r->s->error), "cannot set up the VM (%s): %s",
				 *stage ? stage : "platform or image", strerror(-ret));
		vm_destroy(vm);
	}
	return ret;
}

int bench_iovirt_run(const struct bench_plan *plan, const struct bench_case *c,
		     struct bench_sample *s)
{
	struct run r = { .plan = plan, .c = c, .s = s, .sw = { .pid = -1 } };
	struct bench_switch_counts last;
	struct nic nic;
	struct vm vm;
	int ret;

	*s = (struct bench_sample){ .cpu_s = -1, .host_sent = -1, .host_counted = -1,
				    .host_drops = -1, .pinned_threads = -1 };
	ret = vm_setup(&r, &vm, &nic);
	if (ret) {
		bench_switch_stop(&r.sw, &last, true);
		return ret;
	}
	vm.ucall_fn = bench_ucall;
	vm.ucall_opaque = &r;
	ret = vm_run(&vm, plan->timeout_s * 1000);
	if (ret < 0) {
		snprintf(s->error, sizeof(s->error), "cannot start the vCPU: %s", strerror(-ret));
	} else if (r.bad_line[0]) {
		snprintf(s->error, sizeof(s->error), "%s", r.bad_line);
	} else if (!r.have_end) {
		snprintf(s->error, sizeof(s->error), "no result from the guest: %s: %.100s",
			 vm_stop_reason_name(ret), vm.stop_msg);
	} else {
		s->ok = s->res.ok && ret == VM_STOP_GUEST_DONE && vm.stop_status == 0 && !s->error[0];
		if (!s->ok && !s->error[0])
			snprintf(s->error, sizeof(s->error), "guest reported a failure (timeout %d, "
				 "errors %llu): %.80s", s->res.timeout,
				 (unsigned long long)s->res.errors, vm.stop_msg);
		sample_fill(&r);
		counts_check(&r, &nic);
	}
	vm_destroy(&vm);
	bench_switch_stop(&r.sw, &last, !s->ok);
	return 0;
}
