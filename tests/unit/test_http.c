/*
 * test_http.c - tests of the http module against a tiny local server.
 *
 * The server is the Python 3 script below, run with `python3 -c`: a
 * ThreadingHTTPServer speaking HTTP/1.1 on 127.0.0.1, port 0, that prints its
 * port on stdout. Given a certificate and a key it serves HTTPS; the HTTPS
 * group makes a self-signed certificate (subjectAltName IP:127.0.0.1) with
 * the openssl command in a temporary directory. Tests that need python3 or
 * openssl are skipped, with a message, when they are missing. Each test frees
 * what it makes; the group teardowns stop the servers and remove the files.
 *
 * Routes: /echo (method, path, headers, body and the client's port as JSON),
 * /status/NNN, /auth (401 unless "Authorization: Bearer new"), /connections
 * (TCP connections accepted so far), /slow?ms=, /big?n=[&chunked|&gzip],
 * /announce?n=&ms= (Content-Length n, then a pause and no body), /drop
 * (Content-Length 1000, 500 bytes, close), /stream?n=&ms= (chunked pieces
 * with a pause after each), /keepalive?n=&ms= (a pause, then ":" n times,
 * then "done\n"). The server exits when its stdin (a pipe this process
 * holds) closes, so a crashed test leaves no server behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "argofs/http.h"
#include "argofs/token.h"

extern char **environ;

static const char server_script[] =
	"import gzip, http.server, json, os, socket, ssl, sys, threading, time\n"
	"from urllib.parse import urlsplit, parse_qs\n"
	"conns = 0\n"
	"lock = threading.Lock()\n"
	"class Handler(http.server.BaseHTTPRequestHandler):\n"
	"    protocol_version = 'HTTP/1.1'\n"
	"    def log_message(self, *args):\n"
	"        pass\n"
	"    def setup(self):\n"
	"        global conns\n"
	"        with lock:\n"
	"            conns += 1\n"
	"        super().setup()\n"
	"    def reply(self, status, body):\n"
	"        self.send_response(status)\n"
	"        self.send_header('Content-Type', 'application/json')\n"
	"        self.send_header('Content-Length', str(len(body)))\n"
	"        self.end_headers()\n"
	"        self.wfile.write(body)\n"
	"    def start_chunked(self):\n"
	"        self.send_response(200)\n"
	"        self.send_header('Content-Type', 'application/json')\n"
	"        self.send_header('Transfer-Encoding', 'chunked')\n"
	"        self.end_headers()\n"
	"    def chunk(self, data):\n"
	"        self.wfile.write(b'%x\\r\\n%s\\r\\n' % (len(data), data))\n"
	"    def handle_any(self):\n"
	"        url = urlsplit(self.path)\n"
	"        q = parse_qs(url.query, keep_blank_values=True)\n"
	"        n = int(q.get('n', ['0'])[0])\n"
	"        ms = int(q.get('ms', ['0'])[0]) / 1000.0\n"
	"        size = int(self.headers.get('Content-Length', '0'))\n"
	"        body = self.rfile.read(size) if size else b''\n"
	"        p = url.path\n"
	"        if p == '/echo':\n"
	"            self.reply(200, json.dumps({'method': self.command, 'path': self.path,\n"
	"                'authorization': self.headers.get('Authorization'),\n"
	"                'accept': self.headers.get('Accept'),\n"
	"                'content_type': self.headers.get('Content-Type'),\n"
	"                'body': body.decode(), 'port': self.client_address[1]}).encode())\n"
	"        elif p.startswith('/status/'):\n"
	"            code = int(p[8:])\n"
	"            self.reply(code, b'' if code == 204 else b'{\"code\":%d}' % code)\n"
	"        elif p == '/auth':\n"
	"            ok = self.headers.get('Authorization') == 'Bearer new'\n"
	"            self.reply(200 if ok else 401, b'{}' if ok else b'{\"message\":\"token rejected\"}')\n"
	"        elif p == '/connections':\n"
	"            self.reply(200, b'%d' % conns)\n"
	"        elif p == '/slow':\n"
	"            time.sleep(ms)\n"
	"            self.reply(200, b'{}')\n"
	"        elif p == '/big' and 'gzip' in q:\n"
	"            data = gzip.compress(b'x' * n)\n"
	"            self.send_response(200)\n"
	"            self.send_header('Content-Encoding', 'gzip')\n"
	"            self.send_header('Content-Length', str(len(data)))\n"
	"            self.end_headers()\n"
	"            self.wfile.write(data)\n"
	"        elif p == '/big' and 'chunked' in q:\n"
	"            self.start_chunked()\n"
	"            for i in range(0, n, 1000):\n"
	"                self.chunk(b'x' * min(1000, n - i))\n"
	"            self.chunk(b'')\n"
	"        elif p == '/big':\n"
	"            self.reply(200, b'x' * n)\n"
	"        elif p == '/announce':\n"
	"            self.send_response(200)\n"
	"            self.send_header('Content-Length', str(n))\n"
	"            self.end_headers()\n"
	"            time.sleep(ms)\n"
	"        elif p == '/drop':\n"
	"            self.send_response(200)\n"
	"            self.send_header('Content-Length', '1000')\n"
	"            self.end_headers()\n"
	"            self.wfile.write(b'x' * 500)\n"
	"            self.close_connection = True\n"
	"            self.connection.shutdown(socket.SHUT_RDWR)\n"
	"        elif p == '/stream':\n"
	"            self.start_chunked()\n"
	"            for i in range(n):\n"
	"                self.chunk(b'piece %d\\n' % i)\n"
	"                time.sleep(ms)\n"
	"            self.chunk(b'')\n"
	"        elif p == '/keepalive':\n"
	"            self.start_chunked()\n"
	"            for i in range(n):\n"
	"                time.sleep(ms)\n"
	"                self.chunk(b':')\n"
	"            self.chunk(b'done\\n')\n"
	"            self.chunk(b'')\n"
	"        else:\n"
	"            self.reply(404, b'{}')\n"
	"    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any\n"
	"class Server(http.server.ThreadingHTTPServer):\n"
	"    def handle_error(self, request, client_address):\n"
	"        pass\n"
	"srv = Server(('127.0.0.1', 0), Handler)\n"
	"if len(sys.argv) == 3:\n"
	"    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n"
	"    ctx.load_cert_chain(sys.argv[1], sys.argv[2])\n"
	"    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)\n"
	"def exit_with_parent():\n"
	"    sys.stdin.buffer.read()\n"
	"    os._exit(0)\n"
	"threading.Thread(target=exit_with_parent, daemon=True).start()\n"
	"print(srv.server_address[1], flush=True)\n"
	"srv.serve_forever()\n";

struct server {
	pid_t pid;
	int stdin_fd;      /* the server exits when this closes, even if we crash */
	int port;          /* 0: not running */
	char base[64];     /* "http[s]://127.0.0.1:PORT" */
	const char *skip;  /* why the tests needing it are skipped, or NULL */
};

