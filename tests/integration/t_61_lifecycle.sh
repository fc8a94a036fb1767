# The daemon's lifecycle: signals (SIGTERM/SIGINT unmount and exit 0,
# SIGHUP drops the caches and re-reads the token and keeps the mount), a
# dead mount left by a killed daemon, systemd's readiness notification,
# detaching in the background, the log (stderr, then syslog; failures once;
# never a token) and the exit statuses.

WT=argo/workflow-templates

no_daemon() { [ -z "$(fuse_daemons "$MNT")" ]; }

exited() { # PID: gone, or a zombie
	[ ! -e "/proc/$1" ] || [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" = Z ]
}

# stop_argofs SIGNAL: send it, require exit status 0 and no mount left.
stop_argofs() {
	local status=0
	# A request the kernel hands out after the signal ended libfuse's loop
	# is dropped, and what libfuse allocated for it (the handle of a
	# directory `ls` just closed, whose RELEASEDIR is sent after close())
	# shows as a leak. The kernel hands requests out in order: once this
	# stat is answered, the ones before it have been taken.
	stat "$MNT" >/dev/null || fail "stat $MNT failed"
	kill "-$1" "$ARGOFS_PID"
	wait_until 10 exited "$ARGOFS_PID" || fail "argofs still runs 10 s after SIG$1"
	wait "$ARGOFS_PID" || status=$?
	ARGOFS_PID=
	[ "$status" -eq 0 ] || fail "argofs exited with $status after SIG$1: $(tail -n 20 "$T/argofs.log")"
	! mountpoint -q "$MNT" || fail "still mounted after SIG$1"
}

# notify_listen ADDRESS: a fake systemd: receive datagrams on ADDRESS (a
# path, or @name for the abstract namespace) into $T/notify.log, one line
# each, noting whether $MNT was mounted when READY=1 came; ends after
# STOPPING=1.
notify_listen() {
	rm -f "$T/notify.log" "$T/notify.ready"
	python3 - "$1" "$T/notify.log" "$T/notify.ready" "$MNT" <<'PY' &
import os, socket, sys
addr, out, ready, mnt = sys.argv[1:5]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + addr[1:] if addr.startswith("@") else addr)
open(ready, "w").close()
s.settimeout(60)
with open(out, "a") as f:
    while True:
        msg = s.recv(4096).decode()
        if msg == "READY=1":
            msg += " mounted" if os.path.ismount(mnt) else " not-mounted"
        f.write(msg.replace("\n", " ") + "\n")
        f.flush()
        if msg.startswith("STOPPING=1"):
            break
PY
	NOTIFY_PID=$!
	wait_until 5 test -e "$T/notify.ready" || fail "notify listener did not start"
}

notified() { grep -qx "$1" "$T/notify.log" 2>/dev/null; }

test_sigterm_and_sigint_unmount_and_exit_0() {
	setup
	ls "$MNT/$WT" >/dev/null || fail "ls failed"
	stop_argofs TERM
	# A non-interactive shell starts background commands with SIGINT
	# ignored, and libfuse (rightly) leaves an ignored SIGINT alone: start
	# this one with job control, as from a terminal.
	set -m
	mount_argofs
	set +m
	ls "$MNT/$WT" >/dev/null || fail "ls failed"
	stop_argofs INT
}

test_sighup_drops_caches_and_keeps_the_mount() {
	start_emulator
	mount_argofs -o cache_ttl=60,log_level=info
	listed "$MNT/$WT" hello-template.yaml || fail "seed template not listed"
	api_template late-comer
	! listed "$MNT/$WT" late-comer.yaml || fail "the listing was not cached: the test proves nothing"
	journal_reset
	kill -HUP "$ARGOFS_PID"
	wait_until 3 listed "$MNT/$WT" late-comer.yaml || fail "not listed after SIGHUP"
	[ "$(journal count GET /api/v1/workflow-templates/argo)" -ge 1 ] || fail "no list request after SIGHUP"
	kill -0 "$ARGOFS_PID" || fail "SIGHUP ended argofs"
	mountpoint -q "$MNT" || fail "SIGHUP unmounted"
	assert_contains "$(cat "$T/argofs.log")" "SIGHUP: dropping the caches"
	# a second one works too
	api_template second-comer
	kill -HUP "$ARGOFS_PID"
	wait_until 3 listed "$MNT/$WT" second-comer.yaml || fail "not listed after a second SIGHUP"
}

