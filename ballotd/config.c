/*
 * config.c: the configuration file, the values' checks and the
 * organiser credential file.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "bcrypto.h"
#include "config.h"

#define BD_LINE_MAX 1024
#define BD_CRED_MIN 16
#define BD_CRED_MAX 256

static int bd_fail(char *err, size_t errlen, const char *fmt, ...)
    BD_PRINTF(3, 4);

static int bd_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

void bd_config_defaults(struct bd_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->threads = 4;
	cfg->log_level = BD_LOG_INFO;
	cfg->max_body = 16u << 20;
	cfg->max_headers = 16384;
	cfg->timeout = 30;
	cfg->shutdown_timeout = 10;
	cfg->test_routes = 0;
	cfg->test_election_key = 0;
}

int bd_addr_parse(struct bd_addr *out, const char *text, char *err,
                  size_t errlen)
{
	char host[BD_ADDR_MAX];
	const char *colon, *port;
	unsigned long p;
	char *end;
	size_t hl;

	memset(out, 0, sizeof(*out));
	if (strlen(text) >= sizeof(out->text))
		return bd_fail(err, errlen, "address too long: %.40s...", text);
	if (text[0] == '[') {
		const char *rb = strchr(text, ']');

		if (rb == NULL || rb[1] != ':')
			return bd_fail(err, errlen,
			               "bad address '%s': "
			               "expected [IPv6]:port",
			               text);
		hl = (size_t)(rb - text - 1);
		memcpy(host, text + 1, hl);
		host[hl] = '\0';
		port = rb + 2;
	} else {
		colon = strrchr(text, ':');
		if (colon == NULL || strchr(text, ':') != colon)
			return bd_fail(err, errlen,
			               "bad address '%s': "
			               "expected IPv4:port or [IPv6]:port",
			               text);
		hl = (size_t)(colon - text);
		memcpy(host, text, hl);
		host[hl] = '\0';
		port = colon + 1;
	}
	errno = 0;
	p = strtoul(port, &end, 10);
	if (*port == '\0' || !isdigit((unsigned char)*port) || *end != '\0' ||
	    errno != 0 || p > 65535)
		return bd_fail(err, errlen,
		               "bad port in '%s': expected "
		               "0 to 65535",
		               text);
	if (text[0] == '[') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&out->ss;

		if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
			return bd_fail(err, errlen,
			               "bad IPv6 address in "
			               "'%s'",
			               text);
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)p);
		out->sslen = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&out->ss;

		if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
			return bd_fail(err, errlen,
			               "bad IPv4 address in "
			               "'%s' (numeric addresses only)",
			               text);
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)p);
		out->sslen = sizeof(*s4);
	}
	strcpy(out->text, text);
	out->set = 1;
	return 0;
}

int bd_addr_is_loopback(const struct bd_addr *a)
{
	if (a->ss.ss_family == AF_INET) {
		const struct sockaddr_in *s4 =
		    (const struct sockaddr_in *)&a->ss;

		return (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
	}
	if (a->ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 =
		    (const struct sockaddr_in6 *)&a->ss;

		return IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr);
	}
	return 0;
}

/* A whole number in [min, max], written in decimal and nothing else. */
static int bd_parse_uint(const char *value, unsigned long long min,
                         unsigned long long max, unsigned long long *out)
{
	unsigned long long v;
	char *end;

	if (!isdigit((unsigned char)value[0]))
		return -1;
	errno = 0;
	v = strtoull(value, &end, 10);
	if (*end != '\0' || errno != 0 || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int bd_set_path(char *dst, const char *value, const char *where,
                       char *err, size_t errlen)
{
	if (strlen(value) >= PATH_MAX)
		return bd_fail(err, errlen, "%s: path too long", where);
	strcpy(dst, value);
	return 0;
}

int bd_config_set(struct bd_config *cfg, const char *key, const char *value,
                  const char *where, char *err, size_t errlen)
{
	unsigned long long v;
	char aerr[160];

	if (strcmp(key, "listen") == 0 || strcmp(key, "http") == 0) {
		struct bd_addr *a = key[0] == 'l' ? &cfg->listen : &cfg->http;

		if (bd_addr_parse(a, value, aerr, sizeof(aerr)) == -1)
			return bd_fail(err, errlen, "%s: %s", where, aerr);
		return 0;
	}
	if (strcmp(key, "cert") == 0)
		return bd_set_path(cfg->cert, value, where, err, errlen);
	if (strcmp(key, "key") == 0)
		return bd_set_path(cfg->key, value, where, err, errlen);
	if (strcmp(key, "db") == 0)
		return bd_set_path(cfg->db, value, where, err, errlen);
	if (strcmp(key, "organiser_credential_file") == 0)
		return bd_set_path(cfg->organiser_credential_file, value, where,
		                   err, errlen);
	if (strcmp(key, "web_root") == 0)
		return bd_set_path(cfg->web_root, value, where, err, errlen);
	if (strcmp(key, "threads") == 0) {
		if (bd_parse_uint(value, 1, 256, &v) == -1)
			return bd_fail(err, errlen,
			               "%s: threads: expected a "
			               "whole number from 1 to 256, got '%s'",
			               where, value);
		cfg->threads = (unsigned)v;
		return 0;
	}
	if (strcmp(key, "log_level") == 0) {
		if (bd_log_level_parse(value, &cfg->log_level) == -1)
			return bd_fail(err, errlen,
			               "%s: log_level: expected "
			               "error, warn, info or debug, got '%s'",
			               where, value);
		return 0;
	}
	if (strcmp(key, "max_body") == 0) {
		if (bd_parse_uint(value, 1024, 1u << 30, &v) == -1)
			return bd_fail(
			    err, errlen,
			    "%s: max_body: expected "
			    "bytes from 1024 to 1073741824, got '%s'",
			    where, value);
		cfg->max_body = (size_t)v;
		return 0;
	}
	if (strcmp(key, "max_headers") == 0) {
		if (bd_parse_uint(value, 1024, 1u << 20, &v) == -1)
			return bd_fail(err, errlen,
			               "%s: max_headers: expected "
			               "bytes from 1024 to 1048576, got '%s'",
			               where, value);
		cfg->max_headers = (size_t)v;
		return 0;
	}
	if (strcmp(key, "timeout") == 0) {
		if (bd_parse_uint(value, 1, 3600, &v) == -1)
			return bd_fail(err, errlen,
			               "%s: timeout: expected "
			               "seconds from 1 to 3600, got '%s'",
			               where, value);
		cfg->timeout = (unsigned)v;
		return 0;
	}
	if (strcmp(key, "shutdown_timeout") == 0) {
		if (bd_parse_uint(value, 0, 600, &v) == -1)
			return bd_fail(
			    err, errlen,
			    "%s: shutdown_timeout: "
			    "expected seconds from 0 to 600, got '%s'",
			    where, value);
		cfg->shutdown_timeout = (unsigned)v;
		return 0;
	}
	if (strcmp(key, "test_routes") == 0) {
		if (strcmp(value, "true") == 0)
			cfg->test_routes = 1;
		else if (strcmp(value, "false") == 0)
			cfg->test_routes = 0;
		else
			return bd_fail(err, errlen,
			               "%s: test_routes: expected "
			               "true or false, got '%s'",
			               where, value);
		return 0;
	}
	if (strcmp(key, "test_election_key") == 0) {
		if (strcmp(value, "true") == 0)
			cfg->test_election_key = 1;
		else if (strcmp(value, "false") == 0)
			cfg->test_election_key = 0;
		else
			return bd_fail(err, errlen,
			               "%s: test_election_key: expected "
			               "true or false, got '%s'",
			               where, value);
		return 0;
	}
	return bd_fail(err, errlen, "%s: unknown key '%s'", where, key);
}

static char *bd_trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

int bd_config_load(struct bd_config *cfg, const char *path, char *err,
                   size_t errlen)
{
	/* Keys seen so far, to refuse a key given twice. */
	char seen[32][32];
	char line[BD_LINE_MAX + 1], where[PATH_MAX + 32];
	size_t nseen = 0, i, len;
	unsigned lineno = 0;
	FILE *f;
	int rc = 0;

	if ((f = fopen(path, "r")) == NULL)
		return bd_fail(err, errlen, "%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL) {
		char *key, *value, *eq;

		lineno++;
		snprintf(where, sizeof(where), "%s:%u", path, lineno);
		len = strlen(line);
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		else if (!feof(f)) {
			rc = bd_fail(err, errlen,
			             "%s: line longer than %d "
			             "bytes",
			             where, BD_LINE_MAX - 1);
			break;
		}
		if (strlen(line) != len) {
			rc =
			    bd_fail(err, errlen, "%s: NUL byte in line", where);
			break;
		}
		key = bd_trim(line);
		if (*key == '\0' || *key == '#')
			continue;
		if ((eq = strchr(key, '=')) == NULL) {
			rc = bd_fail(err, errlen, "%s: expected 'key = value'",
			             where);
			break;
		}
		*eq = '\0';
		value = bd_trim(eq + 1);
		key = bd_trim(key);
		if (*key == '\0') {
			rc = bd_fail(err, errlen, "%s: missing key before '='",
			             where);
			break;
		}
		if (*value == '\0') {
			rc = bd_fail(err, errlen, "%s: %s: empty value", where,
			             key);
			break;
		}
		for (i = 0; i < nseen; i++)
			if (strcmp(seen[i], key) == 0)
				break;
		if (i < nseen) {
			rc = bd_fail(err, errlen, "%s: %s given twice", where,
			             key);
			break;
		}
		if ((rc = bd_config_set(cfg, key, value, where, err, errlen)) ==
		    -1)
			break;
		/* Known keys are short and fewer than 32. */
		if (nseen < 32 && strlen(key) < sizeof(seen[0]))
			strcpy(seen[nseen++], key);
	}
	if (rc == 0 && ferror(f))
		rc = bd_fail(err, errlen, "%s: read error", path);
	fclose(f);
	return rc;
}

int bd_config_check(const struct bd_config *cfg, char *err, size_t errlen)
{
	if (!cfg->listen.set && !cfg->http.set)
		return bd_fail(
		    err, errlen,
		    "no listener: give --listen "
		    "(HTTPS) and/or --http (plain HTTP on loopback)");
	if (cfg->http.set && !bd_addr_is_loopback(&cfg->http))
		return bd_fail(
		    err, errlen,
		    "refusing plain HTTP on %s: "
		    "only a loopback address (127.0.0.0/8 or [::1]) may "
		    "serve without TLS; use --listen for HTTPS",
		    cfg->http.text);
	if (cfg->listen.set && (cfg->cert[0] == '\0' || cfg->key[0] == '\0'))
		return bd_fail(err, errlen,
		               "--listen %s needs --cert and "
		               "--key",
		               cfg->listen.text);
	if (!cfg->listen.set && (cfg->cert[0] != '\0' || cfg->key[0] != '\0'))
		return bd_fail(err, errlen,
		               "--cert/--key given without "
		               "--listen");
	if (cfg->listen.set && cfg->http.set &&
	    cfg->listen.sslen == cfg->http.sslen &&
	    memcmp(&cfg->listen.ss, &cfg->http.ss, cfg->listen.sslen) == 0)
		return bd_fail(err, errlen,
		               "--listen and --http are the same "
		               "address %s",
		               cfg->http.text);
	if (cfg->db[0] == '\0')
		return bd_fail(err, errlen, "no database: give --db FILE");
	if (cfg->organiser_credential_file[0] == '\0')
		return bd_fail(err, errlen,
		               "no organiser credential: give "
		               "--organiser-credential-file FILE");
	if (cfg->web_root[0] != '\0') {
		struct stat sb;

		if (stat(cfg->web_root, &sb) == -1 || !S_ISDIR(sb.st_mode))
			return bd_fail(err, errlen,
			               "web_root %s: not a directory",
			               cfg->web_root);
	}
	return 0;
}

static int bd_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int bd_config_load_credential(const char *path, uint8_t hash[32], int *plain,
                              char *err, size_t errlen)
{
	char buf[BD_CRED_MAX + 8];
	unsigned int hlen = 0;
	ssize_t n;
	size_t len, i;
	int fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return bd_fail(err, errlen, "%s: %s", path, strerror(errno));
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return bd_fail(err, errlen, "%s: %s", path, strerror(errno));
	len = (size_t)n;
	buf[len] = '\0';
	/* One line: a single trailing newline is allowed. */
	if (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	if (len > 0 && buf[len - 1] == '\r')
		buf[--len] = '\0';
	*plain = 0;
	if (strncmp(buf, "sha256:", 7) == 0) {
		if (len != 7 + 64) {
			bd_fail(err, errlen,
			        "%s: expected sha256: and 64 "
			        "lowercase hex digits",
			        path);
			goto out;
		}
		for (i = 0; i < 32; i++) {
			int hi = bd_hexval(buf[7 + 2 * i]);
			int lo = bd_hexval(buf[8 + 2 * i]);

			if (hi < 0 || lo < 0) {
				bd_fail(err, errlen,
				        "%s: expected sha256: "
				        "and 64 lowercase hex digits",
				        path);
				goto out;
			}
			hash[i] = (uint8_t)(hi << 4 | lo);
		}
		rc = 0;
		goto out;
	}
	if (len < BD_CRED_MIN || len > BD_CRED_MAX) {
		bd_fail(err, errlen,
		        "%s: the credential must be %d to %d "
		        "characters on one line (or sha256:<hex>)",
		        path, BD_CRED_MIN, BD_CRED_MAX);
		goto out;
	}
	for (i = 0; i < len; i++) {
		if (buf[i] <= ' ' || buf[i] > '~') {
			bd_fail(
			    err, errlen,
			    "%s: the credential must be "
			    "printable ASCII without spaces (character %zu)",
			    path, i + 1);
			goto out;
		}
	}
	if (EVP_Digest(buf, len, hash, &hlen, EVP_sha256(), NULL) != 1 ||
	    hlen != 32) {
		bd_fail(err, errlen, "%s: SHA-256 failed", path);
		goto out;
	}
	*plain = 1;
	rc = 0;
out:
	bc_wipe(buf, sizeof(buf));
	return rc;
}
