#!/usr/bin/env bash
# run.sh ARGOFS [PATTERN] - the integration suite: every test_* function of
# every t_*.sh file here, each in its own subshell with a fresh emulator and
# a real mount. Prints one line per test and a closing "N passed, N failed".
# Exit 77 (skip) when FUSE cannot be used on this machine.
set -u
ARGOFS=$(realpath "${1:?usage: run.sh ARGOFS [PATTERN]}")
PATTERN=${2:-}
HERE=$(cd "$(dirname "$0")" && pwd)
export ARGOFS

if [ ! -c /dev/fuse ] || ! command -v fusermount3 >/dev/null; then
	echo "SKIP: /dev/fuse or fusermount3 missing: integration tests not run"
	exit 77
fi

passed=0 failed=0 skipped=0 failures=""
for file in "$HERE"/t_*.sh; do
	for test in $(grep -oE '^test_[a-z0-9_]+' "$file"); do
		case "$test" in *"$PATTERN"*) ;; *) continue ;; esac
		T=$(mktemp -d /tmp/argofs-it.XXXXXX)
		start=$EPOCHREALTIME
		(
			# shellcheck source=lib.sh
			source "$HERE/lib.sh"
			trap cleanup EXIT
			cd "$T" || exit 1
			# shellcheck disable=SC1090
			source "$file"
			"$test"
			umount_argofs
		) >"$T/test.log" 2>&1
		status=$?
		took=$(awk "BEGIN { printf \"%.1f\", $EPOCHREALTIME - $start }")
		if [ "$status" -eq 0 ]; then
			passed=$((passed + 1))
			echo "ok   $(basename "$file" .sh) $test (${took}s)"
			rm -rf "$T"
		elif [ "$status" -eq 77 ]; then
			skipped=$((skipped + 1))
			echo "skip $(basename "$file" .sh) $test: $(grep -m1 '^SKIP: ' "$T/test.log" | cut -c7-)"
			fusermount3 -u "$T/mnt" 2>/dev/null
			rm -rf "$T"
		else
			failed=$((failed + 1))
			failures="$failures $test"
			echo "FAIL $(basename "$file" .sh) $test (${took}s)"
			sed 's/^/    | /' "$T/test.log"
			for log in argofs.log emulator.log; do
				[ -s "$T/$log" ] && { echo "    -- $log (last lines)"; tail -n 25 "$T/$log" | sed 's/^/    | /'; }
			done
			fusermount3 -u "$T/mnt" 2>/dev/null
			rm -rf "$T"
		fi
	done
done
[ -n "$failures" ] && echo "failed:$failures"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
