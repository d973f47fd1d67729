/*
 * ctl.h: the insides of ballotctl, the organiser's and voter's command
 * line (docs/ballotctl.md).  One private header for the program's files:
 *
 *   main.c       options, the command table and its common checks
 *   client.c     HTTP/1.1 over blocking sockets, TLS with OpenSSL
 *   call.c       one API call: the request, refusals as one line, JSON
 *   poll.c       GET /polls/{id}: the definition and the public keys
 *   organiser.c  poll create / ceremony / open / close / schedule /
 *                status, roll import
 *   vote.c       the voter's token, sealed ballot, cast and receipt
 *   receipt.c    checking receipts and tree heads; board sth / entries
 *   util.c       files, base64url and hex, messages
 *
 * Everything a command needs is in its struct ctl, passed explicitly;
 * there is no writable global state.
 */
#ifndef CTL_H
#define CTL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "blindrsa.h"
#include "proto.h"

/* Exit codes (docs/ballotctl.md, "Exit codes"). */
#define CTL_EXIT_OK      0
#define CTL_EXIT_REFUSED 1 /* refused by the server, or a check failed */
#define CTL_EXIT_USAGE   2 /* bad command line */
#define CTL_EXIT_IO      3 /* a file or the network failed */

#define CTL_MAX_ARGS 4
#define CTL_MAX_OPTS 10

/* The server's address, split. */
struct ctl_url {
	int tls;        /* https */
	char host[256]; /* without brackets for IPv6 */
	char port[6];
	char prefix[256]; /* path before /polls, without a trailing '/' */
	int loopback;     /* host is 127.0.0.0/8, ::1 or "localhost" */
	int ip_literal;
};

/* A command's option as given: name (without "--") and value (or NULL). */
struct ctl_optval {
	const char *name;
	const char *value;
};

struct ctl {
	/* Global options. */
	const char *server; /* URL text */
	struct ctl_url url;
	const char *cacert; /* NULL: the system store */
	int insecure;       /* tests only: no certificate check */
	int json;           /* print the server's JSON */
	unsigned timeout;   /* seconds, per connect / read / write */
	const char *org_cred_file;
	char *org_cred; /* malloc'd; wiped and freed at exit */
	/* The command's arguments and options. */
	const char *args[CTL_MAX_ARGS];
	int nargs;
	struct ctl_optval opts[CTL_MAX_OPTS];
	int nopts;
};

/* The value of --name, or NULL; "" for a flag that was given. */
const char *ctl_opt(const struct ctl *c, const char *name);

/* ---- util.c ---- */

/* "ballotctl: " and the message on stderr. */
void ctl_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * Reads a whole file (at most max bytes).  OUT: *out (malloc'd, NUL
 * appended, freed by the caller), *len.  Returns 0, or -1 after a
 * message naming the file.
 */
int ctl_read_file(const char *path, size_t max, char **out, size_t *len);
/*
 * Writes data to path atomically (a temporary file in the same folder,
 * fsync, rename) with the given mode.  Returns 0 or -1 after a message.
 */
int ctl_write_file_atomic(const char *path, const void *data, size_t len,
                          unsigned mode);
/* The first line of a file, trimmed of white space at both ends (a
 * secret: the caller wipes and frees *out).  Returns 0 or -1. */
int ctl_read_secret_line(const char *path, char **out);
/* Wipes and frees a NUL-terminated secret (NULL allowed). */
void ctl_free_secret(char *s);
/* 1 if s is a poll id: [a-z0-9][a-z0-9-]{0,62}. */
int ctl_valid_poll_id(const char *s);
/*
 * base64url (no padding) of n bytes: a new string, or NULL when out of
 * memory.  Decoding: exactly want bytes (0: any count up to cap);
 * returns 0, or -1 with a message in err naming what.
 */
char *ctl_b64url(const uint8_t *p, size_t n);
int ctl_unb64url(const char *s, uint8_t *out, size_t cap, size_t want,
                 size_t *outlen);
/* Lowercase hex of n bytes into out (2n + 1 bytes). */
void ctl_hex(const uint8_t *p, size_t n, char *out);
/* Exactly n bytes from 2n lowercase hex digits; 0 or -1. */
int ctl_unhex(const char *s, uint8_t *out, size_t n);
/* Control characters as '?', cut to at most max bytes, into out. */
void ctl_printable(const char *s, size_t len, char *out, size_t max);

/* ---- client.c ---- */

/* One connection to the server, opened on first use, kept alive. */
struct ctl_http;

struct ctl_resp {
	int status;
	char ctype[128];
	char *body; /* malloc'd, NUL appended */
	size_t len;
};

