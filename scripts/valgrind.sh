#!/bin/sh
# valgrind.sh [PATTERN] - the integration suite (or its tests whose name
# contains PATTERN) with argofs under valgrind's memcheck: a build without
# sanitizers in build-valgrind, run through scripts/valgrind-argofs. A memory
# error or a definite/indirect leak fails the test whose daemon had it (its
# exit status); at the end every valgrind report with an error is printed,
# also those of daemons whose exit status no test sees (mount(8), background
# mode). Ends with "N passed, N failed, N skipped" and the time it took; see
# README.md for how long that is.
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh

if [ -f build-valgrind/build.ninja ]; then
	meson setup --reconfigure build-valgrind --buildtype=debug -Db_sanitize=none >/dev/null
else
	meson setup build-valgrind --buildtype=debug -Db_sanitize=none >/dev/null
fi
meson compile -C build-valgrind argofs:executable

ARGOFS_VALGRIND_LOGS=$(pwd)/build-valgrind/valgrind-logs
rm -rf "$ARGOFS_VALGRIND_LOGS"
mkdir -p "$ARGOFS_VALGRIND_LOGS"
# valgrind runs argofs some 20 times slower: stretch the tests' waits
ARGOFS_TIME_FACTOR=${ARGOFS_TIME_FACTOR:-5}
export ARGOFS_VALGRIND_LOGS ARGOFS_TIME_FACTOR

start=$(date +%s)
results=$ARGOFS_VALGRIND_LOGS/results
# one test at a time (run.sh runs the tests whose name contains its pattern)
grep -oE '^test_[a-z0-9_]+' tests/integration/t_*.sh | while IFS=: read -r _ test; do
	case "$test" in *"${1:-}"*) ;; *) continue ;; esac
	tests/integration/run.sh scripts/valgrind-argofs "$test" |
		grep -vE '^(failed:|[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$)' || true
done | tee "$results"

reports=0 bad=0
for log in "$ARGOFS_VALGRIND_LOGS"/*.log; do
	[ -e "$log" ] || continue
	reports=$((reports + 1))
	if grep -q "ERROR SUMMARY:" "$log" && ! grep -q "ERROR SUMMARY: 0 errors" "$log"; then
		bad=$((bad + 1))
		echo "== valgrind errors in $(basename "$log"):"
		sed 's/^/    | /' "$log"
	fi
done
failed=$(grep -c '^FAIL ' "$results" || true)
echo "valgrind: $reports processes, $bad with errors; $(($(date +%s) - start)) s"
echo "$(grep -c '^ok ' "$results" || true) passed, $failed failed, $(grep -c '^skip ' "$results" || true) skipped"
[ "$failed" -eq 0 ] && [ "$bad" -eq 0 ]
