/*
 * engine.h - the streaming analysis engine of pmt-analyze.
 *
 * One pass over the merged, time-ordered event stream (pmt_cursor_open_merged)
 * keeps the state of every CPU and every entity at every level, and hands what
 * it learns to analysis modules through callbacks: state intervals when they
 * end, migrations, wakeups and their latency, CPU intervals, losses. Several
 * modules register on one engine and one pass feeds them all.
 *
 * Memory grows with the number of entities (tasks, vCPUs) and CPUs, never with
 * the length of the trace: the engine keeps only current state; modules that
 * need distributions use bounded structures (analyze/engine/hist.h).
 *
 * Ownership: eng_new() copies what it needs from the pmt_info it is given.
 * Entities (struct eng_entity) and CPUs (struct eng_cpu) belong to the engine,
 * never move and stay valid until eng_free(): modules may keep pointers to
 * them. Every struct handed to a callback is valid only during the call.
 * Modules must not write engine-owned fields (those not in their private area).
 *
 * Time: every time the engine hands out is reference-clock nanoseconds, as the
 * reader gives them (absolute, not relative to the trace start). Reports print
 * times relative to eng_trace_start() (docs/METRICS.md, "Times").
 *
 * Holes in the stream. A switch-out of X on CPU c proves that X ran on c since
 * the last switch on c (or the start of the trace, or the end of a loss on c):
 * when the engine did not see X switched in there, it infers the switch-in at
 *   s = max(bound of c, the time X became runnable or left its last CPU)
 * and counts the inference. Cases (cpu->mode, believed current entity C):
 *
 *   mode      C        prev X of the switch  what the engine does
 *   START     -        X (first switch on c)  X ran [max(trace start, X's bound), t]
 *                                             (idle before s when X woke later: inferred)
 *   KNOWN     idle     X != idle             the CPU-1 quirk: idle [.., s), X [s, t]; inferred
 *   KNOWN     Y != X   X                     Y's switch-out is missing: Y and c are unknown
 *                                             from Y's switch-in to s, X [s, t]; conflict
 *                                             and inferred
 *   UNKNOWN   -        X                     after a loss: c unknown to s, X [s, t]; resync
 *
 *   time ->   B (last switch on c)   w (X woke)     t (switch X -> N on c)
 *   CPU c:    |---- idle -------------|=== X (inferred start s = w) ===|
 *
 * Inferred switch-ins never add a migration that did not happen (the CPU
 * change is checked at s against the CPU X last ran on). An inferred run
 * starts at the earliest time the trace allows: it is at most the true run
 * plus X's true (unrecorded) wakeup latency. Wakeup latencies that end at an inferred
 * switch-in are delivered with ENG_F_END_INFERRED so statistics can leave
 * them out (their true value is not known).
 *
 * Lost events (PMT_EV_LOST) on c make c and the entity running there unknown
 * from the loss until the next switch on c re-establishes them (the bound of c
 * is then the end of the gap, or the first event after it). A task seen
 * switching in on c while the engine believed it ran on d is a conflict: d's
 * current stretch becomes unknown and nothing on d is inferred until its next
 * switch.
 */
#ifndef PMT_ENGINE_H
#define PMT_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "pmt.h"

#define ENG_NONE 0xffffffffu   /* no CPU / no entity                          */
/* The engine's times lie in [trace start, trace start + ENG_SPAN_MAX] (2^62
 * ns, 146 years): later ones are cut there, so that differences and the sums
 * of one CPU's or entity's intervals fit in int64. */
#define ENG_SPAN_MAX ((int64_t)1 << 62)
#define ENG_MAX_MODULES 16

/* State of an entity at one level. */
enum eng_state {
	ENG_NEW = 0,      /* seen (named, forked) but no state known yet: not reported */
	ENG_RUNNING,      /* on CPU `cpu` (switch-in to switch-out)                */
	ENG_RUNNABLE,     /* switched out in state R, or woken and not yet running */
	ENG_BLOCKED,      /* switched out in any other state                       */
	ENG_UNKNOWN,      /* a loss or an inconsistency hid what it did            */
	ENG_GONE,         /* switched out dead: no more intervals until it reappears */
	ENG_STATE_MAX_
};
/* "running", "runnable", "blocked", "unknown", ... */
const char *eng_state_name(int state);

/* Flags on intervals, migrations and wakeups: how sure the edges are. */
#define ENG_F_START_TRACE    0x01u /* started before the trace: start = trace start   */
#define ENG_F_START_INFERRED 0x02u /* start is an inferred switch-in (a missing event) */
#define ENG_F_START_RESYNC   0x04u /* start re-established after an unknown stretch    */
#define ENG_F_END_TRACE      0x08u /* still open at the end: end = trace end (or --time end) */
#define ENG_F_END_INFERRED   0x10u /* ends at an inferred switch-in                     */
#define ENG_F_END_UNKNOWN    0x20u /* ends where a loss/inconsistency made it unknown  */

