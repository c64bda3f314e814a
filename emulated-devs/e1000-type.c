/*
 * e1000 as a device type of `iovirt run --device`: open the back-end the
 * arguments name and create the model with it. Apart from the model so that
 * programs which build the model themselves (the unit tests) do not link the
 * back-ends.
 */
#include "e1000.h"
#include "net-backend.h"

#define E1000_SPEC_MAX 128

int e1000_type_create(struct vm *vm, struct pci_root *root, const char *args,
		      struct pci_device **out)
{
	char spec[E1000_SPEC_MAX];
	struct net_backend *be;
	uint8_t mac[6];
	int ret;

	ret = e1000_args_parse(args, mac, spec, sizeof(spec));
	if (ret)
		return ret;
	ret = net_backend_open(spec, vm, &be);
	if (ret)
		return ret;
	ret = e1000_create(vm, root, be, mac, out);
	if (ret)
		net_backend_close(be);
	return ret;
}
