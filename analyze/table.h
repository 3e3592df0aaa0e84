/*
 * table.h - report output for pmt-analyze (and any tool printing tables):
 * one output document holding notes and named tables, printed as aligned
 * text (default), CSV or JSON with the same column names.
 *
 * Ownership: struct out owns its tables; table_close() frees a table; all
 * strings given to table_set_s()/out_note() are copied. Nothing here exits.
 *
 * Layout per format:
 *  text: a table's title line (if not empty), a header line, aligned rows;
 *        notes as lines starting with "note: ". Buffered tables are aligned to
 *        their widest cell; TABLE_STREAM tables use the columns' declared widths
 *        and print each row as it ends (memory stays bounded for long timelines).
 *  csv:  per table a header line then rows (RFC 4180 quoting); several tables
 *        are separated by a blank line and a "# table: NAME" line; notes are
 *        "# note: ..." lines (pandas: read_csv(comment='#')).
 *  json: one object {"notes": [...], "NAME": [ {col: value, ...}, ... ], ...};
 *        a TABLE_SINGLE table is an object instead of an array.
 */
#ifndef PMT_TABLE_H
#define PMT_TABLE_H

#include <stdint.h>
#include <stdio.h>

enum out_format { OUT_TEXT = 0, OUT_CSV, OUT_JSON };

enum col_type {
	COL_STR = 0,
	COL_INT,   /* int64_t */
	COL_UINT,  /* uint64_t */
	COL_FLOAT, /* double, printed with prec decimals (default 3) */
};

struct col {
	const char *name;  /* stable column name (docs/METRICS.md)              */
	int type;          /* enum col_type                                     */
	int width;         /* TABLE_STREAM text width (0: max(name, 10))         */
	int prec;          /* COL_FLOAT decimals (0 means 3; use -1 for 0)       */
};

#define TABLE_STREAM 0x1u /* print rows as they end (fixed widths in text)    */
#define TABLE_SINGLE 0x2u /* one row: text as "name  value" lines, json object*/

struct out;
struct table;

/* Parse "text" | "csv" | "json"; returns -1 when unknown. */
int out_format_parse(const char *s);

/* A document on f (not closed by out_close). NULL only on allocation failure. */
struct out *out_open(FILE *f, enum out_format fmt);
enum out_format out_format_of(const struct out *o);
/* A note: in text "note: ...", csv "# note: ...", json the "notes" array.
 * In json, notes are printed at out_close (so they may come at any time). */
void out_note(struct out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Finish the document (closes open tables); returns 0, or -1 on a write error. */
int out_close(struct out *o);

/* Start a table. title: shown in text output above the header (may be ""). */
struct table *out_table(struct out *o, const char *name, const char *title,
			const struct col *cols, int ncols, unsigned flags);
void table_set_s(struct table *t, int col, const char *s);
void table_set_i(struct table *t, int col, int64_t v);
void table_set_u(struct table *t, int col, uint64_t v);
void table_set_f(struct table *t, int col, double v);
/* Leave a cell empty (csv: empty, json: null, text: "-"). Cells not set in a
 * row are empty too. */
void table_set_null(struct table *t, int col);
/* End the current row (and print it for TABLE_STREAM). */
void table_end_row(struct table *t);
/* Print a buffered table and free it. NULL is fine. */
void table_close(struct table *t);

#endif
