# Bad input: broken and hostile documents written through the mount, names
# that are not documents, and a server that sends what no Argo Server
# should (tests/integration/hostile_server.py). Each bad document is refused
# with its errno and a reason in .argofs/errors, nothing is written to the
# server, a bad reply is refused or its bad items skipped with a log line,
# and the daemon stays up.

# shellcheck source=reliability.sh
source "$SRC/tests/integration/reliability.sh"

WT=argo/workflow-templates

# no_writes: the journal holds reads only.
no_writes() {
	local writes
	writes=$(journal paths | grep -vE '^GET ') && fail "requests that write were sent: $writes"
	return 0
}

# bad_document FILE MESSAGE: cp of FILE into $WT fails with EINVAL, and
# .argofs/errors has a line for it that contains MESSAGE.
bad_document() {
	assert_fails "Invalid argument" cp "$1" "$MNT/$WT/"
	grep -F -- "/$WT/$1 " "$MNT/.argofs/errors" | grep -qF -- "$2" ||
		fail "no line for $1 with '$2' in .argofs/errors: $(grep -F "$1" "$MNT/.argofs/errors")"
	[ ! -e "$MNT/$WT/$1" ] || fail "refused $1 left in the directory"
}

# nested N: a mapping nested N levels deep, in block style.
nested() {
	python3 -c 'import sys
n = int(sys.argv[1])
print("metadata: {name: deep}")
print("spec:")
for i in range(n):
    print("  " * (i + 1) + "k%d:" % i)
print("  " * (n + 1) + "leaf")' "$1"
}

test_broken_documents_are_refused_without_a_write() {
	setup
	printf 'metadata:\n  name: broken\nspec: [unclosed\n' >invalid.yaml
	printf 'metadata:\n\tname: tabs\n' >tabs.yaml
	printf 'metadata: 5\nspec: {}\n' >metadata-number.yaml
	printf 'metadata: [a, b]\n' >metadata-list.yaml
	printf 'metadata: {name: 5}\n' >name-number.yaml
	printf 'metadata: {name: ../../etc}\n' >name-dotdot.yaml
	printf 'metadata: {name: a/b}\n' >name-slash.yaml
	printf 'metadata: {name: Upper_Case}\n' >name-upper.yaml
	printf 'just a string\n' >scalar.yaml
	printf -- '- a\n- b\n' >list.yaml
	printf 'kind: Pod\nmetadata: {name: pod}\n' >unknown-kind.yaml
	printf 'kind: [WorkflowTemplate]\nmetadata: {name: kinds}\n' >kind-list.yaml
	printf 'apiVersion: v1\nmetadata: {name: v1}\n' >api-version.yaml
	printf 'metadata: {name: a}\n---\nmetadata: {name: b}\n' >two-documents.yaml
	printf 'metadata: {name: a}\nmetadata: {name: b}\n' >duplicate-keys.yaml
	printf 'metadata: {name: other, namespace: kube-system}\n' >other-namespace.yaml
	printf 'metadata: {name: inf}\nspec: {x: .inf}\n' >infinity.yaml
	printf 'metadata: {name: tag}\nspec: {x: !!int abc}\n' >bad-tag.yaml
	printf 'metadata: {name: alias}\nspec: *nowhere\n' >unknown-alias.yaml
	printf -- '---\n' >empty-document.yaml
	printf 'metadata:\n  name: nul\0\n' >nul-byte.yaml
	printf 'metadata:\n  name: utf\n  annotations: {a: "\377\376"}\n' >invalid-utf8.yaml
	printf '{"metadata": {"name": "j"}' >unterminated.json
	nested 100 >deep.yaml
	{
		echo 'metadata: {name: laughs}'
		echo 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'
		prev=a
		for n in b c d e f g h i; do
			echo "$n: &$n [*$prev,*$prev,*$prev,*$prev,*$prev,*$prev,*$prev,*$prev,*$prev]"
			prev=$n
		done
	} >laughs.yaml
	ls "$MNT/$WT" >/dev/null # a fresh listing answers the lookups
	journal_reset

	bad_document invalid.yaml "did not find expected"
	bad_document tabs.yaml "line 2"
	bad_document metadata-number.yaml "metadata must be a mapping"
	bad_document metadata-list.yaml "metadata must be a mapping"
	bad_document name-number.yaml "metadata.name must be"
	bad_document name-dotdot.yaml "metadata.name must be"
	bad_document name-slash.yaml "metadata.name must be"
	bad_document name-upper.yaml "metadata.name must be"
	bad_document scalar.yaml "not a mapping"
	bad_document list.yaml "not a mapping"
	bad_document unknown-kind.yaml "kind 'Pod' does not belong"
	bad_document kind-list.yaml "does not belong"
	bad_document api-version.yaml "apiVersion must be"
	bad_document two-documents.yaml "multiple YAML documents"
	bad_document duplicate-keys.yaml "already set"
	bad_document other-namespace.yaml "does not match"
	bad_document infinity.yaml "cannot be represented in JSON"
	bad_document bad-tag.yaml "cannot decode"
	bad_document unknown-alias.yaml "unknown anchor"
	bad_document empty-document.yaml "empty document"
	bad_document nul-byte.yaml "NUL byte"
	bad_document invalid-utf8.yaml "invalid UTF-8"
	bad_document unterminated.json "line 1"
	bad_document deep.yaml "nesting deeper than 64 levels"
	bad_document laughs.yaml "aliases expand to more than 100000 nodes"
	no_writes
	alive
	# the same mount still writes a good document
	make_template fine
	cp fine.yaml "$MNT/$WT/" || fail "a good document after the bad ones failed"
}

