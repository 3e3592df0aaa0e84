#!/bin/bash
# tests/demo.sh - what `make demo` runs after `make all`: record a few seconds
# of the built-in concurrent workload (tests/workloads/pmt-demo-work: worker
# threads passing items through pipes and meeting at a condvar barrier, so
# they keep moving between CPUs) into demo-out/trace.pmt, then print what
# pmt-analyze reports on it. Steps are appended at the end of this file.
set -u
O=${O:-build}
TOP=$(cd "$(dirname "$0")/.." && pwd)
BIN=$TOP/$O
OUT=${DEMO_OUT:-$TOP/demo-out}
SECONDS_TO_RECORD=${DEMO_SECONDS:-3}

if [ "$(id -u)" -ne 0 ]; then
	echo "make demo: recording kernel events needs root: run it as root (sudo make demo)" >&2
	exit 1
fi
mkdir -p "$OUT"
TRACE=$OUT/trace.pmt

echo "== recording ${SECONDS_TO_RECORD} s of pmt-demo-work (4 threads) into $TRACE"
"$BIN/pmt-record" -o "$TRACE" -- "$BIN/tests/workloads/pmt-demo-work" "$SECONDS_TO_RECORD" 4 || exit 1

# Every report pmt-analyze offers among these, in this order.
cmds=$("$BIN/pmt-analyze" --help 2>&1 | awk '/^commands:/ {on = 1; next} on && NF {print $1}')
shown=0
for sub in info summary migrations affinity; do
	if grep -qx "$sub" <<<"$cmds"; then
		echo
		case $sub in
		migrations | affinity) # the workload's threads only: the machine's other tasks are in the trace too
			echo "== pmt-analyze $sub $TRACE --comm 'demo-stage*'"
			"$BIN/pmt-analyze" "$sub" "$TRACE" --comm 'demo-stage*' | head -n 40 ;;
		*)
			echo "== pmt-analyze $sub $TRACE"
			"$BIN/pmt-analyze" "$sub" "$TRACE" ;;
		esac
		shown=$((shown + 1))
	fi
done
[ "$shown" -gt 0 ] || echo "(pmt-analyze offers no report yet: the trace is in $TRACE)"

# Figures of the recording (pmt-plot; PDF for papers, PNG to look at).
echo
echo "== pmt-plot all $TRACE -o $OUT/figures"
"$BIN/pmt-plot" all "$TRACE" -o "$OUT/figures" --format pdf,png ||
	echo "(pmt-plot: some figures could not be drawn, see above)"
