# tests/twolevel/: two-level reports against pmt-synth scenarios.
SCRIPT_TESTS += tests/twolevel/scenarios.sh
SCRIPT_TESTS += tests/twolevel/samples.sh
SCRIPT_TESTS += tests/twolevel/vmruns.sh
