# HTTP/2: the real Argo Server offers h2 over TLS (ALPN) and argofs asks for
# it. nghttpx, an HTTP/2 TLS front end, stands in front of the emulator
# (HTTP/1.1 only) and argofs mounts the proxy: listing, reading, creating a
# template, a submit, the log of a finished workflow (a stream), tail -f of
# a running one (a followed stream, across a ctl resume), the watch stream
# and reads from several processes at once all go over h2 (the proxy's
# access log says so for every request), succeed with the right results,
# and reach the emulator through the proxy with the status the proxy passed
# back. Skipped when nghttpx (Debian package nghttp2-proxy) is missing.

WT=argo/workflow-templates
WF=argo/workflows

# start_h2_proxy: nghttpx with a certificate for 127.0.0.1 on a free port,
# forwarding to the emulator. Its access log h2.log has one line per
# request: ALPN STATUS METHOD PATH[?QUERY] CLIENT-PORT. Sets H2_URL and
# H2_PID; skips the test when nghttpx is missing.
start_h2_proxy() {
	local nghttpx port
	nghttpx=$(PATH="$PATH:/usr/sbin:/sbin" command -v nghttpx) ||
		skip "nghttpx missing (Debian package nghttp2-proxy): HTTP/2 not tested"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
		-subj "/O=argofs tests/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
		-keyout proxy.key -out proxy.pem 2>/dev/null || fail "openssl failed"
	trap 'kill "$H2_PID" 2>/dev/null; cleanup' EXIT
	for _ in 1 2 3 4 5; do # a free port may be taken before nghttpx binds it
		port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
		# shellcheck disable=SC2016 # nghttpx's variables
		"$nghttpx" --conf=/dev/null --single-process --no-ocsp -f "127.0.0.1,$port" -b "127.0.0.1,${EMU_URL##*:}" \
			--accesslog-file="$T/h2.log" --accesslog-format='$alpn $status $method $path $remote_port' \
			"$T/proxy.key" "$T/proxy.pem" 2>"$T/nghttpx.log" &
		H2_PID=$!
		for _ in $(seq 100); do
			if grep -q "Listening on 127.0.0.1:$port" nghttpx.log; then
				H2_URL="https://127.0.0.1:$port"
				return 0
			fi
			kill -0 "$H2_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill "$H2_PID" 2>/dev/null
		wait "$H2_PID" 2>/dev/null
	done
	fail "nghttpx did not start: $(cat nghttpx.log)"
}

# mount_via_proxy [-o OPTIONS]: argofs on the proxy, verifying its certificate.
mount_via_proxy() {
	EMU_URL=$H2_URL mount_argofs -o "ca_file=$T/proxy.pem" "$@"
}

# requests_of_proxy / requests_of_emulator: "METHOD PATH STATUS" of every
# request each saw, sorted.
requests_of_proxy() {
	awk '{ sub(/\?.*/, "", $4); print $3, $4, $2 }' h2.log | sort
}

requests_of_emulator() {
	python3 -c 'import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    print(e["method"], e["path"], e["status"])' "$JOURNAL" | sort
}

proxy_logged_all() { [ "$(wc -l <h2.log)" -ge "$(wc -l <"$JOURNAL")" ]; }

# assert_all_h2_and_proxied: after the unmount, every request argofs made
# went over h2 and succeeded, and the proxy and the emulator saw the same
# requests, each with the same status, all arriving through the proxy.
assert_all_h2_and_proxied() {
	umount_argofs
	# the proxy logs a request when it ends: the watch stream at the unmount
	wait_until 5 proxy_logged_all
	[ "$(requests_of_proxy)" = "$(requests_of_emulator)" ] ||
		fail "the proxy and the emulator saw different requests: $(diff <(requests_of_proxy) <(requests_of_emulator))"
	[ -s h2.log ] || fail "no request reached the proxy"
	assert_eq 0 "$(awk '$1 != "h2"' h2.log | wc -l)" "requests not over h2 (ALPN STATUS METHOD PATH CLIENT-PORT: $(head -n 3 h2.log))"
	assert_eq 0 "$(awk '$2 !~ /^2/' h2.log | wc -l)" "requests that failed ($(awk '$2 !~ /^2/' h2.log | head -n 3))"
	assert_eq 0 "$(grep -vc '"x-forwarded-proto":"https"' "$JOURNAL")" "requests that bypassed the proxy"
}

