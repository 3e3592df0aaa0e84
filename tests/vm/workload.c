/*
 * workload.c - the VM test bed's synchronization-heavy guest workload.
 *
 * THREADS threads run ROUNDS rounds; in each round they meet at a barrier,
 * then each takes a shared mutex LOCKS times (a short critical section that
 * bumps a shared counter) with a little private work between takes, so the
 * guest scheduler sees many blocks, wakeups and migrations between vCPUs.
 * The work is fixed (not timed), so the final counter is a known answer:
 * THREADS * ROUNDS * LOCKS. Prints it and exits 0 when it matches.
 *
 * usage: workload [THREADS [ROUNDS [LOCKS [SPIN]]]]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_barrier_t barrier;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long counter;
static unsigned rounds = 200, locks = 20, spin = 20000;

/* Private work the compiler cannot drop. */
static unsigned long work(unsigned long seed, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		seed = seed * 6364136223846793005ul + 1442695040888963407ul;
	return seed;
}

static void *thread_main(void *arg)
{
	unsigned long seed = (unsigned long)(size_t)arg, sink = 0;

	for (unsigned r = 0; r < rounds; r++) {
		pthread_barrier_wait(&barrier);
		for (unsigned k = 0; k < locks; k++) {
			pthread_mutex_lock(&lock);
			counter++;
			sink += work(seed + counter, spin / 20);
			pthread_mutex_unlock(&lock);
			seed = work(seed, spin);
		}
	}
	return (void *)(size_t)(sink & 1);
}

int main(int argc, char **argv)
{
	unsigned threads = 6;
	pthread_t tid[64];

	if (argc > 1)
		threads = (unsigned)strtoul(argv[1], NULL, 0);
	if (argc > 2)
		rounds = (unsigned)strtoul(argv[2], NULL, 0);
	if (argc > 3)
		locks = (unsigned)strtoul(argv[3], NULL, 0);
	if (argc > 4)
		spin = (unsigned)strtoul(argv[4], NULL, 0);
	if (threads < 1 || threads > 64) {
		fprintf(stderr, "workload: threads must be 1..64\n");
		return 2;
	}
	pthread_barrier_init(&barrier, NULL, threads);
	for (unsigned i = 0; i < threads; i++)
		if (pthread_create(&tid[i], NULL, thread_main, (void *)(size_t)(i + 1))) {
			fprintf(stderr, "workload: cannot create thread\n");
			return 1;
		}
	for (unsigned i = 0; i < threads; i++)
		pthread_join(tid[i], NULL);
	unsigned long want = (unsigned long)threads * rounds * locks;
	printf("workload: threads=%u rounds=%u locks=%u counter=%lu expected=%lu\n",
	       threads, rounds, locks, counter, want);
	return counter == want ? 0 : 1;
}
