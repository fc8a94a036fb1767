# Documents: workflow templates, cron workflows and cluster workflow
# templates read, created, updated and deleted with ordinary tools.

WT=argo/workflow-templates
WT_API=/api/v1/workflow-templates/argo

test_ls_costs_one_list_call() {
	setup -o cache_ttl=60
	api_template one
	api_template two
	journal_reset
	out=$(ls -l "$MNT/$WT") || fail "ls failed"
	assert_contains "$out" "one.yaml"
	assert_contains "$out" "two.yaml"
	assert_eq 1 "$(journal count GET "$WT_API")" "list calls"
	assert_eq 0 "$(journal count GET "$WT_API/*")" "per-object GETs"
	# sizes are exact: what ls says is what cat reads
	size=$(stat -c %s "$MNT/$WT/one.yaml")
	assert_eq "$size" "$(cat "$MNT/$WT/one.yaml" | wc -c)" "size of one.yaml"
	# within the TTL, a second ls costs nothing
	ls -l "$MNT/$WT" >/dev/null
	assert_eq 1 "$(journal count GET "$WT_API")" "list calls after a second ls"
}

test_cat_gives_the_object_as_yaml() {
	setup
	make_template show '"yes"'
	cp show.yaml "$MNT/$WT/" || fail "cp failed"
	out=$(cat "$MNT/$WT/show.yaml") || fail "cat failed"
	assert_contains "$out" "apiVersion: argoproj.io/v1alpha1"
	assert_contains "$out" "kind: WorkflowTemplate"
	assert_contains "$out" "  name: show"
	assert_contains "$out" "uid: "
	assert_contains "$out" "value: \"yes\"" "a string that reads as a boolean stays quoted"
	case "$out" in *managedFields*) fail "managedFields shown" ;; esac
	# reading the same bytes back in means the same object
	journal_reset
	cat "$MNT/$WT/show.yaml" >again.yaml
	cp again.yaml "$MNT/$WT/show.yaml" || fail "writing back failed"
	assert_eq 1 "$(journal count PUT "$WT_API/show")" "PUTs"
	after=$(api GET "$WT_API/show")
	assert_eq "yes" "$(json_get "$after" spec.arguments.parameters.0.value)"
}

test_cp_creates_a_template() {
	setup
	make_template greet "hi there"
	cp greet.yaml "$MNT/$WT/" || fail "cp failed"
	assert_eq 1 "$(journal count POST "$WT_API")" "POSTs"
	body=$(journal body POST "$WT_API")
	assert_eq argo "$(json_get "$body" namespace)"
	assert_eq greet "$(json_get "$body" template.metadata.name)"
	assert_eq "hi there" "$(json_get "$body" template.spec.arguments.parameters.0.value)"
	assert_eq "Bearer $TOKEN" "$(journal header POST "$WT_API" authorization)"
	ls "$MNT/$WT" | grep -qx greet.yaml || fail "greet.yaml not listed after cp"
	assert_eq greet "$(json_get "$(api GET "$WT_API/greet")" metadata.name)"
}

test_name_comes_from_metadata_else_file_name() {
	setup
	make_template inner
	cp inner.yaml "$MNT/$WT/outer.yaml" || fail "cp failed"
	ls "$MNT/$WT" | grep -qx inner.yaml || fail "not created as metadata.name"
	printf 'spec:\n  entrypoint: main\n  templates:\n  - name: main\n    container: {image: busybox}\n' \
		>"$MNT/$WT/from-file-name.yaml" || fail "write without a name failed"
	assert_eq from-file-name "$(json_get "$(api GET "$WT_API/from-file-name")" metadata.name)"
	echo '{"metadata":{"name":"as-json"},"spec":{"templates":[]}}' >"$MNT/$WT/as-json.json" ||
		fail "json write failed"
	assert_eq as-json "$(json_get "$(api GET "$WT_API/as-json")" metadata.name)"
}

test_overwrite_is_an_update_of_the_same_object() {
	setup
	make_template same first
	cp same.yaml "$MNT/$WT/" || fail "cp failed"
	uid=$(json_get "$(api GET "$WT_API/same")" metadata.uid)
	make_template same second
	journal_reset
	cp same.yaml "$MNT/$WT/same.yaml" || fail "overwrite failed"
	assert_eq 1 "$(journal count PUT "$WT_API/same")" "PUTs"
	assert_eq 0 "$(journal count DELETE "$WT_API/same")" "DELETEs"
	assert_eq 0 "$(journal count POST "$WT_API")" "POSTs"
	# no resourceVersion in the file: the current one was fetched first
	rv=$(json_get "$(journal body PUT "$WT_API/same")" template.metadata.resourceVersion)
	[ -n "$rv" ] && [ "$rv" != None ] || fail "PUT without resourceVersion"
	after=$(api GET "$WT_API/same")
	assert_eq "$uid" "$(json_get "$after" metadata.uid)" "uid"
	assert_eq second "$(json_get "$after" spec.arguments.parameters.0.value)"
	assert_contains "$(cat "$MNT/$WT/same.yaml")" "value: second" "read-your-writes"
}

test_sed_i_updates_in_place() {
	setup
	make_template edit original
	cp edit.yaml "$MNT/$WT/" || fail "cp failed"
	uid=$(json_get "$(api GET "$WT_API/edit")" metadata.uid)
	journal_reset
	sed -i 's/value: original/value: changed/' "$MNT/$WT/edit.yaml" || fail "sed -i failed"
	assert_eq 1 "$(journal count PUT "$WT_API/edit")" "PUTs"
	assert_eq 0 "$(journal count DELETE "$WT_API/edit")" "DELETEs"
	after=$(api GET "$WT_API/edit")
	assert_eq "$uid" "$(json_get "$after" metadata.uid)" "uid"
	assert_eq changed "$(json_get "$after" spec.arguments.parameters.0.value)"
	# sed's temporary file did not stay behind
	assert_eq "" "$(ls -A "$MNT/$WT" | grep -v '\.yaml$')" "leftovers after sed -i"
}

test_vim_edits_in_place() {
	command -v vim >/dev/null || fail "vim is not installed"
	setup
	make_template vimmed original
	cp vimmed.yaml "$MNT/$WT/" || fail "cp failed"
	uid=$(json_get "$(api GET "$WT_API/vimmed")" metadata.uid)
	journal_reset
	# vim -es with default settings: swap file, backup, the 4913 probe
	HOME="$T" vim -u DEFAULTS -i NONE -es -c '%s/value: original/value: by-vim/' -c 'wq' \
		"$MNT/$WT/vimmed.yaml" || fail "vim -es failed"
	assert_eq 0 "$(journal count DELETE "$WT_API/vimmed")" "DELETEs"
	assert_eq 0 "$(journal count POST "$WT_API")" "POSTs"
	after=$(api GET "$WT_API/vimmed")
	assert_eq "$uid" "$(json_get "$after" metadata.uid)" "uid"
	assert_eq by-vim "$(json_get "$after" spec.arguments.parameters.0.value)"
	assert_eq "" "$(ls -A "$MNT/$WT" | grep -v '\.yaml$')" "leftovers after vim"
}

test_mv_of_a_local_file_over_a_document() {
	setup
	make_template moved first
	cp moved.yaml "$MNT/$WT/" || fail "cp failed"
	make_template moved second
	journal_reset
	uid=$(json_get "$(api GET "$WT_API/moved")" metadata.uid)
	mv moved.yaml "$MNT/$WT/moved.yaml" || fail "mv failed"
	sleep 1.5
	assert_eq 1 "$(journal count PUT "$WT_API/moved")" "PUTs"
	assert_eq 0 "$(journal count DELETE "$WT_API/moved")" "DELETEs"
	assert_eq "$uid" "$(json_get "$(api GET "$WT_API/moved")" metadata.uid)" "uid"
	assert_eq second "$(json_get "$(api GET "$WT_API/moved")" spec.arguments.parameters.0.value)"
}

test_rm_deletes() {
	setup
	make_template doomed
	cp doomed.yaml "$MNT/$WT/" || fail "cp failed"
	rm "$MNT/$WT/doomed.yaml" || fail "rm failed"
	[ ! -e "$MNT/$WT/doomed.yaml" ] || fail "still there after rm"
	ls "$MNT/$WT" | grep -qx doomed.yaml && fail "still listed after rm"
	# the DELETE follows after a grace second (docs/filesystem.md)
	sleep 1.5
	assert_eq 1 "$(journal count DELETE "$WT_API/doomed")" "DELETEs"
	assert_contains "$(api GET "$WT_API/doomed")" '"code":5'
	assert_fails "No such file" rm "$MNT/$WT/doomed.yaml"
}

test_rename_between_documents_is_refused() {
	setup
	make_template keep
	cp keep.yaml "$MNT/$WT/" || fail "cp failed"
	journal_reset
	assert_fails "Operation not permitted" mv "$MNT/$WT/keep.yaml" "$MNT/$WT/other.yaml"
	assert_eq 0 "$(journal count DELETE "$WT_API/keep")" "DELETEs"
	assert_contains "$(cat "$MNT/.argofs/errors")" "cannot be renamed"
}

test_cron_workflows_and_cluster_templates() {
	setup
	cat >nightly.yaml <<'YAML'
apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata:
  name: nightly
spec:
  schedules: ["0 2 * * *"]
  workflowSpec:
    entrypoint: main
    templates:
    - name: main
      container: {image: busybox, command: [echo, nightly]}
YAML
	cp nightly.yaml "$MNT/argo/cron-workflows/" || fail "cp cron failed"
	body=$(journal body POST /api/v1/cron-workflows/argo)
	assert_eq nightly "$(json_get "$body" cronWorkflow.metadata.name)"
	assert_contains "$(cat "$MNT/argo/cron-workflows/nightly.yaml")" "0 2 * * *"
	sed -i 's/0 2/0 3/' "$MNT/argo/cron-workflows/nightly.yaml" || fail "sed cron failed"
	assert_eq 1 "$(journal count PUT /api/v1/cron-workflows/argo/nightly)"

	sed -e 's/kind: WorkflowTemplate/kind: ClusterWorkflowTemplate/' <(make_template shared; cat shared.yaml) >cwt.yaml
	cp cwt.yaml "$MNT/cluster-workflow-templates/shared.yaml" || fail "cp cluster template failed"
	body=$(journal body POST /api/v1/cluster-workflow-templates)
	assert_eq shared "$(json_get "$body" template.metadata.name)"
	assert_eq None "$(json_get "$body" namespace)" "cluster body namespace"
	ls "$MNT/cluster-workflow-templates" | grep -qx shared.yaml || fail "cluster template not listed"
	rm "$MNT/cluster-workflow-templates/shared.yaml" || fail "rm cluster template failed"
	sleep 1.5
	assert_eq 1 "$(journal count DELETE /api/v1/cluster-workflow-templates/shared)"
}

test_find_and_grep_walk_the_tree() {
	setup -o namespace=argo
	make_template findme "needle-in-haystack"
	cp findme.yaml "$MNT/$WT/" || fail "cp failed"
	find "$MNT" -type f >files || fail "find failed"
	grep -qx "$MNT/$WT/findme.yaml" files || fail "find did not see findme.yaml: $(cat files)"
	grep -qx "$MNT/.argofs/errors" files || fail "find did not see .argofs/errors"
	out=$(grep -rl needle-in-haystack "$MNT/argo") || fail "grep -r found nothing"
	assert_eq "$MNT/$WT/findme.yaml" "$out"
}

test_shell_redirection_creates_and_updates() {
	setup
	make_template redirected first
	cat redirected.yaml >"$MNT/$WT/redirected.yaml" || fail "cat > failed"
	assert_eq first "$(json_get "$(api GET "$WT_API/redirected")" spec.arguments.parameters.0.value)"
	make_template redirected second
	cat redirected.yaml >"$MNT/$WT/redirected.yaml" || fail "cat > over it failed"
	assert_eq second "$(json_get "$(api GET "$WT_API/redirected")" spec.arguments.parameters.0.value)"
	assert_eq "" "$(cat "$MNT/.argofs/errors")" "errors after redirections"
	# truncating without writing changes nothing, and says so
	journal_reset
	: >"$MNT/$WT/redirected.yaml"
	assert_eq 0 "$(journal count PUT "$WT_API/redirected")" "PUTs"
	assert_contains "$(cat "$MNT/.argofs/errors")" "nothing was written"
	assert_contains "$(cat "$MNT/$WT/redirected.yaml")" "value: second"
}
