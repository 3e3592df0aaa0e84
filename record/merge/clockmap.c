/*
 * clockmap.c - the guest clock's mapping onto the host clock (clockmap.h).
 * Owner: the two-level area.
 */
#include "record/merge/clockmap.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record/sync.h"

struct hostw {
	int64_t t_ns;
	uint32_t tid;
};

static int cmp_pulse(const void *a, const void *b)
{
	const struct pmt_sync_pulse *x = a, *y = b;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int vcpu_of(const struct pmt_map_in *in, uint32_t tid)
{
	for (uint32_t i = 0; i < in->ntids; i++)
		if (in->tids[i] == tid)
			return (int)i;
	return -1;
}

/* Want-mask of the streams of one level. */
static uint8_t *level_mask(pmt_reader *r, uint16_t level)
{
	const struct pmt_info *info = pmt_reader_info(r);
	uint8_t *m = calloc(info->nstreams ? info->nstreams : 1, 1);
	if (m)
		for (size_t i = 0; i < info->nstreams; i++)
			m[i] = info->streams[i].level == level;
	return m;
}

/* Guest pulses, sorted by seq. */
static int guest_pulses(const struct pmt_map_in *in, struct pmt_sync_pulse **out, size_t *n,
			char *why, size_t whylen)
{
	uint8_t *mask = level_mask(in->guest, in->guest_level);
	size_t cap = 0;
	int err = 0;
	pmt_cursor *c;
	const struct pmt_event *ev;

	*out = NULL;
	*n = 0;
	if (!mask || !(c = pmt_cursor_open_merged(in->guest, mask, &err))) {
		free(mask);
		snprintf(why, whylen, "cannot read the guest file: %s", pmt_strerror(err ? err : PMT_ENOMEM));
		return -1;
	}
	while ((ev = pmt_cursor_next(c, &err))) {
		struct pmt_sync_pulse p;
		if (ev->type != PMT_EV_MARKER ||
		    pmt_sync_parse(ev->u.marker.text.s, ev->u.marker.text.len, &p) < 0)
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 64;
			void *nn = realloc(*out, cap * sizeof(**out));
			if (!nn) {
				err = PMT_ENOMEM;
				break;
			}
			*out = nn;
		}
		(*out)[(*n)++] = p;
	}
	pmt_cursor_close(c);
	free(mask);
	if (err < 0) {
		snprintf(why, whylen, "cannot read the guest file: %s", pmt_strerror(err));
		return -1;
	}
	if (*n)
		qsort(*out, *n, sizeof(**out), cmp_pulse);
	return 0;
}

/* Host writes on port by the guest's vCPU threads, in time order:
 * PMT_HV_SYNC_WRITE, or (when there are none) kvm_pio writes. */
static int host_writes(const struct pmt_map_in *in, unsigned port, struct hostw **out,
		       size_t *n, char *why, size_t whylen)
{
	uint8_t *mask = level_mask(in->host, in->host_level);
	size_t cap = 0, nsync = 0;
	int err = 0;
	pmt_cursor *c;
	const struct pmt_event *ev;

	*out = NULL;
	*n = 0;
	if (!mask || !(c = pmt_cursor_open_merged(in->host, mask, &err))) {
		free(mask);
		snprintf(why, whylen, "cannot read the host file: %s", pmt_strerror(err ? err : PMT_ENOMEM));
		return -1;
	}
	while ((ev = pmt_cursor_next(c, &err))) {
		int sync;
		if (ev->type != PMT_EV_HV || ev->u.hv.a != port || vcpu_of(in, ev->u.hv.tid) < 0)
			continue;
		sync = ev->u.hv.kind == PMT_HV_SYNC_WRITE;
		if (!sync && !(ev->u.hv.kind == PMT_HV_PIO && !(ev->u.hv.b >> 63)))
			continue;
		if (sync && !nsync)
			*n = 0; /* sync writes seen: PIO events are not needed */
		if (!sync && nsync)
			continue;
		nsync += sync;
		if (*n == cap) {
			cap = cap ? 2 * cap : 64;
			void *nn = realloc(*out, cap * sizeof(**out));
			if (!nn) {
				err = PMT_ENOMEM;
				break;
			}
			*out = nn;
		}
		(*out)[*n].t_ns = ev->time_ns;
		(*out)[(*n)++].tid = ev->u.hv.tid;
	}
	pmt_cursor_close(c);
	free(mask);
	if (err < 0) {
		snprintf(why, whylen, "cannot read the host file: %s", pmt_strerror(err));
		return -1;
	}
	return 0;
}

