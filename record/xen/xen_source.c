/*
 * xen_source.c - pmt-record's Xen source: `pmt-record --xen` in a Xen dom0.
 *
 * It does what xentrace 4.17 does with libxenctrl (docs/XEN.md, "Live
 * recording"): set the event and CPU masks, enable the trace buffers, map
 * t_info and each pCPU's buffer, and consume them with the producer/consumer
 * protocol (record/xen/xen_tbuf.c) when Xen raises VIRQ_TBUF and on
 * pmt-record's periodic poll. The records go through the same merge and
 * decoder as a xentrace import, into the host level (vCPUs on pCPUs) and
 * one guest level per domain (its agent's HVMOP_xentrace records, if any).
 * Tracing is disabled on stop and again on close, whatever happened.
 * Built only when libxenctrl is found (HAVE_XENCTRL), with -std=gnu11: Xen's
 * public headers need GNU C's anonymous unions. Owner: the Xen area.
 */
#define XC_WANT_COMPAT_MAP_FOREIGN_API
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <xenctrl.h>
#include <xenevtchn.h>
#ifdef HAVE_XENSTORE
#include <xenstore.h>
#endif

#include "record/source.h"
#include "record/xen/xen_decode.h"
#include "record/xen/xen_tbuf.h"

extern const struct pmt_source pmt_source_xen;

#define XEN_DEFAULT_PAGES 32u           /* per pCPU, as xentrace             */
#define XEN_DEFAULT_MASK 0x0802f000u    /* TRC_SCHED | TRC_GUEST             */
#define XEN_MAX_DOMAINS 1024

struct xen_live {
	struct pmt_rec *r;
	xc_interface *xch;
	xenevtchn_handle *xce;
	int port, fd;
	void *tinfo;
	size_t tinfo_size;
	uint32_t ncpus, pages, data_size;
	void **tb;              /* per pCPU: struct t_buf + data, or NULL          */
	uint64_t *fed;          /* bytes consumed per pCPU                         */
	struct xen_merge m;
	struct xen_decoder d;
	struct xen_live_core core; /* consumes tb into m, decodes into d          */
	uint64_t cpu_hz;
	int enabled, merge_ok, decoder_ok;
	uint8_t described[XEN_DOMID_IDLE]; /* domains named in the header          */
};

static int want_xen;
static uint32_t evt_mask = XEN_DEFAULT_MASK;

static const struct pmt_source_opt xen_opts[] = {
	{"xen", 0, NULL, "record Xen's scheduler (vCPUs on pCPUs) from dom0's trace buffers"},
	{"xen-mask", 1, "HEX", "Xen trace classes to enable (default 0x0802f000: scheduler, guest)"},
	{NULL, 0, NULL, NULL},
};

static int xen_option(struct pmt_rec *r, const char *name, const char *arg)
{
	if (!strcmp(name, "xen")) {
		want_xen = 1;
		r->no_linux = 1;        /* dom0's kernel is a guest: not the host */
		return 0;
	}
	char *end;
	errno = 0;
	unsigned long v = strtoul(arg ? arg : "", &end, 16);
	if (!arg || !*arg || *end || errno || v == 0 || v > 0x0fffffffu) {
		pmt_rec_usage(r, "--xen-mask: '%s' is not a mask of Xen trace classes",
			      arg ? arg : "");
		return -1;
	}
	/* Scheduler records are what the host level is made of. */
	evt_mask = (uint32_t)v | 0x00021000u;
	return 0;
}

static int xen_active(struct pmt_rec *r)
{
	return want_xen;
}

/* The test build of tests/xen/fake/ points this at a file of its own. */
#ifndef PMT_XEN_CAPABILITIES
#define PMT_XEN_CAPABILITIES "/proc/xen/capabilities"
#endif

static int is_dom0(void)
{
	FILE *f = fopen(PMT_XEN_CAPABILITIES, "r");
	if (!f)
		return 0;
	char buf[128] = "";
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	return strstr(buf, "control_d") != NULL;
}

