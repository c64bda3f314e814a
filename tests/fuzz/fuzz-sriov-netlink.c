/*
 * Fuzz target: the kernel's answers to the SR-IOV VF requests
 * (sriov/nl-socket.c: sriov_nl_answer_read, which finds the answer in a
 * datagram and reads an error's extended ack; sriov/vf-netlink.c:
 * sriov_vf_list_decode, which checks and copies an RTM_NEWLINK before
 * libnl-route 3.7 parses it, then reads each VF's settings).
 *
 * Input: a mode byte (bit 0: the bytes are a datagram for
 * sriov_nl_answer_read, whose RTM_NEWLINK answer, when found, is decoded in
 * turn; clear: they are one message for sriov_vf_list_decode; bits 1-3: the
 * room for VFs given to the decoder, 0-7), in datagram mode the sequence
 * number asked for (4 bytes), then the bytes, in a buffer of exactly their
 * size. Checked: the results are within the documented set; a found answer
 * is a whole message of the datagram; the extended-ack text is a string of
 * its buffer; the decoder writes at most the room it was given, each VF
 * numbered in order with only known settings marked and a link state in
 * range.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-input.h"
#include "sriov-priv.h"
#include "sriov.h"

#define ROOM_MAX 7
#define ALL_ATTRS (SRIOV_VF_MAC | SRIOV_VF_VLAN | SRIOV_VF_SPOOFCHK | SRIOV_VF_TRUST | \
		   SRIOV_VF_RATE | SRIOV_VF_LINK_STATE)

static void decode_check(const void *msg, size_t len, size_t room)
{
	struct sriov_vf_config out[ROOM_MAX + 1], canary;
	int ret;

	memset(out, 0xa5, sizeof(out));
	canary = out[room];
	ret = sriov_vf_list_decode(msg, len, out, room);
	FUZZ_CHECK(ret == -EBADMSG || ret == -ENOMEM || (ret >= 0 && ret <= SRIOV_MAX_VFS));
	FUZZ_CHECK(!memcmp(&out[room], &canary, sizeof(canary)));
	for (int i = 0; i < ret && (size_t)i < room; i++) {
		FUZZ_CHECK(out[i].vf == (uint32_t)i);
		FUZZ_CHECK(!(out[i].set & ~(unsigned)ALL_ATTRS));
		FUZZ_CHECK(!(out[i].set & SRIOV_VF_LINK_STATE) ||
			   out[i].link_state <= SRIOV_LINK_DISABLE);
	}
}

static void answer_check(const uint8_t *buf, size_t len, uint32_t seq, size_t room)
{
	char err[32 + 1];
	void *reply = NULL;
	size_t rlen = 0;
	int code = 1, ret;

	memset(err, 0, sizeof(err));
	err[sizeof(err) - 1] = 'x';
	ret = sriov_nl_answer_read(buf, (int)len, seq, &reply, &rlen, &code, err, sizeof(err) - 1);
	FUZZ_CHECK(ret == 1 || ret == 0 || ret == -EBADMSG || ret == -ENOMEM);
	FUZZ_CHECK(err[sizeof(err) - 1] == 'x' && strnlen(err, sizeof(err) - 1) < sizeof(err) - 1);
	FUZZ_CHECK(ret == 1 || !reply);
	if (ret != 1 || !reply)
		return;
	FUZZ_CHECK(code == 0 && rlen >= sizeof(struct nlmsghdr) && rlen <= len);
	FUZZ_CHECK(((const struct nlmsghdr *)reply)->nlmsg_len == rlen);
	decode_check(reply, rlen, room);
	free(reply);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct fuzz_input in = { data, len };
	unsigned mode = (unsigned)fuzz_uint(&in, 1);
	size_t room = (mode >> 1) & ROOM_MAX, n;
	uint32_t seq = (mode & 1) ? (uint32_t)fuzz_uint(&in, 4) : 0;
	uint8_t *buf;

	fuzz_quiet_logs();
	if (len > INT32_MAX)
		return 0;
	buf = fuzz_rest_dup(&in, &n);
	if (mode & 1)
		answer_check(buf, n, seq, room);
	else
		decode_check(buf, n, room);
	free(buf);
	return 0;
}
