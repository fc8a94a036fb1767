# lib.sh - shared helpers of the integration tests: an emulator and a real
# argofs mount per test, the emulator's request journal, and assertions.
# Sourced by run.sh; every test runs in its own subshell and directory.

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
EMULATOR="$SRC/tests/emulator/argo_emulator.py"
SEED="$SRC/tests/emulator/seed"
JOURNAL_TOOL="$SRC/tests/integration/journal.py"
TOKEN="it-token-0123456789"
# ARGOFS_TIME_FACTOR (a whole number, default 1) stretches the waits for a
# slow daemon, such as argofs under valgrind (scripts/valgrind.sh); tests
# with timing bounds of their own can multiply them by TIME_FACTOR.
TIME_FACTOR=${ARGOFS_TIME_FACTOR:-1}

fail() {
	echo "    FAIL: $*" >&2
	exit 1
}

# skip REASON: this test cannot run here; run.sh counts it as skipped.
skip() {
	echo "SKIP: $*"
	exit 77
}

# start_emulator [ARGS...]: serve the seed over HTTP on a free port.
# Sets EMU_URL, EMU_PID, JOURNAL.
start_emulator() {
	JOURNAL="$T/journal"
	: >"$JOURNAL"
	python3 "$EMULATOR" --port 0 --ready-file "$T/ready" --seed "$SEED" \
		--journal "$JOURNAL" --token "$TOKEN" --step-seconds 0.2 "$@" \
		>"$T/emulator.log" 2>&1 &
	EMU_PID=$!
	for _ in $(seq 100); do
		[ -s "$T/ready" ] && break
		kill -0 "$EMU_PID" 2>/dev/null || fail "emulator died: $(cat "$T/emulator.log")"
		sleep 0.1
	done
	EMU_URL=$(cat "$T/ready") || fail "emulator not ready"
}

# emu_control PATH JSON: POST to the emulator's control endpoint.
emu_control() {
	curl -sf -X POST -H 'Content-Type: application/json' -d "$2" \
		"$EMU_URL/_emulator/$1" >/dev/null || fail "control $1 $2 failed"
}

# mount_argofs [-o OPTIONS]: mount at $MNT in the foreground (in the
# background of this shell). Sets MNT, ARGOFS_PID.
mount_argofs() {
	MNT="$T/mnt"
	mkdir -p "$MNT"
	printf '%s\n' "$TOKEN" >"$T/token"
	"$ARGOFS" "$EMU_URL" "$MNT" -f -o "token_file=$T/token,timeout=5,cache_ttl=2" "$@" \
		2>"$T/argofs.log" &
	ARGOFS_PID=$!
	for _ in $(seq $((100 * TIME_FACTOR))); do
		mountpoint -q "$MNT" && return 0
		kill -0 "$ARGOFS_PID" 2>/dev/null || fail "argofs exited: $(cat "$T/argofs.log")"
		sleep 0.1
	done
	fail "argofs did not mount"
}

# umount_argofs: unmount and require a clean exit (sanitizers report leaks
# and errors through the exit status).
umount_argofs() {
	[ -n "${ARGOFS_PID:-}" ] || return 0
	# The RELEASE of a file just closed is sent after close() returns, and
	# an unmount drops what argofs has not read yet, with what libfuse had
	# allocated for the open directory (a leak for the sanitizers). The
	# kernel hands requests out in order: once this stat is answered, those
	# before it have been taken.
	stat "$MNT" >/dev/null 2>&1
	fusermount3 -u "$MNT" 2>/dev/null || umount -l "$MNT" 2>/dev/null
	local status=0
	wait "$ARGOFS_PID" || status=$?
	ARGOFS_PID=
	[ "$status" -eq 0 ] || fail "argofs exited with $status: $(tail -n 40 "$T/argofs.log")"
}

cleanup() {
	if [ -n "${ARGOFS_PID:-}" ]; then
		fusermount3 -u "$MNT" 2>/dev/null || umount -l "$MNT" 2>/dev/null
		kill "$ARGOFS_PID" 2>/dev/null
	fi
	[ -n "${EMU_PID:-}" ] && kill "$EMU_PID" 2>/dev/null
	wait 2>/dev/null
	return 0
}

