# analyze/synth/: pmt-synth, scripted two-level scenarios with exact answers
# (docs/SYNTH.md). Built once libpmt exists.
ifneq ($(wildcard format/*.c),)
PROGS += pmt-synth
endif
pmt-synth_SRCS := analyze/synth/main.c analyze/synth/parse.c analyze/synth/write.c
