/*
 * fakexen.c - libxenctrl, libxenevtchn and libxenstore as far as
 * pmt-record --xen uses them, over memory: a test build of pmt-record
 * (build/tests/pmt-record-fakexen, tests/xen/live.sh) links this instead
 * of Xen's libraries, so the live source runs end to end on a machine
 * without Xen.
 *
 * "Xen" here has 2 pCPUs, a 1 GHz TSC (CLOCK_MONOTONIC ns), dom0 with one
 * vCPU and HVM domain 3 with two. xc_tbuf_enable lays out t_info and the
 * per-pCPU buffers as Xen does and starts a producer thread (Xen's writer
 * rules, tests/xen/xen_producer.h): on pCPU c, d3v<c> runs for 1 ms every
 * 3 ms and its guest agent writes one switch record each time; once, a
 * burst of scheduler-private records overflows pCPU 0's buffer, so Xen
 * drops records and writes a lost record (the producer then waits for the
 * consumer to empty that buffer). xc_tbuf_disable stops it and
 * writes what it produced to $FAKEXEN_REPORT: `switches N`, `guest N`,
 * `lost N` (counts in the lost records it wrote), `other_dropped N`
 * (records other than the burst's that it had to drop: 0 keeps the
 * expected counts exact).
 */
#define XC_WANT_COMPAT_MAP_FOREIGN_API
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <xenctrl.h>
#include <xenevtchn.h>
#include <xenstore.h>

#include "tests/xen/xen_producer.h"

#define NCPU 2

static int the_xch;
static uint8_t *tinfo;
static uint8_t *bufs[NCPU];
static uint32_t npages;
static struct prod P[NCPU];
static pthread_t thread;
static int running;
static volatile int stop_flag;
static uint64_t n_switches, n_guest, n_lost, n_other_dropped;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* One record with the TSC now; returns 1 when Xen's rules let it in. */
static int rec(uint32_t cpu, uint32_t event, int cycles, uint32_t n, const uint32_t *w)
{
	struct prod *p = &P[cpu];
	uint64_t dropped = p->dropped_total, lost = p->lost;
	p->tsc = now_ns();
	produce_rec(p, event, cycles, n, w);
	if (lost && !p->lost)
		n_lost += lost;         /* a lost record went in before it */
	return p->dropped_total == dropped;
}

static void sched(uint32_t cpu, uint32_t event, uint32_t dv)
{
	if (!rec(cpu, event, 1, 1, &dv)) {
		n_other_dropped++;
	}
	else if (((event >> 4) & 0xf) == 0)
		n_switches++;
}

static void *producer(void *arg)
{
	/* Start once the consumer has discarded what the buffers held (a
	 * first record, written at enable), so that every record counted
	 * below reaches it. */
	for (uint32_t c = 0; c < NCPU; c++)
		rec(c, 0x00022209u, 1, 0, NULL);
	for (;;) {
		int drained = 1;
		for (uint32_t c = 0; c < NCPU; c++)
			if (__atomic_load_n(cons_of(&P[c]), __ATOMIC_ACQUIRE) != *prod_of(&P[c]))
				drained = 0;
		if (drained || stop_flag)
			break;
		usleep(1000);
	}
	uint32_t k = 0;
	while (!stop_flag) {
		for (uint32_t c = 0; c < NCPU; c++) {
			uint32_t idle = 0x7fffu << 16 | c, v = 3u << 16 | c;
			sched(c, 0x00021011u, idle);            /* idle running -> runnable */
			sched(c, 0x00021101u, v);               /* d3vc runnable -> running */
			uint32_t g[3] = { c, 0, 1000 + k };
			if (rec(c, 0x00081001u, 1, 0, NULL) && rec(c, 0x0800f001u, 0, 3, g))
				n_guest++;                      /* guest: idle -> task */
			else
				n_other_dropped++;
		}
		usleep(1000);
		for (uint32_t c = 0; c < NCPU; c++) {
			uint32_t idle = 0x7fffu << 16 | c, v = 3u << 16 | c;
			sched(c, 0x00021021u, v);               /* d3vc running -> blocked */
			sched(c, 0x00021101u, idle);            /* idle runnable -> running */
		}
		if (++k == 100) {
			/* The burst: more than pCPU 0's buffer holds. */
			uint32_t w[2] = { 0, 0 };
			for (int i = 0; i < 20000; i++)
				rec(0, 0x00022209u, 1, 0, w);
			/* Wait until the consumer has emptied the buffer. */
			while (!stop_flag && __atomic_load_n(cons_of(&P[0]), __ATOMIC_ACQUIRE) !=
						 *prod_of(&P[0])) {
				usleep(1000);
			}
		}
		usleep(2000);
	}
	return arg;
}

