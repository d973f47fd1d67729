/*
 * replay.c: runs a fuzz target over a corpus directory, without libFuzzer,
 * so that every build (and ctest) checks the committed corpus with
 * whatever compiler and sanitizers it was configured with.
 *
 * usage: replay_NAME DIR
 *
 * Every regular file in DIR is read into a buffer of exactly its size (so
 * that AddressSanitizer sees a read past the end) and handed to
 * LLVMFuzzerTestOneInput, in the byte order of the file names so that a
 * failure is always met at the same place.  A crash or abort in the target
 * fails the run; so does a missing or empty DIR, which would otherwise
 * pass while testing nothing.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
	char **v;
	size_t n, cap;
} names;

static int add_name(names *ns, const char *s)
{
	if (ns->n == ns->cap) {
		size_t cap = ns->cap ? ns->cap * 2 : 64;
		char **v = realloc(ns->v, cap * sizeof *v);

		if (v == NULL)
			return -1;
		ns->v = v;
		ns->cap = cap;
	}
	if ((ns->v[ns->n] = strdup(s)) == NULL)
		return -1;
	ns->n++;
	return 0;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads path into a new buffer of exactly its size (1 byte if empty). */
static int slurp(const char *path, uint8_t **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	uint8_t *b;
	size_t n;

	if (f == NULL)
		return -1;
	if (fstat(fileno(f), &st) != 0 || st.st_size < 0) {
		fclose(f);
		return -1;
	}
	n = (size_t)st.st_size;
	if ((b = malloc(n ? n : 1)) == NULL) {
		fclose(f);
		errno = ENOMEM;
		return -1;
	}
	if (fread(b, 1, n, f) != n) {
		int e = ferror(f) && errno ? errno : EIO;

		free(b);
		fclose(f);
		errno = e;
		return -1;
	}
	fclose(f);
	*buf = b;
	*len = n;
	return 0;
}

int main(int argc, char **argv)
{
	names ns = {0};
	struct dirent *d;
	DIR *dir;
	int rc = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	if ((dir = opendir(argv[1])) == NULL) {
		fprintf(stderr, "%s: %s: %s\n", argv[0], argv[1],
		        strerror(errno));
		return 1;
	}
	while ((errno = 0, d = readdir(dir)) != NULL) {
		char path[4096];
		struct stat st;

		if (snprintf(path, sizeof path, "%s/%s", argv[1], d->d_name) >=
		    (int)sizeof path) {
			fprintf(stderr, "%s: path too long: %s/%s\n", argv[0],
			        argv[1], d->d_name);
			rc = 1;
			break;
		}
		if (stat(path, &st) != 0) {
			fprintf(stderr, "%s: %s: %s\n", argv[0], path,
			        strerror(errno));
			rc = 1;
			break;
		}
		if (!S_ISREG(st.st_mode))
			continue;
		if (add_name(&ns, path) != 0) {
			fprintf(stderr, "%s: out of memory\n", argv[0]);
			rc = 1;
			break;
		}
	}
	if (rc == 0 && errno != 0) {
		fprintf(stderr, "%s: %s: %s\n", argv[0], argv[1],
		        strerror(errno));
		rc = 1;
	}
	closedir(dir);
	if (rc == 0 && ns.n == 0) {
		fprintf(stderr, "%s: %s: no inputs to replay\n", argv[0],
		        argv[1]);
		rc = 1;
	}
	if (rc == 0) {
		qsort(ns.v, ns.n, sizeof *ns.v, cmp_name);
		for (size_t i = 0; i < ns.n; i++) {
			uint8_t *buf;
			size_t len;

			if (slurp(ns.v[i], &buf, &len) != 0) {
				fprintf(stderr, "%s: %s: %s\n", argv[0],
				        ns.v[i], strerror(errno));
				rc = 1;
				break;
			}
			/* Named first, so a crash shows which input. */
			printf("%s\n", ns.v[i]);
			if (fflush(stdout) != 0) {
				free(buf);
				rc = 1;
				break;
			}
			LLVMFuzzerTestOneInput(buf, len);
			free(buf);
		}
	}
	if (rc == 0)
		printf("%s: ran %zu inputs from %s\n", argv[0], ns.n, argv[1]);
	for (size_t i = 0; i < ns.n; i++)
		free(ns.v[i]);
	free(ns.v);
	return rc;
}
