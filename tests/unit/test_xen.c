/*
 * test_xen.c - the Xen test program: its suites live in tests/xen/ (the
 * records, merge and decoder; the trace-buffer consumer; the importer; the
 * real capture in ../shared/data/xentrace/).
 */
#include "tests/unit/pmt_cu.h"
#include "tests/xen/xen_tests.h"

void pmt_cu_register(void)
{
	xen_register_decode();
	xen_register_tbuf();
	xen_register_import();
	xen_register_real();
}
