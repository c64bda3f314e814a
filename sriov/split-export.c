/* A split plan in the formats of the engines that run fleets: k8s device plugin, libvirt. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "split.h"

/* The device plugin's resourceName: letters, digits and underscores. */
static void resource_name(const struct split_plan *p, char *buf, size_t len)
{
	size_t n = (size_t)snprintf(buf, len, "iovirt_split_%s", p->pf);

	for (size_t i = 0; i < n && i < len; i++)
		if (buf[i] == ':' || buf[i] == '.')
			buf[i] = '_';
}

int split_export_k8s(const struct split_plan *p, FILE *out)
{
	struct json_writer w;
	char name[64], pfname[IF_NAMESIZE + 32];

	resource_name(p, name, sizeof(name));
	json_init(&w, out);
	json_begin_object(&w);
	json_key(&w, "resourceList");
	json_begin_array(&w);
	json_begin_object(&w);
	json_kv_string(&w, "resourceName", name);
	json_kv_string(&w, "resourcePrefix", "iovirt.io");
	json_kv_string(&w, "deviceType", p->netdev[0] ? "netDevice" : "accelerator");
	json_key(&w, "selectors");
	json_begin_object(&w);
	if (p->netdev[0]) {
		/* pfNames "PF#first-last" selects those VF indexes of that PF. */
		snprintf(pfname, sizeof(pfname), "%s#0-%zu", p->netdev, p->n_vfs - 1);
		json_key(&w, "pfNames");
		json_begin_array(&w);
		json_string(&w, pfname);
		json_end_array(&w);
	} else {
		json_key(&w, "rootDevices");
		json_begin_array(&w);
		json_string(&w, p->pf);
		json_end_array(&w);
	}
	json_key(&w, "drivers");
	json_begin_array(&w);
	json_string(&w, "vfio-pci");
	json_end_array(&w);
	json_end_object(&w);
	json_end_object(&w);
	json_end_array(&w);
	json_end_object(&w);
	json_finish(&w);
	return ferror(out) ? -EIO : 0;
}

static void libvirt_address(FILE *out, const char *bdf, const char *type)
{
	unsigned dom = 0, bus = 0, dev = 0, fn = 0;

	(void)sscanf(bdf, "%4x:%2x:%2x.%1u", &dom, &bus, &dev, &fn);
	fprintf(out, "      <address %sdomain='0x%04x' bus='0x%02x' slot='0x%02x' function='0x%u'/>\n",
		type, dom, bus, dev, fn);
}

static void libvirt_vf(FILE *out, const struct split_plan *p, const struct split_vf *vf)
{
	char mac[24];

	if (p->netdev[0]) {
		fprintf(out, "  <interface type='hostdev' managed='yes'>\n");
		fprintf(out, "    <mac address='%s'/>\n", sriov_mac_format(vf->mac, mac, sizeof(mac)));
		fprintf(out, "    <driver name='vfio'/>\n    <source>\n");
		libvirt_address(out, vf->bdf, "type='pci' ");
		fprintf(out, "    </source>\n  </interface>\n");
		return;
	}
	fprintf(out, "  <hostdev mode='subsystem' type='pci' managed='yes'>\n");
	fprintf(out, "    <driver name='vfio'/>\n    <source>\n");
	libvirt_address(out, vf->bdf, "");
	fprintf(out, "    </source>\n  </hostdev>\n");
}

int split_export_libvirt(const struct split_plan *p, FILE *out)
{
	for (size_t i = 0; i < p->n_vfs; i++)
		if (!p->vfs[i].bdf[0])
			return -EAGAIN;
	for (unsigned g = 0; g < p->guests; g++) {
		fprintf(out, "<!-- iovirt split %s: guest %u of %u", p->pf, g, p->guests);
		if (p->numa_node >= 0)
			fprintf(out, "; place it on NUMA node %d (<numatune><memory mode='strict' "
				"nodeset='%d'/></numatune>%s%s%s)", p->numa_node, p->numa_node,
				p->cpus[0] ? ", <vcpu cpuset='" : "", p->cpus,
				p->cpus[0] ? "'>" : "");
		fprintf(out, " -->\n<devices>\n");
		for (size_t i = 0; i < p->n_vfs; i++)
			if (p->vfs[i].guest == g)
				libvirt_vf(out, p, &p->vfs[i]);
		fprintf(out, "</devices>\n");
	}
	return ferror(out) ? -EIO : 0;
}