test_sighup_rereads_the_token() {
	setup
	# Replace the token in place by a wrong one of the same length, and put
	# the modification time back: same inode, size and mtime, so nothing
	# but SIGHUP tells argofs to read the file again.
	local wrong=${TOKEN//?/x}
	touch -r "$T/token" "$T/token.time"
	printf '%s\n' "$wrong" 1<>"$T/token"
	touch -r "$T/token.time" "$T/token"
	assert_eq "$wrong" "$(cat "$T/token")" "token file"
	ls "$MNT/team-a/workflow-templates" >/dev/null ||
		fail "the token was read again without SIGHUP: the test proves nothing"
	kill -HUP "$ARGOFS_PID"
	# shellcheck disable=SC2016 # expanded by eval
	wait_until 3 eval '! ls "$MNT/argo/cron-workflows" >/dev/null' ||
		fail "the old token still works after SIGHUP"
	assert_fails "Permission denied" ls "$MNT/$WT"
	# and the right one again, the same way
	printf '%s\n' "$TOKEN" 1<>"$T/token"
	touch -r "$T/token.time" "$T/token"
	kill -HUP "$ARGOFS_PID"
	wait_until 3 ls "$MNT/$WT" >/dev/null || fail "the right token was not taken after SIGHUP"
}

test_a_file_open_at_the_stop_is_freed() {
	setup -o log_level=debug
	# A reader keeps a file open while the daemon stops (systemctl stop
	# while `tail -f` runs): the kernel never sends its RELEASE, so argofs
	# frees what it holds for the file itself (the sanitizers' leak check
	# does not always see that memory as lost: it can still hold a copy of
	# the pointer).
	exec 3<"$MNT/$WT/hello-template.yaml"
	stop_argofs TERM
	exec 3<&-
	assert_contains "$(cat "$T/argofs.log")" "files the kernel never released, freed at the end: 1"
}

test_dead_mount_is_cleared_at_start() {
	setup
	kill -KILL "$ARGOFS_PID"
	wait "$ARGOFS_PID" 2>/dev/null
	ARGOFS_PID=
	assert_fails "Transport endpoint is not connected" stat "$MNT"
	mount_argofs
	listed "$MNT/$WT" hello-template.yaml || fail "ls failed on the new mount"
	assert_contains "$(cat "$T/argofs.log")" "$MNT: unmounted a dead FUSE mount"
	assert_eq 1 "$(grep -cF " $MNT " /proc/self/mounts)" "mounts at $MNT"
}

test_notify_socket_gets_ready_and_stopping() {
	start_emulator
	MNT="$T/mnt"
	# a socket path
	notify_listen "$T/notify.sock"
	export NOTIFY_SOCKET="$T/notify.sock"
	mount_argofs
	wait_until 5 notified "READY=1 mounted" || fail "no READY=1 once mounted: $(cat "$T/notify.log")"
	listed "$MNT/$WT" hello-template.yaml || fail "mount not usable after READY=1"
	notified "STOPPING=1" && fail "STOPPING=1 before the end"
	umount_argofs
	wait_until 5 notified "STOPPING=1" || fail "no STOPPING=1 at unmount: $(cat "$T/notify.log")"
	wait "$NOTIFY_PID"
	assert_eq 2 "$(wc -l <"$T/notify.log")" "notifications"
	# an abstract socket (@name), and SIGTERM
	local name="@argofs-test-$$-$RANDOM"
	notify_listen "$name"
	export NOTIFY_SOCKET=$name
	mount_argofs
	wait_until 5 notified "READY=1 mounted" || fail "no READY=1 on $name: $(cat "$T/notify.log")"
	stop_argofs TERM
	wait_until 5 notified "STOPPING=1" || fail "no STOPPING=1 at SIGTERM: $(cat "$T/notify.log")"
	wait "$NOTIFY_PID"
}

test_background_detaches_once_mounted() {
	start_emulator
	MNT="$T/mnt"
	mkdir -p "$MNT"
	printf '%s\n' "$TOKEN" >"$T/token"
	# the daemon's sanitizer reports, if any, go to files: its stderr is gone
	ASAN_OPTIONS="${ASAN_OPTIONS:-}:log_path=$T/asan" \
		"$ARGOFS" "$EMU_URL" "$MNT" -o "token_file=$T/token,log_level=info" 2>"$T/argofs.log" ||
		fail "argofs failed: $(cat "$T/argofs.log")"
	# no waiting: the mount is there when the command returns
	mountpoint -q "$MNT" || fail "not mounted when argofs returned"
	listed "$MNT/$WT" hello-template.yaml || fail "ls failed"
	local pid
	pid=$(fuse_daemons "$MNT")
	[ -n "$pid" ] || fail "no daemon serves $MNT"
	assert_eq "$pid" "$(ps -o sid= -p "$pid" | tr -d ' ')" "session of the daemon (setsid)"
	# what came before detaching went to stderr, nothing after it
	assert_contains "$(cat "$T/argofs.log")" "info: connected to $EMU_URL"
	grep -q "mounted on" "$T/argofs.log" && fail "logged to stderr after detaching"
	fusermount3 -u "$MNT" || fail "fusermount3 -u failed"
	wait_until 10 no_daemon || fail "the daemon did not exit after the unmount"
	! compgen -G "$T/asan*" >/dev/null || fail "sanitizer report: $(cat "$T"/asan*)"
}

test_background_logs_go_to_syslog() {
	if [ "$(id -u)" -ne 0 ] || ! command -v unshare >/dev/null; then
		skip "needs root and unshare(1) for a private /dev/log"
	fi
	start_emulator
	MNT="$T/mnt"
	mkdir -p "$MNT" "$T/dev"
	printf 'not-the-token\n' >"$T/token"
	export T MNT EMU_URL TOKEN ARGOFS
	# In a private mount namespace, /dev is a tmpfs with the devices argofs
	# uses and a /dev/log socket of our own: syslog(3) writes there.
	cat >"$T/ns.sh" <<'NS'
set -eu
mount -t tmpfs tmpfs "$T/dev"
for d in null zero full random urandom tty fuse; do
	touch "$T/dev/$d"
	mount --bind "/dev/$d" "$T/dev/$d"
done
python3 - "$T/dev/log" "$T/syslog" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(30)
with open(sys.argv[2], "a") as f:
    try:
        while True:
            f.write(s.recv(8192).decode(errors="replace").rstrip("\n") + "\n")
            f.flush()
    except socket.timeout:
        pass
PY
for _ in $(seq 50); do [ -S "$T/dev/log" ] && break; sleep 0.1; done
mount --rbind "$T/dev" /dev
# a wrong token first: the failure is logged
"$ARGOFS" "$EMU_URL" "$MNT" -o "token_file=$T/token,log_level=info" && exit 10
printf '%s\n' "$TOKEN" >"$T/token"
"$ARGOFS" "$EMU_URL" "$MNT" -o "token_file=$T/token,log_level=info" 2>"$T/stderr" || exit 11
ls "$MNT/argo/workflow-templates" >/dev/null || exit 12
ls "$MNT/argo/workflow-templates/missing.yaml" 2>/dev/null && exit 13
printf 'spec: [\n' >"$T/bad.yaml"
cp "$T/bad.yaml" "$MNT/argo/workflow-templates/" 2>/dev/null && exit 14
umount "$MNT"
for _ in $(seq 100); do grep -q "unmounting" "$T/syslog" 2>/dev/null && exit 0; sleep 0.1; done
exit 15
NS
	unshare -m --propagation private bash "$T/ns.sh" || fail "namespace script failed with $?"
	local log
	log=$(cat "$T/syslog")
	# facility daemon (3): <27> error, <28> warn, <30> info
	assert_contains "$log" "<30>"
	assert_contains "$log" "argofs["
	assert_contains "$log" "]: mounted on $MNT"
	assert_contains "$log" "<28>"
	assert_contains "$log" "argo/workflow-templates/bad.yaml"
	assert_contains "$log" "]: unmounting $MNT"
	# before detaching, the log went to stderr (mount(8) and the terminal see it)
	assert_eq "argofs[PID]: info: connected to $EMU_URL, argo server" \
		"$(sed -E 's/\[[0-9]+\]/[PID]/; s/( server) .*/\1/' "$T/stderr")" "stderr of a good start"
	case $log in *"connected to"*) fail "logged to syslog before detaching" ;; esac
	case $log in *"$TOKEN"*) fail "the token is in the syslog" ;; esac
}

