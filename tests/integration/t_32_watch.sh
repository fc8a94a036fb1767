# Workflow listings kept fresh by the server's watch stream: changes made by
# other clients show without listing again; the watch resumes from its
# resourceVersion after the server ends it, lists again when that version is
# gone, falls back to cache_ttl when the watch is refused or with -o nowatch, and
# stops with the caches (SIGHUP) and at unmount.

WF=argo/workflows
WF_API=/api/v1/workflows/argo
WATCH_API=/api/v1/workflow-events/argo

# api_workflow NAME: create a workflow through the API, as another client.
api_workflow() {
	api POST "$WF_API" "{\"workflow\":{\"metadata\":{\"name\":\"$1\"},\"spec\":{\"entrypoint\":\"m\",\"templates\":[{\"name\":\"m\",\"container\":{\"image\":\"busybox\"}}]}}}" >/dev/null
}

not_listed() { # DIR NAME
	! listed "$@"
}

phase_is() { # NAME PHASE
	[ "$(cat "$MNT/$WF/$1/phase")" = "$2" ]
}

# watch_versions: listOptions.resourceVersion of every watch request so far.
watch_versions() {
	python3 - "$JOURNAL" "$WATCH_API" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["path"] == sys.argv[2]:
        print(e["query"].get("listOptions.resourceVersion", [""])[0])
PY
}

# list_version: the resourceVersion of a list made now (one request).
list_version() {
	api GET "$WF_API?listOptions.limit=1" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["metadata"]["resourceVersion"])'
}

test_a_watched_listing_follows_other_clients_without_listing_again() {
	setup -o cache_ttl=600
	before=$(list_version)
	ls "$MNT/$WF" >/dev/null || fail "ls failed"
	after=$(list_version)
	wait_until 10 counted -ge 1 GET "$WATCH_API" || fail "no watch request"
	assert_eq text/event-stream "$(journal header GET "$WATCH_API" accept)" "watch Accept"
	from=$(watch_versions)
	[ -n "$from" ] && [ "$from" -ge "$before" ] && [ "$from" -le "$after" ] ||
		fail "the watch did not start from the list's version ($before..$after): '$from'"
	assert_contains "$(journal query GET "$WATCH_API")" "result.object.metadata.name" "watch fields"

	api_workflow from-another-client
	wait_until 10 listed "$MNT/$WF" from-another-client || fail "a new workflow did not show"
	wait_until 10 phase_is from-another-client Succeeded || fail "its phase did not follow"
	assert_eq from-another-client "$(readlink "$MNT/$WF/@latest")" "@latest"
	api DELETE "$WF_API/from-another-client" >/dev/null
	wait_until 10 not_listed "$MNT/$WF" from-another-client || fail "a deleted workflow still shows"
	assert_eq 3 "$(journal count GET "$WF_API")" "list requests (argofs's one and the test's two)"
}

test_the_watch_resumes_after_the_server_ends_it() {
	setup -o cache_ttl=600
	ls "$MNT/$WF" >/dev/null || fail "ls failed"
	wait_until 10 counted -eq 1 GET "$WATCH_API" || fail "no watch request"
	api_workflow before-close
	wait_until 10 listed "$MNT/$WF" before-close || fail "before-close did not show"
	emu_control watches/close '{}'
	wait_until 10 counted -eq 2 GET "$WATCH_API" || fail "the watch did not reconnect"
	versions=$(watch_versions | tr '\n' ' ')
	set -- $versions
	[ "$2" -gt "$1" ] || fail "the reconnect did not resume after what was seen: versions $versions"
	api_workflow after-close
	wait_until 10 listed "$MNT/$WF" after-close || fail "after-close did not show"
	assert_eq 1 "$(journal count GET "$WF_API")" "list requests"
}

test_a_watch_from_a_compacted_version_lists_again() {
	setup -o cache_ttl=600,log_level=info
	ls "$MNT/$WF" >/dev/null || fail "ls failed"
	wait_until 10 counted -eq 1 GET "$WATCH_API" || fail "no watch request"
	# a change the watch does not see moves the version on; compaction then
	# makes the watch's version too old to resume from
	api_template compaction-marker
	emu_control watches/compact '{}'
	emu_control watches/close '{}'
	wait_until 10 counted -eq 2 GET "$WF_API" || fail "no list after 'too old resource version'"
	api_workflow after-compaction
	wait_until 10 listed "$MNT/$WF" after-compaction || fail "the watch did not go on after listing"
	grep -q "too old resource version" "$T/argofs.log" || fail "no log line for the relist"
}

test_a_refused_watch_falls_back_to_the_cache_ttl() {
	# a token whose Role grants list but not watch on workflows
	start_emulator --token "watchless;nowatch"
	mount_argofs -o cache_ttl=1
	printf 'watchless\n' >"$T/token"
	ls "$MNT/$WF" >/dev/null || fail "ls failed"
	wait_until 10 grep -q 'cannot watch resource' "$T/argofs.log" || fail "no log line for the refused watch"
	api_workflow unwatchable
	wait_until 10 listed "$MNT/$WF" unwatchable || fail "not listed again after the TTL"
	[ "$(journal count GET "$WF_API")" -ge 2 ] || fail "no second list"
	if grep -q workflow-events "$MNT/.argofs/errors"; then
		fail "a background watch failure is in .argofs/errors: $(cat "$MNT/.argofs/errors")"
	fi
}

test_nowatch_lists_by_the_ttl_only() {
	setup -o cache_ttl=1,nowatch
	ls "$MNT/$WF" >/dev/null || fail "ls failed"
	api_workflow unwatched
	listed "$MNT/$WF" unwatched && fail "shown before the TTL: a watch is running"
	wait_until 10 listed "$MNT/$WF" unwatched || fail "not listed after the TTL"
	assert_eq 0 "$(journal count GET "$WATCH_API")" "watch requests"
	assert_eq 2 "$(journal count GET "$WF_API")" "list requests"
}

test_sighup_restarts_the_watch_and_unmount_is_prompt() {
	setup -o cache_ttl=600
	ls "$MNT/$WF" >/dev/null || fail "ls failed"
	wait_until 10 counted -eq 1 GET "$WATCH_API" || fail "no watch request"
	kill -HUP "$ARGOFS_PID"
	ls "$MNT/$WF" >/dev/null || fail "ls after SIGHUP failed"
	assert_eq 2 "$(journal count GET "$WF_API")" "list requests after SIGHUP"
	wait_until 10 counted -eq 2 GET "$WATCH_API" || fail "no new watch after SIGHUP: $(journal paths | grep -v _emulator | tr '\n' ' ')"
	start=$EPOCHREALTIME
	umount_argofs
	took=$(awk "BEGIN { print int($EPOCHREALTIME - $start) }")
	[ "$took" -lt 3 ] || fail "unmount with an open watch took ${took} s"
}

test_a_listing_slower_than_the_ttl_is_used_once() {
	setup -o cache_ttl=0.01,nowatch
	for i in $(seq 60); do
		api_workflow "many-$i"
	done
	emu_control faults '{"delay_ms":1000}'
	# the stat of each of the 60 entries comes more than 0.01 s after the
	# list arrived
	ls -l "$MNT/$WF" >/dev/null || fail "ls -l failed"
	emu_control faults '{"reset":true}'
	assert_eq 1 "$(journal count GET "$WF_API")" "list requests of one ls -l"
	[ "$(ls "$MNT/$WF" | grep -c '^many-')" -eq 60 ] || fail "not all 60 workflows are listed"
}