static int emit_live(void *opaque, const struct pmt_event *ev)
{
	struct xen_live *s = opaque;
	return pmt_rec_append(s->r, ev);
}

static void domain_name(uint32_t dom, char *buf, size_t len)
{
	snprintf(buf, len, dom == 0 ? "Domain-0" : "d%u", dom);
#ifdef HAVE_XENSTORE
	struct xs_handle *xs = xs_open(XS_OPEN_READONLY);
	if (xs) {
		char path[64];
		unsigned int n = 0;
		snprintf(path, sizeof(path), "/local/domain/%u/name", dom);
		char *v = xs_read(xs, XBT_NULL, path, &n);
		if (v && n > 0)
			snprintf(buf, len, "%.*s", (int)n, v);
		free(v);
		xs_close(xs);
	}
#endif
}

/* Clock, host level, one guest level per HVM domain, vCPU tasks. */
static int describe(struct xen_live *s)
{
	pmt_writer *w = s->r->w;
	int rc;
	/* Xen measured the TSC frequency: not assumed. The origin is moved to
	 * the first record in finish(). */
	struct pmt_clock clk = { .name = "x86-tsc", .freq_hz = s->cpu_hz, .raw_base = 0,
				 .ref_base_ns = 0, .mult_num = 1000000000ull,
				 .mult_den = s->cpu_hz };
	if ((rc = pmt_writer_add_clock(w, &clk)) < 0)
		return rc;
	s->r->host_clock = (uint16_t)rc;
	struct pmt_level host = { .kind = PMT_LEVEL_HOST, .clock = (uint16_t)rc,
				  .name = "host", .ncpus = s->ncpus, .guest_id = -1 };
	if ((rc = pmt_writer_add_level(w, &host)) < 0)
		return rc;
	s->r->host_level = (uint16_t)rc;
	if (rc != 0)
		return PMT_ESTATE;      /* the decoder writes the host level as 0 */
	xc_domaininfo_t *info = calloc(XEN_MAX_DOMAINS, sizeof(*info));
	if (!info)
		return PMT_ENOMEM;
	int n = xc_domain_getinfolist(s->xch, 0, XEN_MAX_DOMAINS, info);
	uint32_t nlevels = 1;
	char name[128], comm[160];
	for (int i = 0; i < n && rc >= 0; i++) {
		uint32_t dom = info[i].domain, nv = info[i].max_vcpu_id + 1;
		if (dom < XEN_DOMID_IDLE)
			s->described[dom] = 1;
		domain_name(dom, name, sizeof(name));
		for (uint32_t v = 0; v < nv && rc >= 0; v++) {
			snprintf(comm, sizeof(comm), "d%uv%u", dom, v);
			struct pmt_task t = { .level = 0, .tid = xen_entity(dom, v),
					      .pid = xen_entity(dom, 0), .flags = PMT_TASK_VCPU,
					      .comm = comm };
			rc = pmt_writer_add_task(w, &t);
		}
		char key[48];
		snprintf(key, sizeof(key), "xen.domain.%u", dom);
		if (rc >= 0)
			rc = pmt_writer_set_meta(w, key, name);
		/* Every domain gets a guest level bound to its vCPUs (the two-level
		 * analyses need it); only HVM guests can fill it (HVMOP_xentrace). */
		if (rc < 0 || nv > PMT_MAX_CPUS || nlevels == PMT_MAX_LEVELS)
			continue;
		nlevels++;
		struct pmt_level gl = { .kind = PMT_LEVEL_GUEST, .clock = s->r->host_clock,
					.name = name, .ncpus = nv, .guest_id = (int32_t)dom };
		rc = pmt_writer_add_level(w, &gl);
		if (rc < 0)
			break;
		uint16_t level = (uint16_t)rc;
		xen_decoder_set_guest_level(&s->d, (uint16_t)dom, level, nv);
		for (uint32_t v = 0; v < nv && rc >= 0; v++) {
			struct pmt_binding b = { .guest_level = level, .host_level = 0,
						 .guest_cpu = v, .host_tid = xen_entity(dom, v) };
			rc = pmt_writer_add_binding(w, &b);
		}
	}
	free(info);
	char mask[16];
	snprintf(mask, sizeof(mask), "0x%08x", evt_mask);
	if (rc >= 0)
		rc = pmt_writer_set_meta(w, "xen.event_mask", mask);
	return rc < 0 ? rc : 0;
}

