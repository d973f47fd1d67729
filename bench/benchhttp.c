/*
 * benchhttp.c: the benchmarks' HTTP/1.1 client (benchhttp.h).
 */
#define _GNU_SOURCE /* memmem, strcasestr */
#include "benchhttp.h"

#include <errno.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

void bh_close(struct bh_conn *c)
{
	if (c->ssl != NULL) {
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	c->len = 0;
}

int bh_connect(struct bh_conn *c, const struct sockaddr_in *addr,
               SSL_CTX *ctx, int timeout_s, char *err, size_t errlen)
{
	struct timeval tv = {timeout_s, 0};
	int one = 1;

	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	c->ssl = NULL;
	c->len = 0;
	if (c->fd == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(c->fd, (const struct sockaddr *)addr, sizeof(*addr)) ==
	    -1) {
		snprintf(err, errlen, "connect: %s", strerror(errno));
		bh_close(c);
		return -1;
	}
	if (ctx == NULL)
		return 0;
	if ((c->ssl = SSL_new(ctx)) == NULL ||
	    SSL_set_fd(c->ssl, c->fd) != 1 ||
	    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl),
	                                  "127.0.0.1") != 1 ||
	    SSL_connect(c->ssl) != 1) {
		unsigned long e = ERR_get_error();

		snprintf(err, errlen, "TLS handshake: %s",
		         e ? ERR_reason_error_string(e) : "failed");
		ERR_clear_error();
		bh_close(c);
		return -1;
	}
	return 0;
}

static int bh_write_all(struct bh_conn *c, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w;

		if (c->ssl != NULL) {
			int r = SSL_write(c->ssl, p, n > 1u << 30 ? 1 << 30
			                                          : (int)n);
			w = r > 0 ? r : -1;
		} else {
			w = write(c->fd, p, n);
			if (w == -1 && errno == EINTR)
				continue;
		}
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads more bytes into c->buf.  0 or -1 (closed or error). */
static int bh_fill(struct bh_conn *c)
{
	ssize_t r;

	if (c->cap - c->len < 16384) {
		size_t ncap = c->cap ? c->cap * 2 : 65536;
		char *nb;

		if (ncap > BH_MAX_ANSWER || (nb = realloc(c->buf, ncap)) ==
		                                NULL)
			return -1;
		c->buf = nb;
		c->cap = ncap;
	}
	for (;;) {
		if (c->ssl != NULL) {
			int n = SSL_read(c->ssl, c->buf + c->len,
			                 (int)(c->cap - c->len - 1));
			r = n > 0 ? n : -1;
		} else {
			r = read(c->fd, c->buf + c->len, c->cap - c->len - 1);
			if (r == -1 && errno == EINTR)
				continue;
		}
		break;
	}
	if (r <= 0)
		return -1;
	c->len += (size_t)r;
	c->buf[c->len] = '\0';
	return 0;
}

/*
 * Sends one request and reads its answer.  OUT: *status, *body (malloc'd,
 * NUL-terminated, freed by the caller; may be NULL), *blen.  0, or -1 if
 * the connection failed (the caller reconnects).
 */
int bh_request(struct bh_conn *c, const char *method, const char *path,
                      const char *ctype, const char *auth, const char *body,
                      size_t blen, int *status, char **rbody, size_t *rblen)
{
	char head[1024], *eoh, *p;
	size_t hlen, need, bodylen = 0, got;
	int n, chunked = 0, have_len = 0, conn_close;

	*rbody = NULL;
	*rblen = 0;
	n = snprintf(head, sizeof(head),
	             "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s%s%s"
	             "%s%s%sContent-Length: %zu\r\n\r\n",
	             method, path, auth ? "Authorization: " : "",
	             auth ? auth : "", auth ? "\r\n" : "",
	             ctype ? "Content-Type: " : "", ctype ? ctype : "",
	             ctype ? "\r\n" : "", blen);
	if (n < 0 || (size_t)n >= sizeof(head))
		return -1;
	/* One write for small requests: TLS records and TCP segments then
	 * carry head and body together. */
	if (blen > 0 && blen < 256u * 1024) {
		char *all = malloc((size_t)n + blen);
		int rc;

		if (all == NULL)
			return -1;
		memcpy(all, head, (size_t)n);
		memcpy(all + n, body, blen);
		rc = bh_write_all(c, all, (size_t)n + blen);
		free(all);
		if (rc == -1)
			return -1;
	} else if (bh_write_all(c, head, (size_t)n) == -1 ||
	           (blen > 0 && bh_write_all(c, body, blen) == -1))
		return -1;

	while (c->len < 4 ||
	       (eoh = memmem(c->buf, c->len, "\r\n\r\n", 4)) == NULL)
		if (bh_fill(c) == -1)
			return -1;
	hlen = (size_t)(eoh - c->buf) + 4;
	*eoh = '\0'; /* headers as one string, for the searches below */
	if (sscanf(c->buf, "HTTP/1.%*d %d", status) != 1)
		return -1;
	/* The token answer closes its connection (protocol.md section 7):
	 * the next request connects again. */
	conn_close = strcasestr(c->buf, "\r\nconnection: close") != NULL;
	if ((p = strcasestr(c->buf, "\r\ncontent-length:")) != NULL) {
		bodylen = strtoul(p + 17, NULL, 10);
		have_len = 1;
	} else if ((p = strcasestr(c->buf, "\r\ntransfer-encoding:")) !=
	               NULL &&
	           strcasestr(p, "chunked") != NULL)
		chunked = 1;
	*eoh = '\r';
	if (!have_len && !chunked)
		return -1; /* no framing: not something ballotd sends */
	memmove(c->buf, c->buf + hlen, c->len - hlen);
	c->len -= hlen;
	if (have_len) {
		if (bodylen > BH_MAX_ANSWER)
			return -1;
		while (c->len < bodylen)
			if (bh_fill(c) == -1)
				return -1;
		if ((*rbody = malloc(bodylen + 1)) == NULL)
			return -1;
		memcpy(*rbody, c->buf, bodylen);
		(*rbody)[bodylen] = '\0';
		*rblen = bodylen;
		memmove(c->buf, c->buf + bodylen, c->len - bodylen);
		c->len -= bodylen;
		if (conn_close)
			bh_close(c);
		return 0;
	}
	/* Chunked: size CRLF data CRLF ... 0 CRLF CRLF (no trailers). */
	got = 0;
	if ((*rbody = malloc(1)) == NULL)
		return -1;
	for (;;) {
		char *crlf, *nb;

		while ((crlf = memmem(c->buf, c->len, "\r\n", 2)) == NULL)
			if (bh_fill(c) == -1)
				goto bad;
		need = strtoul(c->buf, NULL, 16);
		hlen = (size_t)(crlf - c->buf) + 2;
		if (need > BH_MAX_ANSWER || got + need > BH_MAX_ANSWER)
			goto bad;
		while (c->len < hlen + need + 2)
			if (bh_fill(c) == -1)
				goto bad;
		if ((nb = realloc(*rbody, got + need + 1)) == NULL)
			goto bad;
		*rbody = nb;
		memcpy(*rbody + got, c->buf + hlen, need);
		got += need;
		memmove(c->buf, c->buf + hlen + need + 2,
		        c->len - hlen - need - 2);
		c->len -= hlen + need + 2;
		if (need == 0)
			break;
	}
	(*rbody)[got] = '\0';
	*rblen = got;
	if (conn_close)
		bh_close(c);
	return 0;
bad:
	free(*rbody);
	*rbody = NULL;
	return -1;
}

