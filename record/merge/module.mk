# record/merge/module.mk - pmt-merge and the clock fit (the two-level area).
UNIT_TESTS += test_vmfit
test_vmfit_SRCS := record/merge/fit.c record/sync.c

PROGS += pmt-merge
pmt-merge_SRCS := record/merge/merge.c record/merge/clockmap.c record/merge/fit.c record/sync.c
