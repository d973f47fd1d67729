/*
 * verifier: the scrutineer's program.  `verifier count` recounts a BLT
 * ballot file with the STV core; later subcommands check a published
 * election record.
 */
#include "verifier.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
	fputs("usage: verifier COMMAND [OPTIONS] ...\n"
	      "\n"
	      "Commands:\n"
	      "  count    count a BLT ballot file by an STV rule and print "
	      "the result\n"
	      "  check    check a published election record: signatures, "
	      "the board,\n"
	      "           decryptions, verdicts and a recount of every "
	      "contest\n"
	      "\n"
	      "Run 'verifier COMMAND --help' for a command's options.\n"
	      "Exit status: 0 success, 1 the count or check failed, 2 bad "
	      "command line,\n"
	      "3 an input file could not be read or is malformed.\n",
	      f);
}

int read_file(const char *path, char **buf, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	size_t cap = 1 << 16, n = 0;
	char *b;

	if (f == NULL)
		return -1;
	if ((b = malloc(cap)) == NULL) {
		if (f != stdin)
			fclose(f);
		errno = ENOMEM;
		return -1;
	}
	for (;;) {
		size_t k;

		if (n + 1 == cap) {
			char *nb = realloc(b, cap * 2);

			if (nb == NULL) {
				free(b);
				if (f != stdin)
					fclose(f);
				errno = ENOMEM;
				return -1;
			}
			b = nb;
			cap *= 2;
		}
		k = fread(b + n, 1, cap - 1 - n, f);
		n += k;
		if (k == 0)
			break;
	}
	if (ferror(f)) {
		int e = errno ? errno : EIO;

		free(b);
		if (f != stdin)
			fclose(f);
		errno = e;
		return -1;
	}
	if (f != stdin)
		fclose(f);
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return VX_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return VX_OK;
	}
	if (strcmp(argv[1], "count") == 0)
		return cmd_count(argc - 1, argv + 1);
	if (strcmp(argv[1], "check") == 0)
		return cmd_check(argc - 1, argv + 1);
	fprintf(stderr, "verifier: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return VX_USAGE;
}
