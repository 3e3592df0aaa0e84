#!/bin/bash
# pmt-analyze on the real xentrace capture agrees with what Xen's own records
# say (tests/xen/xen_figures.py reads them without pmt): run time per
# (vCPU, pCPU), runs and pCPU changes per vCPU. Skipped when the capture or
# the analysis commands are absent.
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
"$BIN/pmt-analyze" affinity --matrix --format csv "$TMP/cap.pmt" > "$TMP/m.csv"
awk -F, '$1 == "host" && $6 > 0 {print "run," $4 "," $5 "," $6}' "$TMP/m.csv" | sort > "$TMP/pmt-run"
grep '^run,' "$TMP/xen.csv" | awk -F, '$4 > 0' | sort > "$TMP/xen-run"
check_eq "run time per (vCPU, pCPU): $(wc -l < "$TMP/xen-run") pairs, all equal" "" \
	"$(diff "$TMP/xen-run" "$TMP/pmt-run")"
# runs and pCPU changes per vCPU
"$BIN/pmt-analyze" affinity --format csv "$TMP/cap.pmt" > "$TMP/a.csv"
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
finish