xc_interface *xc_interface_open(xentoollog_logger *logger, xentoollog_logger *dombuild_logger,
				unsigned open_flags)
{
	return (xc_interface *)&the_xch;
}

int xc_interface_close(xc_interface *xch)
{
	return 0;
}

int xc_physinfo(xc_interface *xch, xc_physinfo_t *info)
{
	memset(info, 0, sizeof(*info));
	info->nr_cpus = NCPU;
	info->max_cpu_id = NCPU - 1;
	info->cpu_khz = 1000000;        /* 1 GHz: TSC ticks are ns */
	return 0;
}

xc_cpumap_t xc_cpumap_alloc(xc_interface *xch)
{
	return calloc(1, 8);
}

int xc_tbuf_set_cpu_mask(xc_interface *xch, xc_cpumap_t mask)
{
	return 0;
}

int xc_tbuf_set_evt_mask(xc_interface *xch, uint32_t mask)
{
	return 0;
}

int xc_tbuf_enable(xc_interface *xch, unsigned long pages, unsigned long *mfn,
		   unsigned long *size)
{
	npages = pages ? (uint32_t)pages : 1;
	tinfo = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (tinfo == MAP_FAILED)
		return -1;
	uint16_t *h = (uint16_t *)tinfo;
	uint32_t *words = (uint32_t *)tinfo;
	h[0] = (uint16_t)npages;
	for (uint32_t c = 0; c < NCPU; c++) {
		h[1 + c] = (uint16_t)(16 + c * npages);  /* lists after the offsets */
		for (uint32_t j = 0; j < npages; j++)
			words[16 + c * npages + j] = c * npages + j + 1;
		bufs[c] = mmap(NULL, (size_t)npages * 4096, PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (bufs[c] == MAP_FAILED)
			return -1;
		P[c] = (struct prod){ .tb = bufs[c], .ds = npages * 4096 - 8 };
	}
	*mfn = 0x1000;
	*size = 4096;
	stop_flag = 0;
	if (pthread_create(&thread, NULL, producer, NULL) != 0)
		return -1;
	running = 1;
	return 0;
}

int xc_tbuf_disable(xc_interface *xch)
{
	if (!running)
		return 0;
	stop_flag = 1;
	pthread_join(thread, NULL);
	running = 0;
	const char *path = getenv("FAKEXEN_REPORT");
	FILE *f = path ? fopen(path, "w") : NULL;
	if (f) {
		fprintf(f, "switches %llu\nguest %llu\nlost %llu\nother_dropped %llu\n",
			(unsigned long long)n_switches, (unsigned long long)n_guest,
			(unsigned long long)n_lost, (unsigned long long)n_other_dropped);
		fclose(f);
	}
	return 0;
}

void *xc_map_foreign_range(xc_interface *xch, uint32_t dom, int size, int prot,
			   unsigned long mfn)
{
	return mfn == 0x1000 ? tinfo : NULL;
}

void *xc_map_foreign_pages(xc_interface *xch, uint32_t dom, int prot, const xen_pfn_t *arr,
			   int num)
{
	uint32_t c = (uint32_t)((arr[0] - 1) / npages);
	return c < NCPU && (uint32_t)num == npages ? bufs[c] : NULL;
}

int xc_domain_getinfolist(xc_interface *xch, uint32_t first_domain, unsigned int max_domains,
			  xc_domaininfo_t *info)
{
	if (max_domains < 2)
		return -1;
	memset(info, 0, 2 * sizeof(*info));
	info[0].domain = 0;
	info[0].max_vcpu_id = 0;
	info[1].domain = 3;
	info[1].max_vcpu_id = 1;
	info[1].flags = XEN_DOMINF_hvm_guest;
	return 2;
}

/* No event channel: the source polls (as it does when VIRQ_TBUF fails). */
xenevtchn_handle *xenevtchn_open(struct xentoollog_logger *logger, unsigned int flags)
{
	return NULL;
}

int xenevtchn_close(xenevtchn_handle *xce) { return 0; }
int xenevtchn_fd(xenevtchn_handle *xce) { return -1; }
xenevtchn_port_or_error_t xenevtchn_bind_virq(xenevtchn_handle *xce, unsigned int virq)
{
	return -1;
}
int xenevtchn_unbind(xenevtchn_handle *xce, evtchn_port_t port) { return 0; }
xenevtchn_port_or_error_t xenevtchn_pending(xenevtchn_handle *xce) { return -1; }
int xenevtchn_unmask(xenevtchn_handle *xce, evtchn_port_t port) { return 0; }

/* No xenstore: domains keep their default names. */
struct xs_handle *xs_open(unsigned long flags) { return NULL; }
void xs_close(struct xs_handle *xsh) { }
void *xs_read(struct xs_handle *h, xs_transaction_t t, const char *path, unsigned int *len)
{
	return NULL;
}
