#!/bin/sh
# The whole test suite, as README.md gives it and .ci/run runs it:
#  1. gcc with AddressSanitizer + UndefinedBehaviorSanitizer: unit tests
#     (cmocka), the emulator's own tests and its conformance check, and the
#     integration tests that mount argofs against the emulator;
#  2. clang: a -Werror build and the unit tests.
# Installs missing Debian packages first. Ends with "N passed, N failed".
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=23"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:exitcode=24"

setup() { # DIR [meson options]
	dir=$1
	shift
	if [ -f "$dir/build.ninja" ]; then
		meson setup --reconfigure "$dir" "$@" >/dev/null
	else
		meson setup "$dir" "$@" >/dev/null
	fi
}

status=0
setup build-test -Db_sanitize=address,undefined
meson compile -C build-test
meson test -C build-test --print-errorlogs --num-processes 2 || status=$?

CC=clang setup build-clang -Db_sanitize=address,undefined -Db_lundef=false
meson compile -C build-clang
meson test -C build-clang --suite unit --print-errorlogs --num-processes 2 || status=$?

python3 - build-test build-clang <<'PY'
import json, sys
counts = {"passed": 0, "failed": 0, "skipped": 0}
for build in sys.argv[1:]:
    with open(build + "/meson-logs/testlog.json") as f:
        for line in f:
            result = json.loads(line)["result"]
            key = {"OK": "passed", "EXPECTEDFAIL": "passed", "SKIP": "skipped"}.get(result, "failed")
            counts[key] += 1
print("%(passed)d passed, %(failed)d failed, %(skipped)d skipped" % counts)
PY
exit $status