test_tokens_never_in_logs() {
	start_emulator
	# FUSE's debug output and ours, with the token in a file
	mount_argofs -d -o log_level=debug
	ls -lR "$MNT/argo" >/dev/null 2>&1
	cat "$MNT/$WT/hello-template.yaml" >/dev/null || fail "cat failed"
	make_template tokencheck
	cp tokencheck.yaml "$MNT/$WT/" || fail "cp failed"
	cp tokencheck.yaml "$MNT/$WT/copy.yaml" 2>/dev/null && fail "a taken name was created"
	printf 'Bearer wrong-%s\n' "$TOKEN" >"$T/token"
	ls "$MNT/team-a/workflow-templates" 2>/dev/null && fail "a wrong token worked"
	cat "$MNT/.argofs/errors" >"$T/errors"
	umount_argofs
	grep -q "unique: " "$T/argofs.log" || fail "no FUSE debug output: the test proves nothing"
	grep -q "debug: " "$T/argofs.log" || fail "no debug log: the test proves nothing"
	grep -q "401" "$T/argofs.log" || fail "the refused token was not logged"
	grep -qF -- "$TOKEN" "$T/argofs.log" && fail "the token is in the log: $(grep -F -- "$TOKEN" "$T/argofs.log" | head -3)"
	grep -qF -- "$TOKEN" "$T/errors" && fail "the token is in .argofs/errors"

	# the token in ARGO_TOKEN: not in the log, not in the command line
	mkdir -p "$T/mnt2"
	ARGO_TOKEN="Bearer $TOKEN" "$ARGOFS" "$EMU_URL" "$T/mnt2" -f -d -o log_level=debug 2>"$T/argofs2.log" &
	ARGOFS_PID=$!
	MNT="$T/mnt2"
	wait_until 10 mountpoint -q "$MNT" || fail "ARGO_TOKEN mount failed: $(cat "$T/argofs2.log")"
	ls "$MNT/$WT" >/dev/null || fail "ls with ARGO_TOKEN failed"
	tr '\0' ' ' <"/proc/$ARGOFS_PID/cmdline" | grep -qF -- "$TOKEN" && fail "the token is in the command line"
	umount_argofs
	grep -qF -- "$TOKEN" "$T/argofs2.log" && fail "ARGO_TOKEN is in the log"
	return 0
}