static struct server plain;
static struct server tls;
static char tls_dir[PATH_MAX];
static char tls_cert[PATH_MAX + 16];
static char tls_key[PATH_MAX + 16];

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *tmp_root(void)
{
	const char *dir = getenv("TMPDIR");

	return dir && *dir ? dir : "/tmp";
}

/* Start argv[0] from PATH with stdin from @in_fd (or /dev/null when < 0),
 * stdout to @out_fd (or /dev/null when < 0), and stderr to /dev/null when
 * @quiet. Returns 0, -ENOENT when the program is missing, or another
 * negative errno. */
static int spawn(char *const argv[], int in_fd, int out_fd, bool quiet, pid_t *ret_pid)
{
	posix_spawn_file_actions_t fa;
	int r;

	posix_spawn_file_actions_init(&fa);
	if (in_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, in_fd, STDIN_FILENO);
	else
		posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	if (out_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO);
	else
		posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	if (quiet)
		posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
	r = posix_spawnp(ret_pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	return -r;
}

static void server_stop(struct server *s)
{
	if (s->pid > 0) {
		close(s->stdin_fd);
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
	}
	s->pid = 0;
	s->port = 0;
}

/* Start the script, HTTPS when @cert is given, and read its port. Returns 0,
 * -ENOENT without python3, -EIO when it printed no port. */
static int server_start(struct server *s, const char *cert, const char *key)
{
	char *argv[] = { "python3", "-c", (char *)server_script, (char *)cert, (char *)key, NULL };
	char line[32];
	size_t len = 0;
	int fds[2], in[2], r;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(in, O_CLOEXEC) < 0) {
		r = -errno;
		close(fds[0]);
		close(fds[1]);
		return r;
	}
	r = spawn(argv, in[0], fds[1], false, &s->pid);
	close(in[0]);
	close(fds[1]);
	s->stdin_fd = in[1];
	if (r < 0)
		close(in[1]);
	while (r == 0 && len < sizeof(line) - 1 && !memchr(line, '\n', len)) {
		struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, 10000) <= 0)
			break;
		n = read(fds[0], line + len, sizeof(line) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fds[0]);
	if (r < 0)
		return r;
	line[len] = '\0';
	s->port = atoi(line);
	if (s->port <= 0) {
		server_stop(s);
		return -EIO;
	}
	snprintf(s->base, sizeof(s->base), "%s://127.0.0.1:%d", cert ? "https" : "http", s->port);
	return 0;
}

static void require(const struct server *s)
{
	if (s->port == 0) {
		print_message("skipped: %s\n", s->skip ? s->skip : "no test server");
		skip();
	}
}

static struct http_client *client_new(const char *base, long timeout_ms, size_t max_body,
				      struct token_source *token)
{
	struct http_config cfg = {
		.base_url = base,
		.token = token,
		.timeout_ms = timeout_ms,
		.max_body = max_body,
	};
	struct http_client *client = NULL;

	assert_int_equal(http_client_new(&cfg, &client), 0);
	assert_non_null(client);
	return client;
}

