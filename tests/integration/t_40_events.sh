# Events and workflow event bindings: a write to NS/events/DISCRIMINATOR
# posts the payload; bindings are listed read-only.

EV_API=/api/v1/events/argo

test_event_payloads_are_posted() {
	setup
	echo '{"ref": "refs/heads/main", "n": 12345678901234567890}' >"$MNT/argo/events/ci" ||
		fail "JSON event failed"
	assert_eq 1 "$(journal count POST "$EV_API/ci")" "events"
	# JSON is sent as it is (a number jansson cannot hold survives)
	assert_contains "$(journal body POST "$EV_API/ci")" '"n":12345678901234567890'
	printf 'ref: refs/heads/main\npushed: yes\n' >"$MNT/argo/events/yaml-one" || fail "YAML event failed"
	assert_eq '{"pushed":true,"ref":"refs/heads/main"}' "$(journal body POST "$EV_API/yaml-one")"
	printf 'a: [unclosed\n' >bad.yaml
	assert_fails "Invalid argument" cp bad.yaml "$MNT/argo/events/bad"
	assert_eq 0 "$(journal count POST "$EV_API/bad")" "events sent for a bad payload"
	assert_contains "$(cat "$MNT/.argofs/errors")" "neither JSON nor YAML"
	assert_eq "" "$(ls "$MNT/argo/events")" "events directory after sending"
}

test_an_event_submits_the_bound_template() {
	cp -r "$SEED" "$T/seed"
	cat >"$T/seed/argo/binding-from-argofs.yaml" <<'YAML'
apiVersion: argoproj.io/v1alpha1
kind: WorkflowEventBinding
metadata:
  name: on-deploy
spec:
  event:
    selector: discriminator == "deploy" && payload.env == "prod"
  submit:
    workflowTemplateRef:
      name: hello-template
    arguments:
      parameters:
        - name: message
          valueFrom:
            event: payload.env
YAML
	start_emulator --seed "$T/seed"
	mount_argofs -o cache_ttl=0.5
	before=$(ls "$MNT/argo/workflows" | wc -l)
	echo '{"env": "prod"}' >"$MNT/argo/events/deploy" || fail "event failed"
	sleep 0.6
	assert_eq $((before + 1)) "$(ls "$MNT/argo/workflows" | wc -l)" "workflows after the event"
	latest=$(readlink "$MNT/argo/workflows/@latest")
	assert_contains "$latest" "hello-template-"
	ls "$MNT/argo/workflow-event-bindings" | grep -qx on-deploy.yaml || fail "binding not listed"
}

test_bindings_are_read_only() {
	setup
	ls -l "$MNT/argo/workflow-event-bindings" | grep -q 'r--r--r--.*on-push-to-main.yaml' ||
		fail "binding not listed read-only: $(ls -l "$MNT/argo/workflow-event-bindings")"
	out=$(cat "$MNT/argo/workflow-event-bindings/on-push-to-main.yaml") || fail "cat failed"
	assert_contains "$out" "kind: WorkflowEventBinding"
	assert_contains "$out" "hello-template"
	journal_reset
	assert_fails "Permission denied" cp "$MNT/argo/workflow-event-bindings/on-push-to-main.yaml" \
		"$MNT/argo/workflow-event-bindings/copy.yaml"
	assert_fails "Permission denied" rm "$MNT/argo/workflow-event-bindings/on-push-to-main.yaml"
	assert_eq 0 "$(journal count-api)" "requests for refused writes"
}
