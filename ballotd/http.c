/*
 * http.c: one request from arrival to answer.
 *
 * bd_http_dispatch runs the checks of the request's route-table row in
 * the order of docs/api.md (method and path, content type, size,
 * organiser credential, JSON and its shape), answers the first failure
 * with a JSON error, and otherwise calls the handler.  Answers are sent
 * on the loop thread that received the request: from that thread at
 * once, from any other through the loop's done queue and done_ev (the
 * libevent build has pthreads locking, so event_active is safe from any
 * thread).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/evp.h>

#include "bcrypto.h"
#include "http.h"
#include "log.h"
#include "routes.h"
#include "server.h"
#include "static.h"

struct bd_req {
	struct bd_worker *w;
	struct evhttp_request *ev; /* NULL once sent or cut off */
	const struct bd_route *route;
	enum evhttp_cmd_type method;
	char path[256]; /* for the log, escaped */
	char peer[64];  /* "" when not to be logged */
	struct timespec start;
	struct bd_route_params params;
	struct evkeyvalq query;
	int have_query;
	uint8_t *body;
	size_t bodylen;
	json_t *json;
	/* The answer. */
	int status;
	const char *ctype;
	char *out;
	size_t outlen;
	const char *hdr_name; /* one extra header, or NULL */
	char hdr_value[96];
	const char *csp; /* a page: its Content-Security-Policy, or NULL */
	int close_after; /* bool: Connection: close */
	int wipe_out;    /* bool: the answer holds secrets */
	/* State, under w->mu once the handler has it. */
	int queued;
	int abandoned;
	TAILQ_ENTRY(bd_req) plink; /* pending or abandoned */
	TAILQ_ENTRY(bd_req) dlink; /* done queue */
};

json_t *bd_req_json(const struct bd_req *req)
{
	return req->json;
}

const uint8_t *bd_req_body(const struct bd_req *req, size_t *len)
{
	*len = req->bodylen;
	return req->body;
}

const char *bd_req_param(const struct bd_req *req, const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i < req->params.n; i++)
		if (req->params.namelen[i] == n &&
		    memcmp(req->params.name[i], name, n) == 0)
			return req->params.value[i];
	return NULL;
}

const char *bd_req_query(const struct bd_req *req, const char *name)
{
	if (!req->have_query)
		return NULL;
	return evhttp_find_header(&req->query, name);
}

const struct bd_route *bd_req_route(const struct bd_req *req)
{
	return req->route;
}

void *bd_req_thread_ctx(const struct bd_req *req)
{
	return req->w->thread_ctx;
}

void *bd_req_app(const struct bd_req *req)
{
	return req->w->srv->hooks.arg;
}

unsigned bd_req_thread_index(const struct bd_req *req)
{
	return req->w->index;
}

struct bd_server *bd_req_server(const struct bd_req *req)
{
	return req->w->srv;
}

static void bd_req_free(struct bd_req *req)
{
	if (req->have_query)
		evhttp_clear_headers(&req->query);
	json_decref(req->json);
	/* A voter route's body holds a credential. */
	if (req->body != NULL && req->route != NULL &&
	    req->route->auth == BD_AUTH_VOTER_CREDENTIAL)
		bc_wipe(req->body, req->bodylen);
	free(req->body);
	if (req->out != NULL && req->wipe_out)
		bc_wipe(req->out, req->outlen);
	free(req->out);
	free(req);
}

/* libevent's cleanup of an answer that holds secrets (bd_send). */
static void bd_wipe_free(const void *data, size_t len, void *extra)
{
	(void)extra;
	bc_wipe((void *)(uintptr_t)data, len);
	free((void *)(uintptr_t)data);
}

static double bd_ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) * 1e3 +
	       (double)(now.tv_nsec - t0->tv_nsec) / 1e6;
}

static void bd_sent(struct evhttp_request *ev, void *arg)
{
	struct bd_worker *w = arg;

	(void)ev;
	if (w->unflushed > 0)
		w->unflushed--;
}

