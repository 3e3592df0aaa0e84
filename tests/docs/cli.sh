#!/bin/bash
# tests/docs/cli.sh - the command-line conventions of every tool and
# subcommand (README.md, "Manual pages and command-line conventions"):
#   --help exits 0 with the usage on stdout;
#   an unknown option or subcommand, a missing value or argument: exit 2 and
#   one line on stderr;
#   a missing file, a file of another kind, an empty file and a truncated
#   file: exit 1 and one line naming the file, damage as
#   'FILE: offset N: what was expected' (scripts: 'FILE:LINE: what');
#   nothing crashes (under make check the tools carry ASan and UBSan, whose
#   reports would add lines and change the exit status).
source "$(dirname "$0")/../lib.sh"
S=$TOP/sample-traces
A=$BIN/pmt-analyze
for t in pmt-record pmt-import pmt-merge pmt-analyze pmt-plot pmt-synth; do
	[ -x "$BIN/$t" ] || { fail "$t not built"; finish; }
done

# ---------------------------------------------------------------- inputs
# A two-level trace (every report applies), a host recording with --vm and
# a one-machine guest recording that pmt-merge joins.
"$BIN/pmt-synth" "$S/gang.synth" -o "$TMP/two.pmt" || fail "pmt-synth gang"
"$BIN/pmt-synth" --host-only "$S/gang.synth" -o "$TMP/host.pmt" || fail "pmt-synth --host-only"
printf 'span 44ms\nhost 2\ntask host 7 7 w\nrun host 0 0 5ms 7\nrun host 1 5ms 9ms 7\n' |
	"$BIN/pmt-synth" - -o "$TMP/guest.pmt" || fail "pmt-synth guest"
"$BIN/pmt-merge" -q "$TMP/host.pmt" "$TMP/guest.pmt=vm" --clock-offset vm=0 -o "$TMP/m.pmt"
check_eq "the inputs merge (so the cases below fail for their own reason)" 0 $?

# Bad .pmt files. The truncated ones: one cut in the index (a small file),
# one in the middle of a chunk (a large two-level recording).
MISSING=$TMP/missing.pmt
TEXT=$TMP/text.pmt; printf 'root:x:0:0:root:/root:/bin/bash\nnot a trace\n' >"$TEXT"
EMPTY=$TMP/empty.pmt; : >"$EMPTY"
CUTIDX=$TMP/cut-index.pmt; head -c $(($(stat -c %s "$TMP/two.pmt") - 100)) "$TMP/two.pmt" >"$CUTIDX"
CUTCHK=$TMP/cut-chunk.pmt; head -c $(($(stat -c %s "$S/vm-tcg-free.pmt") / 2)) "$S/vm-tcg-free.pmt" >"$CUTCHK"
# A directory where a file is expected (a classic way to read garbage or to
# report a stale errno).
DIR=$TMP/dir.pmt; mkdir "$DIR"
# The same damage in a host file for pmt-merge (guest files are one machine).
HCUT=$TMP/host-cut.pmt; head -c $(($(stat -c %s "$TMP/host.pmt") - 100)) "$TMP/host.pmt" >"$HCUT"
GCUT=$TMP/guest-cut.pmt; head -c $(($(stat -c %s "$TMP/guest.pmt") - 100)) "$TMP/guest.pmt" >"$GCUT"

# --------------------------------------------------------------- helpers
# The outcome of a command: RC, OUT (stdout) and ERR (stderr) in files.
run() { "$@" >"$TMP/out" 2>"$TMP/err"; RC=$?; }
nlines() { wc -l <"$1"; }

# help_case NAME CMD...: exit 0, the usage on stdout, nothing on stderr.
help_case() {
	local name=$1; shift
	run "$@"
	local why=
	[ $RC -eq 0 ] || why="exit $RC"
	head -n1 "$TMP/out" | grep -q '^usage: pmt-' || why="$why; stdout does not start with 'usage: pmt-'"
	[ -s "$TMP/err" ] && why="$why; stderr: $(head -c 200 "$TMP/err")"
	[ -z "$why" ] && ok "$name: --help" || fail "$name: --help: $why"
}

