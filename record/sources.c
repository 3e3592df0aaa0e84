/*
 * sources.c - the table of pmt-record's sources (see source.h: "To add a
 * source"). Order: open/start in table order, stop/close in reverse.
 */
#include "record/source.h"
#include "record/linux.h"

#ifdef HAVE_XENCTRL
extern const struct pmt_source pmt_source_xen; /* record/xen/xen_source.c */
#endif
extern const struct pmt_source pmt_source_vm, pmt_source_sync;

const struct pmt_source *const pmt_sources[] = {
	&pmt_source_linux,
#ifdef HAVE_XENCTRL
	&pmt_source_xen,
#endif
	&pmt_source_vm,   /* --vm: a QEMU guest's vCPU threads (record/vm.c) */
	&pmt_source_sync, /* --sync-pulses: guest side (record/sync_source.c) */
	NULL,
};
