# mount(8) and fstab: `mount -t fuse.argofs` and `mount -a -T FSTAB` run
# libfuse's mount.fuse3, which runs argofs in the background. mount(8)
# gives its helpers no PATH (/bin/sh's default then applies), so each test
# runs in a private mount namespace in which the build's argofs is
# /usr/local/bin/argofs. Needs root.

# in_mount_namespace: run the bash script on stdin in a private mount
# namespace, with lib.sh's helpers, $T, $EMU_URL, $TOKEN and $ARGOFS, and
# /usr/local/bin holding argofs. Whatever it leaves mounted under $T is
# unmounted when it ends.
in_mount_namespace() {
	if [ "$(id -u)" -ne 0 ] || ! command -v unshare >/dev/null; then
		skip "mount(8) tests need root and unshare(1)"
	fi
	mkdir -p "$T/bin"
	ln -sf "$ARGOFS" "$T/bin/argofs"
	printf '%s\n' "$TOKEN" >"$T/token"
	{
		cat <<'PRELUDE'
source "$SRC/tests/integration/lib.sh"
set -u
trap 'for m in $(grep -oE " $T/[^ ]+ fuse" /proc/self/mounts | cut -d" " -f2); do umount -l "$m"; done' EXIT
mount --bind "$T/bin" /usr/local/bin
# unmounted MOUNTPOINT: umount it and wait for its daemon to exit
unmounted() {
	umount "$1" || fail "umount $1 failed"
	for _ in $(seq 100); do
		[ -z "$(fuse_daemons "$1")" ] && return 0
		sleep 0.1
	done
	fail "the daemon of $1 did not exit after umount"
}
# the daemons' sanitizer reports, if any, go to files: their stderr is gone
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:log_path=$T/asan"
PRELUDE
		cat
		# shellcheck disable=SC2016
		echo '! compgen -G "$T/asan*" >/dev/null || fail "sanitizer report: $(cat "$T"/asan*)"'
	} >"$T/ns.sh"
	export SRC T EMU_URL TOKEN ARGOFS
	unshare -m --propagation private bash "$T/ns.sh" || exit 1
}

test_mount_t_fuse_argofs_and_umount() {
	start_emulator
	in_mount_namespace <<'NS'
mkdir -p "$T/m"
mount -t fuse.argofs "$EMU_URL" "$T/m" -o "token_file=$T/token,_netdev,cache_ttl=1" ||
	fail "mount -t fuse.argofs failed"
# mount(8) returns once the mount is there
mountpoint -q "$T/m" || fail "not mounted when mount returned"
assert_contains "$(grep -F " $T/m " /proc/self/mounts)" "$EMU_URL $T/m fuse.argofs "
ls "$T/m/argo/workflow-templates" | grep -qx hello-template.yaml || fail "ls through the mount failed"
[ -n "$(fuse_daemons "$T/m")" ] || fail "no daemon"
unmounted "$T/m"
! mountpoint -q "$T/m" || fail "still mounted"
NS
}

test_mount_a_with_the_example_fstab() {
	start_emulator
	# the example's lines, with this emulator, mountpoints and token
	local n=0 opts
	while read -r _ _ type opts _; do
		n=$((n + 1))
		mkdir -p "$T/m$n"
		printf '%s %s %s %s 0 0\n' "$EMU_URL" "$T/m$n" "$type" \
			"$(printf '%s' "$opts" | sed "s|token_file=[^,]*|token_file=$T/token|")"
	done < <(grep -vE '^[[:space:]]*(#|$)' "$SRC/mount-examples/fstab") >"$T/fstab"
	[ "$n" -ge 2 ] || fail "the example fstab has $n lines"
	export N=$n
	in_mount_namespace <<'NS'
# noauto lines are left to `mount MOUNTPOINT`; the others mount with -a
mount -a -T "$T/fstab" || fail "mount -a failed"
for i in $(seq "$N"); do
	if grep -F " $T/m$i " "$T/fstab" | grep -q noauto; then
		! mountpoint -q "$T/m$i" || fail "noauto line $i was mounted by mount -a"
		mount -T "$T/fstab" "$T/m$i" || fail "mount of noauto line $i failed"
	fi
	mountpoint -q "$T/m$i" || fail "line $i is not mounted"
	ls "$T/m$i/cluster-workflow-templates" >/dev/null || fail "ls on line $i failed"
done
# mounted lines are recognised (the source is the server): nothing more runs
before=$(fuse_daemons | wc -l)
mount -a -T "$T/fstab" || fail "a second mount -a failed"
assert_eq "$before" "$(fuse_daemons | wc -l)" "FUSE daemons after a second mount -a"
for i in $(seq "$N"); do
	unmounted "$T/m$i"
done
NS
}

test_mount8_reports_why_it_failed() {
	start_emulator
	in_mount_namespace <<'NS'
mkdir -p "$T/m"
printf 'wrong\n' >"$T/wrong"
if mount -t fuse.argofs "$EMU_URL" "$T/m" -o "token_file=$T/wrong" 2>"$T/err"; then
	fail "mounted with a refused token"
fi
assert_contains "$(cat "$T/err")" "$EMU_URL: token not valid"
! mountpoint -q "$T/m" || fail "mounted anyway"
if mount -t fuse.argofs "$EMU_URL" "$T/m" -o "token_file=$T/token,no_such_option" 2>"$T/err"; then
	fail "mounted with an unknown option"
fi
assert_contains "$(cat "$T/err")" "no_such_option"
NS
}