test_names_that_are_not_documents_never_reach_the_server() {
	setup
	make_template named
	long=$(printf 'n%.0s' $(seq 251))
	ls "$MNT/$WT" >/dev/null
	journal_reset
	# over 255 bytes: the kernel refuses the name itself
	assert_fails "File name too long" cp named.yaml "$MNT/$WT/${long}x.yaml"
	# 254 bytes that are not an object name (upper case), "..yaml", a name
	# with a space: scratch files of the directory, never sent
	upper=$(printf 'N%.0s' $(seq 249))
	for name in "$upper.yaml" "..yaml" ".yaml" "with space.yaml" "-dash.yaml"; do
		cp named.yaml "$MNT/$WT/$name" || fail "scratch file '$name' refused"
		cmp -s named.yaml "$MNT/$WT/$name" || fail "scratch file '$name' does not read back"
	done
	# paths that climb out of the directory stay inside the mount, where
	# nothing else can be created
	assert_fails "" cp named.yaml "$MNT/$WT/../../outside.yaml"
	assert_fails "" cp named.yaml "$MNT/$WT/../escape.yaml"
	[ ! -e "$MNT/outside.yaml" ] || fail "a file appeared at the root"
	no_writes
	alive
}

test_hostile_list_replies_are_refused_or_skipped() {
	start_hostile
	mount_argofs -o timeout=5
	out=$(ls -a "$MNT/names/workflow-templates") || fail "ls of the bad names failed"
	assert_eq "$(printf '.\n..\ngood-one.yaml\nok.two.yaml')" "$out" "listing with bad names"
	assert_contains "$(cat "$T/argofs.log")" "skipping a list item"
	cat "$MNT/names/workflow-templates/good-one.yaml" >/dev/null || fail "cat of a good item failed"
	# nothing found from there lies outside the directory
	find "$MNT/names" >found || fail "find failed"
	grep -v "^$MNT/names" found && fail "find left the directory"
	assert_eq "$(printf '%s\n' "$MNT/names/workflow-templates/good-one.yaml" \
		"$MNT/names/workflow-templates/ok.two.yaml")" "$(grep -F .yaml found)" "documents found"
	assert_fails "Protocol error" ls "$MNT/notjson/workflow-templates"
	assert_fails "Protocol error" ls "$MNT/itemsobject/workflow-templates"
	assert_fails "Protocol error" ls "$MNT/itemsstring/workflow-templates"
	assert_fails "File too large" ls "$MNT/oversize/workflow-templates"
	assert_fails "File too large" ls "$MNT/chunked/workflow-templates"
	errors=$(cat "$MNT/.argofs/errors")
	assert_contains "$errors" "list /notjson/workflow-templates"
	assert_contains "$errors" "not JSON"
	assert_contains "$errors" "list /oversize/workflow-templates - EFBIG"
	alive
	ls "$MNT/names/workflow-templates" >/dev/null || fail "the mount no longer works"
}