test_a_failed_request_is_logged_once() {
	setup
	api_template taken
	make_template taken
	assert_fails "File exists" cp taken.yaml "$MNT/$WT/copy-of-taken.yaml"
	local lines
	lines=$(grep -F "already exists" "$T/argofs.log")
	assert_eq 1 "$(printf '%s\n' "$lines" | grep -c .)" "log lines of one failure"
	assert_contains "$lines" "warn: create /$WT/copy-of-taken.yaml: 409 EEXIST:"
}

test_exit_statuses_for_bad_fuse_options_and_mountpoints() {
	start_emulator
	mkdir -p mnt
	printf '%s\n' "$TOKEN" >token
	local status
	"$ARGOFS" "$EMU_URL" mnt -o token_file=token,no_such_fuse_option 2>err && fail "mounted with an unknown option"
	status=$?
	assert_eq 2 "$status" "exit status for an option libfuse refuses"
	assert_contains "$(cat err)" "no_such_fuse_option"
	"$ARGOFS" "$EMU_URL" "$T/no-such-dir" -o token_file=token 2>err && fail "mounted on a missing directory"
	status=$?
	assert_eq 2 "$status" "exit status for a missing mountpoint"
	assert_contains "$(cat err)" "no-such-dir"
	assert_eq 0 "$(journal count-api)" "requests before the options were known good"
	printf 'wrong\n' >token
	"$ARGOFS" "$EMU_URL" mnt -o token_file=token 2>err && fail "mounted with a refused token"
	status=$?
	assert_eq 1 "$status" "exit status for a refused token"
	assert_contains "$(cat err)" "EACCES"
	! mountpoint -q mnt || fail "mounted"
}

test_generic_mount_options_are_ignored() {
	start_emulator
	mount_argofs -o rw,defaults,_netdev,nofail,noauto,user,x-systemd.automount,comment=x,dev,suid,,
	listed "$MNT/$WT" hello-template.yaml || fail "ls failed"
	assert_contains "$(grep -F " $MNT " /proc/self/mounts)" "$EMU_URL $MNT fuse.argofs rw,"
}
