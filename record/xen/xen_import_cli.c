/*
 * xen_import_cli.c - the `xentrace` row of pmt-import's table of formats:
 *   pmt-import xentrace FILE -o OUT.pmt [--cpu-hz HZ] [--tolerant] [-v]
 * Damage is one line `FILE: offset N: what was expected` (as every tool) and
 * exit status 1; with --tolerant the same line ends with what was kept and
 * the file holds everything before the damage (exit status 0).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "record/import/import.h"
#include "record/xen/xen_import.h"

int pmt_import_xentrace(const struct pmt_import_args *a)
{
	struct pmt_xen_import_opts o = { .tolerant = a->tolerant };
	if (a->cpu_hz && pmt_import_parse_hz(a->cpu_hz, &o.cpu_hz) < 0) {
		pmt_import_err("--cpu-hz: '%s' is not a frequency between 1e6 and 1e11 Hz (see 'pmt-import --help')",
			       a->cpu_hz);
		return 2;
	}
	struct pmt_xen_import_result res;
	char msg[256];
	int rc = pmt_xen_import(a->in, a->out, &o, &res, msg, sizeof(msg));
	if (rc < 0) {
		if (res.damaged) /* damage: FILE: offset N: what, as every tool */
			fprintf(stderr, "%s: %s\n", a->in, msg);
		else
			pmt_import_err("%s", msg);
		return 1;
	}
	if (res.damaged)
		fprintf(stderr, "%s: %s (--tolerant: kept what precedes it)\n", a->in, msg);
	const struct xen_decode_stats *s = &res.st;
	uint64_t events = s->switches + s->wakeups + s->lost_records + s->guest_events;
	fprintf(stderr, "pmt-import: wrote '%s': %" PRIu64 " events, %" PRIu64 " lost, %"
		PRIu64 " records skipped\n", a->out, events, s->lost_events,
		s->skipped + s->guest_dropped + s->malformed);
	if (a->verbose)
		fprintf(stderr, "pmt-import: '%s': %" PRIu64 " windows, %u pCPUs, %" PRIu64
			" records (%" PRIu64 " without TSC, %" PRIu64 " wrap), %" PRIu64
			" switches, %" PRIu64 " wakeups, %u guest levels, %" PRIu64
			" guest events, TSC at %" PRIu64 " Hz%s\n", a->in, res.windows, res.ncpus,
			s->records, s->no_tsc, s->wrap_records, s->switches, s->wakeups,
			res.guest_levels, s->guest_events,
			o.cpu_hz ? o.cpu_hz : (uint64_t)PMT_XEN_DEFAULT_CPU_HZ,
			o.cpu_hz ? "" : " (assumed)");
	return 0;
}
