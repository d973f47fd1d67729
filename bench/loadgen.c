/*
 * loadgen.c: a load client for ballotd (bench/ballotd-bench.sh).
 *
 * usage: loadgen --connect ADDR:PORT [--tls] [--cafile FILE]
 *                --organiser-credential-file FILE --mode tokens|casts
 *                [--clients C] [--count N] [--duration S] [--poll ID]
 *                [--server-pid PID] [--json]
 *
 * Preparation, not timed: create a poll of N voters through the API
 * (organiser credential), import the roll (the CSV is generated here),
 * run the ceremony, set a test election key (the daemon must run with
 * test_election_key = true), open.  Then, for every voter, Prepare and
 * Blind a token with the class's key (on every CPU).  For casts, also ask
 * for every token (over the clients' own connections), Finalize it, pad
 * and seal a ballot to the election key and encode the cast, so that the
 * timed phase only sends requests.
 *
 * Timed phase: C client threads, each with one keep-alive connection
 * (TLS with --tls; the handshake is done before the clock starts), send
 * their share of the N requests back to back, one at a time, until the
 * share is done or S seconds have passed.  Each request's latency is the
 * time from the first byte written to the last byte of the answer read; a
 * cast's answer is its receipt, which ballotd sends only after the commit
 * that made the entry durable (docs/store.md).  A request counts as done
 * when the answer is 200 with the expected body; anything else is an
 * error (the connection is made again if it broke).
 *
 * Output: one line (or with --json one object) with the requests per
 * second over the timed phase, p50/p90/p99/max latency in ms, errors, the
 * server's own count from GET /polls/{id}/status afterwards, and the CPU
 * seconds this program and (with --server-pid, from /proc/PID/stat) the
 * daemon spent during the timed phase.
 *
 * This is a benchmark tool: on anything unexpected in the preparation it
 * prints what and exits 1.
 */
#define _GNU_SOURCE /* memmem, strcasestr */

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <jansson.h>

#include "bcrypto.h"
#include "benchhttp.h"
#include "blindrsa.h"
#include "encode.h"
#include "hpke.h"
#include "pad.h"
#include "proto.h"
#include "sign.h"

#define LG_VARIANT    BC_BRSA_SHA384_PSS_RANDOMIZED
#define LG_KLEN       256  /* every token key is RSA-2048 (api.md) */
#define LG_BALLOT     1024 /* the poll's ballot_size: a realistic entry */
#define LG_TIMEOUT_S  60   /* socket timeout: no request hangs the run */

enum lg_mode { LG_TOKENS, LG_CASTS };

struct lg_voter {
	proto_credential cred;
	uint8_t prepared[PROTO_TOKEN_LEN];
	uint8_t cast_sk[BC_ED25519_SK_LEN]; /* msg is its public key */
	uint8_t blinded[LG_KLEN];
	uint8_t inv[LG_KLEN];
	uint8_t sig[LG_KLEN];
	char *body; /* the timed request's JSON body */
	size_t body_len;
};

struct lg {
	struct sockaddr_in addr;
	int tls;
	SSL_CTX *ctx;
	char auth[512]; /* "Bearer <credential>" */
	enum lg_mode mode;
	size_t clients, count;
	double duration;
	int json;
	char poll[PROTO_ID_MAX + 1];
	char path[PROTO_ID_MAX + 32]; /* the timed route */
	char class_id[PROTO_CLASS_ID_MAX + 1];
	proto_poll *def;
	bc_brsa_key *key;
	uint8_t election_pk[BC_HPKE_PK_LEN];
	struct lg_voter *voters; /* count of them */
	pthread_barrier_t start; /* the clients and main */
	int server_pid;          /* 0: not measured */
};

/* One client thread of the timed phase (or of the preparation). */
struct lg_client {
	struct lg *g;
	size_t first, n; /* its voters */
	struct bh_conn c;
	double *lat; /* seconds, one per request done */
	size_t nlat, errors, nprep_fail;
	double t_start, t_end;
	int status_seen; /* the first unexpected status, for the message */
	char err_sample[200];
};

static void lg_die(const char *fmt, ...)
    __attribute__((noreturn, format(printf, 1, 2)));

