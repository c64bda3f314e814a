#include "pci-lookup.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libkmod.h>
#include <pci/pci.h>

#include "log.h"

struct pci_lookup {
	struct pci_access *pacc; /* NULL when names are not wanted */
	struct kmod_ctx *kmod;   /* NULL when modules are not wanted or no index exists */
};

/* libpci calls these; its default error handler would exit(), which a library must not do. */
static void __printf(1, 2) __attribute__((noreturn)) pci_error(char *msg, ...)
{
	va_list ap;

	va_start(ap, msg);
	fprintf(stderr, "iovirt: libpci: ");
	vfprintf(stderr, msg, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort(); /* only reachable through invalid lookup flags: a programming error */
}

static void __printf(1, 2) pci_warning(char *msg, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, msg);
	vsnprintf(buf, sizeof(buf), msg, ap);
	va_end(ap);
	log_warn("libpci: %s", buf);
}

static void __printf(1, 2) pci_debug(char *msg, ...)
{
}

struct pci_lookup *pci_lookup_open(const struct inventory_opts *opts)
{
	struct pci_lookup *lk = calloc(1, sizeof(*lk));

	if (!lk)
		return NULL;
	if (opts->lookup_names) {
		lk->pacc = pci_alloc();
		if (lk->pacc) {
			lk->pacc->error = pci_error;
			lk->pacc->warning = pci_warning;
			lk->pacc->debug = pci_debug;
		}
	}
	if (opts->lookup_modules) {
		lk->kmod = kmod_new(NULL, NULL);
		if (lk->kmod && kmod_load_resources(lk->kmod) < 0) {
			log_info("kmod: no module index for this kernel; modules not listed");
			kmod_unref(lk->kmod);
			lk->kmod = NULL;
		}
	}
	return lk;
}

void pci_lookup_close(struct pci_lookup *lk)
{
	if (!lk)
		return;
	if (lk->pacc)
		pci_cleanup(lk->pacc);
	if (lk->kmod)
		kmod_unref(lk->kmod);
	free(lk);
}

static void copy_name(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s", name ? name : "");
}

void pci_lookup_names(struct pci_lookup *lk, struct pci_dev_info *d)
{
	/* pci.ids only (not udev's hwdb); NULL instead of hex numbers when it lacks the ID */
	const int flags = PCI_LOOKUP_NO_NUMBERS | PCI_LOOKUP_NO_HWDB;
	char buf[PCI_NAME_LEN];

	if (!lk || !lk->pacc)
		return;
	copy_name(d->vendor_name, sizeof(d->vendor_name),
		  pci_lookup_name(lk->pacc, buf, sizeof(buf), flags | PCI_LOOKUP_VENDOR, d->vendor));
	copy_name(d->device_name, sizeof(d->device_name),
		  pci_lookup_name(lk->pacc, buf, sizeof(buf), flags | PCI_LOOKUP_DEVICE, d->vendor,
				  d->device));
	copy_name(d->class_name, sizeof(d->class_name),
		  pci_lookup_name(lk->pacc, buf, sizeof(buf), flags | PCI_LOOKUP_CLASS, d->class >> 8));
}

void pci_lookup_modules(struct pci_lookup *lk, struct pci_dev_info *d, const char *modalias)
{
	struct kmod_list *list = NULL, *it;
	size_t used = 0;

	d->modules[0] = '\0';
	d->modules_known = false;
	if (!lk || !lk->kmod || !modalias[0])
		return;
	if (kmod_module_new_from_lookup(lk->kmod, modalias, &list) < 0)
		return;
	d->modules_known = true;
	kmod_list_foreach(it, list) {
		struct kmod_module *mod = kmod_module_get_module(it);
		int n = snprintf(d->modules + used, sizeof(d->modules) - used, "%s%s",
				 used ? "," : "", kmod_module_get_name(mod));

		kmod_module_unref(mod);
		if (n < 0 || (size_t)n >= sizeof(d->modules) - used)
			break;
		used += (size_t)n;
	}
	kmod_module_unref_list(list);
}
