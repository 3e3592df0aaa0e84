#!/bin/bash
# pmt-record --xen end to end on a machine without Xen: build/tests/
# pmt-record-fakexen is pmt-record linked with tests/xen/fake/fakexen.c,
# which plays libxenctrl over memory with a producer thread writing as Xen
# does (context switches of domain 3's two vCPUs, their guest agent's
# records, a burst that overflows a buffer). The fake reports what it wrote;
# the recording must hold exactly that.
source "$(dirname "$0")/../lib.sh"
FAKE=$BIN/tests/pmt-record-fakexen
EVDUMP=$BIN/tests/evdump
[ -x "$FAKE" ] || { skip "pmt-record-fakexen is not built (no libxenctrl)"; finish; }
FAKEXEN_REPORT=$TMP/report "$FAKE" --xen --buffer-size 64 --duration 3 -o "$TMP/live.pmt" \
	2> "$TMP/err"
check_eq "exit status 0" 0 $?
check "no event channel: it polls, and says so" grep -q "polling only" "$TMP/err"
rep() { awk -v k="$1" '$1 == k {print $2}' "$TMP/report"; }
if [ "$(rep other_dropped)" != 0 ]; then
	skip "the consumer fell behind (machine too busy): $(rep other_dropped) records dropped"
	finish
fi
"$EVDUMP" "$TMP/live.pmt" > "$TMP/ev"
check "the run switched enough to mean something" test "$(rep switches)" -gt 200
check_eq "host switches = the switch-ins Xen wrote" "$(rep switches)" \
	"$(awk '$1 == 0 && $4 == "switch"' "$TMP/ev" | wc -l)"
check_eq "guest events = the guest records Xen wrote" "$(rep guest)" \
	"$(awk '$1 == 2 && $4 == "switch"' "$TMP/ev" | wc -l)"
check "the burst overflowed a buffer" test "$(rep lost)" -gt 0
check_eq "lost events = the counts of Xen's lost records" "$(rep lost)" \
	"$(sed -n 's/^info .*lost=\([0-9]*\).*/\1/p' "$TMP/ev")"
"$BIN/pmt-analyze" info "$TMP/live.pmt" > "$TMP/info"
check "levels: host, Domain-0 (1 CPU), d3 (2 CPUs, guest 3)" \
	awk '$1 == 1 && $2 == "Domain-0" && $4 == 1 {a = 1} $1 == 2 && $2 == "d3" && $4 == 2 && $6 == 3 {b = 1}
	     END {exit !(a && b)}' "$TMP/info"
check "clock: Xen's 1 GHz, not assumed" grep -q '^ *0 *x86-tsc *1000000000 ' "$TMP/info"
check_eq "buffer: 64 KB = 16 pages" 16 "$(awk '$1 == "xen.buffer_pages" {print $2}' "$TMP/info")"
check_eq "d3's vCPUs as tasks" "d3v0 d3v1" "$(awk '$1 == "task" && $4 ~ /^d3/ {print $4}' "$TMP/ev" | sort | xargs)"
finish
