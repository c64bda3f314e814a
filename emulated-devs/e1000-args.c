/* e1000: the argument string of `--device e1000,ARGS` (see e1000.h). */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "e1000.h"

/* Exactly XX:XX:XX:XX:XX:XX (hex digits, either case), unicast. */
static int e1000_mac_parse(const char *s, size_t len, uint8_t mac[6])
{
	if (len != 17)
		return -EINVAL;
	for (unsigned i = 0; i < 17; i++)
		if (i % 3 == 2 ? s[i] != ':' : !isxdigit((unsigned char)s[i]))
			return -EINVAL;
	for (unsigned i = 0; i < 6; i++) {
		char byte[3] = { s[3 * i], s[3 * i + 1], '\0' };

		mac[i] = (uint8_t)strtoul(byte, NULL, 16);
	}
	return (mac[0] & 1) ? -EINVAL : 0; /* a station address is unicast */
}

int e1000_args_parse(const char *args, uint8_t mac[6], char *spec, size_t spec_size)
{
	const char *p = args ? args : "";

	memcpy(mac, e1000_default_mac, 6);
	while (*p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (!strncmp(p, "backend=", 8)) {
			size_t n = strlen(p + 8);

			if (!n || n >= spec_size)
				return -EINVAL;
			memcpy(spec, p + 8, n + 1);
			return 0;
		}
		if (strncmp(p, "mac=", 4) || e1000_mac_parse(p + 4, len - 4, mac))
			return -EINVAL;
		p += len + (end ? 1 : 0);
	}
	return -EINVAL; /* no back-end */
}
