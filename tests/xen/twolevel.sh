#!/bin/bash
# Both levels in one Xen trace: a xentrace file whose guest records (written
# as a guest agent writes them with HVMOP_xentrace, docs/XEN.md) describe a
# task migrated between the vCPUs of domain 3 while the vCPUs move and are
# preempted on the host (tests/xen/gen_twolevel.py states the ground truth).
# Imported, then checked through pmt-analyze's two-level reports.
source "$(dirname "$0")/../lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
python3 "$HERE/gen_twolevel.py" "$TMP/t.xt"
"$BIN/pmt-import" xentrace "$TMP/t.xt" -o "$TMP/t.pmt" --cpu-hz 1e9 2> "$TMP/err"
check_eq "import: exit status 0" 0 $?
check "import: 15 events" grep -q "wrote '$TMP/t.pmt': 15 events, 0 lost" "$TMP/err"
an() { "$BIN/pmt-analyze" "$@" --format csv "$TMP/t.pmt" 2> /dev/null | grep -v '^#'; }

# The guest's own migrations, with the pCPUs before and after (composition).
an migrations --level d3 --kind migrate --composed > "$TMP/m.csv"
check_eq "migrate rows: task, vCPUs, pCPUs before and after" \
	"77,0,1,0,1 77,1,0,0,0" \
	"$(awk -F, 'NR > 1 {printf "%s%s,%s,%s,%s,%s", sep, $3, $6, $7, $12, $13; sep = " "}' "$TMP/m.csv")"

# Task 77: 1100 ns in the guest's view, 600 on a pCPU (296 on 0, 304 on 1), 500 stolen.
an affinity --composed > "$TMP/a.csv"
check_eq "composed: run, on a pCPU, stolen" "1100,600,500" \
	"$(awk -F, '$1 == "d3" && $2 == 77 && NF == 11 {print $5 "," $6 "," $7}' "$TMP/a.csv")"
"$BIN/pmt-analyze" affinity --composed --matrix --format csv "$TMP/t.pmt" > "$TMP/r.csv" 2> /dev/null
check_eq "composed residency: pCPU 0 296 ns, pCPU 1 304 ns" "0:296 1:304" \
	"$(awk -F, '/^# table: composed_residency/ {t = 1} t && $1 == "d3" && $2 == 77 {
		printf "%s%s:%s", sep, $5, $6; sep = " "}' "$TMP/r.csv")"

# vCPU 1 of d3: preempted on the host while task 77 runs on it: 500 ns of
# harmful steal; it changes pCPU once.
an vcpus > "$TMP/v.csv"
check_eq "d3 vCPU 1: steal, harmful steal, pCPU changes" "500,500,1" \
	"$(awk -F, '$1 == "d3" && $2 == 1 {print $8 "," $9 "," $10}' "$TMP/v.csv")"
check_eq "d3 vCPU 0: no pCPU change" "0" "$(awk -F, '$1 == "d3" && $2 == 0 {print $10}' "$TMP/v.csv")"
# Guest records take their pCPU's previous TSC; the widest gap to the next
# one: pCPU 0's last guest record of its first window (1300) to 2500.
check_eq "guest time slack: 1200 ns at most" 1200 \
	"$("$BIN/pmt-analyze" info "$TMP/t.pmt" | awk '$1 == "xen.guest_time_slack_max_ns" {print $2}')"
finish
