#!/bin/bash
# pmt-analyze on the real xentrace capture agrees with what Xen's own records
# say (tests/xen/xen_figures.py reads them without pmt): affinity (run time
# per vCPU and pCPU, runs, pCPU changes), vcpus (time running, runnable,
# blocked, unknown, pCPU changes per vCPU) and cosched (idle, co-running,
# skewed, stalled, unknown per domain). Skipped when the capture or an
# analysis command is absent.
source "$(dirname "$0")/../lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
CAP=$SHARED/data/xentrace/xen-4.x-credit2-8pcpu.xentrace
if [ ! -r "$CAP" ]; then
	skip "the real capture is absent ($CAP)"
	finish
fi
"$BIN/pmt-import" xentrace "$CAP" -o "$TMP/cap.pmt" --cpu-hz 2400000000 2> /dev/null
check_eq "import: exit status 0" 0 $?
python3 "$HERE/xen_figures.py" "$CAP" 2400000000 > "$TMP/xen.csv"
check_eq "Xen's records: 12 vCPUs" 12 "$(grep -c '^entity,' "$TMP/xen.csv")"

if ! "$BIN/pmt-analyze" affinity --help > /dev/null 2>&1; then
	skip "pmt-analyze affinity is absent"
	finish
fi
# run time per (vCPU, pCPU)
"$BIN/pmt-analyze" affinity --level host --matrix --format csv "$TMP/cap.pmt" > "$TMP/m.csv"
awk -F, '$1 == "host" && $6 > 0 {print "run," $4 "," $5 "," $6}' "$TMP/m.csv" | sort > "$TMP/pmt-run"
grep '^run,' "$TMP/xen.csv" | awk -F, '$4 > 0' | sort > "$TMP/xen-run"
check_eq "run time per (vCPU, pCPU): $(wc -l < "$TMP/xen-run") pairs, all equal" "" \
	"$(diff "$TMP/xen-run" "$TMP/pmt-run")"
# runs and pCPU changes per vCPU
"$BIN/pmt-analyze" affinity --level host --format csv "$TMP/cap.pmt" > "$TMP/a.csv"
cols=$(head -n 1 "$TMP/a.csv")
check_eq "affinity columns" "level,tid,pid,comm,run_ns,runs,cpu_changes" \
	"$(echo "$cols" | cut -d, -f1-7)"
awk -F, '$1 == "host" {print "entity," $4 "," $6 "," $7}' "$TMP/a.csv" | sort > "$TMP/pmt-ent"
grep '^entity,' "$TMP/xen.csv" | sort > "$TMP/xen-ent"
check_eq "runs and pCPU changes per vCPU: all equal" "" "$(diff "$TMP/xen-ent" "$TMP/pmt-ent")"
# the summary's total of pCPU changes
total=$(awk -F, '{s += $4} END {print s}' "$TMP/xen-ent")
"$BIN/pmt-analyze" summary --format csv "$TMP/cap.pmt" > "$TMP/s.csv"
col=$(head -n 1 "$TMP/s.csv" | tr ',' '\n' | grep -n '^cpu_changes$' | cut -d: -f1)
check_eq "summary: cpu_changes = Xen's total" "$total" "$(sed -n 2p "$TMP/s.csv" | cut -d, -f"$col")"

# Guest levels are named Domain-0 and d<domid>.
domid() { awk -F, -v OFS=, '{ if ($1 == "Domain-0") $1 = 0; else sub(/^d/, "", $1); print }'; }
if "$BIN/pmt-analyze" vcpus --help > /dev/null 2>&1; then
	"$BIN/pmt-analyze" vcpus --format csv "$TMP/cap.pmt" 2> /dev/null | grep -v '^#' > "$TMP/v.csv"
	check_eq "vcpus columns" "guest,vcpu,host_tid,running_ns,runnable_ns,blocked_ns,unknown_ns" \
		"$(head -n 1 "$TMP/v.csv" | cut -d, -f1-7)"
	tail -n +2 "$TMP/v.csv" | cut -d, -f1,2,4-7 | domid | sed 's/^/vcpu,/' | sort > "$TMP/pmt-v"
	grep '^vcpu,' "$TMP/xen.csv" | sort > "$TMP/xen-v"
	check_eq "vcpus: running, runnable, blocked, unknown of 12 vCPUs: all equal" "" \
		"$(diff "$TMP/xen-v" "$TMP/pmt-v")"
	tail -n +2 "$TMP/v.csv" | awk -F, '{print $10}' | sort -n > "$TMP/pmt-vc"
	grep '^entity,' "$TMP/xen.csv" | cut -d, -f4 | sort -n > "$TMP/xen-vc"
	check_eq "vcpus: pCPU changes" "" "$(diff "$TMP/xen-vc" "$TMP/pmt-vc")"
else
	skip "pmt-analyze vcpus is absent"
fi
if "$BIN/pmt-analyze" cosched --help > /dev/null 2>&1; then
	"$BIN/pmt-analyze" cosched --format csv "$TMP/cap.pmt" 2> /dev/null | grep -v '^#' > "$TMP/c.csv"
	check_eq "cosched columns" "guest,busy_from,idle_ns,corunning_ns,skewed_ns,stalled_ns,unknown_ns" \
		"$(head -n 1 "$TMP/c.csv" | cut -d, -f1-7)"
	awk -F, 'NR > 1 && $2 == "host" && NF > 6' "$TMP/c.csv" | cut -d, -f1,3-7 | domid |
		sed 's/^/cosched,/' | sort > "$TMP/pmt-c"
	grep '^cosched,' "$TMP/xen.csv" | sort > "$TMP/xen-c"
	check_eq "cosched: idle, co-running, skewed, stalled, unknown of 2 domains: all equal" "" \
		"$(diff "$TMP/xen-c" "$TMP/pmt-c")"
else
	skip "pmt-analyze cosched is absent"
fi
finish
