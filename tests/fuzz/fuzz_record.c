/*
 * fuzz_record.c: a libFuzzer target for the election record's container:
 * the strict ustar reader (verifier/tar.c) and the record built from it
 * (verifier/record.c), then the .jsonl line splitter over every file.
 *
 * A refusal must come with a message.  An accepted archive must give a
 * record whose file names are safe (relative, no "." or ".." parts), all
 * different, each file NUL-terminated at its length, and whose size is
 * at most the input's.
 */
#include "../../verifier/record.c"
#include "../../verifier/tar.c"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* record.c reads directories through the verifier's read_file; the
 * fuzzer gives it none. */
int read_file(const char *path, char **buf, size_t *len)
{
	(void)path;
	(void)buf;
	(void)len;
	errno = ENOENT;
	return -1;
}

static void broken(const char *what)
{
	fprintf(stderr, "fuzz_record: %s\n", what);
	abort();
}

static void on_line(void *ctx, size_t lineno, const char *text, size_t len)
{
	size_t *n = ctx;

	if (lineno == 0 || len == 0 || memchr(text, '\n', len))
		broken("a line with a newline, empty, or numbered 0");
	*n += len + 1;
}

static void on_bad(void *ctx, size_t lineno, const char *msg)
{
	(void)ctx;
	if (lineno == 0 || msg == NULL || msg[0] == '\0')
		broken("a bad line without a number or message");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	vr_record *r = (vr_record *)1;
	char err[512] = "";
	size_t total = 0;

	if (vr_record_from_tar(data, size, &r, err, sizeof(err)) != 0) {
		if (r != NULL)
			broken("a refusal with a record");
		if (err[0] == '\0')
			broken("a refusal without a message");
		return 0;
	}
	for (size_t i = 0; i < vr_record_count(r); i++) {
		const vr_file *f = vr_record_at(r, i);
		size_t n = 0;

		if (!safe_name(f->name))
			broken("an unsafe name");
		if (f->data[f->len] != '\0')
			broken("a file without its NUL");
		for (size_t j = 0; j < i; j++)
			if (strcmp(vr_record_at(r, j)->name, f->name) == 0)
				broken("a name twice");
		if (vr_record_find(r, f->name) != f)
			broken("find does not find");
		total += f->len;
		vr_jsonl_lines(f, on_line, &n, on_bad);
		if (n > f->len + 1)
			broken("lines longer than the file");
	}
	if (total > size)
		broken("more bytes out than in");
	vr_record_free(r);
	return 0;
}
