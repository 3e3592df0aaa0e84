# bench/module.mk - benchmarks (not tests, not installed). `make bench` builds
# them into $(O)/bench/ and runs them.

# The .pmt format: speed and size on synthetic scheduler mixes.
BENCH_FORMAT_SRCS := bench/format_bench.c bench/format_gen.c
$(O)/bench/pmt-format-bench: $(patsubst %.c,$(O)/obj/%.o,$(BENCH_FORMAT_SRCS)) $(LIBPMT)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo '  LD      $@')
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(patsubst %.c,$(O)/obj/%.o,$(BENCH_FORMAT_SRCS)) $(LIBPMT) $(ZLIB_LIBS) $(DEFLATE_LIBS) -lpthread -lm
BENCH_PROGS += $(O)/bench/pmt-format-bench
TEST_EXTRA += $(O)/bench/pmt-format-bench

.PHONY: bench bench-format
bench: bench-format
bench-format: $(O)/bench/pmt-format-bench
	$(O)/bench/pmt-format-bench

# Xen: pmt-import xentrace + pmt-analyze on the real capture vs xenalyze
# --summary (XENALYZE=path; bench/xen.sh).
.PHONY: bench-xen
bench: bench-xen
bench-xen: all
	O=$(O) bench/xen.sh

# pmt-analyze: events/s and peak memory vs trace-cmd report and perf sched
# timehist (bench/analyze); analyze-speed splits the CPU time per event.
$(O)/bench/analyze-speed: $(O)/obj/bench/analyze_speed.o $(O)/obj/analyze/engine/engine.o $(LIBPMT)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo '  LD      $@')
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(ZLIB_LIBS) $(DEFLATE_LIBS) -lpthread -lm
TEST_EXTRA += $(O)/bench/analyze-speed
.PHONY: bench-analyze
bench: bench-analyze
bench-analyze: all $(O)/tests/analyze-gen $(O)/bench/analyze-speed
	O=$(O) bench/analyze

# pmt-record: what recording costs the traced workload, against the floor,
# trace-cmd and perf (bench/record-overhead [ROUNDS]; root).
.PHONY: bench-record
bench: bench-record
bench-record: all
	O=$(O) bench/record-overhead

# pmt-tile: a real recording repeated end to end (bench/analyze's long points).
$(O)/bench/pmt-tile: $(O)/obj/bench/tile.o $(LIBPMT)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo '  LD      $@')
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(ZLIB_LIBS) $(DEFLATE_LIBS) -lpthread -lm
TEST_EXTRA += $(O)/bench/pmt-tile
bench-analyze: $(O)/bench/pmt-tile
