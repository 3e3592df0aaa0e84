/*
 * migorder.h - the migration rows of the engine in time order, for the
 * migrations report and export's migrations.csv.
 *
 * The engine learns of a switch-in it did not see (inferred, or a resync
 * after a loss) only at the switch-out, so its cpu-change row comes late.
 * Such a switch-in on CPU c lies at or after the last switch recorded on c
 * (the engine's bound of c), and every other row is at the event being
 * applied; so a row is final once every stream's bound is at or after its
 * time (or the stream has no events left). Rows wait in a heap until then,
 * checked when a row is found (no work per event): memory is bounded by the
 * rows found between two switches of the slowest CPU, and by MIG_ORDER_MAX
 * rows (past it the earliest row goes out at once and the order may break:
 * mig_order_done says so).
 */
#ifndef PMT_ANALYZE_MIGORDER_H
#define PMT_ANALYZE_MIGORDER_H

#include <stddef.h>
#include <stdint.h>

#include "analyze/engine/report.h"
#include "analyze/table.h"

#define MIG_ORDER_MAX 65536

/* One row, its values taken when it was found (names and the composed pCPUs
 * change later). */
struct mig_row {
	int64_t time_ns, off_cpu_ns, pcpu_from, pcpu_to; /* pcpu_*: -1 none */
	uint64_t seq;
	const char *level;
	uint32_t tid, pid, from_cpu, to_cpu;
	uint8_t kind, inferred, uncertain, has_off, composed;
	char comm[32];
	char *comm_long;        /* owned; the name when it does not fit comm   */
};

/* Print one row (the caller's table). */
typedef void (*mig_row_fn)(void *ctx, const struct mig_row *r);

struct mig_order {
	const struct rep *p;
	mig_row_fn fn;
	void *ctx;
	struct mig_row *heap;   /* min-heap by (time, seq); NULL: no waiting   */
	size_t n, cap;
	uint64_t seq;
	int overflowed;
	size_t nstreams;
	struct eng_cpu **scpu;  /* per stream: its CPU (NULL: no events)       */
};

/* The columns of a migration row (docs/METRICS.md, migrations): the first
 * MIG_NCOLS always, then pcpu_from and pcpu_to with --composed. */
#define MIG_NCOLS 11
#define MIG_NCOLS_COMPOSED 13
extern const struct col mig_cols[MIG_NCOLS_COMPOSED];

/* Whether --time, the task filters and --cpu (either end) keep m. */
int mig_wanted(const struct rep *p, const struct eng_migration *m);
/* Set the first MIG_NCOLS cells of r in t (times relative to the trace start). */
void mig_row_cells(struct table *t, const struct rep *p, const struct mig_row *r);

/* Before rep_run. Without memory, rows go out as found. */
void mig_order_init(struct mig_order *o, const struct rep *p, mig_row_fn fn, void *ctx);
/* The row of m (level, entity, CPUs, flags); composed columns left empty. */
void mig_order_fill(const struct mig_order *o, struct mig_row *r, const struct eng_migration *m);
/* The row's name (comm or comm_long). */
const char *mig_row_comm(const struct mig_row *r);
/* A row found (takes comm_long). */
void mig_order_push(struct mig_order *o, struct mig_row *r);
/* Print what waits (at the end: eng's end hook or after rep_run), free;
 * 1 when the order broke (too many rows waited), else 0. */
int mig_order_done(struct mig_order *o);

#endif
