/*
 * composed.h - the two-level additions to the engine's reports:
 * `migrations --composed` (pCPU before and after each guest task migration),
 * `affinity --composed` (run time per (guest task, pCPU), stolen time) and
 * `latency --split` (guest delay and host delay of each wakeup). Each hook
 * attaches a struct tl to the report's engine before the pass and prints its
 * table after it; definitions in docs/METRICS.md ("Two levels").
 */
#ifndef PMT_COMPOSED_H
#define PMT_COMPOSED_H

#include "analyze/engine/report.h"
#include "analyze/twolevel/tl.h"

/* A tl fed by p's engine (register before rep_run). NULL when out of memory
 * (after an error line). Freed with tl_free(). */
struct tl *tl_attach(struct rep *p);

/* For a migration of guest task tid (level) onto guest CPU to_cpu, at the
 * moment the engine reports it: the pCPU it last ran on and the pCPU of its
 * new vCPU (-1 when not known). */
void tl_migration_pcpus(struct tl *t, uint16_t level, uint32_t tid, uint32_t to_cpu,
			int32_t *from, int32_t *to);

/* affinity --composed [--matrix]: tables "composed" or "composed_residency". */
void tl_report_composed(struct rep *p, struct tl *t, int matrix);
/* latency --split: table "latency_split". */
void tl_report_split(struct rep *p, struct tl *t);

#endif
