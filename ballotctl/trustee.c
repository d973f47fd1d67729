/*
 * trustee.c: `ballotctl trustee`, the trustee's side of the key ceremony
 * (docs/trustee.md; protocol.md section 10; crypto-dkg.md).
 *
 * keygen makes the trustee's two long-term keys.  ceremony runs the
 * dealerless key generation through the server, which only relays:
 * commitments, sealed shares, complaints and answers, then `done` with
 * QUAL and the joint key Y.  release sends the trustee's share x_I after
 * the close.
 *
 * Everything received is signature-checked against the poll definition
 * before it is used; a message that fails is a transport fault, skipped
 * and never complained about (crypto-dkg.md, "What a complaint proves").
 * The dealing is done once, before anything is sent, and saved with the
 * state file (mode 0600), so an interrupted ceremony resumes with the
 * same polynomial: sending the same signed message again is harmless
 * (Ed25519 is deterministic and the server answers a repeat with its
 * first seq).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dkg.h"
#include "encode.h"
#include "hpke.h"
#include "sign.h"

#include "ctl.h"
#include "trustee.h"

#define TR_KEY_FORMAT   "ballot-trustee-key/1"
#define TR_STATE_FORMAT "ballot-trustee-state/1"
#define TR_DONE_LEN     (BC_DKG_POINT_LEN + 8) /* Y || QUAL (u64 BE) */
#define TR_POLL_MS      200 /* between two reads of the transcript */
#define TR_FILE_MAX     (1024u * 1024u)

/* The trustee's long-term keys (secrets: wiped by tr_key_clear). */
struct tr_key {
	uint8_t sign_sk[BC_ED25519_SK_LEN];
	uint8_t sign_pk[BC_ED25519_PK_LEN];
	uint8_t hpke_sk[BC_HPKE_SK_LEN];
	uint8_t hpke_pk[BC_HPKE_PK_LEN];
};

/*
 * The state file.  Step "dealt": the dealing (commitments, sealed shares,
 * and every s_Ij, which are the answers to any complaint and s_II);
 * step "done": x_I, Y and QUAL only.
 */
struct tr_state {
	char poll[PROTO_ID_MAX + 1];
	uint8_t poll_hash[PROTO_HASH_LEN];
	unsigned index, n, k;
	int done;
	uint8_t commit[BC_DKG_COMMIT_MAX_LEN];
	size_t commit_len;
	uint8_t sealed[BC_DKG_MAX_N][BC_DKG_SEALED_LEN]; /* [j-1] */
	uint8_t share[BC_DKG_MAX_N][BC_DKG_SCALAR_LEN];  /* s_Ij, [j-1] */
	uint8_t x[BC_DKG_SCALAR_LEN];
	uint8_t y[BC_DKG_POINT_LEN];
	uint64_t qual;
};

/* One verified message of the transcript. */
struct tr_msg {
	uint64_t seq;
	proto_ceremony_kind kind;
	unsigned from, to;
	uint8_t *body;
	size_t body_len;
};

struct tr_log {
	struct tr_msg *m;
	size_t n, cap;
	uint64_t last_seq;
};

/* Everything one run needs, passed explicitly. */
struct tr {
	struct ctl c;
	struct ctl_http *h;
	const char *poll_id;
	const char *key_file, *state_file;
	unsigned index;
	unsigned wait_s, settle_s;
	struct ctl_poll poll;
	struct tr_key key;
	struct tr_state st;
	bc_dkg_params pp;
	struct tr_log log;
};

/* ------------------------------------------------------------------ */
/* Small helpers */

static void tr_sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static time_t tr_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static void tr_be64_put(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static unsigned tr_popcount(uint64_t v)
{
	unsigned n = 0;

	for (; v; v &= v - 1)
		n++;
	return n;
}

static uint64_t tr_bit(unsigned i)
{
	return 1ull << (i - 1);
}

/* Appends "name b64url(p)\n" to b. */
static void tr_line_b64(proto_buf *b, const char *name, const uint8_t *p,
                        size_t n)
{
	char *s = ctl_b64url(p, n);

	if (s == NULL) {
		b->failed = 1;
		return;
	}
	proto_buf_raw(b, name, strlen(name));
	proto_buf_raw(b, " ", 1);
	proto_buf_raw(b, s, strlen(s));
	proto_buf_raw(b, "\n", 1);
	bc_wipe(s, strlen(s));
	free(s);
}

/*
 * The next line of text[*pos..len) split as "name value": NUL-terminates
 * both in place.  0, or -1 at the end.
 */
static int tr_next_line(char *text, size_t len, size_t *pos, char **name,
                        char **value)
{
	char *line, *nl, *sp;

	if (*pos >= len)
		return -1;
	line = text + *pos;
	nl = memchr(line, '\n', len - *pos);
	if (nl == NULL)
		nl = text + len;
	*pos = (size_t)(nl - text) + 1;
	*nl = '\0';
	*name = line;
	sp = strchr(line, ' ');
	if (sp != NULL) {
		*sp = '\0';
		*value = sp + 1;
	} else
		*value = line + strlen(line);
	return 0;
}

static void tr_fingerprint(const struct tr_key *k, char out[40])
{
	uint8_t both[BC_ED25519_PK_LEN + BC_HPKE_PK_LEN], h[32];
	char hex[65];
	int i, o = 0;

	memcpy(both, k->sign_pk, BC_ED25519_PK_LEN);
	memcpy(both + BC_ED25519_PK_LEN, k->hpke_pk, BC_HPKE_PK_LEN);
	proto_sha256(both, sizeof(both), h);
	ctl_hex(h, 16, hex);
	/* 32 hex digits in groups of 4, to be read out at the ceremony. */
	for (i = 0; i < 32; i++) {
		if (i > 0 && i % 4 == 0)
			out[o++] = ' ';
		out[o++] = hex[i];
	}
	out[o] = '\0';
}

/* ------------------------------------------------------------------ */
/* The key file */

static void tr_key_clear(struct tr_key *k)
{
	bc_wipe(k, sizeof(*k));
}

/* Reads and checks a key file: every public key must be the secret's. */
static int tr_key_load(const char *path, struct tr_key *k)
{
	char *text, *name, *value;
	size_t len, pos = 0, got;
	int have = 0, rc = CTL_EXIT_REFUSED;
	uint8_t pk[BC_HPKE_PK_LEN];
	struct stat sb;

	memset(k, 0, sizeof(*k));
	if (ctl_read_file(path, 4096, &text, &len) == -1)
		return CTL_EXIT_IO;
	if (stat(path, &sb) == 0 && (sb.st_mode & 077) != 0)
		ctl_warnx("warning: %s can be read by others (mode %03o); "
		          "chmod 600 it",
		          path, (unsigned)(sb.st_mode & 0777));
	if (tr_next_line(text, len, &pos, &name, &value) == -1 ||
	    strcmp(name, TR_KEY_FORMAT) != 0) {
		ctl_warnx("%s: not a trustee key file (no \"%s\" line)", path,
		          TR_KEY_FORMAT);
		goto out;
	}
	while (tr_next_line(text, len, &pos, &name, &value) == 0) {
		if (name[0] == '\0' || name[0] == '#')
			continue;
		if (strcmp(name, "sign_key") == 0 &&
		    ctl_unb64url(value, k->sign_pk, sizeof(k->sign_pk),
		                 sizeof(k->sign_pk), &got) == 0)
			have |= 1;
		else if (strcmp(name, "hpke_key") == 0 &&
		         ctl_unb64url(value, k->hpke_pk, sizeof(k->hpke_pk),
		                      sizeof(k->hpke_pk), &got) == 0)
			have |= 2;
		else if (strcmp(name, "sign_secret") == 0 &&
		         ctl_unb64url(value, k->sign_sk, sizeof(k->sign_sk),
		                      sizeof(k->sign_sk), &got) == 0)
			have |= 4;
		else if (strcmp(name, "hpke_secret") == 0 &&
		         ctl_unb64url(value, k->hpke_sk, sizeof(k->hpke_sk),
		                      sizeof(k->hpke_sk), &got) == 0)
			have |= 8;
		else {
			ctl_warnx("%s: bad line \"%.20s\"", path, name);
			goto out;
		}
	}
	if (have != 15) {
		ctl_warnx("%s: sign_key, hpke_key, sign_secret and "
		          "hpke_secret are all needed",
		          path);
		goto out;
	}
	if (bc_ed25519_public(k->sign_sk, pk) != BC_OK ||
	    !bc_ct_equal(pk, k->sign_pk, BC_ED25519_PK_LEN)) {
		ctl_warnx("%s: sign_key is not the key of sign_secret", path);
		goto out;
	}
	if (bc_hpke_public(k->hpke_sk, pk) != BC_OK ||
	    !bc_ct_equal(pk, k->hpke_pk, BC_HPKE_PK_LEN)) {
		ctl_warnx("%s: hpke_key is not the key of hpke_secret", path);
		goto out;
	}
	rc = CTL_EXIT_OK;
out:
	bc_wipe(text, len);
	free(text);
	if (rc != CTL_EXIT_OK)
		tr_key_clear(k);
	return rc;
}

static int tr_keygen(const char *out, const char *name)
{
	struct tr_key k;
	proto_buf b = {0};
	char *sp = NULL, *hp = NULL, fp[40];
	int fd, rc = CTL_EXIT_IO;
	size_t off = 0;

	if (bc_ed25519_keygen(k.sign_sk, k.sign_pk) != BC_OK ||
	    bc_hpke_keygen(k.hpke_sk, k.hpke_pk) != BC_OK) {
		ctl_warnx("cannot make keys (the crypto library failed)");
		tr_key_clear(&k);
		return CTL_EXIT_REFUSED;
	}
	proto_buf_raw(&b, TR_KEY_FORMAT "\n", strlen(TR_KEY_FORMAT) + 1);
	tr_line_b64(&b, "sign_key", k.sign_pk, sizeof(k.sign_pk));
	tr_line_b64(&b, "hpke_key", k.hpke_pk, sizeof(k.hpke_pk));
	tr_line_b64(&b, "sign_secret", k.sign_sk, sizeof(k.sign_sk));
	tr_line_b64(&b, "hpke_secret", k.hpke_sk, sizeof(k.hpke_sk));
	sp = ctl_b64url(k.sign_pk, sizeof(k.sign_pk));
	hp = ctl_b64url(k.hpke_pk, sizeof(k.hpke_pk));
	tr_fingerprint(&k, fp);
	tr_key_clear(&k);
	if (b.failed || sp == NULL || hp == NULL) {
		ctl_warnx("out of memory");
		goto out;
	}
	/* O_EXCL: a trustee key is never overwritten, by accident or not. */
	fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1) {
		ctl_warnx("%s: %s%s", out, strerror(errno),
		          errno == EEXIST ? " (a key file is never overwritten)"
		                          : "");
		goto out;
	}
	while (off < b.len) {
		ssize_t w = write(fd, b.p + off, b.len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			ctl_warnx("%s: %s", out, strerror(errno));
			close(fd);
			unlink(out);
			goto out;
		}
		off += (size_t)w;
	}
	if (fsync(fd) == -1 || close(fd) == -1) {
		ctl_warnx("%s: %s", out, strerror(errno));
		unlink(out);
		goto out;
	}
	printf("sign_key %s\nhpke_key %s\nfingerprint %s\n", sp, hp, fp);
	if (name != NULL) {
		json_t *m = json_pack("{s:s, s:s, s:s}", "name", name,
		                      "sign_key", sp, "hpke_key", hp);
		char *t = m ? json_dumps(m, JSON_COMPACT | JSON_PRESERVE_ORDER)
		            : NULL;

		if (t != NULL)
			printf("member %s\n", t);
		free(t);
		json_decref(m);
	}
	rc = CTL_EXIT_OK;
out:
	proto_buf_free(&b);
	free(sp);
	free(hp);
	return rc;
}

