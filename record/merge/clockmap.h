/*
 * clockmap.h - how pmt-merge maps one guest's clock onto the host's reference
 * clock: a given offset, KVM's TSC offset and scaling recorded by the host,
 * or the guest's sync pulses matched to the host's record of the same port
 * writes (docs/VM.md). Owner: the two-level area.
 */
#ifndef PMT_MERGE_CLOCKMAP_H
#define PMT_MERGE_CLOCKMAP_H

#include <stddef.h>
#include <stdint.h>

#include "pmt.h"
#include "record/merge/fit.h"

struct pmt_map_in {
	pmt_reader *host;
	uint16_t host_level;     /* the host's CPUs in the host file               */
	pmt_reader *guest;
	uint16_t guest_level;    /* the guest's CPUs in the guest file             */
	const char *name;        /* guest name (messages, KVM metadata keys)       */
	const uint32_t *tids;    /* vCPU n is host thread tids[n]                  */
	uint32_t ntids;
	int have_offset;         /* --clock-offset given                           */
	int64_t offset_ns;       /* host ns = guest ns (its own clock) + offset    */
};

struct pmt_map_out {
	struct pmt_clock clock;  /* the guest clock, mapped onto the host's        */
	char how[200];           /* one line: the method and its figures           */
	size_t pulses;           /* pulses used (0 unless synced)                  */
	size_t cpu_checked;      /* pulses whose guest CPU matched the writer      */
	struct pmt_fit fit;
};

/* 0, or -1 with a one-line reason (no pulses, counts that differ, empty
 * intersection, a pulse written by another vCPU's thread...). */
int pmt_map_guest_clock(const struct pmt_map_in *in, struct pmt_map_out *out,
			char *why, size_t whylen);

#endif
