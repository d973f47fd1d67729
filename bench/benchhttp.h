/*
 * benchhttp.h: the benchmarks' HTTP/1.1 client: one keep-alive
 * connection over TCP or TLS to 127.0.0.1, blocking, with a time limit on
 * every read and write, answers framed by Content-Length or chunked.
 * Shared by loadgen and recordgen.
 */
#ifndef BENCHHTTP_H
#define BENCHHTTP_H

#include <netinet/in.h>
#include <stddef.h>

#include <openssl/ssl.h>

#define BH_MAX_ANSWER (64u << 20)

struct bh_conn {
	int fd;     /* -1: not connected */
	SSL *ssl;   /* NULL: plain TCP */
	char *buf;  /* bytes read and not yet used */
	size_t len, cap;
};

#define BH_CONN_INIT {-1, NULL, NULL, 0, 0}

/*
 * Connects to addr, with TLS when ctx is not NULL (the certificate must
 * name 127.0.0.1).  0, or -1 with a message in err.
 */
int bh_connect(struct bh_conn *c, const struct sockaddr_in *addr,
               SSL_CTX *ctx, int timeout_s, char *err, size_t errlen);
/* Closes the connection; the buffer stays for the next one. */
void bh_close(struct bh_conn *c);
/*
 * Sends one request (ctype and auth may be NULL: no such header) and
 * reads its answer.  OUT: *status, *rbody (malloc'd, NUL-terminated,
 * freed by the caller; NULL on failure), *rblen.  0, or -1 if the
 * connection failed (the caller reconnects).
 */
int bh_request(struct bh_conn *c, const char *method, const char *path,
               const char *ctype, const char *auth, const char *body,
               size_t blen, int *status, char **rbody, size_t *rblen);

#endif
