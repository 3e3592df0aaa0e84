# tests/xen: the Xen decoder, trace-buffer consumer, importer and real-capture
# tests (one CUnit program, tests/unit/test_xen.c + these suites), and the
# command-line checks of pmt-import xentrace.
UNIT_TESTS += test_xen
test_xen_SRCS := $(filter-out tests/xen/fuzz_xentrace.c,$(sort $(wildcard tests/xen/*.c))) $(XEN_SRCS)
SCRIPT_TESTS += tests/xen/import.sh
SCRIPT_TESTS += tests/xen/analyze.sh

# libFuzzer target for the xentrace importer (not part of make check):
#   make fuzz-xen [FUZZ_SECONDS=60]   seeds in tests/xen/corpus/
build-fuzz/fuzz_xentrace: tests/xen/fuzz_xentrace.c $(XEN_SRCS) $(wildcard record/xen/*.h format/*.c format/*.h)
	@mkdir -p build-fuzz
	@$(if $(Q),echo '  FUZZCC  $@')
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tests/xen/fuzz_xentrace.c $(XEN_SRCS) $(wildcard format/*.c) \
		$(ZLIB_LIBS) $(DEFLATE_LIBS)

.PHONY: fuzz-xen
fuzz-xen: build-fuzz/fuzz_xentrace
	@mkdir -p build-fuzz/corpus-xen
	$(Q)cd build-fuzz && ASAN_OPTIONS=detect_leaks=1 ./fuzz_xentrace -max_total_time=$(FUZZ_SECONDS) \
		-max_len=4096 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 corpus-xen ../tests/xen/corpus \
		2>&1 | tail -n 15
	$(Q)if ls build-fuzz/crash-* build-fuzz/leak-* build-fuzz/timeout-* build-fuzz/oom-* >/dev/null 2>&1; then \
		echo "fuzz-xen: the importer failed on an input (build-fuzz/crash-* / leak-* / timeout-* / oom-*)" >&2; exit 1; fi
SCRIPT_TESTS += tests/xen/twolevel.sh

# pmt-record --xen end to end without Xen: a test build of pmt-record that
# links tests/xen/fake/fakexen.c (libxenctrl & co over memory, with a
# producer thread) instead of Xen's libraries (tests/xen/live.sh). Its own
# objects live under $(O)/obj/ so that the top Makefile's -MMD dependency
# files cover them (a stale object after a header change corrupts memory).
ifeq ($(HAVE_XENCTRL),yes)
FAKEXEN_OBJS := $(patsubst %.c,$(O)/obj/%.o,$(filter-out record/xen/xen_source.c,$(pmt-record_SRCS))) \
	$(O)/obj/fakexen/xen_source.o $(O)/obj/fakexen/fakexen.o
FAKEXEN_LIBS := $(filter-out $(XENCTRL_LIBS) $(XENSTORE_LIBS),$(pmt-record_LIBS))
$(O)/obj/fakexen/xen_source.o: record/xen/xen_source.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo '  CC      $@')
	$(Q)$(CC) $(ALL_CFLAGS) -std=gnu11 $(XENCTRL_CFLAGS) -DHAVE_XENSTORE \
		-DPMT_XEN_CAPABILITIES='"$(CURDIR)/tests/xen/fake/capabilities"' -MMD -MP -c -o $@ $<
$(O)/obj/fakexen/fakexen.o: tests/xen/fake/fakexen.c tests/xen/xen_producer.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo '  CC      $@')
	$(Q)$(CC) $(ALL_CFLAGS) -std=gnu11 $(XENCTRL_CFLAGS) -MMD -MP -c -o $@ $<
$(O)/tests/pmt-record-fakexen: $(FAKEXEN_OBJS) $(LIBPMT)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo '  LD      $@')
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(FAKEXEN_OBJS) $(FAKEXEN_LIBS) $(LIBPMT) $(ZLIB_LIBS) \
		$(DEFLATE_LIBS) -lpthread -lm
TEST_EXTRA += $(O)/tests/pmt-record-fakexen
SCRIPT_TESTS += tests/xen/live.sh
endif