/* GET @path; asserts a 200 and returns the reply as JSON (json_decref it). */
static json_t *get_json(struct http_client *client, const char *path)
{
	struct http_response resp;
	json_t *json;
	char *detail = NULL;

	assert_int_equal(http_request(client, "GET", path, NULL, 0, &resp, &detail), 0);
	assert_null(detail);
	assert_int_equal(resp.status, 200);
	json = json_loadb(resp.body, resp.len, JSON_DECODE_ANY, NULL);
	http_response_release(&resp);
	assert_non_null(json);
	return json;
}

/* Member @key of @json as a string; NULL for JSON null. */
static const char *member(const json_t *json, const char *key)
{
	json_t *value = json_object_get(json, key);

	assert_non_null(value);
	if (json_is_null(value))
		return NULL;
	assert_true(json_is_string(value));
	return json_string_value(value);
}

static long echo_port(struct http_client *client)
{
	json_t *json = get_json(client, "/echo");
	long port = (long)json_integer_value(json_object_get(json, "port"));

	json_decref(json);
	assert_true(port > 0);
	return port;
}

static long connections(struct http_client *client)
{
	json_t *json = get_json(client, "/connections");
	long n = (long)json_integer_value(json);

	json_decref(json);
	return n;
}

/* A port on 127.0.0.1 that nothing listens on (bound, then closed). */
static int closed_port(void)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(addr);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
	close(fd);
	return ntohs(addr.sin_port);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

/* ---- configuration and arguments ---------------------------------------- */

static void test_invalid_arguments(void **state)
{
	static const char *const bad_urls[] = {
		"ftp://host", "https://", "https://host/", "http://ho st", "127.0.0.1:2746",
	};
	struct http_config cfg = { .base_url = "http://127.0.0.1:1", .timeout_ms = 1000 };
	struct http_client *client = NULL;
	struct http_response resp;
	char *detail;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_urls) / sizeof(bad_urls[0]); i++) {
		cfg.base_url = bad_urls[i];
		assert_int_equal(http_client_new(&cfg, &client), -EINVAL);
	}
	cfg.base_url = NULL;
	assert_int_equal(http_client_new(&cfg, &client), -EINVAL);
	cfg.base_url = "http://127.0.0.1:1";
	cfg.timeout_ms = 0;
	assert_int_equal(http_client_new(&cfg, &client), -EINVAL);
	assert_null(client);
	http_client_free(NULL);

	client = client_new("http://127.0.0.1:1", 1000, 0, NULL);
	resp.status = 99;
	resp.body = (char *)"stale";
	assert_int_equal(http_request(client, "FOO", "/x", NULL, 0, &resp, NULL), -EINVAL);
	assert_int_equal(resp.status, 0);
	assert_null(resp.body);
	assert_int_equal(http_request(client, "GET\r\nX-Evil: 1", "/x", NULL, 0, &resp, NULL), -EINVAL);
	assert_int_equal(http_request(client, NULL, "/x", NULL, 0, &resp, NULL), -EINVAL);
	assert_int_equal(http_request(client, "GET", "x", NULL, 0, &resp, NULL), -EINVAL);
	assert_int_equal(http_request(client, "GET", "/a b", NULL, 0, &resp, NULL), -EINVAL);
	assert_int_equal(http_request(client, "GET", "/a\r\nX-Evil: 1", NULL, 0, &resp, NULL), -EINVAL);
	assert_int_equal(http_request(client, "POST", "/x", NULL, 3, &resp, NULL), -EINVAL);
	detail = NULL;
	assert_int_equal(http_stream(client, "/x", NULL, 0, NULL, NULL, &resp, &detail), -EINVAL);
	assert_non_null(detail);
	free(detail);
	assert_int_equal(http_client_request_count(client), 0);
	http_response_release(&resp);
	http_response_release(NULL);
	http_client_free(client);
}

/* ---- plain HTTP ---------------------------------------------------------- */

static void test_methods_and_bodies(void **state)
{
	static const struct {
		const char *method;
		const char *body;          /* sent; NULL for none */
		const char *content_type;  /* expected; NULL: no header */
	} cases[] = {
		{ "GET", NULL, NULL },
		{ "DELETE", NULL, NULL },
		{ "DELETE", "{\"c\":3}", "application/json" },
		{ "POST", "{\"a\":1}", "application/json" },
		{ "POST", NULL, "application/json" },
		{ "PUT", "{\"b\":[2,\"\\u00e9\"]}", "application/json" },
		{ "PATCH", "{}", "application/json" },
	};
	struct http_client *client;
	size_t n = sizeof(cases) / sizeof(cases[0]);

	(void)state;
	require(&plain);
	client = client_new(plain.base, 5000, 0, NULL);
	for (size_t i = 0; i < n; i++) {
		const char *body = cases[i].body;
		struct http_response resp;
		char *detail = NULL;
		json_t *json;

		assert_int_equal(http_request(client, cases[i].method, "/echo?x=1&y=%2F", body,
					      body ? strlen(body) : 0, &resp, &detail), 0);
		assert_null(detail);
		assert_int_equal(resp.status, 200);
		assert_int_equal(strlen(resp.body), resp.len);
		json = json_loadb(resp.body, resp.len, 0, NULL);
		assert_non_null(json);
		assert_string_equal(member(json, "method"), cases[i].method);
		assert_string_equal(member(json, "path"), "/echo?x=1&y=%2F");
		assert_string_equal(member(json, "accept"), "application/json");
		assert_string_equal(member(json, "body"), body ? body : "");
		if (cases[i].content_type)
			assert_string_equal(member(json, "content_type"), cases[i].content_type);
		else
			assert_null(member(json, "content_type"));
		assert_null(member(json, "authorization"));
		json_decref(json);
		http_response_release(&resp);
		assert_null(resp.body);
	}
	assert_int_equal(http_client_request_count(client), n);
	http_client_free(client);
}

