#!/bin/bash
# tests/vm/merge.sh - pmt-merge on generated pairs with a known clock relation
# (tests/vm/mkpair.c): no VM, no root. The fit must contain the truth; the
# given-offset and --bind paths must work; inconsistent inputs are refused with
# the reason, exit 1, and an existing output is left as it was.
source "$(dirname "$0")/../lib.sh"
MK=$BIN/tests/mkpair
M=$BIN/pmt-merge
C=1234567890120

"$MK" "$TMP/h.pmt" "$TMP/g.pmt" || { fail "mkpair"; finish; }
out=$("$M" "$TMP/h.pmt" "$TMP/g.pmt" -o "$TMP/m.pmt")
check "merges a pair by its sync pulses" [ $? -eq 0 ]
check "says how: $out" grep -q "guest 'g' .*: 2 vCPUs, clock: 20 sync pulses on port 0x3e8" <<<"$out"
v=$("$MK" --verify "$TMP/m.pmt" $C)
check "the fitted clock holds the truth within its uncertainty ($v)" grep -q '^ok: flags 2 ' <<<"$v"
unc=$(sed -n 's/.*uncertainty_ns \([0-9]*\).*/\1/p' <<<"$v")
# windows of 8..25 us: the intersection is narrower than the narrowest
check "uncertainty ${unc} ns is under 25 us" [ "${unc:-999999}" -lt 25000 ]
# streams table rows "level,cpu,events": the host's as they were, the guest's
# (level 0 in its own file) on level 1
streams() { "$BIN/pmt-analyze" info "$1" --format csv | awk -F, '/^# table: streams/ { on = 1; next } on && /^[0-9]/ { print $1 "," $2 "," $3 }'; }
check_eq "host events unchanged" "$(streams "$TMP/h.pmt")" "$(streams "$TMP/m.pmt" | grep '^0,')"
check_eq "guest events on the guest level" "$(streams "$TMP/g.pmt" | sed 's/^0,/1,/')" "$(streams "$TMP/m.pmt" | grep '^1,')"

# --clock-offset: the guest's own ns minus C ticks (5/12 ns each) is host time.
"$M" -q "$TMP/h.pmt" "$TMP/g.pmt" -o "$TMP/o.pmt" --clock-offset g=-$((C * 5 / 12))
v=$("$MK" --verify "$TMP/o.pmt" $C)
check "a given offset maps the clock exactly ($v)" grep -q '^ok: flags 4 uncertainty_ns 0' <<<"$v"

# A host recorded in ns ('mono'): the rate is fitted around the guest TSC's frequency.
"$MK" "$TMP/hm.pmt" "$TMP/gm.pmt" --host-mono
"$M" -q "$TMP/hm.pmt" "$TMP/gm.pmt" -o "$TMP/mm.pmt"
v=$("$MK" --verify "$TMP/mm.pmt" $C)
check "a host in mono ns: the fitted clock holds the truth ($v)" grep -q '^ok: flags 2 ' <<<"$v"

# Two guests of one host, each on its own level, bindings and clock.
"$MK" "$TMP/h2g.pmt" "$TMP/g2g.pmt" --second "$TMP/h2h.pmt"
out=$("$M" "$TMP/h2g.pmt" "$TMP/h2h.pmt=h" "$TMP/g2g.pmt=g" -o "$TMP/two.pmt")
check_eq "two guests merge, each by its pulses" 2 "$(grep -c 'clock: 20 sync pulses' <<<"$out")"
check "guest g's clock holds its truth" grep -q '^ok: flags 2' <<<"$("$MK" --verify "$TMP/two.pmt" $C g)"
check "guest h's clock holds its truth" grep -q '^ok: flags 2' <<<"$("$MK" --verify "$TMP/two.pmt" $((C + 1000000007)) h)"
check "guest g does not fit guest h's clock" grep -q '^bad:' <<<"$("$MK" --verify "$TMP/two.pmt" $C h)"
"$M" "$TMP/h2g.pmt" "$TMP/g2g.pmt" -o "$TMP/x.pmt" 2>"$TMP/err" >/dev/null
check "an unnamed guest is refused when the host has several: $(cat "$TMP/err")" grep -q "name it as" "$TMP/err"

