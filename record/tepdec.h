/*
 * tepdec.h - decode binary scheduler records with the format files of the
 * kernel that wrote them (libtraceevent), into pmt_sched calls.
 *
 * Shared by the live Linux source (records from raw ring-buffer pages) and
 * the trace.dat importer (records from libtracecmd). Field offsets and the
 * meaning of prev_state bits are taken from the tep handle once, at setup;
 * per record the work is a table lookup on the event id and a few loads.
 */
#ifndef PMT_RECORD_TEPDEC_H
#define PMT_RECORD_TEPDEC_H

#include <stddef.h>
#include <stdint.h>

#include "record/sched.h"

struct tep_handle;
struct tep_event;
struct pmt_tepdec;

/* An extra event's handler (record/linux.h routes them). */
typedef int (*pmt_tepdec_fn)(void *ctx, struct tep_event *ev, uint32_t cpu,
			     uint64_t ts, int32_t common_pid, void *data, int size);

/* The scheduler events this decoder understands, in the order tried. */
enum pmt_tepdec_kind {
	PMT_TD_NONE = 0,
	PMT_TD_SWITCH,
	PMT_TD_MIGRATE,
	PMT_TD_WAKING,
	PMT_TD_WAKEUP,
	PMT_TD_WAKEUP_NEW,
	PMT_TD_NEWTASK,         /* task:task_newtask (fork with clone flags)      */
	PMT_TD_FORK,            /* sched:sched_process_fork                       */
	PMT_TD_EXEC,
	PMT_TD_EXIT,
	PMT_TD_EXTRA,           /* routed to an added handler                     */
	PMT_TD_KIND_MAX_
};

/* The system and name of a kind ("sched", "sched_switch"). */
const char *pmt_tepdec_system(int kind);
const char *pmt_tepdec_name(int kind);
/* The kind of system:name, or PMT_TD_NONE. */
int pmt_tepdec_kind_of(const char *system, const char *name);

/*
 * Set up for every kind the tep knows. NULL on error with a reason in msg
 * (a known event whose fields do not match is an error: "sched_switch:
 * no field 'prev_state'"). warn (may be NULL) gets notes such as a
 * prev_state meaning guessed because the print format could not be used.
 */
struct pmt_tepdec *pmt_tepdec_new(struct tep_handle *tep, struct pmt_sched *s,
				  char *msg, size_t msglen,
				  void (*warn)(void *ctx, const char *text), void *warn_ctx);
void pmt_tepdec_free(struct pmt_tepdec *d);
/* Does the tep know this kind? */
int pmt_tepdec_has(const struct pmt_tepdec *d, int kind);
/* Route records of ev to fn. 0 or -1. */
int pmt_tepdec_add(struct pmt_tepdec *d, struct tep_event *ev, pmt_tepdec_fn fn, void *ctx);

/* Decode one record (data = payload starting with common_type). Returns 0,
 * 1 when the record was skipped (unknown event or too short), or <0 from
 * the sink. */
int pmt_tepdec_record(struct pmt_tepdec *d, uint32_t cpu, uint64_t ts,
		      const void *data, int size);

/* Records seen per kind (index enum pmt_tepdec_kind; NONE = skipped). */
const uint64_t *pmt_tepdec_counts(const struct pmt_tepdec *d);
/* Normalized state of a raw prev_state value. */
uint32_t pmt_tepdec_state(const struct pmt_tepdec *d, uint64_t raw);

#endif
