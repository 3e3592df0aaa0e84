/*
 * figures.c - the table of pmt-plot's figures, one fig_NAME.c each. The
 * order is the order of 'all' and of --help.
 */
#include "plot/plot.h"

#include <string.h>

extern const struct figure fig_timeline, fig_vcpus, fig_residency, fig_migrations,
	fig_cosched, fig_stalls, fig_latency, fig_compare;

const struct figure *const plot_figures[] = {
	&fig_timeline,
	&fig_vcpus,
	&fig_residency,
	&fig_migrations,
	&fig_cosched,
	&fig_stalls,
	&fig_latency,
	&fig_compare,
	NULL,
};

const struct figure *plot_figure_find(const char *name)
{
	for (const struct figure *const *g = plot_figures; *g; g++)
		if (strcmp((*g)->name, name) == 0)
			return *g;
	return NULL;
}
