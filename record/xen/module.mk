# record/xen: the Xen decoder, the xentrace importer and the libxenctrl
# live source (docs/XEN.md). XEN_SRCS is linked into pmt-import, pmt-record
# and the unit tests; the live source joins pmt-record when libxenctrl is
# found (HAVE_XENCTRL), and record/sources.c lists it under the same flag.
XEN_SRCS := record/xen/xen_rec.c record/xen/xen_merge.c record/xen/xen_decode.c \
	record/xen/xen_import.c record/xen/xen_tbuf.c record/xen/xen_guest.c

pmt-import_SRCS += record/xen/xen_import_cli.c $(XEN_SRCS)

ifeq ($(HAVE_XENCTRL),yes)
XENSTORE_LIBS := $(shell $(PKG_CONFIG) --libs xenstore 2>/dev/null)
pmt-record_SRCS += record/xen/xen_source.c $(XEN_SRCS)
pmt-record_LIBS += $(XENCTRL_LIBS) $(XENSTORE_LIBS)
$(O)/obj/record/sources.o: CPPFLAGS += -DHAVE_XENCTRL
# Xen's public headers need GNU C (anonymous unions): gnu11 for this file only.
$(O)/obj/record/xen/xen_source.o: CFLAGS += -std=gnu11 $(XENCTRL_CFLAGS) \
	$(if $(XENSTORE_LIBS),-DHAVE_XENSTORE)
endif
