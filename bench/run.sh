#!/usr/bin/env bash
# The argofs benchmarks (issue 8): build argofs (release, no sanitizers, in
# build-bench/), build bench/yj_bench.c against its static library, then run
# bench/measure.py, which starts the Argo Server emulator with generated data,
# mounts argofs and prints every figure next to a baseline measured in the
# same run. See bench/README.md.
#
#   bench/run.sh [--quick] [--reps N] [--out FILE] [--keep]
#
# --quick  smaller N (about a minute); --reps N  runs per timed figure
# (median; default 3, 2 with --quick); --out FILE  also write the table there;
# --keep  keep the scratch directory (seed, journal, logs) and print its path;
set -euo pipefail
cd "$(dirname "$0")/.."

quick=() reps=() out=() keep=0
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) quick=(--quick) ;;
	--reps) reps=(--reps "$2"); shift ;;
	--out) out=(--out "$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"); shift ;;
	--keep) keep=1 ;;
	-h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
	*) echo "bench/run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done

scripts/deps.sh

build="build-bench"
echo "bench: building argofs (release) in $build/" >&2
blog=$(mktemp)
if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" --buildtype=release -Db_sanitize=none >"$blog" 2>&1 ||
		{ tail -n 30 "$blog" >&2; rm -f "$blog"; exit 1; }
fi
meson compile -C "$build" argofs:executable argofs:static_library >"$blog" 2>&1 ||
	{ tail -n 30 "$blog" >&2; rm -f "$blog"; exit 1; }
rm -f "$blog"

work=$(mktemp -d "${TMPDIR:-/tmp}/argofs-bench.XXXXXX")
cleanup() {
	# measure.py unmounts and stops what it started; this catches an interrupted run
	for m in "$work"/mnt*; do
		[ -d "$m" ] && mountpoint -q "$m" && { fusermount3 -u "$m" 2>/dev/null || fusermount3 -uz "$m" 2>/dev/null || true; }
	done
	if [ "$keep" = 1 ]; then echo "bench: scratch directory kept: $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

# The converter's driver, against the library argofs links (all modules, so
# all of argofs's dependencies are on the link line).
# shellcheck disable=SC2046
cc -O2 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Iinclude bench/yj_bench.c "$build/libargofs.a" \
	$(pkg-config --cflags --libs fuse3 libcurl jansson yaml-0.1) -lpthread -o "$work/yj_bench"

echo "bench: $(nproc) cores; scratch directory $work" >&2
python3 bench/measure.py --argofs "$build/argofs" --yj-bench "$work/yj_bench" --work "$work" \
	"${quick[@]}" "${reps[@]}" "${out[@]}"
