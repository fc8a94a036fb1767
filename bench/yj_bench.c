/*
 * yj_bench - throughput of argofs's YAML <-> JSON converter (src/yamljson.c).
 *
 *   yj_bench [-t SECONDS] [-j OUTDIR] FILE...
 *
 * Each FILE holds one YAML document (bench/measure.py splits the Argo
 * examples into such files). Files the converter refuses are reported on
 * stderr ("skip FILE: reason") and left out. With -j, the JSON of every
 * accepted file is written to OUTDIR/BASENAME.json, so that the Python
 * baseline converts exactly the same documents.
 *
 * Both directions are text to text, as argofs uses them:
 *   yaml2json: yj_yaml_to_json() then json_dumps(JSON_COMPACT)
 *   json2yaml: json_loads() then yj_json_to_yaml()
 * Every file is converted once per pass; passes repeat until SECONDS
 * (default 2) have gone by, at most MAX_PASSES. MB/s is input bytes (10^6)
 * per second of wall time. The last line is machine-readable:
 *   RESULT files=N yaml_bytes=B json_bytes=B yaml2json_mbps=X json2yaml_mbps=Y
 * Built by bench/run.sh against the static library libargofs.a.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "argofs/yamljson.h"

#define MAX_PASSES 100000

struct doc {
	const char *path;
	char *yaml;
	size_t yaml_len;
	char *json;
	size_t json_len;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, got;

	if (!f)
		return NULL;
	do {
		if (n + 4096 > cap) {
			char *nb;

			cap = cap ? cap * 2 : 65536;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got > 0);
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static int write_json(const char *dir, const struct doc *d)
{
	const char *base = strrchr(d->path, '/');
	char path[4096];
	FILE *f;
	int ok;

	base = base ? base + 1 : d->path;
	snprintf(path, sizeof(path), "%s/%s.json", dir, base);
	f = fopen(path, "wb");
	if (!f)
		return -errno;
	ok = fwrite(d->json, 1, d->json_len, f) == d->json_len;
	return fclose(f) == 0 && ok ? 0 : -EIO;
}

/* One pass of yaml2json over all docs; returns the number of failures. */
static int pass_yaml2json(struct doc *docs, size_t n)
{
	int bad = 0;

	for (size_t i = 0; i < n; i++) {
		json_t *j = NULL;
		char *out;

		if (yj_yaml_to_json(docs[i].yaml, docs[i].yaml_len, &j, NULL) < 0) {
			bad++;
			continue;
		}
		out = json_dumps(j, JSON_COMPACT);
		if (!out)
			bad++;
		free(out);
		json_decref(j);
	}
	return bad;
}

static int pass_json2yaml(struct doc *docs, size_t n)
{
	int bad = 0;

	for (size_t i = 0; i < n; i++) {
		json_t *j = json_loadb(docs[i].json, docs[i].json_len, 0, NULL);
		char *out = NULL;
		size_t len;

		if (!j || yj_json_to_yaml(j, &out, &len) < 0)
			bad++;
		free(out);
		json_decref(j);
	}
	return bad;
}

static double run(int (*pass)(struct doc *, size_t), struct doc *docs, size_t n,
		  size_t bytes, double min_seconds, const char *label)
{
	double t0 = now(), el;
	long passes = 0;
	int bad = 0;

	do {
		bad += pass(docs, n);
		passes++;
		el = now() - t0;
	} while (el < min_seconds && passes < MAX_PASSES);
	if (bad)
		fprintf(stderr, "yj_bench: %s: %d conversions failed\n", label, bad);
	printf("yj_bench: %s: %.1f MB/s (%zu bytes x %ld passes in %.2f s)\n", label,
	       bytes * (double)passes / el / 1e6, bytes, passes, el);
	return bytes * (double)passes / el / 1e6;
}

int main(int argc, char **argv)
{
	double min_seconds = 2.0, y2j, j2y;
	const char *outdir = NULL;
	size_t n = 0, ybytes = 0, jbytes = 0;
	struct doc *docs;
	int opt;

	while ((opt = getopt(argc, argv, "t:j:")) != -1) {
		switch (opt) {
		case 't':
			min_seconds = atof(optarg);
			break;
		case 'j':
			outdir = optarg;
			break;
		default:
			fprintf(stderr, "usage: yj_bench [-t SECONDS] [-j OUTDIR] FILE...\n");
			return 2;
		}
	}
	docs = calloc(argc > optind ? argc - optind : 1, sizeof(*docs));
	if (!docs)
		return 1;
	for (int a = optind; a < argc; a++) {
		struct doc *d = &docs[n];
		struct yj_error err = { 0 };
		json_t *j = NULL;

		d->path = argv[a];
		d->yaml = slurp(argv[a], &d->yaml_len);
		if (!d->yaml) {
			fprintf(stderr, "skip %s: %s\n", argv[a], strerror(errno));
			continue;
		}
		if (yj_yaml_to_json(d->yaml, d->yaml_len, &j, &err) < 0) {
			fprintf(stderr, "skip %s: %d:%d %s\n", argv[a], err.line, err.column,
				err.message);
			free(d->yaml);
			continue;
		}
		d->json = json_dumps(j, JSON_COMPACT);
		json_decref(j);
		if (!d->json) {
			fprintf(stderr, "skip %s: json_dumps failed\n", argv[a]);
			free(d->yaml);
			continue;
		}
		d->json_len = strlen(d->json);
		if (outdir && write_json(outdir, d) < 0) {
			fprintf(stderr, "yj_bench: cannot write JSON for %s into %s\n", argv[a], outdir);
			return 1;
		}
		ybytes += d->yaml_len;
		jbytes += d->json_len;
		n++;
	}
	if (n == 0) {
		fprintf(stderr, "yj_bench: no document to convert\n");
		return 1;
	}
	y2j = run(pass_yaml2json, docs, n, ybytes, min_seconds, "yaml->json");
	j2y = run(pass_json2yaml, docs, n, jbytes, min_seconds, "json->yaml");
	printf("RESULT files=%zu yaml_bytes=%zu json_bytes=%zu yaml2json_mbps=%.3f json2yaml_mbps=%.3f\n",
	       n, ybytes, jbytes, y2j, j2y);
	for (size_t i = 0; i < n; i++) {
		free(docs[i].yaml);
		free(docs[i].json);
	}
	free(docs);
	return 0;
}
