#!/usr/bin/env bash
# The demo: build argofs (installing missing packages), start the Argo
# Server emulator with its seed data, mount it, walk through the tree the
# way a user would, and unmount on exit. With --shell, open a shell in the
# mount before cleaning up.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
[ -f build/build.ninja ] || meson setup build >/dev/null
meson compile -C build >/dev/null

work=$(mktemp -d /tmp/argofs-demo.XXXXXX)
mnt="$work/mnt"
mkdir -p "$mnt"
token="demo-token-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
printf '%s\n' "$token" >"$work/token"
chmod 600 "$work/token"

cleanup() {
	fusermount3 -u "$mnt" 2>/dev/null || true
	[ -n "${emu:-}" ] && kill "$emu" 2>/dev/null
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

python3 tests/emulator/argo_emulator.py --port 0 --ready-file "$work/ready" \
	--seed tests/emulator/seed --token "$token" --step-seconds 1 \
	--journal "$work/journal" >"$work/emulator.log" 2>&1 &
emu=$!
for _ in $(seq 100); do [ -s "$work/ready" ] && break; sleep 0.1; done
url=$(cat "$work/ready")

build/argofs "$url" "$mnt" -o "token_file=$work/token,namespace=argo"

say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
run() { say "$*"; (cd "$mnt" && eval "$@") || true; }

echo "argofs mounted $url on $mnt (token in $work/token)"
run "cat .argofs/version"
run "ls -l"
run "ls -l argo/workflow-templates argo/cron-workflows cluster-workflow-templates"
first=$(ls "$mnt/argo/workflow-templates" | head -n 1)
run "cat argo/workflow-templates/$first"
say "cp mount-examples/greet.yaml argo/workflow-templates/"
cp mount-examples/greet.yaml "$mnt/argo/workflow-templates/"
run "ls -l argo/workflow-templates"
run "sed -i 's/value: hello/value: edited with sed -i/' argo/workflow-templates/greet.yaml"
run "grep -r 'edited with' argo/workflow-templates"
say "printf 'kind: CronWorkflow\\n' > argo/workflow-templates/wrong.yaml   # refused"
(printf 'kind: CronWorkflow\n' >"$mnt/argo/workflow-templates/wrong.yaml") || true
run "cat .argofs/errors"
say "echo 'message=hello from the demo' > argo/submit/greet   # submit it"
echo 'message=hello from the demo' >"$mnt/argo/submit/greet"
run "cat argo/submit/greet"
name=$(cat "$mnt/argo/submit/greet")
for _ in $(seq 30); do
	[ "$(cat "$mnt/argo/workflows/$name/phase")" = Succeeded ] && break
	sleep 0.5
done
run "ls -lt argo/workflows | head -n 4"
run "cat argo/workflows/$name/phase argo/workflows/$name/log"
run "cat argo/workflows/$name/summary"
run "rm argo/workflow-templates/greet.yaml && ls argo/workflow-templates"

if [ "${1:-}" = "--shell" ]; then
	echo
	echo "A shell in the mount; exit to unmount."
	(cd "$mnt" && "${SHELL:-bash}") || true
fi
echo
echo "unmounting"
