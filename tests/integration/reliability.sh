# reliability.sh - helpers shared by the reliability and security tests
# (t_7*.sh), on top of lib.sh. Sourced by those files; holds no tests.

HOSTILE="$SRC/tests/integration/hostile_server.py"

# alive: the daemon still runs and its mount still answers.
alive() {
	kill -0 "$ARGOFS_PID" 2>/dev/null || fail "argofs died: $(tail -n 20 "$T/argofs.log")"
	mountpoint -q "$MNT" || fail "$MNT is no longer mounted"
}

# start_hostile: hostile_server.py instead of the emulator (the mount
# helpers use EMU_URL; cleanup stops it as EMU_PID).
start_hostile() {
	python3 "$HOSTILE" --ready-file "$T/hostile.ready" 2>"$T/emulator.log" &
	EMU_PID=$!
	for _ in $(seq 100); do
		[ -s "$T/hostile.ready" ] && break
		kill -0 "$EMU_PID" 2>/dev/null || fail "hostile server died: $(cat "$T/emulator.log")"
		sleep 0.1
	done
	# shellcheck disable=SC2034 # read by lib.sh's mount_argofs
	EMU_URL=$(cat "$T/hostile.ready") || fail "hostile server not ready"
}
