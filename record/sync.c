/*
 * sync.c - sync pulses for two-level clock synchronization (see sync.h).
 * Owner: the two-level area.
 */
#include "record/sync.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <sys/io.h>
#define PMT_SYNC_X86 1
#endif

int pmt_sync_format(char *buf, size_t len, const struct pmt_sync_pulse *p)
{
	return snprintf(buf, len, PMT_SYNC_PREFIX "seq=%u cpu=%u t1=%llu t2=%llu port=0x%x",
			p->seq, p->cpu, (unsigned long long)p->t1,
			(unsigned long long)p->t2, p->port);
}

/* Parse "key=NUMBER" at *s; advances past it and one space. */
static int field(const char **s, const char *end, const char *key, uint64_t *v)
{
	size_t k = strlen(key);
	const char *q = *s;
	uint64_t x = 0;
	int base = 10, digits = 0;

	if ((size_t)(end - q) < k + 1 || memcmp(q, key, k) != 0 || q[k] != '=')
		return -1;
	q += k + 1;
	if (end - q >= 2 && q[0] == '0' && q[1] == 'x') {
		base = 16;
		q += 2;
	}
	for (; q < end; q++) {
		int d;
		if (*q >= '0' && *q <= '9')
			d = *q - '0';
		else if (base == 16 && *q >= 'a' && *q <= 'f')
			d = *q - 'a' + 10;
		else
			break;
		if (x > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			return -1;
		x = x * (uint64_t)base + (uint64_t)d;
		digits++;
	}
	if (!digits)
		return -1;
	while (q < end && (*q == ' ' || *q == '\n'))
		q++;
	*s = q;
	*v = x;
	return 0;
}

int pmt_sync_parse(const char *text, size_t len, struct pmt_sync_pulse *p)
{
	const char *s = text, *end = text + len;
	size_t plen = strlen(PMT_SYNC_PREFIX);
	uint64_t seq, cpu, t1, t2, port;

	if (len < plen || memcmp(s, PMT_SYNC_PREFIX, plen) != 0)
		return -1;
	s += plen;
	if (field(&s, end, "seq", &seq) || field(&s, end, "cpu", &cpu) ||
	    field(&s, end, "t1", &t1) || field(&s, end, "t2", &t2) ||
	    field(&s, end, "port", &port))
		return -1;
	if (s != end || seq > UINT32_MAX || cpu > UINT32_MAX || port > 0xffff || t2 < t1)
		return -1;
	p->seq = (uint32_t)seq;
	p->cpu = (uint32_t)cpu;
	p->t1 = t1;
	p->t2 = t2;
	p->port = (uint32_t)port;
	return 0;
}

#ifdef PMT_SYNC_X86
static inline uint64_t rdtscp(uint32_t *aux)
{
	uint32_t lo, hi, c;
	__asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(c) : : "memory");
	*aux = c;
	return (uint64_t)hi << 32 | lo;
}

/* One pulse on the current CPU; 1 if the thread moved in between (retry). */
static int pulse_once(unsigned port, uint32_t seq, struct pmt_sync_pulse *p)
{
	uint32_t a1, a2;
	uint64_t t1 = rdtscp(&a1);
	outb((unsigned char)seq, (unsigned short)port);
	uint64_t t2 = rdtscp(&a2);

	if (a1 != a2)
		return 1;
	p->seq = seq;
	p->cpu = a1 & 0xfff; /* Linux puts the node in the bits above 12 */
	p->t1 = t1;
	p->t2 = t2;
	p->port = port;
	return 0;
}

/* rdtscp: CPUID 0x80000001, EDX bit 27 (a guest CPU model may lack it). */
static int have_rdtscp(void)
{
	unsigned a, b, c, d;
	if (!__get_cpuid(0x80000000u, &a, &b, &c, &d) || a < 0x80000001u)
		return 0;
	__get_cpuid(0x80000001u, &a, &b, &c, &d);
	return (d >> 27) & 1;
}

int pmt_sync_emit(int marker_fd, unsigned port, unsigned count, uint32_t *seq,
		  char *err, size_t errlen)
{
	cpu_set_t old, one;
	int cpus[CPU_SETSIZE], ncpus = 0, rc = 0;
	char text[160];

	if (port == 0 || port > 0xffff) {
		snprintf(err, errlen, "sync port 0x%x out of range", port);
		return -1;
	}
	if (!have_rdtscp()) {
		snprintf(err, errlen, "this CPU has no rdtscp instruction (give the guest a CPU "
			 "model with it, e.g. QEMU -cpu max)");
		return -1;
	}
	if (ioperm(port, 1, 1) < 0) {
		snprintf(err, errlen, "no permission for I/O port 0x%x: %s", port, strerror(errno));
		return -1;
	}
	if (sched_getaffinity(0, sizeof(old), &old) < 0) {
		snprintf(err, errlen, "sched_getaffinity: %s", strerror(errno));
		return -1;
	}
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &old))
			cpus[ncpus++] = c;
	for (unsigned i = 0; i < count && ncpus > 0; i++) {
		struct pmt_sync_pulse p;
		int tries = 0;

		CPU_ZERO(&one);
		CPU_SET(cpus[i % (unsigned)ncpus], &one);
		sched_setaffinity(0, sizeof(one), &one); /* best effort: a pulse is valid on any CPU */
		while (pulse_once(port, *seq, &p) && ++tries < 100)
			;
		if (tries >= 100) {
			snprintf(err, errlen, "thread kept moving between CPUs during a sync pulse");
			rc = -1;
			break;
		}
		int n = pmt_sync_format(text, sizeof(text), &p);
		if (write(marker_fd, text, (size_t)n) != n) {
			snprintf(err, errlen, "cannot write sync marker: %s", strerror(errno));
			rc = -1;
			break;
		}
		(*seq)++;
	}
	sched_setaffinity(0, sizeof(old), &old);
	ioperm(port, 1, 0);
	return rc;
}
#else
int pmt_sync_emit(int marker_fd, unsigned port, unsigned count, uint32_t *seq,
		  char *err, size_t errlen)
{
	(void)marker_fd; (void)port; (void)count; (void)seq;
	snprintf(err, errlen, "sync pulses need an x86 CPU (rdtscp, port I/O)");
	return -1;
}
#endif