# usage_case NAME CMD...: exit 2, nothing on stdout, one line on stderr:
# "TOOL: reason (see 'TOOL --help')" (TOOL: "pmt-analyze CMD" for a command).
usage_case() {
	local name=$1; shift
	run "$@"
	local why=
	[ $RC -eq 2 ] || why="exit $RC"
	[ -s "$TMP/out" ] && why="$why; output on stdout"
	[ "$(nlines "$TMP/err")" -eq 1 ] || why="$why; $(nlines "$TMP/err") lines on stderr"
	grep -qE "^(pmt-[a-z]+( [a-z]+)?): .* \(see '\1 --help'\)\$" "$TMP/err" ||
		why="$why; not 'TOOL: reason (see 'TOOL --help')'"
	[ -z "$why" ] && ok "$name" || fail "$name: $why: $(head -c 300 "$TMP/err")"
}

# file_case NAME KIND FILE CMD...: exit 1 and one line on stderr naming FILE:
#   missing  "TOOL: ... 'FILE': No such file or directory"
#   named    "TOOL: ... 'FILE' ..."
#   under    "TOOL: ... 'FILE/...' ..." (a path below FILE)
#   damage   "FILE: offset N: ... expected ..."
#   offset   "FILE: offset N: ..."
#   line     "FILE:LINE: ..."
# STDOUT_TOO=1: the line may be on stdout (pmt-analyze check's report).
file_case() {
	local name=$1 kind=$2 f=$3; shift 3
	run "$@"
	[ -n "${STDOUT_TOO:-}" ] && cat "$TMP/out" >>"$TMP/err"
	local why= line pat
	[ $RC -eq 1 ] || why="exit $RC"
	[ "$(nlines "$TMP/err")" -eq 1 ] || why="$why; $(nlines "$TMP/err") lines"
	line=$(head -n1 "$TMP/err")
	case $kind in
	missing) pat="^pmt-[a-z]+( [a-z]+)?: .*'$f'.*: No such file or directory" ;;
	named) pat="^pmt-[a-z]+( [a-z]+)?: .*'$f'" ;;
	under) pat="^pmt-[a-z]+( [a-z]+)?: .*'$f/" ;;
	damage) pat="^$f: offset [0-9]+: .*expected" ;;
	offset) pat="^$f: offset [0-9]+: " ;;
	line) pat="^$f:[0-9]+: " ;;
	esac
	grep -qE "$pat" <<<"$line" || why="$why; not the $kind form"
	[ -z "$why" ] && ok "$name" || fail "$name: $why: $(head -c 400 "$TMP/err")"
}

# Every bad .pmt file given as FILE in "CMD... FILE ARGS...": $1 is a label,
# the command is the rest with the word @ standing for the file.
pmt_cases() {
	local name=$1; shift
	local f kind
	for f in "$MISSING" "$TEXT" "$EMPTY" "$CUTIDX" "$CUTCHK" "$DIR"; do
		kind=damage; [ "$f" = "$MISSING" ] && kind=missing; [ "$f" = "$DIR" ] && kind=named
		file_case "$name: $(basename "$f")" $kind "$f" "${@/#@/$f}"
	done
}