static void lg_die(const char *fmt, ...)
{
	va_list ap;

	fputs("loadgen: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static double lg_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *lg_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		lg_die("out of memory");
	return p;
}

/* base64url of p[0..n), malloc'd. */
static char *lg_b64(const uint8_t *p, size_t n)
{
	char *s = lg_xmalloc(BC_B64_LEN(n) + 1);
	size_t len;

	if (bc_b64url_encode(p, n, s, BC_B64_LEN(n) + 1, &len) != BC_OK)
		lg_die("base64url encoding failed");
	s[len] = '\0';
	return s;
}

/* ------------------------------------------------------------------ */
/* HTTP/1.1 over a keep-alive connection                              */

/* 0, or -1 with a message in err. */
static int lg_connect(const struct lg *g, struct bh_conn *c, char *err,
                      size_t errlen)
{
	return bh_connect(c, &g->addr, g->tls ? g->ctx : NULL, LG_TIMEOUT_S,
	                  err, errlen);
}

/* A preparation request that must answer `want`; the body is returned
 * (malloc'd) when rbody is not NULL. */
static void lg_must(struct bh_conn *c, const struct lg *g, const char *method,
                    const char *path, const char *ctype, int organiser,
                    const char *body, size_t blen, int want, char **rbody,
                    size_t *rblen)
{
	int status = 0;
	char *b;
	size_t bl;

	if (bh_request(c, method, path, ctype, organiser ? g->auth : NULL,
	               body, blen, &status, &b, &bl) == -1)
		lg_die("%s %s: the connection failed", method, path);
	if (status != want)
		lg_die("%s %s: status %d (expected %d): %.300s", method, path,
		       status, want, b ? b : "");
	if (rbody != NULL) {
		*rbody = b;
		*rblen = bl;
	} else
		free(b);
}

/* ------------------------------------------------------------------ */
/* Preparation                                                        */

static json_t *lg_json(const char *text, size_t len, const char *what)
{
	json_error_t je;
	json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);

	if (o == NULL)
		lg_die("%s: not JSON: %s", what, je.text);
	return o;
}

/* The definition: one STV contest, one trustee (whose keys never serve:
 * the election key is set by the test route). */
static char *lg_definition(const char *id, size_t *len)
{
	uint8_t esk[BC_ED25519_SK_LEN], epk[BC_ED25519_PK_LEN];
	uint8_t hsk[BC_HPKE_SK_LEN], hpk[BC_HPKE_PK_LEN];
	char *sk64, *hk64, *text;
	size_t cap = 2048;
	int n;

	if (bc_ed25519_keygen(esk, epk) != BC_OK ||
	    bc_hpke_keygen(hsk, hpk) != BC_OK)
		lg_die("key generation failed");
	bc_wipe(esk, sizeof(esk));
	bc_wipe(hsk, sizeof(hsk));
	sk64 = lg_b64(epk, sizeof(epk));
	hk64 = lg_b64(hpk, sizeof(hpk));
	text = lg_xmalloc(cap);
	n = snprintf(
	    text, cap,
	    "{\"format\":\"ballot-poll/1\",\"id\":\"%s\","
	    "\"title\":\"Load test %s\",\"revoting\":false,"
	    "\"ballot_size\":%d,\"min_class_size\":1,"
	    "\"contests\":[{\"id\":\"committee\",\"title\":\"Committee\","
	    "\"kind\":\"stv\",\"rule\":\"scottish-stv\",\"seats\":2,"
	    "\"candidates\":[{\"name\":\"Ann\"},{\"name\":\"Bob\"},"
	    "{\"name\":\"Cy\"},{\"name\":\"Di\"},{\"name\":\"Ed\"}]}],"
	    "\"trustees\":{\"k\":1,\"members\":[{\"name\":\"Trustee A\","
	    "\"sign_key\":\"%s\",\"hpke_key\":\"%s\"}]}}",
	    id, id, LG_BALLOT, sk64, hk64);
	free(sk64);
	free(hk64);
	if (n < 0 || (size_t)n >= cap)
		lg_die("definition too long");
	*len = (size_t)n;
	return text;
}

