/* test_table.c - report output: alignment, CSV quoting, JSON escaping. */
#include "tests/unit/pmt_cu.h"
#include "analyze/table.h"

#include <stdlib.h>
#include <string.h>

static const struct col cols[] = {
	{ "name", COL_STR, 0, 0 },
	{ "count", COL_UINT, 0, 0 },
	{ "share", COL_FLOAT, 0, 2 },
};

/* Render two rows (one with a comma, a quote and a newline in its name) and
 * return the document as a malloc'ed string. */
static char *render(enum out_format fmt, unsigned flags)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct out *o = out_open(f, fmt);
	out_note(o, "5 events lost");
	struct table *t = out_table(o, "tasks", "Tasks", cols, 3, flags);
	table_set_s(t, 0, "a,b \"q\"\nz");
	table_set_u(t, 1, 12345);
	table_set_f(t, 2, 0.5);
	table_end_row(t);
	table_set_s(t, 0, "x");
	table_set_null(t, 1);
	table_set_f(t, 2, 1.0 / 3.0);
	table_end_row(t);
	table_close(t);
	CU_ASSERT_EQUAL(out_close(o), 0);
	fclose(f);
	return buf;
}

static void test_csv_quotes_fields_that_need_it(void)
{
	char *s = render(OUT_CSV, 0);
	CU_ASSERT_STRING_EQUAL(s, "# note: 5 events lost\n"
				  "name,count,share\n"
				  "\"a,b \"\"q\"\"\nz\",12345,0.50\n"
				  "x,,0.33\n");
	free(s);
}

static void test_json_escapes_and_nulls(void)
{
	char *s = render(OUT_JSON, 0);
	CU_ASSERT_STRING_EQUAL(s, "{\n\"tasks\": [\n"
				  "  {\"name\": \"a,b \\\"q\\\"\\nz\", \"count\": 12345, \"share\": 0.50},\n"
				  "  {\"name\": \"x\", \"count\": null, \"share\": 0.33}\n]"
				  ",\n\"notes\": [\"5 events lost\"]\n}\n");
	free(s);
}

static void test_json_streaming_gives_the_same_document(void)
{
	char *a = render(OUT_JSON, 0), *b = render(OUT_JSON, TABLE_STREAM);
	CU_ASSERT_STRING_EQUAL(a, b);
	free(a);
	free(b);
}

static void test_text_aligns_columns_to_the_widest_cell(void)
{
	char *s = render(OUT_TEXT, 0);
	/* numbers right-aligned under their header, control characters shown as '?' */
	CU_ASSERT_STRING_EQUAL(s, "note: 5 events lost\n"
				  "Tasks\n"
				  "name       count  share\n"
				  "a,b \"q\"?z  12345   0.50\n"
				  "x              -   0.33\n");
	free(s);
}

/* Long text cells in a streamed text table: every control character (< 0x20,
 * 0x7f) at any place becomes '?', every other byte (UTF-8 too) stays; rows
 * written in blocks come out whole and in order, the note after them. */
static void test_text_cells_long_and_many_rows(void)
{
	static const struct col c1[] = { { "text", COL_STR, 8, 0 }, { "n", COL_UINT, 4, 0 } };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct out *o = out_open(f, OUT_TEXT);
	struct table *t = out_table(o, "t", "", c1, 2, TABLE_STREAM);
	char cell[64], want[64];
	char *expect = malloc(3000 * 80), *e = expect;
	CU_ASSERT_PTR_NOT_NULL_FATAL(expect);
	e += sprintf(e, "%-8s  %4s\n", "text", "n");
	uint64_t r = 1;
	for (int row = 0; row < 3000; row++) {
		size_t n = 1 + row % 40;
		for (size_t i = 0; i < n; i++) {
			r = r * 6364136223846793005ull + 1442695040888963407ull;
			unsigned ch = (unsigned)(r >> 56);
			if (ch == 0)
				ch = 'a'; /* a string ends at NUL */
			cell[i] = (char)ch;
			want[i] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
		}
		cell[n] = want[n] = 0;
		table_set_s(t, 0, cell);
		table_set_u(t, 1, (uint64_t)row);
		table_end_row(t);
		e += sprintf(e, "%-8s  %4d\n", want, row);
	}
	table_close(t);
	out_note(o, "end");
	e += sprintf(e, "note: end\n");
	CU_ASSERT_EQUAL(out_close(o), 0);
	fclose(f);
	CU_ASSERT_EQUAL(len, (size_t)(e - expect));
	CU_ASSERT(len == (size_t)(e - expect) && memcmp(buf, expect, len) == 0);
	free(buf);
	free(expect);
}

static void test_format_names_parse(void)
{
	CU_ASSERT_EQUAL(out_format_parse("csv"), OUT_CSV);
	CU_ASSERT_EQUAL(out_format_parse("json"), OUT_JSON);
	CU_ASSERT_EQUAL(out_format_parse("text"), OUT_TEXT);
	CU_ASSERT_EQUAL(out_format_parse("xml"), -1);
}

void pmt_cu_register(void)
{
	CU_pSuite s = CU_add_suite("report tables", NULL, NULL);
	CU_add_test(s, "csv quotes fields that need it", test_csv_quotes_fields_that_need_it);
	CU_add_test(s, "json escapes strings and prints nulls", test_json_escapes_and_nulls);
	CU_add_test(s, "json streaming gives the same document", test_json_streaming_gives_the_same_document);
	CU_add_test(s, "text aligns columns to the widest cell", test_text_aligns_columns_to_the_widest_cell);
	CU_add_test(s, "long text cells and many streamed rows", test_text_cells_long_and_many_rows);
	CU_add_test(s, "format names parse", test_format_names_parse);
}
