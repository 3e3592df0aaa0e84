# analyze/: pmt-analyze. Commands are analyze/cmd_*.c; the engine and the
# analysis modules live in analyze/engine/ and analyze/twolevel/.
ifneq ($(wildcard format/*.c),)
PROGS += pmt-analyze
endif
pmt-analyze_SRCS := $(wildcard analyze/*.c analyze/engine/*.c analyze/twolevel/*.c)

UNIT_TESTS += test_table
test_table_SRCS := analyze/table.c
