#include "uart-8250.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "irq.h"
#include "vm.h"

void uart_8250_init(struct uart_8250 *u, const char *name, int out_fd,
		    void (*irq_fn)(void *opaque, int level), void *irq_opaque)
{
	*u = (struct uart_8250){ .out_fd = out_fd, .irq_fn = irq_fn, .irq_opaque = irq_opaque,
				 .name = name, .lcr = 0x03, .mcr = UART_MCR_OUT2 };
	pthread_mutex_init(&u->lock, NULL);
}

void uart_8250_destroy(struct uart_8250 *u)
{
	pthread_mutex_destroy(&u->lock);
}

/* The highest-priority pending interrupt as IIR reports it (without FIFO bits). */
static uint8_t uart_iir_id(const struct uart_8250 *u)
{
	if ((u->ier & UART_IER_RDI) && u->rx_count)
		return UART_IIR_RDI;
	if ((u->ier & UART_IER_THRI) && u->thre_pending)
		return UART_IIR_THRI;
	if ((u->ier & UART_IER_MSI) && u->msr_delta)
		return UART_IIR_MSI;
	return UART_IIR_NO_INT;
}

static void uart_update_irq(struct uart_8250 *u)
{
	int level = uart_iir_id(u) != UART_IIR_NO_INT;

	if (level != u->irq_level && u->irq_fn)
		u->irq_fn(u->irq_opaque, level);
	u->irq_level = level;
}

void uart_8250_reset(struct uart_8250 *u)
{
	pthread_mutex_lock(&u->lock);
	u->ier = u->lsr_extra = u->scr = u->dll = u->dlm = u->msr_delta = 0;
	u->lcr = 0x03;
	u->mcr = UART_MCR_OUT2;
	u->fifo_enabled = u->thre_pending = false;
	u->rx_head = u->rx_count = 0;
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
}

static uint8_t uart_msr(const struct uart_8250 *u)
{
	uint8_t m;

	if (!(u->mcr & UART_MCR_LOOP))
		return UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS | u->msr_delta;
	m = (u->mcr & UART_MCR_RTS) ? UART_MSR_CTS : 0;
	m |= (u->mcr & UART_MCR_DTR) ? UART_MSR_DSR : 0;
	m |= (u->mcr & UART_MCR_OUT1) ? UART_MSR_RI : 0;
	m |= (u->mcr & UART_MCR_OUT2) ? UART_MSR_DCD : 0;
	return m | u->msr_delta;
}

static bool uart_rx_push(struct uart_8250 *u, uint8_t c)
{
	unsigned cap = u->fifo_enabled ? UART_RX_FIFO : 1;

	if (u->rx_count >= cap) {
		u->lsr_extra |= UART_LSR_OE;
		return false;
	}
	u->rx[(u->rx_head + u->rx_count++) % UART_RX_FIFO] = c;
	return true;
}

static uint8_t uart_rx_pop(struct uart_8250 *u)
{
	uint8_t c;

	if (!u->rx_count)
		return 0;
	c = u->rx[u->rx_head];
	u->rx_head = (u->rx_head + 1) % UART_RX_FIFO;
	u->rx_count--;
	return c;
}

static void uart_transmit(struct uart_8250 *u, uint8_t c)
{
	if (u->mcr & UART_MCR_LOOP)
		uart_rx_push(u, c);
	else if (u->out_fd >= 0 && write(u->out_fd, &c, 1) < 0)
		u->out_fd = -1; /* the console went away: drop output from now on */
	u->thre_pending = true;
}

static uint8_t uart_read_locked(struct uart_8250 *u, unsigned reg)
{
	bool dlab = u->lcr & UART_LCR_DLAB;
	uint8_t v;

	switch (reg) {
	case UART_RBR_THR:
		return dlab ? u->dll : uart_rx_pop(u);
	case UART_IER:
		return dlab ? u->dlm : u->ier;
	case UART_IIR_FCR:
		v = uart_iir_id(u);
		if (v == UART_IIR_THRI)
			u->thre_pending = false;
		return v | (u->fifo_enabled ? UART_IIR_FIFO : 0);
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		v = UART_LSR_THRE | UART_LSR_TEMT | (u->rx_count ? UART_LSR_DR : 0) | u->lsr_extra;
		u->lsr_extra = 0;
		return v;
	case UART_MSR:
		v = uart_msr(u);
		u->msr_delta = 0;
		return v;
	case UART_SCR:
		return u->scr;
	default:
		return 0xff;
	}
}