static void xen_close(struct pmt_rec *r, void *state);

static int xen_open(struct pmt_rec *r, void **state)
{
	if (!is_dom0()) {
		pmt_rec_err(r, "--xen: this machine is not a Xen dom0 "
			    "(/proc/xen/capabilities does not say control_d)");
		return -1;
	}
	struct xen_live *s = calloc(1, sizeof(*s));
	if (!s) {
		pmt_rec_err(r, "--xen: out of memory");
		return -1;
	}
	*state = s;
	s->r = r;
	s->fd = -1;
	s->xch = xc_interface_open(NULL, NULL, 0);
	if (!s->xch) {
		pmt_rec_err(r, "--xen: cannot open the Xen control interface: %s",
			    strerror(errno));
		return -1;
	}
	xc_physinfo_t pi;
	memset(&pi, 0, sizeof(pi));
	if (xc_physinfo(s->xch, &pi) < 0 || pi.cpu_khz == 0) {
		pmt_rec_err(r, "--xen: cannot read the host's physical CPUs: %s",
			    strerror(errno));
		return -1;
	}
	s->ncpus = pi.max_cpu_id + 1;
	s->cpu_hz = (uint64_t)pi.cpu_khz * 1000u;
	if (s->ncpus > XEN_MAX_PCPUS) {
		pmt_rec_err(r, "--xen: %u pCPUs: at most %u are supported", s->ncpus,
			    XEN_MAX_PCPUS);
		return -1;
	}
	/* Masks before enabling, so that nothing else is recorded. */
	xc_cpumap_t map = xc_cpumap_alloc(s->xch);
	if (map) {
		for (uint32_t c = 0; c < s->ncpus; c++)
			if (pmt_rec_cpu_wanted(r, c))
				map[c / 8] |= (uint8_t)(1u << (c % 8));
		xc_tbuf_set_cpu_mask(s->xch, map);
		free(map);
	}
	if (xc_tbuf_set_evt_mask(s->xch, evt_mask) < 0) {
		pmt_rec_err(r, "--xen: cannot set the trace event mask: %s", strerror(errno));
		return -1;
	}
	unsigned long pages = r->buffer_kb ? (r->buffer_kb + 3) / 4 : XEN_DEFAULT_PAGES;
	unsigned long mfn = 0, size = 0;
	if (xc_tbuf_enable(s->xch, pages, &mfn, &size) < 0) {
		pmt_rec_err(r, "--xen: cannot enable Xen's trace buffers: %s", strerror(errno));
		return -1;
	}
	s->enabled = 1;
	s->tinfo_size = size;
	s->tinfo = xc_map_foreign_range(s->xch, DOMID_XEN, (int)size, PROT_READ, mfn);
	if (!s->tinfo) {
		pmt_rec_err(r, "--xen: cannot map t_info: %s", strerror(errno));
		return -1;
	}
	const uint32_t **mfns = calloc(s->ncpus, sizeof(*mfns));
	s->tb = calloc(s->ncpus, sizeof(*s->tb));
	s->fed = calloc(s->ncpus, sizeof(*s->fed));
	if (!mfns || !s->tb || !s->fed) {
		free(mfns);
		pmt_rec_err(r, "--xen: out of memory");
		return -1;
	}
	int np = xen_tinfo_parse(s->tinfo, s->tinfo_size, s->ncpus, mfns);
	if (np <= 0) {
		free(mfns);
		pmt_rec_err(r, "--xen: t_info is inconsistent (pages per CPU, buffer lists)");
		return -1;
	}
	s->pages = (uint32_t)np;
	s->data_size = s->pages * XEN_TBUF_PAGE - XEN_TBUF_HDR;
	xen_pfn_t *pfn = calloc(s->pages, sizeof(*pfn));
	for (uint32_t c = 0; pfn && c < s->ncpus; c++) {
		if (!mfns[c])
			continue;       /* an offline pCPU has no buffer */
		for (uint32_t j = 0; j < s->pages; j++)
			pfn[j] = mfns[c][j];
		s->tb[c] = xc_map_foreign_pages(s->xch, DOMID_XEN, PROT_READ | PROT_WRITE,
						pfn, (int)s->pages);
		if (!s->tb[c]) {
			pmt_rec_err(r, "--xen: cannot map the trace buffer of pCPU %u: %s", c,
				    strerror(errno));
			free(pfn);
			free(mfns);
			return -1;
		}
	}
	free(pfn);
	free(mfns);
	if (xen_merge_init(&s->m, s->ncpus) < 0 ||
	    xen_decoder_init(&s->d, s->ncpus, 1, emit_live, s) < 0) {
		pmt_rec_err(r, "--xen: out of memory");
		return -1;
	}
	s->merge_ok = s->decoder_ok = 1;
	s->core = (struct xen_live_core){ .tb = s->tb, .ncpus = s->ncpus,
					  .data_size = s->data_size, .fed = s->fed,
					  .m = &s->m, .d = &s->d };
	int rc = describe(s);
	if (rc < 0) {
		pmt_rec_err(r, "--xen: cannot describe the host: %s", pmt_strerror(rc));
		return -1;
	}
	/* Wake-ups: Xen raises VIRQ_TBUF when a buffer is half full. */
	s->xce = xenevtchn_open(NULL, 0);
	if (s->xce) {
		s->port = xenevtchn_bind_virq(s->xce, VIRQ_TBUF);
		s->fd = s->port >= 0 ? xenevtchn_fd(s->xce) : -1;
		if (s->fd >= 0 && pmt_rec_watch(r, &pmt_source_xen, s, s->fd) < 0)
			s->fd = -1;
	}
	if (s->fd < 0)
		pmt_rec_warn(r, "--xen: no VIRQ_TBUF event channel: polling only");
	return 0;
}

