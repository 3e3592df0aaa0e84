#!/bin/bash
# tests/twolevel/samples.sh - the reports of the synthetic sample scenarios
# (sample-traces/*.synth) compared with their expected files
# (sample-traces/expected/, checked by hand against the scenarios; see
# sample-traces/README.md), in text and through csv/json column names.
source "$(dirname "$0")/../lib.sh"
SYN=$BIN/pmt-synth AN=$BIN/pmt-analyze
[ -x "$SYN" ] && [ -x "$AN" ] || { skip "pmt-synth or pmt-analyze not built"; finish; }
S=$TOP/sample-traces
for s in lockholder gang free; do
	if ! $SYN "$S/$s.synth" -o "$TMP/$s.pmt"; then fail "$s: pmt-synth"; continue; fi
	$AN vcpus --matrix "$TMP/$s.pmt" > "$TMP/out" 2>&1
	check "$s: vcpus --matrix as expected" diff -u "$S/expected/$s.vcpus.txt" "$TMP/out"
	$AN cosched "$TMP/$s.pmt" > "$TMP/out" 2>&1
	check "$s: cosched as expected" diff -u "$S/expected/$s.cosched.txt" "$TMP/out"
done
$AN stalls --worst 3 "$TMP/lockholder.pmt" > "$TMP/out" 2>&1
check "lockholder: stalls --worst 3 as expected" diff -u "$S/expected/lockholder.stalls.txt" "$TMP/out"
# json: the documented column names, the empty cells of absent levels as null
$AN vcpus --format json "$TMP/lockholder.pmt" > "$TMP/j"
check "vcpus json has the documented columns" grep -q '"harmful_steal_ns": 3000000' "$TMP/j"
$SYN --host-only "$S/lockholder.synth" -o "$TMP/ho.pmt"
$AN vcpus --format json "$TMP/ho.pmt" > "$TMP/j"
check "host-only vcpus json: busy_ns is null, not 0" grep -q '"busy_ns": null' "$TMP/j"
# every report is valid json, host-only included
for f in lockholder ho; do
	for c in vcpus cosched "stalls --worst 2" "affinity --composed" "latency --split" "migrations --composed"; do
		$AN $c --format json "$TMP/$f.pmt" > "$TMP/j" 2>/dev/null
		check "$f: $c --format json parses" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$TMP/j"
	done
done
$AN diff --format json "$TMP/lockholder.pmt" "$TMP/ho.pmt" > "$TMP/j"
check "diff --format json parses" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$TMP/j"
# a figure the second trace cannot measure is null there, and so is the change
check "diff: stall_ns of a host-only trace is null" python3 -c '
import json, sys
d = {r["metric"]: r for r in json.load(open(sys.argv[1]))["diff"]}
r = d["vm.stall_ns"]
sys.exit(not (r["a"] == 8000000 and r["b"] is None and r["change"] is None))' "$TMP/j"

# pmt-synth's own errors
printf 'span 1ms\nhost 1\nrun host 0 0 2ms 5\n' > "$TMP/bad.synth"
$SYN "$TMP/bad.synth" -o "$TMP/bad.pmt" 2> "$TMP/err"
check_eq "a run past the span: exit 1" 1 $?
check "the message names the line" grep -q "bad.synth:3: outside the span" "$TMP/err"
printf 'span 1ms\nhost 1\nrun host 0 0 1ms 5\nrun host 0 0.5ms 1ms 6\n' > "$TMP/ov.synth"
$SYN "$TMP/ov.synth" -o "$TMP/ov.pmt" 2> "$TMP/err"
check_eq "overlapping runs: exit 1" 1 $?
check "the message names both lines" grep -q "line 4: run overlaps the run of line 3" "$TMP/err"
$SYN 2> /dev/null
check_eq "no arguments: exit 2" 2 $?
finish