static void test_status_passthrough(void **state)
{
	static const long statuses[] = { 201, 204, 401, 404, 409, 500, 503 };
	struct http_client *client;

	(void)state;
	require(&plain);
	client = client_new(plain.base, 5000, 0, NULL);
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		struct http_response resp;
		char path[32], want[32];

		snprintf(path, sizeof(path), "/status/%ld", statuses[i]);
		snprintf(want, sizeof(want), "{\"code\":%ld}", statuses[i]);
		assert_int_equal(http_request(client, "GET", path, NULL, 0, &resp, NULL), 0);
		assert_int_equal(resp.status, statuses[i]);
		assert_string_equal(resp.body, statuses[i] == 204 ? "" : want);
		http_response_release(&resp);
	}
	/* Without a token source a 401 is not retried. */
	assert_int_equal(http_client_request_count(client), sizeof(statuses) / sizeof(statuses[0]));
	http_client_free(client);
}

static void test_timeout(void **state)
{
	struct http_client *client;
	struct http_response resp;
	char *detail = NULL;
	int64_t start, elapsed;

	(void)state;
	require(&plain);
	client = client_new(plain.base, 500, 0, NULL);
	start = now_ms();
	assert_int_equal(http_request(client, "GET", "/slow?ms=3000", NULL, 0, &resp, &detail),
			 -ETIMEDOUT);
	elapsed = now_ms() - start;
	assert_true(elapsed >= 450 && elapsed < 1500);
	assert_null(resp.body);
	assert_non_null(detail);
	assert_non_null(strstr(detail, plain.base));
	assert_non_null(strstr(detail, "/slow?ms=3000: "));
	free(detail);
	/* The handle that timed out goes back to the pool and works. */
	json_decref(get_json(client, "/echo"));
	assert_int_equal(http_client_request_count(client), 2);
	http_client_free(client);
}

static void test_connection_refused(void **state)
{
	struct http_client *client;
	struct http_response resp;
	char base[64], *detail = NULL;

	(void)state;
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", closed_port());
	client = client_new(base, 2000, 0, NULL);
	assert_int_equal(http_request(client, "GET", "/echo", NULL, 0, &resp, &detail), -ECONNREFUSED);
	assert_non_null(detail);
	assert_non_null(strstr(detail, base));
	free(detail);
	/* Nothing reached a server. */
	assert_int_equal(http_client_request_count(client), 0);
	http_client_free(client);
}

static void test_body_cap(void **state)
{
	static const struct {
		const char *path;
		int result;
	} cases[] = {
		{ "/big?n=1000", 0 },
		{ "/big?n=1000&chunked", 0 },
		{ "/big?n=1001", -EFBIG },            /* Content-Length over the cap */
		{ "/big?n=1001&chunked", -EFBIG },    /* counted as it arrives */
		{ "/big?n=50000&chunked", -EFBIG },
		{ "/big?n=1000&gzip", 0 },            /* decoded */
		{ "/big?n=50000&gzip", -EFBIG },      /* ~100 bytes on the wire */
	};
	struct http_client *client;

	(void)state;
	require(&plain);
	client = client_new(plain.base, 5000, 1000, NULL);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct http_response resp;
		char *detail = NULL;

		assert_int_equal(http_request(client, "GET", cases[i].path, NULL, 0, &resp, &detail),
				 cases[i].result);
		if (cases[i].result == 0) {
			assert_null(detail);
			assert_int_equal(resp.len, 1000);
			assert_int_equal(strspn(resp.body, "x"), 1000);
			http_response_release(&resp);
		} else {
			assert_null(resp.body);
			assert_non_null(detail);
			assert_non_null(strstr(detail, "larger than 1000 bytes"));
			free(detail);
		}
	}
	json_decref(get_json(client, "/echo"));
	http_client_free(client);
}

static void test_body_cap_announced(void **state)
{
	struct http_client *client;
	struct http_response resp;
	char *detail = NULL;
	int64_t start;

	(void)state;
	require(&plain);
	/* A reply whose Content-Length is over the cap is refused on its
	 * headers, without waiting for the body. */
	client = client_new(plain.base, 5000, 1000, NULL);
	start = now_ms();
	assert_int_equal(http_request(client, "GET", "/announce?n=1000000000&ms=10000", NULL, 0,
				      &resp, &detail), -EFBIG);
	assert_true(now_ms() - start < 2000);
	assert_non_null(detail);
	free(detail);
	http_client_free(client);
}

