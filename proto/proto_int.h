/*
 * proto_int.h: what the files of proto/ share and nobody else sees: the
 * error helpers and the JSON member readers that name every member by
 * its path.
 */
#ifndef PROTO_INT_H
#define PROTO_INT_H

#include "proto.h"

#include <stdarg.h>

#if defined(__GNUC__)
#define PROTO_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define PROTO_PRINTF(a, b)
#endif

/* Fills err (which may be NULL) and returns st. */
proto_status proto_fail(proto_err *err, proto_status st, const char *fmt, ...)
    PROTO_PRINTF(3, 4);

/* A member path: "contests[2].seats".  Built on the stack as we descend. */
#define PJ_PATH_MAX 160
typedef struct {
	char s[PJ_PATH_MAX];
} pj_path;

/* path + "." + name (or name alone at the top).  OUT: out. */
void pj_member(pj_path *out, const pj_path *path, const char *name);
/* path + "[i]".  OUT: out. */
void pj_index(pj_path *out, const pj_path *path, size_t i);

/* Parses text with duplicate keys refused; the top level must be an
 * object.  OUT: *root (new reference). */
proto_status pj_load(const char *text, size_t len, json_t **root,
                     proto_err *err);
/* Refuses a non-object v, and any member of v not in names[] (NULL-ended). */
proto_status pj_object(json_t *v, const pj_path *path, const char *const *names,
                       proto_err *err);
/*
 * The member name of obj: *out is NULL if absent (or null and
 * null_ok), else borrowed.  Missing and required: PROTO_ERR_SHAPE.
 */
proto_status pj_get(json_t *obj, const pj_path *path, const char *name,
                    int required, int null_ok, json_t **out, proto_err *err);
/* A short description of v for "found ..." in a message.  OUT: buf. */
void pj_describe(const json_t *v, char *buf, size_t cap);
/* A string of minlen..maxlen bytes, no control characters.  OUT: *out
 * (borrowed from v), *outlen. */
proto_status pj_string(json_t *v, const pj_path *path, size_t minlen,
                       size_t maxlen, const char **out, size_t *outlen,
                       proto_err *err);
/* A whole number lo..hi (reals refused).  OUT: *out. */
proto_status pj_int(json_t *v, const pj_path *path, int64_t lo, int64_t hi,
                    int64_t *out, proto_err *err);
proto_status pj_bool(json_t *v, const pj_path *path, int *out, proto_err *err);
/*
 * base64url of exactly want bytes (want > 0), or of 1..max bytes when
 * want is 0.  OUT: out (cap bytes), *outlen.
 */
proto_status pj_b64(json_t *v, const pj_path *path, size_t want, size_t max,
                    uint8_t *out, size_t cap, size_t *outlen, proto_err *err);
/* Lowercase hex of exactly n bytes.  OUT: out. */
proto_status pj_hex(json_t *v, const pj_path *path, uint8_t *out, size_t n,
                    proto_err *err);

/* Encoders' helpers: new jansson strings of bytes; NULL when out of
 * memory. */
json_t *pj_b64_new(const uint8_t *p, size_t n);
json_t *pj_hex_new(const uint8_t *p, size_t n);
/* json_object_set_new that remembers a failure in *ok. */
void pj_set(json_t *obj, const char *name, json_t *v, int *ok);

/* [a-z0-9][a-z0-9-]{0,max-1}. */
int proto_id_valid(const char *s, size_t len, size_t max);
/* A class id's syntax: id(+id)*\*weight, ids sorted, weight 1..1000. */
int proto_class_syntax(const char *s, size_t len);
/* strdup that returns NULL on out of memory. */
char *proto_strndup(const char *s, size_t n);

#endif
