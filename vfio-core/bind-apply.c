/* Applying a bind or unbind plan through driver_override and drivers_probe, with rollback. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libkmod.h>

#include "bind-state.h"
#include "bind.h"
#include "iommu-groups.h"
#include "sysfs.h"

struct applier {
	const struct bind_opts *opts;
	struct bind_plan *plan;
	unsigned writes; /* forward writes attempted so far, for the fault hook */
	unsigned landed; /* forward writes that succeeded: a step that landed none changed nothing */
};

/* One sysfs write; forward writes count toward opts->fault_write. */
static int ap_write(struct applier *a, bool forward, const char *path, const char *value)
{
	const struct bind_opts *o = a->opts;

	int ret;

	if (forward && o->fault_write && ++a->writes == o->fault_write)
		return -EIO;
	ret = o->write ? o->write(o->opaque, path, value) : sysfs_write_str(path, value);
	a->landed += forward && !ret;
	return ret;
}

static int dev_path(const struct applier *a, char *buf, size_t len, const char *bdf, const char *attr)
{
	return sysfs_path(buf, len, a->opts->sysfs_root, "bus/pci/devices/%s/%s", bdf, attr);
}

/* The device's driver now ("" none). Returns 0 or -errno. */
static int ap_driver(const struct applier *a, const char *bdf, char *buf, size_t len)
{
	char path[PATH_MAX];
	int ret = dev_path(a, path, sizeof(path), bdf, "driver");

	if (!ret)
		ret = sysfs_read_link_name(path, buf, len);
	if (ret == -ENOENT) {
		buf[0] = '\0';
		ret = 0;
	}
	return ret;
}

/*
 * Move bdf to driver `to`: driver_override, unbind from the current driver,
 * drivers_probe, read back. `to` "" means no driver_override: with `probe`
 * the kernel picks the driver, without it the device stays unbound.
 * keep_override leaves driver_override naming `to` (how vfio-pci keeps a
 * device across reprobes); otherwise it is cleared at the end.
 * Returns 0 or -errno with msg set.
 */
static int ap_move(struct applier *a, bool forward, const char *bdf, const char *to, bool probe,
		   bool keep_override, char *msg, size_t len)
{
	char path[PATH_MAX], cur[PCI_DRIVER_LEN];
	const char *what = "driver_override";
	bool bound;
	int ret;

	ret = dev_path(a, path, sizeof(path), bdf, "driver_override");
	if (!ret)
		ret = ap_write(a, forward, path, to[0] ? to : "\n");
	if (!ret)
		ret = ap_driver(a, bdf, cur, sizeof(cur));
	bound = !ret && cur[0] && !strcmp(cur, to);
	if (!ret && cur[0] && !bound) {
		what = "driver/unbind";
		ret = dev_path(a, path, sizeof(path), bdf, "driver/unbind");
		if (!ret)
			ret = ap_write(a, forward, path, bdf);
		if (ret == -ENOENT) /* the driver let go in between */
			ret = 0;
	}
	if (!ret && !bound && (probe || to[0])) { /* drivers_probe fails on a bound device */
		what = "drivers_probe";
		ret = sysfs_path(path, sizeof(path), a->opts->sysfs_root, "bus/pci/drivers_probe");
		if (!ret)
			ret = ap_write(a, forward, path, bdf);
	}
	if (!ret && to[0] && !keep_override) {
		what = "clearing driver_override";
		ret = dev_path(a, path, sizeof(path), bdf, "driver_override");
		if (!ret)
			ret = ap_write(a, forward, path, "\n");
	}
	if (ret) {
		snprintf(msg, len, "%s: writing %s failed: %s", bdf, what, strerror(-ret));
		return ret;
	}
	ret = ap_driver(a, bdf, cur, sizeof(cur));
	if (ret)
		snprintf(msg, len, "%s: its driver link cannot be read back: %s", bdf, strerror(-ret));
	else if (to[0] ? strcmp(cur, to) != 0 : (probe ? driver_is_vfio(cur) : cur[0] != '\0'))
		ret = -EIO;
	if (ret == -EIO)
		snprintf(msg, len, "%s: after drivers_probe it is bound to %s, not %s", bdf,
			 cur[0] ? cur : "no driver", to[0] ? to : probe ? "a host driver" : "no driver");
	return ret;
}