/* Sends the answer stored in req and logs it.  Loop thread. */
static void bd_send(struct bd_req *req)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req->ev);
	struct evbuffer *buf = evhttp_request_get_output_buffer(req->ev);
	struct bd_server *srv = req->w->srv;

	evhttp_add_header(h, "Content-Type", req->ctype);
	/* Pages may be cached if checked again; API answers never. */
	evhttp_add_header(h, "Cache-Control",
	                  req->csp != NULL ? "no-cache" : "no-store");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	if (req->csp != NULL) {
		evhttp_add_header(h, "Content-Security-Policy", req->csp);
		evhttp_add_header(h, "Referrer-Policy", "no-referrer");
		evhttp_add_header(h, "X-Frame-Options", "DENY");
		evhttp_add_header(h, "Cross-Origin-Opener-Policy",
		                  "same-origin");
	}
	if (req->hdr_name != NULL)
		evhttp_add_header(h, req->hdr_name, req->hdr_value);
	if (req->close_after || atomic_load(&srv->stopping))
		evhttp_add_header(h, "Connection", "close");
	if (req->outlen > 0 && req->wipe_out) {
		/*
		 * Sent from our buffer, not a copy, and wiped once sent.
		 * (With TLS, OpenSSL's record buffers see the bytes too.)
		 */
		if (evbuffer_add_reference(buf, req->out, req->outlen,
		                           bd_wipe_free, NULL) == 0)
			req->out = NULL;
	} else if (req->outlen > 0)
		evbuffer_add(buf, req->out, req->outlen);
	/*
	 * Count the answer until libevent has written it, so that a stop
	 * does not close the connection under it.  A request whose
	 * connection is gone is freed by evhttp_send_reply at once.
	 */
	if (evhttp_request_get_connection(req->ev) != NULL) {
		evhttp_request_set_on_complete_cb(req->ev, bd_sent, req->w);
		req->w->unflushed++;
	}
	evhttp_send_reply(req->ev, req->status, NULL, NULL);
	req->ev = NULL;
	/*
	 * Never the body, the query or a header: only what identifies the
	 * route, and the client's address unless the route forbids it.
	 */
	bd_log_info("%s %s %d %.3fms%s%s", bd_method_name(req->method),
	            req->path, req->status, bd_ms_since(&req->start),
	            req->peer[0] ? " from " : "", req->peer);
}

/* Stores the answer in req, then sends it or queues it. */
static void bd_deliver(struct bd_req *req)
{
	struct bd_worker *w = req->w;

	if (pthread_equal(pthread_self(), w->thread)) {
		pthread_mutex_lock(&w->mu);
		if (req->abandoned) {
			TAILQ_REMOVE(&w->abandoned, req, plink);
			pthread_mutex_unlock(&w->mu);
			bd_req_free(req);
			return;
		}
		pthread_mutex_unlock(&w->mu);
		TAILQ_REMOVE(&w->pending, req, plink);
		w->npending--;
		atomic_fetch_sub(&w->srv->inflight, 1);
		bd_send(req);
		bd_req_free(req);
		return;
	}
	pthread_mutex_lock(&w->mu);
	if (req->abandoned) {
		/* The client already had its 503. */
		TAILQ_REMOVE(&w->abandoned, req, plink);
		pthread_mutex_unlock(&w->mu);
		bd_req_free(req);
		return;
	}
	req->queued = 1;
	TAILQ_INSERT_TAIL(&w->done, req, dlink);
	pthread_mutex_unlock(&w->mu);
	event_active(w->done_ev, EV_READ, 0);
}

void bd_http_drain(evutil_socket_t fd, short what, void *arg)
{
	struct bd_worker *w = arg;
	struct bd_req_list todo;
	struct bd_req *req;

	(void)fd;
	(void)what;
	TAILQ_INIT(&todo);
	pthread_mutex_lock(&w->mu);
	TAILQ_CONCAT(&todo, &w->done, dlink);
	pthread_mutex_unlock(&w->mu);
	while ((req = TAILQ_FIRST(&todo)) != NULL) {
		TAILQ_REMOVE(&todo, req, dlink);
		TAILQ_REMOVE(&w->pending, req, plink);
		w->npending--;
		atomic_fetch_sub(&w->srv->inflight, 1);
		bd_send(req);
		bd_req_free(req);
	}
}

