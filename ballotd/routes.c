/*
 * routes.c: the route table of docs/api.md, its matching, and the
 * handlers that live here (health and the test route).  The others are
 * in handlers.h.
 *
 * To add a route or give one its real handler: change its row.  The
 * columns are those of struct bd_route (routes.h): method, pattern,
 * authentication, content type, body limit, body kind, required
 * members, flags, handler.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app_int.h"
#include "http.h"
#include "handlers.h"
#include "routes.h"

static bd_handler bd_h_healthz;
static bd_handler bd_h_test_async;

/* clang-format off */
/* Short names, so that each row stays one line. */
#define GET	EVHTTP_REQ_GET
#define POST	EVHTTP_REQ_POST
#define PUT	EVHTTP_REQ_PUT
#define ANY	BD_AUTH_NONE
#define ORG	BD_AUTH_ORGANISER
#define VOTER	BD_AUTH_VOTER_CREDENTIAL
#define TRUSTEE	BD_AUTH_TRUSTEE_SIGNATURE
#define JSON	"application/json"
#define CSV	"text/csv"
#define NONE	BD_BODY_NONE
#define OBJ	BD_BODY_JSON_OBJECT
#define RAW	BD_BODY_RAW
#define STRICT	BD_ROUTE_STRICT
#define NOADDR	BD_ROUTE_NO_ADDR_LOG
#define TEST	BD_ROUTE_TEST
#define K64	(64u * 1024u)
#define K128	(128u * 1024u)
#define M16	(16u * 1024u * 1024u)

/*
 * The cast route's limit is above the default 64 KiB: a sealed ballot
 * of the largest ballot_size (65536 + 81 bytes) is about 87,500 base64url
 * characters.
 */
const struct bd_route bd_routes[] = {
/* Organiser. */
{ POST, "/polls",                         ORG, JSON, K64, OBJ, NULL, 0, bd_h_poll_create },
{ POST, "/polls/{id}/roll",               ORG, CSV,  M16, RAW, NULL, 0, bd_h_roll_import },
/* {} or {"allow_small_classes": true}: the handler checks the members. */
{ POST, "/polls/{id}/ceremony",         ORG, JSON, K64, OBJ, NULL, 0, bd_h_poll_ceremony },
{ POST, "/polls/{id}/open",             ORG, JSON, K64, OBJ, "", STRICT, bd_h_poll_open },
{ POST, "/polls/{id}/close",            ORG, JSON, K64, OBJ, "", STRICT, bd_h_poll_close },
{ PUT,  "/polls/{id}/schedule",           ORG, JSON, K64, OBJ,
	"opens closes", STRICT, bd_h_poll_schedule },
/* Trustees. */
{ POST, "/polls/{id}/ceremony/messages",  TRUSTEE, JSON, K64, OBJ,
	"kind from to body sig", STRICT, bd_h_ceremony_post },
{ GET,  "/polls/{id}/ceremony/messages",  ANY, NULL, 0, NONE, NULL, 0, bd_h_ceremony_get },
/* Voters. */
{ POST, "/polls/{id}/tokens",             VOTER, JSON, K64, OBJ,
	"credential blinded ?class", STRICT, bd_h_token },
{ POST, "/polls/{id}/voter",              VOTER, JSON, K64, OBJ,
	"credential", STRICT, bd_h_voter },
{ POST, "/polls/{id}/casts",              ANY, JSON, K128, OBJ,
	"class token sig ballot cast_sig", STRICT | NOADDR, bd_h_cast },
/* Everyone. */
{ GET,  "/polls/{id}",                    ANY, NULL, 0, NONE, NULL, 0, bd_h_poll_get },
{ GET,  "/polls/{id}/status",             ANY, NULL, 0, NONE, NULL, 0, bd_h_poll_status },
{ GET,  "/polls/{id}/board/sth",          ANY, NULL, 0, NONE, NULL, 0, bd_h_board_sth },
{ GET,  "/polls/{id}/board/inclusion",    ANY, NULL, 0, NONE, NULL, 0, bd_h_board_inclusion },
{ GET,  "/polls/{id}/board/consistency",  ANY, NULL, 0, NONE, NULL, 0, bd_h_board_consistency },
{ GET,  "/polls/{id}/board/entries",      ANY, NULL, 0, NONE, NULL, 0, bd_h_board_entries },
{ GET,  "/polls/{id}/board/find",         ANY, NULL, 0, NONE, NULL, 0, bd_h_board_find },
{ GET,  "/polls/{id}/issuance",           ANY, NULL, 0, NONE, NULL, 0, bd_h_issuance },
{ GET,  "/polls/{id}/states",             ANY, NULL, 0, NONE, NULL, 0, bd_h_states },
{ GET,  "/polls/{id}/board/sths",         ANY, NULL, 0, NONE, NULL, 0, bd_h_board_sths },
{ GET,  "/polls/{id}/record.tar",         ANY, NULL, 0, NONE, NULL, 0, bd_h_record_get },
/* Single files of the published record, for the results page. */
{ GET,  "/polls/{id}/results",            ANY, NULL, 0, NONE, NULL, 0, bd_h_results },
{ GET,  "/polls/{id}/record/{name}",      ANY, NULL, 0, NONE, NULL, 0, bd_h_record_member },
{ GET,  "/polls/{id}/record/contests/{name}", ANY, NULL, 0, NONE, NULL, 0, bd_h_record_member },
/* The record: 256 MiB (the server's max_body must allow it too). */
{ POST, "/polls/{id}/record",             ORG, "application/x-tar", 256u << 20, RAW, NULL, 0, bd_h_record_post },
{ GET,  "/healthz",                       ANY, NULL, 0, NONE, NULL, 0,
	bd_h_healthz },
/* Tests and demos only: 404 unless test_election_key = true. */
{ POST, "/polls/{id}/_test/election-key", ORG, JSON, K64, OBJ,
	"election_key", STRICT, bd_h_test_election_key },
/* Tests only (test_routes = true): an answer from another thread. */
{ GET,  "/_test/async",                   ANY, NULL, 0, NONE, NULL, TEST,
	bd_h_test_async },
};
/* clang-format on */
const size_t bd_nroutes = sizeof(bd_routes) / sizeof(bd_routes[0]);