static void __printf(3, 4) text_set(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/*
 * Return step s to the driver it had before the plan, and its state file to
 * what it was. The step keeps BIND_FAILED if it is the one that failed, else
 * becomes BIND_ROLLED_BACK, or BIND_FAILED when it could not be returned;
 * s->why says which.
 */
static void ap_undo(struct applier *a, struct bind_step *s)
{
	const struct bind_opts *o = a->opts;
	const char *prev = s->from[0] ? s->from : "no driver";
	char msg[REASON_LEN] = "", cause[REASON_LEN] = "";
	int ret;

	if (s->outcome == BIND_FAILED)
		text_set(cause, sizeof(cause), "%s; ", s->why);
	if (a->plan->unbind)
		ret = ap_move(a, false, s->bdf, s->from, true, true, msg, sizeof(msg));
	else
		ret = ap_move(a, false, s->bdf, s->from, s->from[0] != '\0', false, msg, sizeof(msg));
	if (!ret && a->plan->unbind && s->to_known)
		ret = bind_state_save(o->state_dir, s->bdf, s->to);
	else if (!ret && !a->plan->unbind)
		ret = bind_state_remove(o->state_dir, s->bdf);
	if (ret)
		text_set(s->why, sizeof(s->why), "%sreturning it to %s failed: %s", cause, prev,
			 msg[0] ? msg : strerror(-ret));
	else
		text_set(s->why, sizeof(s->why), "%sreturned to %s", cause, prev);
	if (ret || !cause[0])
		s->outcome = ret ? BIND_FAILED : BIND_ROLLED_BACK;
}

/*
 * A failed step whose writes all failed changed nothing in sysfs: only the
 * state file bind wrote for it is removed, and nothing else is undone.
 */
static void ap_untouched(struct applier *a, struct bind_step *s, bool untouched)
{
	size_t len = strlen(s->why);

	if (!untouched)
		return;
	if (!a->plan->unbind && bind_state_remove(a->opts->state_dir, s->bdf))
		snprintf(s->why + len, sizeof(s->why) - len, "; its state file could not be removed");
	else
		snprintf(s->why + len, sizeof(s->why) - len, "; nothing was changed on it");
}

/* Undo steps [0, n) that were changed, last first. */
static void ap_rollback(struct applier *a, size_t n)
{
	for (size_t i = n; i-- > 0;) {
		struct bind_step *s = &a->plan->steps[i];

		if (s->action == BIND_CHANGE && s->outcome != BIND_PLANNED)
			ap_undo(a, s);
	}
}

static int ap_step(struct applier *a, struct bind_step *s)
{
	const struct bind_opts *o = a->opts;
	char msg[REASON_LEN] = "";
	int ret;

	if (a->plan->unbind) {
		/* a device that had no driver before bind is left with none */
		ret = ap_move(a, true, s->bdf, s->to, !s->to_known, false, msg, sizeof(msg));
		if (!ret && (ret = bind_state_remove(o->state_dir, s->bdf)))
			snprintf(msg, sizeof(msg), "%s: forgetting its driver in %s failed: %s", s->bdf,
				 o->state_dir, strerror(-ret));
	} else {
		ret = bind_state_save(o->state_dir, s->bdf, s->from);
		if (ret)
			snprintf(msg, sizeof(msg), "%s: remembering its driver in %s failed: %s", s->bdf,
				 o->state_dir, strerror(-ret));
		else
			ret = ap_move(a, true, s->bdf, s->to, true, true, msg, sizeof(msg));
	}
	if (ret) {
		s->outcome = BIND_FAILED;
		text_set(s->why, sizeof(s->why), "%s", msg);
		text_set(a->plan->error, sizeof(a->plan->error), "%s", msg);
		return ret;
	}
	s->outcome = BIND_DONE;
	return 0;
}

static int load_module_kmod(const char *name)
{
	struct kmod_list *list = NULL, *it;
	struct kmod_ctx *ctx = kmod_new(NULL, NULL);
	int ret;

	if (!ctx)
		return -ENOMEM;
	ret = kmod_module_new_from_lookup(ctx, name, &list);
	if (!ret && !list)
		ret = -ENOENT;
	kmod_list_foreach(it, list) {
		struct kmod_module *mod = kmod_module_get_module(it);

		if (!ret)
			ret = kmod_module_probe_insert_module(mod, 0, NULL, NULL, NULL, NULL);
		kmod_module_unref(mod);
	}
	kmod_module_unref_list(list);
	kmod_unref(ctx);
	return ret > 0 ? -EIO : ret;
}

/* vfio-pci must be registered before drivers_probe can hand it a device. */
static int ap_need_vfio_pci(struct applier *a)
{
	const struct bind_opts *o = a->opts;
	char path[PATH_MAX];
	int ret = sysfs_path(path, sizeof(path), o->sysfs_root, "bus/pci/drivers/%s", BIND_TARGET_DRIVER);

	if (ret || sysfs_exists(path))
		return ret;
	ret = o->load_module ? o->load_module(o->opaque, BIND_TARGET_DRIVER)
			     : load_module_kmod(BIND_TARGET_DRIVER);
	if (!ret && !sysfs_exists(path))
		ret = -ENOENT;
	if (ret)
		snprintf(a->plan->error, sizeof(a->plan->error), "the %s driver is not loaded and loading "
			 "its module failed: %s", BIND_TARGET_DRIVER, strerror(-ret));
	return ret;
}

int bind_plan_apply(const struct bind_opts *opts, struct bind_plan *plan)
{
	struct applier a = { .opts = opts, .plan = plan };
	int ret;

	plan->error[0] = '\0';
	if (plan->n_refused) {
		snprintf(plan->error, sizeof(plan->error), "refused: nothing was changed");
		return -EPERM;
	}
	if (!plan->n_change)
		return 0;
	if (!plan->unbind && (ret = ap_need_vfio_pci(&a)))
		return ret;
	for (size_t i = 0; i < plan->n_steps; i++) {
		if (plan->steps[i].action != BIND_CHANGE)
			continue;
		unsigned landed = a.landed;

		ret = ap_step(&a, &plan->steps[i]);
		if (ret) {
			ap_untouched(&a, &plan->steps[i], landed == a.landed);
			ap_rollback(&a, landed == a.landed ? i : i + 1);
			return ret;
		}
	}
	return 0;
}
