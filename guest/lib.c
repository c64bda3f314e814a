/* Formatting, ucalls, serial output and the few C library functions the compiler may call. */
#include "guest.h"
#include "memory-map.h"

void *memset(void *d, int c, size_t n)
{
	uint8_t *p = d;

	while (n--)
		*p++ = (uint8_t)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	uint8_t *p = d;
	const uint8_t *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}

void *memmove(void *d, const void *s, size_t n)
{
	uint8_t *p = d;
	const uint8_t *q = s;

	if (p < q)
		return memcpy(d, s, n);
	while (n--)
		p[n] = q[n];
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *p = a, *q = b;

	for (; n; n--, p++, q++)
		if (*p != *q)
			return *p - *q;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

struct fmt_out {
	char *buf;
	size_t size;
	size_t len;
};

static void fmt_put(struct fmt_out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

struct fmt_spec {
	int width;
	int zero;
	int left;
	int lng;
};

static void fmt_num(struct fmt_out *o, const struct fmt_spec *sp, uint64_t v, unsigned base,
		    int neg, int upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0, pad;

	do {
		tmp[n++] = digits[v % base];
		v /= base;
	} while (v);
	pad = sp->width - n - neg;
	if (neg && sp->zero)
		fmt_put(o, '-');
	while (!sp->left && pad-- > 0)
		fmt_put(o, sp->zero ? '0' : ' ');
	if (neg && !sp->zero)
		fmt_put(o, '-');
	while (n)
		fmt_put(o, tmp[--n]);
	while (sp->left && pad-- > 0)
		fmt_put(o, ' ');
}

static void fmt_str(struct fmt_out *o, const struct fmt_spec *sp, const char *s)
{
	int pad = sp->width - (int)strlen(s ? s : "(null)");

	s = s ? s : "(null)";
	while (!sp->left && pad-- > 0)
		fmt_put(o, ' ');
	while (*s)
		fmt_put(o, *s++);
	while (sp->left && pad-- > 0)
		fmt_put(o, ' ');
}

static const char *fmt_parse(const char *f, struct fmt_spec *sp)
{
	*sp = (struct fmt_spec){ 0 };
	for (;; f++) {
		if (*f == '0')
			sp->zero = 1;
		else if (*f == '-')
			sp->left = 1;
		else
			break;
	}
	while (*f >= '0' && *f <= '9')
		sp->width = sp->width * 10 + (*f++ - '0');
	while (*f == 'l' || *f == 'z')
		sp->lng++, f++;
	return f;
}

static void fmt_one(struct fmt_out *o, const struct fmt_spec *sp, char c, va_list *ap)
{
	int64_t s;
	uint64_t u;

	switch (c) {
	case 'd':
	case 'i':
		s = sp->lng ? va_arg(*ap, int64_t) : va_arg(*ap, int);
		fmt_num(o, sp, s < 0 ? -(uint64_t)s : (uint64_t)s, 10, s < 0, 0);
		break;
	case 'u':
	case 'x':
	case 'X':
		u = sp->lng ? va_arg(*ap, uint64_t) : va_arg(*ap, unsigned);
		fmt_num(o, sp, u, c == 'u' ? 10 : 16, 0, c == 'X');
		break;
	case 'p':
		fmt_put(o, '0');
		fmt_put(o, 'x');
		fmt_num(o, sp, (uint64_t)va_arg(*ap, void *), 16, 0, 0);
		break;
	case 's':
		fmt_str(o, sp, va_arg(*ap, const char *));
		break;
	case 'c':
		fmt_put(o, (char)va_arg(*ap, int));
		break;
	default:
		fmt_put(o, '%');
		if (c)
			fmt_put(o, c);
	}
}

int guest_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct fmt_out o = { .buf = buf, .size = size };
	struct fmt_spec sp;
	va_list aq;

	va_copy(aq, ap);
	while (*fmt) {
		if (*fmt != '%') {
			fmt_put(&o, *fmt++);
			continue;
		}
		fmt = fmt_parse(fmt + 1, &sp);
		fmt_one(&o, &sp, *fmt, &aq);
		if (*fmt)
			fmt++;
	}
	va_end(aq);
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int guest_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = guest_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

uint64_t ucall(uint64_t cmd, uint64_t a0, uint64_t a1, const char *buf)
{
	struct ucall uc = { .cmd = cmd, .args = { a0, a1 } };

	if (guest_link_foreign)
		return guest_link_com1_ucall(cmd, a0, a1, buf);
	if (buf)
		guest_snprintf(uc.buf, sizeof(uc.buf), "%s", buf);
	outl(UCALL_PORT, (uint32_t)(uint64_t)&uc);
	return ((volatile struct ucall *)&uc)->args[UCALL_REPLY_ARG];
}

void guest_printf(const char *fmt, ...)
{
	struct ucall uc = { .cmd = UCALL_PRINT };
	va_list ap;

	va_start(ap, fmt);
	guest_vsnprintf(uc.buf, sizeof(uc.buf), fmt, ap);
	va_end(ap);
	if (guest_link_foreign) {
		guest_link_com1_ucall(UCALL_PRINT, 0, 0, uc.buf);
		return;
	}
	outl(UCALL_PORT, (uint32_t)(uint64_t)&uc);
}

uint64_t guest_sync(uint64_t stage, uint64_t value)
{
	return ucall(UCALL_SYNC, stage, value, 0);
}

void guest_done(int status)
{
	for (;;) {
		ucall(UCALL_DONE, (uint64_t)(int64_t)status, 0, 0);
		__asm__ volatile("cli; hlt");
	}
}

void guest_assert_fail(const char *file, unsigned line, const char *expr, const char *fmt, ...)
{
	struct ucall uc = { .cmd = UCALL_ASSERT, .args = { line } };
	int n;
	va_list ap;

	n = guest_snprintf(uc.buf, sizeof(uc.buf), "%s:%u: %s: ", file, line, expr);
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < sizeof(uc.buf))
		guest_vsnprintf(uc.buf + n, sizeof(uc.buf) - n, fmt, ap);
	va_end(ap);
	if (guest_link_foreign)
		guest_link_com1_ucall(UCALL_ASSERT, line, 0, uc.buf);
	for (;;) {
		outl(UCALL_PORT, (uint32_t)(uint64_t)&uc);
		__asm__ volatile("cli; hlt");
	}
}

void serial_putc(char c)
{
	while (!(inb(PORT_COM1 + 5) & 0x20))
		cpu_relax();
	outb(PORT_COM1, (uint8_t)c);
}

void serial_printf(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	guest_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (char *p = buf; *p; p++)
		serial_putc(*p);
}