void bd_http_abandon(struct bd_worker *w)
{
	struct bd_req *req;

	/* Answers that arrived in time go out first. */
	bd_http_drain(-1, 0, w);
	pthread_mutex_lock(&w->mu);
	while ((req = TAILQ_FIRST(&w->pending)) != NULL) {
		TAILQ_REMOVE(&w->pending, req, plink);
		w->npending--;
		atomic_fetch_sub(&w->srv->inflight, 1);
		/* Queued after the drain: still in time, send it. */
		if (req->queued) {
			TAILQ_REMOVE(&w->done, req, dlink);
			bd_send(req);
			bd_req_free(req);
			continue;
		}
		req->abandoned = 1;
		w->nabandoned++;
		TAILQ_INSERT_TAIL(&w->abandoned, req, plink);
		req->status = 503;
		req->ctype = "application/json";
		if (req->out != NULL && req->wipe_out)
			bc_wipe(req->out, req->outlen);
		req->wipe_out = 0;
		free(req->out);
		req->out = strdup("{\"error\":\"unavailable\",\"message\":"
		                  "\"the server is shutting down\"}");
		req->outlen = req->out ? strlen(req->out) : 0;
		req->hdr_name = NULL;
		bd_send(req);
	}
	pthread_mutex_unlock(&w->mu);
}

void bd_http_free_abandoned(struct bd_worker *w)
{
	struct bd_req *req;

	while ((req = TAILQ_FIRST(&w->abandoned)) != NULL) {
		TAILQ_REMOVE(&w->abandoned, req, plink);
		bd_req_free(req);
	}
}

void bd_reply_raw(struct bd_req *req, int status, const char *content_type,
                  char *data, size_t len)
{
	req->status = status;
	req->ctype = content_type;
	free(req->out);
	req->out = data;
	req->outlen = data ? len : 0;
	bd_deliver(req);
}

void bd_reply_json(struct bd_req *req, int status, json_t *body)
{
	char *s;

	s = json_dumps(body ? body : json_object(), JSON_COMPACT);
	json_decref(body);
	if (s == NULL) {
		/* Out of memory: a fixed answer needs no allocation. */
		status = 500;
		s = strdup("{\"error\":\"internal\",\"message\":"
		           "\"out of memory\"}");
	}
	bd_reply_raw(req, status, "application/json", s, s ? strlen(s) : 0);
}

void bd_reply_error(struct bd_req *req, int status, const char *code,
                    const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* A 500 is a bug of ours: worth a line of its own. */
	if (status == 500)
		bd_log_warn("%s %s: %s: %s", bd_method_name(req->method),
		            req->path, code, msg);
	bd_reply_json(req, status,
	              json_pack("{s:s, s:s}", "error", code, "message", msg));
}

/* Copies a path for the log, with anything unprintable escaped. */
static void bd_log_path(char *dst, size_t len, const char *src)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;

	for (; *src != '\0' && n + 5 < len; src++) {
		unsigned char c = (unsigned char)*src;

		if (c < 0x21 || c > 0x7e || c == '\\') {
			dst[n++] = '\\';
			dst[n++] = 'x';
			dst[n++] = hex[c >> 4];
			dst[n++] = hex[c & 15];
		} else
			dst[n++] = (char)c;
	}
	if (*src != '\0' && n + 3 < len) {
		memcpy(dst + n, "...", 3);
		n += 3;
	}
	dst[n] = '\0';
}

/* 1 if the Content-Type header names this media type. */
static int bd_ctype_is(const char *header, const char *want)
{
	size_t n = strlen(want), i;

	if (header == NULL)
		return 0;
	while (*header == ' ' || *header == '\t')
		header++;
	if (strncasecmp(header, want, n) != 0)
		return 0;
	/* Then the end, or parameters (charset=utf-8). */
	for (i = n; header[i] == ' ' || header[i] == '\t'; i++)
		;
	return header[i] == '\0' || header[i] == ';';
}

/*
 * Checks "Authorization: Bearer <credential>" against the SHA-256 of the
 * organiser credential, in constant time.  The credential is only
 * hashed, never copied or logged.
 */
static int bd_check_organiser(const struct bd_server *srv,
                              struct evhttp_request *ev)
{
	const char *h, *cred;
	uint8_t hash[32];
	unsigned int hlen = 0;
	int ok;

	h = evhttp_find_header(evhttp_request_get_input_headers(ev),
	                       "Authorization");
	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return 0;
	for (cred = h + 7; *cred == ' '; cred++)
		;
	if (*cred == '\0')
		return 0;
	if (EVP_Digest(cred, strlen(cred), hash, &hlen, EVP_sha256(), NULL) !=
	        1 ||
	    hlen != sizeof(hash))
		return 0;
	ok = bc_ct_equal(hash, srv->organiser_hash, sizeof(hash));
	bc_wipe(hash, sizeof(hash));
	return ok;
}

