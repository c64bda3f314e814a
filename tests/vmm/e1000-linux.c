/*
 * Boot a Linux kernel with one e1000 model on an echo back-end (every frame
 * the guest sends comes back to it), for the lab scenario e1000-linux: the
 * guest kit's scenario (lab/guest/scenarios/e1000.sh) has Linux's own e1000
 * driver probe the model, bring the link up, send and receive.
 *
 * usage: e1000-linux KERNEL INITRD TIMEOUT_S. The serial console goes to
 * standard output; then one line with the model's and the back-end's
 * counters. Exit 0 when the guest powered off, 1 otherwise.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <unistd.h>

#include "boot-linux.h"
#include "e1000.h"
#include "net-backend.h"
#include "pci.h"
#include "platform.h"
#include "vm.h"

#define ECHO_FRAMES 64
#define ECHO_FRAME  16384

struct echo_be {
	struct net_backend be;  /* first: net_backend_close() frees it */
	pthread_mutex_t lock;
	uint8_t frame[ECHO_FRAMES][ECHO_FRAME];
	size_t len[ECHO_FRAMES];
	unsigned head, tail, sent;
};

static ssize_t echo_send(struct net_backend *be, const struct iovec *iov, int n)
{
	struct echo_be *e = (struct echo_be *)be;
	uint64_t one = 1;
	size_t len = 0;

	pthread_mutex_lock(&e->lock);
	e->sent++;
	for (int i = 0; i < n && e->tail - e->head < ECHO_FRAMES; i++) {
		if (len + iov[i].iov_len > ECHO_FRAME) {
			pthread_mutex_unlock(&e->lock);
			return -EMSGSIZE;
		}
		memcpy(e->frame[e->tail % ECHO_FRAMES] + len, iov[i].iov_base, iov[i].iov_len);
		len += iov[i].iov_len;
	}
	if (e->tail - e->head == ECHO_FRAMES) {
		pthread_mutex_unlock(&e->lock);
		return -EAGAIN;
	}
	e->len[e->tail++ % ECHO_FRAMES] = len;
	if (write(be->poll_fd, &one, sizeof(one)) < 0)
		len = -errno;
	pthread_mutex_unlock(&e->lock);
	return len;
}

/* Level-triggered: poll_fd is drained once the queue is empty. */
static ssize_t echo_recv(struct net_backend *be, const struct iovec *iov, int n)
{
	struct echo_be *e = (struct echo_be *)be;
	ssize_t ret = -EAGAIN;
	uint64_t v;

	pthread_mutex_lock(&e->lock);
	if (e->head != e->tail) {
		ret = e->len[e->head % ECHO_FRAMES];
		if ((size_t)ret > iov[0].iov_len)
			ret = -EMSGSIZE;
		else
			memcpy(iov[0].iov_base, e->frame[e->head % ECHO_FRAMES], ret);
		e->head++;
	}
	if (e->head == e->tail && read(be->poll_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		ret = -errno;
	pthread_mutex_unlock(&e->lock);
	return ret;
}

static ssize_t echo_peek_len(struct net_backend *be)
{
	return 0;
}

static void echo_close(struct net_backend *be)
{
	close(be->poll_fd);
}

static const struct net_backend_ops echo_ops = {
	.name = "echo", .send = echo_send, .recv = echo_recv, .peek_len = echo_peek_len,
	.close = echo_close,
};

/* The registers that say where the device stands, from the model's dump. */
static void e1000_linux_print_state(struct pci_device *dev)
{
	static const char *const names[] = { "CTRL ", "STATUS ", "ICR ", "IMS ", "ITR ", "RCTL ",
					     "TCTL ", "RDLEN ", "RDH ", "RDT ", "TDLEN ", "TDH ",
					     "TDT ", "RDTR ", "TIDV " };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return;
	if (e1000_regs_dump(dev, f) == 0) {
		fflush(f);
		for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
			for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
				if (!strncmp(line, names[i], strlen(names[i])))
					printf("e1000-linux: %s\n", line);
	}
	fclose(f);
	free(buf);
	printf("e1000-linux: INTx level %d (GSI %u)\n", dev->intx_level, dev->intx_gsi);
}

static int e1000_linux_run(const char *kernel, const char *initrd, unsigned timeout_s)
{
	struct vm_config cfg = { .ram_size = 256 << 20, .ncpus = 1 };
	struct linux_boot_cfg boot = { .kernel_path = kernel, .initrd_path = initrd,
				       .cmdline = "console=ttyS0 panic=-1 quiet" };
	struct echo_be *e = calloc(1, sizeof(*e));
	struct e1000_counters c;
	struct pci_device *dev;
	struct platform plat;
	struct vm vm;
	unsigned sent;
	int ret;

	if (!e)
		return 1;
	pthread_mutex_init(&e->lock, NULL);
	e->be.ops = &echo_ops;
	e->be.link_up = true;
	e->be.poll_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ret = vm_create(&vm, &cfg);
	if (ret) {
		fprintf(stderr, "e1000-linux: vm_create: %s\n", strerror(-ret));
		return 1;
	}
	ret = platform_attach(&vm, STDOUT_FILENO, &plat);
	if (!ret)
		ret = e1000_create(&vm, plat.pci, &e->be, NULL, &dev);
	if (!ret)
		ret = platform_boot_linux(&vm, &boot);
	if (ret) {
		fprintf(stderr, "e1000-linux: setup: %s\n", strerror(-ret));
		vm_destroy(&vm);
		return 1;
	}
	ret = vm_run(&vm, timeout_s * 1000);
	e1000_counters(dev, &c);
	pthread_mutex_lock(&e->lock);
	sent = e->sent;
	pthread_mutex_unlock(&e->lock);
	printf("e1000-linux: stop %s; back-end got %u frames; model: unknown reads %llu, writes %llu, "
	       "bad accesses %llu, tx dropped %llu, rx dropped %llu, filtered %llu\n",
	       ret > 0 ? vm_stop_reason_name(ret) : "error", sent,
	       (unsigned long long)c.unknown_reads, (unsigned long long)c.unknown_writes,
	       (unsigned long long)c.bad_access, (unsigned long long)c.tx_dropped,
	       (unsigned long long)c.rx_dropped, (unsigned long long)c.rx_filtered);
	if (ret != VM_STOP_POWEROFF)
		e1000_linux_print_state(dev);
	vm_destroy(&vm);
	return ret == VM_STOP_POWEROFF ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: e1000-linux KERNEL INITRD TIMEOUT_S\n");
		return 1;
	}
	return e1000_linux_run(argv[1], argv[2], (unsigned)atoi(argv[3]));
}