/* Discard what the buffers held before the recording started. */
static int xen_start(struct pmt_rec *r, void *state)
{
	struct xen_live *s = state;
	for (uint32_t c = 0; c < s->ncpus; c++) {
		if (!s->tb[c])
			continue;
		volatile uint32_t *h = s->tb[c];
		h[0] = h[1];
	}
	return 0;
}

static int drain(struct xen_live *s, int final)
{
	long n = xen_live_round(&s->core, final);
	if (n == -2) {
		pmt_rec_err(s->r, "--xen: out of memory");
		return -1;
	}
	return n < 0 ? -1 : 0;  /* a write error: main reports it */
}

static int xen_ready(struct pmt_rec *r, void *state, int fd)
{
	struct xen_live *s = state;
	if (fd >= 0 && fd == s->fd) {
		xenevtchn_port_or_error_t p = xenevtchn_pending(s->xce);
		if (p >= 0)
			xenevtchn_unmask(s->xce, (evtchn_port_t)p);
	}
	return drain(s, 0);
}

static int xen_stop(struct pmt_rec *r, void *state)
{
	struct xen_live *s = state;
	if (s->enabled) {
		xc_tbuf_disable(s->xch);
		s->enabled = 0;
	}
	return drain(s, 1);
}

static int xen_finish(struct pmt_rec *r, void *state)
{
	struct xen_live *s = state;
	pmt_writer *w = r->w;
	if (s->core.have_first) {
		struct pmt_clock clk = { .name = "x86-tsc", .freq_hz = s->cpu_hz,
					 .raw_base = s->core.first_tsc, .ref_base_ns = 0,
					 .mult_num = 1000000000ull, .mult_den = s->cpu_hz };
		pmt_writer_update_clock(w, r->host_clock, &clk);
	}
	const struct xen_decode_stats *st = &s->d.st;
	char buf[32];
#define META(k, v) (snprintf(buf, sizeof(buf), "%" PRIu64, (uint64_t)(v)), \
		    pmt_writer_set_meta(w, k, buf))
	META("xen.records", st->records);
	META("xen.switches", st->switches);
	META("xen.wakeups", st->wakeups);
	META("xen.lost_records", st->lost_records);
	META("xen.lost_events", st->lost_events);
	META("xen.skipped_records", st->skipped);
	META("xen.guest_events", st->guest_events);
	META("xen.guest_dropped", st->guest_dropped);
	META("xen.guest_late", st->guest_late);
	META("xen.guest_time_slack_max_ns", (double)st->guest_slack_max * 1e9 / (double)s->cpu_hz);
	META("xen.guest_time_slack_mean_ns", st->guest_events ? (double)st->guest_slack_sum * 1e9 /
	     (double)s->cpu_hz / (double)st->guest_events : 0);
	META("xen.bad_windows", s->core.bad_windows);
	META("xen.buffer_pages", s->pages);
