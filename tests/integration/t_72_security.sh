# Security: the token never shows (log at debug level, FUSE debug output,
# .argofs/errors, argv, error messages, also after a 401); the mount is
# private unless allow_other is asked for; TLS is verified unless insecure
# is asked for, and a certificate that does not verify is reported clearly.
# docs/security.md explains what each of these covers.

WT=argo/workflow-templates

# as_nobody CMD...: run CMD as uid/gid 65534 without supplementary groups.
as_nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
}

# can_switch_user: whether this test can act as another user at all.
can_switch_user() {
	[ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && as_nobody true 2>/dev/null
}

# no_token_in WHAT TEXT: TEXT holds neither token of these tests.
no_token_in() {
	case "$2" in
	*"$TOKEN"* | *"$WRONG"*) fail "a token appears in $1" ;;
	esac
}

WRONG=revoked-secret-9876543210

test_token_never_shows() {
	start_emulator
	mount_argofs -d -o log_level=debug
	make_template secretive
	ls "$MNT/$WT" >/dev/null || fail "ls failed"
	cat "$MNT/$WT/hello-template.yaml" >/dev/null || fail "cat failed"
	cp secretive.yaml "$MNT/$WT/" 2>>tool-errors || fail "cp failed"
	printf 'metadata: 5\n' >bad.yaml
	cp bad.yaml "$MNT/$WT/" 2>>tool-errors && fail "a bad document was accepted"
	cat "$MNT/.argofs/userinfo.yaml" "$MNT/.argofs/version" >/dev/null || fail ".argofs failed"
	# a token the server refuses: 401, re-read, still refused
	printf '%s\n' "$WRONG" >"$T/token"
	sleep 2.1 # the cached listing expires
	ls "$MNT/$WT" 2>>tool-errors && fail "ls with a revoked token succeeded"
	cp secretive.yaml "$MNT/$WT/again.yaml" 2>>tool-errors && fail "cp with a revoked token succeeded"
	assert_contains "$(cat "$MNT/.argofs/errors")" "401 EACCES"
	# the debug log did say a lot
	assert_contains "$(cat "$T/argofs.log")" "debug: http: GET"
	assert_contains "$(cat "$T/argofs.log")" "unique:"
	# ... but never a token
	no_token_in "the log" "$(cat "$T/argofs.log")"
	no_token_in ".argofs/errors" "$(cat "$MNT/.argofs/errors")"
	no_token_in "the tools' error messages" "$(cat tool-errors)"
	no_token_in "argv" "$(tr '\0' ' ' </proc/"$ARGOFS_PID"/cmdline) $(ps -o args= -p "$ARGOFS_PID")"
	# while the server did receive it (the checks above can find one)
	assert_contains "$(cat "$JOURNAL")" "Bearer $WRONG"
}

test_mount_is_private_by_default() {
	can_switch_user || skip "needs root and setpriv to act as another user"
	chmod 755 "$T" # others may reach the mountpoint; only FUSE can stop them
	setup
	as_nobody ls "$MNT" >/dev/null 2>&1 && fail "another user could list the mount"
	as_nobody cat "$MNT/$WT/hello-template.yaml" >/dev/null 2>&1 &&
		fail "another user could read a document"
	ls "$MNT/$WT" >/dev/null || fail "the owner cannot list"
	umount_argofs
	# the check can fail: with allow_other (and the kernel checking modes)
	# another user reads, but may not write
	mount_argofs -o allow_other,default_permissions
	as_nobody cat "$MNT/$WT/hello-template.yaml" >/dev/null ||
		fail "allow_other did not let another user read (the check above proves nothing)"
	make_template intruder
	chmod 644 intruder.yaml
	journal_reset
	as_nobody cp intruder.yaml "$MNT/$WT/" 2>/dev/null &&
		fail "another user could write with default_permissions"
	assert_eq 0 "$(journal count POST /api/v1/workflow-templates/argo)" "POSTs by another user"
}

# make_cert NAME SAN: a self-signed certificate NAME.pem and key NAME.key.
make_cert() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
		-subj "/O=argofs tests/CN=$1" -addext "subjectAltName=$2" \
		-keyout "$1.key" -out "$1.pem" 2>/dev/null || fail "openssl failed"
}

test_tls_is_verified_unless_insecure() {
	command -v openssl >/dev/null || { echo "SKIP: openssl missing"; return 0; }
	make_cert localhost "DNS:localhost,IP:127.0.0.1"
	make_cert elsewhere "DNS:elsewhere.example"
	start_emulator --tls-cert localhost.pem --tls-key localhost.key
	case "$EMU_URL" in https://*) ;; *) fail "emulator not on https: $EMU_URL" ;; esac
	printf '%s\n' "$TOKEN" >token
	mkdir -p refused
	# no CA given: the self-signed certificate does not verify
	timeout 20 "$ARGOFS" "$EMU_URL" refused -f -o token_file=token 2>err &&
		fail "mounted an unverified server"
	assert_contains "$(cat err)" "SSL certificate problem"
	assert_contains "$(cat err)" "self-signed certificate"
	assert_contains "$(cat err)" "EPROTO"
	# a CA that did not sign it
	timeout 20 "$ARGOFS" "$EMU_URL" refused -f -o token_file=token,ca_file=elsewhere.pem 2>err &&
		fail "mounted with the wrong CA"
	assert_contains "$(cat err)" "SSL certificate problem"
	mountpoint -q refused && fail "something got mounted"
	# the certificate verifies but names another host
	restart_with_cert elsewhere
	timeout 20 "$ARGOFS" "$EMU_URL" refused -f -o token_file=token,ca_file=elsewhere.pem 2>err &&
		fail "mounted a server whose certificate names another host"
	assert_contains "$(cat err)" "127.0.0.1"
	assert_contains "$(cat err)" "EPROTO"
	mountpoint -q refused && fail "something got mounted"
	# the right CA, or insecure when asked for
	restart_with_cert localhost
	mount_argofs -o ca_file="$T/localhost.pem"
	ls "$MNT/$WT" >/dev/null || fail "ls over verified TLS failed"
	umount_argofs
	mount_argofs -o insecure
	ls "$MNT/$WT" >/dev/null || fail "ls with insecure failed"
}

# restart_with_cert NAME: the emulator again, serving certificate NAME.
restart_with_cert() {
	kill "$EMU_PID"
	wait "$EMU_PID" 2>/dev/null
	rm -f "$T/ready"
	start_emulator --tls-cert "$1.pem" --tls-key "$1.key"
}