# setup [argofs -o options...]: emulator + mount, the usual start of a test.
setup() {
	start_emulator
	mount_argofs "$@"
}

# journal ARGS...: query the request journal (see journal.py).
journal() {
	python3 "$JOURNAL_TOOL" "$JOURNAL" "$@"
}

# counted TEST N METHOD PATH: whether the journal's count of such requests
# passes `test COUNT TEST N` (-eq, -ge...); for wait_until, which must
# count again on each try.
counted() {
	[ "$(journal count "$3" "$4")" "$1" "$2" ]
}

journal_reset() {
	: >"$JOURNAL"
}

assert_eq() { # EXPECTED ACTUAL [WHAT]
	[ "$1" = "$2" ] || fail "${3:-value}: expected '$1', got '$2'"
}

assert_contains() { # HAYSTACK NEEDLE [WHAT]
	case "$1" in
	*"$2"*) ;;
	*) fail "${3:-output} does not contain '$2': $1" ;;
	esac
}

# assert_fails ERRTEXT CMD...: CMD must fail and its stderr mention ERRTEXT
# (strerror text such as "Invalid argument").
assert_fails() {
	local want=$1 out
	shift
	if out=$("$@" 2>&1); then
		fail "'$*' succeeded, expected failure '$want'"
	fi
	assert_contains "$out" "$want" "error of '$*'"
}

# api METHOD PATH [JSON]: call the emulator's Argo API directly (as another
# client would), printing the reply body.
api() {
	curl -s -X "$1" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
		${3:+-d "$3"} "$EMU_URL$2"
}

# make_template NAME [MESSAGE]: a WorkflowTemplate file NAME.yaml here.
make_template() {
	cat >"$1.yaml" <<YAML
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata:
  name: $1
  labels:
    team: integration
spec:
  entrypoint: main
  arguments:
    parameters:
    - name: message
      value: ${2:-hello}
  templates:
  - name: main
    inputs:
      parameters:
      - name: message
    container:
      image: busybox
      command: [echo]
      args: ["{{inputs.parameters.message}}"]
YAML
}

# json_get JSON PATH: a dotted path out of a JSON text.
json_get() {
	python3 -c 'import json,sys
v = json.loads(sys.argv[1])
for k in sys.argv[2].split("."):
    v = v[int(k)] if isinstance(v, list) else v.get(k) if isinstance(v, dict) else None
print(v if not isinstance(v, (dict, list)) else json.dumps(v, sort_keys=True))' "$1" "$2"
}

# api_template NAME [NS]: create a WorkflowTemplate through the API directly.
api_template() {
	api POST "/api/v1/workflow-templates/${2:-argo}" \
		"{\"namespace\":\"${2:-argo}\",\"template\":{\"metadata\":{\"name\":\"$1\"},\"spec\":{\"entrypoint\":\"main\",\"templates\":[{\"name\":\"main\",\"container\":{\"image\":\"busybox\"}}]}}}" >/dev/null
}

# wait_until SECONDS CMD...: poll CMD every 0.1 s until it succeeds.
wait_until() {
	local tries=$(($1 * 10))
	shift
	while ! "$@" 2>/dev/null; do
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || return 1
		sleep 0.1
	done
}

# fuse_daemons [MOUNTPOINT]: the PIDs of the processes holding /dev/fuse
# open, which are the FUSE daemons (argofs, or valgrind running it), and of
# those only the ones with MOUNTPOINT on their command line when it is given.
fuse_daemons() {
	local p
	for p in $(find /proc/[0-9]*/fd -maxdepth 1 -lname /dev/fuse 2>/dev/null | cut -d/ -f3 | sort -u); do
		if [ -z "${1:-}" ] || tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF -- " $1 "; then
			echo "$p"
		fi
	done
}

listed() { # DIR NAME: whether ls DIR shows NAME
	# shellcheck disable=SC2010 # ls itself is what is tested
	ls "$1" 2>/dev/null | grep -qx "$2"
}
