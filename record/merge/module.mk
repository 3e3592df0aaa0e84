# record/merge/module.mk - pmt-merge and the clock fit (the two-level area).
UNIT_TESTS += test_vmfit
test_vmfit_SRCS := record/merge/fit.c record/sync.c

PROGS += pmt-merge
pmt-merge_SRCS := record/merge/merge.c record/merge/clockmap.c record/merge/fit.c record/sync.c

UNIT_TESTS += test_vmproc
test_vmproc_SRCS := record/vm_proc.c

# pmt-record's VM sources: host side (--vm) and guest side (--sync-pulses).
pmt-record_SRCS += record/vm.c record/vm_proc.c record/sync_source.c record/sync.c
