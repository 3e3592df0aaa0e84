# tests/lib.sh - helpers for script tests. Source it, call ok/fail/skip per
# check, and finish at the end (prints the RESULT line and sets the status).
#   O        build directory (default build)
#   BIN      $O, where the tools are
#   TMP      a private temporary directory removed at exit
set -u
O=${O:-build}
BIN=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/$O
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SHARED=${PMT_SHARED:-$TOP/../shared}
_pass=0 _fail=0 _skip=0
TMP=$(mktemp -d /tmp/pmt-test.XXXXXX)
_cleanup_fns=()
at_exit() { _cleanup_fns+=("$1"); }
_run_cleanup() { local f; for f in "${_cleanup_fns[@]+"${_cleanup_fns[@]}"}"; do $f || true; done; rm -rf "$TMP"; }
trap _run_cleanup EXIT
ok()   { _pass=$((_pass + 1)); echo "ok: $*"; }
fail() { _fail=$((_fail + 1)); echo "FAIL: $*"; }
skip() { _skip=$((_skip + 1)); echo "skip: $*"; }
# check DESCRIPTION COMMAND...: ok when the command succeeds
check() { local d=$1; shift; if "$@"; then ok "$d"; else fail "$d"; fi; }
# check_eq DESCRIPTION EXPECTED ACTUAL
check_eq() { if [ "$2" == "$3" ]; then ok "$1"; else fail "$1: expected '$2', got '$3'"; fi; }
finish() {
	echo "RESULT: $_pass passed, $_fail failed, $_skip skipped"
	[ "$_fail" -eq 0 ]
	exit $?
}
# tracefs available (root, mountable)? Sets TRACEFS.
have_tracefs() {
	TRACEFS=/sys/kernel/tracing
	[ "$(id -u)" -eq 0 ] || return 1
	[ -e $TRACEFS/instances ] || mount -t tracefs nodev $TRACEFS 2>/dev/null || return 1
	[ -e $TRACEFS/instances ]
}
