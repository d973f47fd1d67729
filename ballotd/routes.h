/*
 * routes.h: the route table.  Every route of docs/api.md is one row of
 * bd_routes[] in routes.c: its method, path pattern, authentication,
 * content type, body limit, body shape, flags and handler.  http.c runs
 * the common checks (method, path, content type, size, organiser
 * credential, JSON and its top-level shape) from the row before the
 * handler is called, so a handler starts from a request that passed
 * them.  Adding a route is adding one row.
 */
#ifndef BD_ROUTES_H
#define BD_ROUTES_H

#include <stddef.h>

#include <event2/http.h>

struct bd_req;

/*
 * A handler answers with one of the bd_reply_* functions of http.h,
 * before it returns or later from any thread; it must answer exactly
 * once.
 */
typedef void bd_handler(struct bd_req *req);

enum bd_auth {
	BD_AUTH_NONE = 0,
	/* Authorization: Bearer <organiser credential>, checked by http.c. */
	BD_AUTH_ORGANISER,
	/* The voter's credential is a body member; the handler checks it. */
	BD_AUTH_VOTER_CREDENTIAL,
	/* The body carries a trustee signature; the handler checks it. */
	BD_AUTH_TRUSTEE_SIGNATURE
};

enum bd_body {
	BD_BODY_NONE = 0,    /* no body allowed (GET) */
	BD_BODY_JSON_OBJECT, /* a JSON object, parsed before the handler */
	BD_BODY_RAW          /* bytes of the route's content type */
};

/* Route flags. */
#define BD_ROUTE_NO_ADDR_LOG 0x01 /* never log the client's address */
#define BD_ROUTE_STRICT      0x02 /* members: exactly these, no others */
#define BD_ROUTE_TEST        0x04 /* only with test_routes = true */

struct bd_route {
	enum evhttp_cmd_type method;
	/* Literal segments and {name} parameters: "/polls/{id}/casts". */
	const char *pattern;
	enum bd_auth auth;
	/* Required media type of the body, or NULL for no body. */
	const char *content_type;
	size_t max_body; /* bytes */
	enum bd_body body;
	/*
	 * Top-level members the JSON object must have, separated by single
	 * spaces, or NULL to leave the shape to the handler ("" with
	 * BD_ROUTE_STRICT: the empty object).  A name starting with '?' is
	 * optional: not required, but allowed under BD_ROUTE_STRICT.
	 */
	const char *members;
	unsigned flags;
	bd_handler *handler;
};

#define BD_ROUTE_PARAMS_MAX 4
#define BD_ROUTE_PARAM_LEN  128 /* longest parameter value + 1 */

struct bd_route_params {
	unsigned n;
	/* name[i] points into the pattern; namelen[i] is its length. */
	const char *name[BD_ROUTE_PARAMS_MAX];
	size_t namelen[BD_ROUTE_PARAMS_MAX];
	char value[BD_ROUTE_PARAMS_MAX][BD_ROUTE_PARAM_LEN];
};

/*
 * Finds the route for a method and a path (the path alone, without the
 * query).  Returns the route and fills *params; or NULL.  Either way
 * *allow is set to the methods of the routes whose pattern matches the
 * path (0 and NULL: no route has this path, a 404; non-zero and NULL: a
 * 405), and *flags to the union of their flags (so that a request to
 * the cast route's path with the wrong method is not logged with its
 * address either).  Routes flagged BD_ROUTE_TEST are seen only when
 * with_test is 1.
 */
const struct bd_route *bd_route_find(enum evhttp_cmd_type method,
                                     const char *path, int with_test,
                                     struct bd_route_params *params,
                                     unsigned *allow, unsigned *flags);

/* "GET" for EVHTTP_REQ_GET and so on. */
const char *bd_method_name(enum evhttp_cmd_type method);

/*
 * Writes "GET, POST" for a set of methods into buf[len].  Returns buf.
 */
char *bd_methods_list(unsigned methods, char *buf, size_t len);

/* The table itself, for tests and documentation generators. */
extern const struct bd_route bd_routes[];
extern const size_t bd_nroutes;

#endif
