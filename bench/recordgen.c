/*
 * recordgen.c: votes for every voter of an open poll, so that a large,
 * real election record can be made (bench/verifier-bench.sh).
 *
 * usage: recordgen --connect ADDR:PORT --cafile FILE --poll ID
 *                  --credentials FILE [--clients C] [--seed S]
 *
 * The poll must be open (its ceremony done by the trustees), and FILE is
 * the credentials CSV the roll import gave (`ballotctl roll import ...
 * --out FILE`: voter_id,email,name,class,credential).  From GET
 * /polls/{id} it takes the definition, the election key and the token
 * keys; then C client threads (default 16), each over one keep-alive TLS
 * connection, take the voters in turn and for each run the voter's whole
 * flow: Prepare and Blind a token, POST /tokens with the credential,
 * Finalize, encode a ballot, pad and seal it, POST /casts, and check that
 * the answer is a receipt.  Every message is made by proto's encoders
 * (proto_token_req_encode, proto_cast_encode, proto_ballot_encode), so a
 * change of the wire format in proto is followed here without an edit;
 * where proto defines PROTO_TOKEN_MSG_OFF (casts signed by a per-voter
 * Ed25519 cast key whose public key is the token's message), the token
 * carries a fresh cast key and each cast is signed with proto_cast_sign.
 *
 * The ballots: the first contest of the voter's class that is STV (or the
 * first contest at all) gets a ranking drawn from a seeded party model
 * (three parties, voters ranking their party's candidates first, going
 * on to others sometimes, stopping after 1 to all preferences), so the
 * count has several stages; every other contest of the class gets a
 * blank vote.  The same seed gives the same rankings for the same voters.
 *
 * Output: one JSON object on stdout: voters, tokens and casts done,
 * errors, seconds, and the server's own count of tokens cast
 * (GET /polls/{id}/status) afterwards.  Exit 0 when every voter cast and
 * the server counted each, 1 otherwise.  A benchmark tool: on anything
 * unexpected in the set-up it says what and exits 1.
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
#include <stdatomic.h>
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

#define RG_VARIANT    BC_BRSA_SHA384_PSS_RANDOMIZED
#define RG_TIMEOUT_S  60 /* socket timeout: no request hangs the run */
#define RG_RETRIES    5 /* per request, after a broken connection */
#define RG_MAX_CLASSES 64

struct rg_class {
	char id[PROTO_CLASS_ID_MAX + 1];
	bc_brsa_key *key;
	size_t klen;
	proto_cset cs; /* its contests */
	int contest;   /* the contest that gets a ranking */
};

struct rg_voter {
	proto_credential cred;
	int cls; /* index into rg.cls */
};

struct rg {
	struct sockaddr_in addr;
	SSL_CTX *ctx;
	char poll[PROTO_ID_MAX + 1];
	proto_poll *def;
	uint8_t election_pk[BC_HPKE_PK_LEN];
	struct rg_class cls[RG_MAX_CLASSES];
	size_t ncls;
	struct rg_voter *voters;
	size_t nvoters;
	uint64_t seed;
	atomic_size_t next, done;
	int progress; /* stderr is a terminal */
};

struct rg_client {
	struct rg *g;
	struct bh_conn c;
	size_t casts, errors;
	char err_sample[240];
};

static void rg_die(const char *fmt, ...)
    __attribute__((noreturn, format(printf, 1, 2)));

static void rg_die(const char *fmt, ...)
{
	va_list ap;

	fputs("recordgen: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static double rg_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *rg_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		rg_die("out of memory");
	return p;
}

/* ------------------------------------------------------------------ */
/* HTTP/1.1 over a keep-alive TLS connection                          */

static int rg_connect(const struct rg *g, struct bh_conn *c, char *err,
                      size_t errlen)
{
	return bh_connect(c, &g->addr, g->ctx, RG_TIMEOUT_S, err, errlen);
}

/*
 * A request with retries after a broken connection.  0 with *status and
 * *rbody (the caller frees), or -1 with a message in err.  *retried: the
 * request was sent again after a failure (the first may have arrived).
 */
static int rg_call(const struct rg *g, struct bh_conn *c, const char *method,
                   const char *path, const char *body, size_t blen,
                   int *status, char **rbody, size_t *rblen, int *retried,
                   char *err, size_t errlen)
{
	*retried = 0;
	for (int t = 0; t <= RG_RETRIES; t++) {
		if (c->fd == -1 && rg_connect(g, c, err, errlen) == -1)
			continue;
		if (bh_request(c, method, path,
		               blen ? "application/json" : NULL, NULL, body, blen,
		               status, rbody, rblen) == 0)
			return 0;
		snprintf(err, errlen, "%s %s: the connection failed", method,
		         path);
		bh_close(c);
		*retried = 1;
	}
	return -1;
}

/* ------------------------------------------------------------------ */
/* Set-up                                                             */

static json_t *rg_json(const char *text, size_t len, const char *what)
{
	json_error_t je;
	json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);

	if (o == NULL)
		rg_die("%s: not JSON: %s", what, je.text);
	return o;
}

