/*
 * server.c: listening sockets, TLS, and the event-loop threads.
 *
 * One event loop per thread, all on the same sockets.  Each socket is
 * bound once, here, and every loop accepts on its own dup(2) of it with
 * evhttp_accept_socket_with_handle.  Why not SO_REUSEPORT (one socket
 * per thread): the kernel would hash connections to a fixed thread
 * whatever its load, a stop would reset the connections waiting in the
 * backlog of each closed socket, and another process of the same user
 * could bind the port too.  Why a dup per loop and not the same fd:
 * evhttp closes the fd when its listener is freed (LEV_OPT_CLOSE_ON_FREE),
 * so with a shared fd the first loop to stop would close it under the
 * others.  All loops wake for a new connection and one accept(2) wins;
 * the others see EAGAIN, which libevent ignores.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "bcrypto.h"
#include "http.h"
#include "log.h"
#include "server.h"

#define BD_BACKLOG 1024
/* How long a stop waits for answers to be written out once all are sent. */
#define BD_FLUSH_MS       1000
#define BD_HELPER_WAIT_MS 10000

static int bd_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int bd_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* OpenSSL's first queued error as text in buf[256]; clears the queue. */
static const char *bd_ssl_error(char buf[256])
{
	unsigned long e = ERR_get_error();

	ERR_clear_error();
	if (e == 0)
		return "unknown OpenSSL error";
	ERR_error_string_n(e, buf, 256);
	return buf;
}

static SSL_CTX *bd_tls_ctx(const struct bd_config *cfg, char *err,
                           size_t errlen)
{
	char ebuf[256];
	SSL_CTX *ctx;

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		bd_fail(err, errlen, "TLS: %s", bd_ssl_error(ebuf));
		return NULL;
	}
	/* TLS 1.2 and 1.3 only; our order of ciphers, not the client's. */
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1)
		goto ssl_fail;
	SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE |
	                             SSL_OP_NO_RENEGOTIATION |
	                             SSL_OP_NO_COMPRESSION);
	/* TLS 1.2: forward secrecy and AEAD only.  TLS 1.3 has no others. */
	if (SSL_CTX_set_cipher_list(ctx,
	                            "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL") != 1)
		goto ssl_fail;
	/* 10,000 idle connections should not hold 10,000 pairs of buffers. */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	/*
	 * No session resumption, neither tickets nor a cache: a resumed
	 * session ties a connection to an earlier one, and the cast's
	 * connection must not be tied to the token's, which showed the
	 * credential (protocol.md section 7, threat-model.md).  Every
	 * connection pays a full handshake for it (docs/bench.md).
	 */
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (SSL_CTX_set_num_tickets(ctx, 0) != 1)
		goto ssl_fail;
	if (SSL_CTX_use_certificate_chain_file(ctx, cfg->cert) != 1) {
		bd_fail(err, errlen, "%s: cannot load the certificate: %s",
		        cfg->cert, bd_ssl_error(ebuf));
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, cfg->key, SSL_FILETYPE_PEM) != 1) {
		bd_fail(err, errlen, "%s: cannot load the private key: %s",
		        cfg->key, bd_ssl_error(ebuf));
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		bd_fail(err, errlen, "%s does not match %s: %s", cfg->key,
		        cfg->cert, bd_ssl_error(ebuf));
		goto fail;
	}
	return ctx;
ssl_fail:
	bd_fail(err, errlen, "TLS: %s", bd_ssl_error(ebuf));
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

/*
 * evhttp calls this for each new connection of the HTTPS evhttp: one
 * SSL per connection from the one shared SSL_CTX (OpenSSL 3 allows
 * that from any thread).  On failure (out of memory only) evhttp falls
 * back to a plain bufferevent: the client's TLS handshake then reads as
 * a malformed request and the connection is closed; nothing is served
 * in clear text that the client did not send in clear text.
 */
static struct bufferevent *bd_bevcb_tls(struct event_base *base, void *arg)
{
	struct bd_server *srv = arg;
	struct bufferevent *bev;
	char ebuf[256];
	SSL *ssl;

