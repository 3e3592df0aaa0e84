# record/ - pmt-record (Linux tracefs source and the source table) and pmt-import.
# Other sources add their file to pmt-record_SRCS in their own fragment
# (e.g. record/xen/module.mk: pmt-record_SRCS += record/xen/xen.c).
EXTRA_CFLAGS_record := $(TRACEFS_CFLAGS) $(TRACECMD_CFLAGS)

PMT_SCHED_SRCS := record/sched.c record/tepdec.c

PROGS += pmt-record
pmt-record_SRCS += record/main.c record/sources.c record/linux.c $(PMT_SCHED_SRCS)
pmt-record_LIBS += $(TRACEFS_LIBS)

PROGS += pmt-import
pmt-import_SRCS += record/import/main.c record/import/common.c record/import/ftrace.c \
	record/import/tracedat.c \
	$(PMT_SCHED_SRCS)
pmt-import_LIBS += $(TRACECMD_LIBS) $(TRACEFS_LIBS)

# Workloads with known answers (tests/workloads/*.c, one file each, no libpmt):
# built with `make all` because `make demo` runs one of them.
RECORD_WORKLOADS := $(patsubst tests/workloads/%.c,$(O)/tests/workloads/%,$(wildcard tests/workloads/*.c))
all: $(RECORD_WORKLOADS)
$(O)/tests/workloads/%: tests/workloads/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo '  CC      $@')
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< -lpthread

# evdump: prints a .pmt's events for the recording tests (not installed).
TEST_EXTRA += $(O)/tests/evdump
$(O)/tests/evdump: $(O)/obj/tests/record/evdump.o $(LIBPMT)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo '  LD      $@')
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(O)/obj/tests/record/evdump.o $(LIBPMT) $(ZLIB_LIBS) $(DEFLATE_LIBS) -lpthread -lm

SCRIPT_TESTS += tests/record/record.sh tests/record/import.sh tests/record/overload.sh

UNIT_TESTS += test_record_sched
test_record_sched_SRCS := $(PMT_SCHED_SRCS) record/import/common.c record/import/ftrace.c
test_record_sched_LIBS := $(TRACEFS_LIBS)