static size_t rg_b64_decode(json_t *s, uint8_t *out, size_t cap,
                            const char *what)
{
	size_t len;

	if (!json_is_string(s) ||
	    bc_b64url_decode(json_string_value(s), json_string_length(s), out,
	                     cap, &len) != BC_OK)
		rg_die("GET /polls/{id}: %s is missing or not base64url", what);
	return len;
}

/* Which contest of the class gets the ranking: its first STV contest,
 * else its first contest; -1 if the class id does not parse. */
static int rg_ranked_contest(const proto_poll *def, const char *class_id,
                             proto_cset *cs)
{
	proto_err perr;
	int weight, first = -1;

	if (proto_class_parse(def, class_id, cs, &weight, &perr) != PROTO_OK)
		return -1;
	for (size_t i = 0; i < def->ncontests; i++) {
		if (!(*cs & (1u << i)))
			continue;
		if (def->contests[i].kind == PROTO_KIND_STV)
			return (int)i;
		if (first < 0)
			first = (int)i;
	}
	return first;
}

static void rg_setup(struct rg *g)
{
	struct bh_conn c = BH_CONN_INIT;
	char path[PROTO_ID_MAX + 32], err[256], *ans;
	size_t alen, i;
	int status, retried;
	json_t *o, *cl, *v;
	proto_err perr;
	uint8_t spki[4096];

	snprintf(path, sizeof(path), "/polls/%s", g->poll);
	if (rg_call(g, &c, "GET", path, NULL, 0, &status, &ans, &alen,
	            &retried, err, sizeof(err)) == -1)
		rg_die("%s", err);
	if (status != 200)
		rg_die("GET %s: status %d: %.200s", path, status, ans);
	o = rg_json(ans, alen, "GET /polls/{id}");
	free(ans);
	v = json_object_get(o, "state");
	if (!json_is_string(v) || strcmp(json_string_value(v), "open") != 0)
		rg_die("poll %s is not open", g->poll);
	v = json_object_get(o, "definition");
	if (!json_is_string(v) ||
	    proto_poll_parse(json_string_value(v), json_string_length(v),
	                     &g->def, &perr) != PROTO_OK)
		rg_die("GET %s: the definition does not parse", path);
	if (rg_b64_decode(json_object_get(o, "election_key"), g->election_pk,
	                  sizeof(g->election_pk),
	                  "election_key") != BC_HPKE_PK_LEN)
		rg_die("GET %s: election_key is not 65 bytes", path);
	json_array_foreach(json_object_get(o, "classes"), i, cl)
	{
		struct rg_class *k = &g->cls[g->ncls];
		const char *id = json_string_value(json_object_get(cl, "id"));
		size_t n;

		if (g->ncls == RG_MAX_CLASSES || id == NULL ||
		    strlen(id) > PROTO_CLASS_ID_MAX)
			rg_die("GET %s: too many classes, or a bad class", path);
		snprintf(k->id, sizeof(k->id), "%s", id);
		n = rg_b64_decode(json_object_get(json_object_get(cl,
		                                                  "token_key"),
		                                  "spki"),
		                  spki, sizeof(spki), "a token key");
		if (bc_brsa_key_from_spki_der(spki, n, &k->key) != BC_OK)
			rg_die("class %s: a bad token key", id);
		k->klen = bc_brsa_key_len(k->key);
		if ((k->contest = rg_ranked_contest(g->def, id, &k->cs)) < 0)
			rg_die("class %s: not a class of the definition", id);
		g->ncls++;
	}
	json_decref(o);
	bh_close(&c);
	free(c.buf);
}

/* Strips one pair of surrounding quotes (RFC 4180; our fields have no
 * quotes or commas inside). */
static char *rg_field(char *s)
{
	size_t n = strlen(s);

	if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
		s[n - 1] = '\0';
		return s + 1;
	}
	return s;
}