# KVM: the host recorded the vCPUs' TSC offset; no pulses needed.
"$MK" "$TMP/hk.pmt" "$TMP/gk.pmt" --kvm --no-pulses
out=$("$M" "$TMP/hk.pmt" "$TMP/gk.pmt" -o "$TMP/k.pmt")
check "KVM's TSC offset maps the clock: $out" grep -q "clock: KVM TSC offset $C, scaling none" <<<"$out"
v=$("$MK" --verify "$TMP/k.pmt" $C)
check "the KVM mapping holds the truth ($v)" grep -q '^ok: flags 4 uncertainty_ns 1$' <<<"$v"

# A host file without --vm's placeholder (e.g. imported from ftrace text): --bind.
"$MK" "$TMP/h2.pmt" "$TMP/g2.pmt" --no-vm
"$M" -q "$TMP/h2.pmt" "$TMP/g2.pmt=g" -o "$TMP/b.pmt" --bind g=101,102
check "--bind names the vCPU threads of a guest the host file does not know" \
	grep -q '^ok: flags 2' <<<"$("$MK" --verify "$TMP/b.pmt" $C)"
nb=$("$BIN/pmt-analyze" info "$TMP/b.pmt" | awk '/^vCPU bindings/ { on = 1; next } on && NF == 4 && $1 ~ /^[0-9]+$/ { n++ } /^$/ { on = 0 } END { print n + 0 }')
check_eq "--bind writes one binding per vCPU" 2 "$nb"

# Refusals: one line naming the cause, exit 1, the old output untouched.
echo keep >"$TMP/out.pmt"
refuse() { # refuse DESCRIPTION EXPECTED-TEXT MERGE-ARGS...
	local d=$1 want=$2; shift 2
	"$M" "$@" -o "$TMP/out.pmt" 2>"$TMP/err" >/dev/null
	local rc=$?
	if [ $rc -eq 1 ] && grep -q "$want" "$TMP/err" && [ "$(wc -l <"$TMP/err")" -eq 1 ] &&
		[ "$(cat "$TMP/out.pmt")" = keep ] && ! ls "$TMP"/out.pmt.tmp* >/dev/null 2>&1; then
		ok "refuses $d: $(cat "$TMP/err")"
	else
		fail "$d: status $rc, '$(cat "$TMP/err")', output now '$(head -c 20 "$TMP/out.pmt")'"
	fi
}
"$MK" "$TMP/h3.pmt" "$TMP/g3.pmt" --no-pulses
refuse "a guest without pulses" "no sync pulses" "$TMP/h3.pmt" "$TMP/g3.pmt"
"$MK" "$TMP/h4.pmt" "$TMP/g4.pmt" --bad-pulse
refuse "pulses no clock mapping fits" "empty intersection" "$TMP/h4.pmt" "$TMP/g4.pmt"
"$MK" "$TMP/h5.pmt" "$TMP/g5.pmt" --drop-write
refuse "a host that missed a pulse" "emitted 20 sync pulses .* recorded 19 writes" "$TMP/h5.pmt" "$TMP/g5.pmt"
refuse "a wrong binding" "the vCPU binding is wrong" "$TMP/h.pmt" "$TMP/g.pmt" --bind g=102,101
refuse "a vCPU count mismatch" "vCPU count mismatch" "$TMP/h.pmt" "$TMP/g.pmt" --bind g=101
refuse "a guest the host does not know" "no vCPU threads for guest 'x'" "$TMP/h.pmt" "$TMP/g.pmt=x"
echo "not a trace" >"$TMP/text.pmt"
refuse "a file that is not a trace" "^$TMP/text.pmt: offset 0: .*(not a .pmt file)" "$TMP/h.pmt" "$TMP/text.pmt"
refuse "a merged file as host" "guest 'g' already has events in it" "$TMP/m.pmt" "$TMP/g.pmt"

# The kept test bed runs (make vmruns): healthy, and the checker's figures
# are those stored with them (0 guest switches outside a vCPU run; no pCPU
# change when pinned).
for f in free pinned; do
	run=$TOP/tests/vm/runs/$f.pmt
	check "runs/$f.pmt is healthy" "$BIN/pmt-analyze" check "$run"
	check_eq "vmcheck on runs/$f.pmt gives runs/$f.check" \
		"$(cat "$TOP/tests/vm/runs/$f.check")" "$("$BIN/tests/vmcheck" "$run")"
