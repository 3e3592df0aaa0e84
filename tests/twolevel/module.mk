# tests/twolevel/: two-level reports against pmt-synth scenarios.
SCRIPT_TESTS += tests/twolevel/scenarios.sh
SCRIPT_TESTS += tests/twolevel/samples.sh
SCRIPT_TESTS += tests/twolevel/vmruns.sh
ifneq ($(wildcard format/*.c),)
UNIT_TESTS += test_twolevel
test_twolevel_SRCS := analyze/twolevel/tl.c analyze/twolevel/tl_skew.c analyze/twolevel/tl_stall.c analyze/engine/hist.c
endif
