#!/bin/bash
# tests/docs/man.sh - the man pages (docs/man/*.1): each renders with groff and
# man -l without a warning, has the sections a page needs, and documents
# exactly the long options its tool's --help lists (the option lines of the
# help, and the .TP items of the page), so neither can drift silently. The
# lists of commands (pmt-analyze), figures (pmt-plot) and formats
# (pmt-import) are compared the same way.
source "$(dirname "$0")/../lib.sh"
MAN=$TOP/docs/man
TOOLS="pmt-record pmt-import pmt-merge pmt-analyze pmt-plot pmt-synth"
export LC_ALL=C.UTF-8 MANWIDTH=80

command -v groff >/dev/null || { skip "groff missing (make deps installs groff-base)"; finish; }

# Long options on the option lines of a help text: "  -o, --output X" or
# "  --cpus LIST"; the first one of each line.
help_opts() {
	awk '/^[ \t]*(-[A-Za-z], *)?--[a-z]/ { if (match($0, /--[a-z][a-z0-9-]*/)) print substr($0, RSTART, RLENGTH) }' | sort -u
}
# Long options a page documents: the first one in the tag line of each .TP.
man_opts() {
	awk '/^\.TP/ { if ((getline t) > 0) { gsub(/\\-/, "-", t); gsub(/\\f[BIRP]/, "", t);
		if (match(t, /--[a-z][a-z0-9-]*/)) print substr(t, RSTART, RLENGTH) } }' "$1" | sort -u
}
# Names listed in section HEADER of a help text ("  name   what" lines
# until a blank line).
help_names() {
	awk -v h="$1" '$0 == h { s = 1; next } s && /^$/ { s = 0 } s && /^  [a-z]/ { print $1 }' | sort -u
}
# Names in the .TP tags ".B name" of section SECTION of a page.
man_names() {
	awk -v sec="$2" '/^\.SH / { s = ($2 == sec); next }
		s && /^\.TP/ { if ((getline t) > 0 && t ~ /^\.B [a-z.]+$/) print $0 = substr(t, 4) }' "$1" | sort -u
}
# compare WHAT FROM-HELP FROM-PAGE
compare() {
	local missing extra
	missing=$(comm -23 <(echo "$2") <(echo "$3") | tr '\n' ' ')
	extra=$(comm -13 <(echo "$2") <(echo "$3") | tr '\n' ' ')
	check_eq "$1: every one --help lists is in the page" "" "$missing"
	check_eq "$1: every one the page documents is in --help" "" "$extra"
}

for t in $TOOLS; do
	page=$MAN/$t.1
	[ -f "$page" ] || { fail "$t: no page $page"; continue; }
	[ -x "$BIN/$t" ] || { fail "$t: not built"; continue; }
	warn=$(groff -ww -z -man -Tutf8 "$page" 2>&1)
	check_eq "$t.1: groff renders it without a warning" "" "$warn"
	if command -v man >/dev/null; then
		man --warnings -l -Tutf8 "$page" >"$TMP/page" 2>"$TMP/err"; rc=$?
		check_eq "$t.1: man -l renders it without a warning" "0 " "$rc $(cat "$TMP/err")"
	else
		groff -man -Tutf8 "$page" >"$TMP/page" 2>/dev/null
		skip "$t.1: man missing (make deps installs man-db): rendered with groff only"
	fi
	out=$(col -bx <"$TMP/page")
	opts=OPTIONS
	[ "$t" = pmt-analyze ] && opts="COMMANDS|COMMON OPTIONS"
	for s in NAME SYNOPSIS DESCRIPTION "$opts" "EXIT STATUS" EXAMPLES "SEE ALSO"; do
		grep -Eq "^($s)\$" <<<"$out" || fail "$t.1: no $s section"
	done
	check "$t.1: the NAME line is '$t - ...'" grep -Eq "^ *$t +- " <<<"$out"
	check "$t.1: the exit statuses 0, 1 and 2 are described" \
		test "$(awk '/^EXIT STATUS/{s=1;next} /^[A-Z]/{s=0} s && /^ +[012]( |$)/' <<<"$out" | wc -l)" -eq 3

	help=$("$BIN/$t" --help); rc=$?
	check_eq "$t --help exits 0" 0 $rc
	if [ "$t" = pmt-analyze ]; then
		cmds=$(help_names "commands:" <<<"$help")
		check "pmt-analyze --help lists its commands" test "$(wc -w <<<"$cmds")" -ge 10
		compare "pmt-analyze commands" "$cmds" "$(man_names "$page" COMMANDS)"
		for c in $cmds; do help+=$'\n'$("$BIN/$t" "$c" --help); done
	fi
	[ "$t" = pmt-plot ] && compare "pmt-plot figures" "$(help_names "Figures:" <<<"$help")" "$(man_names "$page" FIGURES)"
	[ "$t" = pmt-import ] && compare "pmt-import formats" "$(help_names "Formats:" <<<"$help")" "$(man_names "$page" FORMATS)"
	ho=$(help_opts <<<"$help")
	check "$t: --help lists long options" test "$(wc -w <<<"$ho")" -ge 3
	compare "$t options" "$ho" "$(man_opts "$page")"
done
# No page for a tool that does not exist.
for page in "$MAN"/*.1; do
	t=$(basename "$page" .1)
	check "$t.1 is the page of a built tool" test -x "$BIN/$t"
done
finish