static void uart_write_fcr(struct uart_8250 *u, uint8_t val)
{
	u->fifo_enabled = val & UART_FCR_ENABLE;
	if (val & UART_FCR_CLEAR_RX)
		u->rx_count = 0;
}

static void uart_write_ier(struct uart_8250 *u, uint8_t val)
{
	/* Enabling THRI with THR empty raises the THRE interrupt at once. */
	if ((val & UART_IER_THRI) && !(u->ier & UART_IER_THRI))
		u->thre_pending = true;
	u->ier = val & 0x0f;
}

static void uart_write_locked(struct uart_8250 *u, unsigned reg, uint8_t val)
{
	bool dlab = u->lcr & UART_LCR_DLAB;

	switch (reg) {
	case UART_RBR_THR:
		if (dlab)
			u->dll = val;
		else
			uart_transmit(u, val);
		break;
	case UART_IER:
		if (dlab)
			u->dlm = val;
		else
			uart_write_ier(u, val);
		break;
	case UART_IIR_FCR:
		uart_write_fcr(u, val);
		break;
	case UART_LCR:
		u->lcr = val;
		break;
	case UART_MCR:
		u->mcr = val & 0x1f;
		break;
	case UART_SCR:
		u->scr = val;
		break;
	default: /* LSR and MSR are read-only */
		break;
	}
}

uint8_t uart_8250_reg_read(struct uart_8250 *u, unsigned reg)
{
	uint8_t v;

	pthread_mutex_lock(&u->lock);
	v = uart_read_locked(u, reg);
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return v;
}

void uart_8250_reg_write(struct uart_8250 *u, unsigned reg, uint8_t val)
{
	pthread_mutex_lock(&u->lock);
	uart_write_locked(u, reg, val);
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
}

size_t uart_8250_receive(struct uart_8250 *u, const uint8_t *buf, size_t len)
{
	size_t n = 0;

	pthread_mutex_lock(&u->lock);
	while (n < len && !(u->mcr & UART_MCR_LOOP) && uart_rx_push(u, buf[n]))
		n++;
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return n;
}

static void uart_bus_read(void *opaque, uint64_t offset, uint8_t *data, unsigned len)
{
	for (unsigned i = 0; i < len; i++)
		data[i] = uart_8250_reg_read(opaque, (unsigned)offset + i);
}

static void uart_bus_write(void *opaque, uint64_t offset, const uint8_t *data, unsigned len)
{
	for (unsigned i = 0; i < len; i++)
		uart_8250_reg_write(opaque, (unsigned)offset + i, data[i]);
}

const struct bus_ops uart_8250_bus_ops = {
	.read = uart_bus_read,
	.write = uart_bus_write,
};

struct uart_vm {
	struct uart_8250 uart;
	struct vm *vm;
	unsigned irq;
};

static void uart_vm_irq(void *opaque, int level)
{
	struct uart_vm *uv = opaque;

	if (irq_line_set(uv->vm->vm_fd, uv->irq, level))
		uv->uart.irq_fn = NULL; /* the irqchip refused: poll mode from now on */
}

static void uart_vm_reset(void *opaque)
{
	uart_8250_reset(&((struct uart_vm *)opaque)->uart);
}

static void uart_vm_teardown(void *opaque)
{
	struct uart_vm *uv = opaque;

	uart_8250_destroy(&uv->uart);
	free(uv);
}

int uart_8250_attach(struct vm *vm, uint16_t base, unsigned irq, int out_fd,
		     struct uart_8250 **out)
{
	struct uart_vm *uv = calloc(1, sizeof(*uv));
	int ret;

	if (!uv)
		return -ENOMEM;
	uv->vm = vm;
	uv->irq = irq;
	uart_8250_init(&uv->uart, "com", out_fd, uart_vm_irq, uv);
	ret = vm_add_teardown(vm, uart_vm_teardown, uv);
	if (ret) {
		uart_vm_teardown(uv);
		return ret;
	}
	ret = vm_add_reset(vm, uart_vm_reset, uv);
	if (ret)
		return ret;
	ret = bus_register(&vm->pio, base, 8, &uart_8250_bus_ops, &uv->uart, "uart-8250");
	if (!ret && out)
		*out = &uv->uart;
	return ret;
}
