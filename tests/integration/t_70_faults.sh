# Faults: the server refusing connections, never answering, answering late,
# cutting a reply in the middle, failing in bursts (500, 503, 429), the
# token rotated under running operations, the daemon killed during a write.
# Every failing operation returns within the timeout plus a margin with the
# errno docs/filesystem.md gives, the daemon stays up, nothing is half-done
# or done twice on the server, and the same mount works once the fault is
# gone.

# shellcheck source=reliability.sh
source "$SRC/tests/integration/reliability.sh"

WT=argo/workflow-templates
WT_API=/api/v1/workflow-templates/argo
TIMEOUT=2     # -o timeout= of these mounts, seconds
MARGIN=1.5    # allowed on top of it (sanitizer builds, loaded CI machines)
TTL=2         # -o cache_ttl=: a write right after `ls` sends only the write
LISTED=0      # when this test last listed $WT ($EPOCHREALTIME)

fault_mount() {
	start_emulator
	mount_argofs -o timeout=$TIMEOUT,cache_ttl=$TTL
}

# list_now: a listing of $WT fetched now, not one still cached from before
# (waiting for that to expire first), so that it stays fresh for $TTL.
list_now() {
	sleep "$(awk "BEGIN { w = $LISTED + $TTL + 0.1 - $EPOCHREALTIME; print (w > 0 ? w : 0) }")"
	ls "$MNT/$WT" >listing || fail "ls $WT failed"
	LISTED=$EPOCHREALTIME
}

# timed NAME CMD...: run CMD in the background; its exit status, stderr and
# duration (seconds) go to NAME.rc, NAME.err and NAME.time. timed_wait
# waits for all of them.
TIMED_PIDS=
timed() {
	local name=$1
	shift
	(
		start=$EPOCHREALTIME
		"$@" >/dev/null 2>"$name.err"
		echo $? >"$name.rc"
		awk "BEGIN { print $EPOCHREALTIME - $start }" >"$name.time"
	) &
	TIMED_PIDS="$TIMED_PIDS $!"
}

timed_wait() {
	# shellcheck disable=SC2086
	wait $TIMED_PIDS
	TIMED_PIDS=
}

# expect_failed NAME ERRTEXT: the timed operation failed with ERRTEXT (a
# strerror text) within the timeout and the margin.
expect_failed() {
	[ "$(cat "$1.rc")" != 0 ] || fail "$1 succeeded under the fault"
	assert_contains "$(cat "$1.err")" "$2" "error of $1"
	awk "BEGIN { exit !($(cat "$1.time") <= $TIMEOUT + $MARGIN) }" ||
		fail "$1 took $(cat "$1.time") s (timeout $TIMEOUT s)"
}

expect_succeeded() {
	[ "$(cat "$1.rc")" = 0 ] || fail "$1 failed: $(cat "$1.err")"
	awk "BEGIN { exit !($(cat "$1.time") <= $TIMEOUT + $MARGIN) }" ||
		fail "$1 took $(cat "$1.time") s"
}

# wait_for SECONDS CMD...: poll CMD until it succeeds.
wait_for() {
	local limit=$1
	shift
	for _ in $(seq $((limit * 10))); do
		"$@" && return 0
		sleep 0.1
	done
	fail "timed out waiting for: $*"
}

# errors_mention ERE: a line of .argofs/errors matches ERE.
errors_mention() {
	grep -qE -- "$1" "$MNT/.argofs/errors"
}

# objects TAG...: the objects of each round, on the server and in files
# here, made before anything is listed (a fresh listing would hide them).
objects() {
	local tag
	for tag in "$@"; do
		api_template "up-$tag"
		api_template "rm-$tag"
		api_template "cat-$tag" "ns-$tag"
		make_template "new-$tag" "created under a fault"
	done
	journal_reset
}

# prepare TAG: a fresh listing of $WT, so that lookups there cost no
# request, and the text of the update.
prepare() {
	local tag=$1
	list_now
	# an update that carries its resourceVersion is one PUT, nothing before it
	sed 's/image: busybox/image: alpine/' "$MNT/$WT/up-$tag.yaml" >"up-$tag.yaml" ||
		fail "reading up-$tag failed"
}

