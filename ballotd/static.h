/*
 * static.h: files of the voter's pages under the configured web_root
 * (docs/operator.md, "The pages").  http.c serves them for GET and HEAD
 * requests that match no route.
 */
#ifndef BD_STATIC_H
#define BD_STATIC_H

#include <stddef.h>
#include <stdint.h>

/*
 * 1 if path (as the client sent it, no query) may name a file: "/" then
 * segments of [A-Za-z0-9._-], none empty or starting with '.', at most
 * 200 bytes in all.  Otherwise 0.
 */
int bd_static_path_ok(const char *path);

/* The Content-Type for path's extension (a literal), or NULL if none. */
const char *bd_static_type(const char *path);

/*
 * Reads the file for path ("/" is "/index.html") under root.  Returns 0
 * with OUT: *data (malloc'd, the caller frees), *len and *ctype (a
 * literal); or 404 (no such file, a path that may not name one, a type
 * not served, a symbolic link, over 8 MiB) or 500 (a read error), with
 * *data NULL.
 */
int bd_static_load(const char *root, const char *path, uint8_t **data,
                   size_t *len, const char **ctype);

#endif