static void rg_read_credentials(struct rg *g, const char *file)
{
	FILE *f = fopen(file, "r");
	char line[1024];
	size_t cap = 1024, lineno = 0;

	if (f == NULL)
		rg_die("%s: %s", file, strerror(errno));
	g->voters = rg_xmalloc(cap * sizeof(*g->voters));
	while (fgets(line, sizeof(line), f) != NULL) {
		char *fld[5], *p = line;
		proto_err perr;
		struct rg_voter *v;
		size_t nf = 0, k;

		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if (lineno == 1) {
			if (strcmp(line, "voter_id,email,name,class,"
			                 "credential") != 0)
				rg_die("%s: unexpected header: %.80s", file,
				       line);
			continue;
		}
		if (line[0] == '\0')
			continue;
		/* strsep keeps empty fields (email, name). */
		while (nf < 5 && (fld[nf] = strsep(&p, ",")) != NULL)
			nf++;
		if (nf != 5 || p != NULL)
			rg_die("%s:%zu: expected 5 fields without commas "
			       "inside",
			       file, lineno);
		if (g->nvoters == cap) {
			cap *= 2;
			g->voters = realloc(g->voters, cap * sizeof(*g->voters));
			if (g->voters == NULL)
				rg_die("out of memory");
		}
		v = &g->voters[g->nvoters];
		fld[3] = rg_field(fld[3]);
		fld[4] = rg_field(fld[4]);
		for (k = 0; k < g->ncls; k++)
			if (strcmp(g->cls[k].id, fld[3]) == 0)
				break;
		if (k == g->ncls)
			rg_die("%s:%zu: class %s is not one of the poll's", file,
			       lineno, fld[3]);
		v->cls = (int)k;
		if (proto_credential_parse(fld[4], strlen(fld[4]), &v->cred,
		                           &perr) != PROTO_OK)
			rg_die("%s:%zu: credential: %s", file, lineno,
			       perr.msg);
		g->nvoters++;
	}
	fclose(f);
	bc_wipe(line, sizeof(line));
	if (g->nvoters == 0)
		rg_die("%s: no voters", file);
}

/* ------------------------------------------------------------------ */
/* The voters                                                         */

static uint64_t rg_splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/*
 * Voter i's ranking of contest k's n candidates into ranks (1-based),
 * returning how many.  Three parties of candidates in turn (1, 4, 7, ...
 * party 0), of popularity 45, 35 and 20 %; a voter ranks the own party's
 * candidates first, shuffled with a bias to the lower numbers (the
 * party's "lead" candidates), then about half go on to the others; the
 * length is cut at a random point, geometric-ish, at least 1.
 */
static size_t rg_ranking(const struct rg *g, size_t i, size_t n,
                         uint16_t *ranks)
{
	uint64_t s = g->seed ^ (0x51ed270b27f2e5c3ull * (i + 1));
	unsigned r = (unsigned)(rg_splitmix(&s) % 100);
	size_t party = r < 45 ? 0 : r < 80 ? 1 : 2, m = 0, len, j;

	/* Own party first, then the rest, each in number order. */
	for (j = 0; j < n; j++)
		if (j % 3 == party)
			ranks[m++] = (uint16_t)(j + 1);
	len = m;
	for (j = 0; j < n; j++)
		if (j % 3 != party)
			ranks[m++] = (uint16_t)(j + 1);
	/* Swap neighbours at random: the lead stays ahead more often. */
	for (j = 0; j + 1 < n; j++)
		if (rg_splitmix(&s) % 3 == 0) {
			uint16_t t = ranks[j];

			ranks[j] = ranks[j + 1];
			ranks[j + 1] = t;
		}
	/* Plumpers, party-liners, and some who rank further. */
	r = (unsigned)(rg_splitmix(&s) % 100);
	if (r < 15)
		len = 1;
	else if (r < 55)
		len = len ? len : 1;
	else
		len += (size_t)(rg_splitmix(&s) % (n - len + 1));
	return len < 1 ? 1 : len > n ? n : len;
}

