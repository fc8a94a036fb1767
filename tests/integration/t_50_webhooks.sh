# Webhook clients (the Secret argo-workflows-webhook-clients, through the
# Kubernetes API) and a signed GitHub event end to end.

WH=argo/webhook-clients
SECRET_API=/api/v1/namespaces/argo/secrets/argo-workflows-webhook-clients

# setup_kube [EMULATOR ARGS...]: the emulator with its Kubernetes listener,
# argofs mounted with kube_server= and the same token.
setup_kube() {
	start_emulator --kube-port 0 --kube-ready-file "$T/kube-ready" "$@"
	KUBE_URL=$(cat "$T/kube-ready")
	mount_argofs -o "kube_server=$KUBE_URL,kube_token_file=$T/token"
}

kube_api() { # METHOD PATH: the Kubernetes API directly
	curl -s -X "$1" -H "Authorization: Bearer $TOKEN" "$KUBE_URL$2"
}

# secret_keys: the keys of the webhook Secret's data, one line, sorted.
secret_keys() {
	kube_api GET "$SECRET_API" |
		python3 -c 'import json,sys; print(" ".join(sorted(json.load(sys.stdin).get("data") or {})))'
}

# secret_value KEY: one entry, decoded.
secret_value() {
	kube_api GET "$SECRET_API" |
		python3 -c 'import base64,json,sys; print(base64.b64decode(json.load(sys.stdin)["data"][sys.argv[1]]).decode())' "$1"
}

test_webhook_clients_are_listed_and_read() {
	setup_kube
	out=$(ls -l "$MNT/$WH") || fail "ls failed"
	assert_contains "$out" "-rw------- "
	assert_contains "$out" "github.com.yaml"
	text=$(cat "$MNT/$WH/github.com.yaml") || fail "cat failed"
	assert_contains "$text" "type: github"
	assert_contains "$text" "emulator-github-hook-secret"
	assert_eq "$(stat -c %s "$MNT/$WH/github.com.yaml")" "$(cat "$MNT/$WH/github.com.yaml" | wc -c)" "size"
	ls "$MNT" | grep -qx argo || fail "the namespaces the token can list are not at the root"
}

test_write_one_client_keeps_the_others() {
	setup_kube
	printf 'type: gitlab\nsecret: s3cr3t-gitlab\n' >"$MNT/$WH/gitlab-bot.yaml" || fail "create failed"
	assert_eq "github.com gitlab-bot" "$(secret_keys)" "keys"
	assert_contains "$(secret_value gitlab-bot)" "type: gitlab"
	assert_eq 1 "$(journal count PATCH "$SECRET_API")" "PATCHes"
	assert_eq 0 "$(journal count PUT "$SECRET_API")" "PUTs"
	assert_eq "application/merge-patch+json" "$(journal header PATCH "$SECRET_API" content-type)"
	# two writers of two keys at once: both survive
	printf 'type: github\nsecret: one\n' >one.yaml
	printf 'type: bitbucket\nsecret: two\n' >two.yaml
	cp one.yaml "$MNT/$WH/first.yaml" &
	first=$!
	cp two.yaml "$MNT/$WH/second.yaml" || fail "second writer failed"
	wait "$first" || fail "first writer failed"
	assert_eq "first github.com gitlab-bot second" "$(secret_keys)" "keys after two writers"
	rm "$MNT/$WH/gitlab-bot.yaml" || fail "rm failed"
	assert_eq "first github.com second" "$(secret_keys)" "keys after rm"
}

