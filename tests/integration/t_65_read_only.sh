# -o read_only: every way of changing something fails with EROFS and sends
# nothing but reads; the mount is the kernel's read-only mount too.

test_read_only_refuses_every_write_path() {
	start_emulator
	mount_argofs -o read_only
	local ns="$MNT/argo" wt="$MNT/argo/workflow-templates" wf
	assert_contains "$(grep -F " $MNT " /proc/self/mounts)" " fuse.argofs ro,"
	# shellcheck disable=SC2010 # ls itself is what is read
	wf=$(ls "$ns/workflows" | grep -vx '@latest' | head -n 1)
	[ -n "$wf" ] || fail "no workflow in the seed to try ctl and rmdir on"
	make_template newone
	journal_reset
	assert_fails "Read-only file system" cp newone.yaml "$wt/"
	assert_fails "Read-only file system" sh -c "echo '# x' >>'$wt/hello-template.yaml'"
	assert_fails "Read-only file system" truncate -s 0 "$wt/hello-template.yaml"
	assert_fails "Read-only file system" rm "$wt/hello-template.yaml"
	assert_fails "Read-only file system" mv "$wt/hello-template.yaml" "$wt/renamed.yaml"
	assert_fails "Read-only file system" mv newone.yaml "$wt/"
	assert_fails "Read-only file system" touch "$wt/.hello-template.yaml.swp"
	assert_fails "Read-only file system" touch "$wt/hello-template.yaml"
	assert_fails "Read-only file system" chmod 600 "$wt/hello-template.yaml"
	assert_fails "Read-only file system" ln -s hello-template.yaml "$wt/link.yaml"
	assert_fails "Read-only file system" mkdir "$ns/new-dir"
	assert_fails "Read-only file system" sh -c "echo message=hi >'$ns/submit/hello-template'"
	assert_fails "Read-only file system" sh -c "echo stop >'$ns/workflows/$wf/ctl'"
	assert_fails "Read-only file system" cp newone.yaml "$ns/workflows/"
	assert_fails "Read-only file system" rmdir "$ns/workflows/$wf"
	assert_eq "" "$(journal paths | grep -v '^GET ')" "requests other than GET"
	# reading still works
	cat "$wt/hello-template.yaml" >/dev/null || fail "cat failed"
	cat "$ns/workflows/$wf/phase" >/dev/null || fail "cat of a phase failed"
}