	if ((ssl = SSL_new(srv->ssl_ctx)) == NULL) {
		bd_log_warn("TLS: SSL_new: %s", bd_ssl_error(ebuf));
		return NULL;
	}
	bev = bufferevent_openssl_socket_new(
	    base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		SSL_free(ssl);
		return NULL;
	}
	/* A client that drops the connection without close_notify is
	 * common and not an error worth a log line. */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

static int bd_bind(const struct bd_addr *a, char *name, size_t namelen,
                   char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	char host[INET6_ADDRSTRLEN];
	int fd, one = 1;
	uint16_t port;

	fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	            0);
	if (fd == -1)
		return bd_fail(err, errlen, "%s: socket: %s", a->text,
		               strerror(errno));
	/* A restart must not wait for TIME_WAIT connections to expire. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1)
		goto fail;
	if (a->ss.ss_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) == -1)
		goto fail;
	/*
	 * Answers are written whole; Nagle would only delay them.  Linux
	 * copies TCP_NODELAY from a listening socket to every socket
	 * accept(2) returns, which saves a system call per connection
	 * (evhttp gives us no hook between accept and the first read).
	 */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == -1)
		goto fail;
	if (bind(fd, (const struct sockaddr *)&a->ss, a->sslen) == -1 ||
	    listen(fd, BD_BACKLOG) == -1)
		goto fail;
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == -1)
		goto fail;
	if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)&ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		port = ntohs(s6->sin6_port);
		snprintf(name, namelen, "[%s]:%u", host, port);
	} else {
		const struct sockaddr_in *s4 = (const void *)&ss;

		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		port = ntohs(s4->sin_port);
		snprintf(name, namelen, "%s:%u", host, port);
	}
	return fd;
fail:
	bd_fail(err, errlen, "%s: %s", a->text, strerror(errno));
	close(fd);
	return -1;
}

static void bd_worker_tick(evutil_socket_t fd, short what, void *arg)
{
	struct bd_worker *w = arg;
	struct timespec now;
	double idle_ms;
	int past;

	(void)fd;
	(void)what;
	clock_gettime(CLOCK_MONOTONIC, &now);
	past = now.tv_sec > w->deadline.tv_sec ||
	       (now.tv_sec == w->deadline.tv_sec &&
	        now.tv_nsec >= w->deadline.tv_nsec);
	if (w->npending > 0 && past)
		bd_http_abandon(w);
	/*
	 * Every loop runs until no loop has a request in flight (or the
	 * deadline passed), so that during the whole stop a new request on
	 * any open connection gets a 503 rather than a closed connection.
	 */
	if (w->npending > 0 || (!past && atomic_load(&w->srv->inflight) > 0))
		return;
	if (!w->idle) {
		w->idle = 1;
		w->idle_since = now;
	}
	/* Everything answered; give libevent a moment to write it out. */
	idle_ms = (double)(now.tv_sec - w->idle_since.tv_sec) * 1e3 +
	          (double)(now.tv_nsec - w->idle_since.tv_nsec) / 1e6;
	if (w->unflushed == 0 || idle_ms >= BD_FLUSH_MS)
		event_base_loopexit(w->base, NULL);
}

static void bd_worker_stop(evutil_socket_t fd, short what, void *arg)
{
	struct bd_worker *w = arg;
	struct timeval tv = {0, 20000};

	(void)fd;
	(void)what;
	if (w->stopping)
		return;
	w->stopping = 1;
	/* No more connections: frees the listeners and closes our dups. */
	if (w->bound_https != NULL)
		evhttp_del_accept_socket(w->https, w->bound_https);
	if (w->bound_http != NULL)
		evhttp_del_accept_socket(w->http, w->bound_http);
	w->bound_https = w->bound_http = NULL;
	clock_gettime(CLOCK_MONOTONIC, &w->deadline);
	w->deadline.tv_sec += w->srv->cfg->shutdown_timeout;
	evtimer_add(w->tick_ev, &tv);
	bd_worker_tick(-1, 0, w);
}

