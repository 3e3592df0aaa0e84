# format/module.mk - libpmt: the .pmt format library (docs/FORMAT.md).
# Included first by the top Makefile (before 'objs' is defined: spell it out).
LIBPMT_SRCS := $(sort $(wildcard format/*.c))
EXTRA_CFLAGS_format := $(ZLIB_CFLAGS) $(if $(HAVE_DEFLATE),-DHAVE_DEFLATE=1)

$(LIBPMT): $(patsubst %.c,$(O)/obj/%.o,$(LIBPMT_SRCS))
	@mkdir -p $(dir $@)
	@$(if $(Q),echo '  AR      $@')
	$(Q)rm -f $@ && $(AR) rcs $@ $^

# Unit tests of libpmt (tests/unit/test_format*.c).
UNIT_TESTS += test_format test_format_damage test_format_merge
SCRIPT_TESTS += tests/format/cli.sh
