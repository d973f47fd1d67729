/*
 * config.h: ballotd's settings, from a `key = value` file and the
 * command line (the command line wins).  Every setting, its default and
 * its limits are in docs/operator.md.
 *
 * These functions never print or exit: they return -1 and write a
 * message (with the file name and line number where there is one) into
 * the caller's buffer; main.c reports it with errx before the daemon is
 * up.
 */
#ifndef BD_CONFIG_H
#define BD_CONFIG_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "log.h"

#define BALLOTD_VERSION "0.1.0"

#define BD_ADDR_MAX 64 /* "[v6 address]:port" and its NUL */

/* A parsed listening address; text is what the operator wrote. */
struct bd_addr {
	int set;
	char text[BD_ADDR_MAX];
	struct sockaddr_storage ss;
	socklen_t sslen;
};

struct bd_config {
	struct bd_addr listen; /* HTTPS */
	struct bd_addr http;   /* plain HTTP, loopback only */
	char cert[PATH_MAX];
	char key[PATH_MAX];
	char db[PATH_MAX];
	char organiser_credential_file[PATH_MAX];
	char web_root[PATH_MAX]; /* the pages (web/); "" serves none */
	unsigned threads; /* worker threads, 1..256 */
	enum bd_log_level log_level;
	size_t max_body;           /* bytes, whole server */
	size_t max_headers;        /* bytes */
	unsigned timeout;          /* seconds, idle or slow */
	unsigned shutdown_timeout; /* seconds */
	int test_routes;           /* bool: /_test/ routes */
	/*
	 * bool: POST /polls/{id}/_test/election-key sets the election key
	 * without trustees.  TESTS AND DEMOS ONLY: it lets the organiser
	 * decrypt every ballot.  Off by default.
	 */
	int test_election_key;
};

/* Fills *cfg with the documented defaults. */
void bd_config_defaults(struct bd_config *cfg);

/*
 * Sets one key from its text value, as in the file.  where names the
 * origin for messages ("ballotd.conf:12" or "--threads").  Returns 0, or
 * -1 with a message in err[errlen].
 */
int bd_config_set(struct bd_config *cfg, const char *key, const char *value,
                  const char *where, char *err, size_t errlen);

/*
 * Reads a configuration file: one `key = value` per line, `#` starts a
 * comment line, blank lines are skipped; an unknown key, a key given
 * twice, a line without `=`, an empty value or a line over 1023 bytes
 * is an error naming the line.  Returns 0 or -1 with err filled.
 */
int bd_config_load(struct bd_config *cfg, const char *path, char *err,
                   size_t errlen);

/*
 * Checks the whole configuration once every source is applied: at least
 * one listener, TLS files for --listen, plain HTTP only on a loopback
 * address, a database and an organiser credential file.  Returns 0 or
 * -1 with err filled.
 */
int bd_config_check(const struct bd_config *cfg, char *err, size_t errlen);

/*
 * Parses "127.0.0.1:8443" or "[::1]:8443" (numeric only; port 0 lets
 * the kernel choose).  Returns 0 or -1 with err filled.
 */
int bd_addr_parse(struct bd_addr *out, const char *text, char *err,
                  size_t errlen);
/* 1 if the address is 127.0.0.0/8 or ::1. */
int bd_addr_is_loopback(const struct bd_addr *a);

/*
 * Reads the organiser credential file and leaves in hash[32] the
 * SHA-256 of the organiser credential.  The file holds one line:
 * either "sha256:" and 64 lowercase hex digits (the hash, for
 * production), or the credential itself, 16 to 256 printable ASCII
 * characters without spaces (for the demo; it is hashed and wiped at
 * once).  *plain is set to 1 in the second case so the caller can warn.
 * Returns 0 or -1 with err filled.
 */
int bd_config_load_credential(const char *path, uint8_t hash[32], int *plain,
                              char *err, size_t errlen);

#endif
