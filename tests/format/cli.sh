#!/bin/bash
# tests/format/cli.sh - pmt-analyze info, dump and check on the synthetic
# samples (known contents: sample-traces/README.md) and on damaged copies.
source "$(dirname "$0")/../lib.sh"
A=$BIN/pmt-analyze
S=$TOP/sample-traces
PP=$S/synthetic-pingpong.pmt
MX=$S/synthetic-mixed.pmt

out=$($A check "$PP"); rc=$?
check_eq "check: a healthy sample exits 0" 0 $rc
check_eq "check: a healthy sample says ok with its event count" "$PP: ok: 20000 events in 2 streams" "$out"

n=$($A dump "$MX" --format csv | tail -n +2 | wc -l)
check_eq "dump csv: one line per event" 20000 "$n"
sorted=$($A dump "$MX" --format csv | tail -n +2 | cut -d, -f1 | sort -n -c 2>&1 && echo sorted)
check_eq "dump: events come in time order" sorted "$sorted"
sw=$($A dump "$PP" --format csv | awk -F, '$5=="switch"' | wc -l)
wk=$($A dump "$PP" --format csv | awk -F, '$5=="wakeup"' | wc -l)
# every hand-over is waking + wakeup + switch; kworker events add a few of each
check "dump: the ping-pong has about one switch per two wakeups" test $((wk / 2 - sw)) -le 200 -a $((sw - wk / 2)) -le 200
$A dump "$PP" --format json >"$TMP/d.json"
check_eq "dump json: parses, 20000 events" 20000 "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["events"]))' "$TMP/d.json")"
n=$($A dump "$PP" --cpu 1 --format csv | tail -n +2 | wc -l)
m=$($A info "$PP" --format csv | awk -F, '/^level,cpu,events/{s=1;next} s && $2==1 {print $3}')
check_eq "dump --cpu 1: the events info counts on CPU 1" "$m" "$n"

ev=$($A info "$MX" --format json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["file"]["events"], d["file"]["indexed"], d["file"]["recovered"], len(d["streams"]))')
check_eq "info json: events, indexed, not recovered, 2 streams" "20000 1 0 2" "$ev"

# A copy cut in its middle: recovered, damaged, exit 1 with offsets.
size=$(stat -c %s "$MX")
head -c $((size / 2)) "$MX" >"$TMP/cut.pmt"
out=$($A check "$TMP/cut.pmt"); rc=$?
check_eq "check: a truncated file exits 1" 1 $rc
check "check: the truncated file's damage has an offset" grep -qE "^$TMP/cut.pmt: offset [0-9]+: .*expected" <<<"$out"
rec=$($A info "$TMP/cut.pmt" --tolerant --format json 2>/dev/null | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["file"]["recovered"], 0 < d["file"]["events"] < 20000)')
check_eq "info --tolerant: the truncated file is recovered with part of its events" "1 True" "$rec"

# One flipped byte in the middle of a chunk payload.
cp "$MX" "$TMP/flip.pmt"
printf '\xff' | dd of="$TMP/flip.pmt" bs=1 seek=$((size / 3)) conv=notrunc status=none
out=$($A check "$TMP/flip.pmt"); rc=$?
check_eq "check: a flipped byte exits 1" 1 $rc
check "check: the flipped byte is reported with an offset" grep -qE "^$TMP/flip.pmt: offset [0-9]+: chunk payload checksum" <<<"$out"
$A dump "$TMP/flip.pmt" >/dev/null 2>"$TMP/err"; rc=$?
check_eq "dump: a damaged file exits 1" 1 $rc
check "dump: says where the damage is" grep -qE "^$TMP/flip.pmt: offset [0-9]+: " "$TMP/err"

# Foreign and empty files: exit 1, one line with offset.
: >"$TMP/empty.pmt"
for f in /etc/passwd "$TMP/empty.pmt"; do
	out=$($A info "$f" 2>&1); rc=$?
	check_eq "info: '$f' exits 1" 1 $rc
	check_eq "info: '$f' gives one line with an offset" "1 yes" "$(wc -l <<<"$out") $(grep -q "^$f: offset 0: " <<<"$out" && echo yes)"
done
$A check 2>/dev/null; check_eq "check without a file: usage error 2" 2 $?
finish
