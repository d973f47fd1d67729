/*
 * check.h: the smallest test harness.  Each file in tests/unit/ is one
 * program; CHECK records a failure with file and line and goes on; the
 * program's exit status is the number of failures (capped at 100).
 */
#ifndef CHECK_H
#define CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failures;

#define CHECK(cond)                                                        \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
			        __LINE__, #cond);                          \
			check_failures++;                                  \
		}                                                          \
	} while (0)

#define CHECK_STR(got, want)                                               \
	do {                                                               \
		const char *g_ = (got), *w_ = (want);                      \
		if (g_ == NULL || strcmp(g_, w_) != 0) {                   \
			fprintf(stderr, "%s:%d: got \"%s\", want \"%s\"\n",  \
			        __FILE__, __LINE__, g_ ? g_ : "(null)", w_);   \
			check_failures++;                                  \
		}                                                          \
	} while (0)

#define CHECK_DONE() return check_failures > 100 ? 100 : check_failures

#endif