static void *bd_worker_main(void *arg)
{
	struct bd_worker *w = arg;
	const struct bd_server_hooks *h = &w->srv->hooks;

	w->thread = pthread_self();
	if (h->thread_init != NULL)
		w->thread_ctx = h->thread_init(h->arg, w->index);
	event_base_dispatch(w->base);
	if (h->thread_fini != NULL)
		h->thread_fini(h->arg, w->thread_ctx);
	return NULL;
}

static struct evhttp *bd_evhttp(struct bd_worker *w, int fd,
                                struct evhttp_bound_socket **bound, int tls,
                                char *err, size_t errlen)
{
	const struct bd_config *cfg = w->srv->cfg;
	struct evhttp *h;
	int dupfd;

	if ((h = evhttp_new(w->base)) == NULL) {
		bd_fail(err, errlen, "evhttp_new failed");
		return NULL;
	}
	/*
	 * The server-wide body limit is libevent's (an HTML 413 from
	 * libevent itself); each route's own, lower limit is checked again
	 * in http.c and answered in JSON.
	 */
	evhttp_set_max_body_size(h, (ev_ssize_t)cfg->max_body);
	evhttp_set_max_headers_size(h, (ev_ssize_t)cfg->max_headers);
	evhttp_set_timeout(h, (int)cfg->timeout);
	/* Every method reaches us, so that we answer 405 with Allow. */
	evhttp_set_allowed_methods(
	    h, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
	           EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
	           EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
	evhttp_set_gencb(h, bd_http_dispatch, w);
	if (tls)
		evhttp_set_bevcb(h, bd_bevcb_tls, w->srv);
	if ((dupfd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) == -1) {
		bd_fail(err, errlen, "dup: %s", strerror(errno));
		evhttp_free(h);
		return NULL;
	}
	if ((*bound = evhttp_accept_socket_with_handle(h, dupfd)) == NULL) {
		bd_fail(err, errlen, "evhttp_accept_socket failed");
		close(dupfd);
		evhttp_free(h);
		return NULL;
	}
	return h;
}

static int bd_worker_init(struct bd_server *srv, struct bd_worker *w,
                          unsigned index, char *err, size_t errlen)
{
	w->srv = srv;
	w->index = index;
	TAILQ_INIT(&w->pending);
	TAILQ_INIT(&w->done);
	TAILQ_INIT(&w->abandoned);
	pthread_mutex_init(&w->mu, NULL);
	if ((w->base = event_base_new()) == NULL)
		return bd_fail(err, errlen, "event_base_new failed");
	w->done_ev = event_new(w->base, -1, 0, bd_http_drain, w);
	w->stop_ev = event_new(w->base, -1, 0, bd_worker_stop, w);
	w->tick_ev = event_new(w->base, -1, EV_PERSIST, bd_worker_tick, w);
	if (w->done_ev == NULL || w->stop_ev == NULL || w->tick_ev == NULL)
		return bd_fail(err, errlen, "event_new failed");
	if (srv->fd_https != -1 &&
	    (w->https = bd_evhttp(w, srv->fd_https, &w->bound_https, 1, err,
	                          errlen)) == NULL)
		return -1;
	if (srv->fd_http != -1 &&
	    (w->http = bd_evhttp(w, srv->fd_http, &w->bound_http, 0, err,
	                         errlen)) == NULL)
		return -1;
	return 0;
}

int bd_server_new(const struct bd_config *cfg,
                  const struct bd_server_hooks *hooks,
                  const uint8_t organiser_hash[32], struct bd_server **out,
                  char *err, size_t errlen)
{
	struct bd_server *srv;
	unsigned i;

	*out = NULL;
	if ((srv = calloc(1, sizeof(*srv))) == NULL)
		return bd_fail(err, errlen, "out of memory");
	srv->cfg = cfg;
	if (hooks != NULL)
		srv->hooks = *hooks;
	memcpy(srv->organiser_hash, organiser_hash, 32);
	srv->fd_https = srv->fd_http = -1;
	atomic_init(&srv->stopping, 0);
	atomic_init(&srv->helper_threads, 0);
	atomic_init(&srv->inflight, 0);
	if (cfg->listen.set) {
		if ((srv->ssl_ctx = bd_tls_ctx(cfg, err, errlen)) == NULL)
			goto fail;
		if ((srv->fd_https =
		         bd_bind(&cfg->listen, srv->https_addr,
		                 sizeof(srv->https_addr), err, errlen)) == -1)
			goto fail;
	}
	if (cfg->http.set &&
	    (srv->fd_http = bd_bind(&cfg->http, srv->http_addr,
	                            sizeof(srv->http_addr), err, errlen)) == -1)
		goto fail;
	if ((srv->workers = calloc(cfg->threads, sizeof(*srv->workers))) ==
	    NULL) {
		bd_fail(err, errlen, "out of memory");
		goto fail;
	}
	srv->nworkers = cfg->threads;
	for (i = 0; i < srv->nworkers; i++)
		if (bd_worker_init(srv, &srv->workers[i], i, err, errlen) == -1)
			goto fail;
	*out = srv;
	return 0;
fail:
	bd_server_free(srv);
	return -1;
}

const char *bd_server_https_addr(const struct bd_server *srv)
{
	return srv->fd_https != -1 ? srv->https_addr : NULL;
}

const char *bd_server_http_addr(const struct bd_server *srv)
{
	return srv->fd_http != -1 ? srv->http_addr : NULL;
}

int bd_server_start(struct bd_server *srv, char *err, size_t errlen)
{
	unsigned i;
	int e;

	for (i = 0; i < srv->nworkers; i++) {
		struct bd_worker *w = &srv->workers[i];

		if ((e = pthread_create(&w->tid, NULL, bd_worker_main, w)) != 0)
			return bd_fail(err, errlen, "pthread_create: %s",
			               strerror(e));
		w->started = 1;
	}
	return 0;
}

void bd_server_track_thread(struct bd_server *srv, int delta)
{
	atomic_fetch_add(&srv->helper_threads, delta);
}

unsigned bd_server_stop(struct bd_server *srv)
{
	struct timespec ts = {0, 10 * 1000000L};
	unsigned i, cut = 0, waited;

	atomic_store(&srv->stopping, 1);
	for (i = 0; i < srv->nworkers; i++)
		if (srv->workers[i].started)
			event_active(srv->workers[i].stop_ev, EV_READ, 0);
	/* The loops hold dups: the sockets close when the last one stops. */
	if (srv->fd_https != -1)
		close(srv->fd_https);
	if (srv->fd_http != -1)
		close(srv->fd_http);
	srv->fd_https = srv->fd_http = -1;
	for (i = 0; i < srv->nworkers; i++) {
		struct bd_worker *w = &srv->workers[i];

		if (!w->started)
			continue;
		pthread_join(w->tid, NULL);
		w->started = 0;
		pthread_mutex_lock(&w->mu);
		cut += w->nabandoned;
		pthread_mutex_unlock(&w->mu);
	}
	if (srv->hooks.shutdown != NULL)
		srv->hooks.shutdown(srv->hooks.arg);
	for (waited = 0; atomic_load(&srv->helper_threads) > 0 &&
	                 waited < BD_HELPER_WAIT_MS;
	     waited += 10)
		nanosleep(&ts, NULL);
	return cut;
}

void bd_server_free(struct bd_server *srv)
{
	unsigned i;

	if (srv == NULL)
		return;
	for (i = 0; i < srv->nworkers; i++) {
		struct bd_worker *w = &srv->workers[i];

		if (w->https != NULL)
			evhttp_free(w->https);
		if (w->http != NULL)
			evhttp_free(w->http);
		if (w->done_ev != NULL)
			event_free(w->done_ev);
		if (w->stop_ev != NULL)
			event_free(w->stop_ev);
		if (w->tick_ev != NULL)
			event_free(w->tick_ev);
		if (w->base != NULL)
			event_base_free(w->base);
		bd_http_free_abandoned(w);
		pthread_mutex_destroy(&w->mu);
	}
	free(srv->workers);
	if (srv->fd_https != -1)
		close(srv->fd_https);
	if (srv->fd_http != -1)
		close(srv->fd_http);
	SSL_CTX_free(srv->ssl_ctx);
	bc_wipe(srv->organiser_hash, sizeof(srv->organiser_hash));
	free(srv);
}