test_operations_over_h2() {
	start_emulator
	start_h2_proxy
	mount_via_proxy -o cache_ttl=0.5
	# ls and cat of the seed's templates
	listed "$MNT/$WT" hello-template.yaml || fail "ls shows no hello-template.yaml"
	assert_contains "$(cat "$MNT/$WT/hello-template.yaml")" "name: hello-template"
	# cp of a new one (another client checks it at the end)
	make_template over-h2 "sent over h2"
	cp over-h2.yaml "$MNT/$WT/" || fail "cp failed"
	# a submit and its run's log, a stream once the workflow has finished
	echo "message=hello over h2" >"$MNT/argo/submit/over-h2" || fail "submit failed"
	name=$(cat "$MNT/argo/submit/over-h2")
	assert_contains "$name" "over-h2-"
	wait_until 15 grep -qx Succeeded "$MNT/$WF/$name/phase" || fail "$name did not succeed"
	assert_eq "$name: hello over h2" "$(cat "$MNT/$WF/$name/log")" "log"
	assert_eq "" "$(cat "$MNT/.argofs/errors")" ".argofs/errors"
	assert_all_h2_and_proxied
	assert_contains "$(cat h2.log)" "POST /api/v1/workflow-templates/argo "
	assert_contains "$(cat h2.log)" "POST /api/v1/workflows/argo/submit "
	assert_contains "$(cat h2.log)" "GET /api/v1/workflows/argo/$name/log?"
	assert_contains "$(cat h2.log)" "GET /api/v1/workflow-events/argo?" # the watch stream
	assert_eq "sent over h2" "$(json_get "$(api GET /api/v1/workflow-templates/argo/over-h2)" spec.arguments.parameters.0.value)"
}

test_concurrent_reads_over_h2() {
	start_emulator
	start_h2_proxy
	mount_via_proxy -o cache_ttl=0
	want=$(cat "$MNT/$WT/hello-template.yaml")
	assert_contains "$want" "name: hello-template"
	readers=()
	for reader in 1 2 3 4; do
		for _ in $(seq 15); do
			[ "$(cat "$MNT/$WT/hello-template.yaml")" = "$want" ] || echo "reader $reader: wrong content" >>bad-reads
		done &
		readers+=($!)
	done
	wait "${readers[@]}"
	[ -e bad-reads ] && fail "$(cat bad-reads)"
	reads=$(grep -c " GET /api/v1/workflow-templates/argo/hello-template[ ?]" h2.log)
	[ "$reads" -ge 10 ] || fail "only $reads reads reached the server: the check proves nothing"
	assert_all_h2_and_proxied
}

test_followed_log_over_h2() {
	start_emulator
	start_h2_proxy
	mount_via_proxy -o cache_ttl=0.5
	# the seed's approval waits for a resume between its two echo steps
	echo >"$MNT/argo/submit/approval" || fail "submit failed"
	name=$(cat "$MNT/argo/submit/approval")
	tail -n +1 -f "$MNT/$WF/$name/log" >tailed.txt 2>tail.err &
	tail_pid=$!
	wait_until 15 grep -q ": ready for approval$" tailed.txt || fail "tail -f saw no first step: $(cat tailed.txt tail.err)"
	assert_eq Running "$(cat "$MNT/$WF/$name/phase")" "phase while suspended"
	sleep 1 # the followed stream stays open, silent
	echo resume >"$MNT/$WF/$name/ctl" || fail "resume failed"
	wait_until 15 grep -qx Succeeded "$MNT/$WF/$name/phase" || fail "$name did not succeed"
	wait_until 5 grep -q ": released$" tailed.txt || fail "tail -f missed the last step: $(cat tailed.txt tail.err)"
	kill "$tail_pid"
	wait "$tail_pid" 2>/dev/null
	assert_eq "$(cat "$MNT/$WF/$name/log")" "$(cat tailed.txt)" "what tail -f saw"
	assert_all_h2_and_proxied
	assert_contains "$(cat h2.log)" "PUT /api/v1/workflows/argo/$name/resume "
	grep -q "^h2 200 GET /api/v1/workflows/argo/$name/log?.*logOptions.follow=true" h2.log ||
		fail "no followed log stream over h2: $(grep "/$name/log" h2.log)"
}
