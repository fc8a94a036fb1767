# Regressions: bugs found by the reliability and security work (issue 7) in
# the core, now fixed. The comment above each test says what the bug was and
# where the fix is.

# shellcheck source=reliability.sh
source "$SRC/tests/integration/reliability.sh"

WT=argo/workflow-templates
WT_API=/api/v1/workflow-templates/argo

# src/fsops.c: fs_write() refuses to grow a file past 4 MiB (EFBIG), but the
# open file stays dirty and written, so close() -> commit() sends the first
# 4 MiB: a truncated document is created (or replaces the object) although
# cp reported the error. The EFBIG is not recorded in .argofs/errors either.
# Fix: remember a failed write or truncate in struct open_file (e.g. set
# of->failed = -EFBIG and a "broken" flag that only an O_TRUNC open or a
# truncate to 0 clears); commit() then sends nothing, returns that errno and
# records "the text was not completely written: nothing sent".
test_regression_oversize_document_sends_nothing() {
	setup
	python3 - <<'PY'
# spec first, then a 5 MiB literal block: cut anywhere, the rest is still YAML
lines = ["spec:", "  entrypoint: main", "  templates:", "  - name: main",
         "    container: {image: busybox}", "metadata:", "  name: huge", "  annotations:",
         "    big: |"]
lines += ["      " + "x" * 70] * (5 * 1024 * 1024 // 77)
open("huge.yaml", "w").write("\n".join(lines) + "\n")
PY
	ls "$MNT/$WT" >/dev/null
	journal_reset
	assert_fails "File too large" cp huge.yaml "$MNT/$WT/"
	assert_eq 0 "$(journal count POST "$WT_API")" "POSTs of a document cut at 4 MiB"
	assert_contains "$(api GET "$WT_API/huge")" "not found" "the object huge"
	assert_contains "$(grep huge.yaml "$MNT/.argofs/errors")" "EFBIG"
}

# src/model.c: dir_refresh() keeps every item of a list reply, so a reply
# that names an object twice (a hostile server; or pages that overlap when
# the list changes between them) lists the file twice, with two sizes, and
# stat/cat use one of them. Found by tests/fuzz/fuzz_reply.c (input in
# tests/data/fuzz/regressions/reply/). Fix: after the qsort in
# dir_refresh(), drop adjacent entries with the same name (keep the last,
# log a warning).
test_regression_duplicate_names_are_listed_once() {
	start_hostile
	mount_argofs
	assert_eq "twin.yaml" "$(ls "$MNT/duplicates/workflow-templates")" "listing with a name twice"
	size=$(stat -c %s "$MNT/duplicates/workflow-templates/twin.yaml")
	assert_eq "$size" "$(wc -c <"$MNT/duplicates/workflow-templates/twin.yaml")" "size of twin.yaml"
}

# src/api.c: argo_list() follows metadata.continue for as long as the server
# sends one, so a server (or proxy) that always sends one makes `ls` run
# forever while the daemon's memory grows by one page each time. Fix: stop
# with -EPROTO (message "list reply: endless continue") when a continue
# token repeats or after a bound (e.g. 1000 pages or 1,000,000 items).
test_regression_endless_list_is_refused() {
	start_hostile
	mount_argofs -o timeout=2
	# a FUSE request the daemon is working on cannot be interrupted (the
	# caller is in D state): only killing the daemon frees it
	ls "$MNT/endless/workflow-templates" >/dev/null 2>err &
	lister=$!
	for _ in $(seq 60); do
		kill -0 "$lister" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$lister" 2>/dev/null; then
		kill -9 "$ARGOFS_PID"
		fusermount3 -u -z "$MNT"
		wait "$lister"
		ARGOFS_PID=
		fail "ls of an endless list did not return within 6 s"
	fi
	wait "$lister" && fail "ls of an endless list succeeded"
	assert_contains "$(cat err)" "timed out"
}

# src/api.c: a list reply that is not an object (a JSON list, a string) is
# taken for "no items" (json_object_get() of a non-object is NULL, which
# collect_items() reads as an omitted empty list), so the directory shows
# empty instead of failing. Fix: in argo_list(), refuse a reply that is not
# a JSON object with -EPROTO ("list reply is not an object").
test_regression_list_reply_that_is_not_an_object_is_refused() {
	start_hostile
	mount_argofs
	assert_fails "Protocol error" ls "$MNT/toplist/workflow-templates"
}

# src/model.c: document_check() checks apiVersion, kind and metadata, but
# not spec, so `spec: [1, 2]` (or `spec: 5`) is POSTed and only the server
# refuses it (400 "spec must be an object"). Fix: in document_check(),
# refuse a spec (and status) that is present, not null and not a mapping:
# "spec must be a mapping".
test_regression_spec_of_a_wrong_type_sends_nothing() {
	setup
	printf 'metadata: {name: speclist}\nspec: [1, 2]\n' >speclist.yaml
	ls "$MNT/$WT" >/dev/null
	journal_reset
	assert_fails "Invalid argument" cp speclist.yaml "$MNT/$WT/"
	assert_eq 0 "$(journal count POST "$WT_API")" "POSTs"
	assert_contains "$(cat "$MNT/.argofs/errors")" "spec must be a mapping"
}

# src/api.c: argo_valid_name() accepts names that are not DNS-1123
# subdomains: empty labels ("a..b") and labels that start or end with '-'
# ("a.-b", "a-.b"). Such a file is taken for a document, and its create is
# sent for the server to refuse, instead of being a scratch file. Fix: check
# each '.'-separated label: non-empty, [a-z0-9-], alphanumeric at both ends.
test_regression_names_that_are_not_dns_subdomains_are_not_documents() {
	setup
	make_template named
	ls "$MNT/$WT" >/dev/null
	journal_reset
	for name in a..b a.-b a-.b; do
		cp named.yaml "$MNT/$WT/$name.yaml" || fail "$name.yaml refused as a scratch file"
	done
	assert_eq 0 "$(journal count POST "$WT_API")" "POSTs"
}

# src/runs.c: key_value_lines() appends json_stringn(line) without checking
# it, and jansson refuses text that is not UTF-8 (NULL), so a parameter line
# such as "message=caf\xe9" (Latin-1) is dropped without a word and the
# workflow runs with the template's default. Found by
# tests/fuzz/fuzz_submit.c (tests/data/fuzz/regressions/submit/). Fix: in
# key_value_lines(), refuse a line jansson will not take: -EINVAL with
# "line N: not valid UTF-8", nothing submitted.
test_regression_submit_line_that_is_not_utf8_is_refused() {
	setup
	journal_reset
	printf 'message=caf\351\n' >latin1
	assert_fails "Invalid argument" cp latin1 "$MNT/argo/submit/hello-template"
	assert_eq 0 "$(journal count POST /api/v1/workflows/argo/submit)" "submits"
}

# src/options.c (or src/main.c): with -o allow_other and without
# default_permissions, every local user can write through the mount with the
# owner's token (argofs checks no uid; files are 0644, directories 0755 but
# nothing enforces it). Fix: when allow_other is given, also pass
# default_permissions to FUSE (and document it in docs/security.md and the
# man page), so that the kernel enforces the modes argofs shows.
test_regression_allow_other_implies_default_permissions() {
	if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null; then
		echo "SKIP: needs root and setpriv to act as another user"
		return 0
	fi
	chmod 755 "$T"
	start_emulator
	mount_argofs -o allow_other
	make_template intruder
	chmod 644 intruder.yaml
	journal_reset
	setpriv --reuid=65534 --regid=65534 --clear-groups cp intruder.yaml "$MNT/$WT/" 2>/dev/null &&
		fail "another user created a template with the owner's token"
	assert_eq 0 "$(journal count POST "$WT_API")" "POSTs by another user"
}

# src/runs.c: ns_refresh() keeps every item of the workflows list reply, so
# a reply that names a workflow twice (a hostile server; or pages that
# overlap when the list changes between them) lists its directory twice,
# as model.c did for documents. Found by tests/fuzz/fuzz_reply.c
# (tests/data/fuzz/regressions/reply/duplicate-workflows). Fix: in
# ns_refresh(), drop items whose name is already taken (keep the one with
# the higher resourceVersion, log a warning) before sorting.
test_regression_duplicate_workflows_are_listed_once() {
	start_hostile
	mount_argofs
	ls "$MNT/duplicates/workflows" >listing || fail "ls of the workflows failed"
	assert_eq 1 "$(grep -cx twin listing)" "listings of twin"
}