/* ------------------------------------------------------------------ */
/* The state file */

static int tr_state_save(struct tr *t)
{
	struct tr_state *s = &t->st;
	proto_buf b = {0};
	char line[256], hex[65];
	unsigned j;
	int rc;

	proto_buf_raw(&b, TR_STATE_FORMAT "\n", strlen(TR_STATE_FORMAT) + 1);
	ctl_hex(s->poll_hash, PROTO_HASH_LEN, hex);
	snprintf(line, sizeof(line),
	         "poll %s\npoll_hash %s\nindex %u\nn %u\nk %u\nstep %s\n",
	         s->poll, hex, s->index, s->n, s->k,
	         s->done ? "done" : "dealt");
	proto_buf_raw(&b, line, strlen(line));
	tr_line_b64(&b, "commitments", s->commit, s->commit_len);
	if (!s->done) {
		for (j = 1; j <= s->n; j++) {
			snprintf(line, sizeof(line), "share %u", j);
			tr_line_b64(&b, line, s->share[j - 1],
			            BC_DKG_SCALAR_LEN);
			if (j == s->index)
				continue;
			snprintf(line, sizeof(line), "sealed %u", j);
			tr_line_b64(&b, line, s->sealed[j - 1],
			            BC_DKG_SEALED_LEN);
		}
	} else {
		tr_line_b64(&b, "x", s->x, sizeof(s->x));
		tr_line_b64(&b, "y", s->y, sizeof(s->y));
		snprintf(line, sizeof(line), "qual %llu\n",
		         (unsigned long long)s->qual);
		proto_buf_raw(&b, line, strlen(line));
	}
	if (b.failed) {
		proto_buf_free(&b);
		ctl_warnx("out of memory");
		return CTL_EXIT_IO;
	}
	rc = ctl_write_file_atomic(t->state_file, b.p, b.len, 0600) == -1
	         ? CTL_EXIT_IO
	         : CTL_EXIT_OK;
	proto_buf_free(&b); /* wipes */
	return rc;
}

static int tr_uint(const char *s, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end != '\0' || v > max)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* Reads the state file if there is one: 1 read, 0 none, or an exit code
 * (negated) on failure. */
