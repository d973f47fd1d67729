/*
 * check_board.c: the per-entry work of `verifier check` -- leaf hashes,
 * entry parsing, token signatures and decryptions -- spread over --jobs
 * threads.  Each thread writes only its own entries' fields; the checks
 * that compare and report run afterwards on the main thread, in leaf
 * order, so the report does not depend on the scheduling.
 */
#include "check.h"
#include "hpke.h"
#include "merkle.h"
#include "pad.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct work {
	struct vc *c;
	atomic_size_t next, done;
};

/* Reads lp(x) at *p (end e).  Returns 0 and x, or -1. */
static int take_lp(const uint8_t **p, const uint8_t *e, const uint8_t **x,
                   size_t *n)
{
	uint32_t len;

	if (e - *p < 4)
		return -1;
	len = (uint32_t)(*p)[0] << 24 | (uint32_t)(*p)[1] << 16 |
	      (uint32_t)(*p)[2] << 8 | (*p)[3];
	*p += 4;
	if ((size_t)(e - *p) < len)
		return -1;
	*x = *p;
	*n = len;
	*p += len;
	return 0;
}

static void parse_entry(struct vc *c, struct vc_entry *en)
{
	const uint8_t *p = en->bytes, *e = en->bytes + en->len, *x;
	size_t n;

	en->cls = -1;
	if (take_lp(&p, e, &x, &n) || n != 15 ||
	    memcmp(x, "ballot-entry/v2", 15) != 0) {
		snprintf(en->why, sizeof(en->why),
		         "does not start with lp(\"ballot-entry/v2\")");
		return;
	}
	if (take_lp(&p, e, &x, &n) || n != 32) {
		snprintf(en->why, sizeof(en->why), "no 32-byte poll_hash");
		return;
	}
	en->poll_ok = c->have_hash && memcmp(x, c->poll_hash, 32) == 0;
	if (take_lp(&p, e, &x, &n) || n == 0 || n > PROTO_CLASS_ID_MAX ||
	    memchr(x, 0, n)) {
		snprintf(en->why, sizeof(en->why), "no class id");
		return;
	}
	memcpy(en->class_id, x, n);
	en->class_id[n] = '\0';
	if (take_lp(&p, e, &en->token, &en->toklen) ||
	    take_lp(&p, e, &en->sig, &en->siglen) ||
	    take_lp(&p, e, &en->sealed, &en->sealedlen) ||
	    take_lp(&p, e, &en->cast_sig, &en->castsiglen)) {
		snprintf(en->why, sizeof(en->why),
		         "the token, signature, sealed ballot or cast_sig is "
		         "cut short");
		return;
	}
	if (p != e) {
		snprintf(en->why, sizeof(en->why), "%zu bytes after cast_sig",
		         (size_t)(e - p));
		return;
	}
	en->parsed = 1;
	for (size_t i = 0; i < c->ncls; i++)
		if (strcmp(c->cls[i].id, en->class_id) == 0)
			en->cls = (int)i;
}

static void decrypt(struct vc *c, struct vc_entry *en)
{
	proto_buf info = {0};
	uint8_t *pt;
	size_t ctlen;
	const uint8_t *msg;
	size_t mlen;

	if (en->sealedlen < BC_HPKE_ENC_LEN + BC_HPKE_TAG_LEN)
		return;
	ctlen = en->sealedlen - BC_HPKE_ENC_LEN;
	if ((pt = malloc(ctlen - BC_HPKE_TAG_LEN + 1)) == NULL)
		return;
	proto_seal_info(&info, c->poll_hash, en->class_id);
	if (!info.failed &&
	    bc_hpke_open(c->sk, en->sealed, info.p, info.len, en->token_id, 32,
	                 en->sealed + BC_HPKE_ENC_LEN, ctlen, pt) == BC_OK &&
	    bc_unpad(pt, ctlen - BC_HPKE_TAG_LEN, &msg, &mlen) == BC_OK) {
		if ((en->plain = malloc(mlen + 1)) != NULL) {
			memcpy(en->plain, msg, mlen);
			en->plain[mlen] = '\0';
			en->plainlen = mlen;
			en->decrypted = 1;
		}
	}
	bc_wipe(pt, ctlen - BC_HPKE_TAG_LEN);
	free(pt);
	proto_buf_free(&info);
}

static void one(struct vc *c, struct vc_entry *en)
{
	en->cls = -1;
	if (en->bytes == NULL)
		return; /* the line did not read: reported already */
	if (bc_merkle_leaf_hash(en->bytes, en->len, en->computed_leaf) != BC_OK)
		memset(en->computed_leaf, 0, 32);
	parse_entry(c, en);
	if (!en->parsed)
		return;
	if (proto_token_id(en->class_id, en->token, en->toklen, en->token_id) !=
	    PROTO_OK)
		return;
	if (en->cls >= 0 && c->cls[en->cls].key)
		en->sig_ok =
		    bc_brsa_verify(c->cls[en->cls].key,
		                   BC_BRSA_SHA384_PSS_RANDOMIZED, en->token,
		                   en->toklen, en->sig, en->siglen) == BC_OK;
	/* Signed by the voter's cast key, the token's msg: the server
	 * refuses a cast whose cast_sig fails, so such an entry means a
	 * server that appended what it should not have. */
	en->cast_ok =
	    c->have_hash &&
	    proto_cast_verify(c->poll_hash, en->class_id, en->token, en->toklen,
	                      en->sealed, en->sealedlen, en->cast_sig,
	                      en->castsiglen) == PROTO_OK;
	if (c->have_sk && c->have_hash)
		decrypt(c, en);
}

static void *worker(void *arg)
{
	struct work *w = arg;
	struct vc *c = w->c;
	size_t i;

	while ((i = atomic_fetch_add(&w->next, 1)) < c->nent) {
		size_t d;

		one(c, &c->ent[i]);
		d = atomic_fetch_add(&w->done, 1) + 1;
		if (c->progress && (d % 256 == 0 || d == c->nent))
			fprintf(stderr, "\rverifier check: entries %zu/%zu", d,
			        c->nent);
	}
	return NULL;
}

void vc_entries_work(struct vc *c)
{
	struct work w;
	pthread_t *t;
	int n = c->jobs < 1 ? 1 : c->jobs, started = 0;

	w.c = c;
	atomic_init(&w.next, 0);
	atomic_init(&w.done, 0);
	if ((size_t)n > c->nent)
		n = c->nent ? (int)c->nent : 1;
	t = calloc((size_t)n, sizeof(*t));
	for (int i = 0; t && i < n; i++) {
		if (pthread_create(&t[i], NULL, worker, &w) != 0)
			break;
		started++;
	}
	if (started == 0)
		worker(&w); /* no threads: do it here */
	for (int i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	free(t);
	if (c->progress && c->nent)
		fputc('\n', stderr);
}
