/*
 * xen_decode.h - the one decoder of Xen trace records into pmt events.
 *
 * Input: records in TSC order (xen_merge). Output, through a callback:
 *  - host level (level 0), one stream per pCPU: PMT_EV_SWITCH when a vCPU
 *    (PMT_XEN_ENTITY(dom, vcpu); the idle domain's vCPUs are entity 0) starts
 *    running, with the previous one and the state it left in (runnable,
 *    blocked = PMT_STATE_SLEEPING, offline = PMT_STATE_OFFLINE);
 *    PMT_EV_WAKEUP on the pCPU where a blocked or offline vCPU became
 *    runnable; PMT_EV_LOST for TRC_LOST_RECORDS. Xen has no migrate event:
 *    pCPU changes are switch-ins on another pCPU, left to the analyses.
 *  - guest levels: the records a guest agent wrote with HVMOP_xentrace
 *    (TRC_GUEST | e, docs/XEN.md), on the stream of the vCPU that wrote them.
 * Every event is emitted at its record's TSC, so the output is in time order.
 * docs/XEN.md describes the rules (which records make a switch, what is
 * counted and skipped).
 */
#ifndef PMT_XEN_DECODE_H
#define PMT_XEN_DECODE_H

#include "pmt.h"
#include "record/xen/xen_rec.h"

/* Guest-event codes e of TRC_GUEST | e (docs/XEN.md, "Guest events"). */
enum {
	XEN_GEV_SWITCH = 0x001,  /* [vcpu | prev_state << 16, prev_tid, next_tid] */
	XEN_GEV_MIGRATE = 0x002, /* [vcpu, tid, from_cpu, to_cpu]                 */
	XEN_GEV_WAKEUP = 0x003,  /* [vcpu | flags << 16, tid, target_cpu, waker]  */
	XEN_GEV_FORK = 0x004,    /* [vcpu | flags << 16, parent, child, child_pid]*/
	XEN_GEV_EXIT = 0x005,    /* [vcpu, tid]                                   */
	XEN_GEV_NAME = 0x006,    /* [vcpu, tid, pid, comm[16]]                    */
	XEN_GEV_LOST = 0x007,    /* [vcpu, count]                                 */
	XEN_GEV_PMT_MAX = 0x0ff, /* 0x008-0x0ff reserved for pmt; others foreign  */
};

/* Returns 0 or a negative PMT_E* code (stops the decoding). */
typedef int (*xen_emit_fn)(void *opaque, const struct pmt_event *ev);

/* What the decoder knows of one vCPU. */
struct xen_vcpu_info {
	int32_t last_pcpu;      /* where it last ran, -1 before                   */
	uint8_t seen;           /* named in a scheduler record                    */
	uint8_t runstate;       /* last runstate (XEN_RUNSTATE_*)                 */
	uint8_t blocked_hint;   /* BLOCK/SLEEP seen since it last ran             */
};

struct xen_domain_info {
	struct xen_vcpu_info *vcpu;
	uint32_t nvcpu;         /* entries in vcpu (highest seen + 1)            */
	uint64_t guest_records; /* TRC_GUEST records it wrote                     */
	uint32_t guest_ncpus;   /* highest vcpu named in them + 1                 */
	uint64_t *guest_last;   /* per guest CPU: TSC of its last guest event     */
	uint32_t nguest_last;
};

/* Counters (each documented in docs/XEN.md and stored as metadata). */
struct xen_decode_stats {
	uint64_t records;
	uint64_t switches;          /* PMT_EV_SWITCH emitted at the host level   */
	uint64_t wakeups;
	uint64_t lost_records;      /* TRC_LOST_RECORDS records                  */
	uint64_t lost_events;       /* sum of their counts                       */
	uint64_t wrap_records;      /* TRC_TRACE_WRAP_BUFFER padding              */
	uint64_t no_tsc;            /* records without their own TSC             */
	uint64_t skipped;           /* records of events not decoded (HVM...)    */
	uint64_t malformed;         /* scheduler records with too few words      */
	uint64_t inconsistent;      /* switch-out of a vCPU not known to run there*/
	uint64_t idle_changes;      /* offline/blocked changes of a vCPU not running*/
	uint64_t guest_events;      /* guest-level events emitted                */
	uint64_t guest_dropped;     /* guest records not decoded (see docs)      */
	uint64_t guest_vcpu_mismatch; /* payload vcpu != vCPU running on the pCPU*/
	uint64_t guest_late;        /* guest events raised to their stream's last
				       time (a live merge released them late)   */
	uint64_t guest_slack_max;   /* guest events carry no TSC: the widest gap
				       (ticks) between the TSCs around one      */
	uint64_t guest_slack_sum;   /* the sum of those gaps, one per event      */
};

/* Per pCPU. */
struct xen_pcpu_state {
	uint32_t cur;           /* entity running (valid when cur_known)          */
	uint8_t cur_known;
	uint8_t out_valid;      /* a running->X runstate change is pending        */
	uint8_t sw_valid;       /* a SWITCH record is pending                     */
	uint32_t out_tid, out_state;
	uint32_t sw_prev, sw_next;
	uint64_t sw_ts;
	uint16_t cur_dom, cur_vcpu; /* Xen ids of cur (cur_dom = 0x7fff: idle)    */
	uint64_t last_ts;       /* TSC of the last event emitted on its stream   */
	uint32_t guest_open;    /* guest events since the last TSC'ed record     */
	uint64_t guest_tsc;     /* that record's TSC                              */
};

struct xen_decoder {
	xen_emit_fn emit;
	void *opaque;
	int use_runstate;       /* 1: switches from RUNSTATE_CHANGE; 0: from SWITCH */
	uint32_t ncpus;
	struct xen_pcpu_state *pcpu;
	struct xen_domain_info *dom;        /* XEN_DOMID_IDLE entries, lazily    */
	uint16_t *guest_level;  /* dom -> guest level id (0: none)             */
	uint32_t *guest_level_ncpus;        /* dom -> that level's CPUs         */
	uint64_t vcpu_entries;  /* vCPU table entries allocated (bounded)         */
	struct xen_decode_stats st;
};

/* Entity id of (dom, vcpu): 0 for the idle domain. */
uint32_t xen_entity(uint32_t dom, uint32_t vcpu);

/* use_runstate: does the trace carry RUNSTATE_CHANGE records (docs/XEN.md). */
int xen_decoder_init(struct xen_decoder *d, uint32_t ncpus, int use_runstate,
		     xen_emit_fn emit, void *opaque);
void xen_decoder_release(struct xen_decoder *d);
/* Route dom's guest records to level (with ncpus CPUs). */
void xen_decoder_set_guest_level(struct xen_decoder *d, uint16_t dom, uint16_t level,
				 uint32_t ncpus);
/* Decode one record (r->cpu < ncpus). Returns 0 or the emitter's error. */
int xen_decoder_feed(struct xen_decoder *d, const struct xen_rec *r);
/* Domain table entry of dom (NULL if never named). */
const struct xen_domain_info *xen_decoder_domain(const struct xen_decoder *d, uint16_t dom);

#endif
