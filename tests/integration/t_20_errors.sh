# Failure paths: each gets its documented errno at the system call, a
# readable line in .argofs/errors, and nothing sent or changed on the server.

WT=argo/workflow-templates
WT_API=/api/v1/workflow-templates/argo

test_invalid_yaml_is_refused_without_a_request() {
	setup
	printf 'metadata:\n  name: broken\nspec: [unclosed\n' >broken.yaml
	ls "$MNT/$WT" >/dev/null # a fresh listing answers the lookup of the new name
	journal_reset
	assert_fails "Invalid argument" cp broken.yaml "$MNT/$WT/"
	assert_eq 0 "$(journal count-api)" "requests"
	assert_contains "$(cat "$MNT/.argofs/errors")" "line "
	[ ! -e "$MNT/$WT/broken.yaml" ] || fail "refused file left in the directory"
}

test_wrong_kind_and_namespace_are_refused() {
	setup
	printf 'kind: CronWorkflow\nmetadata: {name: wrongkind}\n' >wrongkind.yaml
	printf 'metadata: {name: wrongns, namespace: other}\nspec: {templates: []}\n' >wrongns.yaml
	printf 'a: 1\n---\nb: 2\n' >two.yaml
	journal_reset
	assert_fails "Invalid argument" cp wrongkind.yaml "$MNT/$WT/"
	assert_fails "Invalid argument" cp wrongns.yaml "$MNT/$WT/"
	assert_fails "Invalid argument" cp two.yaml "$MNT/$WT/"
	errors=$(cat "$MNT/.argofs/errors")
	assert_contains "$errors" "kind 'CronWorkflow'"
	assert_contains "$errors" "namespace 'other'"
	assert_contains "$errors" "$WT/wrongkind.yaml"
	assert_eq 0 "$(journal count POST "$WT_API")" "POSTs"
}

test_create_of_a_taken_name_is_eexist() {
	setup
	api_template taken
	make_template taken
	journal_reset
	assert_fails "File exists" cp taken.yaml "$MNT/$WT/copy-of-taken.yaml"
	assert_eq 1 "$(journal count POST "$WT_API")" "POSTs"
	assert_contains "$(cat "$MNT/.argofs/errors")" "already exists"
}

test_stale_resource_version_is_estale() {
	setup
	api_template contested
	cat "$MNT/$WT/contested.yaml" >mine.yaml || fail "cat failed"
	# someone else updates it meanwhile
	sleep 2.1
	cat "$MNT/$WT/contested.yaml" | sed 's/image: busybox/image: alpine/' >theirs.yaml
	cp theirs.yaml "$MNT/$WT/contested.yaml" || fail "their update failed"
	journal_reset
	sed -i 's/image: busybox/image: debian/' mine.yaml
	assert_fails "Stale file handle" cp mine.yaml "$MNT/$WT/contested.yaml"
	assert_contains "$(cat "$MNT/.argofs/errors")" "modified"
	assert_contains "$(cat "$MNT/$WT/contested.yaml")" "image: alpine" "their change"
}

test_unknown_token_is_eacces_and_rotation_recovers() {
	setup
	printf 'not-the-token\n' >"$T/token"
	sleep 0.1
	journal_reset
	assert_fails "Permission denied" ls "$MNT/$WT"
	assert_contains "$(cat "$MNT/.argofs/errors")" "token not valid"
	# the file is fixed (rotated): the same mount works again
	printf 'Bearer %s\n' "$TOKEN" >"$T/token"
	sleep 2.1
	ls "$MNT/$WT" >/dev/null || fail "ls after fixing the token failed"
}

test_namespace_without_rights_is_eacces() {
	start_emulator --token "limited=argo"
	# only the limited token: argo is allowed, team-a is not
	TOKEN=limited
	mount_argofs
	ls "$MNT/argo/workflow-templates" >/dev/null || fail "allowed namespace failed"
	assert_fails "Permission denied" ls "$MNT/team-a/workflow-templates"
	assert_contains "$(cat "$MNT/.argofs/errors")" "forbidden"
}

test_server_down_fails_within_the_timeout() {
	setup
	kill "$EMU_PID"
	wait "$EMU_PID" 2>/dev/null
	sleep 2.1
	start=$(date +%s)
	assert_fails "Connection refused" ls "$MNT/$WT"
	[ $(( $(date +%s) - start )) -le 6 ] || fail "took longer than the timeout"
	assert_contains "$(cat "$MNT/.argofs/version")" "server unavailable"
}

test_invalid_names_are_enoent_without_a_request() {
	setup
	journal_reset
	assert_fails "No such file" ls "$MNT/Not_A_Namespace"
	assert_fails "No such file" ls "$MNT/argo/no-such-dir"
	assert_fails "No such file" cat "$MNT/argo/workflow-templates/x/y"
	assert_eq 0 "$(journal count-api)" "requests"
	ls "$MNT/some-other-namespace" >/dev/null || fail "a valid namespace name did not open"
}

test_read_only_refuses_writes_without_a_request() {
	start_emulator
	mount_argofs -o read_only
	make_template ro
	journal_reset
	assert_fails "Read-only file system" cp ro.yaml "$MNT/$WT/"
	assert_eq 0 "$(journal count POST "$WT_API")" "POSTs"
}

test_bad_options_exit_2() {
	start_emulator
	mkdir -p mnt
	"$ARGOFS" "$EMU_URL" mnt -o timeout=abc 2>err && fail "accepted timeout=abc"
	[ $? -eq 2 ] || fail "exit status for a bad option is not 2"
	"$ARGOFS" mnt 2>err </dev/null
	[ $? -eq 2 ] || fail "exit status without a server is not 2"
	"$ARGOFS" --help | grep -q token_file || fail "--help does not list token_file"
	"$ARGOFS" --version | grep -q "argofs" || fail "--version"
	"$ARGOFS" http://127.0.0.1:1 mnt -o token_file=/dev/null 2>err && fail "mounted an unreachable server"
	assert_contains "$(cat err)" "127.0.0.1:1"
}
