#include "pci-testdev.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "irq.h"
#include "log.h"
#include "pci-msix.h"
#include "pci.h"
#include "vm.h"

struct pci_testdev {
	struct pci_device dev;
	pthread_mutex_t lock;
	uint32_t scratch;
	uint8_t io_scratch;
	uint32_t writes;
	int doorbell_fd;
	struct ioeventfd_cfg doorbell;
	bool doorbell_on;
	uint32_t *shm;     /* BAR1: host memory the guest maps directly (no exits) */
};

#define TESTDEV_SHM_SIZE (1u << 20)

static struct pci_testdev *to_testdev(struct pci_device *dev)
{
	return dev->priv;
}

static uint32_t data32(const uint8_t *data, unsigned len)
{
	uint32_t v = 0;

	memcpy(&v, data, MIN(len, 4u));
	return v;
}

static void testdev_bar_read(struct pci_device *dev, unsigned bar, uint64_t off, uint8_t *data,
			     unsigned len)
{
	struct pci_testdev *t = to_testdev(dev);
	uint32_t v = 0;

	pthread_mutex_lock(&t->lock);
	if (bar == 0 && off == TESTDEV_MAGIC)
		v = TESTDEV_MAGIC_VALUE;
	else if (bar == 0 && off == TESTDEV_SCRATCH)
		v = t->scratch;
	else if (bar == 0 && off == TESTDEV_WRITES)
		v = t->writes;
	else if (bar == 3)
		v = off == 0 ? t->io_scratch : (uint32_t)off;
	pthread_mutex_unlock(&t->lock);
	memset(data, 0, len);
	memcpy(data, &v, MIN(len, 4u));
}

static void testdev_bar_write(struct pci_device *dev, unsigned bar, uint64_t off,
			      const uint8_t *data, unsigned len)
{
	struct pci_testdev *t = to_testdev(dev);
	uint32_t v = data32(data, len);

	pthread_mutex_lock(&t->lock);
	if (bar == 0) {
		t->writes++;
		if (off == TESTDEV_SCRATCH)
			t->scratch = v;
	} else if (bar == 3 && off == 0) {
		t->io_scratch = v;
	}
	pthread_mutex_unlock(&t->lock);
	if (bar != 0)
		return;
	if (off == TESTDEV_FIRE_MSIX)
		pci_msix_notify(dev, v);
	else if (off == TESTDEV_FIRE_MSI)
		pci_msi_notify(dev);
	else if (off == TESTDEV_INTX)
		pci_intx_set(dev, v & 1);
}

/* Keep the doorbell ioeventfd on BAR0 wherever the guest puts it. */
static void testdev_bar_moved(struct pci_device *dev, unsigned bar, bool mapped, uint64_t addr)
{
	struct pci_testdev *t = to_testdev(dev);

	if (bar != 0 || !dev->vm)
		return;
	if (t->doorbell_on)
		ioeventfd_deassign(dev->vm->vm_fd, &t->doorbell);
	t->doorbell_on = false;
	if (!mapped)
		return;
	t->doorbell = (struct ioeventfd_cfg){ .fd = t->doorbell_fd, .addr = addr + TESTDEV_DOORBELL,
					      .len = 4 };
	if (ioeventfd_assign(dev->vm->vm_fd, &t->doorbell))
		log_warn("pci %s: doorbell ioeventfd not installed; writes will trap", dev->bdf);
	else
		t->doorbell_on = true;
}

static void testdev_reset(struct pci_device *dev)
{
	struct pci_testdev *t = to_testdev(dev);

	pthread_mutex_lock(&t->lock);
	t->scratch = 0;
	t->io_scratch = 0;
	pthread_mutex_unlock(&t->lock);
}

static void testdev_teardown(struct pci_device *dev)
{
	struct pci_testdev *t = to_testdev(dev);

	if (t->doorbell_on && dev->vm)
		ioeventfd_deassign(dev->vm->vm_fd, &t->doorbell);
	close(t->doorbell_fd);
	munmap(t->shm, TESTDEV_SHM_SIZE);
	pthread_mutex_destroy(&t->lock);
	free(t);
}


static const struct pci_device_ops pci_testdev_ops = {
	.name = "pci-testdev",
	.bar_read = testdev_bar_read,
	.bar_write = testdev_bar_write,
	.bar_moved = testdev_bar_moved,
	.reset = testdev_reset,
	.teardown = testdev_teardown,
};

static int testdev_setup(struct pci_testdev *t)
{
	static const uint8_t vendor_cap[6] = { 8, 'i', 'o', 'v', 'i', 'r' };
	struct pci_device *dev = &t->dev;
	int ret;

	pci_device_init(dev, &pci_testdev_ops, t, PCI_TESTDEV_VENDOR, PCI_TESTDEV_DEVICE,
			PCI_TESTDEV_CLASS, 1);
	ret = pci_device_add_bar(dev, 0, PCI_BAR_MEM32, 4096, false, NULL);
	if (!ret)
		ret = pci_device_add_bar(dev, 1, PCI_BAR_MEM64, TESTDEV_SHM_SIZE, true, t->shm);
	if (!ret)
		ret = pci_device_add_bar(dev, 3, PCI_BAR_IO, 32, false, NULL);
	if (!ret)
		ret = pci_device_add_bar(dev, 4, PCI_BAR_MEM64, 16384, false, NULL);
	if (!ret)
		ret = pci_msix_init(dev, PCI_TESTDEV_NVEC, 4, 0, 4, 0x2000);
	if (!ret)
		ret = pci_msi_init(dev);
	if (!ret)
		ret = pci_device_add_cap(dev, PCI_CAP_ID_VNDR, vendor_cap, NULL, 8);
	return ret < 0 ? ret : 0;
}

int pci_testdev_create(struct vm *vm, struct pci_root *root, const char *args,
		       struct pci_device **out)
{
	struct pci_testdev *t = calloc(1, sizeof(*t));
	int ret;

	if (!t)
		return -ENOMEM;
	pthread_mutex_init(&t->lock, NULL);
	t->shm = mmap(NULL, TESTDEV_SHM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		      -1, 0);
	if (t->shm == MAP_FAILED) {
		free(t);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < TESTDEV_SHM_SIZE / 4; i++)
		t->shm[i] = (i * 4) ^ TESTDEV_BAR1_PATTERN;
	t->doorbell_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ret = t->doorbell_fd < 0 ? -errno : testdev_setup(t);
	if (!ret)
		ret = pci_root_add_device(root, &t->dev, -1);
	if (ret) {
		pci_msix_destroy(&t->dev);
		pci_msi_destroy(&t->dev);
		if (t->doorbell_fd >= 0)
			close(t->doorbell_fd);
		munmap(t->shm, TESTDEV_SHM_SIZE);
		pthread_mutex_destroy(&t->lock);
		free(t);
		return ret;
	}
	if (out)
		*out = &t->dev;
	return 0;
}

int pci_testdev_doorbell_fd(struct pci_device *dev)
{
	return dev->ops == &pci_testdev_ops ? to_testdev(dev)->doorbell_fd : -1;
}

int pci_testdev_shm(struct pci_device *dev, void **mem, size_t *size)
{
	if (dev->ops != &pci_testdev_ops)
		return -EINVAL;
	*mem = to_testdev(dev)->shm;
	*size = TESTDEV_SHM_SIZE;
	return 0;
}
