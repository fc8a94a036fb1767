# The systemd units of systemd/: `systemd-analyze verify` finds nothing to
# say about them, and the service's command lines, run as systemd would run
# them with the example configuration, mount, notify, reload and unmount.

UNITS="argofs@.service mnt-argo.mount mnt-argo.automount"

test_systemd_units_verify() {
	if ! command -v systemd-analyze >/dev/null; then
		skip "systemd-analyze missing (Debian package systemd)"
	fi
	if [ "$(id -u)" -ne 0 ] || ! command -v unshare >/dev/null; then
		skip "needs root and unshare(1) to put argofs in /usr/local/bin"
	fi
	# ExecStart= must name an executable: in a private mount namespace,
	# /usr/local/bin holds the build's argofs. Documentation=man:argofs(1)
	# must resolve: MANPATH holds the manual page.
	mkdir -p "$T/bin" "$T/man/man1" "$T/units"
	ln -s "$ARGOFS" "$T/bin/argofs"
	ln -s "$SRC/docs/argofs.1" "$T/man/man1/argofs.1"
	local u
	for u in $UNITS; do
		cp "$SRC/systemd/$u" "$T/units/"
	done
	# the template, as an instance too
	cp "$SRC/systemd/argofs@.service" "$T/units/argofs@example.service"
	export T UNITS
	# shellcheck disable=SC2016 # expanded by the namespace's shell
	MANPATH="$T/man" unshare -m --propagation private bash -c '
		mount --bind "$T/bin" /usr/local/bin
		cd "$T/units"
		for u in $UNITS argofs@example.service; do
			systemd-analyze verify "./$u" >"$T/verify.$u" 2>&1 || echo "exit $?" >>"$T/verify.$u"
		done' || fail "namespace failed"
	for u in $UNITS argofs@example.service; do
		[ ! -s "$T/verify.$u" ] || fail "systemd-analyze verify $u: $(cat "$T/verify.$u")"
	done
	# and it does complain when something is wrong
	sed 's/^Restart=/Restrat=/' "$SRC/systemd/argofs@.service" >"$T/units/argofs@bad.service"
	(cd "$T/units" && systemd-analyze verify --man=no ./argofs@bad.service 2>&1) |
		grep -q "Unknown key 'Restrat'" || fail "systemd-analyze verify does not check: the test proves nothing"
}

# unit_line KEY: the value of KEY= in argofs@.service, with systemd's
# expansion turned into the shell's: ${VAR} is one word, $VAR is split on
# white space, %i is the instance.
unit_line() {
	# shellcheck disable=SC2016 # shell text for eval
	sed -n "s/^$1=//p" "$SRC/systemd/argofs@.service" |
		sed -e 's|^/usr/local/bin/argofs |"$ARGOFS" |' -e 's/\${\([A-Z_]*\)}/"${\1}"/g' \
			-e 's/%i/example/g'
}

test_systemd_service_command_lines_run() {
	start_emulator
	MNT="$T/mnt"
	mkdir -p "$MNT"
	printf '%s\n' "$TOKEN" >"$T/token"
	# the example configuration, with this emulator, mountpoint and token
	local conf="$SRC/systemd/argofs.conf.example"
	grep -qx 'ARGOFS_MOUNTPOINT=.*' "$conf" || fail "no ARGOFS_MOUNTPOINT in the example"
	grep -qx 'ARGO_SERVER=.*' "$conf" || fail "no ARGO_SERVER in the example"
	ARGO_SERVER=$EMU_URL
	ARGOFS_MOUNTPOINT=$MNT
	ARGOFS_OPTIONS=$(sed -n 's/^ARGOFS_OPTIONS=//p' "$conf" | sed "s|token_file=[^,]*|token_file=$T/token|")
	[ -n "$ARGOFS_OPTIONS" ] || fail "no ARGOFS_OPTIONS in the example"
	assert_eq "ARGOFS_MOUNTPOINT ARGOFS_OPTIONS ARGO_SERVER" \
		"$(grep -oE '^[A-Z_]+=' "$conf" | tr -d = | sort | xargs)" "variables of the example"
	export ARGO_SERVER ARGOFS_MOUNTPOINT ARGOFS_OPTIONS

	# ExecStart=, with a fake systemd listening on NOTIFY_SOCKET
	python3 - "$T/notify.sock" "$T/notify.log" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(60)
with open(sys.argv[2], "a") as f:
    while True:
        msg = s.recv(4096).decode()
        f.write(msg + "\n")
        f.flush()
        if msg == "STOPPING=1":
            break
PY
	local listener=$! start
	for _ in $(seq 50); do [ -S "$T/notify.sock" ] && break; sleep 0.1; done
	start=$(unit_line ExecStart)
	eval "set -- $start"
	assert_eq "$ARGOFS" "$1" "ExecStart's program"
	NOTIFY_SOCKET="$T/notify.sock" "$@" 2>"$T/argofs.log" &
	ARGOFS_PID=$!
	for _ in $(seq 100); do grep -qx READY=1 "$T/notify.log" 2>/dev/null && break; sleep 0.1; done
	grep -qx READY=1 "$T/notify.log" || fail "no READY=1: $(cat "$T/argofs.log")"
	# shellcheck disable=SC2010 # ls itself is what is tested
	ls "$MNT/argo/workflow-templates" | grep -qx hello-template.yaml || fail "ls failed"

	# ExecReload=
	# shellcheck disable=SC2016 # shell text for eval
	eval "set -- $(unit_line ExecReload | sed 's/\$MAINPID/$ARGOFS_PID/')"
	"$@" || fail "ExecReload failed"
	for _ in $(seq 30); do grep -q SIGHUP "$T/argofs.log" && break; sleep 0.1; done
	assert_contains "$(cat "$T/argofs.log")" "SIGHUP: dropping the caches"
	mountpoint -q "$MNT" || fail "reload unmounted"

	# ExecStop=: argofs then ends on its own, with status 0
	eval "set -- $(unit_line ExecStop)"
	"$@" || fail "ExecStop failed"
	local status=0 watchdog
	(sleep 10 && kill -KILL "$ARGOFS_PID") 2>/dev/null &
	watchdog=$!
	wait "$ARGOFS_PID" || status=$?
	kill "$watchdog" 2>/dev/null
	ARGOFS_PID=
	assert_eq 0 "$status" "exit status after ExecStop"
	wait "$listener"
	assert_eq "READY=1 STOPPING=1" "$(xargs <"$T/notify.log")" "notifications"
}