done
check "sample-traces/vm-tcg-free.pmt is healthy" "$BIN/pmt-analyze" check "$TOP/sample-traces/vm-tcg-free.pmt"

# The guest as ftrace text (x86-tsc: integer cycle counts), as an instance's
# 'trace' file would hold it: switches in the kernel's format, the pulses as
# trace_marker lines, half in the kernel's form and half in trace-cmd report's
# 'print' forms. pmt-import with --cpu-hz keeps the markers and the cycles,
# so pmt-merge fits the pulses as for the recorder's own file.
"$BIN/pmt-analyze" dump "$TMP/g.pmt" --format csv | awk -F, '
	$5 == "switch" { printf "          <idle>-0       [%03d] d..2. %s: sched_switch: prev_comm=swapper/%d prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=w%d next_pid=%d next_prio=120\n", $4, $2, $4, $8, $8 }
	$5 == "marker" { n++; form = n % 3
		if (form == 0) printf "           pulse-77      [%03d] ..... %s: tracing_mark_write: %s\n", $4, $2, $16
		else if (form == 1) printf "           pulse-77      [%03d] %s: print:                tracing_mark_write: %s\n", $4, $2, $16
		else printf "           pulse-77      [%03d] %s: print:                0xffffffff8123abcd: %s   \n", $4, $2, $16 }' >"$TMP/g.txt"
markers() { "$BIN/pmt-analyze" dump "$1" --format csv | awk -F, '$5 == "marker" { print $4 " " $2 " " $16 }' | sort; }
check_eq "the text holds the 20 pulses" 20 "$(grep -c 'pmt-sync v1' "$TMP/g.txt")"
"$BIN/pmt-import" ftrace "$TMP/g.txt" -o "$TMP/gt.pmt" --cpu-hz 2.4e9 2>/dev/null
check_eq "pmt-import ftrace --cpu-hz: imported" 0 $?
check_eq "the imported markers are the recorded ones (cpu, cycles, text)" "$(markers "$TMP/g.pmt")" "$(markers "$TMP/gt.pmt")"
check "the clock is x86-tsc at the given 2.4 GHz" grep -q 'x86-tsc.*2400000000' <<<"$("$BIN/pmt-analyze" info "$TMP/gt.pmt")"
out=$("$M" "$TMP/h.pmt" "$TMP/gt.pmt=g" -o "$TMP/mt.pmt")
check "the imported guest merges by its sync pulses: $out" grep -q "clock: 20 sync pulses on port 0x3e8" <<<"$out"
check "its fitted clock holds the truth" grep -q '^ok: flags 2 ' <<<"$("$MK" --verify "$TMP/mt.pmt" $C)"
# Without --cpu-hz, a header naming the clock (the trace_clock file's line)
# still gives an x86-tsc clock, its frequency flagged as assumed.
{ echo "# trace_clock: local global counter [x86-tsc]"; cat "$TMP/g.txt"; } >"$TMP/gh.txt"
"$BIN/pmt-import" ftrace "$TMP/gh.txt" -o "$TMP/gh.pmt" 2>/dev/null
check "a '# trace_clock:' header naming x86-tsc gives an x86-tsc clock" grep -q 'x86-tsc' <<<"$("$BIN/pmt-analyze" info "$TMP/gh.pmt")"
"$BIN/pmt-import" ftrace "$TMP/g.txt" -o "$TMP/gx.pmt" --cpu-hz fast 2>/dev/null
check_eq "--cpu-hz that is not a frequency is a usage error" 2 $?

# Usage errors: exit 2.
"$M" "$TMP/h.pmt" "$TMP/g.pmt" 2>/dev/null; check_eq "no -o is a usage error" 2 $?
"$M" "$TMP/h.pmt" -o "$TMP/x.pmt" 2>/dev/null; check_eq "no guest is a usage error" 2 $?
"$M" "$TMP/h.pmt" "$TMP/g.pmt" -o "$TMP/x.pmt" --clock-offset g 2>/dev/null; check_eq "--clock-offset without =NS is a usage error" 2 $?
"$M" "$TMP/h.pmt" "$TMP/g.pmt" -o "$TMP/h.pmt" 2>/dev/null; check_eq "an output that is an input is a usage error" 2 $?
finish