static void test_dropped_connection(void **state)
{
	struct http_client *client;
	struct http_response resp;
	char *detail = NULL;

	(void)state;
	require(&plain);
	client = client_new(plain.base, 5000, 0, NULL);
	assert_int_equal(http_request(client, "GET", "/drop", NULL, 0, &resp, &detail), -ECONNRESET);
	assert_null(resp.body);
	assert_non_null(detail);
	assert_non_null(strstr(detail, "/drop: "));
	free(detail);
	json_decref(get_json(client, "/echo"));
	http_client_free(client);
}

/* ---- streams ------------------------------------------------------------- */

struct collected {
	char data[4096];
	size_t len;
	int calls;
	int stop_after;     /* stop at this call; 0: never */
	int ticks;
	int stop_at_tick;   /* stop at this tick; 0: never */
	bool overflow;
};

static int collect(const char *data, size_t len, void *userdata)
{
	struct collected *col = userdata;

	if (!data) {
		assert_int_equal(len, 0);
		col->ticks++;
		return col->stop_at_tick > 0 && col->ticks >= col->stop_at_tick;
	}
	col->calls++;
	if (len >= sizeof(col->data) - col->len) {
		col->overflow = true;
		return 1;
	}
	memcpy(col->data + col->len, data, len);
	col->len += len;
	col->data[col->len] = '\0';
	return col->stop_after > 0 && col->calls >= col->stop_after;
}

static void test_stream_pieces(void **state)
{
	struct collected col = { .len = 0 };
	struct http_client *client;
	struct http_response resp;
	char *detail = NULL;

	(void)state;
	require(&plain);
	client = client_new(plain.base, 2000, 0, NULL);
	assert_int_equal(http_stream(client, "/stream?n=5&ms=50", NULL, 0, collect, &col, &resp, &detail), 0);
	assert_null(detail);
	assert_false(col.overflow);
	assert_int_equal(resp.status, 200);
	assert_string_equal(resp.body, "");
	assert_string_equal(col.data, "piece 0\npiece 1\npiece 2\npiece 3\npiece 4\n");
	/* Delivered as they came, not all at the end. */
	assert_true(col.calls >= 2);
	http_response_release(&resp);
	http_client_free(client);
}

static void test_stream_early_stop(void **state)
{
	struct collected col = { .stop_after = 1 };
	struct http_client *client;
	struct http_response resp;
	char *detail = NULL;
	int64_t start;

	(void)state;
	require(&plain);
	client = client_new(plain.base, 2000, 0, NULL);
	start = now_ms();
	/* The whole stream would take 5 s. */
	assert_int_equal(http_stream(client, "/stream?n=100&ms=50", NULL, 0, collect, &col, &resp, &detail), 0);
	assert_true(now_ms() - start < 2000);
	assert_null(detail);
	assert_int_equal(resp.status, 200);
	assert_int_equal(col.calls, 1);
	assert_string_equal(col.data, "piece 0\n");
	http_response_release(&resp);
	json_decref(get_json(client, "/echo"));
	http_client_free(client);
}

static void test_stream_error_status(void **state)
{
	struct collected col = { .len = 0 };
	struct http_client *client;
	struct http_response resp;

	(void)state;
	require(&plain);
	client = client_new(plain.base, 2000, 0, NULL);
	assert_int_equal(http_stream(client, "/status/404", NULL, 0, collect, &col, &resp, NULL), 0);
	assert_int_equal(resp.status, 404);
	assert_string_equal(resp.body, "{\"code\":404}");
	assert_int_equal(col.calls, 0);
	http_response_release(&resp);
	http_client_free(client);
}

static void test_stream_silence(void **state)
{
	struct collected col = { .len = 0 };
	struct http_client *client;
	struct http_response resp;
	char *detail = NULL;
	int64_t start, elapsed;

	(void)state;
	require(&plain);
	client = client_new(plain.base, 1000, 0, NULL);
	start = now_ms();
	/* One piece, then 10 s of silence. */
	assert_int_equal(http_stream(client, "/stream?n=2&ms=10000", NULL, 0, collect, &col, &resp, &detail),
			 -ETIMEDOUT);
	elapsed = now_ms() - start;
	assert_true(elapsed >= 1000 && elapsed < 3500);
	assert_string_equal(col.data, "piece 0\n");
	assert_null(resp.body);
	assert_non_null(detail);
	assert_non_null(strstr(detail, "no data for 1000 ms"));
	free(detail);
	http_client_free(client);
}

