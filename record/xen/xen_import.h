/*
 * xen_import.h - import a xentrace file into a .pmt file (pmt-import xentrace).
 *
 * The file is mapped, its windows indexed and checked (xen_rec.h), then
 * decoded twice by the same decoder: a first pass learns the vCPUs and the
 * domains that wrote guest records (the .pmt header needs them), the second
 * writes the events. The TSC frequency is not in a xentrace file: it is
 * given (--cpu-hz) or assumed at 2.4 GHz as xenalyze does, and the clock
 * records which (PMT_CLOCK_FREQ_ASSUMED).
 */
#ifndef PMT_XEN_IMPORT_H
#define PMT_XEN_IMPORT_H

#include "pmt.h"
#include "record/xen/xen_decode.h"

#define PMT_XEN_DEFAULT_CPU_HZ 2400000000ull

struct pmt_xen_import_opts {
	uint64_t cpu_hz;        /* 0: PMT_XEN_DEFAULT_CPU_HZ, flagged as assumed   */
	int tolerant;           /* import what precedes damage instead of failing */
	const struct pmt_writer_opts *wopts; /* NULL: defaults                    */
	const char *source_name;  /* metadata import_source (pmt_xen_import: the
				     input path when NULL)                        */
};

struct pmt_xen_import_result {
	struct xen_decode_stats st;
	uint64_t windows;
	uint32_t ncpus;         /* pCPUs (highest number + 1)                    */
	uint32_t guest_levels;
	uint64_t first_tsc, last_tsc;
	uint64_t backwards;     /* TSCs raised to their pCPU's last (xen_merge)   */
	uint64_t no_tsc_dropped;
	int damaged;            /* damage found (tolerant: what precedes it is in) */
	uint64_t damage_off;
	char why[160];
};

/*
 * Import in (a xentrace file) into out. Returns 0, or a negative PMT_E*
 * code with a one-line reason in msg ("offset N: what was expected" for
 * damage, PMT_ECORRUPT; no output file is left then). With opts->tolerant
 * damage is not an error: res->damaged says it, msg holds the same line and
 * the output holds everything before the damage. res may be NULL.
 */
int pmt_xen_import(const char *in, const char *out, const struct pmt_xen_import_opts *opts,
		   struct pmt_xen_import_result *res, char *msg, size_t msglen);

/* The same on a xentrace image in memory. */
int pmt_xen_import_mem(const uint8_t *data, size_t len, const char *out,
		       const struct pmt_xen_import_opts *opts,
		       struct pmt_xen_import_result *res, char *msg, size_t msglen);


#endif