static void guest_span(pmt_reader *r, uint16_t level, uint64_t *lo, uint64_t *hi)
{
	const struct pmt_info *info = pmt_reader_info(r);
	*lo = UINT64_MAX;
	*hi = 0;
	for (size_t i = 0; i < info->nstreams; i++) {
		if (info->streams[i].level != level || !info->streams[i].events)
			continue;
		if (info->streams[i].first_ts < *lo)
			*lo = info->streams[i].first_ts;
		if (info->streams[i].last_ts > *hi)
			*hi = info->streams[i].last_ts;
	}
	if (*lo > *hi)
		*lo = *hi = 0;
}

static const struct pmt_clock *level_clock(pmt_reader *r, uint16_t level)
{
	const struct pmt_info *info = pmt_reader_info(r);
	if (level >= info->nlevels || info->levels[level].clock >= info->nclocks)
		return NULL;
	return &info->clocks[info->levels[level].clock];
}

/* KVM: guest_tsc = (host_tsc * ratio >> frac) + offset, from the host's
 * debugfs metadata. 1 when used, 0 when not available, -1 on error. */
static int map_kvm(const struct pmt_map_in *in, const struct pmt_clock *hc,
		   const struct pmt_clock *gc, struct pmt_map_out *out, char *why, size_t whylen)
{
	char key[200];
	const char *v;
	int64_t off = 0, ratio = 0, frac = 0;

	if (strcmp(hc->name, "x86-tsc") != 0 || strcmp(gc->name, "x86-tsc") != 0)
		return 0;
	for (uint32_t n = 0; n < in->ntids; n++) {
		snprintf(key, sizeof(key), "vm.%s.vcpu%u.tsc_offset", in->name, n);
		if (!(v = pmt_reader_meta(in->host, key)))
			return 0;
		int64_t o = strtoll(v, NULL, 0);
		if (n && o != off) {
			snprintf(why, whylen, "KVM gives the vCPUs of '%s' different TSC offsets "
				 "(vCPU 0 %" PRId64 ", vCPU %u %" PRId64 ")", in->name, off, n, o);
			return -1;
		}
		off = o;
		snprintf(key, sizeof(key), "vm.%s.vcpu%u.tsc_offset_end", in->name, n);
		if ((v = pmt_reader_meta(in->host, key)) && strtoll(v, NULL, 0) != off) {
			snprintf(why, whylen, "KVM changed the TSC offset of '%s' during the recording",
				 in->name);
			return -1;
		}
	}
	snprintf(key, sizeof(key), "vm.%s.vcpu0.tsc_scaling_ratio", in->name);
	if ((v = pmt_reader_meta(in->host, key)))
		ratio = strtoll(v, NULL, 0);
	snprintf(key, sizeof(key), "vm.%s.vcpu0.tsc_scaling_frac_bits", in->name);
	if ((v = pmt_reader_meta(in->host, key)))
		frac = strtoll(v, NULL, 0);
	long double scale = 1; /* host ticks per guest tick */
	if (ratio > 0 && frac > 0 && frac < 64)
		scale = ldexpl(1.0L, (int)frac) / (long double)ratio;
	/* host_tsc = (g - off) * scale; ns = hc(host_tsc). */
	long double ns_per_host = (long double)hc->mult_num / (long double)hc->mult_den;
	long double g_at_hbase = (long double)hc->raw_base / scale + (long double)off;
	out->clock.raw_base = (uint64_t)llroundl(g_at_hbase);
	out->clock.ref_base_ns = hc->ref_base_ns;
	out->clock.mult_den = 1ull << 32;
	out->clock.mult_num = (uint64_t)llroundl(ns_per_host * scale * 4294967296.0L);
	out->clock.uncertainty_ns = 1;
	out->clock.flags = PMT_CLOCK_OFFSET;
	snprintf(out->how, sizeof(out->how), "KVM TSC offset %" PRId64 ", scaling %s", off,
		 scale == 1 ? "none" : "from debugfs");
	return 1;
}