/*
 * Parses --server: "https://host[:port][/prefix]" (port 443 by default)
 * or "http://host[:port]" for a loopback host only.  Returns 0, or -1
 * with err filled (a usage error).
 */
int ctl_url_parse(const char *text, struct ctl_url *u, char *err, size_t n);
/* A connection object for c (nothing is sent yet).  NULL when out of
 * memory. */
struct ctl_http *ctl_http_new(const struct ctl *c);
/* Closes the connection (the object stays usable: the next request opens
 * a new one). */
void ctl_http_disconnect(struct ctl_http *h);
void ctl_http_free(struct ctl_http *h);
/*
 * Sends one request (path begins with '/'; the URL prefix is added) and
 * reads the answer.  bearer: the organiser credential or NULL.
 * retry: the request may be sent twice (idempotent, or made so by the
 * protocol), so a kept-alive connection that the server closed while
 * idle is reopened and the request sent again.
 * Returns 0 with *r filled (any status), or -1 with err filled for a
 * network, TLS or HTTP framing failure.  Free r with ctl_resp_free.
 */
int ctl_http_request(struct ctl_http *h, const char *method, const char *path,
                     const char *ctype, const void *body, size_t len,
                     const char *bearer, int retry, struct ctl_resp *r,
                     char *err, size_t n);
void ctl_resp_free(struct ctl_resp *r);

/* ---- call.c ---- */

#define CTL_CALL_RETRY 1u /* see ctl_http_request */
#define CTL_CALL_ORG   2u /* send the organiser credential */

/*
 * One API call.  Returns CTL_EXIT_OK with *out set (the answer's JSON,
 * parsed with duplicate keys refused, a new reference; out may be NULL),
 * or prints one line and returns CTL_EXIT_IO (network), or
 * CTL_EXIT_REFUSED (an error status: "server refused: 409 token_used:
 * ..."; or an answer that is not JSON).  raw, if not NULL, receives the
 * answer (free with ctl_resp_free) whatever happens.
 */
int ctl_call(struct ctl *c, struct ctl_http *h, const char *method,
             const char *path, const char *ctype, const void *body, size_t len,
             unsigned flags, json_t **out, struct ctl_resp *raw);
/* Prints v as indented JSON on stdout. */
void ctl_print_json(const json_t *v);

/* ---- poll.c ---- */

struct ctl_class_key {
	char id[PROTO_CLASS_ID_MAX + 1];
	bc_brsa_key *key; /* public */
};

/* What GET /polls/{id} says about a poll. */
struct ctl_poll {
	proto_poll *def;
	uint8_t poll_hash[PROTO_HASH_LEN];
	char state[32];
	int have_board_key;
	uint8_t board_key[32];
	int have_election_key;
	uint8_t election_key[65];
	struct ctl_class_key *classes;
	size_t nclasses;
};

/*
 * Fetches and checks GET /polls/{id}: the definition is parsed with
 * proto and its poll_hash compared with the server's.  Returns an exit
 * code (messages printed); on CTL_EXIT_OK fills *p (free with
 * ctl_poll_clear).
 */
int ctl_poll_fetch(struct ctl *c, struct ctl_http *h, const char *id,
                   struct ctl_poll *p);
void ctl_poll_clear(struct ctl_poll *p);
/* The token key of class id, or NULL. */
const bc_brsa_key *ctl_poll_class_key(const struct ctl_poll *p, const char *id);

/* ---- receipt.c ---- */

/*
 * The checks of a receipt that need no server: leaf_hash against the
 * entry (if entry is not NULL), the tree head's signature, receipt_sig,
 * the inclusion proof under the receipt's own tree head.  Prints one
 * line per check passed when verbose; on the first failure prints which
 * check and returns CTL_EXIT_REFUSED.
 */
int ctl_receipt_verify(const proto_receipt *r, const uint8_t board_key[32],
                       const uint8_t *entry, size_t entry_len, int verbose);
/* The signature of a tree head of this poll; 0 if it verifies. */
int ctl_sth_verify(const proto_sth *s, const uint8_t board_key[32]);

/* ---- the commands ---- */

int ctl_cmd_poll_create(struct ctl *c);
int ctl_cmd_roll_import(struct ctl *c);
int ctl_cmd_poll_ceremony(struct ctl *c);
int ctl_cmd_poll_open(struct ctl *c);
int ctl_cmd_poll_close(struct ctl *c);
int ctl_cmd_poll_schedule(struct ctl *c);
int ctl_cmd_poll_status(struct ctl *c);
int ctl_cmd_vote(struct ctl *c);
int ctl_cmd_check_receipt(struct ctl *c);
int ctl_cmd_board_sth(struct ctl *c);
int ctl_cmd_board_entries(struct ctl *c);

#endif
