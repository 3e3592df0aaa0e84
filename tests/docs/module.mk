# tests/docs: the man pages (docs/man/*.1) against the tools' --help, and the
# command-line conventions of every tool (exit statuses, one-line errors).
SCRIPT_TESTS += tests/docs/man.sh tests/docs/cli.sh
