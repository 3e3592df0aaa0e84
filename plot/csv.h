/*
 * csv.h - streaming reader for the CSV documents pmt-analyze prints with
 * --format csv: one or more tables, each a header line then rows (RFC 4180
 * quoting), tables separated by a blank line and an optional
 * "# table: NAME" line; "# note: ..." lines are notes.
 *
 * Ownership: struct csv owns every string it hands out; a row's cells stay
 * valid until the next csv_next() call, the header and table name until the
 * next table starts, notes until csv_close(). Nothing here prints or exits.
 */
#ifndef PMT_PLOT_CSV_H
#define PMT_PLOT_CSV_H

#include <stddef.h>
#include <stdint.h>

struct csv;

/* Open a file; NULL with errno set on failure. */
struct csv *csv_open(const char *path);
void csv_close(struct csv *c);

/*
 * Next data row: 1, or 0 at the end of the document, or -1 on a malformed
 * line (an unterminated quote) or a read error. When a row is the first of
 * a new table, csv_new_table() is 1 until the following call.
 */
int csv_next(struct csv *c);
int csv_new_table(const struct csv *c);
/* Name from the table's "# table:" line, or "" when it had none. */
const char *csv_table_name(const struct csv *c);
/* Index of a column of the current table (after the end of the document:
 * of the last table, also when it had no rows), or -1. */
int csv_col(const struct csv *c, const char *name);
/* First of several names that exists (NULL-terminated list), or -1. */
int csv_col_any(const struct csv *c, const char *const *names);
int csv_ncols(const struct csv *c);
const char *csv_colname(const struct csv *c, int i);
/* Cell of the current row ("" when i is out of range or the cell is empty). */
const char *csv_get(const struct csv *c, int i);
/* Cell as a number; 0 when empty or not a number (*ok, if given, says which). */
int64_t csv_get_i(const struct csv *c, int i, int *ok);
double csv_get_f(const struct csv *c, int i, int *ok);
/* Advance to the first row of the table named name (or to the first row of
 * the next table when name is NULL): 1 found, 0 not found, -1 error. */
int csv_find_table(struct csv *c, const char *name);
/* Notes met so far ("# note: " prefix removed). */
size_t csv_nnotes(const struct csv *c);
const char *csv_note(const struct csv *c, size_t i);
/* Line number of the current row (1-based), for messages. */
uint64_t csv_lineno(const struct csv *c);

#endif