/* Entity flags (struct eng_entity.flags). */
#define ENG_ENT_KTHREAD 0x1u
#define ENG_ENT_VCPU    0x2u  /* a host entity that is a guest's vCPU             */
#define ENG_ENT_EXITED  0x4u  /* an exit event was seen                           */

/*
 * An entity (task, vCPU) of one level. Keyed by (level, tid); tid 0 (the idle
 * entity of each CPU) has no entity: CPU intervals cover idle time.
 * Fields above `priv` are the engine's; modules read them only.
 */
struct eng_entity {
	uint32_t tid;
	uint32_t pid;          /* thread group id (= tid until known)             */
	uint16_t level;
	uint8_t state;         /* enum eng_state, now                             */
	uint8_t flags;         /* ENG_ENT_*                                       */
	uint32_t index;        /* dense, 0..eng_entity_count()-1, creation order  */
	uint32_t cpu;          /* RUNNING: its CPU; else the CPU it last ran on
				  (ENG_NONE before its first run)                 */
	int64_t since_ns;      /* start of the current state                      */
	const char *comm;      /* current name, "" when unknown (engine-owned;
				  changes on exec/name events)                    */
	int32_t vcpu_level;    /* ENG_ENT_VCPU: the guest level it is a CPU of (-1) */
	uint32_t vcpu;         /* ENG_ENT_VCPU: which CPU of that guest           */
	/* engine bookkeeping (read-only for modules) */
	int64_t wake_ns;       /* runnable since this wakeup (-1: not woken)       */
	int64_t off_ns;        /* last switch-out (-1: none seen)                  */
	uint32_t waker;        /* tid of the last waker (ENG_NONE)                 */
	uint32_t wake_cpu;     /* target CPU of that wakeup                        */
	uint8_t prev_state;    /* PMT_STATE_* of the last switch-out               */
	uint8_t start_flags;   /* ENG_F_START_* of the current state               */
	uint8_t uncertain;     /* an unknown stretch since the last run: a CPU
				  change may have been missed                      */
	uint8_t comm_len;      /* bytes in comm_buf used (comm on heap when long)  */
	char comm_buf[20];
	/* totals so far over the whole trace (no window): what a report without
	 * --time needs, kept here so that it needs no callback per interval */
	int64_t run_ns;        /* sum of its RUNNING intervals' lengths            */
	uint64_t migrations;   /* migrate events naming it (ENG_MIG_MIGRATE)       */
	uint64_t cpu_changes;  /* switch-ins on another CPU (ENG_MIG_CPU_CHANGE)   */
	/* modules' private areas follow (eng_priv) */
};

/* CPU modes: how much the engine knows about what runs on a CPU. */
enum eng_cpu_mode {
	ENG_CPU_START = 0, /* no switch seen yet: resolved by the first switch     */
	ENG_CPU_KNOWN,     /* cur_tid runs since since_ns                          */
	ENG_CPU_UNKNOWN,   /* since since_ns (a loss or an inconsistency)          */
};

/* One CPU of one level. Counters cover what has been processed so far. */
struct eng_cpu {
	uint16_t level;
	uint32_t cpu;
	uint32_t index;        /* dense over all levels: eng_cpu_at(e, index)      */
	uint8_t mode;          /* enum eng_cpu_mode                               */
	uint8_t await_bound;   /* after a loss without span: the next event sets bound */
	uint8_t start_flags;   /* ENG_F_START_* of the current CPU interval         */
	uint32_t cur_tid;      /* KNOWN: running entity's tid (0: idle)            */
	struct eng_entity *cur;/* KNOWN: running entity, NULL for idle             */
	int64_t since_ns;      /* start of the current CPU interval                */
	int64_t bound_ns;      /* earliest possible missing switch-in: last switch,
				  trace start or end of the last loss on it         */
	int64_t last_ns;       /* time of the last event on this CPU              */
	uint64_t events;       /* events on this CPU's stream                     */
	uint64_t lost_events;  /* sum of the counts of its lost records           */
	uint64_t lost_records;
	uint64_t inferred;     /* switch-ins inferred (idle quirk, trace start)   */
	uint64_t resyncs;      /* states re-established after a loss              */
	uint64_t conflicts;    /* inconsistencies (a missing switch-out) made unknown */
	int64_t busy_ns, idle_ns, unknown_ns; /* closed CPU intervals so far      */
	uint8_t no_switch;     /* after eng_finish: no switch was ever seen here   */
	struct eng_entity *near[2]; /* engine's: the entities last named here   */
};

