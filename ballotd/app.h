/*
 * app.h: the daemon's shared state, as the request handlers see it.
 *
 * One bd_app for the process (the store with its writer, the
 * configuration); one bd_thread per event loop (its own read handle on
 * the store, so reads never wait for the writer).  main.c makes them and
 * hands them to the server as hooks; a handler reaches them with
 * bd_req_app() and bd_req_thread_ctx().
 */
#ifndef BD_APP_H
#define BD_APP_H

#include "config.h"
#include "http.h"
#include "store.h"

struct bd_app {
	store *store;                /* the file and its one writer */
	const struct bd_config *cfg; /* borrowed from main */
};

struct bd_thread {
	struct bd_app *app;
	store_reader *rd; /* this loop's read handle */
};

/* The request's thread context and app (never NULL inside a handler). */
static inline struct bd_thread *bd_thread_of(const struct bd_req *req)
{
	return (struct bd_thread *)bd_req_thread_ctx(req);
}

static inline struct bd_app *bd_app_of(const struct bd_req *req)
{
	return (struct bd_app *)bd_req_app(req);
}

/*
 * Answers a store failure with the API's error for it (api.md's table):
 * not found 404, wrong state 409, conflicts 409, invalid 400, anything
 * else 500 (logged).  `what` names the object ("poll 'x'").
 */
void bd_reply_store_error(struct bd_req *req, store_status st,
                          const store_error *err, const char *what);

#endif