# operations TAG: ls and cat of things not cached yet, a create, an update
# and an rm, all at once, each timed.
operations() {
	local tag=$1
	timed ls ls "$MNT/ns-$tag/cron-workflows"
	timed cat cat "$MNT/ns-$tag/workflow-templates/cat-$tag.yaml"
	timed create cp "new-$tag.yaml" "$MNT/$WT/"
	timed update cp "up-$tag.yaml" "$MNT/$WT/up-$tag.yaml"
	timed rm rm "$MNT/$WT/rm-$tag.yaml"
	timed_wait
}

# server_state: the templates of namespace argo on the server, one line
# each: "NAME IMAGE MESSAGE" (first container image, first parameter value,
# spaces in it as '_'), sorted. One request and one python3 for the lot.
server_state() {
	api GET "$WT_API" | python3 -c 'import json, sys
for i in sorted(json.load(sys.stdin)["items"] or [], key=lambda i: i["metadata"]["name"]):
    spec = i.get("spec", {})
    image = (spec.get("templates") or [{}])[0].get("container", {}).get("image", "-")
    params = spec.get("arguments", {}).get("parameters") or [{}]
    print(i["metadata"]["name"], image, str(params[0].get("value", "-")).replace(" ", "_"))'
}

# field STATE NAME COLUMN: column 2 (image) or 3 (message) of NAME in a
# server_state output, "absent" when NAME is not there.
field() {
	printf '%s\n' "$1" | awk -v n="$2" -v c="$3" '$1 == n { print $c; found = 1 }
		END { if (!found) print "absent" }'
}

# sent METHOD PATH: how many such requests the journal holds.
sent() {
	journal paths | grep -cxF -- "$1 $2"
}

# deleted NAME: the journal holds one DELETE of template NAME.
deleted() {
	[ "$(sent DELETE "$WT_API/$1")" = 1 ]
}

# nothing_half_done TAG...: each write of the rounds reached the server
# whole or not at all, and none was sent twice. Leaves the server_state in
# STATE for more checks.
nothing_half_done() {
	local tag
	STATE=$(server_state)
	journal paths >requests
	for tag in "$@"; do
		case "$(field "$STATE" "new-$tag" 3)" in
		absent | created_under_a_fault) ;;
		*) fail "new-$tag half created: $(field "$STATE" "new-$tag" 3)" ;;
		esac
		case "$(field "$STATE" "up-$tag" 2)" in
		busybox | alpine) ;;
		*) fail "up-$tag half updated or gone: $(field "$STATE" "up-$tag" 2)" ;;
		esac
		[ "$(grep -cxF "PUT $WT_API/up-$tag" requests)" -le 1 ] || fail "update sent twice"
		[ "$(grep -cxF "DELETE $WT_API/rm-$tag" requests)" -le 1 ] || fail "delete sent twice"
	done
	[ "$(grep -cxF "POST $WT_API" requests)" -le $# ] || fail "a create was sent twice"
}

# recovered TAG: with the fault gone the same mount reads and writes again,
# and shows what the server has.
recovered() {
	local tag=$1
	alive
	sleep $TTL # what was cached before the fault expires
	ls "$MNT/ns-$tag/cron-workflows" >/dev/null || fail "ls after the fault failed"
	cat "$MNT/ns-$tag/workflow-templates/cat-$tag.yaml" >/dev/null || fail "cat after the fault failed"
	list_now
	assert_eq "$(server_state | awk '{ print $1 ".yaml" }')" "$(cat listing)" \
		"listing after the fault"
	make_template "again-$tag"
	cp "again-$tag.yaml" "$MNT/$WT/" || fail "create after the fault failed"
	[ "$(field "$(server_state)" "again-$tag" 2)" = busybox ] || fail "again-$tag not created"
}

