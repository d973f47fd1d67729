/*
 * app_int.h: what the request handlers (h_org.c, h_voter.c, h_public.c)
 * and the scheduler share, besides app.h: the per-thread caches, poll
 * loading, error replies and JSON helpers, and the open and close
 * transitions (used by both the organiser's routes and schedule.c).
 */
#ifndef BD_APP_INT_H
#define BD_APP_INT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "app.h"
#include "blindrsa.h"
#include "proto.h"
#include "store.h"

/* Every class token key the daemon makes (protocol.md section 1). */
#define BD_TOKEN_KEY_BITS 2048
#define BD_TOKEN_KEY_LEN  (BD_TOKEN_KEY_BITS / 8)

/* Entries of each per-thread cache; the oldest is dropped beyond. */
#define BD_CACHE_POLLS 16
#define BD_CACHE_KEYS  64

/*
 * A poll definition, parsed once per thread: definitions never change
 * once stored and a poll id is never reused, so the id is the key (the
 * hash is compared as well, to be safe).
 */
struct bd_poll_ent {
	char id[STORE_POLL_ID_MAX + 1];
	uint8_t poll_hash[STORE_HASH_LEN];
	proto_poll *def; /* owned */
};

/*
 * A class's token key, parsed once per thread: parsing a PKCS#8 RSA key
 * costs more than the blind signature itself.  A class key is never
 * replaced (store.h), so (poll_hash, class) is the key.
 */
struct bd_key_ent {
	uint8_t poll_hash[STORE_HASH_LEN];
	char *class_id;  /* owned */
	bc_brsa_key *sk; /* owned; NULL if only the public key was asked */
	bc_brsa_key *pk; /* owned */
	uint8_t pub_hash[STORE_HASH_LEN]; /* H(SPKI DER) */
};

/*
 * The per-loop context main.c's thread_init makes.  Its first member is
 * the bd_thread of app.h, so bd_thread_of(req) and bd_tctx_of(req) are
 * the same pointer.  Only the loop's thread touches it.
 */
struct bd_tctx {
	struct bd_thread t; /* must stay first */
	struct bd_poll_ent polls[BD_CACHE_POLLS];
	size_t npolls, poll_next;
	struct bd_key_ent keys[BD_CACHE_KEYS];
	size_t nkeys, key_next;
};

static inline struct bd_tctx *bd_tctx_of(const struct bd_req *req)
{
	return (struct bd_tctx *)bd_req_thread_ctx(req);
}

/* Makes a context with its own reader on the calling thread; NULL on
 * failure (logged).  Freed, with the reader, by bd_tctx_free. */
struct bd_tctx *bd_tctx_new(struct bd_app *app);
void bd_tctx_free(struct bd_tctx *tc);

/*
 * A refusal worked out away from a request (the scheduler has none):
 * status 0 means success.
 */
struct bd_result {
	int status;       /* HTTP status, 0 if none */
	const char *code; /* api.md's error code */
	char msg[384];
};

void bd_result_set(struct bd_result *res, int status, const char *code,
                   const char *fmt, ...) BD_PRINTF(4, 5);
/* Answers res as an error. */
void bd_reply_result(struct bd_req *req, const struct bd_result *res);
/* Fills res from a store failure with bd_reply_store_error's mapping. */
void bd_result_store(struct bd_result *res, store_status st,
                     const store_error *err, const char *what);
/* Answers a proto failure: syntax and shape bad_json, value bad_request. */
void bd_reply_proto_error(struct bd_req *req, proto_status st,
                          const proto_err *err);

/* Milliseconds since the Unix epoch. */
int64_t bd_now_ms(void);

/*
 * Reads poll `id` into *sp and its parsed definition (through the
 * cache; borrowed from tc, valid until the next cache call) into *def.
 * On failure fills res (404 for no such poll) and returns -1; *sp then
 * holds nothing.  Clear *sp with store_poll_clear after success.
 */
int bd_poll_load(struct bd_tctx *tc, const char *id, store_poll *sp,
                 const proto_poll **def, struct bd_result *res);

/*
 * The token key of a class (borrowed from tc's cache).  want_private:
 * also the private key (the token route).  Fails (res filled, -1) with
 * 400 if the class is not one of the poll's, 409 wrong_state if it has
 * no key yet.
 */
int bd_class_key(struct bd_tctx *tc, const store_poll *sp, const char *class_id,
                 int want_private, const struct bd_key_ent **out,
                 struct bd_result *res);

/* JSON strings of bytes: lowercase hex and base64url.  NULL: no memory. */
json_t *bd_json_hex(const uint8_t *p, size_t n);
json_t *bd_json_b64url(const uint8_t *p, size_t n);
/* A signed tree head as api.md shows it. */
json_t *bd_json_sth(const store_sth *sth);
/* A time as RFC 3339 text, or null for -1. */
json_t *bd_json_time(int64_t ms);

/*
 * Opens or closes a poll (h_org.c), for the organiser's route and the
 * scheduler: checks the state (and for the open, the election key),
 * appends the state record and changes the state.  Returns 0, or -1 with
 * res filled.  bd_poll_close fills *sth_out (NULL for an empty board:
 * the json is then null), a new reference the caller owns.
 */
int bd_poll_open(store *s, store_reader *rd, const char *id,
                 struct bd_result *res);
int bd_poll_close(store *s, store_reader *rd, const char *id, json_t **sth_out,
                  struct bd_result *res);

/* The test-only election-key route (h_org.c; routes.c's table). */
void bd_h_test_election_key(struct bd_req *req);

#endif
