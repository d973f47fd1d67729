/*
 * fuzz_pages.c: a libFuzzer target for what ballotd reads from strangers
 * and organisers to serve pages and record files:
 *
 * - first byte even: the rest is a request path for bd_static_path_ok
 *   (ballotd/static.c).  An accepted path must be one the file system
 *   cannot take outside web_root: it starts with '/', every segment is
 *   non-empty, none starts with '.', every byte is [A-Za-z0-9._-/].
 * - first byte odd: the rest is an archive for bd_ustar_find
 *   (ballotd/ustar.c), looking for p/results.json.  A member found must
 *   lie inside the input.
 */
#include "../../ballotd/static.c"
#include "../../ballotd/ustar.c"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_path(const char *p)
{
	size_t n = strlen(p), i;

	if (!bd_static_path_ok(p))
		return;
	if (p[0] != '/' || p[n - 1] == '/')
		abort();
	for (i = 0; i < n; i++) {
		char c = p[i];

		if (c == '/' && (p[i + 1] == '/' || p[i + 1] == '.'))
			abort();
		if (!(c == '/' || bd_seg_char(c)))
			abort();
	}
	(void)bd_static_type(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0, len = 0;
	char *p;

	if (size == 0)
		return 0;
	if ((data[0] & 1) == 0) {
		if ((p = malloc(size)) == NULL)
			return 0;
		memcpy(p, data + 1, size - 1);
		p[size - 1] = '\0';
		check_path(p);
		free(p);
		return 0;
	}
	if (bd_ustar_find(data + 1, size - 1, "p", "results.json", &off,
	                  &len) == 0 &&
	    (off > size - 1 || len > size - 1 - off))
		abort();
	return 0;
}
