/*
 * pmt-demo-work.c - the built-in concurrent workload of `make demo`: a
 * pipeline of worker threads passing work items through pipes, plus a
 * mutex/condvar barrier every few items, for SECONDS seconds. Stages block
 * and wake each other all the time, so the scheduler keeps moving them
 * between CPUs: migrations, wakeups across CPUs, waiting on a peer.
 *
 *   pmt-demo-work [SECONDS [THREADS]]
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_T 16
static int nthreads = 4;
static int pipes[MAX_T + 1][2];
static volatile int stop;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long arrived, generation;

static void barrier(void)
{
	pthread_mutex_lock(&mu);
	long gen = generation;
	if (++arrived == nthreads) {
		arrived = 0;
		generation++;
		pthread_cond_broadcast(&cv);
	} else {
		while (gen == generation && !stop)
			pthread_cond_wait(&cv, &mu);
	}
	pthread_mutex_unlock(&mu);
}

static void *stage(void *arg)
{
	long i = (long)arg;
	char name[16];
	snprintf(name, sizeof(name), "demo-stage%ld", i);
	pthread_setname_np(pthread_self(), name);
	unsigned long item;
	for (long n = 0;; n++) {
		if (read(pipes[i][0], &item, sizeof(item)) != sizeof(item) || item == 0)
			break;
		/* Uneven work per stage: some run long, some short. */
		for (volatile unsigned long k = 0; k < 20000 * (unsigned long)(i + 1) + item % 20000; k++)
			;
		if (write(pipes[i + 1][1], &item, sizeof(item)) != sizeof(item))
			break;
		if (n % 64 == 63)
			barrier();
	}
	item = 0;
	if (write(pipes[i + 1][1], &item, sizeof(item)) < 0)
		perror("write");
	pthread_mutex_lock(&mu);
	stop = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	return NULL;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 3;
	nthreads = argc > 2 ? atoi(argv[2]) : 4;
	if (nthreads < 1 || nthreads > MAX_T)
		nthreads = 4;
	for (int i = 0; i <= nthreads; i++)
		if (pipe(pipes[i]) != 0) {
			perror("pmt-demo-work: pipe");
			return 1;
		}
	pthread_t t[MAX_T];
	for (long i = 0; i < nthreads; i++)
		pthread_create(&t[i], NULL, stage, (void *)i);
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	unsigned long item = 1, done = 0, out;
	int inflight = 0;
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		double el = (double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) / 1e9;
		if (el >= secs)
			break;
		while (inflight < 2 * nthreads) {
			if (write(pipes[0][1], &item, sizeof(item)) != sizeof(item))
				return 1;
			item = item * 7 + 1;
			if (!item)
				item = 1;
			inflight++;
		}
		if (read(pipes[nthreads][0], &out, sizeof(out)) != sizeof(out))
			return 1;
		inflight--;
		done++;
	}
	out = 0;
	if (write(pipes[0][1], &out, sizeof(out)) < 0)
		return 1;
	/* Drain until the end marker comes through. */
	while (read(pipes[nthreads][0], &out, sizeof(out)) == sizeof(out) && out)
		;
	for (int i = 0; i < nthreads; i++)
		pthread_join(t[i], NULL);
	printf("pmt-demo-work: %lu items through %d stages\n", done, nthreads);
	return 0;
}
