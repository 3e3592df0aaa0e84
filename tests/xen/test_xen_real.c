/*
 * test_xen_real.c - the real capture (../shared/data/xentrace/, or
 * $PMT_SHARED/data/xentrace/; skipped when absent) imported and read back,
 * checked against figures this test computes itself straight from Xen's
 * records, with its own few lines of parsing (no pmt code):
 *  - per (vCPU, pCPU): how many times Xen switched the vCPU in there
 *    (RUNSTATE_CHANGE to running in that pCPU's windows);
 *  - per (vCPU, pCPU): run time, from each switch-in to the next switch-in
 *    on that pCPU (pmt's switches are instants; docs/XEN.md);
 *  - per vCPU: pCPU changes, switch-ins on another pCPU than the last one,
 *    in TSC order over all pCPUs.
 */
#include "tests/unit/pmt_cu.h"
#include "tests/xen/xen_tests.h"
#include "record/xen/xen_import.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NPCPU 8
#define MAXENT 64

struct fig {
	uint32_t ent[MAXENT];            /* pmt entity ids (idle = 0)           */
	int nent;
	uint64_t in[MAXENT][NPCPU];      /* switch-ins                          */
	uint64_t run[MAXENT][NPCPU];     /* ticks                               */
	uint64_t changes[MAXENT];
	uint64_t switches;
};

static int ent_index(struct fig *f, uint32_t ent)
{
	for (int i = 0; i < f->nent; i++)
		if (f->ent[i] == ent)
			return i;
	if (f->nent == MAXENT)
		return -1;
	f->ent[f->nent] = ent;
	return f->nent++;
}

static char path[512];

static uint8_t *load(size_t *len)
{
	snprintf(path, sizeof(path), "%s/data/xentrace/xen-4.x-credit2-8pcpu.xentrace",
		 pmt_cu_shared_dir());
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *b = malloc((size_t)n);
	if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
		free(b);
		b = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return b;
}

struct swin { uint64_t tsc; uint32_t cpu, ent; };

static int by_tsc(const void *a, const void *b)
{
	const struct swin *x = a, *y = b;
	if (x->tsc != y->tsc)
		return x->tsc < y->tsc ? -1 : 1;
	return (int)x->cpu - (int)y->cpu;
}

/* Xen's side: windows, then RUNSTATE_CHANGE records to running. */
static int xen_figures(const uint8_t *b, size_t len, struct fig *f)
{
	struct swin *all = malloc(sizeof(*all) * 20000);
	size_t nall = 0;
	uint64_t open_tsc[NPCPU] = { 0 };
	int open_ent[NPCPU];
	for (int c = 0; c < NPCPU; c++)
		open_ent[c] = -1;
	size_t off = 0;
	while (off + 12 <= len) {
		uint32_t w[3];
		memcpy(w, b + off, 12);
		if (w[0] != 0x2001f003u || w[1] >= NPCPU)
			return -1;
		uint32_t cpu = w[1];
		size_t end = off + 12 + w[2];
		off += 12;
		while (off < end) {
			uint32_t hdr;
			memcpy(&hdr, b + off, 4);
			int tsc_present = hdr >> 31;
			uint32_t nx = (hdr >> 28) & 7, ev = hdr & 0x0fffffffu;
			uint64_t tsc = 0;
			if (tsc_present)
				memcpy(&tsc, b + off + 4, 8);
			if ((ev & 0xfffff00fu) == 0x00021001u && ((ev >> 4) & 0xf) == 0 && nx >= 1) {
				uint32_t dv;
				memcpy(&dv, b + off + 4 + 8 * tsc_present, 4);
				uint32_t dom = dv >> 16, vcpu = dv & 0xffff;
				uint32_t ent = dom == 0x7fff ? 0 : PMT_XEN_ENTITY(dom, vcpu);
				int i = ent_index(f, ent);
				if (i < 0 || nall == 20000)
					return -1;
				f->in[i][cpu]++;
				f->switches++;
				if (open_ent[cpu] >= 0)
					f->run[open_ent[cpu]][cpu] += tsc - open_tsc[cpu];
				open_ent[cpu] = i;
				open_tsc[cpu] = tsc;
				if (ent != 0)
					all[nall++] = (struct swin){ tsc, cpu, ent };
			}
			off += 4 + 8 * (size_t)tsc_present + 4 * (size_t)nx;
		}
	}
	qsort(all, nall, sizeof(*all), by_tsc);
	int32_t last[MAXENT];
	for (int i = 0; i < MAXENT; i++)
		last[i] = -1;
	for (size_t k = 0; k < nall; k++) {
		int i = ent_index(f, all[k].ent);
		if (last[i] >= 0 && (uint32_t)last[i] != all[k].cpu)
			f->changes[i]++;
		last[i] = (int32_t)all[k].cpu;
	}
	free(all);
	return 0;
}

