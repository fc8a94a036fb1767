# Workflows as runs: submit from a template, watch the phase, read logs and
# summary, act on runs with ctl, create from a Workflow file, delete.

WF=argo/workflows
WF_API=/api/v1/workflows/argo

# steps_template NAME N [EXIT]: a WorkflowTemplate with N sequential steps,
# each printing "line-I"; with EXIT, the last step exits with that code.
steps_template() {
	local name=$1 n=$2 code=${3:-0}
	{
		printf 'apiVersion: argoproj.io/v1alpha1\nkind: WorkflowTemplate\nmetadata:\n  name: %s\n' "$name"
		printf 'spec:\n  entrypoint: main\n  arguments:\n    parameters:\n    - name: message\n      value: default\n'
		printf '  templates:\n  - name: main\n    steps:\n'
		for i in $(seq "$n"); do
			printf '    - - name: s%d\n        template: say\n        arguments:\n          parameters:\n          - {name: text, value: "line-%d {{workflow.parameters.message}}"}\n' "$i" "$i"
		done
		printf '  - name: say\n    inputs:\n      parameters:\n      - name: text\n    container:\n      image: busybox\n      command: [sh, -c]\n'
		if [ "$code" != 0 ]; then
			printf '      args: ["echo {{inputs.parameters.text}}; exit %s"]\n' "$code"
		else
			printf '      args: ["echo {{inputs.parameters.text}}"]\n'
		fi
	} >"$name.yaml"
	cp "$name.yaml" "$MNT/argo/workflow-templates/" || fail "cp of template $name failed"
}

# wait_phase NAME PHASE [SECONDS]: poll the phase file.
wait_phase() {
	local phase
	for _ in $(seq $(( ${3:-15} * 10 ))); do
		phase=$(cat "$MNT/$WF/$1/phase" 2>/dev/null)
		[ "$phase" = "$2" ] && return 0
		sleep 0.1
	done
	fail "$1 did not reach $2 (last phase '$phase')"
}

test_submit_a_template_and_read_its_run() {
	setup -o cache_ttl=0.5
	make_template exercise
	cp exercise.yaml "$MNT/argo/workflow-templates/" || fail "cp failed"
	echo "message=hello from the exercise" >"$MNT/argo/submit/exercise" || fail "submit failed"
	name=$(cat "$MNT/argo/submit/exercise")
	assert_contains "$name" "exercise-"
	body=$(journal body POST "$WF_API/submit")
	assert_eq WorkflowTemplate "$(json_get "$body" resourceKind)"
	assert_eq exercise "$(json_get "$body" resourceName)"
	assert_eq '["message=hello from the exercise"]' "$(json_get "$body" submitOptions.parameters)"
	[ -d "$MNT/$WF/$name" ] || fail "no directory for $name"
	assert_eq "$name" "$(readlink "$MNT/$WF/@latest")" "@latest"
	wait_phase "$name" Succeeded
	assert_eq "$name: hello from the exercise" "$(cat "$MNT/$WF/$name/log")" "log"
	summary=$(cat "$MNT/$WF/$name/summary")
	assert_contains "$summary" "Status:              Succeeded"
	assert_contains "$summary" "  message:           hello from the exercise"
	assert_contains "$summary" "STEP"
	assert_contains "$(cat "$MNT/$WF/$name/workflow.yaml")" "kind: Workflow"
	# every file reads whole: the size stat gives is what cat reads
	for f in phase summary workflow.yaml log; do
		assert_eq "$(stat -c %s "$MNT/$WF/$name/$f")" "$(cat "$MNT/$WF/$name/$f" | wc -c)" "size of $f"
	done
}

test_submit_options_as_yaml_and_defaults() {
	setup
	make_template opts
	cp opts.yaml "$MNT/argo/workflow-templates/" || fail "cp failed"
	printf 'parameters:\n  message: from yaml\nlabels:\n  team: a\nentryPoint: main\n' \
		>"$MNT/argo/submit/opts" || fail "YAML submit failed"
	body=$(journal body POST "$WF_API/submit")
	assert_eq '["message=from yaml"]' "$(json_get "$body" submitOptions.parameters)"
	assert_eq "team=a" "$(json_get "$body" submitOptions.labels)"
	assert_eq "main" "$(json_get "$body" submitOptions.entryPoint)"
	echo >"$MNT/argo/submit/opts" || fail "submit with defaults failed"
	assert_eq '{}' "$(journal body POST "$WF_API/submit" submitOptions)"
	assert_eq 2 "$(journal count POST "$WF_API/submit")"
}

