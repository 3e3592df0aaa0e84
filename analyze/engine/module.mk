# analyze/engine/: the streaming engine (compiled into pmt-analyze through
# analyze/module.mk's wildcard) and its unit tests.
ifneq ($(wildcard format/*.c),)
UNIT_TESTS += test_engine
test_engine_SRCS := analyze/engine/engine.c
endif
ifneq ($(wildcard format/*.c),)
UNIT_TESTS += test_engine_hist
test_engine_hist_SRCS := analyze/engine/hist.c
endif
