/*
 * sources.c - the table of pmt-record's sources (see source.h: "To add a
 * source"). Order: open/start in table order, stop/close in reverse.
 */
#include "record/source.h"
#include "record/linux.h"

const struct pmt_source *const pmt_sources[] = {
	&pmt_source_linux,
	NULL,
};