int pmt_map_guest_clock(const struct pmt_map_in *in, struct pmt_map_out *out,
			char *why, size_t whylen)
{
	const struct pmt_clock *hc = level_clock(in->host, in->host_level);
	const struct pmt_clock *gc = level_clock(in->guest, in->guest_level);
	struct pmt_sync_pulse *gp = NULL;
	struct hostw *hw = NULL;
	size_t ng = 0, nh = 0;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (!hc || !gc) {
		snprintf(why, whylen, "a level has no clock");
		return -1;
	}
	out->clock = *gc;
	out->clock.flags &= ~(PMT_CLOCK_SYNCED | PMT_CLOCK_OFFSET);
	if (in->have_offset) {
		out->clock.ref_base_ns += in->offset_ns;
		out->clock.uncertainty_ns = 0;
		out->clock.flags |= PMT_CLOCK_OFFSET;
		snprintf(out->how, sizeof(out->how), "given offset %" PRId64 " ns", in->offset_ns);
		return 0;
	}
	int k = map_kvm(in, hc, gc, out, why, whylen);
	if (k != 0)
		return k < 0 ? -1 : 0;

	if (guest_pulses(in, &gp, &ng, why, whylen) < 0)
		goto out;
	if (!ng) {
		snprintf(why, whylen, "the guest file has no sync pulses (record the guest with "
			 "--sync-pulses N) and no offset was given (--clock-offset)");
		goto out;
	}
	if (strcmp(gc->name, "x86-tsc") != 0) {
		snprintf(why, whylen, "the guest was recorded with the '%s' clock: sync pulses "
			 "need x86-tsc", gc->name);
		goto out;
	}
	unsigned port = gp[0].port;
	for (size_t i = 0; i < ng; i++)
		if (gp[i].port != port || (i && gp[i].seq == gp[i - 1].seq)) {
			snprintf(why, whylen, "the guest's sync pulses are not one sequence on one port");
			goto out;
		}
	if (host_writes(in, port, &hw, &nh, why, whylen) < 0)
		goto out;
	if (nh != ng) {
		snprintf(why, whylen, "the guest emitted %zu sync pulses on port 0x%x but the host "
			 "recorded %zu writes to it by the vCPU threads of '%s'", ng, port, nh, in->name);
		goto out;
	}
	struct pmt_fit_point *pts = malloc(ng * sizeof(*pts));
	if (!pts) {
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < ng; i++) {
		int v = vcpu_of(in, hw[i].tid);
		if (gp[i].cpu >= in->ntids || v != (int)gp[i].cpu) {
			snprintf(why, whylen, "sync pulse %u ran on guest CPU %u but host thread %u "
				 "(vCPU %d of '%s') wrote it: the vCPU binding is wrong", gp[i].seq,
				 gp[i].cpu, hw[i].tid, v, in->name);
			free(pts);
			goto out;
		}
		out->cpu_checked++;
		pts[i].g1 = gp[i].t1;
		pts[i].g2 = gp[i].t2;
		pts[i].h_ns = hw[i].t_ns;
	}
	double hint;
	if (strcmp(hc->name, "x86-tsc") == 0)
		hint = (double)hc->mult_num / (double)hc->mult_den; /* guest TSC at the host's rate */
	else if (gc->freq_hz)
		hint = 1e9 / (double)gc->freq_hz;
	else {
		snprintf(why, whylen, "the guest clock's frequency is unknown");
		free(pts);
		goto out;
	}
	uint64_t lo, hi;
	guest_span(in->guest, in->guest_level, &lo, &hi);
	if (pmt_fit_pulses(pts, ng, hint, 0, lo, hi, &out->fit, why, whylen) < 0) {
		free(pts);
		goto out;
	}
	free(pts);
	pmt_fit_to_clock(&out->fit, &out->clock);
	out->clock.flags |= PMT_CLOCK_SYNCED;
	out->pulses = ng;
	snprintf(out->how, sizeof(out->how), "%zu sync pulses on port 0x%x, uncertainty %" PRIu64
		 " ns, rate %.9f ns/tick%s", ng, port, out->clock.uncertainty_ns, out->fit.slope,
		 out->fit.slope_fixed ? " (nominal)" : "");
	rc = 0;
out:
	free(gp);
	free(hw);
	return rc;
}
