/*
 * http.h: what a handler sees of a request, and how it answers.
 *
 * By the time a handler runs, http.c has checked the request against
 * its row of the route table (routes.h): method, path, content type,
 * body size, the organiser credential, and for JSON routes the parsed
 * object and its top-level members.  The handler reads the request
 * through the accessors below and answers exactly once with a
 * bd_reply_* function.
 *
 * Answering later: a handler may return without answering and hand the
 * request to another thread (the cast handler waits for the store's
 * group commit); that thread answers with the same functions, which are
 * safe from any thread.  The reply is queued to the request's event
 * loop and sent from there.  After a bd_reply_* call the request is
 * gone: the caller must not touch it again.  If the daemon's shutdown
 * deadline passes first, the client gets 503 and the late answer is
 * discarded (the request stays valid until it is answered).  Nobody may
 * answer after bd_server_stop has returned.
 *
 * Everything a bd_req hands out (JSON, body, parameters, query) is
 * owned by the request and valid until the answer, on any thread.
 */
#ifndef BD_HTTP_H
#define BD_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "log.h"

struct bd_req;
struct bd_route;

/* The parsed body of a JSON route (borrowed), or NULL for other routes. */
json_t *bd_req_json(const struct bd_req *req);
/*
 * The body exactly as received (borrowed; *len bytes; not
 * NUL-terminated; NULL with *len 0 when empty).  A poll definition is
 * hashed over these bytes.
 */
const uint8_t *bd_req_body(const struct bd_req *req, size_t *len);
/* The value of path parameter {name}, or NULL (borrowed). */
const char *bd_req_param(const struct bd_req *req, const char *name);
/*
 * The value of query parameter name ("after" in ?after=12), decoded,
 * or NULL if absent (borrowed).  A parameter given twice: the first.
 */
const char *bd_req_query(const struct bd_req *req, const char *name);
/* The route the request matched. */
const struct bd_route *bd_req_route(const struct bd_req *req);
/*
 * The per-thread context the server's thread_init hook returned for the
 * loop that received the request (store handle and so on), and the
 * hooks' shared argument.
 */
void *bd_req_thread_ctx(const struct bd_req *req);
void *bd_req_app(const struct bd_req *req);
/* Index of the loop (0..threads-1) that received the request. */
unsigned bd_req_thread_index(const struct bd_req *req);

/*
 * Answers with status and a JSON body (steals the reference; NULL sends
 * {}), then frees the request.  Any thread.
 */
void bd_reply_json(struct bd_req *req, int status, json_t *body);
/*
 * Answers {"error": code, "message": <fmt...>} with status (api.md's
 * table: 400 bad_json, 404 not_found, ...), then frees the request.
 * The message must name what was wrong and never contain a secret.
 * Any thread.
 */
void bd_reply_error(struct bd_req *req, int status, const char *code,
                    const char *fmt, ...) BD_PRINTF(4, 5);
/*
 * Answers with len bytes of content_type (a string that outlives the
 * request, e.g. a literal); takes ownership of data (malloc'd, freed by
 * us).  For the roll's CSV.  Any thread.
 */
void bd_reply_raw(struct bd_req *req, int status, const char *content_type,
                  char *data, size_t len);

/*
 * The Content-Security-Policy of the voter's pages: this origin's
 * scripts, styles, images and API, nothing inline, nothing else.
 */
#define BD_PAGE_CSP                                                            \
	"default-src 'none'; script-src 'self'; style-src 'self'; "            \
	"img-src 'self' data:; connect-src 'self'; base-uri 'none'; "          \
	"form-action 'none'; frame-ancestors 'none'"

/*
 * Before a bd_reply_*: the answer is a page (sent with csp, a string that
 * outlives the request, and the headers every page gets), or the
 * connection is closed after it (the token answer: the voter's cast must
 * not ride on the connection that showed the credential).
 */
void bd_req_set_page(struct bd_req *req, const char *csp);
void bd_req_close_after(struct bd_req *req);
/* Before a bd_reply_*: the answer holds secrets (the credentials CSV) and
 * is wiped once sent or dropped. */
void bd_req_wipe_answer(struct bd_req *req);

/*
 * For a handler that starts a thread of its own for a request (the test
 * route does): bd_req_server gives the server (it outlives the request),
 * bd_server_track_thread(srv, 1) before starting the thread and
 * (srv, -1) as its last act, after answering; bd_server_stop waits (at
 * most 10 s) until every such thread has ended.
 */
struct bd_server;
struct bd_server *bd_req_server(const struct bd_req *req);
void bd_server_track_thread(struct bd_server *srv, int delta);

#endif