/*
 * Checks the top-level members against the route's list.  Returns 0, or
 * -1 with msg filled.
 */
/* Whether key is one of the route's members (a '?' marks an optional one). */
static int bd_member_listed(const char *m, const char *key)
{
	size_t kl = strlen(key);

	while (*m != '\0') {
		size_t n = strcspn(m, " ");
		const char *name = m + (*m == '?');
		size_t nl = n - (size_t)(*m == '?');

		if (nl == kl && kl > 0 && strncmp(name, key, kl) == 0)
			return 1;
		m += n;
		m += strspn(m, " ");
	}
	return 0;
}

static int bd_check_members(const struct bd_route *r, json_t *obj, char *msg,
                            size_t len)
{
	const char *m = r->members, *key;
	char name[64];
	size_t n;
	json_t *v;

	if (m == NULL)
		return 0;
	while (*m != '\0') {
		n = strcspn(m, " ");
		if (*m != '?') {
			size_t c = n < sizeof(name) ? n : sizeof(name) - 1;

			memcpy(name, m, c);
			name[c] = '\0';
			if (json_object_get(obj, name) == NULL) {
				snprintf(msg, len, "missing member '%s'", name);
				return -1;
			}
		}
		m += n;
		m += strspn(m, " ");
	}
	if (r->flags & BD_ROUTE_STRICT) {
		json_object_foreach(obj, key, v)
		{
			if (!bd_member_listed(r->members, key)) {
				snprintf(msg, len, "unknown member '%.64s'",
				         key);
				return -1;
			}
		}
	}
	return 0;
}

void bd_req_set_page(struct bd_req *req, const char *csp)
{
	req->csp = csp;
}

void bd_req_close_after(struct bd_req *req)
{
	req->close_after = 1;
}

void bd_req_wipe_answer(struct bd_req *req)
{
	req->wipe_out = 1;
}

/*
 * A file of the voter's pages.  Their policy allows nothing but this
 * origin's own scripts, styles, images and API: no inline script or
 * style, no third party, no framing (docs/operator.md, "The pages").
 */
static void bd_serve_page(struct bd_req *req, const char *root,
                          const char *path)
{
	uint8_t *data;
	size_t len;
	const char *ctype;
	int st;

	st = bd_static_load(root, path, &data, &len, &ctype);
	if (st == 404) {
		bd_reply_error(req, 404, "not_found", "no route or page for %s",
		               req->path);
		return;
	}
	if (st != 0) {
		bd_log_warn("page %s: cannot read it under %s", req->path,
		            root);
		bd_reply_error(req, 500, "internal", "cannot read %s",
		               req->path);
		return;
	}
	bd_req_set_page(req, BD_PAGE_CSP);
	bd_reply_raw(req, 200, ctype, (char *)data, len);
}