test_submit_refuses_unknown_parameters_and_options() {
	setup
	make_template strict
	cp strict.yaml "$MNT/argo/workflow-templates/" || fail "cp failed"
	# shells do not check close(): the failure shows when the entry is read
	echo nope=1 >"$MNT/argo/submit/strict"
	assert_fails "Invalid argument" cat "$MNT/argo/submit/strict"
	printf 'bogus: 1\n' >"$MNT/argo/submit/strict"
	assert_fails "Invalid argument" cat "$MNT/argo/submit/strict"
	# tools that check close() see it there
	printf 'nope=2\n' >params.txt
	assert_fails "Invalid argument" cp params.txt "$MNT/argo/submit/strict"
	assert_eq 0 "$(journal count POST "$WF_API/submit")" "submits"
	errors=$(cat "$MNT/.argofs/errors")
	assert_contains "$errors" "no parameter 'nope'"
	assert_contains "$errors" "unknown submit option 'bogus'"
	assert_fails "No such file" bash -c "echo >'$MNT/argo/submit/no-such-template'"
}

test_tail_f_follows_a_running_log() {
	setup
	steps_template slow 8
	echo "message=tailed" >"$MNT/argo/submit/slow" || fail "submit failed"
	name=$(cat "$MNT/argo/submit/slow")
	tail -n +1 -f "$MNT/$WF/$name/log" >tailed.txt 2>tail.err &
	tail_pid=$!
	sleep 0.5
	[ "$(cat "$MNT/$WF/$name/phase")" = Succeeded ] && fail "finished before tail could follow it"
	wait_phase "$name" Succeeded 20
	sleep 2.5 # tail polls once a second
	kill "$tail_pid"
	wait "$tail_pid" 2>/dev/null
	for i in $(seq 8); do
		grep -q "line-$i tailed" tailed.txt || fail "tail -f missed line-$i: $(cat tailed.txt tail.err)"
	done
	assert_eq "$(cat "$MNT/$WF/$name/log")" "$(cat tailed.txt)" "what tail -f saw"
	assert_eq 8 "$(wc -l <tailed.txt)" "lines"
}

test_a_failing_workflow_ends_failed() {
	setup -o cache_ttl=0.5
	steps_template failing 2 3
	echo >"$MNT/argo/submit/failing" || fail "submit failed"
	name=$(cat "$MNT/argo/submit/failing")
	wait_phase "$name" Failed
	summary=$(cat "$MNT/$WF/$name/summary")
	assert_contains "$summary" "Status:              Failed"
	assert_contains "$summary" "Message:"
	assert_contains "$summary" "exit code 3"
	echo retry >"$MNT/$WF/$name/ctl" || fail "retry of a failed workflow failed"
	assert_eq 1 "$(journal count PUT "$WF_API/$name/retry")" "retries"
	assert_eq false "$(journal body PUT "$WF_API/$name/retry" restartSuccessful)"
}

test_terminate_a_running_workflow() {
	setup -o cache_ttl=0.5
	steps_template long 30
	echo >"$MNT/argo/submit/long" || fail "submit failed"
	name=$(cat "$MNT/argo/submit/long")
	wait_phase "$name" Running
	echo terminate >"$MNT/$WF/$name/ctl" || fail "terminate failed"
	assert_eq 1 "$(journal count PUT "$WF_API/$name/terminate")"
	wait_phase "$name" Failed
}

test_cp_of_a_workflow_file_creates_a_run() {
	setup
	cat >hello-world.yaml <<'YAML'
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: hello-world-
spec:
  entrypoint: main
  templates:
  - name: main
    container:
      image: busybox
      command: [echo, hello world]
YAML
	cp hello-world.yaml "$MNT/$WF/" || fail "cp failed"
	body=$(journal body POST "$WF_API")
	assert_eq argo "$(json_get "$body" namespace)"
	assert_eq hello-world- "$(json_get "$body" workflow.metadata.generateName)"
	latest=$(readlink "$MNT/$WF/@latest")
	assert_contains "$latest" "hello-world-"
	[ -d "$MNT/$WF/$latest" ] || fail "new run not listed"
	[ ! -e "$MNT/$WF/hello-world.yaml" ] || fail "the file stayed after create"
	printf 'kind: WorkflowTemplate\n' >wrong.yaml
	assert_fails "Invalid argument" cp wrong.yaml "$MNT/$WF/"
}

