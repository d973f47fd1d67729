/*
 * record.c: the election record as named files, from a directory or a
 * tarball (record.h).
 */
#include "record.h"
#include "verifier.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct vr_record {
	vr_file *files;
	size_t n, cap;
};

/* The files record.md lists, outside contests/. */
static const char *const fixed_names[] = {
    "README.txt",          "poll.json",        "keys.json",
    "states.jsonl",        "ceremony.jsonl",   "issuance.jsonl",
    "board/entries.jsonl", "board/sths.jsonl", "election-key.json",
    "ballots.jsonl",       "results.json",     "report.html",
};

void vr_record_free(vr_record *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++) {
		free(r->files[i].name);
		free(r->files[i].data);
	}
	free(r->files);
	free(r);
}

const vr_file *vr_record_find(const vr_record *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->files[i].name, name) == 0)
			return &r->files[i];
	return NULL;
}

size_t vr_record_count(const vr_record *r)
{
	return r->n;
}

const vr_file *vr_record_at(const vr_record *r, size_t i)
{
	return i < r->n ? &r->files[i] : NULL;
}

/* Adds a copy of data under name; -1 on a duplicate or out of memory. */
static int add(vr_record *r, const char *name, const uint8_t *data, size_t len,
               char *err, size_t errlen)
{
	vr_file *f;

	if (vr_record_find(r, name)) {
		snprintf(err, errlen, "'%s' appears twice", name);
		return -1;
	}
	if (r->n == VR_MAX_FILES) {
		snprintf(err, errlen, "more than %d files", VR_MAX_FILES);
		return -1;
	}
	if (r->n == r->cap) {
		size_t nc = r->cap ? r->cap * 2 : 32;
		vr_file *nf = realloc(r->files, nc * sizeof(*nf));

		if (nf == NULL)
			goto nomem;
		r->files = nf;
		r->cap = nc;
	}
	f = &r->files[r->n];
	f->name = strdup(name);
	f->data = malloc(len + 1);
	if (f->name == NULL || f->data == NULL) {
		free(f->name);
		free(f->data);
		goto nomem;
	}
	if (len)
		memcpy(f->data, data, len);
	f->data[len] = '\0';
	f->len = len;
	r->n++;
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
	return -1;
}

static int tar_add(void *ctx, const char *name, const uint8_t *data, size_t len,
                   char *err, size_t errlen)
{
	return add(ctx, name, data, len, err, errlen);
}

int vr_record_from_tar(const uint8_t *buf, size_t len, vr_record **out,
                       char *err, size_t errlen)
{
	vr_record *r = calloc(1, sizeof(*r));
	size_t plen = 0;

	*out = NULL;
	if (r == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (vr_tar_read(buf, len, tar_add, r, err, errlen) != 0) {
		vr_record_free(r);
		return -1;
	}
	/* Strip one top directory shared by every member. */
	if (r->n > 0) {
		const char *s = strchr(r->files[0].name, '/');

		plen = s ? (size_t)(s - r->files[0].name) + 1 : 0;
		for (size_t i = 0; plen && i < r->n; i++)
			if (strncmp(r->files[i].name, r->files[0].name, plen) !=
			    0)
				plen = 0;
		/* ... unless it is one of the record's own directories. */
		if (plen && (strncmp(r->files[0].name, "board/", plen) == 0 ||
		             strncmp(r->files[0].name, "contests/", plen) == 0))
			plen = 0;
	}
	for (size_t i = 0; plen && i < r->n; i++)
		memmove(r->files[i].name, r->files[i].name + plen,
		        strlen(r->files[i].name + plen) + 1);
	for (size_t i = 0; i < r->n; i++)
		for (size_t j = i + 1; j < r->n; j++)
			if (strcmp(r->files[i].name, r->files[j].name) == 0) {
				snprintf(err, errlen, "'%s' appears twice",
				         r->files[i].name);
				vr_record_free(r);
				return -1;
			}
	*out = r;
	return 0;
}

/* Reads dir/name into r if it exists; a missing file is left out (the
 * checks report it), any other error is fatal. */
static int add_path(vr_record *r, const char *dir, const char *name, char *err,
                    size_t errlen)
{
	char path[4096];
	char *buf;
	size_t len;
	struct stat st;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (stat(path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		return -1;
	}
	if ((size_t)st.st_size > VR_MAX_FILE_SIZE) {
		snprintf(err, errlen, "%s: larger than the limit", path);
		return -1;
	}
	if (read_file(path, &buf, &len) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	rc = add(r, name, (const uint8_t *)buf, len, err, errlen);
	free(buf);
	return rc;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int vr_record_load(const char *path, vr_record **out, char *err, size_t errlen)
{
	struct stat st;
	vr_record *r;
	char sub[4096];
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	size_t nn = 0;
	int rc = 0;

	*out = NULL;
	if (stat(path, &st) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		char *buf;
		size_t len;

		if (read_file(path, &buf, &len) != 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return -1;
		}
		rc = vr_record_from_tar((const uint8_t *)buf, len, out, err,
		                        errlen);
		free(buf);
		return rc;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < sizeof(fixed_names) / sizeof(*fixed_names); i++)
		if (add_path(r, path, fixed_names[i], err, errlen) != 0)
			goto fail;
	snprintf(sub, sizeof(sub), "%s/contests", path);
	if ((d = opendir(sub)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			char **nnames;

			if (de->d_name[0] == '.')
				continue;
			if (nn == VR_MAX_FILES ||
			    (nnames = realloc(
			         names, (nn + 1) * sizeof(*names))) == NULL) {
				closedir(d);
				snprintf(err, errlen,
				         "contests/: too many "
				         "files");
				goto fail;
			}
			names = nnames;
			if ((names[nn] = malloc(strlen(de->d_name) + 11)) ==
			    NULL) {
				closedir(d);
				snprintf(err, errlen, "out of memory");
				goto fail;
			}
			sprintf(names[nn++], "contests/%s", de->d_name);
		}
		closedir(d);
		qsort(names, nn, sizeof(*names), cmp_name);
		for (size_t i = 0; i < nn; i++)
			if (add_path(r, path, names[i], err, errlen) != 0)
				goto fail;
	}
	for (size_t i = 0; i < nn; i++)
		free(names[i]);
	free(names);
	*out = r;
	return 0;
fail:
	for (size_t i = 0; i < nn; i++)
		free(names[i]);
	free(names);
	vr_record_free(r);
	return -1;
}

size_t vr_jsonl_lines(const vr_file *f, vr_line_fn fn, void *ctx,
                      void (*bad)(void *ctx, size_t lineno, const char *msg))
{
	const char *p = (const char *)f->data, *end = p + f->len;
	size_t lineno = 0;
	int reported = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		lineno++;
		if (!nl && !reported) {
			bad(ctx, lineno,
			    "the last line does not end with "
			    "a newline");
			reported = 1;
		}
		if (n == 0 && !reported) {
			bad(ctx, lineno, "an empty line");
			reported = 1;
		}
		if (n > 0)
			fn(ctx, lineno, p, n);
		p += n + (nl ? 1 : 0);
	}
	return lineno;
}
