/*
 * parse-bench.c: times stv_blt_read alone on a BLT file, so that the
 * benchmark can tell the cost of reading and grouping the ballots apart
 * from the cost of a count.
 *
 * usage: parse-bench FILE.blt [RUNS]
 *
 * The file is read into memory once, outside the timing; then the reader
 * runs RUNS times (default 5) on the same buffer, each run timed with
 * CLOCK_MONOTONIC.  The output is "key value" lines, meant for scripts:
 * every run's seconds, the median and the fastest, and what the reader
 * found (candidates, papers, distinct rankings, invalid ballot lines).
 */
#include "stv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_RUNS 100

static int read_all(const char *path, char **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 1 << 20, n = 0;
	char *b = NULL;

	if (f == NULL)
		return -1;
	for (;;) {
		if (b == NULL || n == cap) {
			char *nb = realloc(b, b == NULL ? cap : cap * 2);

			if (nb == NULL) {
				free(b);
				fclose(f);
				errno = ENOMEM;
				return -1;
			}
			if (b != NULL)
				cap *= 2;
			b = nb;
		}
		size_t k = fread(b + n, 1, cap - n, f);
		n += k;
		if (k == 0)
			break;
	}
	if (ferror(f)) {
		int e = errno ? errno : EIO;

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

static double now(void)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC cannot fail with a valid pointer on Linux. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	double t[MAX_RUNS];
	stv_election *e = NULL;
	stv_error err;
	char *buf, *end;
	size_t len;
	long runs = 5;

	if (argc < 2 || argc > 3 || strcmp(argv[1], "--help") == 0) {
		fprintf(argc == 2 ? stdout : stderr,
		        "usage: parse-bench FILE.blt [RUNS]\n"
		        "Times stv_blt_read alone on FILE.blt, RUNS times "
		        "(1..%d, default 5).\n",
		        MAX_RUNS);
		return argc == 2 ? 0 : 2;
	}
	if (argc == 3) {
		errno = 0;
		runs = strtol(argv[2], &end, 10);
		if (errno || *end || end == argv[2] || runs < 1 ||
		    runs > MAX_RUNS) {
			fprintf(stderr,
			        "parse-bench: RUNS is a whole number from 1 to "
			        "%d, not '%s'\n",
			        MAX_RUNS, argv[2]);
			return 2;
		}
	}
	if (read_all(argv[1], &buf, &len) != 0) {
		fprintf(stderr, "parse-bench: %s: %s\n", argv[1],
		        strerror(errno));
		return 3;
	}
	for (long i = 0; i < runs; i++) {
		double t0 = now();
		stv_status st = stv_blt_read(buf, len, &e, &err);

		t[i] = now() - t0;
		if (st != STV_OK) {
			fprintf(stderr, "parse-bench: %s:%d:%d: %s\n", argv[1],
			        err.line, err.column, err.msg);
			free(buf);
			return 3;
		}
		/* Keep the last election for its figures. */
		if (i + 1 < runs) {
			stv_election_free(e);
			e = NULL;
		}
	}
	printf("bytes %zu\n", len);
	printf("candidates %d\n", stv_election_candidates(e));
	printf("papers %" PRId64 "\n", stv_election_papers(e));
	printf("invalid %" PRId64 "\n", stv_election_invalid(e));
	printf("rankings %zu\n", stv_election_rankings(e));
	for (long i = 0; i < runs; i++)
		printf("run %.4f\n", t[i]);
	qsort(t, (size_t)runs, sizeof t[0], cmp_double);
	printf("median %.4f\n", t[runs / 2]);
	printf("min %.4f\n", t[0]);
	printf("max %.4f\n", t[runs - 1]);
	stv_election_free(e);
	free(buf);
	if (fflush(stdout) != 0) {
		fprintf(stderr, "parse-bench: cannot write: %s\n",
		        strerror(errno));
		return 1;
	}
	return 0;
}
