/*
 * sync.h - guest side of two-level clock synchronization: sync pulses.
 *
 * A pulse is: t1 = rdtscp; outb(seq, port); t2 = rdtscp; then a trace marker
 * carrying t1, t2, seq and the CPU (docs/VM.md, "Sync pulses"). The port is a
 * serial port whose QEMU chardev is a file: the vCPU thread that executes the
 * outb writes one byte to that file with writev(), and the host recorder sees
 * that call (PMT_HV_SYNC_WRITE), so each pulse bounds the guest clock against
 * the host clock. pmt-merge fits the mapping from them.
 *
 * x86 only (rdtscp, ioperm). Owner: the two-level area (record/sync*.c).
 */
#ifndef PMT_RECORD_SYNC_H
#define PMT_RECORD_SYNC_H

#include <stddef.h>
#include <stdint.h>

/* Marker text prefix; the full text is
 *   "pmt-sync v1 seq=%u cpu=%u t1=%llu t2=%llu port=0x%x" */
#define PMT_SYNC_PREFIX "pmt-sync v1 "

/* One parsed pulse marker. */
struct pmt_sync_pulse {
	uint32_t seq;    /* sequence number, from 0 over the whole recording   */
	uint32_t cpu;    /* CPU both rdtscp reported (TSC_AUX)                  */
	uint64_t t1, t2; /* raw TSC before and after the port write             */
	uint32_t port;   /* I/O port written                                    */
};

/*
 * Format a pulse as marker text into buf (NUL-terminated, cut to len).
 * Returns the length it needed (like snprintf).
 */
int pmt_sync_format(char *buf, size_t len, const struct pmt_sync_pulse *p);

/* Parse marker text (len bytes, need not be NUL-terminated). 0 when it is a
 * pulse marker, -1 otherwise. Trailing newline/space is allowed. */
int pmt_sync_parse(const char *text, size_t len, struct pmt_sync_pulse *p);

/*
 * Emit count pulses, numbered from *seq (advanced), going round the CPUs the
 * calling thread may run on (it is pinned to each in turn and its affinity
 * restored afterwards), so that every vCPU's thread is seen by the host.
 * Each marker is written with one write() to marker_fd (a trace_marker file).
 * Needs I/O port permission (root / CAP_SYS_RAWIO).
 * Returns 0, or -1 with a one-line reason in err.
 */
int pmt_sync_emit(int marker_fd, unsigned port, unsigned count, uint32_t *seq,
		  char *err, size_t errlen);

#endif
