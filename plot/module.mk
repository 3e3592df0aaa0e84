# plot/: pmt-plot, figures through gnuplot (a run-time dependency: gnuplot-nox).
ifneq ($(wildcard format/*.c),)
PROGS += pmt-plot
endif
pmt-plot_SRCS := $(wildcard plot/*.c)
