/*
 * xen_merge.h - merge the per-pCPU record streams of a Xen trace into one
 * sequence ordered by TSC.
 *
 * Each pCPU's records are a list of byte segments (a xentrace file's
 * windows, borrowed from a mapping; or copies of what a live consumer took
 * from a trace buffer). A record without a TSC takes its pCPU's last TSC,
 * as Xen means it to; at the start of a stream it takes the first TSC that
 * follows it. A TSC that goes backwards within one pCPU is raised to the
 * last one (and counted), so the output never goes backwards.
 * Ties are broken by pCPU number, then by stream order.
 */
#ifndef PMT_XEN_MERGE_H
#define PMT_XEN_MERGE_H

#include "record/xen/xen_rec.h"

struct xen_seg {
	const uint8_t *p;
	uint32_t len;
	uint64_t off;       /* offset of p[0] (file offset, or feed position)     */
	uint8_t *owned;     /* p when the merge owns (and frees) the bytes        */
};

struct xen_pstream {
	struct xen_seg *seg;
	size_t nseg, cap, cur;  /* segments; cur = the one being read              */
	size_t pos;             /* in seg[cur]                                    */
	uint64_t last_tsc;
	int have_tsc;
	int has_head;           /* head holds the stream's next record            */
	uint64_t tail_tsc;      /* TSC of the last record added with one          */
	struct xen_rec head;
};

struct xen_merge {
	struct xen_pstream *s;
	uint32_t ncpus;
	uint32_t *heap;         /* pCPUs with a head, min-heap on (tsc, cpu)      */
	size_t nheap;
	uint64_t backwards;     /* records whose TSC was raised to the last one   */
	uint64_t no_tsc_dropped;/* TSC-less records with no TSC on their pCPU     */
	uint64_t partial;       /* bytes of partial records at segment ends       */
	int finalized;          /* the final call was made                        */
};

int xen_merge_init(struct xen_merge *m, uint32_t ncpus);
void xen_merge_release(struct xen_merge *m);

/*
 * Append len bytes of pCPU cpu's records (whole records: a partial one at
 * the end is skipped and counted in m->partial). copy: 1 to copy them, 0 to
 * borrow them (they must stay valid until consumed), 2 to take them (p was
 * malloc'ed; the merge frees it, also when this call fails). Returns 0 or
 * -1 (out of memory, cpu out of range).
 */
int xen_merge_add(struct xen_merge *m, uint32_t cpu, const uint8_t *p, size_t len,
		  uint64_t off, int copy);

/*
 * Next record with tsc <= limit into *out: returns 1, or 0 when none is
 * available. final: no more bytes will come (a stream's TSC-less records
 * that never get a TSC are then dropped instead of waited for).
 */
int xen_merge_next(struct xen_merge *m, uint64_t limit, int final, struct xen_rec *out);

/* Highest TSC of the records added so far on any pCPU (0: none). */
uint64_t xen_merge_tail(const struct xen_merge *m);

/* TSC of the next record (UINT64_MAX when none is ready). */
uint64_t xen_merge_peek(const struct xen_merge *m);

#endif
