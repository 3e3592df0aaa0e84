/*
 * evdump.c - test helper: print the events of a .pmt file one per line, in
 * file order per stream (merged by time), in a form awk can count:
 *   L CPU TS TYPE key=value...
 * then the task table as "task TID PID COMM" and a last line
 * "info events=N lost=N recovered=0|1 damage=N".
 * Not installed; the recording tests use it to check known answers.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "pmt.h"

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: evdump FILE.pmt\n");
		return 2;
	}
	int err = 0;
	char msg[200] = "";
	pmt_reader *r = pmt_reader_open_ex(argv[1], 0, &err, msg, sizeof(msg));
	if (!r) {
		fprintf(stderr, "evdump: '%s': %s %s\n", argv[1], pmt_strerror(err), msg);
		return 1;
	}
	pmt_cursor *c = pmt_cursor_open_merged(r, NULL, &err);
	if (!c) {
		fprintf(stderr, "evdump: '%s': %s\n", argv[1], pmt_strerror(err));
		pmt_reader_close(r);
		return 1;
	}
	const struct pmt_event *e;
	while ((e = pmt_cursor_next(c, &err))) {
		printf("%u %u %" PRIu64 " %s", e->level, e->cpu, e->ts, pmt_event_type_name(e->type));
		switch (e->type) {
		case PMT_EV_SWITCH:
			printf(" prev=%u state=%s next=%u", e->u.sw.prev_tid,
			       pmt_state_name((int)e->u.sw.prev_state), e->u.sw.next_tid);
			break;
		case PMT_EV_MIGRATE:
			printf(" tid=%u from=%u to=%u", e->u.migrate.tid, e->u.migrate.from_cpu,
			       e->u.migrate.to_cpu);
			break;
		case PMT_EV_WAKEUP:
			printf(" tid=%u target=%u waker=%u flags=%u", e->u.wakeup.tid,
			       e->u.wakeup.target_cpu, e->u.wakeup.waker_tid, e->u.wakeup.flags);
			break;
		case PMT_EV_FORK:
			printf(" parent=%u child=%u pid=%u flags=%u", e->u.fork.parent_tid,
			       e->u.fork.child_tid, e->u.fork.child_pid, e->u.fork.flags);
			break;
		case PMT_EV_EXEC:
			printf(" tid=%u comm=%.*s", e->u.exec.tid, (int)e->u.exec.comm.len, e->u.exec.comm.s);
			break;
		case PMT_EV_EXIT:
			printf(" tid=%u", e->u.exit.tid);
			break;
		case PMT_EV_NAME:
			printf(" tid=%u pid=%u comm=%.*s", e->u.name.tid, e->u.name.pid,
			       (int)e->u.name.comm.len, e->u.name.comm.s);
			break;
		case PMT_EV_LOST:
			printf(" count=%" PRIu64 " span=%" PRIu64, e->u.lost.count, e->u.lost.span);
			break;
		case PMT_EV_MARKER:
			printf(" text=%.*s", (int)e->u.marker.text.len, e->u.marker.text.s);
			break;
		default:
			break;
		}
		putchar('\n');
	}
	pmt_cursor_close(c);
	const struct pmt_info *in = pmt_reader_info(r);
	for (size_t i = 0; i < in->ntasks; i++)
		printf("task %u %u %s\n", in->tasks[i].tid, in->tasks[i].pid,
		       in->tasks[i].comm ? in->tasks[i].comm : "");
	printf("info events=%" PRIu64 " lost=%" PRIu64 " recovered=%d damage=%zu err=%d\n",
	       in->events, in->lost_events, in->recovered, in->ndamage, err);
	pmt_reader_close(r);
	return err < 0 ? 1 : 0;
}
