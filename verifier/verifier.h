/* verifier.h: the verifier's subcommands. */
#ifndef VERIFIER_H
#define VERIFIER_H

#include <stddef.h>

/* Exit codes, documented in docs/verifier.md. */
enum {
	VX_OK = 0,
	VX_FAIL = 1,  /* the input was read but could not be counted/checked */
	VX_USAGE = 2, /* bad command line */
	VX_INPUT = 3  /* a file could not be read or is malformed */
};

int cmd_count(int argc, char **argv);
int cmd_check(int argc, char **argv);

/* Reads a whole file ('-' is stdin).  OUT: *buf (malloc'd, NUL added),
 * *len.  Returns 0, or -1 with errno set. */
int read_file(const char *path, char **buf, size_t *len);

#endif
