#!/bin/bash
# bench/xen.sh - the real xentrace capture: pmt-import xentrace and
# pmt-analyze on its output against xenalyze --summary on the capture, side
# by side in one run (medians of N runs; ratios pmt / xenalyze). Not a test.
#   XENALYZE=/path/to/xenalyze  Xen's analyzer (tools/xentrace in Xen's
#                               source; not part of pmt). Without it only
#                               pmt's figures are printed.
#   N=15                        runs per command
#   PMT_SHARED=../shared        where data/xentrace/ is
set -u
O=${O:-build}
TOP=$(cd "$(dirname "$0")/.." && pwd)
BIN=$TOP/$O
SHARED=${PMT_SHARED:-$TOP/../shared}
CAP=$SHARED/data/xentrace/xen-4.x-credit2-8pcpu.xentrace
N=${N:-15}
XENALYZE=${XENALYZE:-$(command -v xenalyze || true)}
[ -r "$CAP" ] || { echo "bench-xen: the capture is absent ($CAP)"; exit 0; }
TMP=$(mktemp -d /tmp/pmt-bench-xen.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

calc() { awk "BEGIN {printf \"%.3f\", $1}"; }

# median wall time in ms of N runs of a command
median_ms() {
	local i t0 t1 ts=()
	for ((i = 0; i < N; i++)); do
		t0=$(date +%s%N)
		"$@" > /dev/null 2>&1
		t1=$(date +%s%N)
		ts+=($(((t1 - t0) / 1000)))
	done
	printf '%s\n' "${ts[@]}" | sort -n | awk '{a[NR] = $1} END {printf "%.2f", a[int((NR + 1) / 2)] / 1000}'
}

import() { "$BIN/pmt-import" xentrace "$CAP" -o "$TMP/cap.pmt"; }
import_affinity() { import && "$BIN/pmt-analyze" affinity "$TMP/cap.pmt"; }
size=$(stat -c %s "$CAP")
records=$("$BIN/pmt-import" xentrace "$CAP" -o "$TMP/cap.pmt" -v 2>&1 |
	sed -n 's/.* windows, .* pCPUs, \([0-9]*\) records .*/\1/p')

t_imp=$(median_ms import)
t_sum=$(median_ms "$BIN/pmt-analyze" summary "$TMP/cap.pmt")
t_aff=$(median_ms "$BIN/pmt-analyze" affinity "$TMP/cap.pmt")
t_both=$(median_ms import_affinity)
echo "capture: $size bytes, $records records, .pmt $(stat -c %s "$TMP/cap.pmt") bytes; median of $N runs"
printf '%-36s %9s ms  %8.1f MB/s  %6.2f Mrecords/s\n' "pmt-import xentrace" "$t_imp" \
	"$(calc "$size / $t_imp / 1000")" "$(calc "$records / $t_imp / 1000")"
printf '%-36s %9s ms\n' "pmt-analyze summary (on the .pmt)" "$t_sum" \
	"pmt-analyze affinity (on the .pmt)" "$t_aff" "import + affinity" "$t_both"
if [ -z "$XENALYZE" ] || [ ! -x "$XENALYZE" ]; then
	echo "xenalyze: not found (set XENALYZE=path to compare)"
	exit 0
fi
t_xa=$(median_ms "$XENALYZE" --summary "$CAP")
printf '%-36s %9s ms\n' "xenalyze --summary" "$t_xa"
printf 'ratio import / xenalyze            %9.2f\n' "$(calc "$t_imp / $t_xa")"
printf 'ratio import + affinity / xenalyze %9.2f\n' "$(calc "$t_both / $t_xa")"
printf 'ratio affinity / xenalyze          %9.2f\n' "$(calc "$t_aff / $t_xa")"
