/*
 * linux.h - the Linux tracefs source, as other sources may extend it.
 *
 * The Linux source (record/linux.c) owns a private tracefs instance
 * (instances/pmt-PID), its per-CPU raw buffers and their decoding with the
 * running kernel's format files. A source that needs more kernel events on
 * the same CPUs and clock (kvm events, a syscall of some threads) does not
 * make its own instance: in its open() hook (which runs after the Linux
 * source's open) it calls pmt_linux_add_event() for each event and receives
 * every such record, already decoded to (cpu, ts, common_pid, data), in the
 * handler, in per-CPU time order with the scheduler events.
 */
#ifndef PMT_RECORD_LINUX_H
#define PMT_RECORD_LINUX_H

#include <stdint.h>

#include "record/source.h"

struct tep_handle;
struct tep_event;
struct tracefs_instance;
struct pmt_linux;

extern const struct pmt_source pmt_source_linux;

/* One raw record of an added event. data/size: the record's payload (the
 * format file's offsets apply to data). Valid during the handler only. */
struct pmt_linux_rec {
	uint32_t cpu;
	uint64_t ts;            /* raw, in the host level's clock                 */
	int32_t common_pid;     /* the task that was running                      */
	struct tep_event *event;
	void *data;
	int size;
};

/* Called for every record of an added event; returns 0, or <0 to stop the
 * recording (after pmt_rec_err). Write events with pmt_rec_append(). */
typedef int (*pmt_linux_handler)(struct pmt_rec *r, void *ctx,
				  const struct pmt_linux_rec *rec);

/* The Linux source of this recording, or NULL when it does not take part.
 * Valid from the Linux source's open() to its close(). */
struct pmt_linux *pmt_linux_of(struct pmt_rec *r);

/* Enable system:name in the instance and route its records to fn. Returns 0,
 * 1 when this kernel lacks the event (a warning was printed; recording goes
 * on without it), -1 on error. Only before start(). */
int pmt_linux_add_event(struct pmt_linux *l, const char *system, const char *name,
			pmt_linux_handler fn, void *ctx);

/* Set the kernel filter of an enabled event ("common_pid == 12 || ..."), before
 * start(). 0 or -1 (after pmt_rec_err). */
int pmt_linux_set_filter(struct pmt_linux *l, const char *system, const char *name,
			 const char *filter);

/* The parsed format files (field offsets: tep_find_field / tep_read_number_field)
 * and the instance. Owned by the Linux source. */
struct tep_handle *pmt_linux_tep(struct pmt_linux *l);
struct tracefs_instance *pmt_linux_instance(struct pmt_linux *l);

/* Thread group of a host tid as the recorder knows it (from /proc at start,
 * then forks), or 0 when unknown. */
uint32_t pmt_linux_tgid(struct pmt_linux *l, uint32_t tid);

#endif
