/*
 * merge.c - pmt-merge: join guest recordings to a host recording on the host
 * clock (docs/VM.md).
 *
 *   pmt-merge HOST.pmt GUEST.pmt[=NAME]... -o OUT.pmt
 *             [--clock-offset NAME=NS]... [--bind NAME=TID0,TID1,...]... [-q]
 *
 * The output holds the host file's description and events unchanged, and each
 * guest's CPUs as a guest level: the host's placeholder level for that guest
 * (written by pmt-record --vm) or a new one (--bind). Guest events keep their
 * raw timestamps; the guest level's clock gets the mapping onto the host
 * clock (clockmap.c) with its uncertainty. Every input is checked before the
 * output is opened, and the output is written to a temporary file renamed at
 * the end, so an error never leaves a partial OUT.pmt or replaces an old one.
 * Owner: the two-level area.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pmt.h"
#include "record/merge/clockmap.h"

#define MAX_GUESTS 64
#define TOOL "pmt-merge"

struct opt_kv {
	const char *name;
	const char *value;
};

struct guest {
	const char *path;
	const char *name;        /* NULL until resolved                             */
	pmt_reader *r;
	uint16_t level;          /* its CPUs in its own file                        */
	int out_level;           /* level id in the output                          */
	int placeholder;         /* 1: fills the host file's level out_level        */
	uint32_t *tids;
	uint32_t ntids;
	int bind_given;
	struct pmt_map_out map;
	int out_clock;
};

static void usage_err(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, TOOL ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see '" TOOL " --help')\n");
	exit(2);
}

static void help(void)
{
	printf("usage: " TOOL " HOST.pmt GUEST.pmt[=NAME]... -o OUT.pmt [options]\n"
	       "Join guest recordings to a host recording on the host clock.\n\n"
	       "  -o, --output OUT.pmt         the merged file (written only if every input fits)\n"
	       "      --clock-offset NAME=NS   guest NAME's clock plus NS ns is host time (skips pulses)\n"
	       "      --bind NAME=TID0,TID1,.. host threads of guest NAME's vCPUs 0, 1, ...\n"
	       "      --tolerant               merge what a damaged or truncated input still holds\n"
	       "  -q, --quiet                  no summary line per guest\n"
	       "  -h, --help                   this help\n\n"
	       "A guest's clock is mapped by --clock-offset, else by KVM's TSC offset when the\n"
	       "host recorded it, else by its sync pulses (pmt-record --sync-pulses) matched to\n"
	       "the host's record of the same port writes (pmt-record --vm). See docs/VM.md.\n");
	exit(0);
}

/* Errors about a file: "pmt-merge: 'FILE': what", exit 1 (after cleanup). */
static char *tmp_path;
static void die(const char *file, const char *fmt, ...)
{
	va_list ap;
	if (file)
		fprintf(stderr, TOOL ": '%s': ", file);
	else
		fprintf(stderr, TOOL ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (tmp_path)
		unlink(tmp_path);
	exit(1);
}

/* Exit 1 after the message was printed. */
static void die_quiet(void)
{
	if (tmp_path)
		unlink(tmp_path);
	exit(1);
}

static const char *kv_find(const struct opt_kv *kv, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(kv[i].name, name) == 0)
			return kv[i].value;
	return NULL;
}

static void parse_kv(char *arg, const char *opt, struct opt_kv *kv, size_t *n)
{
	char *eq = strchr(arg, '=');
	if (!eq || eq == arg || !eq[1])
		usage_err("--%s needs NAME=VALUE", opt);
	if (*n == MAX_GUESTS)
		usage_err("too many --%s options", opt);
	*eq = 0;
	kv[*n].name = arg;
	kv[*n].value = eq + 1;
	(*n)++;
}

/* --tolerant: take what a damaged or truncated input still holds. */
static int tolerant;

