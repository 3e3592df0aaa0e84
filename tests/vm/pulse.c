/*
 * pulse.c - emit sync pulses into a tracefs trace_marker file, for guests
 * recorded with the kernel's own tracefs text instead of pmt-record.
 *
 * usage: pulse TRACE_MARKER PORT COUNT FIRST_SEQ
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "record/sync.h"

int main(int argc, char **argv)
{
	char err[200];
	uint32_t seq;
	int fd;

	if (argc != 5) {
		fprintf(stderr, "usage: pulse TRACE_MARKER PORT COUNT FIRST_SEQ\n");
		return 2;
	}
	fd = open(argv[1], O_WRONLY);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	seq = (uint32_t)strtoul(argv[4], NULL, 0);
	if (pmt_sync_emit(fd, (unsigned)strtoul(argv[2], NULL, 0),
			  (unsigned)strtoul(argv[3], NULL, 0), &seq, err, sizeof(err)) < 0) {
		fprintf(stderr, "pulse: %s\n", err);
		return 1;
	}
	return 0;
}
