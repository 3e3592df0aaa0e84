/*
 * tl.h - two-level analyses of one trace in one pass: the vCPU view, the
 * co-scheduling partition and skew, composition of guest tasks onto pCPUs,
 * synchronization stalls and the wakeup latency split (docs/METRICS.md,
 * "Two levels").
 *
 * Feed every event of the trace in merged time order (tl_event), then call
 * tl_finish() once with the trace's end; the results are then in the structs
 * below. Memory grows with guests, vCPUs, pCPUs and tasks, never with the
 * length of the trace. tl owns everything it returns; tl_free() frees it.
 *
 * States are rebuilt from events: a vCPU thread is running from a host
 * switch-in to its switch-out, runnable after a switch-out in state R or a
 * wakeup, blocked after any other switch-out, and unknown before its first
 * event and after a lost record that may hide its events (a loss on pCPU c
 * makes unknown every vCPU thread not running on another pCPU) until its next
 * event. A guest CPU's current task is known from its first switch and
 * unknown after a loss on it until its next switch.
 */
#ifndef PMT_TL_H
#define PMT_TL_H

#include <stdint.h>

#include "pmt.h"
#include "analyze/engine/hist.h"

enum tl_hstate { TL_UNKNOWN = 0, TL_RUN, TL_RUNNABLE, TL_BLOCKED, TL_NSTATES };

enum tl_class { TL_C_IDLE = 0, TL_C_CORUN, TL_C_SKEWED, TL_C_STALLED, TL_NCLASSES };

#define TL_EP_OTHERS 4  /* host entities kept per stolen episode */
#define TL_RING 16      /* stolen episodes kept per guest task    */

/* A stretch during which a guest task ran in the guest's view on a vCPU whose
 * thread was not running on the host. */
struct tl_episode {
	int64_t t0, t1;            /* reference ns                               */
	uint32_t vcpu;             /* the vCPU                                   */
	int32_t pcpu;              /* its pCPU before it stopped (-1: unknown)   */
	uint32_t other_tid[TL_EP_OTHERS]; /* host entities that ran on pcpu meanwhile */
	int64_t other_ns[TL_EP_OTHERS];   /* and for how long (ns)               */
	int nothers;
};

struct tl_vcpu {
	uint32_t vcpu;             /* guest CPU number                           */
	uint32_t host_tid;         /* its host thread                            */
	int hstate;                /* enum tl_hstate now                         */
	int32_t pcpu;              /* pCPU while running, else last one (-1)     */
	int gknown;                /* guest CPU's current task known             */
	uint32_t gtid;             /* that task (0: idle)                        */
	/* results (ns unless said) */
	int64_t hns[TL_NSTATES];   /* time in each host state                    */
	int64_t busy_ns, idle_ns, gunknown_ns; /* guest view                     */
	int64_t harmful_ns;        /* host-runnable while busy in the guest      */
	uint64_t pcpu_changes;     /* switch-ins on another pCPU than the last   */
	int64_t *run_pcpu;         /* run time per pCPU (host ncpus entries)     */
	/* private */
	int64_t notrun_ns;         /* known time not running (latency split)     */
	int64_t prog;              /* skew progress                              */
	int in_ep;
	uint32_t ep_task;
	struct tl_episode ep;
};

/* A stall: part of a blocked interval of tid caused by its waker's vCPU
 * being preempted. */
struct tl_stall {
	int64_t stall_ns;
	int64_t t0, t1;            /* the blocked interval                       */
	uint32_t tid, waker;
	uint32_t guest;            /* index in tl.guests                          */
	struct tl_episode ep;      /* the waker's longest episode inside it       */
};

