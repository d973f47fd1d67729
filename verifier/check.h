/*
 * check.h: the insides of `verifier check` (cmd_check.c, check_*.c):
 * what the checks learn from the record, and how they report.
 */
#ifndef VERIFIER_CHECK_H
#define VERIFIER_CHECK_H

#include "blindrsa.h"
#include "dkg.h"
#include "proto.h"
#include "record.h"

#include <jansson.h>
#include <stdint.h>

struct vc_failure {
	char *file, *where, *check, *what;
};

struct vc_class {
	char id[PROTO_CLASS_ID_MAX + 1];
	bc_brsa_key *key; /* from keys.json; NULL if it did not read */
	uint8_t key_hash[32];
	int64_t voters; /* keys.json */
	int weight;     /* from the id */
	proto_cset contests;
	int64_t issued;  /* issuance.jsonl lines of this class */
	int64_t counted; /* recomputed */
	int64_t cast;    /* board entries of this class */
};

/* One board entry, with what the per-entry work found. */
struct vc_entry {
	size_t line;    /* in board/entries.jsonl */
	uint8_t *bytes; /* the decoded entry */
	size_t len;
	uint8_t leaf_hash[32]; /* as recorded */
	/* Filled by the workers: */
	uint8_t computed_leaf[32];
	int parsed;    /* the entry's fields read */
	char why[160]; /* why it did not parse */
	int cls;       /* index into classes, -1 if unknown */
	char class_id[PROTO_CLASS_ID_MAX + 1];
	const uint8_t *token, *sig, *sealed, *cast_sig; /* into bytes */
	size_t toklen, siglen, sealedlen, castsiglen;
	int poll_ok; /* names our poll_hash */
	int sig_ok;  /* token signature verifies */
	int cast_ok; /* cast_sig verifies under the key in the token */
	uint8_t token_id[32];
	int decrypted;  /* opened and unpadded */
	uint8_t *plain; /* malloc'd, plainlen bytes + NUL */
	size_t plainlen;
	/* Recomputed verdict: */
	proto_ballot_reason reason;
	int valid, counted;
	int64_t superseded_by; /* -1: none */
	proto_ballot ballot;   /* when valid */
};

struct vc_sth {
	size_t line;
	uint64_t size, ts;
	uint8_t root[32], sig[64];
};

struct vc {
	const vr_record *rec;
	struct vc_failure *f;
	size_t nf, capf;
	int jobs, progress;

	proto_poll *poll;
	uint8_t poll_hash[32];
	int have_hash;
	uint8_t board_key[32];
	int have_board;
	uint8_t ekey[65];
	int have_ekey;
	struct vc_class *cls;
	size_t ncls;
	/* The closed state record's head. */
	int have_closed;
	struct vc_sth closed;
	int closed_empty;
	/* The key ceremony. */
	bc_dkg_params dkg;
	int have_dkg;
	bc_dkg_commitments commits[BC_DKG_MAX_N];
	int have_commit[BC_DKG_MAX_N];
	uint64_t qual;
	bc_dkg_release releases[BC_DKG_MAX_N];
	int release_ok[BC_DKG_MAX_N];
	uint8_t sk[32];
	int have_sk;
	/* The board. */
	struct vc_entry *ent;
	size_t nent;
	uint8_t *leaves; /* nent * 32, the recomputed leaf hashes */
	/* Every complete subtree of the rebuilt tree (NULL if out of
	 * memory: nodes are then recomputed from the leaves). */
	struct bc_merkle_memtree *tree;
	struct vc_sth *sths;
	size_t nsths;
	int ballots_ok; /* ballots.jsonl read, one line per entry */
};

/* Records a failure: file, where (a line number or a member path, "-"
 * for the whole file), the check's name, and what (printf). */
void vc_fail(struct vc *c, const char *file, const char *where,
             const char *check, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* The same with a line number. */
void vc_fail_line(struct vc *c, const char *file, size_t line,
                  const char *check, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* JSON helpers: each returns 0, or -1 after recording a "format" failure
 * at file:line naming the member. */
int vc_get_str(struct vc *c, const char *file, size_t line, json_t *o,
               const char *key, const char **out);
int vc_get_int(struct vc *c, const char *file, size_t line, json_t *o,
               const char *key, int64_t *out);
int vc_get_hex(struct vc *c, const char *file, size_t line, json_t *o,
               const char *key, uint8_t *out, size_t n);
/* base64url of at most cap bytes.  OUT: *out (malloc'd), *len. */
int vc_get_b64(struct vc *c, const char *file, size_t line, json_t *o,
               const char *key, size_t cap, uint8_t **out, size_t *len);

/* The per-entry work on all cores (check_board.c). */
void vc_entries_work(struct vc *c);

#endif