static int tr_state_load(struct tr *t)
{
	struct tr_state *s = &t->st;
	char *text, *name, *value;
	size_t len, pos = 0, got;
	unsigned j, seen = 0;
	int rc = -CTL_EXIT_REFUSED, nshare = 0, nsealed = 0, have_x = 0,
	    have_y = 0, have_q = 0;

	if (access(t->state_file, F_OK) == -1 && errno == ENOENT)
		return 0;
	if (ctl_read_file(t->state_file, TR_FILE_MAX, &text, &len) == -1)
		return -CTL_EXIT_IO;
	memset(s, 0, sizeof(*s));
	if (tr_next_line(text, len, &pos, &name, &value) == -1 ||
	    strcmp(name, TR_STATE_FORMAT) != 0) {
		ctl_warnx("%s: not a trustee state file", t->state_file);
		goto out;
	}
	while (tr_next_line(text, len, &pos, &name, &value) == 0) {
		int ok = 0;

		if (name[0] == '\0')
			continue;
		if (strcmp(name, "poll") == 0) {
			ok = strlen(value) <= PROTO_ID_MAX;
			if (ok)
				snprintf(s->poll, sizeof(s->poll), "%s", value);
			seen |= 1;
		} else if (strcmp(name, "poll_hash") == 0) {
			ok = ctl_unhex(value, s->poll_hash, 32) == 0;
			seen |= 2;
		} else if (strcmp(name, "index") == 0) {
			ok = tr_uint(value, BC_DKG_MAX_N, &s->index) == 0;
			seen |= 4;
		} else if (strcmp(name, "n") == 0) {
			ok = tr_uint(value, BC_DKG_MAX_N, &s->n) == 0;
			seen |= 8;
		} else if (strcmp(name, "k") == 0) {
			ok = tr_uint(value, BC_DKG_MAX_N, &s->k) == 0;
			seen |= 16;
		} else if (strcmp(name, "step") == 0) {
			ok = strcmp(value, "dealt") == 0 ||
			     strcmp(value, "done") == 0;
			s->done = strcmp(value, "done") == 0;
			seen |= 32;
		} else if (strcmp(name, "commitments") == 0) {
			ok = ctl_unb64url(value, s->commit, sizeof(s->commit),
			                  0, &s->commit_len) == 0;
		} else if (strcmp(name, "share") == 0 ||
		           strcmp(name, "sealed") == 0) {
			char *sp = strchr(value, ' ');
			int sealed = name[1] == 'e';

			if (sp != NULL) {
				*sp = '\0';
				ok = tr_uint(value, BC_DKG_MAX_N, &j) == 0 &&
				     j >= 1 &&
				     ctl_unb64url(sp + 1,
				                  sealed ? s->sealed[j - 1]
				                         : s->share[j - 1],
				                  sealed ? BC_DKG_SEALED_LEN
				                         : BC_DKG_SCALAR_LEN,
				                  sealed ? BC_DKG_SEALED_LEN
				                         : BC_DKG_SCALAR_LEN,
				                  &got) == 0;
				if (sealed)
					nsealed++;
				else
					nshare++;
			}
		} else if (strcmp(name, "x") == 0) {
			ok = ctl_unb64url(value, s->x, sizeof(s->x),
			                  sizeof(s->x), &got) == 0;
			have_x = 1;
		} else if (strcmp(name, "y") == 0) {
			ok = ctl_unb64url(value, s->y, sizeof(s->y),
			                  sizeof(s->y), &got) == 0;
			have_y = 1;
		} else if (strcmp(name, "qual") == 0) {
			char *end;

			errno = 0;
			s->qual = strtoull(value, &end, 10);
			ok = value[0] >= '0' && value[0] <= '9' &&
			     *end == '\0' && errno == 0;
			have_q = 1;
		}
		if (!ok) {
			ctl_warnx("%s: bad line \"%.20s\"", t->state_file,
			          name);
			goto out;
		}
	}
	if (seen != 63 || s->n < 1 || s->k < 1 || s->k > s->n || s->index < 1 ||
	    s->index > s->n || s->commit_len != BC_DKG_COMMIT_LEN(s->k) ||
	    (!s->done && (nshare != (int)s->n || nsealed != (int)s->n - 1)) ||
	    (s->done && !(have_x && have_y && have_q))) {
		ctl_warnx("%s: incomplete state file", t->state_file);
		goto out;
	}
	rc = 1;
out:
	bc_wipe(text, len);
	free(text);
	if (rc != 1)
		bc_wipe(s, sizeof(*s));
	return rc;
}

/* ------------------------------------------------------------------ */
/* The transcript */

static void tr_log_free(struct tr_log *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->m[i].body);
	free(l->m);
	memset(l, 0, sizeof(*l));
}

/* Signs and sends one message; 0 or an exit code. */
static int tr_send(struct tr *t, proto_ceremony_kind kind, unsigned to,
                   const uint8_t *body, size_t len)
{
	proto_ceremony_msg m;
	proto_buf b = {0};
	json_t *v, *ans = NULL;
	char path[128], *text;
	size_t tlen;
	int rc;

	memset(&m, 0, sizeof(m));
	m.kind = kind;
	m.from = t->index;
	m.to = to;
	m.body = (uint8_t *)(uintptr_t)body;
	m.body_len = len;
	proto_ceremony_bytes(&b, t->poll.poll_hash,
	                     proto_ceremony_kind_name(kind), t->index, to, body,
	                     len);
	if (b.failed ||
	    bc_ed25519_sign(t->key.sign_sk, b.p, b.len, m.sig) != BC_OK) {
		proto_buf_free(&b);
		ctl_warnx("cannot sign the %s message",
		          proto_ceremony_kind_name(kind));
		return CTL_EXIT_REFUSED;
	}
	proto_buf_free(&b);
	if ((v = proto_ceremony_encode(&m)) == NULL ||
	    (text = proto_json_text(v, &tlen)) == NULL) {
		json_decref(v);
		ctl_warnx("out of memory");
		return CTL_EXIT_IO;
	}
	json_decref(v);
	snprintf(path, sizeof(path), "/polls/%s/ceremony/messages", t->poll_id);
	/* A repeat is answered with its first seq: safe to send twice. */
	rc = ctl_call(&t->c, t->h, "POST", path, "application/json", text, tlen,
	              CTL_CALL_RETRY, &ans, NULL);
	if (kind == PROTO_CER_ANSWER || kind == PROTO_CER_RELEASE)
		bc_wipe(text, tlen);
	free(text);
	json_decref(ans);
	return rc;
}

/*
 * Reads the messages after the last one seen, checks each one's
 * signature against the poll definition and keeps the good ones.
 */
static int tr_refresh(struct tr *t)
{
	struct tr_log *l = &t->log;
	const proto_poll *def = t->poll.def;
	char path[160];

	for (;;) {
		json_t *v = NULL, *arr, *e;
		size_t i, count;
		int rc;

		snprintf(path, sizeof(path),
		         "/polls/%s/ceremony/messages?after=%llu", t->poll_id,
		         (unsigned long long)l->last_seq);
		rc = ctl_call(&t->c, t->h, "GET", path, NULL, NULL, 0,
		              CTL_CALL_RETRY, &v, NULL);
		if (rc != CTL_EXIT_OK)
			return rc;
		arr = json_object_get(v, "messages");
		if (!json_is_array(arr)) {
			ctl_warnx("GET %s: no \"messages\" array", path);
			json_decref(v);
			return CTL_EXIT_REFUSED;
		}
		count = json_array_size(arr);
		json_array_foreach(arr, i, e)
		{
			json_t *seq = json_object_get(e, "seq");
			const char *kind =
			    json_string_value(json_object_get(e, "kind"));
			json_t *jf = json_object_get(e, "from");
			json_t *jt = json_object_get(e, "to");
			const char *bs =
			    json_string_value(json_object_get(e, "body"));
			const char *ss =
			    json_string_value(json_object_get(e, "sig"));
			uint8_t sig[PROTO_SIG_LEN], *body;
			size_t blen;
			proto_buf b = {0};
			struct tr_msg *m;
			int k;
			json_int_t from, to;

			if (!json_is_integer(seq) ||
			    json_integer_value(seq) <=
			        (json_int_t)l->last_seq) {
				ctl_warnx("GET %s: messages out of order",
				          path);
				json_decref(v);
				return CTL_EXIT_REFUSED;
			}
			l->last_seq = (uint64_t)json_integer_value(seq);
			from = json_integer_value(jf);
			to = json_integer_value(jt);
			for (k = 0; k <= PROTO_CER_RELEASE; k++)
				if (kind != NULL &&
				    strcmp(kind, proto_ceremony_kind_name(
				                     (proto_ceremony_kind)k)) ==
				        0)
					break;
			if (k > PROTO_CER_RELEASE || !json_is_integer(jf) ||
			    !json_is_integer(jt) || from < 1 ||
			    from > (json_int_t)def->ntrustees || to < 0 ||
			    to > (json_int_t)def->ntrustees || bs == NULL ||
			    ss == NULL ||
			    ctl_unb64url(ss, sig, sizeof(sig), sizeof(sig),
			                 NULL) == -1) {
				ctl_warnx("message %llu: malformed; skipped",
				          (unsigned long long)l->last_seq);
				continue;
			}
			if ((body = malloc(strlen(bs) * 3 / 4 + 1)) == NULL) {
				json_decref(v);
				ctl_warnx("out of memory");
				return CTL_EXIT_IO;
			}
			if (ctl_unb64url(bs, body, strlen(bs) * 3 / 4 + 1, 0,
			                 &blen) == -1) {
				free(body);
				ctl_warnx("message %llu: malformed body; "
				          "skipped",
				          (unsigned long long)l->last_seq);
				continue;
			}
			proto_ceremony_bytes(&b, t->poll.poll_hash, kind,
			                     (uint64_t)from, (uint64_t)to, body,
			                     blen);
			if (b.failed ||
			    bc_ed25519_verify(def->trustees[from - 1].sign_key,
			                      b.p, b.len, sig) != BC_OK) {
				/* A transport fault, never a complaint. */
				ctl_warnx("message %llu (%s from trustee %d): "
				          "the signature does not verify; "
				          "skipped",
				          (unsigned long long)l->last_seq, kind,
				          (int)from);
				proto_buf_free(&b);
				free(body);
				continue;
			}
			proto_buf_free(&b);
			if (l->n == l->cap) {
				size_t cap = l->cap ? l->cap * 2 : 64;
				struct tr_msg *nm =
				    realloc(l->m, cap * sizeof(*nm));

				if (nm == NULL) {
					free(body);
					json_decref(v);
					ctl_warnx("out of memory");
					return CTL_EXIT_IO;
				}
				l->m = nm;
				l->cap = cap;
			}
			m = &l->m[l->n++];
			m->seq = l->last_seq;
			m->kind = (proto_ceremony_kind)k;
			m->from = (unsigned)from;
			m->to = (unsigned)to;
			m->body = body;
			m->body_len = blen;
		}
		json_decref(v);
		if (count < 1000)
			return CTL_EXIT_OK;
	}
}