test_bad_clients_are_refused_without_a_request() {
	setup_kube
	ls "$MNT/$WH" >/dev/null
	journal_reset
	printf 'type: svn\nsecret: x\n' >bad-type.yaml
	printf 'type: github\n' >no-secret.yaml
	printf 'type: github\nsecret: [1, 2]\n' >bad-secret.yaml
	printf 'type: github\nsecret: x\nextra: 1\n' >extra.yaml
	for f in bad-type no-secret bad-secret extra; do
		assert_fails "Invalid argument" cp "$f.yaml" "$MNT/$WH/$f.yaml"
	done
	assert_eq 0 "$(journal paths | grep -c 'PATCH\|POST')" "writes sent"
	errors=$(cat "$MNT/.argofs/errors")
	assert_contains "$errors" "type must be github"
	# secret values never reach the errors or the log
	printf 'type: nope\nsecret: do-not-leak-me\n' >leak.yaml
	cp leak.yaml "$MNT/$WH/leak.yaml" 2>/dev/null
	cat "$MNT/$WH/github.com.yaml" >/dev/null
	case "$(cat "$MNT/.argofs/errors") $(cat "$T/argofs.log")" in
	*do-not-leak-me* | *emulator-github-hook-secret*) fail "a secret value was logged" ;;
	esac
}

test_the_secret_is_created_when_missing() {
	setup_kube
	curl -s -X DELETE -H "Authorization: Bearer $TOKEN" "$KUBE_URL$SECRET_API" >/dev/null
	sleep 2.1
	assert_eq "" "$(ls "$MNT/$WH")" "listing without the Secret"
	printf 'type: github\nsecret: fresh\n' >"$MNT/$WH/ci.yaml" || fail "create failed"
	assert_eq 1 "$(journal count POST /api/v1/namespaces/argo/secrets)" "Secret creations"
	assert_contains "$(secret_value ci)" "secret: fresh"
}

test_no_secret_rights_and_no_kubernetes() {
	start_emulator --kube-port 0 --kube-ready-file "$T/kube-ready" --token "limited=argo;nosecrets"
	KUBE_URL=$(cat "$T/kube-ready")
	TOKEN=limited
	mount_argofs -o "kube_server=$KUBE_URL,kube_token_file=$T/token"
	assert_fails "Permission denied" ls "$MNT/$WH"
	assert_contains "$(cat "$MNT/.argofs/errors")" "forbidden"
	ls "$MNT/argo/workflow-templates" >/dev/null || fail "the rest broke"
	umount_argofs
	# without any Kubernetes API: the directory says why, nothing else breaks
	mount_argofs
	assert_fails "Operation not supported" ls "$MNT/$WH"
	assert_contains "$(cat "$MNT/.argofs/errors")" "no Kubernetes API is configured"
	ls "$MNT/argo/workflow-templates" >/dev/null || fail "the rest broke"
}

test_a_signed_github_push_submits_the_bound_template() {
	setup_kube
	printf 'type: github\nsecret: written-through-argofs\n' >"$MNT/$WH/github.com.yaml" ||
		fail "writing the client failed"
	before=$(ls "$MNT/argo/workflows" | wc -l)
	body='{"ref":"refs/heads/main","head_commit":{"message":"pushed"}}'
	sig=$(printf '%s' "$body" | openssl dgst -sha256 -hmac written-through-argofs | sed 's/^.* //')
	status=$(curl -s -o reply -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
		-H 'X-GitHub-Event: push' -H "X-Hub-Signature-256: sha256=$sig" -d "$body" \
		"$EMU_URL/api/v1/events/argo/github")
	assert_eq 200 "$status" "event reply ($(cat reply))"
	sleep 2.1
	assert_eq $((before + 1)) "$(ls "$MNT/argo/workflows" | wc -l)" "workflows after the push"
	assert_contains "$(readlink "$MNT/argo/workflows/@latest")" "hello-template-"
	# the old secret no longer verifies
	sig=$(printf '%s' "$body" | openssl dgst -sha256 -hmac emulator-github-hook-secret | sed 's/^.* //')
	status=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'X-GitHub-Event: push' \
		-H "X-Hub-Signature-256: sha256=$sig" -d "$body" "$EMU_URL/api/v1/events/argo/github")
	assert_eq 401 "$status" "event signed with the replaced secret"
}
