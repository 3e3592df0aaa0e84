# tests/xen: the Xen decoder, trace-buffer consumer, importer and real-capture
# tests (one CUnit program, tests/unit/test_xen.c + these suites), and the
# command-line checks of pmt-import xentrace.
UNIT_TESTS += test_xen
test_xen_SRCS := $(sort $(wildcard tests/xen/*.c)) $(XEN_SRCS)
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
