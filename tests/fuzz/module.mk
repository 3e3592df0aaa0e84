# tests/fuzz/module.mk - libFuzzer target for the .pmt reader and the analysis engine.
#   make fuzz-run                 build build-fuzz/fuzz_reader and fuzz ~30 s
#   make fuzz-run FUZZ_SECONDS=600  a longer run
# The target links libpmt's sources compiled by clang with the fuzzer, ASan and
# UBSan; the seed corpus is tests/fuzz/corpus/ (small files) and new inputs go
# to build-fuzz/corpus/. A crash leaves crash-* in build-fuzz/ and fails.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 30
FUZZ_FLAGS := -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-D_GNU_SOURCE -Iformat/include -I. $(if $(HAVE_DEFLATE),-DHAVE_DEFLATE=1)

build-fuzz/fuzz_reader: tests/fuzz/fuzz_reader.c analyze/engine/engine.c analyze/engine/engine.h $(wildcard format/*.c format/*.h format/include/pmt.h)
	@mkdir -p build-fuzz
	@$(if $(Q),echo '  FUZZCC  $@')
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_reader.c analyze/engine/engine.c $(wildcard format/*.c) $(ZLIB_LIBS) $(DEFLATE_LIBS)

.PHONY: fuzz-run
fuzz-run: build-fuzz/fuzz_reader
	@mkdir -p build-fuzz/corpus
	$(Q)cd build-fuzz && ASAN_OPTIONS=detect_leaks=1 ./fuzz_reader -max_total_time=$(FUZZ_SECONDS) \
		-max_len=8192 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 corpus ../tests/fuzz/corpus \
		2>&1 | tail -n 15
	$(Q)if [ -n "$$(ls build-fuzz/crash-* build-fuzz/leak-* build-fuzz/timeout-* build-fuzz/oom-* 2>/dev/null)" ]; then \
		echo "fuzz-run: the reader failed on an input (build-fuzz/crash-* / leak-* / timeout-* / oom-*)" >&2; exit 1; fi
