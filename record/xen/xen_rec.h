/*
 * xen_rec.h - Xen trace records: the format constants, one record's parser
 * and the window index of a xentrace file. Pure code: no I/O, no allocation
 * apart from the window index, no printing.
 *
 * A record is host-endian u32 words: a header (event id in bits 0-27, number
 * of extra words in bits 28-30, TSC present in bit 31), then the TSC as two
 * words (low, high) when bit 31 is set, then 0-7 extra words. A xentrace file
 * is a series of windows: a TSC-less TRC_TRACE_CPU_CHANGE record [cpu, size]
 * followed by size bytes of that pCPU's records (docs/XEN.md).
 */
#ifndef PMT_XEN_REC_H
#define PMT_XEN_REC_H

#include <stddef.h>
#include <stdint.h>

/* Event ids (the values of Xen's public/trace.h, which is stable ABI). */
#define XEN_TRC_EVENT_MASK 0x0fffffffu
#define XEN_TRC_CYCLE_FLAG 0x80000000u
#define XEN_TRC_LOST_RECORDS 0x0001f001u
#define XEN_TRC_WRAP_BUFFER 0x0001f002u
#define XEN_TRC_CPU_CHANGE 0x0001f003u
#define XEN_TRC_CPU_CHANGE_HDR 0x2001f003u /* the header word of a window      */
#define XEN_TRC_RUNSTATE_BASE 0x00021001u  /* | old << 8 | new << 4            */
#define XEN_TRC_RUNSTATE_MASK 0xfffff00fu  /* bits 4-11 carry the two states   */
#define XEN_TRC_CONTINUE_RUNNING 0x00021002u
#define XEN_TRC_DOM_ADD 0x00028001u
#define XEN_TRC_DOM_REM 0x00028002u
#define XEN_TRC_SLEEP 0x00028003u
#define XEN_TRC_WAKE 0x00028004u
#define XEN_TRC_YIELD 0x00028005u
#define XEN_TRC_BLOCK 0x00028006u
#define XEN_TRC_SWITCH 0x0002800au
#define XEN_TRC_SWITCH_INFPREV 0x0002800eu
#define XEN_TRC_SWITCH_INFNEXT 0x0002800fu
#define XEN_TRC_SWITCH_INFCONT 0x00028011u
#define XEN_TRC_GUEST 0x0800f000u          /* | e, e < 0x1000 (HVMOP_xentrace) */
#define XEN_TRC_CLASS_MASK 0x0ffff000u

/* Runstates of RUNSTATE_CHANGE. */
enum { XEN_RUNSTATE_RUNNING = 0, XEN_RUNSTATE_RUNNABLE = 1,
       XEN_RUNSTATE_BLOCKED = 2, XEN_RUNSTATE_OFFLINE = 3 };

#define XEN_DOMID_IDLE 0x7fffu
#define XEN_REC_MAX_BYTES 40u  /* 4 + 8 + 7 * 4                               */

/* One decoded record. */
struct xen_rec {
	uint32_t cpu;       /* pCPU of the window the record sits in             */
	uint32_t event;     /* event id (header & XEN_TRC_EVENT_MASK)             */
	uint32_t nextra;    /* extra words, 0-7                                   */
	int has_tsc;        /* 1: the record carried its own TSC                  */
	uint64_t tsc;       /* its TSC, or its pCPU's last TSC when it had none    */
	uint64_t offset;    /* file offset of its header (or position in a feed)  */
	uint32_t extra[7];
};

/* Size in bytes of the record whose header word is hdr (4 to 40). */
static inline size_t xen_rec_size(uint32_t hdr)
{
	return 4u + ((hdr & XEN_TRC_CYCLE_FLAG) ? 8u : 0u) + 4u * ((hdr >> 28) & 7u);
}

/*
 * Parse the record at p (avail bytes). Returns its size, 0 when avail is
 * too short to hold it (a truncated record). rec->tsc is set only when the
 * record has one; rec->cpu and rec->offset are left to the caller.
 */
size_t xen_rec_parse(const uint8_t *p, size_t avail, struct xen_rec *rec);

/* A window of a xentrace file: size bytes of pCPU cpu's records at offset. */
struct xen_window {
	uint64_t offset;    /* of the first record (after the CPU_CHANGE record) */
	uint32_t size;
	uint32_t cpu;
};

#define XEN_MAX_PCPUS 4096u

/*
 * Index the windows of a xentrace file held in memory. On damage (not a
 * CPU_CHANGE header where a window must start, a cpu number out of range, a
 * window reaching past the end of the file, a record crossing its window's
 * end) *damage_off is its file offset and why is filled; the windows before
 * it are kept in the index, and the damaged window too, cut at the last
 * whole record (its records before the damage are good). Returns 0 (no
 * damage), 1 (damage; see why), or -1 (out of memory).
 */
struct xen_index {
	struct xen_window *win;
	size_t nwin, cap;
	uint32_t ncpus;     /* highest cpu number + 1                             */
	uint64_t damage_off;
	char why[160];
};
int xen_index_build(const uint8_t *data, size_t len, struct xen_index *ix);
void xen_index_release(struct xen_index *ix);

#endif