/* pmt's side: the host level's switches read back with libpmt. */
static int pmt_figures(const char *file, struct fig *f)
{
	int err = 0;
	pmt_reader *r = pmt_reader_open(file, 0, &err);
	if (!r)
		return -1;
	pmt_cursor *c = pmt_cursor_open_merged(r, NULL, &err);
	uint64_t open_tsc[NPCPU] = { 0 };
	int open_ent[NPCPU];
	int32_t last[MAXENT];
	for (int i = 0; i < NPCPU; i++)
		open_ent[i] = -1;
	for (int i = 0; i < MAXENT; i++)
		last[i] = -1;
	const struct pmt_event *e;
	while (c && (e = pmt_cursor_next(c, &err)) != NULL) {
		if (e->level != 0 || e->type != PMT_EV_SWITCH || e->cpu >= NPCPU)
			continue;
		int i = ent_index(f, e->u.sw.next_tid);
		if (i < 0)
			break;
		f->in[i][e->cpu]++;
		f->switches++;
		if (open_ent[e->cpu] >= 0)
			f->run[open_ent[e->cpu]][e->cpu] += e->ts - open_tsc[e->cpu];
		open_ent[e->cpu] = i;
		open_tsc[e->cpu] = e->ts;
		if (e->u.sw.next_tid != 0) {
			if (last[i] >= 0 && (uint32_t)last[i] != e->cpu)
				f->changes[i]++;
			last[i] = (int32_t)e->cpu;
		}
	}
	pmt_cursor_close(c);
	pmt_reader_close(r);
	return err < 0 ? -1 : 0;
}

static void real_capture_agrees_with_xens_records(void)
{
	size_t len;
	uint8_t *b = load(&len);
	if (!b)
		PMT_CU_SKIP("the real capture is absent (../shared/data/xentrace/ or "
			    "$PMT_SHARED/data/xentrace/)");
	char out[64];
	snprintf(out, sizeof(out), "/tmp/pmt-xen-real-%d.pmt", (int)getpid());
	char msg[256];
	struct pmt_xen_import_result res;
	int rc = pmt_xen_import(path, out, NULL, &res, msg, sizeof(msg));
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(res.ncpus, 8);
	CU_ASSERT_EQUAL(res.windows, 187);
	CU_ASSERT_EQUAL(res.st.lost_records, 0);
	CU_ASSERT_EQUAL(res.backwards, 0);
	CU_ASSERT_EQUAL(res.st.inconsistent, 0);

	static struct fig x, p;
	memset(&x, 0, sizeof(x));
	memset(&p, 0, sizeof(p));
	CU_ASSERT_EQUAL_FATAL(xen_figures(b, len, &x), 0);
	CU_ASSERT_EQUAL_FATAL(pmt_figures(out, &p), 0);
	/* Domains 0 (8 vCPUs) and 14 (4 vCPUs), and the idle vCPUs. */
	CU_ASSERT_EQUAL(x.nent, 13);
	CU_ASSERT_EQUAL(p.nent, x.nent);
	CU_ASSERT_EQUAL(p.switches, x.switches);
	CU_ASSERT_EQUAL(res.st.switches, x.switches);
	int in_ok = 1, run_ok = 1, chg_ok = 1;
	for (int i = 0; i < x.nent; i++) {
		int j = ent_index(&p, x.ent[i]);
		CU_ASSERT_FATAL(j >= 0 && j < MAXENT);
		for (int c = 0; c < NPCPU; c++) {
			if (x.in[i][c] != p.in[j][c])
				in_ok = 0;
			if (x.run[i][c] != p.run[j][c])
				run_ok = 0;
		}
		if (x.changes[i] != p.changes[j])
			chg_ok = 0;
	}
	CU_ASSERT(in_ok);
	CU_ASSERT(run_ok);
	CU_ASSERT(chg_ok);
	unlink(out);
	free(b);
}

void xen_register_real(void)
{
	CU_pSuite s = CU_add_suite("xentrace real capture", NULL, NULL);
	CU_add_test(s, "the real capture agrees with Xen's own records",
		    real_capture_agrees_with_xens_records);
}
