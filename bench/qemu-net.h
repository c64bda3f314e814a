/*
 * The host ends of a QEMU peer's network back-end (bench/run-qemu.c):
 *
 * - a UDP sink: QEMU's `-netdev socket,udp=127.0.0.1:PORT,...` sends every
 *   frame the guest transmits to it; a thread counts them, and the kernel
 *   counts what overflowed the socket's buffer (SO_RXQ_OVFL).
 * - a TCP generator: QEMU's `-netdev socket,connect=127.0.0.1:PORT` reads
 *   frames (a 4-byte big-endian length, then the frame) that a thread writes:
 *   count test frames (guest/abi/net-frame.h: broadcast, flow 0, sequence
 *   from 0), as fast as QEMU takes them (TCP holds the rest back, as iovirt's
 *   gen back-end generates only into posted buffers). It starts writing once
 *   go is set: frames QEMU queued before the guest reset its NIC would be
 *   purged by that reset.
 *
 * Both listen on a free port of 127.0.0.1 before QEMU starts. start: 0 or
 * -errno (nothing left open); stop: joins the thread, closes everything.
 */
#ifndef IOVIRT_BENCH_QEMU_NET_H
#define IOVIRT_BENCH_QEMU_NET_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct qemu_udp_sink {
	int fd, port;
	pthread_t thread;
	atomic_bool stop;
	_Atomic uint64_t frames, dropped;
};

int qemu_udp_sink_start(struct qemu_udp_sink *u);
/* Waits 100 ms for frames still on their way first. */
void qemu_udp_sink_stop(struct qemu_udp_sink *u);

struct qemu_tcp_gen {
	int fd, port;
	unsigned size, count;
	pthread_t thread;
	atomic_bool go;          /* set once the guest is ready (its bench-start line) */
	atomic_bool stop;
	_Atomic uint64_t sent;   /* frames written whole */
};

int qemu_tcp_gen_start(struct qemu_tcp_gen *g, unsigned size, unsigned count);
void qemu_tcp_gen_stop(struct qemu_tcp_gen *g);

#endif