#undef META
	/* vCPUs of domains created during the run: late tasks. */
	for (uint32_t d = 0; d < XEN_DOMID_IDLE; d++) {
		const struct xen_domain_info *di = xen_decoder_domain(&s->d, (uint16_t)d);
		for (uint32_t v = 0; di && !s->described[d] && v < di->nvcpu; v++) {
			if (!di->vcpu[v].seen)
				continue;
			char comm[32];
			snprintf(comm, sizeof(comm), "d%uv%u", d, v);
			struct pmt_task t = { .level = 0, .tid = xen_entity(d, v),
					      .pid = xen_entity(d, 0), .flags = PMT_TASK_VCPU,
					      .comm = comm };
			pmt_writer_add_task(w, &t);
		}
	}
	if (s->core.bad_windows)
		pmt_rec_warn(r, "--xen: %" PRIu64 " trace buffer windows had impossible "
			     "cons/prod and were skipped", s->core.bad_windows);
	return 0;
}

static void xen_close(struct pmt_rec *r, void *state)
{
	struct xen_live *s = state;
	if (!s)
		return;
	if (s->fd >= 0)
		pmt_rec_unwatch(r, s->fd);
	if (s->xce) {
		if (s->port >= 0)
			xenevtchn_unbind(s->xce, (evtchn_port_t)s->port);
		xenevtchn_close(s->xce);
	}
	if (s->enabled && s->xch)
		xc_tbuf_disable(s->xch);
	for (uint32_t c = 0; s->tb && c < s->ncpus; c++)
		if (s->tb[c])
			munmap(s->tb[c], (size_t)s->pages * XEN_TBUF_PAGE);
	if (s->tinfo)
		munmap(s->tinfo, s->tinfo_size);
	if (s->merge_ok)
		xen_merge_release(&s->m);
	if (s->decoder_ok)
		xen_decoder_release(&s->d);
	free(s->tb);
	free(s->fed);
	if (s->xch)
		xc_interface_close(s->xch);
	free(s);
}

const struct pmt_source pmt_source_xen = {
	.name = "xen",
	.opts = xen_opts,
	.option = xen_option,
	.active = xen_active,
	.open = xen_open,
	.start = xen_start,
	.ready = xen_ready,
	.stop = xen_stop,
	.finish = xen_finish,
	.close = xen_close,
};