/* One voter's whole flow.  0, or -1 with a message in err. */
static int rg_vote(struct rg_client *cl, size_t i, char *err, size_t errlen)
{
	struct rg *g = cl->g;
	struct rg_voter *v = &g->voters[i];
	struct rg_class *k = &g->cls[v->cls];
#ifdef PROTO_TOKEN_MSG_OFF
	uint8_t cast_sk[BC_ED25519_SK_LEN];
#endif
	uint8_t msg[32], prepared[PROTO_TOKEN_LEN], inv[PROTO_KEY_MAX];
	uint8_t sig[PROTO_KEY_MAX], tid[32], *padded;
	uint16_t ranks[PROTO_MAX_CANDIDATES];
	char path[PROTO_ID_MAX + 32], *text, *rb = NULL, *pt = NULL;
	size_t tlen, rl, ptlen;
	int status, retried, rc = -1;
	proto_token_req req;
	proto_token_ans ans;
	proto_ballot b;
	proto_cast cast;
	proto_buf info = {0};
	proto_err perr;
	json_t *m;

	/* The token. */
	memset(&req, 0, sizeof(req));
	req.cred = v->cred;
	req.blinded_len = k->klen;
#ifdef PROTO_TOKEN_MSG_OFF
	/* Casts signed by the voter's cast key: the token's message is its
	 * public key (protocol.md section 7). */
	if (bc_ed25519_keygen(cast_sk, msg) != BC_OK) {
		snprintf(err, errlen, "voter %zu: key generation failed", i);
		return -1;
	}
#else
	if (bc_random(msg, sizeof(msg)) != BC_OK) {
		snprintf(err, errlen, "voter %zu: no random bytes", i);
		return -1;
	}
#endif
	if (bc_brsa_prepare(RG_VARIANT, msg, sizeof(msg), prepared) != BC_OK ||
	    bc_brsa_blind(k->key, RG_VARIANT, prepared, sizeof(prepared),
	                  req.blinded, inv, k->klen) != BC_OK) {
		snprintf(err, errlen, "voter %zu: blinding failed", i);
		return -1;
	}
	m = proto_token_req_encode(&req);
	bc_wipe(&req, sizeof(req));
	if (m == NULL || (text = proto_json_text(m, &tlen)) == NULL)
		rg_die("out of memory");
	json_decref(m);
	snprintf(path, sizeof(path), "/polls/%s/tokens", g->poll);
	/* The same blinded message again is harmless (a retry). */
	if (rg_call(g, &cl->c, "POST", path, text, tlen, &status, &rb, &rl,
	            &retried, err, errlen) == -1) {
		bc_wipe(text, tlen);
		free(text);
		return -1;
	}
	bc_wipe(text, tlen);
	free(text);
	if (status != 200 ||
	    proto_token_ans_decode(rb, rl, k->klen, &ans, &perr) != PROTO_OK ||
	    bc_brsa_finalize(k->key, RG_VARIANT, prepared, sizeof(prepared),
	                     ans.blind_sig, inv, sig, k->klen) != BC_OK) {
		snprintf(err, errlen, "voter %zu: token: status %d: %.150s", i,
		         status, rb ? rb : "");
		free(rb);
		return -1;
	}
	free(rb);
	rb = NULL;

	/* The ballot: a ranking in one contest, blanks in the class's
	 * others (each must be there: proto's missing_contest). */
	memset(&b, 0, sizeof(b));
	for (size_t j = 0; j < g->def->ncontests; j++) {
		proto_choice *ch = &b.choices[b.nchoices];
		const proto_contest *ct = &g->def->contests[j];

		if (!(k->cs & (1u << j)))
			continue;
		ch->contest = (int)j;
		if ((int)j == k->contest) {
			ch->ranks = ranks;
			if (ct->kind == PROTO_KIND_REFERENDUM) {
				ranks[0] = (uint16_t)(1 + i % 2);
				ch->nranks = 1;
			} else
				ch->nranks =
				    rg_ranking(g, i, ct->ncandidates, ranks);
		}
		b.nchoices++;
	}
	if (proto_ballot_encode(g->def, k->id, &b, &pt, &ptlen, &perr) !=
	    PROTO_OK) {
		snprintf(err, errlen, "voter %zu: ballot: %.180s", i, perr.msg);
		return -1;
	}
	memset(&cast, 0, sizeof(cast));
	cast.ballot_len = g->def->ballot_size + PROTO_SEAL_OVERHEAD;
	cast.ballot = rg_xmalloc(cast.ballot_len);
	padded = rg_xmalloc(g->def->ballot_size);
	proto_seal_info(&info, g->def->poll_hash, k->id);
	if (bc_pad((const uint8_t *)pt, ptlen, padded, g->def->ballot_size) !=
	        BC_OK ||
	    proto_token_id(k->id, prepared, sizeof(prepared), tid) !=
	        PROTO_OK ||
	    info.failed ||
	    bc_hpke_seal(g->election_pk, info.p, info.len, tid, sizeof(tid),
	                 padded, g->def->ballot_size, cast.ballot,
	                 cast.ballot + BC_HPKE_ENC_LEN) != BC_OK) {
		snprintf(err, errlen, "voter %zu: sealing failed", i);
		goto out;
	}
	snprintf(cast.class_id, sizeof(cast.class_id), "%s", k->id);
	memcpy(cast.token, prepared, sizeof(cast.token));
	memcpy(cast.sig, sig, k->klen);
	cast.sig_len = k->klen;
#ifdef PROTO_TOKEN_MSG_OFF
	if (proto_cast_sign(cast_sk, g->def->poll_hash, k->id, cast.token,
	                    sizeof(cast.token), cast.ballot, cast.ballot_len,
	                    cast.cast_sig) != PROTO_OK) {
		snprintf(err, errlen, "voter %zu: signing the cast failed", i);
		goto out;
	}
#endif
	if ((m = proto_cast_encode(&cast)) == NULL ||
	    (text = proto_json_text(m, &tlen)) == NULL)
		rg_die("out of memory");
	json_decref(m);
	snprintf(path, sizeof(path), "/polls/%s/casts", g->poll);
	if (rg_call(g, &cl->c, "POST", path, text, tlen, &status, &rb, &rl,
	            &retried, err, errlen) == -1) {
		free(text);
		goto out;
	}
	free(text);
	/* A retried cast that had arrived the first time is token_used. */
	if (status == 200 && rb != NULL &&
	    memmem(rb, rl, "\"receipt_sig\"", 13) != NULL)
		rc = 0;
	else if (retried && status == 409 && rb != NULL &&
	         strstr(rb, "token_used") != NULL)
		rc = 0;
	else
		snprintf(err, errlen, "voter %zu: cast: status %d: %.150s", i,
		         status, rb ? rb : "");
out:
	free(rb);
	free(pt);
	free(padded);
	free(cast.ballot);
	proto_buf_free(&info);
	bc_wipe(inv, sizeof(inv));
#ifdef PROTO_TOKEN_MSG_OFF
	bc_wipe(cast_sk, sizeof(cast_sk));
#endif
	return rc;
}

