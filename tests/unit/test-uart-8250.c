/* The 8250 UART registers as Linux's probe and driver use them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "uart-8250.h"

struct irq_log {
	int level;
	unsigned edges;
};

static void log_irq(void *opaque, int level)
{
	struct irq_log *l = opaque;

	if (level && !l->level)
		l->edges++;
	l->level = level;
}

struct fixture {
	struct uart_8250 u;
	struct irq_log irq;
	int pipe[2];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_int_equal(pipe(f->pipe), 0);
	uart_8250_init(&f->u, "test", f->pipe[1], log_irq, &f->irq);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	uart_8250_destroy(&f->u);
	close(f->pipe[0]);
	close(f->pipe[1]);
	free(f);
	return 0;
}

static void test_probe(void **state)
{
	struct fixture *f = *state;
	struct uart_8250 *u = &f->u;

	uart_8250_reg_write(u, UART_SCR, 0xa5);
	assert_int_equal(uart_8250_reg_read(u, UART_SCR), 0xa5);
	uart_8250_reg_write(u, UART_SCR, 0x5a);
	assert_int_equal(uart_8250_reg_read(u, UART_SCR), 0x5a);
	uart_8250_reg_write(u, UART_IER, 0);
	assert_int_equal(uart_8250_reg_read(u, UART_IER), 0);
	uart_8250_reg_write(u, UART_IER, 0xff);
	assert_int_equal(uart_8250_reg_read(u, UART_IER), 0x0f);
	uart_8250_reg_write(u, UART_IER, 0);
	/* 16550A detection: FIFO enable shows in IIR bits 7:6 */
	uart_8250_reg_write(u, UART_IIR_FCR, UART_FCR_ENABLE);
	assert_int_equal(uart_8250_reg_read(u, UART_IIR_FCR) & 0xc0, 0xc0);
	uart_8250_reg_write(u, UART_IIR_FCR, 0);
	assert_int_equal(uart_8250_reg_read(u, UART_IIR_FCR), UART_IIR_NO_INT);
	/* loopback: MSR mirrors MCR */
	uart_8250_reg_write(u, UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2 | UART_MCR_RTS);
	assert_int_equal(uart_8250_reg_read(u, UART_MSR) & 0xf0, UART_MSR_DCD | UART_MSR_CTS);
	uart_8250_reg_write(u, UART_MCR, UART_MCR_LOOP | UART_MCR_DTR | UART_MCR_OUT1);
	assert_int_equal(uart_8250_reg_read(u, UART_MSR) & 0xf0, UART_MSR_DSR | UART_MSR_RI);
	uart_8250_reg_write(u, UART_RBR_THR, 'q');
	assert_true(uart_8250_reg_read(u, UART_LSR) & UART_LSR_DR);
	assert_int_equal(uart_8250_reg_read(u, UART_RBR_THR), 'q');
	assert_false(uart_8250_reg_read(u, UART_LSR) & UART_LSR_DR);
	uart_8250_reg_write(u, UART_MCR, UART_MCR_OUT2 | UART_MCR_DTR | UART_MCR_RTS);
	assert_int_equal(uart_8250_reg_read(u, UART_MSR) & 0xb0, 0xb0);
	assert_int_equal(uart_8250_reg_read(u, UART_LSR) & 0x60, 0x60);
}

static void test_dlab(void **state)
{
	struct uart_8250 *u = &((struct fixture *)*state)->u;

	uart_8250_reg_write(u, UART_LCR, UART_LCR_DLAB | 3);
	uart_8250_reg_write(u, UART_RBR_THR, 0x01);
	uart_8250_reg_write(u, UART_IER, 0x02);
	assert_int_equal(uart_8250_reg_read(u, UART_RBR_THR), 0x01);
	assert_int_equal(uart_8250_reg_read(u, UART_IER), 0x02);
	uart_8250_reg_write(u, UART_LCR, 3);
	assert_int_equal(uart_8250_reg_read(u, UART_IER), 0);
	assert_int_equal(uart_8250_reg_read(u, UART_LCR), 3);
}