static pmt_reader *open_in(const char *path)
{
	int err = 0;
	char msg[200] = "";
	errno = 0;
	pmt_reader *r = pmt_reader_open_ex(path, tolerant ? PMT_OPEN_TOLERANT : 0, &err, msg, sizeof(msg));
	if (!r && !strncmp(msg, "offset ", 7)) {
		fprintf(stderr, "%s: %s\n", path, msg); /* damage: FILE: offset N: what */
		die_quiet();
	}
	if (!r)
		die(path, "%s", msg[0] ? msg : err == PMT_EIO && errno ? strerror(errno) : pmt_strerror(err));
	/* A damaged or truncated input would be merged without its lost part:
	 * refuse it, naming each damaged place. */
	const struct pmt_info *in = pmt_reader_info(r);
	for (size_t i = 0; i < in->ndamage; i++)
		fprintf(stderr, "%s: offset %llu: %s\n", path,
			(unsigned long long)in->damage[i].offset, in->damage[i].what);
	if (in->ndamage && !tolerant)
		die_quiet();
	if (in->recovered && !in->ndamage)
		fprintf(stderr, TOOL ": '%s': no valid footer: recovered from its complete chunks\n", path);
	if (in->recovered && !tolerant)
		die_quiet();
	return r;
}

/* The one host-kind level of a file, or -1. */
static int host_level_of(const struct pmt_info *info)
{
	int found = -1;
	for (size_t i = 0; i < info->nlevels; i++)
		if (info->levels[i].kind == PMT_LEVEL_HOST) {
			if (found >= 0)
				return -2;
			found = (int)i;
		}
	return found;
}

