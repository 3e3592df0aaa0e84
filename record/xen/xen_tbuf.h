/*
 * xen_tbuf.h - Xen's per-pCPU trace buffers as a consumer sees them, pure
 * functions over memory laid out as Xen lays it (tested on in-memory copies;
 * the live source runs them on the mapped pages).
 *
 *   t_info:  u16 pages per CPU, u16 mfn_offset[NR_CPUS] (in u32 words from
 *            the start of t_info; 0 = that CPU has no buffer), then the u32
 *            MFN lists.
 *   t_buf:   u32 cons, u32 prod (byte offsets modulo 2 * data_size), then
 *            data_size = pages * 4096 - 8 bytes of records. Xen pads with a
 *            TRC_TRACE_WRAP_BUFFER record rather than split a record across
 *            the end, and writes TRC_LOST_RECORDS when it had to drop some.
 */
#ifndef PMT_XEN_TBUF_H
#define PMT_XEN_TBUF_H

#include <stddef.h>
#include <stdint.h>

#include "record/xen/xen_decode.h"
#include "record/xen/xen_merge.h"

#define XEN_TBUF_PAGE 4096u
#define XEN_TBUF_HDR 8u     /* sizeof(struct t_buf)                          */

/* The part of a buffer between cons and prod. */
struct xen_tbuf_win {
	uint32_t start;     /* cons % data_size                                */
	uint32_t len1;      /* bytes from start (up to the end of the data)     */
	uint32_t len2;      /* bytes from the start of the data (after a wrap)  */
	uint32_t new_cons;  /* the value to publish once they are read          */
};

/*
 * Window between cons and prod of a buffer of data_size bytes, at most
 * max_bytes long (0: no limit), cut after the last whole record that fits
 * (data: the buffer's data area, read to find record boundaries; needed only
 * when max_bytes cuts the window). Returns the window's length (0: empty),
 * or -1 when cons/prod are impossible (>= 2 * data_size, or more than
 * data_size apart).
 */
long xen_tbuf_window(uint32_t cons, uint32_t prod, uint32_t data_size,
		     const uint8_t *data, uint32_t max_bytes, struct xen_tbuf_win *w);

/*
 * Consume one pCPU's buffer tb (a struct t_buf then data_size bytes): read
 * cons and prod once, copy the window (both pieces, joined) into the merge
 * as pCPU cpu's next records, then publish cons (with the barriers Xen's
 * protocol needs). Returns bytes consumed, 0 when empty, -1 on impossible
 * cons/prod (nothing consumed), -2 when out of memory.
 */
long xen_tbuf_consume(void *tb, uint32_t data_size, uint32_t max_bytes,
		      struct xen_merge *m, uint32_t cpu, uint64_t feed_off);

/*
 * Parse t_info (tinfo_size bytes) for CPUs 0..ncpus-1: mfns[c] points at
 * CPU c's list of pages u32 MFNs, or is NULL when it has no buffer. Returns
 * the pages per CPU, or -1 when t_info is inconsistent (0 pages, a list
 * outside tinfo_size, ncpus past the offsets table).
 */
int xen_tinfo_parse(const void *tinfo, size_t tinfo_size, uint32_t ncpus,
		    const uint32_t **mfns);

/*
 * A live consumer's state over the buffers of ncpus pCPUs (the pure part
 * of pmt-record --xen; the buffers are Xen's mapped pages there, memory
 * in the tests).
 */
struct xen_live_core {
	void **tb;              /* per pCPU: t_buf + data, or NULL (no buffer)    */
	uint32_t ncpus;
	uint32_t data_size;
	uint64_t *fed;          /* bytes consumed per pCPU                        */
	struct xen_merge *m;    /* initialised for ncpus                          */
	struct xen_decoder *d;
	uint64_t watermark;     /* records up to this TSC may be decoded           */
	uint64_t bad_windows;   /* rounds that met impossible cons/prod            */
	uint64_t first_tsc;     /* of the first record decoded (have_first)        */
	int have_first;
};

/*
 * One round: consume every pCPU's buffer, then decode the records up to
 * the watermark, which is the newest TSC seen in the previous round (a
 * pCPU's records can reach the consumer up to a round late; later ones are
 * still decoded, their guest events moved to keep streams in order); with
 * final, everything. Returns the records decoded, -1 when the decoder (its
 * emitter) failed, -2 when out of memory.
 */
long xen_live_round(struct xen_live_core *c, int final);

#endif