static void test_stream_keepalive(void **state)
{
	struct collected col = { .len = 0 };
	struct http_client *client;
	struct http_response resp;

	(void)state;
	require(&plain);
	/* One byte every 1.2 s: never silent for 2 s, although the average
	 * rate stays under 1 byte/s (which a low-speed limit would kill). */
	client = client_new(plain.base, 2000, 0, NULL);
	assert_int_equal(http_stream(client, "/keepalive?n=3&ms=1200", NULL, 0, collect, &col, &resp, NULL), 0);
	assert_int_equal(resp.status, 200);
	assert_string_equal(col.data, ":::done\n");
	http_response_release(&resp);
	http_client_free(client);
}

/* A quiet open stream ticks once a second; a tick may stop it, which is not
 * an error. Streams send the media type asked for. After
 * http_client_cancel_streams() every stream ends with -ECANCELED. */
static void test_stream_ticks_and_cancel(void **state)
{
	struct collected col = { .stop_at_tick = 2 };
	struct http_client *client;
	struct http_response resp;
	char *detail = NULL;
	int64_t start, elapsed;

	(void)state;
	require(&plain);
	client = client_new(plain.base, 5000, 0, NULL);
	start = now_ms();
	assert_int_equal(http_stream(client, "/stream?n=2&ms=10000", "text/event-stream", 0, collect,
				     &col, &resp, NULL), 0);
	elapsed = now_ms() - start;
	assert_int_equal(col.ticks, 2);
	assert_true(elapsed >= 1500 && elapsed < 4000);
	assert_string_equal(col.data, "piece 0\n");
	http_response_release(&resp);
	/* the media type asked for is sent */
	col = (struct collected){ .len = 0 };
	assert_int_equal(http_stream(client, "/echo", "text/event-stream", 0, collect, &col, &resp,
				     NULL), 0);
	assert_non_null(strstr(col.data, "\"accept\": \"text/event-stream\""));
	http_response_release(&resp);

	http_client_cancel_streams(client);
	col = (struct collected){ .len = 0 };
	start = now_ms();
	assert_int_equal(http_stream(client, "/stream?n=2&ms=10000", NULL, 0, collect, &col, &resp,
				     &detail), -ECANCELED);
	assert_true(now_ms() - start < 3000);
	assert_non_null(strstr(detail, "cancelled"));
	free(detail);
	http_response_release(&resp);
	http_client_free(client);
}

/* ---- tokens ------------------------------------------------------------- */

static void test_token_rotation_retry(void **state)
{
	char dir[PATH_MAX], path[PATH_MAX + 8];
	struct token_source *src = NULL;
	struct http_client *client;
	struct http_response resp;
	struct timespec times[2];
	struct stat st;
	json_t *json;

	(void)state;
	require(&plain);
	snprintf(dir, sizeof(dir), "%s/argofs-http-XXXXXX", tmp_root());
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/token", dir);
	write_file(path, "old\n");
	assert_int_equal(token_source_new_file(path, &src), 0);
	client = client_new(plain.base, 5000, 0, src);

	json = get_json(client, "/echo");
	assert_string_equal(member(json, "authorization"), "Bearer old");
	json_decref(json);
	assert_int_equal(http_client_request_count(client), 1);

	/* Rotate in place and keep size and mtime, so the source still serves
	 * its cached value: only the 401 makes it look again. */
	assert_int_equal(stat(path, &st), 0);
	write_file(path, "new\n");
	times[0] = st.st_atim;
	times[1] = st.st_mtim;
	assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);

	assert_int_equal(http_request(client, "GET", "/auth", NULL, 0, &resp, NULL), 0);
	assert_int_equal(resp.status, 200);
	http_response_release(&resp);
	assert_int_equal(http_client_request_count(client), 3);

	assert_int_equal(http_request(client, "GET", "/auth", NULL, 0, &resp, NULL), 0);
	assert_int_equal(resp.status, 200);
	http_response_release(&resp);
	assert_int_equal(http_client_request_count(client), 4);

	http_client_free(client);
	token_source_free(src);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

static void test_token_unchanged_no_retry(void **state)
{
	struct token_source *src = NULL;
	struct http_client *client;
	struct http_response resp;
	char *detail = NULL;

	(void)state;
	require(&plain);
	assert_int_equal(token_source_new_value("old", &src), 0);
	client = client_new(plain.base, 5000, 0, src);
	assert_int_equal(http_request(client, "GET", "/auth", NULL, 0, &resp, &detail), 0);
	assert_null(detail);
	assert_int_equal(resp.status, 401);
	assert_string_equal(resp.body, "{\"message\":\"token rejected\"}");
	http_response_release(&resp);
	assert_int_equal(http_client_request_count(client), 1);
	http_client_free(client);
	token_source_free(src);
}

static void test_token_unavailable(void **state)
{
	struct token_source *src = NULL;
	struct http_client *client;
	struct http_response resp;
	char path[PATH_MAX], base[64], *detail = NULL;

	(void)state;
	/* Fails before connecting: no server needed. */
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", closed_port());
	snprintf(path, sizeof(path), "%s/argofs-http-no-such-dir/token", tmp_root());
	assert_int_equal(token_source_new_file(path, &src), 0);
	client = client_new(base, 5000, 0, src);
	assert_int_equal(http_request(client, "GET", "/echo", NULL, 0, &resp, &detail), -EACCES);
	assert_non_null(detail);
	assert_non_null(strstr(detail, "token"));
	free(detail);
	assert_int_equal(http_client_request_count(client), 0);
	http_client_free(client);
	token_source_free(src);
}

