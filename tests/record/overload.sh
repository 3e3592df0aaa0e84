#!/bin/bash
# pmt-record that cannot keep up with its events: SIGINT is still acted on at
# once, the stop drains what is left within a bound (the rest counted as
# lost), and a second SIGINT while stopping ends the drain at once. The
# recorder is made slow on purpose (PMT_RECORD_SLOW_US sleeps per sub-buffer)
# under the densest workload (pingpong pinned to CPU 0).
source "$(dirname "$0")/../lib.sh"
REC=$BIN/pmt-record
DUMP=$BIN/tests/evdump
WL=$BIN/tests/workloads
INST=/sys/kernel/tracing/instances

if ! have_tracefs; then
	skip "tracefs cannot be mounted here (not root, or no CONFIG_FTRACE): no recording tests"
	finish
fi
if [ "$(nproc)" -lt 2 ]; then
	skip "needs 2 CPUs"
	finish
fi
# A generous bound for "at once": the recorder ends within about 1.5 s (a
# quarter-second slice, one second of drain); before, it ran on for as long
# as the load lasted.
BOUND=8
ON0=$(cat /sys/kernel/tracing/tracing_on)

"$WL/pingpong" 1000000000 0 >/dev/null &
WLPID=$!
cleanup_wl() { kill "$WLPID" 2>/dev/null; wait "$WLPID" 2>/dev/null; }
trap cleanup_wl EXIT

# exited_within PID SECONDS: polls; 0 when PID is gone in time.
exited_within() {
	local i
	for ((i = 0; i < $2 * 20; i++)); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.05
	done
	return 1
}
# stop_hard PID: the recorder overran the bound: end it, the next recorder
# removes its instance.
stop_hard() { kill -KILL "$1" 2>/dev/null; wait "$1" 2>/dev/null; }
lost_in_file() { "$DUMP" "$1" | awk '$4 == "lost" {sub("count=", "", $5); n += $5} END {print n + 0}'; }
said_lost() { sed -n "s/.*events, \([0-9]*\) lost,.*/\1/p" "$1"; }

# --- one SIGINT under overload ---------------------------------------------
PMT_RECORD_SLOW_US=300 "$REC" --buffer-size 64 -o "$TMP/one.pmt" 2>"$TMP/one.err" &
rp=$!
sleep 2.5
kill -INT $rp
if exited_within $rp $BOUND; then
	wait $rp
	check_eq "overload, SIGINT: exit status 0" 0 $?
	ok "overload, SIGINT: exits within ${BOUND} s"
else
	fail "overload, SIGINT: still running ${BOUND} s after SIGINT"
	stop_hard $rp
fi
check "overload, SIGINT: no instance pmt-$rp left" test ! -e "$INST/pmt-$rp"
check_eq "overload, SIGINT: the global tracing_on untouched" "$ON0" "$(cat /sys/kernel/tracing/tracing_on)"
check "overload, SIGINT: pmt-analyze check reads the file" "$BIN/pmt-analyze" check "$TMP/one.pmt"
said=$(said_lost "$TMP/one.err")
check "overload, SIGINT: the recorder was behind: lost events reported (${said:-none})" test "${said:-0}" -gt 0
check_eq "overload, SIGINT: the summary's lost count is the file's" "${said:-none}" "$(lost_in_file "$TMP/one.pmt")"
check_eq "overload, SIGINT: pmt-analyze info counts them" "${said:-none}" \
	"$("$BIN/pmt-analyze" info "$TMP/one.pmt" 2>/dev/null | awk '$1 == "lost_events" {print $2}')"

# --- a second SIGINT while stopping ----------------------------------------
# A buffer that takes seconds to read at this speed (1024 sub-buffers of 2 ms
# each): the second signal comes once tracing is off, the drain under way.
PMT_RECORD_SLOW_US=2000 "$REC" --buffer-size 4096 -o "$TMP/two.pmt" 2>"$TMP/two.err" &
rp=$!
sleep 2.5
kill -INT $rp
for ((i = 0; i < 200; i++)); do
	[ "$(cat "$INST/pmt-$rp/tracing_on" 2>/dev/null)" = 0 ] && break
	sleep 0.02
done
check_eq "second SIGINT: tracing is off first" 0 "$(cat "$INST/pmt-$rp/tracing_on" 2>/dev/null)"
kill -INT $rp
if exited_within $rp $BOUND; then
	wait $rp
	check_eq "second SIGINT: exit status 0" 0 $?
	ok "second SIGINT: exits within ${BOUND} s"
else
	fail "second SIGINT: still running ${BOUND} s after SIGINT"
	stop_hard $rp
fi
check "second SIGINT: said so" grep -q "second signal" "$TMP/two.err"
check "second SIGINT: what it left unread is counted as lost" grep -q "stopped at once: [1-9][0-9]* events left unread" "$TMP/two.err"
check "second SIGINT: no instance pmt-$rp left" test ! -e "$INST/pmt-$rp"
check "second SIGINT: pmt-analyze check reads the file" "$BIN/pmt-analyze" check "$TMP/two.pmt"
said=$(said_lost "$TMP/two.err")
check_eq "second SIGINT: the summary's lost count is the file's" "${said:-none}" "$(lost_in_file "$TMP/two.pmt")"
check_eq "second SIGINT: the global tracing_on untouched" "$ON0" "$(cat /sys/kernel/tracing/tracing_on)"
finish
