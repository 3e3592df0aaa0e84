/*
 * sched.h - scheduler events to pmt events, shared by pmt-record and the
 * importers (ftrace text, trace.dat).
 *
 * Every front end (raw ring-buffer pages, text lines, libtracecmd records)
 * extracts the fields of a kernel scheduler event and calls one function
 * here. This module keeps the task table (tid -> thread group, name) so that
 * every task seen gets a name: a PMT_EV_NAME record is written the first
 * time a task appears with a name the table does not hold yet (new tasks,
 * renames, exec), and new tasks are collected for the file's task table.
 * It allocates only when the task table grows, never per event.
 */
#ifndef PMT_RECORD_SCHED_H
#define PMT_RECORD_SCHED_H

#include <stdint.h>

#include "pmt.h"

#define PMT_COMM_LEN 16 /* the kernel's TASK_COMM_LEN, NUL included */

/* Where decoded events go (pmt_rec_append, or a writer directly). */
typedef int (*pmt_sched_emit_fn)(void *ctx, const struct pmt_event *ev);
/* Thread group of a tid the table does not know, or 0 (live /proc lookup). */
typedef uint32_t (*pmt_sched_tgid_fn)(void *ctx, uint32_t tid);

struct pmt_sched;

/* NULL on allocation failure. level: the level id events are written to. */
struct pmt_sched *pmt_sched_new(uint16_t level, pmt_sched_emit_fn emit, void *ctx);
void pmt_sched_free(struct pmt_sched *s);
/* Optional resolver for tids seen before their fork (live recording only). */
void pmt_sched_set_tgid_fn(struct pmt_sched *s, pmt_sched_tgid_fn fn, void *ctx);

/* A task known before the recording (initial task table): no event written. */
int pmt_sched_add_known(struct pmt_sched *s, uint32_t tid, uint32_t tgid, const char *comm);
/* tid (known) is a kernel thread: so are the tasks it creates. */
void pmt_sched_set_kthread(struct pmt_sched *s, uint32_t tid);
/* Thread group of tid, or 0 if unknown. */
uint32_t pmt_sched_tgid(const struct pmt_sched *s, uint32_t tid);

/*
 * Event entry points. comm arguments: the name as the kernel printed it in
 * the event (up to 15 chars, need not be NUL-terminated within
 * PMT_COMM_LEN) or NULL when the event has none. All return 0 or the emit
 * function's error.
 */
int pmt_sched_switch(struct pmt_sched *s, uint32_t cpu, uint64_t ts,
		     uint32_t prev, const char *prev_comm, uint32_t prev_state,
		     uint32_t next, const char *next_comm);
int pmt_sched_migrate(struct pmt_sched *s, uint32_t cpu, uint64_t ts,
		      uint32_t tid, const char *comm, uint32_t from, uint32_t to);
/* flags: PMT_WAKE_*; waker: the task running when the event fired. */
int pmt_sched_wakeup(struct pmt_sched *s, uint32_t cpu, uint64_t ts, uint32_t tid,
		     const char *comm, uint32_t target, uint32_t waker, uint32_t flags);
/* A new task. is_thread: 1 (CLONE_THREAD, from task_newtask's clone flags),
 * 0 (a new process), -1 unknown (sched_process_fork carries no clone flags:
 * the child is then recorded as a new process, its own thread group). */
int pmt_sched_fork(struct pmt_sched *s, uint32_t cpu, uint64_t ts, uint32_t parent,
		   uint32_t child, const char *child_comm, int is_thread);
/* filename: the path executed (its base name, cut to 15 chars, becomes the
 * task's name as the kernel does). old_tid: the tid before exec (a thread
 * that executes becomes its group leader), or tid. */
int pmt_sched_exec(struct pmt_sched *s, uint32_t cpu, uint64_t ts, uint32_t tid,
		   uint32_t old_tid, const char *filename);
int pmt_sched_exit(struct pmt_sched *s, uint32_t cpu, uint64_t ts, uint32_t tid);
/* count events lost on cpu from ts over span ticks (0: unknown). */
int pmt_sched_lost(struct pmt_sched *s, uint32_t cpu, uint64_t ts, uint64_t count,
		   uint64_t span);

/* Tasks first seen since the last call (new, or renamed): fn is called for
 * each (flags: PMT_TASK_KTHREAD for a kernel thread); used to add them to
 * the file's task table at each flush. */
void pmt_sched_take_new(struct pmt_sched *s,
			void (*fn)(void *ctx, uint32_t tid, uint32_t tgid, uint32_t flags,
				   const char *comm),
			void *ctx);

/* Normalized state (enum pmt_task_state) of a state letter as the kernel
 * prints it ('R', 'S', 'D', 'T', 't', 'X', 'Z', 'P', 'I'...). */
uint32_t pmt_sched_state_letter(char c);
/* Of a printed prev_state ("S", "R+", "D|K", "I"): its first letter. */
uint32_t pmt_sched_state_text(const char *s, size_t len);

#endif