/*
 * The message of kind from `from` to `to` (-1: any).  Two different
 * ones would mean the server let a trustee equivocate: *twice is set.
 */
static const struct tr_msg *tr_find(const struct tr *t,
                                    proto_ceremony_kind kind, unsigned from,
                                    long to, int *twice)
{
	const struct tr_msg *found = NULL;
	size_t i;

	for (i = 0; i < t->log.n; i++) {
		const struct tr_msg *m = &t->log.m[i];

		if (m->kind != kind || m->from != from ||
		    (to >= 0 && m->to != (unsigned long)to))
			continue;
		if (found == NULL)
			found = m;
		else if (twice != NULL &&
		         (found->body_len != m->body_len ||
		          memcmp(found->body, m->body, m->body_len) != 0))
			*twice = 1;
	}
	return found;
}

/* Dealer i's commitments, decoded: 0, or -1 if missing or malformed. */
static int tr_commitments(const struct tr *t, unsigned i, bc_dkg_commitments *c)
{
	const struct tr_msg *m = tr_find(t, PROTO_CER_COMMITMENTS, i, -1, NULL);
	bc_error e;

	if (m == NULL || bc_dkg_commitments_decode(&t->pp, m->body, m->body_len,
	                                           c, &e) != BC_OK)
		return -1;
	return c->dealer == i ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* The ceremony */

/* The dealing, all at once, before anything is sent. */
static int tr_deal(struct tr *t)
{
	struct tr_state *s = &t->st;
	const proto_poll *def = t->poll.def;
	bc_dkg_dealer *d = NULL;
	bc_dkg_commitments c;
	bc_dkg_sealed_share sh;
	bc_dkg_complaint cp;
	bc_dkg_answer an;
	unsigned j;
	int rc = CTL_EXIT_REFUSED;

	memset(s, 0, sizeof(*s));
	snprintf(s->poll, sizeof(s->poll), "%s", t->poll_id);
	memcpy(s->poll_hash, t->poll.poll_hash, PROTO_HASH_LEN);
	s->index = t->index;
	s->n = t->pp.n;
	s->k = t->pp.k;
	if (bc_dkg_dealer_new(&t->pp, t->index, &d) != BC_OK ||
	    bc_dkg_dealer_commitments(d, &c) != BC_OK ||
	    bc_dkg_commitments_encode(&t->pp, &c, s->commit,
	                              BC_DKG_COMMIT_LEN(t->pp.k)) != BC_OK ||
	    bc_dkg_dealer_own_share(d, s->share[t->index - 1]) != BC_OK)
		goto fail;
	s->commit_len = BC_DKG_COMMIT_LEN(t->pp.k);
	for (j = 1; j <= s->n; j++) {
		if (j == t->index)
			continue;
		if (bc_dkg_dealer_seal(d, j, def->trustees[j - 1].hpke_key,
		                       &sh) != BC_OK ||
		    bc_dkg_sealed_encode(&t->pp, &sh, s->sealed[j - 1]) !=
		        BC_OK)
			goto fail;
		/* s_Ij, kept as the answer to a complaint by j. */
		cp.accuser = j;
		cp.dealer = t->index;
		cp.reason = BC_DKG_BAD_SHARE;
		if (bc_dkg_dealer_answer(d, &cp, &an) != BC_OK)
			goto fail;
		memcpy(s->share[j - 1], an.share, BC_DKG_SCALAR_LEN);
		bc_wipe(&an, sizeof(an));
	}
	bc_dkg_dealer_free(d);
	return tr_state_save(t);
fail:
	ctl_warnx("the dealing failed (the crypto library refused)");
	bc_dkg_dealer_free(d);
	bc_wipe(s, sizeof(*s));
	return rc;
}

/*
 * Reads the transcript until cond(t) holds or the deadline passes;
 * answers complaints against this trustee meanwhile (tr_answer).
 * Returns 0 (cond held), 1 (deadline) or an exit code (negated).
 */
static int tr_answer(struct tr *t);

static int tr_wait(struct tr *t, int (*cond)(struct tr *), time_t deadline,
                   const char *what)
{
	int rc, said = 0;

	for (;;) {
		if ((rc = tr_refresh(t)) != CTL_EXIT_OK)
			return -rc;
		if (!t->st.done && (rc = tr_answer(t)) != CTL_EXIT_OK)
			return -rc;
		if (cond(t))
			return 0;
		if (tr_now() >= deadline)
			return 1;
		if (!said) {
			fprintf(stderr, "ballotctl: waiting for %s\n", what);
			said = 1;
		}
		tr_sleep_ms(TR_POLL_MS);
	}
}

static int tr_all_commitments(struct tr *t)
{
	unsigned i;

	for (i = 1; i <= t->pp.n; i++)
		if (tr_find(t, PROTO_CER_COMMITMENTS, i, -1, NULL) == NULL)
			return 0;
	return 1;
}

/* Dealers with valid commitments. */
static uint64_t tr_committed(const struct tr *t)
{
	bc_dkg_commitments c;
	uint64_t set = 0;
	unsigned i;

	for (i = 1; i <= t->pp.n; i++)
		if (tr_commitments(t, i, &c) == 0)
			set |= tr_bit(i);
	return set;
}

/* Every committed dealer's share to every other trustee is there. */
static int tr_all_shares(struct tr *t)
{
	uint64_t cset = tr_committed(t);
	unsigned i, j;

	for (i = 1; i <= t->pp.n; i++) {
		if (!(cset & tr_bit(i)))
			continue;
		for (j = 1; j <= t->pp.n; j++)
			if (j != i && tr_find(t, PROTO_CER_SHARES, i, (long)j,
			                      NULL) == NULL)
				return 0;
	}
	return 1;
}

/* Decoded complaints: fills cp (up to cap), returns how many. */
static size_t tr_complaints(const struct tr *t, bc_dkg_complaint *cp,
                            size_t cap)
{
	size_t i, n = 0;
	bc_error e;

	for (i = 0; i < t->log.n && n < cap; i++) {
		const struct tr_msg *m = &t->log.m[i];

		if (m->kind != PROTO_CER_COMPLAINT ||
		    m->body_len != BC_DKG_COMPLAINT_LEN ||
		    bc_dkg_complaint_decode(&t->pp, m->body, &cp[n], &e) !=
		        BC_OK ||
		    cp[n].accuser != m->from)
			continue;
		n++;
	}
	return n;
}

/* The answer of dealer to accuser's complaint, if one is there and
 * passes the Feldman check: 0 with a filled, else -1. */
static int tr_answer_of(const struct tr *t, const bc_dkg_complaint *cp,
                        bc_dkg_answer *a)
{
	bc_dkg_commitments c;
	bc_error e;
	size_t i;

	if (tr_commitments(t, cp->dealer, &c) == -1)
		return -1;
	for (i = 0; i < t->log.n; i++) {
		const struct tr_msg *m = &t->log.m[i];

		if (m->kind != PROTO_CER_ANSWER || m->from != cp->dealer ||
		    m->body_len != BC_DKG_ANSWER_LEN ||
		    bc_dkg_answer_decode(&t->pp, m->body, a, &e) != BC_OK ||
		    a->accuser != cp->accuser)
			continue;
		if (bc_dkg_check_answer(&t->pp, &c, cp, a, &e) == BC_OK)
			return 0;
	}
	bc_wipe(a, sizeof(*a));
	return -1;
}

/* Answers every complaint against this trustee not yet answered. */
static int tr_answer(struct tr *t)
{
	bc_dkg_complaint cp[BC_DKG_MAX_N * 2];
	bc_dkg_answer a;
	uint8_t body[BC_DKG_ANSWER_LEN];
	size_t i, n = tr_complaints(t, cp, BC_DKG_MAX_N * 2);
	int rc;

	for (i = 0; i < n; i++) {
		if (cp[i].dealer != t->index)
			continue;
		if (tr_answer_of(t, &cp[i], &a) == 0) {
			bc_wipe(&a, sizeof(a));
			continue;
		}
		fprintf(stderr,
		        "ballotctl: trustee %u complains about this "
		        "trustee's share (reason %u): answering with the "
		        "share in clear\n",
		        cp[i].accuser, cp[i].reason);
		a.dealer = t->index;
		a.accuser = cp[i].accuser;
		memcpy(a.share, t->st.share[cp[i].accuser - 1],
		       BC_DKG_SCALAR_LEN);
		if (bc_dkg_answer_encode(&t->pp, &a, body) != BC_OK) {
			bc_wipe(&a, sizeof(a));
			ctl_warnx("cannot encode the answer");
			return CTL_EXIT_REFUSED;
		}
		bc_wipe(&a, sizeof(a));
		rc = tr_send(t, PROTO_CER_ANSWER, 0, body, sizeof(body));
		bc_wipe(body, sizeof(body));
		if (rc != CTL_EXIT_OK)
			return rc;
		if ((rc = tr_refresh(t)) != CTL_EXIT_OK)
			return rc;
	}
	return CTL_EXIT_OK;
}

/* Every complaint against a committed dealer has a valid answer. */
static int tr_all_answered(struct tr *t)
{
	bc_dkg_complaint cp[BC_DKG_MAX_N * 2];
	bc_dkg_answer a;
	uint64_t cset = tr_committed(t);
	size_t i, n = tr_complaints(t, cp, BC_DKG_MAX_N * 2);

	for (i = 0; i < n; i++) {
		if (!(cset & tr_bit(cp[i].dealer)))
			continue;
		if (tr_answer_of(t, &cp[i], &a) == -1)
			return 0;
		bc_wipe(&a, sizeof(a));
	}
	return 1;
}

static int tr_all_done(struct tr *t)
{
	unsigned i;

	for (i = 1; i <= t->pp.n; i++)
		if (tr_find(t, PROTO_CER_DONE, i, -1, NULL) == NULL)
			return 0;
	return 1;
}

static int tr_never(struct tr *t)
{
	(void)t;
	return 0;
}

/* Sends done from the saved result, then waits for the others'. */
static int tr_finish(struct tr *t, time_t wait_s)
{
	uint8_t body[TR_DONE_LEN];
	const struct tr_msg *mine;
	char *ys;
	unsigned i, agree = 0, have = 0;
	int rc;

	memcpy(body, t->st.y, BC_DKG_POINT_LEN);
	tr_be64_put(body + BC_DKG_POINT_LEN, t->st.qual);
	if ((rc = tr_refresh(t)) != CTL_EXIT_OK)
		return rc;
	mine = tr_find(t, PROTO_CER_DONE, t->index, -1, NULL);
	if (mine != NULL && (mine->body_len != TR_DONE_LEN ||
	                     memcmp(mine->body, body, TR_DONE_LEN) != 0)) {
		ctl_warnx("the transcript holds another done from this "
		          "trustee than the state file's");
		return CTL_EXIT_REFUSED;
	}
	if (mine == NULL && (rc = tr_send(t, PROTO_CER_DONE, 0, body,
	                                  sizeof(body))) != CTL_EXIT_OK)
		return rc;
	ys = ctl_b64url(t->st.y, BC_DKG_POINT_LEN);
	printf("election_key %s\nqual", ys ? ys : "?");
	for (i = 1; i <= t->pp.n; i++)
		if (t->st.qual & tr_bit(i))
			printf(" %u", i);
	printf("\n");
	free(ys);
	rc = tr_wait(t, tr_all_done, tr_now() + wait_s,
	             "the other trustees' done");
	if (rc < 0)
		return -rc;
	for (i = 1; i <= t->pp.n; i++) {
		const struct tr_msg *m =
		    tr_find(t, PROTO_CER_DONE, i, -1, NULL);

		if (m == NULL)
			continue;
		have++;
		if (m->body_len >= BC_DKG_POINT_LEN &&
		    memcmp(m->body, t->st.y, BC_DKG_POINT_LEN) == 0)
			agree++;
		else
			ctl_warnx("trustee %u derived another election key: "
			          "the ceremony has failed",
			          i);
	}
	if (agree != have)
		return CTL_EXIT_REFUSED;
	if (have < t->pp.n) {
		printf("done: %u of %u trustees have sent done; the "
		       "ceremony ends when all have\n",
		       have, t->pp.n);
		return CTL_EXIT_OK;
	}
	printf("done: all %u trustees derived this election key\n", t->pp.n);
	return CTL_EXIT_OK;
}

static int tr_ceremony(struct tr *t)
{
	struct tr_state *s = &t->st;
	const struct tr_msg *m;
	bc_dkg_commitments *cs = NULL;
	const bc_dkg_commitments *ptrs[BC_DKG_MAX_N];
	uint8_t(*shares)[BC_DKG_SCALAR_LEN] = NULL;
	bc_dkg_complaint cp[BC_DKG_MAX_N * 2], mycp[BC_DKG_MAX_N];
	uint64_t cset, qual, mine_ok = 0;
	size_t ncp, nmy = 0, i;
	unsigned j;
	bc_error e;
	int rc, twice = 0;

	/* 1. The dealing: made once and saved before anything is sent. */
	rc = tr_state_load(t);
	if (rc < 0)
		return -rc;
	if (rc == 1) {
		if (strcmp(s->poll, t->poll_id) != 0 ||
		    memcmp(s->poll_hash, t->poll.poll_hash, 32) != 0 ||
		    s->index != t->index || s->n != t->pp.n ||
		    s->k != t->pp.k) {
			ctl_warnx("%s: the state file is of another poll, "
			          "definition or trustee index",
			          t->state_file);
			return CTL_EXIT_REFUSED;
		}
		fprintf(stderr, "ballotctl: resuming from %s (step %s)\n",
		        t->state_file, s->done ? "done" : "dealt");
		if (s->done)
			return tr_finish(t, t->wait_s);
	} else if ((rc = tr_deal(t)) != CTL_EXIT_OK)
		return rc;

	/* 2. Commitments: ours, then everyone's. */
	if ((rc = tr_refresh(t)) != CTL_EXIT_OK)
		return rc;
	m = tr_find(t, PROTO_CER_COMMITMENTS, t->index, -1, &twice);
	if (m != NULL && (m->body_len != s->commit_len ||
	                  memcmp(m->body, s->commit, s->commit_len) != 0)) {
		ctl_warnx("the transcript holds other commitments from this "
		          "trustee than the state file's: the ceremony cannot "
		          "go on with this state file");
		return CTL_EXIT_REFUSED;
	}
	if (m == NULL && (rc = tr_send(t, PROTO_CER_COMMITMENTS, 0, s->commit,
	                               s->commit_len)) != CTL_EXIT_OK)
		return rc;
	rc = tr_wait(t, tr_all_commitments, tr_now() + t->wait_s,
	             "every trustee's commitments");
	if (rc < 0)
		return -rc;
	cset = tr_committed(t);
	if (tr_popcount(cset) < t->pp.k) {
		ctl_warnx("only %u trustees sent valid commitments; %u are "
		          "needed",
		          tr_popcount(cset), t->pp.k);
		return CTL_EXIT_REFUSED;
	}

	/* 3. Our sealed shares. */
	for (j = 1; j <= t->pp.n; j++) {
		if (j == t->index ||
		    tr_find(t, PROTO_CER_SHARES, t->index, (long)j, NULL))
			continue;
		rc = tr_send(t, PROTO_CER_SHARES, j, s->sealed[j - 1],
		             BC_DKG_SEALED_LEN);
		if (rc != CTL_EXIT_OK)
			return rc;
	}
	rc = tr_wait(t, tr_all_shares, tr_now() + t->wait_s,
	             "every trustee's shares");
	if (rc < 0)
		return -rc;

	/* 4. Open and check the shares addressed to us. */
	if ((shares = calloc(BC_DKG_MAX_N, BC_DKG_SCALAR_LEN)) == NULL ||
	    (cs = calloc(BC_DKG_MAX_N, sizeof(*cs))) == NULL) {
		ctl_warnx("out of memory");
		rc = CTL_EXIT_IO;
		goto out;
	}
	memcpy(shares[t->index - 1], s->share[t->index - 1], BC_DKG_SCALAR_LEN);
	mine_ok |= tr_bit(t->index);
	for (j = 1; j <= t->pp.n; j++) {
		bc_dkg_sealed_share sh;
		bc_dkg_complaint c;
		bc_status bst;

		if (j == t->index || !(cset & tr_bit(j)))
			continue;
		if (tr_commitments(t, j, &cs[j - 1]) == -1)
			continue;
		m = tr_find(t, PROTO_CER_SHARES, j, (long)t->index, &twice);
		memset(&c, 0, sizeof(c));
		c.accuser = t->index;
		c.dealer = j;
		c.reason = BC_DKG_BAD_SEAL;
		if (m == NULL || m->body_len != BC_DKG_SEALED_LEN ||
		    bc_dkg_sealed_decode(&t->pp, m->body, &sh, &e) != BC_OK) {
			/* Missing by the deadline, or unreadable: it does
			 * not open. */
			ctl_warnx("no share from trustee %u", j);
			mycp[nmy++] = c;
			continue;
		}
		bst = bc_dkg_open_share(&t->pp, t->index, t->key.hpke_sk,
		                        &cs[j - 1], &sh, shares[j - 1], &c, &e);
		if (bst == BC_OK) {
			mine_ok |= tr_bit(j);
			continue;
		}
		ctl_warnx("the share from trustee %u is bad: %s", j, e.msg);
		if (bst == BC_ERR_VERIFY)
			mycp[nmy++] = c;
	}
	if (twice) {
		ctl_warnx("the server shows two different messages from one "
		          "trustee for the same step: stopping");
		rc = CTL_EXIT_REFUSED;
		goto out;
	}
	for (i = 0; i < nmy; i++) {
		uint8_t body[BC_DKG_COMPLAINT_LEN];
		bc_dkg_complaint have[BC_DKG_MAX_N * 2];
		size_t h, nh = tr_complaints(t, have, BC_DKG_MAX_N * 2);
		int sent = 0;

		for (h = 0; h < nh; h++)
			if (have[h].accuser == t->index &&
			    have[h].dealer == mycp[i].dealer)
				sent = 1;
		if (sent)
			continue;
		if (bc_dkg_complaint_encode(&t->pp, &mycp[i], body) != BC_OK) {
			rc = CTL_EXIT_REFUSED;
			goto out;
		}
		fprintf(stderr, "ballotctl: complaining about trustee %u\n",
		        mycp[i].dealer);
		rc = tr_send(t, PROTO_CER_COMPLAINT, 0, body, sizeof(body));
		if (rc != CTL_EXIT_OK)
			goto out;
	}

	/* 5. Let the others finish their checks, answer what is asked of
	 * us, and wait for the answers to every complaint. */
	rc = tr_wait(t, tr_never, tr_now() + t->settle_s, "complaints");
	if (rc < 0) {
		rc = -rc;
		goto out;
	}
	rc = tr_wait(t, tr_all_answered, tr_now() + t->wait_s,
	             "answers to the complaints");
	if (rc < 0) {
		rc = -rc;
		goto out;
	}

	/* 6. QUAL, our share x_I and Y. */
	qual = tr_committed(t);
	ncp = tr_complaints(t, cp, BC_DKG_MAX_N * 2);
	for (i = 0; i < ncp; i++) {
		bc_dkg_answer a;

		if (!(qual & tr_bit(cp[i].dealer)))
			continue;
		if (tr_answer_of(t, &cp[i], &a) == -1) {
			ctl_warnx("trustee %u did not settle trustee %u's "
			          "complaint: it is left out of QUAL",
			          cp[i].dealer, cp[i].accuser);
			qual &= ~tr_bit(cp[i].dealer);
			continue;
		}
		if (cp[i].accuser == t->index) {
			memcpy(shares[cp[i].dealer - 1], a.share,
			       BC_DKG_SCALAR_LEN);
			mine_ok |= tr_bit(cp[i].dealer);
		}
		bc_wipe(&a, sizeof(a));
	}
	if ((qual & ~mine_ok) != 0) {
		for (j = 1; j <= t->pp.n; j++)
			if ((qual & ~mine_ok) & tr_bit(j))
				ctl_warnx("no valid share from trustee %u", j);
		rc = CTL_EXIT_REFUSED;
		goto out;
	}
	if (tr_popcount(qual) < t->pp.k) {
		ctl_warnx("only %u trustees are qualified; %u are needed",
		          tr_popcount(qual), t->pp.k);
		rc = CTL_EXIT_REFUSED;
		goto out;
	}
	for (j = 1; j <= t->pp.n; j++) {
		ptrs[j - 1] = NULL;
		if ((qual & tr_bit(j)) && tr_commitments(t, j, &cs[j - 1]) == 0)
			ptrs[j - 1] = &cs[j - 1];
	}
	if (bc_dkg_combine(&t->pp, ptrs, qual, t->index,
	                   (const uint8_t(*)[BC_DKG_SCALAR_LEN])shares, s->x,
	                   &e) != BC_OK ||
	    bc_dkg_public_key(&t->pp, ptrs, qual, s->y, &e) != BC_OK) {
		ctl_warnx("cannot compute this trustee's share: %s", e.msg);
		rc = CTL_EXIT_REFUSED;
		goto out;
	}
	s->qual = qual;
	s->done = 1;
	/* The dealing secrets leave the state file now: only x_I stays. */
	for (j = 0; j < BC_DKG_MAX_N; j++)
		bc_wipe(s->share[j], BC_DKG_SCALAR_LEN);
	if ((rc = tr_state_save(t)) != CTL_EXIT_OK)
		goto out;
	rc = tr_finish(t, t->wait_s);
out:
	if (shares != NULL)
		bc_wipe(shares, BC_DKG_MAX_N * BC_DKG_SCALAR_LEN);
	free(shares);
	free(cs);
	return rc;
}

static int tr_release(struct tr *t)
{
	struct tr_state *s = &t->st;
	bc_dkg_commitments *cs;
	const bc_dkg_commitments *ptrs[BC_DKG_MAX_N];
	bc_dkg_release r;
	uint8_t body[BC_DKG_RELEASE_LEN];
	bc_error e;
	unsigned j;
	int rc;

	rc = tr_state_load(t);
	if (rc < 0)
		return -rc;
	if (rc == 0) {
		ctl_warnx("%s: no such state file", t->state_file);
		return CTL_EXIT_IO;
	}
	if (!s->done || strcmp(s->poll, t->poll_id) != 0 ||
	    memcmp(s->poll_hash, t->poll.poll_hash, 32) != 0) {
		ctl_warnx("%s: not the finished ceremony of poll %s",
		          t->state_file, t->poll_id);
		return CTL_EXIT_REFUSED;
	}
	t->index = s->index;
	if (memcmp(t->poll.def->trustees[s->index - 1].sign_key, t->key.sign_pk,
	           BC_ED25519_PK_LEN) != 0) {
		ctl_warnx("the key is not trustee %u's", s->index);
		return CTL_EXIT_REFUSED;
	}
	if (strcmp(t->poll.state, "closed") != 0) {
		ctl_warnx("poll %s is %s: shares are released only after the "
		          "close",
		          t->poll_id, t->poll.state);
		return CTL_EXIT_REFUSED;
	}
	if ((rc = tr_refresh(t)) != CTL_EXIT_OK)
		return rc;
	if ((cs = calloc(BC_DKG_MAX_N, sizeof(*cs))) == NULL) {
		ctl_warnx("out of memory");
		return CTL_EXIT_IO;
	}
	for (j = 1; j <= t->pp.n; j++) {
		ptrs[j - 1] = NULL;
		if (!(s->qual & tr_bit(j)))
			continue;
		if (tr_commitments(t, j, &cs[j - 1]) == -1) {
			ctl_warnx("the transcript lacks trustee %u's "
			          "commitments",
			          j);
			free(cs);
			return CTL_EXIT_REFUSED;
		}
		ptrs[j - 1] = &cs[j - 1];
	}
	r.trustee = s->index;
	memcpy(r.share, s->x, BC_DKG_SCALAR_LEN);
	/* Checked here as everyone will: against X_I of the transcript. */
	if (bc_dkg_check_release(&t->pp, ptrs, s->qual, &r, &e) != BC_OK ||
	    bc_dkg_release_encode(&t->pp, &r, body) != BC_OK) {
		bc_wipe(&r, sizeof(r));
		free(cs);
		ctl_warnx("the saved share does not match the transcript: %s",
		          e.msg);
		return CTL_EXIT_REFUSED;
	}
	bc_wipe(&r, sizeof(r));
	free(cs);
	rc = tr_send(t, PROTO_CER_RELEASE, 0, body, sizeof(body));
	bc_wipe(body, sizeof(body));
	if (rc == CTL_EXIT_OK)
		printf("released: trustee %u's share of poll %s\n", s->index,
		       t->poll_id);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Command line */

static const char tr_usage_keygen[] =
    "usage: ballotctl trustee keygen --out TRUSTEE.key [--name NAME]\n"
    "\n"
    "Makes the trustee's Ed25519 signing key and P-256 HPKE key in one\n"
    "new file (mode 0600; an existing file is never overwritten) and\n"
    "prints the two public keys (base64url) for the poll definition's\n"
    "trustees.members, and their fingerprint to read out to the others.\n"
    "With --name, also the member entry as JSON.\n";
static const char tr_usage_ceremony[] =
    "usage: ballotctl trustee ceremony POLL --key TRUSTEE.key --index I\n"
    "                --state FILE [--server URL] [--cacert FILE]\n"
    "                [--timeout S] [--settle S]\n"
    "\n"
    "Runs the key ceremony of POLL as trustee I: checks that the key's\n"
    "public keys are member I of the definition, deals (saved to FILE,\n"
    "mode 0600, before anything is sent), posts the commitments, waits\n"
    "for everyone's, posts the sealed shares, opens and checks those\n"
    "addressed to it (a bad one is complained about), answers\n"
    "complaints against it, computes QUAL, its share x_I and the\n"
    "election key Y, saves them to FILE and posts done.  Run it again\n"
    "with the same FILE to resume.  Every message read is checked\n"
    "against its sender's signing key first.\n"
    "  --timeout S  how long to wait for the other trustees at each\n"
    "               step (default 600)\n"
    "  --settle S   time left for complaints once all shares are\n"
    "               out (default 3)\n";
static const char tr_usage_release[] =
    "usage: ballotctl trustee release POLL --key TRUSTEE.key --state FILE\n"
    "                [--server URL] [--cacert FILE]\n"
    "\n"
    "After the close: checks the saved share x_I against the ceremony's\n"
    "transcript and posts it, so that the election key can be rebuilt.\n";
static const char tr_usage_all[] =
    "usage: ballotctl trustee keygen|ceremony|release ...\n"
    "\n"
    "  keygen --out TRUSTEE.key [--name NAME]\n"
    "  ceremony POLL --key TRUSTEE.key --index I --state FILE\n"
    "  release POLL --key TRUSTEE.key --state FILE\n"
    "\n"
    "Connection options (also before 'trustee'): --server URL (default\n"
    "$BALLOT_SERVER), --cacert FILE, --insecure.  See docs/trustee.md.\n"
    "Exit codes: 0 ok, 1 refused or a check failed, 2 usage, 3 file or\n"
    "network error.\n";

static int tr_parse_uint(const char *opt, const char *v, unsigned min,
                         unsigned max, unsigned *out)
{
	if (v == NULL || tr_uint(v, max, out) == -1 || *out < min) {
		ctl_warnx("%s: expected a whole number from %u to %u", opt, min,
		          max);
		return -1;
	}
	return 0;
}

/* A connection option at argv[*i]: 1 taken, 0 not one, -1 error. */
static int tr_conn_opt(struct tr *t, int argc, char **argv, int *i,
                       int network_timeout)
{
	const char *a = argv[*i];

	if (strcmp(a, "--insecure") == 0) {
		t->c.insecure = 1;
		return 1;
	}
	if (strcmp(a, "--json") == 0) {
		t->c.json = 1;
		return 1;
	}
	if (strcmp(a, "--server") != 0 && strcmp(a, "--cacert") != 0 &&
	    !(network_timeout && strcmp(a, "--timeout") == 0))
		return 0;
	if (*i + 1 >= argc) {
		ctl_warnx("%s needs a value", a);
		return -1;
	}
	++*i;
	if (strcmp(a, "--server") == 0)
		t->c.server = argv[*i];
	else if (strcmp(a, "--cacert") == 0)
		t->c.cacert = argv[*i];
	else if (tr_parse_uint(a, argv[*i], 1, 3600, &t->c.timeout) == -1)
		return -1;
	return 1;
}

static int tr_connect(struct tr *t)
{
	char err[256];

	if (t->c.server == NULL)
		t->c.server = getenv("BALLOT_SERVER");
	if (t->c.server == NULL) {
		ctl_warnx("no server: give --server URL or set BALLOT_SERVER");
		return CTL_EXIT_USAGE;
	}
	if (ctl_url_parse(t->c.server, &t->c.url, err, sizeof(err)) == -1) {
		ctl_warnx("--server %s: %s", t->c.server, err);
		return CTL_EXIT_USAGE;
	}
	if (t->c.insecure && !(t->c.url.tls && t->c.url.loopback)) {
		ctl_warnx("--insecure is for tests against https://127.0.0.1 "
		          "only; use --cacert FILE");
		return CTL_EXIT_USAGE;
	}
	if ((t->h = ctl_http_new(&t->c)) == NULL) {
		ctl_warnx("out of memory");
		return CTL_EXIT_IO;
	}
	return CTL_EXIT_OK;
}

/* Fetches the poll and finds this key in its definition. */
static int tr_open_poll(struct tr *t, int need_index)
{
	const proto_poll *def;
	int rc;

	if (!ctl_valid_poll_id(t->poll_id)) {
		ctl_warnx("\"%.70s\" is not a poll id", t->poll_id);
		return CTL_EXIT_USAGE;
	}
	if ((rc = ctl_poll_fetch(&t->c, t->h, t->poll_id, &t->poll)) !=
	    CTL_EXIT_OK)
		return rc;
	def = t->poll.def;
	if (need_index) {
		if (t->index > def->ntrustees) {
			ctl_warnx("--index %u: poll %s has %zu trustees",
			          t->index, t->poll_id, def->ntrustees);
			return CTL_EXIT_REFUSED;
		}
		/* The server could hand out another definition: the keys of
		 * member I must be ours, or our shares go to someone else. */
		if (memcmp(def->trustees[t->index - 1].sign_key, t->key.sign_pk,
		           BC_ED25519_PK_LEN) != 0 ||
		    memcmp(def->trustees[t->index - 1].hpke_key, t->key.hpke_pk,
		           BC_HPKE_PK_LEN) != 0) {
			ctl_warnx("member %u of poll %s (\"%.60s\") does not "
			          "have this key file's public keys",
			          t->index, t->poll_id,
			          def->trustees[t->index - 1].name);
			return CTL_EXIT_REFUSED;
		}
	}
	if (bc_dkg_params_init(&t->pp, (const uint8_t *)def->id,
	                       strlen(def->id), (unsigned)def->ntrustees,
	                       (unsigned)def->k) != BC_OK) {
		ctl_warnx("poll %s: unsupported trustees (n %zu, k %d)",
		          t->poll_id, def->ntrustees, def->k);
		return CTL_EXIT_REFUSED;
	}
	return CTL_EXIT_OK;
}

int ctl_trustee_main(int argc, char **argv)
{
	struct tr *t;
	const char *sub, *out = NULL, *name = NULL, *idx = NULL;
	const char *usage;
	int i = 0, rc, g, have_index = 0;

	/* Global options before the word "trustee", if the caller passed
	 * the whole command line. */
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		ctl_warnx("out of memory");
		return CTL_EXIT_IO;
	}
	t->c.timeout = 30;
	t->wait_s = 600;
	t->settle_s = 3;
	if (argc > 0 && strcmp(argv[0], "trustee") != 0) {
		for (i = 1; i < argc && strcmp(argv[i], "trustee") != 0; i++) {
			if ((g = tr_conn_opt(t, argc, argv, &i, 1)) == 1)
				continue;
			if (g == 0)
				ctl_warnx("unknown option %s", argv[i]);
			rc = CTL_EXIT_USAGE;
			goto out;
		}
		if (i == argc) {
			fputs(tr_usage_all, stderr);
			rc = CTL_EXIT_USAGE;
			goto out;
		}
	}
	i++; /* past "trustee" */
	if (i >= argc || strcmp(argv[i], "--help") == 0 ||
	    strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "help") == 0) {
		fputs(tr_usage_all, i >= argc ? stderr : stdout);
		rc = i >= argc ? CTL_EXIT_USAGE : CTL_EXIT_OK;
		goto out;
	}
	sub = argv[i++];
	if (strcmp(sub, "keygen") == 0)
		usage = tr_usage_keygen;
	else if (strcmp(sub, "ceremony") == 0)
		usage = tr_usage_ceremony;
	else if (strcmp(sub, "release") == 0)
		usage = tr_usage_release;
	else {
		ctl_warnx("trustee: unknown subcommand \"%.40s\"", sub);
		fputs(tr_usage_all, stderr);
		rc = CTL_EXIT_USAGE;
		goto out;
	}
	for (; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(usage, stdout);
			rc = CTL_EXIT_OK;
			goto out;
		}
		if ((g = tr_conn_opt(t, argc, argv, &i, 0)) == -1) {
			rc = CTL_EXIT_USAGE;
			goto out;
		}
		if (g == 1)
			continue;
		if (strncmp(a, "--", 2) == 0) {
			const char *v = i + 1 < argc ? argv[i + 1] : NULL;

			if (v == NULL) {
				ctl_warnx("%s needs a value", a);
				rc = CTL_EXIT_USAGE;
				goto out;
			}
			i++;
			if (strcmp(a, "--out") == 0 && usage == tr_usage_keygen)
				out = v;
			else if (strcmp(a, "--name") == 0 &&
			         usage == tr_usage_keygen)
				name = v;
			else if (strcmp(a, "--key") == 0 &&
			         usage != tr_usage_keygen)
				t->key_file = v;
			else if (strcmp(a, "--state") == 0 &&
			         usage != tr_usage_keygen)
				t->state_file = v;
			else if (strcmp(a, "--index") == 0 &&
			         usage == tr_usage_ceremony)
				idx = v;
			else if (strcmp(a, "--timeout") == 0 &&
			         usage == tr_usage_ceremony) {
				if (tr_parse_uint(a, v, 1, 86400, &t->wait_s) ==
				    -1) {
					rc = CTL_EXIT_USAGE;
					goto out;
				}
			} else if (strcmp(a, "--settle") == 0 &&
			           usage == tr_usage_ceremony) {
				if (tr_parse_uint(a, v, 0, 600, &t->settle_s) ==
				    -1) {
					rc = CTL_EXIT_USAGE;
					goto out;
				}
			} else {
				ctl_warnx("trustee %s: unknown option %s", sub,
				          a);
				fputs(usage, stderr);
				rc = CTL_EXIT_USAGE;
				goto out;
			}
			continue;
		}
		if (t->poll_id != NULL || usage == tr_usage_keygen) {
			ctl_warnx("trustee %s: unexpected argument \"%.40s\"",
			          sub, a);
			fputs(usage, stderr);
			rc = CTL_EXIT_USAGE;
			goto out;
		}
		t->poll_id = a;
	}
	if (usage == tr_usage_keygen) {
		if (out == NULL) {
			ctl_warnx("trustee keygen: --out is required");
			fputs(usage, stderr);
			rc = CTL_EXIT_USAGE;
			goto out;
		}
		rc = tr_keygen(out, name);
		goto out;
	}
	if (t->poll_id == NULL || t->key_file == NULL ||
	    t->state_file == NULL ||
	    (usage == tr_usage_ceremony && idx == NULL)) {
		ctl_warnx("trustee %s: POLL, --key, --state%s are required",
		          sub,
		          usage == tr_usage_ceremony ? " and --index" : "");
		fputs(usage, stderr);
		rc = CTL_EXIT_USAGE;
		goto out;
	}
	if (idx != NULL) {
		if (tr_parse_uint("--index", idx, 1, BC_DKG_MAX_N, &t->index) ==
		    -1) {
			rc = CTL_EXIT_USAGE;
			goto out;
		}
		have_index = 1;
	}
	if ((rc = tr_connect(t)) != CTL_EXIT_OK)
		goto out;
	if ((rc = tr_key_load(t->key_file, &t->key)) != CTL_EXIT_OK)
		goto out;
	if ((rc = tr_open_poll(t, have_index)) != CTL_EXIT_OK)
		goto out;
	if (usage == tr_usage_ceremony) {
		if (strcmp(t->poll.state, "ceremony") != 0)
			fprintf(stderr,
			        "ballotctl: note: poll %s is %s, not in its "
			        "ceremony\n",
			        t->poll_id, t->poll.state);
		rc = tr_ceremony(t);
	} else
		rc = tr_release(t);
out:
	if (t->h != NULL)
		ctl_http_free(t->h);
	if (t->poll.def != NULL)
		ctl_poll_clear(&t->poll);
	tr_log_free(&t->log);
	tr_key_clear(&t->key);
	bc_wipe(&t->st, sizeof(t->st));
	free(t);
	if (fflush(stdout) == EOF && rc == CTL_EXIT_OK)
		rc = CTL_EXIT_IO;
	return rc;
}