struct tl_task {
	uint32_t tid, pid;
	char comm[32];
	/* results */
	int64_t blocked_ns;        /* known blocked time                          */
	uint64_t blocked_count;    /* blocked intervals seen ending (or at end)  */
	int64_t stall_ns, max_stall_ns;
	uint64_t stall_count;      /* intervals with a stall > 0                  */
	uint64_t stall_unknown;    /* intervals whose stall cannot be known       */
	uint64_t woken_count;      /* blocked intervals ended by a wakeup seen    */
	int64_t stolen_ns, stolen_unknown_ns;
	int64_t run_ns;            /* running in the guest's view                 */
	int64_t *run_pcpu;         /* run time per pCPU (composed), or NULL       */
	uint64_t wakeups;          /* wakeups whose latency is known              */
	uint64_t lat_unknown;      /* wakeups whose latency split is unknown      */
	int64_t lat_ns, guest_delay_ns, host_delay_ns, max_lat_ns;
	uint64_t vcpu_changes;     /* guest CPU changes                           */
	int32_t last_pcpu;         /* pCPU it last ran on in reality (-1: none)   */
	/* private */
	int state;                 /* enum tl_hstate in the guest                 */
	uint32_t vcpu;             /* current / last guest CPU                    */
	int has_vcpu;
	int64_t since;             /* blocked since                               */
	int blk_known;
	int woken;
	int64_t wake_t;
	int64_t *notrun_snap;      /* vCPUs' notrun_ns at the wakeup              */
	struct tl_episode ring[TL_RING];
	int ring_n, ring_head;
	int64_t evicted_end;       /* end of the newest episode dropped           */
};

struct tl_guest {
	uint16_t level;            /* guest level id                              */
	uint16_t host_level;
	const char *name;
	int has_guest;             /* the guest level has events                  */
	int has_host;              /* bound to host threads with host events      */
	uint32_t nvcpus;
	struct tl_vcpu *vcpus;
	/* co-scheduling */
	int64_t class_ns[TL_NCLASSES];
	int64_t unknown_ns;
	int64_t *busy_hist;        /* [k]: time with exactly k busy vCPUs (nvcpus+1) */
	int64_t *runbusy_hist;     /* [k]: time with exactly k busy vCPUs running */
	/* skew */
	int64_t skew_max;
	long double skew_area;     /* integral of skew over known time (ns*ns)   */
	int64_t skew_known_ns, skew_above_ns;
	int skew_reset;
	/* tasks */
	struct tl_task *tasks;
	uint32_t ntasks, captasks;
	uint32_t *hash;            /* tid -> index + 1                             */
	uint32_t hashcap;
	struct hist stall_hist;    /* stalls > 0 (ns), for percentiles            */
	int64_t last_loss_end;     /* latest end of a loss that concerns us       */
	uint8_t *gap;              /* per vCPU: a loss awaits its next event     */
	int64_t lost_events;
};

struct tl_opts {
	int64_t skew_threshold_ns; /* default 3 ms                               */
	int worst;                 /* stalls kept for the worst list             */
	int64_t t_lo, t_hi;        /* accounting window (reference ns)           */
};

struct tl {
	struct tl_opts o;
	const struct pmt_info *info;
	uint32_t nguests;
	struct tl_guest *guests;
	uint16_t host_level;       /* host level of the bindings                  */
	size_t nbound;             /* bindings used (0: none usable)              */
	int has_host_events;
	uint32_t npcpus;
	uint32_t *pcpu_tid;        /* what runs on each pCPU                      */
	uint8_t *pcpu_known;
	/* host names (for the worst list): tid -> index + 1 into hn_comm */
	uint32_t *hn_key, *hn_val, hn_cap;
	char (*hn_comm)[32];
	uint32_t nhn, caphn;
	uint8_t *host_gap;         /* a loss on this pCPU awaits its next event  */
	/* vcpu thread lookup: host tid -> guest << 16 | vcpu, + 1 */
	uint32_t *vt_key, *vt_val;
	uint32_t vt_cap;
	struct tl_stall *worst;
	int nworst;
	int64_t now;
	int started;
	int64_t start_ns, end_ns;
	int oom;
};

/* NULL when out of memory; a trace without bindings gives nguests = 0 for the
 * bound guests, but guest levels with events and no binding still appear
 * (has_host = 0). */
struct tl *tl_new(const struct pmt_info *info, const struct tl_opts *o);
void tl_event(struct tl *t, const struct pmt_event *ev);
void tl_finish(struct tl *t, int64_t end_ns);
void tl_free(struct tl *t);

/* Guest task tid of guest level `level`, or NULL. */
struct tl_task *tl_task_find(struct tl *t, uint16_t level, uint32_t tid);
/* Guest g of level, or NULL. */
struct tl_guest *tl_guest_find(struct tl *t, uint16_t level);
/* The pCPU that vCPU v of guest level runs on now (its last one when it does
 * not run; -1 when never seen). */
int32_t tl_vcpu_pcpu(struct tl *t, uint16_t level, uint32_t v);

/* Host name of a host tid ("" when unknown). */
const char *tl_host_comm(const struct tl *t, uint32_t tid);

#endif