/* The credentials CSV of the roll answer into the voters. */
static void lg_read_credentials(struct lg *g, char *csv)
{
	char *line, *save = NULL, *last, *prev;
	size_t i = 0;
	proto_err perr;

	line = strtok_r(csv, "\r\n", &save);
	if (line == NULL ||
	    strcmp(line, "voter_id,email,name,class,credential") != 0)
		lg_die("roll: unexpected CSV header: %.80s",
		       line ? line : "(none)");
	while ((line = strtok_r(NULL, "\r\n", &save)) != NULL) {
		/* Names are "Voter N" (no quoting), so the last two
		 * fields are the class and the credential. */
		if (i >= g->count || (last = strrchr(line, ',')) == NULL)
			lg_die("roll: unexpected CSV line %zu", i + 2);
		*last++ = '\0';
		prev = strrchr(line, ',');
		if (prev == NULL)
			lg_die("roll: unexpected CSV line %zu", i + 2);
		prev++;
		if (i == 0)
			snprintf(g->class_id, sizeof(g->class_id), "%s", prev);
		else if (strcmp(prev, g->class_id) != 0)
			lg_die("roll: voters in more than one class");
		if (proto_credential_parse(last, strlen(last),
		                           &g->voters[i].cred,
		                           &perr) != PROTO_OK)
			lg_die("roll: credential of line %zu: %s", i + 2,
			       perr.msg);
		i++;
	}
	if (i != g->count)
		lg_die("roll: %zu credentials for %zu voters", i, g->count);
}

/* Poll, roll, ceremony, test election key, open. */
static void lg_setup_poll(struct lg *g)
{
	struct bh_conn c = BH_CONN_INIT;
	char err[256], path[256], *def, *roll, *ans, *s;
	size_t dlen, rlen, alen, i, off;
	uint8_t hsk[BC_HPKE_SK_LEN], spki[4096];
	json_t *o, *cls, *tk;
	proto_err perr;
	int n;

	if (lg_connect(g, &c, err, sizeof(err)) == -1)
		lg_die("%s", err);
	def = lg_definition(g->poll, &dlen);
	if (proto_poll_parse(def, dlen, &g->def, &perr) != PROTO_OK)
		lg_die("our own definition: %s", perr.msg);
	lg_must(&c, g, "POST", "/polls", "application/json", 1, def, dlen,
	        201, NULL, NULL);
	free(def);

	rlen = 32 + g->count * 48;
	roll = lg_xmalloc(rlen);
	off = (size_t)snprintf(roll, rlen, "voter_id,name\n");
	for (i = 0; i < g->count; i++)
		off += (size_t)snprintf(roll + off, rlen - off,
		                        "v%zu,Voter %zu\n", i, i);
	snprintf(path, sizeof(path), "/polls/%s/roll", g->poll);
	lg_must(&c, g, "POST", path, "text/csv", 1, roll, off, 200, &ans,
	        &alen);
	free(roll);
	lg_read_credentials(g, ans);
	free(ans);

	snprintf(path, sizeof(path), "/polls/%s/ceremony", g->poll);
	lg_must(&c, g, "POST", path, "application/json", 1,
	        "{\"allow_small_classes\":true}", 28, 200, NULL, NULL);

	if (bc_hpke_keygen(hsk, g->election_pk) != BC_OK)
		lg_die("key generation failed");
	bc_wipe(hsk, sizeof(hsk)); /* nobody will open these ballots */
	s = lg_b64(g->election_pk, sizeof(g->election_pk));
	snprintf(path, sizeof(path), "/polls/%s/_test/election-key", g->poll);
	{
		char body[256];

		n = snprintf(body, sizeof(body), "{\"election_key\":\"%s\"}",
		             s);
		lg_must(&c, g, "POST", path, "application/json", 1, body,
		        (size_t)n, 200, NULL, NULL);
	}
	free(s);
	snprintf(path, sizeof(path), "/polls/%s/open", g->poll);
	lg_must(&c, g, "POST", path, "application/json", 1, "{}", 2, 200,
	        NULL, NULL);

	snprintf(path, sizeof(path), "/polls/%s", g->poll);
	lg_must(&c, g, "GET", path, NULL, 0, NULL, 0, 200, &ans, &alen);
	o = lg_json(ans, alen, "GET /polls/{id}");
	free(ans);
	cls = json_array_get(json_object_get(o, "classes"), 0);
	tk = json_object_get(json_object_get(cls, "token_key"), "spki");
	if (!json_is_string(tk) ||
	    strcmp(json_string_value(json_object_get(cls, "id")),
	           g->class_id) != 0)
		lg_die("GET /polls/%s: no token key for class %s", g->poll,
		       g->class_id);
	if (bc_b64url_decode(json_string_value(tk), json_string_length(tk),
	                     spki, sizeof(spki), &dlen) != BC_OK ||
	    bc_brsa_key_from_spki_der(spki, dlen, &g->key) != BC_OK ||
	    bc_brsa_key_len(g->key) != LG_KLEN)
		lg_die("GET /polls/%s: a bad token key", g->poll);
	json_decref(o);
	bh_close(&c);
	free(c.buf);
}

