/* The VF settings a user types ("mac=..", "vlan=..") and their cross-field rules. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "parse.h"
#include "sriov-priv.h"

const char *sriov_vf_attr_name(enum sriov_vf_attr a)
{
	switch (a) {
	case SRIOV_VF_MAC: return "mac";
	case SRIOV_VF_VLAN: return "vlan";
	case SRIOV_VF_SPOOFCHK: return "spoofchk";
	case SRIOV_VF_TRUST: return "trust";
	case SRIOV_VF_RATE: return "tx_rate";
	case SRIOV_VF_LINK_STATE: return "link-state";
	}
	return "?";
}

const char *sriov_link_state_name(enum sriov_link_state s)
{
	switch (s) {
	case SRIOV_LINK_AUTO: return "auto";
	case SRIOV_LINK_ENABLE: return "enable";
	case SRIOV_LINK_DISABLE: return "disable";
	}
	return "?";
}

const char *sriov_mac_format(const uint8_t mac[6], char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
	return buf;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int sriov_mac_parse(const char *s, uint8_t mac[6])
{
	uint8_t out[6];

	if (strlen(s) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		int hi = hex_digit(s[3 * i]), lo = hex_digit(s[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(mac, out, 6);
	return 0;
}

static int parse_onoff(const char *v, bool *out)
{
	if (!strcmp(v, "on"))
		*out = true;
	else if (!strcmp(v, "off"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

static int parse_link_state(const char *v, enum sriov_link_state *out)
{
	static const enum sriov_link_state all[] = { SRIOV_LINK_AUTO, SRIOV_LINK_ENABLE,
						     SRIOV_LINK_DISABLE };

	for (size_t i = 0; i < ARRAY_SIZE(all); i++)
		if (!strcmp(v, sriov_link_state_name(all[i]))) {
			*out = all[i];
			return 0;
		}
	return -EINVAL;
}

static int parse_mac_value(struct sriov_vf_config *cfg, const char *v)
{
	uint8_t mac[6];

	if (sriov_mac_parse(v, mac) || (mac[0] & 1))
		return -EINVAL;
	memcpy(cfg->mac, mac, 6);
	return 0;
}

/* One key: its parser and what it takes, for the refusal message. */
static int parse_value(struct sriov_vf_config *cfg, const char *key, const char *v,
		       const char **takes)
{
	if (!strcmp(key, "mac")) {
		*takes = "a unicast MAC such as 02:00:00:00:00:01";
		cfg->set |= SRIOV_VF_MAC;
		return parse_mac_value(cfg, v);
	}
	if (!strcmp(key, "vlan")) {
		*takes = "a VLAN ID from 0 to 4095";
		cfg->set |= SRIOV_VF_VLAN;
		return parse_uint(v, 0, 4095, &cfg->vlan);
	}
	if (!strcmp(key, "qos")) {
		*takes = "a priority from 0 to 7 (with vlan=)";
		cfg->set |= SRIOV_VF_VLAN;
		return parse_uint(v, 0, 7, &cfg->qos);
	}
	if (!strcmp(key, "spoofchk")) {
		*takes = "on or off";
		cfg->set |= SRIOV_VF_SPOOFCHK;
		return parse_onoff(v, &cfg->spoofchk);
	}
	if (!strcmp(key, "trust")) {
		*takes = "on or off";
		cfg->set |= SRIOV_VF_TRUST;
		return parse_onoff(v, &cfg->trust);
	}
	if (!strcmp(key, "min_tx_rate") || !strcmp(key, "max_tx_rate")) {
		bool max = key[1] == 'a';

		*takes = "a rate in Mbit/s (0: no limit)";
		cfg->set |= SRIOV_VF_RATE;
		*(max ? &cfg->max_rate_given : &cfg->min_rate_given) = true;
		return parse_uint(v, 0, UINT32_MAX, max ? &cfg->max_tx_rate : &cfg->min_tx_rate);
	}
	if (!strcmp(key, "link-state")) {
		*takes = "auto, enable or disable";
		cfg->set |= SRIOV_VF_LINK_STATE;
		return parse_link_state(v, &cfg->link_state);
	}
	*takes = NULL;
	return -EINVAL;
}

int sriov_vf_config_parse(struct sriov_vf_config *cfg, const char *kv, char *msg, size_t msglen)
{
	const char *eq = strchr(kv, '='), *takes = NULL;
	char key[32];
	size_t klen = eq ? (size_t)(eq - kv) : 0;

	if (!eq || !klen || klen >= sizeof(key)) {
		sriov_msg(msg, msglen, "'%s': expected KEY=VALUE (mac, vlan, qos, spoofchk, trust, "
			  "min_tx_rate, max_tx_rate, link-state)", kv);
		return -EINVAL;
	}
	memcpy(key, kv, klen);
	key[klen] = '\0';
	if (!parse_value(cfg, key, eq + 1, &takes))
		return 0;
	if (!takes)
		sriov_msg(msg, msglen, "unknown VF setting '%s' (known: mac, vlan, qos, spoofchk, trust, "
			  "min_tx_rate, max_tx_rate, link-state)", key);
	else
		sriov_msg(msg, msglen, "%s=%s: expected %s", key, eq + 1, takes);
	return -EINVAL;
}

int sriov_vf_config_check(const struct sriov_vf_config *cfg, char *msg, size_t msglen)
{
	if (cfg->qos && !cfg->vlan) {
		sriov_msg(msg, msglen, "qos=%u needs a nonzero vlan=", cfg->qos);
		return -EINVAL;
	}
	if (cfg->min_rate_given && cfg->max_rate_given && cfg->max_tx_rate &&
	    cfg->min_tx_rate > cfg->max_tx_rate) {
		sriov_msg(msg, msglen, "min_tx_rate=%u exceeds max_tx_rate=%u", cfg->min_tx_rate,
			  cfg->max_tx_rate);
		return -EINVAL;
	}
	if (!cfg->set) {
		sriov_msg(msg, msglen, "no VF setting given");
		return -EINVAL;
	}
	return 0;
}
