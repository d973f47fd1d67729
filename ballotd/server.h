/*
 * server.h: the listeners and the event-loop threads.
 *
 * The server binds its sockets once (HTTPS on --listen, plain HTTP on
 * the loopback --http), then runs N threads, each with its own
 * event_base and its own evhttp objects accepting on those same
 * sockets.  Requests are dispatched by http.c through the route table.
 * main.c owns the server: new, start, wait for a signal, stop, free.
 */
#ifndef BD_SERVER_H
#define BD_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include <event2/event.h>
#include <event2/http.h>
#include <openssl/ssl.h>

#include "config.h"

struct bd_server;
struct bd_req;

/*
 * What the rest of the daemon plugs in.  Every member may be NULL.
 * thread_init runs on each loop's thread before it serves anything and
 * returns that loop's context (bd_req_thread_ctx); thread_fini runs on
 * the same thread after its loop stopped.  shutdown runs once, on the
 * caller of bd_server_stop, after every loop stopped: the store flushes
 * and stops its writer threads there.
 */
struct bd_server_hooks {
	void *arg;
	void *(*thread_init)(void *arg, unsigned index);
	void (*thread_fini)(void *arg, void *thread_ctx);
	void (*shutdown)(void *arg);
};

/*
 * Creates the server from a checked configuration (borrowed; it must
 * outlive the server): loads the certificate and key, binds and listens.
 * organiser_hash is the SHA-256 of the organiser credential (copied).
 * Nothing runs yet.  Returns 0 and *out, or -1 with err[errlen] filled
 * (main reports it with errx: this is before the daemon is up).
 */
int bd_server_new(const struct bd_config *cfg,
                  const struct bd_server_hooks *hooks,
                  const uint8_t organiser_hash[32], struct bd_server **out,
                  char *err, size_t errlen);
/*
 * The address a listener is bound to ("127.0.0.1:43121", the real port
 * when the configuration said 0), or NULL if it is not configured.
 */
const char *bd_server_https_addr(const struct bd_server *srv);
const char *bd_server_http_addr(const struct bd_server *srv);
/*
 * Starts the threads.  Block SIGTERM, SIGINT and SIGHUP first: the
 * threads inherit the mask, so the signals reach only the thread that
 * waits for them.  Returns 0, or -1 with err filled.
 */
int bd_server_start(struct bd_server *srv, char *err, size_t errlen);
/*
 * Stops: every loop closes its listeners at once, answers 503 (with
 * Connection: close) to new requests on open connections, waits for the
 * requests it is serving to be answered, for at most shutdown_timeout
 * seconds, then answers 503 to those still waiting and stops.  Then the
 * shutdown hook runs.  Returns the number of requests cut off by the
 * deadline.
 */
unsigned bd_server_stop(struct bd_server *srv);
/* Frees a stopped (or never started) server.  NULL is allowed. */
void bd_server_free(struct bd_server *srv);

/* ---- Insides, shared by server.c and http.c only. ---- */

TAILQ_HEAD(bd_req_list, bd_req);

struct bd_worker {
	struct bd_server *srv;
	unsigned index;
	pthread_t tid;    /* for join, main's copy */
	pthread_t thread; /* set by the thread itself */
	int started;
	void *thread_ctx;
	struct event_base *base;
	struct evhttp *https; /* NULL without --listen */
	struct evhttp *http;  /* NULL without --http */
	struct evhttp_bound_socket *bound_https;
	struct evhttp_bound_socket *bound_http;
	struct event *done_ev;      /* drains the done queue */
	struct event *stop_ev;      /* begins the stop */
	struct event *tick_ev;      /* watches the stop */
	struct timespec deadline;   /* of the stop, monotonic */
	struct timespec idle_since; /* nothing pending, since */
	int stopping;               /* loop thread only */
	int idle;
	/* Answers handed to libevent and not yet written out. */
	unsigned unflushed; /* loop thread only */
	/* Requests handed to a handler and not yet sent: loop thread only. */
	struct bd_req_list pending;
	unsigned npending;
	/* Under mu: answers from other threads, and cut-off requests. */
	pthread_mutex_t mu;
	struct bd_req_list done;
	struct bd_req_list abandoned;
	unsigned nabandoned; /* cut off by the deadline */
};

struct bd_server {
	const struct bd_config *cfg;
	struct bd_server_hooks hooks;
	uint8_t organiser_hash[32];
	SSL_CTX *ssl_ctx;
	int fd_https; /* -1 when absent */
	int fd_http;
	char https_addr[BD_ADDR_MAX];
	char http_addr[BD_ADDR_MAX];
	struct bd_worker *workers;
	unsigned nworkers;
	atomic_int stopping;       /* 503 to new requests */
	atomic_int inflight;       /* pending, all loops */
	atomic_int helper_threads; /* bd_server_track_thread */
};

/* http.c: evhttp's callback for every request; arg is the bd_worker. */
void bd_http_dispatch(struct evhttp_request *ev, void *arg);
/* http.c: done_ev's callback: sends the queued answers. */
void bd_http_drain(evutil_socket_t fd, short what, void *arg);
/*
 * http.c: on the loop thread at the stop deadline: answers 503 to every
 * pending request and keeps it until its late answer arrives.
 */
void bd_http_abandon(struct bd_worker *w);
/* http.c: frees the cut-off requests never answered (server free). */
void bd_http_free_abandoned(struct bd_worker *w);

#endif
