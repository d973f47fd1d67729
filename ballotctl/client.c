/*
 * client.c: a small HTTP/1.1 client for the API of ballotd: blocking
 * sockets with timeouts, keep-alive, https with OpenSSL (the server's
 * certificate checked against --cacert or the system store, and its name
 * or IP address against the URL), plain http to a loopback address only.
 *
 * It speaks only what the API needs: one request at a time on a
 * connection; answers framed by Content-Length, chunked, or the end of
 * the connection.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "ctl.h"

/* An answer larger than this is refused: the largest the API sends is a
 * page of 1000 board entries of at most 64 KiB each, base64url. */
#define CTL_BODY_MAX (256u * 1024u * 1024u)
#define CTL_LINE_MAX 8192
#define CTL_HDRS_MAX 100

struct ctl_http {
	const struct ctl *c;
	int fd; /* -1 when not connected */
	SSL_CTX *ctx;
	SSL *ssl;
	int used; /* requests answered on this connection */
	unsigned char buf[16384];
	size_t start, end; /* unread bytes buf[start..end) */
	size_t received;   /* bytes read for the current answer */
};

static void ctl_err(char *err, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void ctl_err(char *err, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
}

/* The first OpenSSL error as text, and the queue emptied. */
static const char *ctl_ssl_error(char *buf, size_t n)
{
	unsigned long e = ERR_get_error();

	if (e == 0)
		snprintf(buf, n, "connection closed");
	else
		ERR_error_string_n(e, buf, n);
	ERR_clear_error();
	return buf;
}

static int ctl_host_is_loopback(const char *host, int *ip_literal)
{
	struct in_addr a4;
	struct in6_addr a6;

	*ip_literal = 0;
	if (inet_pton(AF_INET, host, &a4) == 1) {
		*ip_literal = 1;
		return (ntohl(a4.s_addr) >> 24) == 127;
	}
	if (inet_pton(AF_INET6, host, &a6) == 1) {
		*ip_literal = 1;
		return IN6_IS_ADDR_LOOPBACK(&a6);
	}
	return strcasecmp(host, "localhost") == 0;
}

int ctl_url_parse(const char *text, struct ctl_url *u, char *err, size_t n)
{
	const char *p, *hend, *pstart;
	size_t hlen;

	memset(u, 0, sizeof(*u));
	if (strncmp(text, "https://", 8) == 0) {
		u->tls = 1;
		p = text + 8;
		strcpy(u->port, "443");
	} else if (strncmp(text, "http://", 7) == 0) {
		p = text + 7;
		strcpy(u->port, "80");
	} else {
		ctl_err(err, n,
		        "--server %s: expected https://HOST[:PORT] "
		        "(or http:// to a loopback address)",
		        text);
		return -1;
	}
	if (*p == '[') {
		hend = strchr(p, ']');
		if (hend == NULL) {
			ctl_err(err, n, "--server %s: ']' missing", text);
			return -1;
		}
		hlen = (size_t)(hend - p - 1);
		p++;
		pstart = hend + 1;
	} else {
		hlen = strcspn(p, ":/?#");
		pstart = p + hlen;
	}
	if (hlen == 0 || hlen >= sizeof(u->host)) {
		ctl_err(err, n, "--server %s: no host, or a host too long",
		        text);
		return -1;
	}
	memcpy(u->host, p, hlen);
	u->host[hlen] = '\0';
	if (strchr(u->host, '@') != NULL) {
		ctl_err(err, n,
		        "--server %s: user names in the URL are not "
		        "supported",
		        text);
		return -1;
	}
	p = pstart;
	if (*p == ':') {
		size_t plen = strcspn(p + 1, "/?#");
		unsigned long port;
		char *end;

		if (plen == 0 || plen > 5) {
			ctl_err(err, n, "--server %s: bad port", text);
			return -1;
		}
		port = strtoul(p + 1, &end, 10);
		if (end != p + 1 + plen || port == 0 || port > 65535) {
			ctl_err(err, n, "--server %s: bad port", text);
			return -1;
		}
		snprintf(u->port, sizeof(u->port), "%lu", port);
		p += 1 + plen;
	}
	if (*p == '?' || *p == '#') {
		ctl_err(err, n, "--server %s: no query or fragment allowed",
		        text);
		return -1;
	}
	hlen = strlen(p);
	while (hlen > 0 && p[hlen - 1] == '/')
		hlen--;
	if (hlen >= sizeof(u->prefix)) {
		ctl_err(err, n, "--server %s: path too long", text);
		return -1;
	}
	memcpy(u->prefix, p, hlen);
	u->prefix[hlen] = '\0';
	u->loopback = ctl_host_is_loopback(u->host, &u->ip_literal);
	/*
	 * Plain HTTP would show voter credentials and the organiser's
	 * credential to the network: only the machine itself may be the
	 * other end (ballotd refuses plain HTTP on any other address too).
	 */
	if (!u->tls && !u->loopback) {
		ctl_err(err, n,
		        "--server %s: plain http is allowed only to a "
		        "loopback address (127.0.0.1, ::1, localhost); use "
		        "https://",
		        text);
		return -1;
	}
	return 0;
}

struct ctl_http *ctl_http_new(const struct ctl *c)
{
	struct ctl_http *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return NULL;
	h->c = c;
	h->fd = -1;
	return h;
}

void ctl_http_disconnect(struct ctl_http *h)
{
	if (h->ssl != NULL) {
		/* A quiet close: the answer is already read. */
		SSL_set_quiet_shutdown(h->ssl, 1);
		SSL_free(h->ssl);
		h->ssl = NULL;
	}
	if (h->ctx != NULL) {
		SSL_CTX_free(h->ctx);
		h->ctx = NULL;
	}
	if (h->fd != -1) {
		close(h->fd);
		h->fd = -1;
	}
	h->used = 0;
	h->start = h->end = 0;
	/* What was read may hold credentials (the roll import). */
	bc_wipe(h->buf, sizeof(h->buf));
}

void ctl_http_free(struct ctl_http *h)
{
	if (h == NULL)
		return;
	ctl_http_disconnect(h);
	free(h);
}

/* connect() with a time limit; the socket stays blocking afterwards,
 * with SO_RCVTIMEO / SO_SNDTIMEO as the read and write limits. */
static int ctl_connect_one(const struct addrinfo *ai, unsigned timeout,
                           char *err, size_t n)
{
	struct timeval tv;
	struct pollfd pfd;
	int fd, flags, rc, soerr = 0, one = 1;
	socklen_t sl = sizeof(soerr);

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
	            ai->ai_protocol);
	if (fd == -1) {
		ctl_err(err, n, "socket: %s", strerror(errno));
		return -1;
	}
	flags = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
	if (rc == -1 && errno != EINPROGRESS) {
		ctl_err(err, n, "connect: %s", strerror(errno));
		close(fd);
		return -1;
	}
	if (rc == -1) {
		pfd.fd = fd;
		pfd.events = POLLOUT;
		do
			rc = poll(&pfd, 1, (int)timeout * 1000);
		while (rc == -1 && errno == EINTR);
		if (rc == 0) {
			ctl_err(err, n, "connect: timed out after %us",
			        timeout);
			close(fd);
			return -1;
		}
		if (rc == -1 ||
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == -1 ||
		    soerr != 0) {
			ctl_err(err, n, "connect: %s",
			        strerror(soerr ? soerr : errno));
			close(fd);
			return -1;
		}
	}
	fcntl(fd, F_SETFL, flags);
	tv.tv_sec = (time_t)timeout;
	tv.tv_usec = 0;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static int ctl_tls_start(struct ctl_http *h, char *err, size_t n)
{
	const struct ctl *c = h->c;
	char ebuf[256];
	long vr;

	if ((h->ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		ctl_err(err, n, "TLS: %s", ctl_ssl_error(ebuf, sizeof(ebuf)));
		return -1;
	}
	SSL_CTX_set_min_proto_version(h->ctx, TLS1_2_VERSION);
	if (c->insecure) {
		/* Tests only, and main.c allows it for 127.0.0.1 only. */
		SSL_CTX_set_verify(h->ctx, SSL_VERIFY_NONE, NULL);
	} else {
		SSL_CTX_set_verify(h->ctx, SSL_VERIFY_PEER, NULL);
		if (c->cacert != NULL) {
			if (SSL_CTX_load_verify_locations(h->ctx, c->cacert,
			                                  NULL) != 1) {
				ctl_err(err, n, "--cacert %s: %s", c->cacert,
				        ctl_ssl_error(ebuf, sizeof(ebuf)));
				return -1;
			}
		} else if (SSL_CTX_set_default_verify_paths(h->ctx) != 1) {
			ctl_err(err, n, "TLS: no system certificate store: %s",
			        ctl_ssl_error(ebuf, sizeof(ebuf)));
			return -1;
		}
	}
	if ((h->ssl = SSL_new(h->ctx)) == NULL ||
	    SSL_set_fd(h->ssl, h->fd) != 1) {
		ctl_err(err, n, "TLS: %s", ctl_ssl_error(ebuf, sizeof(ebuf)));
		return -1;
	}
	if (!c->insecure) {
		/* The certificate must name what the URL names: an IP
		 * address in subjectAltName, or the host name. */
		if (c->url.ip_literal) {
			X509_VERIFY_PARAM *vp = SSL_get0_param(h->ssl);

			if (X509_VERIFY_PARAM_set1_ip_asc(vp, c->url.host) !=
			    1) {
				ctl_err(err, n, "TLS: bad address %s",
				        c->url.host);
				return -1;
			}
		} else if (SSL_set1_host(h->ssl, c->url.host) != 1) {
			ctl_err(err, n, "TLS: bad host name %s", c->url.host);
			return -1;
		}
	}
	if (!c->url.ip_literal)
		SSL_set_tlsext_host_name(h->ssl, c->url.host);
	if (SSL_connect(h->ssl) != 1) {
		vr = SSL_get_verify_result(h->ssl);
		if (vr != X509_V_OK)
			ctl_err(err, n,
			        "TLS: the server's certificate was "
			        "refused: %s",
			        X509_verify_cert_error_string(vr));
		else
			ctl_err(err, n, "TLS handshake failed: %s",
			        ctl_ssl_error(ebuf, sizeof(ebuf)));
		return -1;
	}
	return 0;
}

static int ctl_http_connect(struct ctl_http *h, char *err, size_t n)
{
	const struct ctl *c = h->c;
	struct addrinfo hints, *res, *ai;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(c->url.host, c->url.port, &hints, &res);
	if (rc != 0) {
		ctl_err(err, n, "%s: %s", c->url.host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((h->fd = ctl_connect_one(ai, c->timeout, err, n)) != -1)
			break;
	}
	freeaddrinfo(res);
	if (h->fd == -1)
		return -1;
	if (c->url.tls && ctl_tls_start(h, err, n) == -1) {
		ctl_http_disconnect(h);
		return -1;
	}
	h->used = 0;
	h->start = h->end = 0;
	return 0;
}

static int ctl_write_all(struct ctl_http *h, const void *data, size_t len,
                         char *err, size_t n)
{
	const unsigned char *p = data;
	char ebuf[256];

	while (len > 0) {
		if (h->ssl != NULL) {
			size_t w = 0;

			if (SSL_write_ex(h->ssl, p, len, &w) != 1) {
				ctl_err(err, n, "write: %s",
				        ctl_ssl_error(ebuf, sizeof(ebuf)));
				return -1;
			}
			p += w;
			len -= w;
		} else {
			ssize_t w = send(h->fd, p, len, MSG_NOSIGNAL);

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				ctl_err(err, n, "write: %s",
				        errno == EAGAIN ? "timed out"
				                        : strerror(errno));
				return -1;
			}
			p += w;
			len -= (size_t)w;
		}
	}
	return 0;
}

/* More bytes into h->buf.  Returns the count, 0 at the end of the
 * connection, -1 with err filled. */
static ssize_t ctl_fill(struct ctl_http *h, char *err, size_t n)
{
	char ebuf[256];

	if (h->start == h->end)
		h->start = h->end = 0;
	if (h->end == sizeof(h->buf)) {
		memmove(h->buf, h->buf + h->start, h->end - h->start);
		h->end -= h->start;
		h->start = 0;
	}
	if (h->ssl != NULL) {
		size_t got = 0;
		int e;

		if (SSL_read_ex(h->ssl, h->buf + h->end,
		                sizeof(h->buf) - h->end, &got) == 1) {
			h->end += got;
			h->received += got;
			return (ssize_t)got;
		}
		e = SSL_get_error(h->ssl, 0);
		if (e == SSL_ERROR_ZERO_RETURN ||
		    (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 &&
		     errno == 0)) {
			ERR_clear_error();
			return 0;
		}
		if (e == SSL_ERROR_SYSCALL &&
		    (errno == EAGAIN || errno == EWOULDBLOCK))
			ctl_err(err, n, "read: timed out after %us",
			        h->c->timeout);
		else if (e == SSL_ERROR_SYSCALL && errno != 0)
			ctl_err(err, n, "read: %s", strerror(errno));
		else
			ctl_err(err, n, "read: %s",
			        ctl_ssl_error(ebuf, sizeof(ebuf)));
		ERR_clear_error();
		return -1;
	}
	for (;;) {
		ssize_t got =
		    recv(h->fd, h->buf + h->end, sizeof(h->buf) - h->end, 0);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				ctl_err(err, n, "read: timed out after %us",
				        h->c->timeout);
			else
				ctl_err(err, n, "read: %s", strerror(errno));
			return -1;
		}
		h->end += (size_t)got;
		h->received += (size_t)got;
		return got;
	}
}

/* One line (CRLF or LF), without its end, NUL-terminated in line[cap]. */
static int ctl_read_line(struct ctl_http *h, char *line, size_t cap, char *err,
                         size_t n)
{
	size_t len = 0;

	for (;;) {
		while (h->start < h->end) {
			unsigned char ch = h->buf[h->start++];

			if (ch == '\n') {
				if (len > 0 && line[len - 1] == '\r')
					len--;
				line[len] = '\0';
				return 0;
			}
			if (len + 1 >= cap) {
				ctl_err(err, n,
				        "malformed answer: a header "
				        "line over %zu bytes",
				        cap);
				return -1;
			}
			line[len++] = (char)ch;
		}
		switch (ctl_fill(h, err, n)) {
		case -1:
			return -1;
		case 0:
			ctl_err(err, n,
			        "the server closed the connection "
			        "before answering");
			return -1;
		}
	}
}

static int ctl_body_append(struct ctl_resp *r, size_t *cap,
                           const unsigned char *p, size_t len, char *err,
                           size_t n)
{
	if (r->len + len > CTL_BODY_MAX) {
		ctl_err(err, n, "answer larger than %u bytes", CTL_BODY_MAX);
		return -1;
	}
	if (r->len + len + 1 > *cap) {
		size_t nc = *cap ? *cap : 4096;
		char *nb;

		while (nc < r->len + len + 1)
			nc *= 2;
		/* Not realloc: the old buffer is wiped before it is freed,
		 * since answers may hold credentials (the roll import). */
		if ((nb = malloc(nc)) == NULL) {
			ctl_err(err, n, "out of memory");
			return -1;
		}
		if (r->body != NULL) {
			memcpy(nb, r->body, r->len);
			bc_wipe(r->body, *cap);
			free(r->body);
		}
		r->body = nb;
		*cap = nc;
	}
	memcpy(r->body + r->len, p, len);
	r->len += len;
	r->body[r->len] = '\0';
	return 0;
}

/* Exactly len bytes of body (or, with len = SIZE_MAX, up to the end of
 * the connection). */
static int ctl_read_body(struct ctl_http *h, struct ctl_resp *r, size_t *cap,
                         size_t len, char *err, size_t n)
{
	while (len > 0) {
		size_t avail = h->end - h->start, take;

		if (avail == 0) {
			ssize_t got = ctl_fill(h, err, n);

			if (got == -1)
				return -1;
			if (got == 0) {
				if (len == SIZE_MAX)
					return 0;
				ctl_err(err, n,
				        "the connection ended inside "
				        "the answer");
				return -1;
			}
			continue;
		}
		take = avail < len ? avail : len;
		if (ctl_body_append(r, cap, h->buf + h->start, take, err, n) ==
		    -1)
			return -1;
		h->start += take;
		if (len != SIZE_MAX)
			len -= take;
	}
	return 0;
}

/* Reads one answer.  *keep is cleared when the connection must close. */
static int ctl_read_answer(struct ctl_http *h, const char *method,
                           struct ctl_resp *r, int *keep, char *err, size_t n)
{
	char line[CTL_LINE_MAX];
	size_t cap = 0, clen = SIZE_MAX;
	int chunked = 0, minor, nh = 0;
	char *end;

	if (ctl_read_line(h, line, sizeof(line), err, n) == -1)
		return -1;
	if (sscanf(line, "HTTP/1.%d %d", &minor, &r->status) != 2 ||
	    r->status < 100 || r->status > 599) {
		char show[64];

		ctl_printable(line, strlen(line), show, sizeof(show));
		ctl_err(err, n, "malformed answer: status line \"%s\"", show);
		return -1;
	}
	*keep = minor >= 1;
	for (;;) {
		char *colon, *v;

		if (ctl_read_line(h, line, sizeof(line), err, n) == -1)
			return -1;
		if (line[0] == '\0')
			break;
		if (++nh > CTL_HDRS_MAX) {
			ctl_err(err, n, "malformed answer: too many headers");
			return -1;
		}
		if ((colon = strchr(line, ':')) == NULL) {
			ctl_err(err, n,
			        "malformed answer: header without "
			        "':'");
			return -1;
		}
		*colon = '\0';
		v = colon + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		if (strcasecmp(line, "Content-Length") == 0) {
			unsigned long long cl;

			errno = 0;
			cl = strtoull(v, &end, 10);
			if (errno != 0 || end == v || *end != '\0' ||
			    cl > CTL_BODY_MAX) {
				ctl_err(err, n,
				        "malformed answer: "
				        "Content-Length \"%.40s\"",
				        v);
				return -1;
			}
			clen = (size_t)cl;
		} else if (strcasecmp(line, "Transfer-Encoding") == 0) {
			if (strcasecmp(v, "chunked") != 0) {
				ctl_err(err, n,
				        "unsupported "
				        "Transfer-Encoding \"%.40s\"",
				        v);
				return -1;
			}
			chunked = 1;
		} else if (strcasecmp(line, "Connection") == 0) {
			if (strcasecmp(v, "close") == 0)
				*keep = 0;
		} else if (strcasecmp(line, "Content-Type") == 0) {
			snprintf(r->ctype, sizeof(r->ctype), "%s", v);
		}
	}
	/* Answers without a body. */
	if (strcmp(method, "HEAD") == 0 || r->status == 204 ||
	    r->status == 304 || r->status < 200)
		clen = 0, chunked = 0;
	if (chunked) {
		for (;;) {
			unsigned long long sz;

			if (ctl_read_line(h, line, sizeof(line), err, n) == -1)
				return -1;
			errno = 0;
			sz = strtoull(line, &end, 16);
			if (errno != 0 || end == line ||
			    (*end != '\0' && *end != ';') ||
			    sz > CTL_BODY_MAX) {
				ctl_err(err, n, "malformed answer: chunk size");
				return -1;
			}
			if (sz == 0)
				break;
			if (ctl_read_body(h, r, &cap, (size_t)sz, err, n) ==
			        -1 ||
			    ctl_read_line(h, line, sizeof(line), err, n) == -1)
				return -1;
		}
		do { /* trailers */
			if (ctl_read_line(h, line, sizeof(line), err, n) == -1)
				return -1;
		} while (line[0] != '\0');
	} else {
		if (clen == SIZE_MAX)
			*keep = 0;
		if (ctl_read_body(h, r, &cap, clen, err, n) == -1)
			return -1;
	}
	if (r->body == NULL) {
		if ((r->body = calloc(1, 1)) == NULL) {
			ctl_err(err, n, "out of memory");
			return -1;
		}
	}
	return 0;
}

static int ctl_send_request(struct ctl_http *h, const char *method,
                            const char *path, const char *ctype,
                            const void *body, size_t len, const char *bearer,
                            char *err, size_t n)
{
	const struct ctl *c = h->c;
	char *head;
	size_t cap;
	int hl, rc;

	cap = strlen(path) + strlen(c->url.prefix) + strlen(c->url.host) +
	      (bearer ? strlen(bearer) : 0) + 512;
	if ((head = malloc(cap)) == NULL) {
		ctl_err(err, n, "out of memory");
		return -1;
	}
	hl = snprintf(
	    head, cap,
	    "%s %s%s HTTP/1.1\r\n"
	    "Host: %s%s%s%s%s\r\n"
	    "User-Agent: ballotctl\r\n"
	    "Accept: application/json, text/csv\r\n"
	    "%s%s%s"
	    "%s%s%s"
	    "Content-Length: %zu\r\n"
	    "\r\n",
	    method, c->url.prefix, path, strchr(c->url.host, ':') ? "[" : "",
	    c->url.host, strchr(c->url.host, ':') ? "]" : "",
	    strcmp(c->url.port, c->url.tls ? "443" : "80") ? ":" : "",
	    strcmp(c->url.port, c->url.tls ? "443" : "80") ? c->url.port : "",
	    ctype ? "Content-Type: " : "", ctype ? ctype : "",
	    ctype ? "\r\n" : "", bearer ? "Authorization: Bearer " : "",
	    bearer ? bearer : "", bearer ? "\r\n" : "", len);
	if (hl < 0 || (size_t)hl >= cap) {
		bc_wipe(head, cap);
		free(head);
		ctl_err(err, n, "request too long");
		return -1;
	}
	rc = ctl_write_all(h, head, (size_t)hl, err, n);
	/* The head may hold the organiser credential. */
	bc_wipe(head, cap);
	free(head);
	if (rc == 0 && len > 0)
		rc = ctl_write_all(h, body, len, err, n);
	return rc;
}

int ctl_http_request(struct ctl_http *h, const char *method, const char *path,
                     const char *ctype, const void *body, size_t len,
                     const char *bearer, int retry, struct ctl_resp *r,
                     char *err, size_t n)
{
	int attempt, keep = 0;

	memset(r, 0, sizeof(*r));
	for (attempt = 0;; attempt++) {
		int reused = h->fd != -1 && h->used > 0;

		if (h->fd == -1 && ctl_http_connect(h, err, n) == -1)
			return -1;
		h->received = h->end - h->start;
		if (ctl_send_request(h, method, path, ctype, body, len, bearer,
		                     err, n) == 0 &&
		    ctl_read_answer(h, method, r, &keep, err, n) == 0)
			break;
		ctl_resp_free(r);
		ctl_http_disconnect(h);
		/*
		 * A kept-alive connection may have been closed by the
		 * server while idle, just as the request went out: that is
		 * the only failure retried here, and only for requests that
		 * may safely arrive twice.
		 */
		if (!(reused && h->received == 0 && retry && attempt == 0))
			return -1;
	}
	h->used++;
	if (!keep)
		ctl_http_disconnect(h);
	return 0;
}

void ctl_resp_free(struct ctl_resp *r)
{
	if (r == NULL)
		return;
	if (r->body != NULL)
		bc_wipe(r->body, r->len);
	free(r->body);
	r->body = NULL;
	r->len = 0;
}
