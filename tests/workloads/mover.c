/*
 * mover.c - a thread moved between CPU 0 and CPU 1 with sched_setaffinity,
 * exactly N times: the known answer of the recording tests.
 *
 *   mover N
 * prints "tid=TID moves=N" once done. The main thread pins itself to CPU 0
 * before creating the mover, which therefore starts on CPU 0 with affinity
 * {0} and cannot move except by its own N calls (to 1, 0, 1, ...), each of
 * which migrates it once (the kernel moves a running task synchronously).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

static long moves;
static pid_t mover_tid;

static void pin(int cpu)
{
	cpu_set_t s;
	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	if (sched_setaffinity(0, sizeof(s), &s) != 0) {
		perror("mover: sched_setaffinity");
		exit(1);
	}
}

static void *run(void *arg)
{
	(void)arg;
	/* Named by itself before its first move: no race with the creator. */
	pthread_setname_np(pthread_self(), "pmt-mover");
	mover_tid = (pid_t)syscall(SYS_gettid);
	for (long i = 0; i < moves; i++) {
		pin((int)((i + 1) % 2));
		if (sched_getcpu() != (int)((i + 1) % 2)) {
			fprintf(stderr, "mover: not on CPU %ld after move %ld\n", (i + 1) % 2, i);
			exit(1);
		}
		/* A little work on each CPU so the moves are spread in time. */
		for (volatile int k = 0; k < 20000; k++)
			;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	moves = argc > 1 ? atol(argv[1]) : 10;
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		fprintf(stderr, "mover: needs 2 CPUs\n");
		return 1;
	}
	pin(0);
	pthread_t t;
	pthread_attr_t a;
	pthread_attr_init(&a);
	if (pthread_create(&t, &a, run, NULL) != 0) {
		perror("mover: pthread_create");
		return 1;
	}
	pthread_join(t, NULL);
	printf("tid=%d moves=%ld\n", (int)mover_tid, moves);
	return 0;
}
