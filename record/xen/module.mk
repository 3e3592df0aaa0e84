# record/xen: the Xen decoder, the xentrace importer and the libxenctrl
# live source (docs/XEN.md). XEN_SRCS is linked into pmt-import and the unit
# tests; the live source joins pmt-record when libxenctrl is found.
XEN_SRCS := record/xen/xen_rec.c record/xen/xen_merge.c record/xen/xen_decode.c \
	record/xen/xen_import.c record/xen/xen_tbuf.c