/* Prepare and Blind for voters [first, first + n). */
struct lg_blind_job {
	struct lg *g;
	size_t first, n;
};

static void *lg_blind_thread(void *arg)
{
	struct lg_blind_job *j = arg;
	uint8_t msg[BC_ED25519_PK_LEN];
	size_t i;

	/* As a voter's client does: msg is the public half of a fresh
	 * cast key (protocol.md section 5). */
	for (i = j->first; i < j->first + j->n; i++) {
		struct lg_voter *v = &j->g->voters[i];

		if (bc_ed25519_keygen(v->cast_sk, msg) != BC_OK ||
		    bc_brsa_prepare(LG_VARIANT, msg, sizeof(msg),
		                    v->prepared) != BC_OK ||
		    bc_brsa_blind(j->g->key, LG_VARIANT, v->prepared,
		                  sizeof(v->prepared), v->blinded, v->inv,
		                  LG_KLEN) != BC_OK)
			lg_die("blinding failed");
	}
	return NULL;
}

static void lg_token_body(struct lg_voter *v)
{
	proto_token_req req;
	json_t *m;

	memset(&req, 0, sizeof(req));
	req.cred = v->cred;
	memcpy(req.blinded, v->blinded, LG_KLEN);
	req.blinded_len = LG_KLEN;
	m = proto_token_req_encode(&req);
	if (m == NULL ||
	    (v->body = proto_json_text(m, &v->body_len)) == NULL)
		lg_die("out of memory");
	json_decref(m);
}

/* The cast of voter i, once it has its token: Finalize, ballot, seal. */
static void lg_cast_body(struct lg *g, size_t i)
{
	struct lg_voter *v = &g->voters[i];
	uint16_t ranks[5];
	proto_ballot b;
	proto_cast cast;
	proto_buf info = {0};
	proto_err perr;
	uint8_t padded[LG_BALLOT], tid[32];
	char *pt;
	size_t ptlen, k;
	json_t *m;

	/* A different full ranking for different voters (rotations). */
	for (k = 0; k < 5; k++)
		ranks[k] = (uint16_t)((i + k) % 5 + 1);
	memset(&b, 0, sizeof(b));
	b.nchoices = 1;
	b.choices[0].contest = 0;
	b.choices[0].ranks = ranks;
	b.choices[0].nranks = 1 + i % 5;
	if (proto_ballot_encode(g->def, g->class_id, &b, &pt, &ptlen, &perr) !=
	    PROTO_OK)
		lg_die("ballot: %s", perr.msg);
	memset(&cast, 0, sizeof(cast));
	cast.ballot_len = LG_BALLOT + PROTO_SEAL_OVERHEAD;
	cast.ballot = lg_xmalloc(cast.ballot_len);
	proto_seal_info(&info, g->def->poll_hash, g->class_id);
	if (bc_pad((const uint8_t *)pt, ptlen, padded, LG_BALLOT) != BC_OK ||
	    proto_token_id(g->class_id, v->prepared, sizeof(v->prepared),
	                   tid) != PROTO_OK ||
	    info.failed ||
	    bc_hpke_seal(g->election_pk, info.p, info.len, tid, sizeof(tid),
	                 padded, LG_BALLOT, cast.ballot,
	                 cast.ballot + BC_HPKE_ENC_LEN) != BC_OK)
		lg_die("sealing a ballot failed");
	proto_buf_free(&info);
	free(pt);
	snprintf(cast.class_id, sizeof(cast.class_id), "%s", g->class_id);
	memcpy(cast.token, v->prepared, sizeof(cast.token));
	memcpy(cast.sig, v->sig, LG_KLEN);
	cast.sig_len = LG_KLEN;
	if (proto_cast_sign(v->cast_sk, g->def->poll_hash, g->class_id,
	                    cast.token, sizeof(cast.token), cast.ballot,
	                    cast.ballot_len, cast.cast_sig) != PROTO_OK)
		lg_die("signing a cast failed");
	bc_wipe(v->cast_sk, sizeof(v->cast_sk));
	m = proto_cast_encode(&cast);
	free(cast.ballot);
	if (m == NULL ||
	    (v->body = proto_json_text(m, &v->body_len)) == NULL)
		lg_die("out of memory");
	json_decref(m);
}