void bd_http_dispatch(struct evhttp_request *ev, void *arg)
{
	struct bd_worker *w = arg;
	struct bd_server *srv = w->srv;
	const struct evhttp_uri *uri;
	const struct bd_route *r;
	struct evbuffer *in;
	struct bd_req *req;
	const char *path, *q;
	unsigned allow = 0, pflags = 0;
	char methods[96];
	json_error_t jerr;

	if ((req = calloc(1, sizeof(*req))) == NULL) {
		evhttp_send_error(ev, 500, NULL);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &req->start);
	req->w = w;
	req->ev = ev;
	req->method = evhttp_request_get_command(ev);
	req->ctype = "application/json";
	TAILQ_INSERT_TAIL(&w->pending, req, plink);
	w->npending++;
	atomic_fetch_add(&srv->inflight, 1);

	uri = evhttp_request_get_evhttp_uri(ev);
	path = uri ? evhttp_uri_get_path(uri) : NULL;
	bd_log_path(req->path, sizeof(req->path), path ? path : "");
	r = path ? bd_route_find(req->method, path, srv->cfg->test_routes,
	                         &req->params, &allow, &pflags)
	         : NULL;
	req->route = r;
	/*
	 * The cast route must stay anonymous: not even its address, nor
	 * that of a request to its path with another method.
	 */
	if (!(pflags & BD_ROUTE_NO_ADDR_LOG)) {
		struct evhttp_connection *c = evhttp_request_get_connection(ev);
		char *host = NULL;
		ev_uint16_t port = 0;

		if (c != NULL) {
			evhttp_connection_get_peer(c, &host, &port);
			if (host != NULL)
				snprintf(req->peer, sizeof(req->peer), "%s:%u",
				         host, port);
		}
	}

	if (atomic_load(&srv->stopping)) {
		bd_reply_error(req, 503, "unavailable",
		               "the server is shutting down");
		return;
	}
	if (r == NULL && allow == 0 &&
	    (req->method == EVHTTP_REQ_GET || req->method == EVHTTP_REQ_HEAD) &&
	    srv->cfg->web_root[0] != '\0' && path != NULL) {
		bd_serve_page(req, srv->cfg->web_root, path);
		return;
	}
	if (r == NULL && allow == 0) {
		bd_reply_error(req, 404, "not_found", "no route for %s",
		               req->path);
		return;
	}
	if (r == NULL) {
		bd_methods_list(allow, methods, sizeof(methods));
		req->hdr_name = "Allow";
		snprintf(req->hdr_value, sizeof(req->hdr_value), "%s", methods);
		bd_reply_error(req, 405, "method_not_allowed", "%s takes %s",
		               req->path, methods);
		return;
	}
	if (uri != NULL && (q = evhttp_uri_get_query(uri)) != NULL) {
		TAILQ_INIT(&req->query);
		req->have_query = 1;
		if (evhttp_parse_query_str(q, &req->query) == -1) {
			bd_reply_error(req, 400, "bad_request",
			               "malformed query string");
			return;
		}
	}

	in = evhttp_request_get_input_buffer(ev);
	req->bodylen = evbuffer_get_length(in);
	if (r->content_type != NULL &&
	    !bd_ctype_is(
	        evhttp_find_header(evhttp_request_get_input_headers(ev),
	                           "Content-Type"),
	        r->content_type)) {
		bd_reply_error(req, 415, "unsupported_media_type",
		               "expected Content-Type: %s", r->content_type);
		return;
	}
	if (req->bodylen > r->max_body) {
		if (r->max_body == 0)
			bd_reply_error(req, 413, "too_large",
			               "%s %s takes no body",
			               bd_method_name(r->method), r->pattern);
		else
			bd_reply_error(
			    req, 413, "too_large",
			    "body of %zu bytes is over this route's limit of "
			    "%zu bytes",
			    req->bodylen, r->max_body);
		return;
	}
	if (r->auth == BD_AUTH_ORGANISER && !bd_check_organiser(srv, ev)) {
		req->hdr_name = "WWW-Authenticate";
		snprintf(req->hdr_value, sizeof(req->hdr_value),
		         "Bearer realm=\"ballotd\"");
		bd_reply_error(req, 401, "unauthorized",
		               "missing or wrong organiser credential "
		               "(Authorization: Bearer ...)");
		return;
	}
	/* The body belongs to the request from here on, on any thread. */
	if (req->bodylen > 0) {
		if ((req->body = malloc(req->bodylen)) == NULL ||
		    evbuffer_remove(in, req->body, req->bodylen) !=
		        (int)req->bodylen) {
			bd_reply_error(req, 500, "internal", "out of memory");
			return;
		}
	}
	if (r->body == BD_BODY_JSON_OBJECT) {
		char msg[256];

		if (req->bodylen == 0) {
			bd_reply_error(req, 400, "bad_json",
			               "empty body: expected a JSON object");
			return;
		}
		req->json = json_loadb((const char *)req->body, req->bodylen,
		                       JSON_REJECT_DUPLICATES, &jerr);
		if (req->json == NULL) {
			bd_reply_error(req, 400, "bad_json",
			               "%s at line %d, column %d (byte %d)",
			               jerr.text, jerr.line, jerr.column,
			               jerr.position);
			return;
		}
		if (!json_is_object(req->json)) {
			bd_reply_error(req, 400, "bad_json",
			               "expected a JSON object");
			return;
		}
		if (bd_check_members(r, req->json, msg, sizeof(msg)) == -1) {
			bd_reply_error(req, 400, "bad_json", "%s", msg);
			return;
		}
	}
	/* req may be gone when the handler returns. */
	r->handler(req);
}
