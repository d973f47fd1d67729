/*
 * cmd_count.c: `verifier count`, a recount of a BLT file by one rule.
 */
#include "stv.h"
#include "verifier.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
	fputs("usage: verifier count [--rule RULE] [--seats N] "
	      "[--format json|text|html]\n"
	      "                      [--seed S] [--categories FILE] "
	      "[--output FILE] FILE.blt\n"
	      "\n"
	      "Counts the ballots in FILE.blt ('-' reads standard input) and "
	      "prints the result.\n"
	      "\n"
	      "  --rule RULE        scottish-stv (default), meek, wigm, "
	      "ers97 or irv\n"
	      "  --seats N          seats to fill (default: the file's "
	      "header)\n"
	      "  --format FMT       json (default), text or html\n"
	      "  --seed S           draw ties 'by lot' with this seed (an "
	      "unsigned integer);\n"
	      "                     without it a tie by lot goes to the "
	      "candidate first in the\n"
	      "                     file's [tie] line, else in the file\n"
	      "  --categories FILE  candidates' categories and constraints "
	      "(docs/stv.md)\n"
	      "  --output FILE      write the result to FILE instead of "
	      "standard output\n"
	      "  --help             this text\n"
	      "\n"
	      "Exit status: 0 counted, 1 cannot be counted (e.g. more seats "
	      "than candidates),\n"
	      "2 bad command line, 3 a file cannot be read or is "
	      "malformed.\n",
	      f);
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

int cmd_count(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"rule", required_argument, NULL, 'r'},
	    {"seats", required_argument, NULL, 's'},
	    {"format", required_argument, NULL, 'f'},
	    {"seed", required_argument, NULL, 'S'},
	    {"categories", required_argument, NULL, 'c'},
	    {"output", required_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	stv_options opt = {STV_RULE_SCOTTISH, 0, 0, 0, NULL};
	const char *format = "json", *catpath = NULL, *outpath = NULL;
	stv_election *e = NULL;
	stv_constraints *k = NULL;
	stv_result *r = NULL;
	stv_error err;
	char *text = NULL, *buf = NULL;
	size_t len;
	int ch, rc = VX_OK;
	uint64_t u;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "r:s:f:S:c:o:h", longopts,
	                         NULL)) != -1) {
		switch (ch) {
		case 'r':
			if (stv_rule_from_name(optarg, &opt.rule) != 0) {
				fprintf(stderr,
				        "verifier count: unknown rule '%s' "
				        "(scottish-stv, meek, wigm, ers97, "
				        "irv)\n",
				        optarg);
				return VX_USAGE;
			}
			break;
		case 's':
			if (parse_u64(optarg, &u) != 0 || u < 1 || u > 10000) {
				fprintf(stderr,
				        "verifier count: --seats needs a whole "
				        "number from 1 to 10000, not '%s'\n",
				        optarg);
				return VX_USAGE;
			}
			opt.seats = (int)u;
			break;
		case 'f':
			if (strcmp(optarg, "json") && strcmp(optarg, "text") &&
			    strcmp(optarg, "html")) {
				fprintf(stderr,
				        "verifier count: unknown format '%s' "
				        "(json, text, html)\n",
				        optarg);
				return VX_USAGE;
			}
			format = optarg;
			break;
		case 'S':
			if (parse_u64(optarg, &opt.seed) != 0) {
				fprintf(stderr,
				        "verifier count: --seed needs an "
				        "unsigned integer, not '%s'\n",
				        optarg);
				return VX_USAGE;
			}
			opt.seeded = 1;
			break;
		case 'c':
			catpath = optarg;
			break;
		case 'o':
			outpath = optarg;
			break;
		case 'h':
			usage(stdout);
			return VX_OK;
		default:
			usage(stderr);
			return VX_USAGE;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "verifier count: expected one ballot file\n");
		usage(stderr);
		return VX_USAGE;
	}
	const char *path = argv[optind];
	if (read_file(path, &buf, &len) != 0) {
		fprintf(stderr, "verifier count: %s: %s\n", path,
		        strerror(errno));
		return VX_INPUT;
	}
	if (stv_blt_read(buf, len, &e, &err) != STV_OK) {
		if (err.line > 0)
			fprintf(stderr, "verifier count: %s:%d:%d: %s\n", path,
			        err.line, err.column, err.msg);
		else
			fprintf(stderr, "verifier count: %s: %s\n", path,
			        err.msg);
		rc = VX_INPUT;
		goto out;
	}
	free(buf);
	buf = NULL;
	if (catpath) {
		if (read_file(catpath, &buf, &len) != 0) {
			fprintf(stderr, "verifier count: %s: %s\n", catpath,
			        strerror(errno));
			rc = VX_INPUT;
			goto out;
		}
		if (stv_constraints_read(e, buf, len, &k, &err) != STV_OK) {
			fprintf(stderr, "verifier count: %s:%d:%d: %s\n",
			        catpath, err.line, err.column, err.msg);
			rc = VX_INPUT;
			goto out;
		}
		opt.constraints = k;
	}
	if (stv_count(e, &opt, &r, &err) != STV_OK) {
		fprintf(stderr, "verifier count: %s: cannot count: %s\n", path,
		        err.msg);
		rc = VX_FAIL;
		goto out;
	}
	stv_status st = strcmp(format, "json") == 0   ? stv_result_json(r, &text)
	                : strcmp(format, "text") == 0 ? stv_result_text(r, &text)
	                                              : stv_result_html(r, &text);
	if (st != STV_OK) {
		fprintf(stderr, "verifier count: out of memory\n");
		rc = VX_FAIL;
		goto out;
	}
	FILE *f = outpath ? fopen(outpath, "w") : stdout;
	if (f == NULL) {
		fprintf(stderr, "verifier count: %s: %s\n", outpath,
		        strerror(errno));
		rc = VX_INPUT;
		goto out;
	}
	if (fputs(text, f) == EOF || (f != stdout && fclose(f) != 0) ||
	    (f == stdout && fflush(stdout) != 0)) {
		fprintf(stderr, "verifier count: cannot write the result: %s\n",
		        strerror(errno));
		rc = VX_FAIL;
	}
out:
	free(text);
	free(buf);
	stv_result_free(r);
	stv_constraints_free(k);
	stv_election_free(e);
	return rc;
}
