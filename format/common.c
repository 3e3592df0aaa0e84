/*
 * common.c - error messages, names of event types / states / hv kinds, the
 * clock mapping and the checksum: the small pieces every other module uses.
 */
#include "internal.h"

#include <zlib.h>
#ifdef HAVE_DEFLATE
#include <libdeflate.h>
#endif

const char *pmt_strerror(int err)
{
	switch (err) {
#define PMT_ERR_CASE_(name, value, msg) case value: return msg;
		PMT_ERRORS(PMT_ERR_CASE_)
#undef PMT_ERR_CASE_
	}
	return "unknown error";
}

const char *pmt_event_type_name(int type)
{
	static const char *const names[PMT_EV_TYPE_MAX_] = {
		[PMT_EV_SWITCH] = "switch", [PMT_EV_MIGRATE] = "migrate",
		[PMT_EV_WAKEUP] = "wakeup", [PMT_EV_FORK] = "fork",
		[PMT_EV_EXEC] = "exec",     [PMT_EV_EXIT] = "exit",
		[PMT_EV_NAME] = "name",     [PMT_EV_LOST] = "lost",
		[PMT_EV_MARKER] = "marker", [PMT_EV_HV] = "hv",
	};
	if (type <= 0 || type >= PMT_EV_TYPE_MAX_)
		return "unknown";
	return names[type];
}

const char *pmt_state_name(int state)
{
	static const char *const names[PMT_STATE_MAX_] = {
		"R", "S", "D", "T", "t", "X", "P", "I", "offline", "other",
	};
	if (state < 0 || state >= PMT_STATE_MAX_)
		return "?";
	return names[state];
}

const char *pmt_hv_kind_name(int kind)
{
	static const char *const names[PMT_HV_KIND_MAX_] = {
		[PMT_HV_EXIT] = "exit", [PMT_HV_PIO] = "pio",
		[PMT_HV_TSC_OFFSET] = "tsc_offset", [PMT_HV_SYNC_WRITE] = "sync_write",
	};
	if (kind <= 0 || kind >= PMT_HV_KIND_MAX_)
		return "unknown";
	return names[kind];
}

uint32_t pmtf_crc32(const void *buf, size_t len)
{
#ifdef HAVE_DEFLATE
	/* Same CRC-32 as zlib's, several times faster (carry-less multiply). */
	return libdeflate_crc32(0, buf, len);
#endif
	/* zlib's crc32 takes a uInt length: feed it in pieces. */
	uLong crc = crc32(0L, Z_NULL, 0);
	const unsigned char *p = buf;
	while (len > 0) {
		uInt n = len > (1u << 30) ? (1u << 30) : (uInt)len;
		crc = crc32(crc, p, n);
		p += n;
		len -= n;
	}
	return (uint32_t)crc;
}

/* floor(d * num / den) with a 128-bit product, saturated to int64. */
int64_t pmtf_muldiv(int64_t d, uint64_t num, uint64_t den)
{
	if (den == 0)
		return 0;
	__int128 p = (__int128)d * (__int128)num;
	__int128 q = p / (__int128)den;
	if (p % (__int128)den != 0 && p < 0)
		q -= 1;
	if (q > INT64_MAX)
		return INT64_MAX;
	if (q < INT64_MIN)
		return INT64_MIN;
	return (int64_t)q;
}

int64_t pmt_clock_to_ns(const struct pmt_clock *c, uint64_t raw)
{
	if (!c || c->mult_den == 0)
		return (int64_t)raw;
	int64_t d = (int64_t)(raw - c->raw_base);
	int64_t off = pmtf_muldiv(d, c->mult_num, c->mult_den);
	/* Saturating add: a damaged mapping must not overflow. */
	if (off > 0 && c->ref_base_ns > INT64_MAX - off)
		return INT64_MAX;
	if (off < 0 && c->ref_base_ns < INT64_MIN - off)
		return INT64_MIN;
	return c->ref_base_ns + off;
}
