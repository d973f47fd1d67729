/*
 * static.c: the voter's pages (web/) as plain files under web_root.
 *
 * A request path becomes a file only if every segment is a run of
 * [A-Za-z0-9._-] that does not start with '.', so that no path can
 * climb out of the root ("..") or reach a hidden file, and only if its
 * extension is one of the few the pages use.  The last component must
 * not be a symbolic link (O_NOFOLLOW) and must be a regular file.  The
 * files are small and read on each request: an operator who edits a
 * page sees the change at once, and nothing is cached to go stale.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "static.h"

#define BD_STATIC_PATH_MAX 200
#define BD_STATIC_FILE_MAX (8u << 20)

static const struct {
	const char *ext, *ctype;
} bd_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".json", "application/json"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".txt", "text/plain; charset=utf-8"},
};

static int bd_seg_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

const char *bd_static_type(const char *path)
{
	size_t n = strlen(path), i;

	for (i = 0; i < sizeof(bd_types) / sizeof(bd_types[0]); i++) {
		size_t e = strlen(bd_types[i].ext);

		if (n > e && strcmp(path + n - e, bd_types[i].ext) == 0)
			return bd_types[i].ctype;
	}
	return NULL;
}

int bd_static_path_ok(const char *path)
{
	size_t n = strlen(path), i;

	if (n < 2 || n > BD_STATIC_PATH_MAX || path[0] != '/')
		return 0;
	for (i = 0; i < n; i++) {
		if (path[i] == '/') {
			/* A segment: non-empty, not starting with '.'. */
			if (i + 1 == n || path[i + 1] == '/' ||
			    path[i + 1] == '.')
				return 0;
		} else if (!bd_seg_char(path[i]))
			return 0;
	}
	return 1;
}

int bd_static_load(const char *root, const char *path, uint8_t **data,
                   size_t *len, const char **ctype)
{
	char full[PATH_MAX];
	struct stat sb;
	uint8_t *buf;
	size_t got = 0;
	ssize_t r;
	int fd;

	*data = NULL;
	*len = 0;
	if (strcmp(path, "/") == 0)
		path = "/index.html";
	if (!bd_static_path_ok(path) || (*ctype = bd_static_type(path)) == NULL)
		return 404;
	if ((size_t)snprintf(full, sizeof(full), "%s%s", root, path) >=
	    sizeof(full))
		return 404;
	if ((fd = open(full, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return errno == ENOENT || errno == ENOTDIR || errno == ELOOP ||
		               errno == EACCES
		           ? 404
		           : 500;
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    (uint64_t)sb.st_size > BD_STATIC_FILE_MAX) {
		close(fd);
		return 404;
	}
	if ((buf = malloc((size_t)sb.st_size + 1)) == NULL) {
		close(fd);
		return 500;
	}
	while (got < (size_t)sb.st_size) {
		r = read(fd, buf + got, (size_t)sb.st_size - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (got != (size_t)sb.st_size) {
		free(buf);
		return 500;
	}
	*data = buf;
	*len = got;
	return 0;
}