/* A level as the engine sees it. */
struct eng_level {
	uint16_t id;
	uint16_t kind;          /* enum pmt_level_kind                             */
	const char *name;       /* engine-owned copy                               */
	uint32_t ncpus;
	int32_t guest_id;
	uint32_t cpu_base;      /* eng_cpu_at(e, cpu_base + cpu) is CPU cpu        */
	/* guest levels: CPU v is host entity (host_level, vcpu_tid[v]); ENG_NONE
	 * when the file has no binding for v. NULL at the host level. */
	int32_t host_level;
	uint32_t *vcpu_tid;
	uint64_t events[PMT_EV_TYPE_MAX_]; /* events by type so far             */
};

/* An entity's state interval, handed over when it ends. */
struct eng_interval {
	struct eng_entity *ent;
	uint8_t state;          /* enum eng_state: RUNNING, RUNNABLE, BLOCKED, UNKNOWN */
	uint8_t flags;          /* ENG_F_*                                          */
	uint8_t prev_state;     /* BLOCKED/RUNNABLE: PMT_STATE_* at its switch-out  */
	uint32_t cpu;           /* RUNNING: the CPU; otherwise the CPU it last ran on
				   (ENG_NONE when it never ran)                      */
	uint32_t waker;         /* BLOCKED ended by a wakeup: the waker's tid; else
				   ENG_NONE                                          */
	int64_t start_ns, end_ns; /* end >= start; RUNNING may be empty, others not */
};

/* What ran on a CPU over an interval: tid 0 = idle, ENG_NONE = unknown. */
struct eng_cpu_interval {
	struct eng_cpu *cpu;
	uint32_t tid;
	struct eng_entity *ent; /* the running entity, NULL for idle and unknown   */
	uint8_t flags;          /* ENG_F_*                                          */
	int64_t start_ns, end_ns; /* end > start                                    */
};

enum eng_mig_kind {
	ENG_MIG_MIGRATE = 1,    /* the kernel's migrate event                       */
	ENG_MIG_CPU_CHANGE = 2, /* switch-in (seen or inferred) on another CPU than the last run */
};
struct eng_migration {
	struct eng_entity *ent;
	uint8_t kind;           /* enum eng_mig_kind                                */
	uint8_t flags;          /* ENG_F_START_INFERRED: at an inferred switch-in;
				   ENG_F_END_UNKNOWN: an unknown stretch lies between
				   the two runs (changes may have been missed)       */
	uint32_t from_cpu, to_cpu;
	int64_t time_ns;        /* migrate: the event; cpu-change: the switch-in    */
	int64_t off_cpu_ns;     /* since the entity's last switch-out; -1 unknown
				   (it is running, or never switched out)            */
};

/* A wakeup event (every one; `effective` when it made the entity runnable:
 * it was blocked, new or unknown; a second wakeup, e.g. sched_wakeup after
 * sched_waking, or one of a running task, is not effective). */
struct eng_wakeup {
	struct eng_entity *ent;
	int effective;
	uint32_t waker;         /* waker tid (0: interrupt / idle; ENG_NONE unknown) */
	uint32_t target_cpu;    /* as recorded (PMT_WAKE_WAKING: the last CPU)       */
	uint32_t flags;         /* PMT_WAKE_*                                        */
	uint16_t level;
	uint32_t event_cpu;     /* CPU of the stream that recorded it               */
	int64_t time_ns;
};

/* A switch-in that ends a runnable stretch (woken, or preempted): delivered
 * at that switch-in. Wakeup latency = run_ns - wake_ns when wake_ns >= 0;
 * runnable time = run_ns - runnable_ns. */
struct eng_latency {
	struct eng_entity *ent;
	uint32_t waker;         /* ENG_NONE when preempted                          */
	uint32_t cpu;           /* where it ran                                     */
	uint8_t flags;          /* ENG_F_END_INFERRED: the switch-in was inferred,
				   the latency is not known (a lower bound, often 0) */
	int64_t wake_ns;        /* the wakeup; -1 when it was preempted (state R)   */
	int64_t runnable_ns;    /* start of the runnable state                      */
	int64_t run_ns;         /* the switch-in                                    */
};

/* A loss on a stream. */
struct eng_lost {
	struct eng_cpu *cpu;
	uint64_t count;         /* events lost (0: unknown)                          */
	int64_t start_ns;       /* the gap's start                                  */
	int64_t end_ns;         /* its end when the recorder knew it, else start_ns */
};

struct eng;

/*
 * A module: callbacks (any may be NULL) and the size of its private area per
 * entity. Callbacks are called in registration order; ctx is the module's.
 * Order of delivery: as the engine learns things, in stream order; every
 * interval is delivered once, with end_ns <= the current event's time (or the
 * trace end at eng_finish). One entity's intervals arrive in time order and
 * do not overlap; so do one CPU's.
 */
