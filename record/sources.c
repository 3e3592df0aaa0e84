/*
 * sources.c - the table of pmt-record's sources (see source.h: "To add a
 * source"). Order: open/start in table order, stop/close in reverse.
 */
#include "record/source.h"
#include "record/linux.h"

#ifdef HAVE_XENCTRL
extern const struct pmt_source pmt_source_xen; /* record/xen/xen_source.c */
#endif

const struct pmt_source *const pmt_sources[] = {
	&pmt_source_linux,
#ifdef HAVE_XENCTRL
	&pmt_source_xen,
#endif
	NULL,
};