/* Casts only: get every token of the client's voters and build the
 * casts, over the client's own connection (not timed). */
static void *lg_prep_casts_thread(void *arg)
{
	struct lg_client *cl = arg;
	struct lg *g = cl->g;
	proto_token_ans ans;
	proto_err perr;
	char path[PROTO_ID_MAX + 32], err[256], *rb;
	size_t i, rl;
	int status;

	snprintf(path, sizeof(path), "/polls/%s/tokens", g->poll);
	for (i = cl->first; i < cl->first + cl->n; i++) {
		struct lg_voter *v = &g->voters[i];

		if (cl->c.fd == -1 && lg_connect(g, &cl->c, err,
		                                 sizeof(err)) == -1)
			lg_die("%s", err);
		if (bh_request(&cl->c, "POST", path, "application/json", NULL,
		               v->body, v->body_len, &status, &rb,
		               &rl) == -1) {
			/* The same blinded message again is harmless. */
			bh_close(&cl->c);
			i--;
			if (++cl->nprep_fail > 100)
				lg_die("token requests keep failing");
			continue;
		}
		if (status != 200 ||
		    proto_token_ans_decode(rb, rl, LG_KLEN, &ans, &perr) !=
		        PROTO_OK ||
		    bc_brsa_finalize(g->key, LG_VARIANT, v->prepared,
		                     sizeof(v->prepared), ans.blind_sig,
		                     v->inv, v->sig, LG_KLEN) != BC_OK)
			lg_die("token for voter %zu: status %d: %.200s", i,
			       status, rb ? rb : "");
		free(rb);
		free(v->body);
		lg_cast_body(g, i);
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* The timed phase                                                    */

static int lg_answer_ok(enum lg_mode mode, const char *b, size_t len)
{
	/* A cheap check of the body: the point is the rate, and the
	 * client shares the CPUs with the daemon. */
	if (b == NULL)
		return 0;
	if (mode == LG_TOKENS)
		return memmem(b, len, "\"blind_sig\"", 11) != NULL;
	return memmem(b, len, "\"receipt_sig\"", 13) != NULL;
}

static void *lg_client_thread(void *arg)
{
	struct lg_client *cl = arg;
	struct lg *g = cl->g;
	char err[256], *rb;
	size_t i, rl;
	double deadline, t0, t1;
	int status;

	if (cl->c.fd == -1 && lg_connect(g, &cl->c, err, sizeof(err)) == -1)
		lg_die("%s", err);
	pthread_barrier_wait(&g->start);
	cl->t_start = lg_now();
	deadline = cl->t_start + g->duration;
	for (i = cl->first; i < cl->first + cl->n; i++) {
		struct lg_voter *v = &g->voters[i];
		int rc;

		t0 = lg_now();
		if (t0 >= deadline)
			break;
		/*
		 * The token answer closes its connection (protocol.md
		 * section 7): each token request then pays for a new
		 * connection and TLS handshake, inside the clock, as a
		 * voter's does.
		 */
		if (cl->c.fd == -1 &&
		    lg_connect(g, &cl->c, err, sizeof(err)) == -1) {
			cl->errors++;
			if (cl->err_sample[0] == '\0')
				snprintf(cl->err_sample,
				         sizeof(cl->err_sample),
				         "connect: %.150s", err);
			break;
		}
		rc = bh_request(&cl->c, "POST", g->path, "application/json",
		                NULL, v->body, v->body_len, &status, &rb, &rl);
		t1 = lg_now();
		if (rc == 0 && status == 200 && lg_answer_ok(g->mode, rb, rl))
			cl->lat[cl->nlat++] = t1 - t0;
		else {
			cl->errors++;
			if (cl->err_sample[0] == '\0')
				snprintf(cl->err_sample, sizeof(cl->err_sample),
				         "%s %d: %.150s",
				         rc ? "connection failed" : "status",
				         rc ? 0 : status, rb ? rb : "");
			if (rc == -1) {
				bh_close(&cl->c);
				if (lg_connect(g, &cl->c, err, sizeof(err)) ==
				    -1) {
					free(rb);
					break;
				}
			}
		}
		free(rb);
	}
	cl->t_end = lg_now();
	return NULL;
}

/* utime + stime of a process from /proc/PID/stat, in seconds; -1 if
 * unreadable. */
static double lg_proc_cpu(int pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut, st;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* Fields 14 and 15, counted after the ")" that ends the name. */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
	           &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double lg_self_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int lg_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The nearest-rank percentile q (0..1] of sorted v[0..n). */
static double lg_pct(const double *v, size_t n, double q)
{
	size_t r;

	if (n == 0)
		return 0;
	r = (size_t)(q * (double)n + 0.999999);
	if (r < 1)
		r = 1;
	return v[r > n ? n - 1 : r - 1];
}

/* The server's own count: tokens_issued or tokens_cast of the class. */
static long long lg_server_count(struct lg *g)
{
	struct bh_conn c = BH_CONN_INIT;
	char err[256], path[256], *ans;
	size_t alen;
	json_t *o, *cl;
	long long v;

	if (lg_connect(g, &c, err, sizeof(err)) == -1)
		lg_die("%s", err);
	snprintf(path, sizeof(path), "/polls/%s/status", g->poll);
	lg_must(&c, g, "GET", path, NULL, 0, NULL, 0, 200, &ans, &alen);
	o = lg_json(ans, alen, "GET /polls/{id}/status");
	free(ans);
	cl = json_array_get(json_object_get(o, "classes"), 0);
	v = json_integer_value(json_object_get(
	    cl, g->mode == LG_TOKENS ? "tokens_issued" : "tokens_cast"));
	json_decref(o);
	bh_close(&c);
	free(c.buf);
	return v;
}

static void lg_usage(FILE *f)
{
	fputs("usage: loadgen --connect ADDR:PORT [--tls] [--cafile FILE]\n"
	      "               --organiser-credential-file FILE\n"
	      "               --mode tokens|casts [--clients C] [--count N]\n"
	      "               [--duration S] [--poll ID] [--server-pid PID]\n"
	      "               [--json]\n",
	      f);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"connect", required_argument, NULL, 'c'},
	    {"tls", no_argument, NULL, 't'},
	    {"cafile", required_argument, NULL, 'a'},
	    {"organiser-credential-file", required_argument, NULL, 'o'},
	    {"mode", required_argument, NULL, 'm'},
	    {"clients", required_argument, NULL, 'n'},
	    {"count", required_argument, NULL, 'N'},
	    {"duration", required_argument, NULL, 'd'},
	    {"poll", required_argument, NULL, 'p'},
	    {"server-pid", required_argument, NULL, 's'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0}};
	struct lg g;
	struct lg_client *cls;
	pthread_t *tids;
	const char *connect_to = NULL, *cafile = NULL, *credfile = NULL;
	const char *mode = "tokens";
	char cred[400], *colon, addr[64];
	double t_prep, t_begin, t_end, *all, secs, rps;
	double srv0 = -1, srv1 = -1, self0, self1;
	size_t i, per, nall, errors, nthreads;
	long ncpu;
	long long server;
	FILE *f;
	int ch, port;

	memset(&g, 0, sizeof(g));
	g.clients = 1;
	g.count = 1000;
	g.duration = 10;
	snprintf(g.poll, sizeof(g.poll), "load-%ld-%d", (long)time(NULL),
	         (int)getpid());
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': connect_to = optarg; break;
		case 't': g.tls = 1; break;
		case 'a': cafile = optarg; break;
		case 'o': credfile = optarg; break;
		case 'm': mode = optarg; break;
		case 'n': g.clients = strtoul(optarg, NULL, 10); break;
		case 'N': g.count = strtoul(optarg, NULL, 10); break;
		case 'd': g.duration = strtod(optarg, NULL); break;
		case 'p': snprintf(g.poll, sizeof(g.poll), "%s", optarg); break;
		case 'j': g.json = 1; break;
		case 's': g.server_pid = atoi(optarg); break;
		case 'h': lg_usage(stdout); return 0;
		default: lg_usage(stderr); return 2;
		}
	}
	if (optind != argc || connect_to == NULL || credfile == NULL) {
		lg_usage(stderr);
		return 2;
	}
	if (strcmp(mode, "tokens") == 0)
		g.mode = LG_TOKENS;
	else if (strcmp(mode, "casts") == 0)
		g.mode = LG_CASTS;
	else
		lg_die("--mode: expected tokens or casts");
	if (g.clients < 1 || g.clients > 1000 || g.count < g.clients ||
	    g.count > 1000000 || !(g.duration > 0 && g.duration <= 3600))
		lg_die("--clients 1..1000, --count clients..1000000, "
		       "--duration 0..3600");
	snprintf(addr, sizeof(addr), "%s", connect_to);
	if ((colon = strrchr(addr, ':')) == NULL)
		lg_die("--connect: expected ADDR:PORT");
	*colon = '\0';
	port = atoi(colon + 1);
	g.addr.sin_family = AF_INET;
	g.addr.sin_port = htons((uint16_t)port);
	if (port < 1 || port > 65535 ||
	    inet_pton(AF_INET, addr, &g.addr.sin_addr) != 1)
		lg_die("--connect: expected IPv4:PORT");
	if ((f = fopen(credfile, "r")) == NULL ||
	    fgets(cred, sizeof(cred), f) == NULL)
		lg_die("%s: cannot read the credential", credfile);
	fclose(f);
	cred[strcspn(cred, "\r\n")] = '\0';
	snprintf(g.auth, sizeof(g.auth), "Bearer %s", cred);
	bc_wipe(cred, sizeof(cred));
	signal(SIGPIPE, SIG_IGN);
	if (g.tls) {
		if ((g.ctx = SSL_CTX_new(TLS_client_method())) == NULL)
			lg_die("SSL_CTX_new failed");
		if (cafile != NULL) {
			if (SSL_CTX_load_verify_locations(g.ctx, cafile,
			                                  NULL) != 1)
				lg_die("--cafile %s: cannot load it", cafile);
			SSL_CTX_set_verify(g.ctx, SSL_VERIFY_PEER, NULL);
		}
	}
	snprintf(g.path, sizeof(g.path), "/polls/%s/%s", g.poll,
	         g.mode == LG_TOKENS ? "tokens" : "casts");
	g.voters = calloc(g.count, sizeof(*g.voters));
	cls = calloc(g.clients, sizeof(*cls));
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	nthreads = ncpu < 1 ? 1 : (size_t)ncpu;
	tids = calloc(g.clients > nthreads ? g.clients : nthreads,
	              sizeof(*tids));
	if (g.voters == NULL || cls == NULL || tids == NULL)
		lg_die("out of memory");

	/* Preparation. */
	t_prep = lg_now();
	lg_setup_poll(&g);
	{
		struct lg_blind_job *jobs = calloc(nthreads, sizeof(*jobs));

		if (jobs == NULL)
			lg_die("out of memory");
		for (i = 0; i < nthreads; i++) {
			jobs[i].g = &g;
			jobs[i].first = g.count * i / nthreads;
			jobs[i].n = g.count * (i + 1) / nthreads -
			            jobs[i].first;
			if (pthread_create(&tids[i], NULL, lg_blind_thread,
			                   &jobs[i]) != 0)
				lg_die("pthread_create failed");
		}
		for (i = 0; i < nthreads; i++)
			pthread_join(tids[i], NULL);
		free(jobs);
	}
	for (i = 0; i < g.count; i++)
		lg_token_body(&g.voters[i]);
	per = g.count / g.clients;
	for (i = 0; i < g.clients; i++) {
		cls[i].g = &g;
		cls[i].first = i * per;
		cls[i].n = per;
		cls[i].c.fd = -1;
		cls[i].lat = lg_xmalloc(per * sizeof(double));
	}
	if (g.mode == LG_CASTS) {
		for (i = 0; i < g.clients; i++)
			if (pthread_create(&tids[i], NULL,
			                   lg_prep_casts_thread, &cls[i]) != 0)
				lg_die("pthread_create failed");
		for (i = 0; i < g.clients; i++)
			pthread_join(tids[i], NULL);
	}
	t_prep = lg_now() - t_prep;

	/* The timed phase. */
	if (pthread_barrier_init(&g.start, NULL, (unsigned)g.clients + 1) != 0)
		lg_die("pthread_barrier_init failed");
	for (i = 0; i < g.clients; i++)
		if (pthread_create(&tids[i], NULL, lg_client_thread,
		                   &cls[i]) != 0)
			lg_die("pthread_create failed");
	pthread_barrier_wait(&g.start);
	/* CPU used by the daemon and by us over the timed phase: whether
	 * the machine was busy, and who with. */
	if (g.server_pid > 0)
		srv0 = lg_proc_cpu(g.server_pid);
	self0 = lg_self_cpu();
	for (i = 0; i < g.clients; i++)
		pthread_join(tids[i], NULL);
	if (g.server_pid > 0)
		srv1 = lg_proc_cpu(g.server_pid);
	self1 = lg_self_cpu();
	pthread_barrier_destroy(&g.start);

	t_begin = cls[0].t_start;
	t_end = cls[0].t_end;
	nall = 0;
	errors = 0;
	for (i = 0; i < g.clients; i++) {
		if (cls[i].t_start < t_begin)
			t_begin = cls[i].t_start;
		if (cls[i].t_end > t_end)
			t_end = cls[i].t_end;
		nall += cls[i].nlat;
		errors += cls[i].errors;
		if (cls[i].err_sample[0] != '\0')
			fprintf(stderr, "loadgen: client %zu: %zu errors, "
			                "first: %s\n",
			        i, cls[i].errors, cls[i].err_sample);
	}
	all = lg_xmalloc(nall * sizeof(double));
	nall = 0;
	for (i = 0; i < g.clients; i++) {
		memcpy(all + nall, cls[i].lat, cls[i].nlat * sizeof(double));
		nall += cls[i].nlat;
	}
	qsort(all, nall, sizeof(double), lg_cmp_double);
	secs = t_end - t_begin;
	rps = secs > 0 ? (double)nall / secs : 0;
	server = lg_server_count(&g);

	if (g.json)
		printf("{\"mode\": \"%s\", \"clients\": %zu, \"tls\": %s, "
		       "\"poll\": \"%s\", \"planned\": %zu, \"ok\": %zu, "
		       "\"errors\": %zu, \"seconds\": %.3f, "
		       "\"per_second\": %.1f, \"p50_ms\": %.3f, "
		       "\"p90_ms\": %.3f, \"p99_ms\": %.3f, \"max_ms\": %.3f, "
		       "\"server_count\": %lld, \"prep_seconds\": %.1f, "
		       "\"server_cpu_s\": %.2f, \"client_cpu_s\": %.2f}\n",
		       mode, g.clients, g.tls ? "true" : "false", g.poll,
		       per * g.clients, nall, errors, secs, rps,
		       1e3 * lg_pct(all, nall, 0.50),
		       1e3 * lg_pct(all, nall, 0.90),
		       1e3 * lg_pct(all, nall, 0.99),
		       nall ? 1e3 * all[nall - 1] : 0.0, server, t_prep,
		       srv0 >= 0 && srv1 >= 0 ? srv1 - srv0 : -1.0,
		       self1 - self0);
	else
		printf("%-6s clients %4zu  ok %6zu  errors %zu  %.2f s  "
		       "%8.1f/s  p50 %.2f  p90 %.2f  p99 %.2f  max %.2f ms  "
		       "(server counts %lld; preparation %.1f s; CPU s: "
		       "server %.2f, us %.2f)\n",
		       mode, g.clients, nall, errors, secs, rps,
		       1e3 * lg_pct(all, nall, 0.50),
		       1e3 * lg_pct(all, nall, 0.90),
		       1e3 * lg_pct(all, nall, 0.99),
		       nall ? 1e3 * all[nall - 1] : 0.0, server, t_prep,
		       srv0 >= 0 && srv1 >= 0 ? srv1 - srv0 : -1.0,
		       self1 - self0);

	for (i = 0; i < g.clients; i++) {
		bh_close(&cls[i].c);
		free(cls[i].c.buf);
		free(cls[i].lat);
	}
	for (i = 0; i < g.count; i++) {
		free(g.voters[i].body);
		bc_wipe(&g.voters[i], sizeof(g.voters[i]));
	}
	free(all);
	free(g.voters);
	free(cls);
	free(tids);
	bc_brsa_key_free(g.key);
	proto_poll_free(g.def);
	SSL_CTX_free(g.ctx);
	/* Every answered request was good and the server counted each. */
	return errors == 0 && server >= 0 && (size_t)server >= nall ? 0 : 1;
}