static void *rg_client_thread(void *arg)
{
	struct rg_client *cl = arg;
	struct rg *g = cl->g;
	char err[240];
	size_t i;

	while ((i = atomic_fetch_add(&g->next, 1)) < g->nvoters) {
		size_t d;

		if (rg_vote(cl, i, err, sizeof(err)) == 0)
			cl->casts++;
		else {
			if (cl->errors++ == 0)
				snprintf(cl->err_sample, sizeof(cl->err_sample),
				         "%s", err);
			/* Something is badly wrong: stop early. */
			if (cl->errors > 100)
				break;
		}
		d = atomic_fetch_add(&g->done, 1) + 1;
		if (g->progress && (d % 500 == 0 || d == g->nvoters))
			fprintf(stderr, "\rrecordgen: %zu/%zu voters", d,
			        g->nvoters);
	}
	return NULL;
}

/* tokens_cast summed over the classes, from GET /polls/{id}/status. */
static long long rg_server_count(struct rg *g)
{
	struct bh_conn c = BH_CONN_INIT;
	char path[PROTO_ID_MAX + 32], err[256], *ans;
	size_t alen, i;
	int status, retried;
	long long n = 0;
	json_t *o, *cl;

	snprintf(path, sizeof(path), "/polls/%s/status", g->poll);
	if (rg_call(g, &c, "GET", path, NULL, 0, &status, &ans, &alen,
	            &retried, err, sizeof(err)) == -1 ||
	    status != 200) {
		free(ans);
		bh_close(&c);
		free(c.buf);
		return -1;
	}
	o = rg_json(ans, alen, "GET /polls/{id}/status");
	free(ans);
	json_array_foreach(json_object_get(o, "classes"), i, cl)
	    n += json_integer_value(json_object_get(cl, "tokens_cast"));
	json_decref(o);
	bh_close(&c);
	free(c.buf);
	return n;
}