static void parse_tids(struct guest *g, const char *list)
{
	const char *p = list;
	size_t n = 1;
	for (const char *q = list; *q; q++)
		n += *q == ',';
	g->tids = calloc(n, sizeof(*g->tids));
	if (!g->tids)
		die(NULL, "out of memory");
	g->ntids = 0;
	while (*p) {
		char *end;
		unsigned long v = strtoul(p, &end, 10);
		if (end == p || v == 0 || v > UINT32_MAX || (*end && *end != ','))
			usage_err("--bind %s=%s: expected thread ids separated by commas", g->name, list);
		g->tids[g->ntids++] = (uint32_t)v;
		p = *end ? end + 1 : end;
	}
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"output", required_argument, NULL, 'o'},
		{"clock-offset", required_argument, NULL, 'c'},
		{"bind", required_argument, NULL, 'b'},
		{"quiet", no_argument, NULL, 'q'},
		{"tolerant", no_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct opt_kv offs[MAX_GUESTS], binds[MAX_GUESTS];
	size_t noffs = 0, nbinds = 0, ng = 0;
	const char *out_path = NULL;
	int quiet = 0, c;
	static struct guest g[MAX_GUESTS];

	opterr = 0; /* one line of our own for an unknown option */
	while ((c = getopt_long(argc, argv, ":o:qh", lo, NULL)) != -1) {
		switch (c) {
		case 'o': out_path = optarg; break;
		case 'c': parse_kv(optarg, "clock-offset", offs, &noffs); break;
		case 'b': parse_kv(optarg, "bind", binds, &nbinds); break;
		case 'q': quiet = 1; break;
		case 't': tolerant = 1; break;
		case 'h': help(); break;
		case ':': usage_err("option '%s' needs a value", argv[optind - 1]); break;
		case '?': /* optopt: the unknown short option; a long one's id or 0 */
			if (optopt > 0 && optopt < 128 && isprint(optopt) && strncmp(argv[optind - 1], "--", 2))
				usage_err("unknown option '-%c'", optopt);
			usage_err("unknown option '%s'", argv[optind - 1]);
			break;
		default: usage_err("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (!out_path)
		usage_err("no output file (-o OUT.pmt)");
	if (argc - optind < 2)
		usage_err("need a host file and at least one guest file");
	if (argc - optind - 1 > MAX_GUESTS)
		usage_err("too many guest files (at most %d)", MAX_GUESTS);
	const char *host_path = argv[optind];
	for (int i = optind + 1; i < argc; i++) {
		char *eq = strrchr(argv[i], '=');
		g[ng].path = argv[i];
		if (eq && eq != argv[i] && eq[1] && !strchr(eq, '/')) {
			*eq = 0;
			g[ng].name = eq + 1;
		}
		g[ng].out_level = -1;
		ng++;
	}
	for (size_t i = 0; i < ng; i++)
		if (strcmp(g[i].path, out_path) == 0 || strcmp(host_path, out_path) == 0)
			usage_err("the output '%s' is also an input", out_path);

	/* ---- inputs and their consistency, before any output */
	pmt_reader *hr = open_in(host_path);
	const struct pmt_info *hi = pmt_reader_info(hr);
	int hl = host_level_of(hi);
	if (hl < 0)
		die(host_path, hl == -1 ? "no host level" : "more than one host level (already merged?)");
	uint8_t *claimed = calloc(hi->nlevels + 1, 1);
	if (!claimed)
		die(NULL, "out of memory");

	for (size_t i = 0; i < ng; i++) {
		g[i].r = open_in(g[i].path);
		const struct pmt_info *gi = pmt_reader_info(g[i].r);
		int l = host_level_of(gi);
		if (gi->nlevels != 1)
			die(g[i].path, "not the recording of one machine (it has %zu levels)", gi->nlevels);
		if (l < 0) /* a recording made inside a guest has one host-kind level */
			die(g[i].path, "its one level is not a host level: not the recording of a machine");
		g[i].level = (uint16_t)l;
		/* Name: given, else the only unclaimed guest level of the host file. */
		if (!g[i].name) {
			int cand = -1, many = 0;
			for (size_t k = 0; k < hi->nlevels; k++)
				if (hi->levels[k].kind == PMT_LEVEL_GUEST && !claimed[k]) {
					many += cand >= 0;
					cand = (int)k;
				}
			if (cand < 0 && nbinds == 1 && ng == 1)
				g[i].name = binds[0].name;
			else if (cand < 0 || many)
				die(g[i].path, "which guest is it? name it as %s=NAME (the host file has %s)",
				    g[i].path, cand < 0 ? "no guest recorded with --vm" : "several guests");
			else
				g[i].name = hi->levels[cand].name;
		}
		for (size_t k = 0; k < i; k++)
			if (strcmp(g[k].name, g[i].name) == 0)
				die(g[i].path, "guest '%s' is given twice", g[i].name);
		for (size_t k = 0; k < hi->nlevels; k++)
			if (hi->levels[k].kind == PMT_LEVEL_GUEST && strcmp(hi->levels[k].name, g[i].name) == 0) {
				if (claimed[k])
					die(g[i].path, "guest '%s' is given twice", g[i].name);
				claimed[k] = 1;
				g[i].out_level = (int)k;
				g[i].placeholder = 1;
				for (size_t st = 0; st < hi->nstreams; st++)
					if (hi->streams[st].level == k && hi->streams[st].events)
						die(host_path, "guest '%s' already has events in it (a merged file?)",
						    g[i].name);
			}
		const char *bind = kv_find(binds, nbinds, g[i].name);
		if (bind) {
			parse_tids(&g[i], bind);
			g[i].bind_given = 1;
		} else if (g[i].placeholder) {
			uint32_t n = hi->levels[g[i].out_level].ncpus;
			g[i].tids = calloc(n ? n : 1, sizeof(uint32_t));
			if (!g[i].tids)
				die(NULL, "out of memory");
			g[i].ntids = n;
			uint32_t found = 0;
			for (size_t b = 0; b < hi->nbindings; b++)
				if (hi->bindings[b].guest_level == g[i].out_level &&
				    hi->bindings[b].guest_cpu < n) {
					g[i].tids[hi->bindings[b].guest_cpu] = hi->bindings[b].host_tid;
					found++;
				}
			if (found != n)
				die(host_path, "guest '%s': %u of its %u vCPUs have a host thread", g[i].name, found, n);
		} else {
			die(g[i].path, "no vCPU threads for guest '%s' in '%s' (record the host with "
			    "--vm, or give --bind %s=TID0,TID1,...)", g[i].name, host_path, g[i].name);
		}
		uint32_t gcpus = gi->levels[g[i].level].ncpus;
		if (gcpus != g[i].ntids)
			die(g[i].path, "vCPU count mismatch: the guest has %u CPUs, the host has %u vCPU "
			    "threads for '%s'", gcpus, g[i].ntids, g[i].name);

		const char *off = kv_find(offs, noffs, g[i].name);
		struct pmt_map_in in = {hr, (uint16_t)hl, g[i].r, g[i].level, g[i].name,
					g[i].tids, g[i].ntids, 0, 0};
		if (off) {
			char *end;
			errno = 0;
			in.offset_ns = strtoll(off, &end, 10);
			if (*end || errno)
				usage_err("--clock-offset %s=%s: not a number of ns", g[i].name, off);
			in.have_offset = 1;
		}
		char why[300];
		if (pmt_map_guest_clock(&in, &g[i].map, why, sizeof(why)) < 0)
			die(g[i].path, "%s", why);
	}
	for (size_t k = 0; k < nbinds; k++) {
		size_t i;
		for (i = 0; i < ng && strcmp(g[i].name, binds[k].name); i++)
			;
		if (i == ng)
			usage_err("--bind %s: no guest file is named '%s'", binds[k].name, binds[k].name);
	}
	for (size_t k = 0; k < noffs; k++) {
		size_t i;
		for (i = 0; i < ng && strcmp(g[i].name, offs[k].name); i++)
			;
		if (i == ng)
			usage_err("--clock-offset %s: no guest file is named '%s'", offs[k].name, offs[k].name);
	}

	/* ---- the output: a temporary file renamed at the end, unless OUT is
	 * not a regular file (/dev/null, a pipe): a rename would replace it. */
	struct stat st;
	int direct = stat(out_path, &st) == 0 && !S_ISREG(st.st_mode);
	size_t plen = strlen(out_path) + 32;
	tmp_path = malloc(plen);
	if (!tmp_path)
		die(NULL, "out of memory");
	snprintf(tmp_path, plen, "%s.tmp%d", out_path, (int)getpid());
	if (direct) {
		free(tmp_path);
		tmp_path = NULL;
	}
	int err = 0;
	pmt_writer *w = pmt_writer_open(direct ? out_path : tmp_path, NULL, &err);
	if (!w)
		die(out_path, "cannot write: %s", err == PMT_EIO && errno ? strerror(errno) : pmt_strerror(err));
#define W(call, what) do { int rc_ = (call); if (rc_ < 0) die(out_path, "%s: %s", what, pmt_strerror(rc_)); } while (0)
	for (size_t i = 0; i < hi->nmeta; i++)
		W(pmt_writer_set_meta(w, hi->meta_keys[i], hi->meta_values[i]), "metadata");
	for (size_t i = 0; i < ng; i++) {
		const struct pmt_info *gi = pmt_reader_info(g[i].r);
		char key[300];
		for (size_t m = 0; m < gi->nmeta; m++) {
			snprintf(key, sizeof(key), "guest.%s.%s", g[i].name, gi->meta_keys[m]);
			W(pmt_writer_set_meta(w, key, gi->meta_values[m]), "metadata");
		}
		snprintf(key, sizeof(key), "merge.%s.clock", g[i].name);
		W(pmt_writer_set_meta(w, key, g[i].map.how), "metadata");
		snprintf(key, sizeof(key), "merge.%s.file", g[i].name);
		W(pmt_writer_set_meta(w, key, g[i].path), "metadata");
	}
	for (size_t i = 0; i < hi->nclocks; i++)
		W(pmt_writer_add_clock(w, &hi->clocks[i]), "clock");
	for (size_t i = 0; i < ng; i++) {
		g[i].out_clock = pmt_writer_add_clock(w, &g[i].map.clock);
		W(g[i].out_clock, "clock");
	}
	/* Levels: the host file's, with the claimed placeholders filled; then new ones. */
	for (size_t k = 0; k < hi->nlevels; k++) {
		struct pmt_level lv = hi->levels[k];
		for (size_t i = 0; i < ng; i++)
			if (g[i].placeholder && g[i].out_level == (int)k) {
				const struct pmt_level *gl = &pmt_reader_info(g[i].r)->levels[g[i].level];
				lv.clock = (uint16_t)g[i].out_clock;
				lv.topo = gl->topo;
			}
		W(pmt_writer_add_level(w, &lv), "level");
	}
	for (size_t i = 0; i < ng; i++) {
		if (g[i].placeholder)
			continue;
		const struct pmt_level *gl = &pmt_reader_info(g[i].r)->levels[g[i].level];
		struct pmt_level lv = *gl;
		lv.kind = PMT_LEVEL_GUEST;
		lv.name = g[i].name;
		lv.clock = (uint16_t)g[i].out_clock;
		lv.guest_id = -1;
		g[i].out_level = pmt_writer_add_level(w, &lv);
		W(g[i].out_level, "level");
	}
	for (size_t b = 0; b < hi->nbindings; b++) {
		int over = 0;
		for (size_t i = 0; i < ng; i++)
			over |= g[i].bind_given && g[i].out_level == hi->bindings[b].guest_level;
		if (!over)
			W(pmt_writer_add_binding(w, &hi->bindings[b]), "binding");
	}
	for (size_t i = 0; i < ng; i++)
		if (g[i].bind_given)
			for (uint32_t n = 0; n < g[i].ntids; n++) {
				struct pmt_binding b = {(uint16_t)g[i].out_level, (uint16_t)hl, n, g[i].tids[n]};
				W(pmt_writer_add_binding(w, &b), "binding");
			}
	for (size_t t = 0; t < hi->ntasks; t++)
		W(pmt_writer_add_task(w, &hi->tasks[t]), "task");
	for (size_t i = 0; i < ng; i++) {
		const struct pmt_info *gi = pmt_reader_info(g[i].r);
		for (size_t t = 0; t < gi->ntasks; t++) {
			struct pmt_task tk = gi->tasks[t];
			if (tk.level != g[i].level)
				continue;
			tk.level = (uint16_t)g[i].out_level;
			W(pmt_writer_add_task(w, &tk), "task");
		}
	}
	W(pmt_writer_begin(w), "header");

	/* Events: the host file's as they are, then each guest's on its level. */
	for (size_t f = 0; f <= ng; f++) {
		pmt_reader *r = f ? g[f - 1].r : hr;
		const char *path = f ? g[f - 1].path : host_path;
		pmt_cursor *cur = pmt_cursor_open_merged(r, NULL, &err);
		const struct pmt_event *ev;
		if (!cur)
			die(path, "cannot read: %s", pmt_strerror(err));
		err = 0;
		while ((ev = pmt_cursor_next(cur, &err))) {
			struct pmt_event e = *ev;
			if (f)
				e.level = (uint16_t)g[f - 1].out_level;
			W(pmt_writer_append(w, &e), "event");
		}
		if (err < 0) {
			const struct pmt_info *ri = pmt_reader_info(r);
			if (ri->ndamage)
				die(path, "offset %" PRIu64 ": %s", ri->damage[ri->ndamage - 1].offset,
				    ri->damage[ri->ndamage - 1].what);
			die(path, "cannot read: %s", pmt_strerror(err));
		}
		pmt_cursor_close(cur);
	}
	W(pmt_writer_close(w), "finishing the file");
	if (!direct && rename(tmp_path, out_path) < 0)
		die(out_path, "cannot rename '%s' to it: %s", tmp_path, strerror(errno));
	free(tmp_path);
	tmp_path = NULL;
	if (!quiet)
		for (size_t i = 0; i < ng; i++)
			printf("guest '%s' (%s): %u vCPUs, clock: %s\n", g[i].name, g[i].path,
			       g[i].ntids, g[i].map.how);
	for (size_t i = 0; i < ng; i++) {
		pmt_reader_close(g[i].r);
		free(g[i].tids);
	}
	pmt_reader_close(hr);
	free(claimed);
	return 0;
}
