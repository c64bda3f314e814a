/*
 * iovirt run's options, and the checks of its inputs that run before
 * anything is created or changed: before /dev/kvm is opened and before the
 * console file is opened (and truncated).
 */
#ifndef IOVIRT_CLI_RUN_CHECK_H
#define IOVIRT_CLI_RUN_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "boot-linux.h"
#include "nic.h"

#define RUN_MAX_DEVICES 16
#define RUN_MAX_NICS    8
#define RUN_MAX_VFIO    8

struct run_opts {
	const char *kernel, *initrd, *cmdline, *guest, *console;
	const char *devices[RUN_MAX_DEVICES];
	unsigned n_devices;
	struct nic_spec nets[RUN_MAX_NICS]; /* --net, MACs filled in by run_check_inputs */
	unsigned n_nets;
	uint64_t mem;
	unsigned cpus;
	unsigned timeout_s;
	bool hugetlb, stats;
	bool reboot_exit;     /* --reboot exit: a guest reset ends the run (status 3) */
	bool no_sandbox;      /* --no-sandbox: no seccomp filters on the vCPU and device threads */
	struct run_vfio {     /* --vfio BDF[,rom=on]: a host device passed through */
		char bdf[16];     /* canonical "dddd:bb:dd.f" */
		bool rom;
	} vfios[RUN_MAX_VFIO];
	unsigned n_vfios;
};

/*
 * Check every input of o: each file is a readable regular file (a FIFO is
 * refused without being opened), the console is none of them (by device and
 * inode) and can be created, and the kernel, initrd and command line, or the
 * guest image, load into scratch memory of the guest's size. Returns -1 when
 * all is well, or an exit code after a message naming the input at fault.
 */
int run_check_inputs(const struct run_opts *o);

/*
 * The message for a loader error err (fault: the input it is blamed on, for
 * a Linux kernel); returns CLI_EXIT_FAILURE.
 */
int run_load_error(int err, enum linux_boot_input fault, const struct run_opts *o);

#endif