# failing_round TAG FAULT ERRTEXT ERRNAME: under FAULT (emulator faults
# JSON) every operation fails with ERRTEXT; the rm hides the file at once
# and its DELETE, sent a second later, fails with ERRNAME in .argofs/errors.
failing_round() {
	local tag=$1 fault=$2 errtext=$3 errname=$4
	prepare "$tag"
	emu_control faults "$fault"
	operations "$tag"
	for op in ls cat create update; do
		expect_failed "$op" "$errtext"
	done
	# a write is sent when the file is closed: close() is what fails
	assert_contains "$(cat create.err)" "failed to close"
	assert_contains "$(cat update.err)" "failed to close"
	expect_succeeded rm
	wait_for $((TIMEOUT + 3)) errors_mention "delete /$WT/rm-$tag.yaml [-0-9]+ $errname"
	alive
	emu_control faults '{"reset":true}'
	assert_contains "$(cat "$MNT/.argofs/errors")" "create /$WT/new-$tag.yaml"
	assert_contains "$(cat "$MNT/.argofs/errors")" "update /$WT/up-$tag.yaml"
}

test_hanging_server_times_out() {
	fault_mount
	objects hang
	failing_round hang '{"hang_next":1000}' "Connection timed out" ETIMEDOUT
	nothing_half_done hang
	# a request that got no answer changed nothing
	assert_eq absent "$(field "$STATE" new-hang 2)" "new-hang"
	assert_eq busybox "$(field "$STATE" rm-hang 2)" "rm-hang, whose DELETE got no answer"
	assert_eq busybox "$(field "$STATE" up-hang 2)" "up-hang"
	recovered hang
	grep -qx rm-hang.yaml listing || fail "rm-hang.yaml not shown again"
}

test_slow_server_times_out_then_recovers() {
	fault_mount
	objects slow quick
	# replies later than the timeout: the operations fail in time, but the
	# server still carries out what it received (the outcome of a timed-out
	# write is unknown to the client: it is whole or absent, never half)
	failing_round slow '{"delay_ms":3500}' "Connection timed out" ETIMEDOUT
	sleep 2 # the delayed requests finish on the server
	nothing_half_done slow
	# replies within the timeout: slow, but everything works (and the same
	# mount works again after the timeouts)
	journal_reset
	prepare quick
	emu_control faults '{"delay_ms":600}'
	operations quick
	for op in ls cat create update rm; do
		expect_succeeded "$op"
	done
	wait_for 5 deleted rm-quick
	emu_control faults '{"reset":true}'
	nothing_half_done quick
	assert_eq alpine "$(field "$STATE" up-quick 2)" "up-quick"
	assert_eq created_under_a_fault "$(field "$STATE" new-quick 3)" "new-quick"
	assert_eq absent "$(field "$STATE" rm-quick 2)" "rm-quick"
}

test_dropped_connections_are_econnreset() {
	fault_mount
	objects drop
	# the server carries out each request, then cuts its reply in half
	failing_round drop '{"drop_next":1000}' "Connection reset by peer" ECONNRESET
	nothing_half_done drop
	recovered drop
}

test_error_bursts_map_to_eio_and_eagain() {
	fault_mount
	objects s500 s503 s429
	failing_round s500 '{"fail_next":1000,"status":500,"code":13,"message":"internal trouble"}' \
		"Input/output error" EIO
	assert_contains "$(cat "$MNT/.argofs/errors")" "internal trouble"
	failing_round s503 '{"fail_next":1000,"status":503,"code":14,"message":"unavailable"}' \
		"Resource temporarily unavailable" EAGAIN
	failing_round s429 '{"fail_next":1000,"status":429,"code":8,"message":"rate limited"}' \
		"Resource temporarily unavailable" EAGAIN
	nothing_half_done s500 s503 s429
	for tag in s500 s503 s429; do
		# a refused request changed nothing
		assert_eq absent "$(field "$STATE" "new-$tag" 2)" "new-$tag"
		assert_eq busybox "$(field "$STATE" "rm-$tag" 2)" "rm-$tag"
		assert_eq busybox "$(field "$STATE" "up-$tag" 2)" "up-$tag"
	done
	recovered s429
	grep -qx rm-s500.yaml listing || fail "rm-s500.yaml not shown again"
}