static void test_detail_hides_token(void **state)
{
	static const char secret[] = "sekrit-4f9a1c";
	struct token_source *src = NULL;
	struct http_client *client, *refused;
	struct http_response resp;
	char base[64], *detail = NULL;
	json_t *json;

	(void)state;
	require(&plain);
	assert_int_equal(token_source_new_value(secret, &src), 0);
	client = client_new(plain.base, 500, 0, src);
	json = get_json(client, "/echo");
	assert_string_equal(member(json, "authorization"), "Bearer sekrit-4f9a1c");
	json_decref(json);

	assert_int_equal(http_request(client, "GET", "/slow?ms=3000", NULL, 0, &resp, &detail),
			 -ETIMEDOUT);
	assert_non_null(detail);
	assert_null(strstr(detail, secret));
	free(detail);

	snprintf(base, sizeof(base), "http://127.0.0.1:%d", closed_port());
	refused = client_new(base, 2000, 0, src);
	detail = NULL;
	assert_int_equal(http_request(refused, "POST", "/x", "{}", 2, &resp, &detail), -ECONNREFUSED);
	assert_non_null(detail);
	assert_null(strstr(detail, secret));
	free(detail);

	http_client_free(refused);
	http_client_free(client);
	token_source_free(src);
}

/* ---- connection reuse and threads -------------------------------------- */

struct worker {
	struct http_client *client;
	int requests;
	int ok;             /* requests that returned 0 with status 200 */
	long port;          /* client port of the last one */
};

/* No cmocka asserts here: they must run on the main thread. */
static void *worker_run(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < w->requests; i++) {
		struct http_response resp;
		json_t *json;

		if (http_request(w->client, "GET", "/echo", NULL, 0, &resp, NULL) < 0)
			continue;
		json = resp.status == 200 ? json_loadb(resp.body, resp.len, 0, NULL) : NULL;
		if (json) {
			w->port = (long)json_integer_value(json_object_get(json, "port"));
			w->ok++;
			json_decref(json);
		}
		http_response_release(&resp);
	}
	return NULL;
}

static void test_reuse_across_requests_and_threads(void **state)
{
	struct http_client *client;
	struct worker a, b;
	pthread_t thread;
	long port;

	(void)state;
	require(&plain);
	client = client_new(plain.base, 5000, 0, NULL);
	port = echo_port(client);
	assert_int_equal(echo_port(client), port);

	/* One thread after the other: the second gets the first's handle and
	 * with it the same keep-alive connection. */
	a = (struct worker){ .client = client, .requests = 1 };
	b = a;
	assert_int_equal(pthread_create(&thread, NULL, worker_run, &a), 0);
	assert_int_equal(pthread_join(thread, NULL), 0);
	assert_int_equal(pthread_create(&thread, NULL, worker_run, &b), 0);
	assert_int_equal(pthread_join(thread, NULL), 0);
	assert_int_equal(a.ok, 1);
	assert_int_equal(b.ok, 1);
	assert_int_equal(a.port, port);
	assert_int_equal(b.port, port);
	assert_int_equal(http_client_request_count(client), 4);
	http_client_free(client);
}