test_ctl_acts_on_runs() {
	setup -o cache_ttl=0.5
	echo >"$MNT/argo/submit/approval" || fail "submit of the seed's approval failed"
	name=$(cat "$MNT/argo/submit/approval")
	sleep 1.5 # it stops at its suspend step
	assert_eq Running "$(cat "$MNT/$WF/$name/phase")"
	echo resume >"$MNT/$WF/$name/ctl" || fail "resume failed"
	assert_eq 1 "$(journal count PUT "$WF_API/$name/resume")"
	wait_phase "$name" Succeeded
	# the server refuses to suspend a finished workflow: so does the write
	assert_fails "Invalid argument" bash -c "echo suspend >'$MNT/$WF/$name/ctl'"
	assert_contains "$(cat "$MNT/.argofs/errors")" "cannot suspend completed workflows"
	assert_fails "Invalid argument" bash -c "echo dance >'$MNT/$WF/$name/ctl'"
	assert_eq 0 "$(journal count PUT "$WF_API/$name/dance")"
	echo resubmit >"$MNT/$WF/$name/ctl" || fail "resubmit failed"
	newest=$(readlink "$MNT/$WF/@latest")
	[ "$newest" != "$name" ] || fail "resubmit made no new workflow"
	echo stop >"$MNT/$WF/$newest/ctl" || fail "stop failed"
	assert_eq 1 "$(journal count PUT "$WF_API/$newest/stop")"
	assert_contains "$(cat "$MNT/$WF/$name/ctl")" "stop terminate suspend resume retry resubmit"
}

test_rmdir_and_rm_r_delete_runs() {
	setup
	make_template gone
	cp gone.yaml "$MNT/argo/workflow-templates/" || fail "cp failed"
	echo >"$MNT/argo/submit/gone" && first=$(cat "$MNT/argo/submit/gone")
	echo >"$MNT/argo/submit/gone" && second=$(cat "$MNT/argo/submit/gone")
	rmdir "$MNT/$WF/$first" || fail "rmdir failed"
	rm -r "$MNT/$WF/$second" || fail "rm -r failed"
	assert_eq 1 "$(journal count DELETE "$WF_API/$first")"
	assert_eq 1 "$(journal count DELETE "$WF_API/$second")"
	ls "$MNT/$WF" | grep -qx "$first" && fail "$first still listed"
	ls "$MNT/$WF" | grep -qx "$second" && fail "$second still listed"
	return 0
}

test_status_of_many_runs_costs_one_list_call() {
	setup -o cache_ttl=30
	make_template many
	cp many.yaml "$MNT/argo/workflow-templates/" || fail "cp failed"
	for _ in $(seq 10); do api POST "$WF_API/submit" \
		'{"namespace":"argo","resourceKind":"WorkflowTemplate","resourceName":"many"}' >/dev/null; done
	sleep 1.1 # creation times have whole seconds
	api POST "$WF_API/submit" '{"namespace":"argo","resourceKind":"WorkflowTemplate","resourceName":"many"}' >/dev/null
	journal_reset
	ls -lt "$MNT/$WF" >/dev/null || fail "ls failed"
	cat "$MNT/$WF"/*/phase >/dev/null || fail "cat of every phase failed"
	assert_eq 1 "$(journal count GET "$WF_API")" "list calls"
	assert_eq 0 "$(journal count GET "$WF_API/*")" "per-workflow GETs"
	assert_contains "$(journal query GET "$WF_API")" '"fields":["metadata,items.metadata.name' "list projection"
	# ls -t: newest first, as their mtime is their creation time
	assert_eq "$(readlink "$MNT/$WF/@latest")" "$(ls -t "$MNT/$WF" | grep -v '^@latest$' | head -n 1)" "ls -t"
}

test_submit_cluster_and_cron_templates() {
	setup
	echo >"$MNT/argo/submit-cluster/cluster-hello" || fail "cluster submit failed"
	assert_eq ClusterWorkflowTemplate "$(journal body POST "$WF_API/submit" resourceKind | tr -d '"')"
	echo >"$MNT/argo/submit-cron/nightly-report" || fail "cron submit failed"
	assert_eq CronWorkflow "$(journal body POST "$WF_API/submit" resourceKind | tr -d '"')"
	ls "$MNT/argo/submit-cluster" | grep -qx cluster-hello || fail "submit-cluster lists no cluster-hello"
	ls "$MNT/argo/submit" | grep -qx hello-template || fail "submit lists no hello-template"
}