# ------------------------------------------------------------- pmt-analyze
cmds=$("$A" --help | awk '/^commands:/ { s = 1; next } s && /^$/ { s = 0 } s && /^  [a-z]/ { print $1 }')
check "pmt-analyze --help lists at least 12 commands" test "$(wc -w <<<"$cmds")" -ge 12
help_case "pmt-analyze" "$A" --help
usage_case "pmt-analyze without arguments" "$A"
usage_case "pmt-analyze: an unknown command" "$A" nosuch "$TMP/two.pmt"
usage_case "pmt-analyze: an unknown option" "$A" --no-such-option
mkdir -p "$TMP/x"
for c in $cmds; do
	extra=()
	[ "$c" = export ] && extra=(--to csv "$TMP/x")
	help_case "pmt-analyze $c" "$A" "$c" --help
	usage_case "pmt-analyze $c: an unknown option" "$A" "$c" "$TMP/two.pmt" "${extra[@]}" --no-such-option
	usage_case "pmt-analyze $c: an unknown short option" "$A" "$c" "$TMP/two.pmt" "${extra[@]}" -Z
	usage_case "pmt-analyze $c: an option without its value" "$A" "$c" "$TMP/two.pmt" "${extra[@]}" --format
	usage_case "pmt-analyze $c: no file" "$A" "$c" "${extra[@]:0:2}"
	usage_case "pmt-analyze $c: three files" "$A" "$c" "$TMP/two.pmt" "$TMP/two.pmt" "$TMP/two.pmt" "${extra[@]}"
	if [ "$c" = diff ]; then
		usage_case "pmt-analyze diff: one file" "$A" diff "$TMP/two.pmt"
		pmt_cases "pmt-analyze diff A BAD" "$A" diff "$TMP/two.pmt" @
		pmt_cases "pmt-analyze diff BAD B" "$A" diff @ "$TMP/two.pmt"
	elif [ "$c" = check ]; then
		STDOUT_TOO=1 pmt_cases "pmt-analyze check" "$A" check @
	else
		pmt_cases "pmt-analyze $c" "$A" "$c" @ "${extra[@]}"
	fi
done
pmt_cases "pmt-analyze FILE (the summary)" "$A" @

# Flipped bytes all over a small two-level trace: every command gives an
# answer (0, or 1 with the damage named), never a crash or a usage error.
size=$(stat -c %s "$TMP/two.pmt") bad=0 runs=0
for ((off = 0; off < size; off += 97)); do
	cp "$TMP/two.pmt" "$TMP/flip.pmt"
	printf '\xa5\x5a' | dd of="$TMP/flip.pmt" bs=1 seek=$off conv=notrunc status=none
	for c in $cmds; do
		args=("$c" "$TMP/flip.pmt")
		[ "$c" = export ] && args+=(--to csv "$TMP/x")
		[ "$c" = diff ] && args+=("$TMP/two.pmt")
		for tol in "" --tolerant; do
			run "$A" "${args[@]}" $tol
			runs=$((runs + 1))
			if [ $RC -gt 1 ] || { [ $RC -eq 1 ] && ! grep -q "flip.pmt" "$TMP/err" "$TMP/out"; }; then
				bad=$((bad + 1)); echo "offset $off: $c $tol: exit $RC: $(head -c 300 "$TMP/err")"
			fi
		done
	done
done
check_eq "pmt-analyze: $runs runs on flipped bytes: no crash, exit 1 names the file" 0 "$bad"

# --------------------------------------------------------------- pmt-merge
M=$BIN/pmt-merge
help_case "pmt-merge" "$M" --help
usage_case "pmt-merge without arguments" "$M"
usage_case "pmt-merge: an unknown option" "$M" "$TMP/host.pmt" "$TMP/guest.pmt=vm" -o "$TMP/o.pmt" --no-such-option
usage_case "pmt-merge: an unknown short option" "$M" -Z "$TMP/host.pmt" "$TMP/guest.pmt=vm" -o "$TMP/o.pmt"
usage_case "pmt-merge: an option without its value" "$M" "$TMP/host.pmt" "$TMP/guest.pmt=vm" -o
usage_case "pmt-merge: no guest" "$M" "$TMP/host.pmt" -o "$TMP/o.pmt"
for f in "$MISSING" "$TEXT" "$EMPTY" "$HCUT" "$DIR"; do
	kind=damage; [ "$f" = "$MISSING" ] && kind=missing; [ "$f" = "$DIR" ] && kind=named
	file_case "pmt-merge: host $(basename "$f")" $kind "$f" "$M" "$f" "$TMP/guest.pmt=vm" --clock-offset vm=0 -o "$TMP/o.pmt"