static void test_concurrent_requests(void **state)
{
	enum { THREADS = 4, EACH = 25 };
	struct worker workers[THREADS];
	pthread_t threads[THREADS];
	struct http_client *client;
	long before, after;

	(void)state;
	require(&plain);
	client = client_new(plain.base, 5000, 0, NULL);
	before = connections(client);
	for (int i = 0; i < THREADS; i++) {
		workers[i] = (struct worker){ .client = client, .requests = EACH };
		assert_int_equal(pthread_create(&threads[i], NULL, worker_run, &workers[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(threads[i], NULL), 0);
		assert_int_equal(workers[i].ok, EACH);
	}
	after = connections(client);
	/* At most one connection per concurrent request, kept alive. */
	assert_true(after - before <= THREADS);
	assert_int_equal(http_client_request_count(client), THREADS * EACH + 2);
	http_client_free(client);
}

static int plain_setup(void **state)
{
	int r;

	(void)state;
	r = server_start(&plain, NULL, NULL);
	if (r == -ENOENT) {
		plain.skip = "python3 not found";
		return 0;
	}
	return r < 0 ? -1 : 0;
}

static int plain_teardown(void **state)
{
	(void)state;
	server_stop(&plain);
	return 0;
}

/* ---- HTTPS --------------------------------------------------------------- */

static struct http_client *tls_client(const char *base, bool insecure, const char *ca_file)
{
	struct http_config cfg = {
		.base_url = base,
		.insecure = insecure,
		.ca_file = ca_file,
		.timeout_ms = 5000,
	};
	struct http_client *client = NULL;

	assert_int_equal(http_client_new(&cfg, &client), 0);
	return client;
}

static void test_tls_verification_fails(void **state)
{
	struct http_client *client;
	struct http_response resp;
	char want[128], *detail = NULL;

	(void)state;
	require(&tls);
	client = tls_client(tls.base, false, NULL);
	assert_int_equal(http_request(client, "GET", "/echo", NULL, 0, &resp, &detail), -EPROTO);
	assert_null(resp.body);
	assert_non_null(detail);
	/* "https://127.0.0.1:PORT/echo: SSL certificate problem: ..." */
	snprintf(want, sizeof(want), "%s/echo: ", tls.base);
	assert_memory_equal(detail, want, strlen(want));
	assert_non_null(strstr(detail, "certificate"));
	free(detail);
	http_client_free(client);
}

static void test_tls_insecure(void **state)
{
	struct http_client *client;
	json_t *json;

	(void)state;
	require(&tls);
	client = tls_client(tls.base, true, NULL);
	json = get_json(client, "/echo");
	assert_string_equal(member(json, "method"), "GET");
	json_decref(json);
	http_client_free(client);
}

static void test_tls_ca_file(void **state)
{
	struct http_client *client;

	(void)state;
	require(&tls);
	client = tls_client(tls.base, false, tls_cert);
	/* Verified, and the TLS connection is kept alive. */
	assert_int_equal(echo_port(client), echo_port(client));
	http_client_free(client);
}

static void test_tls_hostname_mismatch(void **state)
{
	struct http_client *client;
	struct http_response resp;
	char base[64], *detail = NULL;

	(void)state;
	require(&tls);
	/* The certificate names IP:127.0.0.1 only. */
	snprintf(base, sizeof(base), "https://localhost:%d", tls.port);
	client = tls_client(base, false, tls_cert);
	assert_int_equal(http_request(client, "GET", "/echo", NULL, 0, &resp, &detail), -EPROTO);
	assert_non_null(detail);
	assert_non_null(strstr(detail, "localhost"));
	free(detail);
	http_client_free(client);
}

static int tls_setup(void **state)
{
	char *argv[] = {
		"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
		"-nodes", "-days", "2", "-subj", "/CN=argofs test", "-addext",
		"subjectAltName=IP:127.0.0.1", "-keyout", tls_key, "-out", tls_cert, NULL,
	};
	pid_t pid;
	int r, status;

	(void)state;
	snprintf(tls_dir, sizeof(tls_dir), "%s/argofs-http-XXXXXX", tmp_root());
	if (!mkdtemp(tls_dir))
		return -1;
	snprintf(tls_cert, sizeof(tls_cert), "%s/cert.pem", tls_dir);
	snprintf(tls_key, sizeof(tls_key), "%s/key.pem", tls_dir);
	r = spawn(argv, -1, -1, true, &pid);
	if (r == -ENOENT) {
		tls.skip = "openssl not found";
		return 0;
	}
	if (r < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -1;
	r = server_start(&tls, tls_cert, tls_key);
	if (r == -ENOENT) {
		tls.skip = "python3 not found";
		return 0;
	}
	return r < 0 ? -1 : 0;
}

static int tls_teardown(void **state)
{
	(void)state;
	server_stop(&tls);
	unlink(tls_cert);
	unlink(tls_key);
	rmdir(tls_dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest http_tests[] = {
		cmocka_unit_test(test_invalid_arguments),
		cmocka_unit_test(test_methods_and_bodies),
		cmocka_unit_test(test_status_passthrough),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_connection_refused),
		cmocka_unit_test(test_body_cap),
		cmocka_unit_test(test_body_cap_announced),
		cmocka_unit_test(test_dropped_connection),
		cmocka_unit_test(test_stream_pieces),
		cmocka_unit_test(test_stream_early_stop),
		cmocka_unit_test(test_stream_error_status),
		cmocka_unit_test(test_stream_silence),
		cmocka_unit_test(test_stream_keepalive),
		cmocka_unit_test(test_stream_ticks_and_cancel),
		cmocka_unit_test(test_token_rotation_retry),
		cmocka_unit_test(test_token_unchanged_no_retry),
		cmocka_unit_test(test_token_unavailable),
		cmocka_unit_test(test_detail_hides_token),
		cmocka_unit_test(test_reuse_across_requests_and_threads),
		cmocka_unit_test(test_concurrent_requests),
	};
	const struct CMUnitTest https_tests[] = {
		cmocka_unit_test(test_tls_verification_fails),
		cmocka_unit_test(test_tls_insecure),
		cmocka_unit_test(test_tls_ca_file),
		cmocka_unit_test(test_tls_hostname_mismatch),
	};
	int failed;

	/* As the daemon does (libfuse's signal handlers): with CURLOPT_NOSIGNAL
	 * libcurl leaves SIGPIPE to the program. */
	signal(SIGPIPE, SIG_IGN);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return 1;
	failed = cmocka_run_group_tests_name("http", http_tests, plain_setup, plain_teardown);
	failed += cmocka_run_group_tests_name("https", https_tests, tls_setup, tls_teardown);
	curl_global_cleanup();
	return failed;
}
