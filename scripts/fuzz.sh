#!/bin/sh
# fuzz.sh [SECONDS] [TARGET...] - run the libFuzzer targets of tests/fuzz.
#
# Builds them with clang, ASan and UBSan in build-fuzz/ (meson -Dfuzz=true)
# and runs each TARGET (default: all, as named by tests/fuzz/fuzz_*.c) for
# SECONDS (default 60), one after the other. A target starts from its seeds
# (tests/data/fuzz/seeds/TARGET, plus the YAML cases and examples for the
# YAML targets), its regression inputs, and what it found in earlier runs
# (build-fuzz/corpus/TARGET, kept). libFuzzer runs in fork mode and goes on
# after a crash; every crashing input is saved in build-fuzz/crashes/TARGET/.
# A crash becomes a regression case: see tests/data/fuzz/README.md.
#
# Prints one line per target (executions, corpus, crashes) and exits 1 when
# any target crashed or timed out. FUZZ_BUILD overrides the build directory.
set -eu
cd "$(dirname "$0")/.."
seconds=${1:-60}
[ $# -gt 0 ] && shift
build=${FUZZ_BUILD:-build-fuzz}
case $seconds in '' | *[!0-9]*) echo "usage: scripts/fuzz.sh [SECONDS] [TARGET...]" >&2; exit 2 ;; esac

if [ -f "$build/build.ninja" ]; then
	meson setup --reconfigure "$build" -Dfuzz=true >/dev/null
else
	CC=clang meson setup "$build" -Dfuzz=true -Db_sanitize=address,undefined \
		-Db_lundef=false >/dev/null
fi
meson compile -C "$build" >/dev/null

targets=$*
if [ -z "$targets" ]; then
	for source in tests/fuzz/fuzz_*.c; do
		source=${source##*/fuzz_}
		targets="$targets ${source%.c}"
	done
fi
export ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
status=0
for t in $targets; do
	exe="$build/tests/fuzz/fuzz_$t"
	[ -x "$exe" ] || { echo "fuzz.sh: no target '$t'" >&2; exit 2; }
	corpus="$build/corpus/$t" crashes="$build/crashes/$t" log="$build/fuzz-$t.log"
	mkdir -p "$corpus" "$crashes"
	set -- -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
		-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$crashes/" "$corpus"
	for dir in tests/data/fuzz/seeds/"$t" tests/data/fuzz/regressions/"$t"; do
		[ -d "$dir" ] && set -- "$@" "$dir"
	done
	case $t in
	yaml | json_yaml)
		set -- -dict=tests/fuzz/yaml.dict -max_len=16384 "$@" tests/data/yaml tests/data/examples ;;
	esac
	before=$(find "$crashes" -type f | wc -l)
	"$exe" "$@" >"$log" 2>&1 || true
	found=$(($(find "$crashes" -type f | wc -l) - before))
	# fork mode's progress lines: "#EXECS: cov: N ft: N corp: N exec/s N oom/timeout/crash: a/b/c time: Ns ..."
	last=$(grep -E '^#[0-9]+: cov:' "$log" | tail -n 1)
	execs=$(printf '%s\n' "$last" | sed -n 's/^#\([0-9]*\):.*/\1/p')
	corp=$(printf '%s\n' "$last" | sed -n 's/.* corp: \([0-9]*\).*/\1/p')
	faults=$(printf '%s\n' "$last" | sed -n 's|.*oom/timeout/crash: \([0-9/]*\).*|\1|p')
	echo "$t: ${execs:-0} executions in ${seconds}s, corpus ${corp:-?}, oom/timeout/crash ${faults:-?}, new inputs in $crashes: $found"
	[ "$found" -eq 0 ] || status=1
done
exit $status