done
for f in "$MISSING" "$TEXT" "$EMPTY" "$GCUT" "$DIR"; do
	kind=damage; [ "$f" = "$MISSING" ] && kind=missing; [ "$f" = "$DIR" ] && kind=named
	file_case "pmt-merge: guest $(basename "$f")" $kind "$f" "$M" "$TMP/host.pmt" "$f=vm" --clock-offset vm=0 -o "$TMP/o.pmt"
done
check "pmt-merge: nothing written after the errors" test ! -e "$TMP/o.pmt"
run "$M" -q --tolerant "$TMP/host.pmt" "$GCUT=vm" --clock-offset vm=0 -o "$TMP/tol.pmt"
check_eq "pmt-merge --tolerant: a truncated guest is merged (exit 0), its damage named" \
	"0 1" "$RC $(grep -c "^$GCUT: offset [0-9]*: " "$TMP/err")"
"$A" check "$TMP/tol.pmt" >/dev/null 2>&1
check_eq "pmt-merge --tolerant: the output is whole" 0 $?
# Flipped bytes in the host and in the guest file: merged (0) or refused (1,
# naming the file), never a crash.
bad=0 runs=0
for f in host guest; do
	size=$(stat -c %s "$TMP/$f.pmt")
	for ((off = 0; off < size; off += 61)); do
		cp "$TMP/host.pmt" "$TMP/fh.pmt"; cp "$TMP/guest.pmt" "$TMP/fg.pmt"
		printf '\xa5\x5a' | dd of="$TMP/f${f:0:1}.pmt" bs=1 seek=$off conv=notrunc status=none
		run "$M" -q "$TMP/fh.pmt" "$TMP/fg.pmt=vm" --clock-offset vm=0 -o "$TMP/fm.pmt"
		runs=$((runs + 1))
		if [ $RC -gt 1 ] || { [ $RC -eq 1 ] && ! grep -q "f[hg].pmt" "$TMP/err"; }; then
			bad=$((bad + 1)); echo "$f offset $off: exit $RC: $(head -c 300 "$TMP/err")"
		fi
	done
done
check_eq "pmt-merge: $runs runs on flipped bytes: no crash, exit 1 names the file" 0 "$bad"

# ---------------------------------------------------------------- pmt-plot
P=$BIN/pmt-plot
help_case "pmt-plot" "$P" --help
usage_case "pmt-plot without arguments" "$P"
usage_case "pmt-plot: an unknown figure" "$P" nosuch "$TMP/two.pmt" -o "$TMP/p.svg"
usage_case "pmt-plot: an unknown option" "$P" timeline "$TMP/two.pmt" -o "$TMP/p.svg" --no-such-option
usage_case "pmt-plot: an unknown short option" "$P" timeline "$TMP/two.pmt" -o "$TMP/p.svg" -Z
usage_case "pmt-plot: an option without its value" "$P" timeline "$TMP/two.pmt" -o
usage_case "pmt-plot: two traces for a figure of one" "$P" timeline "$TMP/two.pmt" "$TMP/two.pmt" -o "$TMP/p.svg"
usage_case "pmt-plot: one trace for compare" "$P" compare "$TMP/two.pmt" -o "$TMP/p.svg"
usage_case "pmt-plot: two traces for all" "$P" all "$TMP/two.pmt" "$TMP/two.pmt" -o "$TMP/pd"
if command -v "${PMT_GNUPLOT:-gnuplot}" >/dev/null; then
	pmt_cases "pmt-plot timeline" "$P" timeline @ -o "$TMP/p.svg"
	pmt_cases "pmt-plot all" "$P" all @ -o "$TMP/pd"
	check "pmt-plot: nothing written after the errors" test ! -e "$TMP/p.svg" -a -z "$(ls -A "$TMP/pd" 2>/dev/null)"
else
	skip "gnuplot missing: pmt-plot's file errors (make deps installs gnuplot-nox)"