test_server_down_is_econnrefused_and_back() {
	fault_mount
	port=${EMU_URL##*:}
	list_now
	sed 's/image: python:3.12-alpine/image: python:3.13-alpine/' "$MNT/$WT/python-report.yaml" >update.yaml
	make_template brand-new
	kill "$EMU_PID"
	wait "$EMU_PID" 2>/dev/null
	timed ls ls "$MNT/argo/cron-workflows"
	timed cat cat "$MNT/cluster-workflow-templates/cluster-hello.yaml"
	timed create cp brand-new.yaml "$MNT/$WT/"
	timed update cp update.yaml "$MNT/$WT/python-report.yaml"
	timed rm rm "$MNT/$WT/diamond.yaml"
	timed_wait
	for op in ls cat create update; do
		expect_failed "$op" "Connection refused"
	done
	expect_succeeded rm
	wait_for 5 errors_mention "delete /$WT/diamond.yaml - ECONNREFUSED"
	alive
	# the server comes back on the same address: the same mount works
	rm -f "$T/ready"
	start_emulator --port "$port"
	assert_eq "$port" "${EMU_URL##*:}" "port of the restarted emulator"
	list_now
	assert_contains "$(cat listing)" "diamond.yaml"
	grep -qx brand-new.yaml listing && fail "a create that never reached the server is shown"
	cp brand-new.yaml "$MNT/$WT/" || fail "create after the server came back failed"
	[ "$(field "$(server_state)" brand-new 2)" = busybox ] || fail "brand-new not created"
}

# k8s_token_dir DIR TOKEN: a token laid out as Kubernetes mounts a secret:
# DIR/..TIMESTAMP/token, DIR/..data -> ..TIMESTAMP, DIR/token -> ..data/token.
k8s_token_dir() {
	mkdir -p "$1/..2026_01_01_00_00_00.000000001"
	printf '%s\n' "$2" >"$1/..2026_01_01_00_00_00.000000001/token"
	ln -sfn ..2026_01_01_00_00_00.000000001 "$1/..data"
	ln -sfn ..data/token "$1/token"
}

# k8s_rotate DIR TOKEN STAMP: what the kubelet does on a secret update: a new
# timestamped directory, an atomic rename of a new ..data link over the old
# one, the old directory removed.
k8s_rotate() {
	local old
	old=$(readlink "$1/..data")
	mkdir "$1/..$3"
	printf '%s\n' "$2" >"$1/..$3/token"
	ln -s "..$3" "$1/..data_tmp"
	mv -T "$1/..data_tmp" "$1/..data"
	rm -rf "${1:?}/$old"
}

# list_loop SECONDS: `ls` the templates over and over (nothing cached), each
# result a line "START END STATUS" in $T/loop.
list_loop() {
	local until=$(($(date +%s) + $1)) start status
	while [ "$(date +%s)" -lt "$until" ]; do
		start=$EPOCHREALTIME
		ls "$MNT/$WT" >/dev/null 2>&1
		status=$?
		echo "$start $EPOCHREALTIME $status" >>"$T/loop"
	done
}

test_token_rotation_under_load() {
	start_emulator --token "second-token"
	k8s_token_dir "$T/secret" "$TOKEN"
	# a later token_file= wins over mount_argofs's own
	mount_argofs -o "token_file=$T/secret/token,timeout=$TIMEOUT,cache_ttl=0"
	: >"$T/loop"
	list_loop 7 &
	loop=$!
	sleep 1
	# the server drops the old token first: operations fail until the new
	# one is in the file (a refused token is re-read after the 401)
	emu_control tokens '{"tokens":["second-token"]}'
	sleep 0.5
	k8s_rotate "$T/secret" second-token 2026_01_01_01_00_00.000000002
	rotated=$EPOCHREALTIME
	sleep 1.5
	# an ordinary file replaced atomically (mv over it) works the same way
	emu_control tokens '{"tokens":["second-token","third-token"]}'
	printf 'third-token\n' >"$T/secret/token.new"
	mv -f "$T/secret/token.new" "$T/secret/token"
	emu_control tokens '{"tokens":["third-token"]}'
	wait "$loop"
	awk -v r="$rotated" '$3 != 0 && $1 > r { bad++ } END { exit bad > 0 }' "$T/loop" ||
		fail "ls failed after the new token was in place: $(awk -v r="$rotated" '$3 != 0 && $1 > r' "$T/loop")"
	awk '$3 != 0 { bad++ } END { exit bad == 0 }' "$T/loop" ||
		fail "no ls failed while the file held a revoked token (the loop did not run?)"
	[ "$(wc -l <"$T/loop")" -ge 20 ] || fail "only $(wc -l <"$T/loop") ls ran"
	assert_eq "Bearer third-token" "$(journal header GET "$WT_API" authorization)" "last token sent"
	alive
}

test_expired_token_is_eacces_until_fixed() {
	start_emulator
	k8s_token_dir "$T/secret" "$TOKEN"
	mount_argofs -o "token_file=$T/secret/token,timeout=$TIMEOUT,cache_ttl=0"
	ls "$MNT/$WT" >/dev/null || fail "ls with the good token failed"
	k8s_rotate "$T/secret" expired-token 2026_02_01_00_00_00.000000001
	assert_fails "Permission denied" ls "$MNT/$WT"
	make_template denied
	assert_fails "Permission denied" cp denied.yaml "$MNT/$WT/"
	errors=$(grep -F "401 EACCES" "$MNT/.argofs/errors") || fail "no 401 in .argofs/errors"
	assert_contains "$errors" "token not valid" "the server's message"
	assert_eq 0 "$(sent POST "$WT_API")" "POSTs accepted with a bad token"
	k8s_rotate "$T/secret" "$TOKEN" 2026_02_01_00_01_00.000000001
	ls "$MNT/$WT" >/dev/null || fail "ls after fixing the token failed"
	cp denied.yaml "$MNT/$WT/" || fail "cp after fixing the token failed"
	alive
}

test_kill_9_during_a_write_leaves_a_clean_state() {
	fault_mount
	make_template inflight "written while killed"
	list_now
	echo "an editor's swap file" >"$MNT/$WT/.inflight.yaml.swp" || fail "scratch file refused"
	# every reply takes 1.5 s: the daemon dies with the POST in flight
	emu_control faults '{"delay_ms":1500}'
	cp inflight.yaml "$MNT/$WT/" 2>/dev/null &
	writer=$!
	sleep 0.7
	kill -9 "$ARGOFS_PID"
	wait "$ARGOFS_PID" 2>/dev/null
	wait "$writer" && fail "cp succeeded although the daemon was killed"
	fusermount3 -u -z "$MNT" 2>/dev/null
	ARGOFS_PID=
	emu_control faults '{"reset":true}'
	sleep 1 # the delayed POST finishes on the server
	state=$(server_state)
	case "$(field "$state" inflight 3)" in
	absent | written_while_killed) ;;
	*) fail "inflight half created: $(field "$state" inflight 3)" ;;
	esac
	[ "$(sent POST "$WT_API")" -le 1 ] || fail "the create was sent twice"
	# a fresh mount on a new mountpoint starts clean and shows the server's state
	first=$T
	T=$first/again
	mkdir -p "$T"
	mount_argofs -o timeout=$TIMEOUT
	T=$first
	state=$(server_state)
	# (ls -A: the scratch file died with the daemon)
	assert_eq "$(printf '%s\n' "$state" | awk '{ print $1 ".yaml" }')" "$(ls -A "$MNT/$WT")" \
		"listing of the fresh mount"
	cp inflight.yaml "$MNT/$WT/inflight.yaml" || fail "writing again on the fresh mount failed"
	assert_eq written_while_killed "$(field "$(server_state)" inflight 3)" "inflight"
}

test_kill_9_within_the_delete_grace_keeps_the_object() {
	fault_mount
	api_template keepme
	rm "$MNT/$WT/keepme.yaml" || fail "rm failed"
	kill -9 "$ARGOFS_PID"
	wait "$ARGOFS_PID" 2>/dev/null
	fusermount3 -u -z "$MNT" 2>/dev/null
	ARGOFS_PID=
	sleep 1.2
	assert_eq 0 "$(sent DELETE "$WT_API/keepme")" "DELETEs"
	assert_eq busybox "$(field "$(server_state)" keepme 2)" "keepme"
}
