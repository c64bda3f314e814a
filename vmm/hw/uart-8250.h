/*
 * A 16550A-compatible UART (8250 family) as Linux's 8250 driver probes it:
 * scratch register, IER read-back, FIFO detection through IIR, MCR loopback
 * with the modem-status mirror, LSR, THRE and receive interrupts on one line.
 * Transmission is instantaneous: THR is always empty again after a write.
 *
 * The model is independent of KVM: it raises its interrupt through irq_fn and
 * writes transmitted bytes to out_fd. uart_8250_attach() puts it on a VM.
 */
#ifndef IOVIRT_UART_8250_H
#define IOVIRT_UART_8250_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bus.h"
#include "compiler.h"

struct vm;

#define UART_RX_FIFO 16

/* Register offsets (DLAB selects DLL/DLM at 0/1). */
enum uart_reg {
	UART_RBR_THR = 0, UART_IER = 1, UART_IIR_FCR = 2, UART_LCR = 3,
	UART_MCR = 4, UART_LSR = 5, UART_MSR = 6, UART_SCR = 7,
};

#define UART_IER_RDI  0x01
#define UART_IER_THRI 0x02
#define UART_IER_RLSI 0x04
#define UART_IER_MSI  0x08
#define UART_IIR_NO_INT 0x01
#define UART_IIR_MSI  0x00
#define UART_IIR_THRI 0x02
#define UART_IIR_RDI  0x04
#define UART_IIR_FIFO 0xc0
#define UART_FCR_ENABLE 0x01
#define UART_FCR_CLEAR_RX 0x02
#define UART_LCR_DLAB 0x80
#define UART_MCR_DTR  0x01
#define UART_MCR_RTS  0x02
#define UART_MCR_OUT1 0x04
#define UART_MCR_OUT2 0x08
#define UART_MCR_LOOP 0x10
#define UART_LSR_DR   0x01
#define UART_LSR_OE   0x02
#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40
#define UART_MSR_CTS  0x10
#define UART_MSR_DSR  0x20
#define UART_MSR_RI   0x40
#define UART_MSR_DCD  0x80

struct uart_8250 {
	pthread_mutex_t lock;
	uint8_t ier, lcr, mcr, lsr_extra, scr, dll, dlm;
	bool fifo_enabled;
	bool thre_pending;  /* THR-empty interrupt pending (cleared by reading IIR) */
	uint8_t msr_delta;  /* MSR bits 0-3 */
	uint8_t rx[UART_RX_FIFO];
	unsigned rx_head, rx_count;
	int irq_level;
	int out_fd;         /* not owned; -1 discards output */
	void (*irq_fn)(void *opaque, int level);
	void *irq_opaque;
	const char *name;
};

/* Reset state (what a power-on UART holds). */
void uart_8250_init(struct uart_8250 *u, const char *name, int out_fd,
		    void (*irq_fn)(void *opaque, int level), void *irq_opaque);
void uart_8250_destroy(struct uart_8250 *u);

/* Back to the power-on registers, FIFO emptied (a guest reboot); output and IRQ wiring kept. */
void uart_8250_reset(struct uart_8250 *u);

/* One register access; reg is 0..7 (larger values are ignored / read 0xff). */
uint8_t uart_8250_reg_read(struct uart_8250 *u, unsigned reg);
void uart_8250_reg_write(struct uart_8250 *u, unsigned reg, uint8_t val);

/* Feed received bytes (from a terminal); returns how many the FIFO took. */
size_t uart_8250_receive(struct uart_8250 *u, const uint8_t *buf, size_t len);

/* The bus handlers (8 one-byte registers; wider accesses touch consecutive ones). */
extern const struct bus_ops uart_8250_bus_ops;

/*
 * Create a UART on vm at I/O port base with ISA interrupt irq, writing to
 * out_fd; freed at vm_destroy(). 0 or -errno.
 */
int uart_8250_attach(struct vm *vm, uint16_t base, unsigned irq, int out_fd,
		     struct uart_8250 **out) __must_check;

#endif
