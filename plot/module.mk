# plot/: pmt-plot, figures through gnuplot (a run-time dependency: gnuplot-nox).
ifneq ($(wildcard format/*.c),)
PROGS += pmt-plot
endif
pmt-plot_SRCS := $(wildcard plot/*.c)

# Tests: samples.sh draws every figure from the sample traces with
# pmt-analyze's reports; plot.sh checks the options and failure paths on
# traces mktrace writes with a known schedule.
ifneq ($(wildcard format/*.c),)
SCRIPT_TESTS += tests/plot/plot.sh tests/plot/samples.sh
TEST_EXTRA += $(O)/tests/plot-mktrace
endif
$(O)/tests/plot-mktrace: $(O)/obj/tests/plot/mktrace.o $(LIBPMT)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo '  LD      $@')
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBPMT) $(ZLIB_LIBS) $(DEFLATE_LIBS) -lpthread -lm