struct eng_module {
	const char *name;
	size_t entity_priv;     /* bytes of zeroed private data per entity          */
	/* all levels and CPUs are known (after eng_new, before the first event) */
	void (*begin)(void *ctx, struct eng *e);
	/* a new entity (its private area is zeroed) */
	void (*entity_new)(void *ctx, struct eng *e, struct eng_entity *en);
	/* every event, after the engine has applied it */
	void (*event)(void *ctx, struct eng *e, const struct pmt_event *ev);
	void (*interval)(void *ctx, struct eng *e, const struct eng_interval *iv);
	void (*cpu_interval)(void *ctx, struct eng *e, const struct eng_cpu_interval *ci);
	void (*migration)(void *ctx, struct eng *e, const struct eng_migration *m);
	void (*wakeup)(void *ctx, struct eng *e, const struct eng_wakeup *w);
	void (*latency)(void *ctx, struct eng *e, const struct eng_latency *l);
	void (*lost)(void *ctx, struct eng *e, const struct eng_lost *l);
	/* after eng_finish closed everything */
	void (*end)(void *ctx, struct eng *e);
	/* interval: the states it wants, bits (1u << ENG_RUNNING) ...; 0 means
	 * all. The engine builds no interval nobody wants (a report that only
	 * sums run time skips the blocked and runnable ones: fewer calls). */
	unsigned interval_states;
};

/*
 * A new engine for a trace described by info (levels, CPUs, bindings, the
 * initial task table, first_ns / last_ns); tests may fill a pmt_info by hand.
 * NULL on allocation failure.
 */
struct eng *eng_new(const struct pmt_info *info);
void eng_free(struct eng *e);   /* NULL is fine */

/* Register a module before the first event; returns its id (>= 0) or -1
 * (too many modules, or events were already fed). */
int eng_add_module(struct eng *e, const struct eng_module *m, void *ctx);
/* The private area of module id in entity en. */
static inline void *eng_priv(struct eng_entity *en, size_t offset)
{
	return (char *)en + offset;
}
/* Offset of module id's private area (for eng_priv). */
size_t eng_priv_offset(const struct eng *e, int id);

/* Stop at this reference time (--time END): events after it are not
 * applied, except while a CPU has not had its first switch (it tells what ran
 * there since the start); eng_finish closes open intervals at the stop time or
 * at the last event applied, whichever is later. Modules clip to their window.
 * Default: none. */
void eng_set_stop(struct eng *e, int64_t stop_ns);

/*
 * Apply one event (events must come in time_ns order: a merged cursor).
 * Returns 0, or 1 when the event lies past the stop time (the caller may stop
 * reading). Never fails: what it cannot place it counts as unknown.
 */
int eng_feed(struct eng *e, const struct pmt_event *ev);
/* eng_feed over ev[0..n): returns how many were applied (n, or the index of
 * the first past the stop time). One call per batch of events. */
size_t eng_feed_batch(struct eng *e, const struct pmt_event *const *ev, size_t n);
/* Close every open interval at end_ns (INT64_MIN: the trace end, or the stop
 * time when set and earlier) and call the modules' end. Call once. */
void eng_finish(struct eng *e, int64_t end_ns);

/* What the engine knows. */
int64_t eng_trace_start(const struct eng *e);  /* info.first_ns               */
int64_t eng_trace_end(const struct eng *e);    /* the end eng_finish used (or info.last_ns before) */
int64_t eng_now(const struct eng *e);          /* time of the event being applied */
size_t eng_level_count(const struct eng *e);
const struct eng_level *eng_level_at(const struct eng *e, size_t id);
size_t eng_cpu_count(const struct eng *e);     /* over all levels               */
struct eng_cpu *eng_cpu_at(struct eng *e, size_t index);
struct eng_cpu *eng_cpu(struct eng *e, uint16_t level, uint32_t cpu); /* NULL if none */
size_t eng_entity_count(const struct eng *e);
struct eng_entity *eng_entity_at(struct eng *e, size_t index);
/* Lookup without creating; NULL when never seen. */
struct eng_entity *eng_entity_find(struct eng *e, uint16_t level, uint32_t tid);
/* Host entity that is CPU vcpu of guest level gl, or NULL. */
struct eng_entity *eng_vcpu_entity(struct eng *e, uint16_t gl, uint32_t vcpu);

/* Totals over all CPUs. */
struct eng_totals {
	uint64_t events, lost_events, lost_records;
	uint64_t inferred, resyncs, conflicts;
	uint64_t migrate, cpu_changes;
	uint64_t bad_events;    /* events naming a level/CPU the file does not have */
	int64_t unknown_ns;
	uint64_t cpus_without_switch; /* CPUs unknown for the whole trace       */
};
void eng_totals(const struct eng *e, struct eng_totals *t);

#endif
