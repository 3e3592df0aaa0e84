# tests/analyze/: pmt-analyze checked against generated traces with exact
# ground truth (analyze-gen) and against expected outputs of sample traces.
ifneq ($(wildcard format/*.c),)
TEST_EXTRA += $(O)/tests/analyze-gen
SCRIPT_TESTS += $(sort $(wildcard tests/analyze/*.sh))

$(O)/tests/analyze-gen: $(O)/obj/tests/analyze/gen.o $(LIBPMT)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo '  LD      $@')
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBPMT) $(ZLIB_LIBS) $(DEFLATE_LIBS) -lpthread -lm
endif