static void rg_usage(FILE *f)
{
	fputs("usage: recordgen --connect ADDR:PORT --cafile FILE --poll ID\n"
	      "                 --credentials FILE [--clients C] [--seed S]\n",
	      f);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"connect", required_argument, NULL, 'c'},
	    {"cafile", required_argument, NULL, 'a'},
	    {"poll", required_argument, NULL, 'p'},
	    {"credentials", required_argument, NULL, 'r'},
	    {"clients", required_argument, NULL, 'n'},
	    {"seed", required_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0}};
	struct rg g;
	struct rg_client *cls;
	pthread_t *tids;
	const char *connect_to = NULL, *cafile = NULL, *credfile = NULL;
	char addr[64], *colon, *end;
	size_t nclients = 16, i, casts = 0, errors = 0;
	double t0, secs;
	long long server;
	int ch, port;

	memset(&g, 0, sizeof(g));
	g.seed = 20260101;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': connect_to = optarg; break;
		case 'a': cafile = optarg; break;
		case 'p': snprintf(g.poll, sizeof(g.poll), "%s", optarg); break;
		case 'r': credfile = optarg; break;
		case 'n':
			nclients = strtoul(optarg, &end, 10);
			if (*end || nclients < 1 || nclients > 256)
				rg_die("--clients: 1 to 256");
			break;
		case 's':
			g.seed = strtoull(optarg, &end, 10);
			if (*end || end == optarg)
				rg_die("--seed: a whole number");
			break;
		case 'h': rg_usage(stdout); return 0;
		default: rg_usage(stderr); return 2;
		}
	}
	if (optind != argc || connect_to == NULL || cafile == NULL ||
	    credfile == NULL || g.poll[0] == '\0') {
		rg_usage(stderr);
		return 2;
	}
	snprintf(addr, sizeof(addr), "%s", connect_to);
	if ((colon = strrchr(addr, ':')) == NULL)
		rg_die("--connect: expected ADDR:PORT");
	*colon = '\0';
	port = atoi(colon + 1);
	g.addr.sin_family = AF_INET;
	g.addr.sin_port = htons((uint16_t)port);
	if (port < 1 || port > 65535 ||
	    inet_pton(AF_INET, addr, &g.addr.sin_addr) != 1)
		rg_die("--connect: expected IPv4:PORT");
	signal(SIGPIPE, SIG_IGN);
	if ((g.ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		rg_die("SSL_CTX_new failed");
	if (SSL_CTX_load_verify_locations(g.ctx, cafile, NULL) != 1)
		rg_die("--cafile %s: cannot load it", cafile);
	SSL_CTX_set_verify(g.ctx, SSL_VERIFY_PEER, NULL);
	g.progress = isatty(2);

	rg_setup(&g);
	rg_read_credentials(&g, credfile);
	if (nclients > g.nvoters)
		nclients = g.nvoters;
	cls = calloc(nclients, sizeof(*cls));
	tids = calloc(nclients, sizeof(*tids));
	if (cls == NULL || tids == NULL)
		rg_die("out of memory");
	atomic_init(&g.next, 0);
	atomic_init(&g.done, 0);
	t0 = rg_now();
	for (i = 0; i < nclients; i++) {
		cls[i].g = &g;
		cls[i].c.fd = -1;
		if (pthread_create(&tids[i], NULL, rg_client_thread,
		                   &cls[i]) != 0)
			rg_die("pthread_create failed");
	}
	for (i = 0; i < nclients; i++)
		pthread_join(tids[i], NULL);
	secs = rg_now() - t0;
	if (g.progress)
		fputc('\n', stderr);
	for (i = 0; i < nclients; i++) {
		casts += cls[i].casts;
		errors += cls[i].errors;
		if (cls[i].errors)
			fprintf(stderr, "recordgen: client %zu: %zu errors, "
			                "first: %s\n",
			        i, cls[i].errors, cls[i].err_sample);
		bh_close(&cls[i].c);
		free(cls[i].c.buf);
	}
	server = rg_server_count(&g);
	printf("{\"voters\": %zu, \"casts\": %zu, \"errors\": %zu, "
	       "\"clients\": %zu, \"seconds\": %.2f, \"per_second\": %.1f, "
	       "\"server_tokens_cast\": %lld}\n",
	       g.nvoters, casts, errors, nclients, secs,
	       secs > 0 ? (double)casts / secs : 0.0, server);

	for (i = 0; i < g.ncls; i++)
		bc_brsa_key_free(g.cls[i].key);
	bc_wipe(g.voters, g.nvoters * sizeof(*g.voters));
	free(g.voters);
	free(cls);
	free(tids);
	proto_poll_free(g.def);
	SSL_CTX_free(g.ctx);
	return casts == g.nvoters && errors == 0 && server >= 0 &&
	               (size_t)server == casts
	           ? 0
	           : 1;
}
