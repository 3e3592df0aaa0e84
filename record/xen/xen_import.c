/*
 * xen_import.c - xentrace file -> .pmt (see xen_import.h).
 */
#include "record/xen/xen_import.h"
#include "record/xen/xen_merge.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

__attribute__((format(printf, 3, 4)))
static void say(char *msg, size_t msglen, const char *fmt, ...)
{
	if (!msg || !msglen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, msglen, fmt, ap);
	va_end(ap);
}

static uint64_t gcd64(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

/* Merge the indexed windows and feed the decoder; returns 0 or <0. */
static int run_pass(const uint8_t *data, const struct xen_index *ix, struct xen_decoder *d,
		    struct pmt_xen_import_result *res)
{
	struct xen_merge m;
	if (xen_merge_init(&m, ix->ncpus) < 0)
		return PMT_ENOMEM;
	int rc = 0;
	for (size_t i = 0; i < ix->nwin && rc == 0; i++) {
		const struct xen_window *w = &ix->win[i];
		if (xen_merge_add(&m, w->cpu, data + w->offset, w->size, w->offset, 0) < 0)
			rc = PMT_ENOMEM;
	}
	struct xen_rec r;
	int first = 1;
	while (rc == 0 && xen_merge_next(&m, UINT64_MAX, 1, &r) == 1) {
		if (first) {
			res->first_tsc = r.tsc;
			first = 0;
		}
		res->last_tsc = r.tsc;
		rc = xen_decoder_feed(d, &r);
	}
	res->backwards = m.backwards;
	res->no_tsc_dropped = m.no_tsc_dropped;
	xen_merge_release(&m);
	return rc;
}

/*
 * The first pass needs no merge: what it learns (the vCPUs named, the
 * domains whose vCPUs wrote guest records, the first TSC) depends only on
 * each pCPU's own order, which is file order. Returns 0 or <0.
 */
static int scan_pass(const uint8_t *data, const struct xen_index *ix, struct xen_decoder *d,
		     struct pmt_xen_import_result *res)
{
	int first = 1;
	for (size_t i = 0; i < ix->nwin; i++) {
		const struct xen_window *w = &ix->win[i];
		struct xen_rec r;
		size_t pos = 0, n;
		while ((n = xen_rec_parse(data + w->offset + pos, w->size - pos, &r)) > 0) {
			pos += n;
			r.cpu = w->cpu;
			if (r.has_tsc && (first || r.tsc < res->first_tsc)) {
				res->first_tsc = r.tsc;
				first = 0;
			}
			int rc = xen_decoder_feed(d, &r);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

static int emit_writer(void *opaque, const struct pmt_event *ev)
{
	return pmt_writer_append(opaque, ev);
}

static void domain_name(uint32_t dom, char *buf, size_t len)
{
	/* dom0's name is fixed by the toolstack; others are not in the trace. */
	if (dom == 0)
		snprintf(buf, len, "Domain-0");
	else
		snprintf(buf, len, "d%u", dom);
}

static int set_meta_u64(pmt_writer *w, const char *key, uint64_t v)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return pmt_writer_set_meta(w, key, buf);
}

/* Header of the .pmt: clock, levels, bindings, vCPU tasks, metadata. */
static int describe(pmt_writer *w, const struct xen_decoder *pass1, struct xen_decoder *d,
		    const struct pmt_xen_import_result *res, uint64_t hz, int assumed,
		    const char *src)
{
	int rc;
	uint64_t g = gcd64(1000000000ull, hz);
	struct pmt_clock clk = {
		.name = "x86-tsc", .freq_hz = hz, .raw_base = res->first_tsc,
		.ref_base_ns = 0, .mult_num = 1000000000ull / g, .mult_den = hz / g,
		.uncertainty_ns = 0, .flags = assumed ? PMT_CLOCK_FREQ_ASSUMED : 0,
	};
	if ((rc = pmt_writer_add_clock(w, &clk)) < 0)
		return rc;
	struct pmt_level host = { .kind = PMT_LEVEL_HOST, .clock = 0, .name = "host",
				  .ncpus = res->ncpus, .topo = NULL, .guest_id = -1 };
	if ((rc = pmt_writer_add_level(w, &host)) < 0)
		return rc;
	/* One guest level per domain, bound to its vCPUs: its guest events when
	 * its agent wrote some, none otherwise (the two-level analyses then
	 * work from the host's view of the domain). */
	char name[64];
	uint32_t nlevels = 1;
	for (uint32_t dom = 0; dom < XEN_DOMID_IDLE; dom++) {
		const struct xen_domain_info *di = xen_decoder_domain(pass1, (uint16_t)dom);
		if (!di || nlevels == PMT_MAX_LEVELS)
			continue;
		nlevels++;
		uint32_t n = di->guest_ncpus > di->nvcpu ? di->guest_ncpus : di->nvcpu;
		if (n > PMT_MAX_CPUS)
			n = PMT_MAX_CPUS;
		domain_name(dom, name, sizeof(name));
		struct pmt_level gl = { .kind = PMT_LEVEL_GUEST, .clock = 0, .name = name,
					.ncpus = n, .topo = NULL, .guest_id = (int32_t)dom };
		rc = pmt_writer_add_level(w, &gl);
		if (rc < 0)
			return rc;
		uint16_t level = (uint16_t)rc;
		xen_decoder_set_guest_level(d, (uint16_t)dom, level, n);
		for (uint32_t v = 0; v < n; v++) {
			struct pmt_binding b = { .guest_level = level, .host_level = 0,
						 .guest_cpu = v, .host_tid = xen_entity(dom, v) };
			if ((rc = pmt_writer_add_binding(w, &b)) < 0)
				return rc;
		}
	}
	for (uint32_t dom = 0; dom < XEN_DOMID_IDLE; dom++) {
		const struct xen_domain_info *di = xen_decoder_domain(pass1, (uint16_t)dom);
		if (!di)
			continue;
		domain_name(dom, name, sizeof(name));
		char key[48];
		snprintf(key, sizeof(key), "xen.domain.%u", dom);
		if ((rc = pmt_writer_set_meta(w, key, name)) < 0)
			return rc;
		for (uint32_t v = 0; v < di->nvcpu; v++) {
			if (!di->vcpu[v].seen)
				continue;
			char comm[32];
			snprintf(comm, sizeof(comm), "d%uv%u", dom, v);
			struct pmt_task t = { .level = 0, .tid = xen_entity(dom, v),
					      .pid = xen_entity(dom, 0),
					      .flags = PMT_TASK_VCPU, .comm = comm };
			if ((rc = pmt_writer_add_task(w, &t)) < 0)
				return rc;
		}
	}
	char hzs[32];
	snprintf(hzs, sizeof(hzs), "%" PRIu64, hz);
	if ((rc = pmt_writer_set_meta(w, "recorder", "pmt-import")) < 0 ||
	    (rc = pmt_writer_set_meta(w, "import_format", "xentrace")) < 0 ||
	    (src && (rc = pmt_writer_set_meta(w, "import_source", src)) < 0) ||
	    (rc = pmt_writer_set_meta(w, "xen.cpu_hz", hzs)) < 0 ||
	    (rc = pmt_writer_set_meta(w, "xen.cpu_hz_from", assumed ?
				      "assumed (xenalyze's default)" : "--cpu-hz")) < 0)
		return rc;
	return 0;
}

/* Counters of the decoding, as metadata (docs/XEN.md lists them). */
static int stats_meta(pmt_writer *w, const struct pmt_xen_import_result *res, uint64_t hz)
{
	const struct xen_decode_stats *s = &res->st;
	/* How far a guest event may be from its time (it takes its pCPU's
	 * previous TSC; the next one bounds it): ns, max and mean. */
	uint64_t slack_max = (uint64_t)((double)s->guest_slack_max * 1e9 / (double)hz);
	uint64_t slack_mean = s->guest_events ? (uint64_t)((double)s->guest_slack_sum * 1e9 /
				(double)hz / (double)s->guest_events) : 0;
	struct { const char *k; uint64_t v; } m[] = {
		{ "xen.windows", res->windows }, { "xen.records", s->records },
		{ "xen.switches", s->switches }, { "xen.wakeups", s->wakeups },
		{ "xen.lost_records", s->lost_records }, { "xen.lost_events", s->lost_events },
		{ "xen.wrap_records", s->wrap_records }, { "xen.no_tsc_records", s->no_tsc },
		{ "xen.skipped_records", s->skipped }, { "xen.malformed_records", s->malformed },
		{ "xen.inconsistent_switches", s->inconsistent },
		{ "xen.idle_state_changes", s->idle_changes },
		{ "xen.guest_events", s->guest_events }, { "xen.guest_dropped", s->guest_dropped },
		{ "xen.guest_vcpu_mismatch", s->guest_vcpu_mismatch },
		{ "xen.guest_time_slack_max_ns", slack_max },
		{ "xen.guest_time_slack_mean_ns", slack_mean },
		{ "xen.tsc_backwards", res->backwards },
		{ "xen.no_tsc_dropped", res->no_tsc_dropped },
	};
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		int rc = set_meta_u64(w, m[i].k, m[i].v);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int pmt_xen_import_mem(const uint8_t *data, size_t len, const char *out,
		       const struct pmt_xen_import_opts *opts,
		       struct pmt_xen_import_result *res, char *msg, size_t msglen)
{
	struct pmt_xen_import_opts dflt = { 0 };
	struct pmt_xen_import_result local;
	if (!opts)
		opts = &dflt;
	if (!res)
		res = &local;
	memset(res, 0, sizeof(*res));
	if (msg && msglen)
		msg[0] = 0;

	struct xen_index ix;
	int dmg = xen_index_build(data, len, &ix);
	if (dmg < 0) {
		say(msg, msglen, "out of memory");
		return PMT_ENOMEM;
	}
	if (dmg == 0 && ix.nwin == 0) {
		dmg = 1;
		ix.damage_off = 0;
		snprintf(ix.why, sizeof(ix.why), "expected a TRC_TRACE_CPU_CHANGE record, "
			 "the file is empty");
	}
	if (dmg) {
		res->damaged = 1;
		res->damage_off = ix.damage_off;
		snprintf(res->why, sizeof(res->why), "%s", ix.why);
		say(msg, msglen, "offset %" PRIu64 ": %s", ix.damage_off, ix.why);
		if (!opts->tolerant || ix.nwin == 0) {
			xen_index_release(&ix);
			return PMT_ECORRUPT;
		}
	}
	res->windows = ix.nwin;
	res->ncpus = ix.ncpus;
	uint64_t hz = opts->cpu_hz ? opts->cpu_hz : PMT_XEN_DEFAULT_CPU_HZ;

	/* Pass 1: which records exist, which vCPUs, which domains wrote guest
	 * records; pass 2: the same decoding into the writer. */
	int use_runstate = 0;
	for (size_t i = 0; i < ix.nwin && !use_runstate; i++) {
		const struct xen_window *w = &ix.win[i];
		struct xen_rec r;
		size_t pos = 0, n;
		while ((n = xen_rec_parse(data + w->offset + pos, w->size - pos, &r)) > 0) {
			pos += n;
			if ((r.event & XEN_TRC_RUNSTATE_MASK) == XEN_TRC_RUNSTATE_BASE) {
				use_runstate = 1;
				break;
			}
		}
	}
	struct xen_decoder d1, d2;
	int rc = xen_decoder_init(&d1, ix.ncpus, use_runstate, NULL, NULL);
	if (rc < 0) {
		xen_index_release(&ix);
		say(msg, msglen, "out of memory");
		return rc;
	}
	rc = scan_pass(data, &ix, &d1, res);
	pmt_writer *w = NULL;
	if (rc == 0)
		w = pmt_writer_open(out, opts->wopts, &rc);
	if (!w) {
		say(msg, msglen, "cannot write '%s': %s", out,
		    rc == PMT_EIO && errno ? strerror(errno) : pmt_strerror(rc));
		xen_decoder_release(&d1);
		xen_index_release(&ix);
		return rc < 0 ? rc : PMT_EIO;
	}
	rc = xen_decoder_init(&d2, ix.ncpus, use_runstate, emit_writer, w);
	if (rc == 0)
		rc = describe(w, &d1, &d2, res, hz, opts->cpu_hz == 0, opts->source_name);
	xen_decoder_release(&d1);
	if (rc == 0)
		rc = pmt_writer_begin(w);
	if (rc == 0)
		rc = run_pass(data, &ix, &d2, res);
	res->st = d2.st;
	for (uint32_t dom = 0; dom < XEN_DOMID_IDLE; dom++)
		if (d2.guest_level[dom])
			res->guest_levels++;
	if (rc == 0)
		rc = stats_meta(w, res, hz);
	if (rc == 0 && res->damaged) {
		char buf[200];
		snprintf(buf, sizeof(buf), "offset %" PRIu64 ": %s", res->damage_off, res->why);
		rc = pmt_writer_set_meta(w, "xen.damage", buf);
	}
	xen_decoder_release(&d2);
	xen_index_release(&ix);
	int crc = pmt_writer_close(w);
	if (rc == 0)
		rc = crc;
	if (rc < 0) {
		say(msg, msglen, "cannot write '%s': %s", out, pmt_strerror(rc));
		struct stat st; /* never remove /dev/null or a FIFO given as -o */
		if (stat(out, &st) == 0 && S_ISREG(st.st_mode))
			unlink(out);
		return rc;
	}
	return 0;
}

int pmt_xen_import(const char *in, const char *out, const struct pmt_xen_import_opts *opts,
		   struct pmt_xen_import_result *res, char *msg, size_t msglen)
{
	if (res)
		memset(res, 0, sizeof(*res));
	int fd = open(in, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		say(msg, msglen, "cannot open '%s': %s", in, strerror(errno));
		return PMT_EIO;
	}
	struct stat sb;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		say(msg, msglen, "'%s': not a regular file", in);
		close(fd);
		return PMT_EIO;
	}
	size_t len = (size_t)sb.st_size;
	const uint8_t *data = NULL;
	void *map = MAP_FAILED;
	if (len > 0) {
		map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map == MAP_FAILED) {
			say(msg, msglen, "cannot map '%s': %s", in, strerror(errno));
			close(fd);
			return PMT_EIO;
		}
		data = map;
	}
	close(fd);
	static const uint8_t empty[1];
	struct pmt_xen_import_opts o = { 0 };
	if (opts)
		o = *opts;
	if (!o.source_name)
		o.source_name = in;
	int rc = pmt_xen_import_mem(data ? data : empty, len, out, &o, res, msg, msglen);
	if (map != MAP_FAILED)
		munmap(map, len);
	return rc;
}