static void test_transmit_and_thre_irq(void **state)
{
	struct fixture *f = *state;
	struct uart_8250 *u = &f->u;
	char out[4] = { 0 };

	uart_8250_reg_write(u, UART_RBR_THR, 'o');
	uart_8250_reg_write(u, UART_RBR_THR, 'k');
	assert_int_equal(read(f->pipe[0], out, 2), 2);
	assert_string_equal(out, "ok");
	assert_int_equal(f->irq.level, 0);             /* THRI not enabled */
	uart_8250_reg_write(u, UART_IER, UART_IER_THRI); /* enabling it with THR empty fires */
	assert_int_equal(f->irq.level, 1);
	assert_int_equal(uart_8250_reg_read(u, UART_IIR_FCR) & 0x0f, UART_IIR_THRI);
	assert_int_equal(f->irq.level, 0);              /* reading IIR cleared it */
	assert_int_equal(uart_8250_reg_read(u, UART_IIR_FCR) & 0x0f, UART_IIR_NO_INT);
	uart_8250_reg_write(u, UART_RBR_THR, '!');      /* each transmit raises it again */
	assert_int_equal(f->irq.level, 1);
	assert_int_equal(f->irq.edges, 2);
	uart_8250_reg_write(u, UART_IER, 0);
	assert_int_equal(f->irq.level, 0);
}

static void test_receive(void **state)
{
	struct fixture *f = *state;
	struct uart_8250 *u = &f->u;
	uint8_t big[40];

	uart_8250_reg_write(u, UART_IIR_FCR, UART_FCR_ENABLE);
	uart_8250_reg_write(u, UART_IER, UART_IER_RDI);
	assert_int_equal(uart_8250_receive(u, (const uint8_t *)"ab", 2), 2);
	assert_int_equal(f->irq.level, 1);
	assert_int_equal(uart_8250_reg_read(u, UART_IIR_FCR) & 0x0f, UART_IIR_RDI);
	assert_int_equal(uart_8250_reg_read(u, UART_RBR_THR), 'a');
	assert_int_equal(uart_8250_reg_read(u, UART_RBR_THR), 'b');
	assert_int_equal(f->irq.level, 0);
	assert_int_equal(uart_8250_reg_read(u, UART_RBR_THR), 0); /* empty FIFO reads 0 */
	/* without FIFO: one byte, then overrun */
	uart_8250_reg_write(u, UART_IIR_FCR, 0);
	memset(big, 'x', sizeof(big));
	assert_int_equal(uart_8250_receive(u, big, sizeof(big)), 1);
	assert_true(uart_8250_reg_read(u, UART_LSR) & UART_LSR_OE);
	assert_false(uart_8250_reg_read(u, UART_LSR) & UART_LSR_OE); /* cleared by the read */
	uart_8250_reg_write(u, UART_IIR_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_RX);
	assert_int_equal(uart_8250_receive(u, big, sizeof(big)), UART_RX_FIFO);
	uart_8250_reg_write(u, UART_MCR, UART_MCR_LOOP);
	assert_int_equal(uart_8250_receive(u, big, 1), 0);           /* loopback: line ignored */
	assert_int_equal(uart_8250_reg_read(u, 8), 0xff);          /* no such register */
	uart_8250_reg_write(u, 9, 0);
}

/* A guest reboot: registers and FIFO as at power-on, a pending interrupt dropped. */
static void test_reset(void **state)
{
	struct fixture *f = *state;
	struct uart_8250 *u = &f->u;
	uint8_t lcr = uart_8250_reg_read(u, UART_LCR), mcr = uart_8250_reg_read(u, UART_MCR);

	uart_8250_reg_write(u, UART_IIR_FCR, UART_FCR_ENABLE);
	uart_8250_reg_write(u, UART_IER, UART_IER_RDI);
	uart_8250_reg_write(u, UART_SCR, 0x5a);
	uart_8250_reg_write(u, UART_LCR, 0x1b);
	assert_int_equal(uart_8250_receive(u, (const uint8_t *)"xyz", 3), 3);
	assert_int_equal(f->irq.level, 1);
	uart_8250_reset(u);
	assert_int_equal(f->irq.level, 0);
	assert_int_equal(uart_8250_reg_read(u, UART_IER), 0);
	assert_int_equal(uart_8250_reg_read(u, UART_SCR), 0);
	assert_int_equal(uart_8250_reg_read(u, UART_LCR), lcr);
	assert_int_equal(uart_8250_reg_read(u, UART_MCR), mcr);
	assert_false(uart_8250_reg_read(u, UART_LSR) & UART_LSR_DR);
	assert_int_equal(uart_8250_reg_read(u, UART_IIR_FCR) & 0xc0, 0); /* FIFO off */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_probe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dlab, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transmit_and_thre_irq, setup, teardown),
		cmocka_unit_test_setup_teardown(test_receive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