#undef GET
#undef POST
#undef PUT

/*
 * A parameter is a non-empty run of RFC 3986 unreserved characters:
 * no percent-escapes, so the handler sees exactly what was sent and
 * what it validates is what it stores.
 */
static int bd_param_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	       c == '~';
}

static int bd_route_match(const char *pat, const char *path,
                          struct bd_route_params *p)
{
	p->n = 0;
	while (*pat != '\0' && *path != '\0') {
		if (*pat == '{') {
			const char *close = strchr(pat, '}');
			size_t vlen = strcspn(path, "/"), i;

			if (close == NULL || p->n == BD_ROUTE_PARAMS_MAX ||
			    vlen == 0 || vlen >= BD_ROUTE_PARAM_LEN)
				return 0;
			for (i = 0; i < vlen; i++)
				if (!bd_param_char(path[i]))
					return 0;
			p->name[p->n] = pat + 1;
			p->namelen[p->n] = (size_t)(close - pat - 1);
			memcpy(p->value[p->n], path, vlen);
			p->value[p->n][vlen] = '\0';
			p->n++;
			pat = close + 1;
			path += vlen;
		} else if (*pat == *path) {
			pat++;
			path++;
		} else
			return 0;
	}
	return *pat == '\0' && *path == '\0';
}

const struct bd_route *bd_route_find(enum evhttp_cmd_type method,
                                     const char *path, int with_test,
                                     struct bd_route_params *params,
                                     unsigned *allow, unsigned *flags)
{
	const struct bd_route *found = NULL;
	struct bd_route_params tmp;
	size_t i;

	*allow = 0;
	*flags = 0;
	for (i = 0; i < bd_nroutes; i++) {
		const struct bd_route *r = &bd_routes[i];

		if ((r->flags & BD_ROUTE_TEST) && !with_test)
			continue;
		if (!bd_route_match(r->pattern, path, &tmp))
			continue;
		*allow |= (unsigned)r->method;
		*flags |= r->flags;
		if (r->method == method && found == NULL) {
			*params = tmp;
			found = r;
		}
	}
	return found;
}

const char *bd_method_name(enum evhttp_cmd_type method)
{
	switch (method) {
	case EVHTTP_REQ_GET:
		return "GET";
	case EVHTTP_REQ_POST:
		return "POST";
	case EVHTTP_REQ_HEAD:
		return "HEAD";
	case EVHTTP_REQ_PUT:
		return "PUT";
	case EVHTTP_REQ_DELETE:
		return "DELETE";
	case EVHTTP_REQ_OPTIONS:
		return "OPTIONS";
	case EVHTTP_REQ_TRACE:
		return "TRACE";
	case EVHTTP_REQ_CONNECT:
		return "CONNECT";
	case EVHTTP_REQ_PATCH:
		return "PATCH";
	}
	return "?";
}

char *bd_methods_list(unsigned methods, char *buf, size_t len)
{
	size_t n = 0;
	unsigned bit;

	buf[0] = '\0';
	for (bit = 1; bit <= EVHTTP_REQ_PATCH; bit <<= 1) {
		if (!(methods & bit))
			continue;
		n += (size_t)snprintf(
		    buf + n, n < len ? len - n : 0, "%s%s", n ? ", " : "",
		    bd_method_name((enum evhttp_cmd_type)bit));
	}
	return buf;
}

static void bd_h_healthz(struct bd_req *req)
{
	bd_reply_json(req, 200, json_pack("{s:b}", "ok", 1));
}

struct bd_test_async {
	struct bd_req *req;
	long ms;
};

static void *bd_test_async_main(void *arg)
{
	struct bd_test_async *t = arg;
	struct bd_req *req = t->req;
	struct bd_server *srv;
	struct timespec ts;
	long ms = t->ms;

	free(t);
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1)
		;
	/* The request is gone once answered; the server is not. */
	srv = bd_req_server(req);
	bd_reply_json(req, 200,
	              json_pack("{s:b, s:i}", "ok", 1, "delay_ms", (int)ms));
	bd_server_track_thread(srv, -1);
	return NULL;
}

/*
 * GET /_test/async?ms=N: answers after N milliseconds (0..5000) from a
 * thread of its own, through the cross-thread reply path.
 */
static void bd_h_test_async(struct bd_req *req)
{
	struct bd_test_async *t;
	const char *s = bd_req_query(req, "ms");
	pthread_attr_t attr;
	pthread_t th;
	char *end;
	long ms;

	ms = s ? strtol(s, &end, 10) : 0;
	if (s != NULL && (*s == '\0' || *end != '\0' || ms < 0 || ms > 5000)) {
		bd_reply_error(req, 400, "bad_request",
		               "ms: expected a whole number from 0 to 5000");
		return;
	}
	if ((t = malloc(sizeof(*t))) == NULL) {
		bd_reply_error(req, 500, "internal", "out of memory");
		return;
	}
	t->req = req;
	t->ms = ms;
	bd_server_track_thread(bd_req_server(req), 1);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&th, &attr, bd_test_async_main, t) != 0) {
		bd_server_track_thread(bd_req_server(req), -1);
		free(t);
		bd_reply_error(req, 500, "internal", "cannot start a thread");
	}
	pthread_attr_destroy(&attr);
}