fi

# -------------------------------------------------------------- pmt-import
I=$BIN/pmt-import
help_case "pmt-import" "$I" --help
usage_case "pmt-import without arguments" "$I"
usage_case "pmt-import: an unknown format" "$I" nosuch "$TMP/two.pmt"
usage_case "pmt-import: an unknown option" "$I" ftrace "$TMP/two.pmt" --no-such-option
usage_case "pmt-import: an option without its value" "$I" ftrace "$TMP/two.pmt" -o
usage_case "pmt-import: an option of another format" "$I" ftrace "$TMP/two.pmt" --tolerant
usage_case "pmt-import: --cpu-hz for a format without cycles" "$I" trace.dat "$TMP/two.pmt" --cpu-hz 2e9
usage_case "pmt-import: two files" "$I" ftrace "$TMP/two.pmt" "$TMP/two.pmt"
FT=$TMP/t.txt
printf '%s\n' '# tracer: nop' \
	'            bash-1234    [000] d..2.  100.000100: sched_switch: prev_comm=bash prev_pid=1234 prev_prio=120 prev_state=S ==> next_comm=w next_pid=1300 next_prio=120' \
	'               w-1300    [000] d..2.  100.000200: sched_migrate_task: comm=w pid=1300 prio=120 orig_cpu=0 dest_cpu=1' >"$FT"
run "$I" ftrace "$FT" -o "$TMP/ft.pmt"
check_eq "pmt-import ftrace: the sample text imports" 0 $RC
XT=$TOP/tests/xen/corpus/two-pcpus-guest.xt
XCUT=$TMP/cut.xt; head -c $(($(stat -c %s "$XT") / 2)) "$XT" >"$XCUT"
XSHORT=$TMP/short.xt; head -c 7 "$XT" >"$XSHORT"
for fmt in ftrace trace.dat xentrace; do
	file_case "pmt-import $fmt: a missing file" missing "$MISSING" "$I" $fmt "$MISSING" -o "$TMP/i.pmt"
done
file_case "pmt-import ftrace: a .pmt file" named "$TMP/two.pmt" "$I" ftrace "$TMP/two.pmt" -o "$TMP/i.pmt"
file_case "pmt-import ftrace: an empty file" named "$EMPTY" "$I" ftrace "$EMPTY" -o "$TMP/i.pmt"
file_case "pmt-import trace.dat: a text file" named "$TEXT" "$I" trace.dat "$TEXT" -o "$TMP/i.pmt"
file_case "pmt-import trace.dat: an empty file" named "$EMPTY" "$I" trace.dat "$EMPTY" -o "$TMP/i.pmt"
for fmt in ftrace trace.dat xentrace; do
	file_case "pmt-import $fmt: a directory" named "$DIR" "$I" $fmt "$DIR" -o "$TMP/i.pmt"
done
file_case "pmt-import xentrace: a text file" offset "$TEXT" "$I" xentrace "$TEXT" -o "$TMP/i.pmt"
file_case "pmt-import xentrace: an empty file" offset "$EMPTY" "$I" xentrace "$EMPTY" -o "$TMP/i.pmt"
file_case "pmt-import xentrace: a truncated file" offset "$XCUT" "$I" xentrace "$XCUT" -o "$TMP/i.pmt"
file_case "pmt-import xentrace: a file shorter than a record" offset "$XSHORT" "$I" xentrace "$XSHORT" -o "$TMP/i.pmt"
check "pmt-import: nothing written after the errors" test ! -e "$TMP/i.pmt"
# Text cut in the middle of a line is a shorter trace with a skipped record:
# an answer, not a crash.
head -c 150 "$FT" >"$TMP/cut.txt"
run "$I" ftrace "$TMP/cut.txt" -o "$TMP/cut-ft.pmt"
check "pmt-import ftrace: text cut mid-line: exit 0 or 1, one line" test $RC -le 1 -a "$(nlines "$TMP/err")" -eq 1

# --------------------------------------------------------------- pmt-synth
Y=$BIN/pmt-synth
help_case "pmt-synth" "$Y" --help
usage_case "pmt-synth without arguments" "$Y"
usage_case "pmt-synth: an unknown option" "$Y" "$S/gang.synth" -o "$TMP/y.pmt" --no-such-option
usage_case "pmt-synth: an option without its value" "$Y" "$S/gang.synth" -o
usage_case "pmt-synth: no output" "$Y" "$S/gang.synth"
usage_case "pmt-synth: two scripts" "$Y" "$S/gang.synth" "$S/free.synth" -o "$TMP/y.pmt"
file_case "pmt-synth: a missing script" missing "$MISSING" "$Y" "$MISSING" -o "$TMP/y.pmt"
file_case "pmt-synth: a .pmt file" line "$TMP/two.pmt" "$Y" "$TMP/two.pmt" -o "$TMP/y.pmt"
file_case "pmt-synth: an empty script" line "$EMPTY" "$Y" "$EMPTY" -o "$TMP/y.pmt"
file_case "pmt-synth: a directory" named "$DIR" "$Y" "$DIR" -o "$TMP/y.pmt"
head -c 60 "$S/lockholder.synth" >"$TMP/cut.synth"
file_case "pmt-synth: a truncated script" line "$TMP/cut.synth" "$Y" "$TMP/cut.synth" -o "$TMP/y.pmt"
check "pmt-synth: nothing written after the errors" test ! -e "$TMP/y.pmt"

# -------------------------------------------------------- unwritable output
# Exit 1, one line naming the path (a directory that does not exist).
NO=$TMP/no/dir
for args in "pmt-analyze info @TWO -o $NO/o.txt" "pmt-analyze export @TWO --to csv $NO/csv" \
	"pmt-analyze export @TWO --to perfetto $NO/p.txt" "pmt-synth $S/gang.synth -o $NO/s.pmt" \
	"pmt-import ftrace $FT -o $NO/i.pmt" "pmt-import xentrace $XT -o $NO/i.pmt" \
	"pmt-merge $TMP/host.pmt $TMP/guest.pmt=vm --clock-offset vm=0 -o $NO/m.pmt"; do
	read -ra argv <<<"${args//@TWO/$TMP/two.pmt}"
	label=${argv[0]}; [[ ${argv[1]} == */* ]] || label+=" ${argv[1]}"
	[[ $args == *perfetto* ]] && label+=" perfetto"
	file_case "$label: an output that cannot be written" under "$NO" "$BIN/${argv[0]}" "${argv[@]:1}"
done
if command -v "${PMT_GNUPLOT:-gnuplot}" >/dev/null; then
	file_case "pmt-plot timeline: an output that cannot be written (its directory named)" named "$NO" "$P" timeline "$TMP/two.pmt" -o "$NO/p.svg"
	file_case "pmt-plot all: an output that cannot be written" under "$NO" "$P" all "$TMP/two.pmt" -o "$NO/pd"
fi
check "nothing was created in place of the missing directory" test ! -e "$TMP/no"

# -------------------------------------------------------------- pmt-record
# Only what fails before any tracing starts (no tracefs is touched).
R=$BIN/pmt-record
help_case "pmt-record" "$R" --help
usage_case "pmt-record: an unknown option" "$R" --no-such-option
usage_case "pmt-record: an unknown short option" "$R" -Z
usage_case "pmt-record: an option without its value" "$R" --cpus
usage_case "pmt-record: a bad value" "$R" --duration soon
if [ "$(id -u)" -eq 0 ]; then
	file_case "pmt-record: an output that cannot be written" named "$NO/r.pmt" "$R" -o "$NO/r.pmt" -d 1
	file_case "pmt-record: a command that does not exist" named "$TMP/no-such-command" "$R" -o "$TMP/r.pmt" -- "$TMP/no-such-command"
else
	skip "not root: pmt-record stops at 'needs root' before its file checks"
fi
finish
