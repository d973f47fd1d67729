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
	fputs("usage: verifier count [--method stv|ordered-list|referendum] "
	      "[--rule RULE]\n"
	      "                      [--seats N] [--format json|text|html] "
	      "[--seed S]\n"
	      "                      [--categories FILE] [--threshold N/D] "
	      "[--more-than]\n"
	      "                      [--abstentions counted|excluded] "
	      "[--output FILE] FILE.blt\n"
	      "\n"
	      "Counts the ballots in FILE.blt ('-' reads standard input) and "
	      "prints the result.\n"
	      "\n"
	      "  --method M         stv (default): elect --seats candidates;\n"
	      "                     ordered-list: rank every candidate by "
	      "repeated counts;\n"
	      "                     referendum: candidate 1 is yes, 2 no, "
	      "3 (optional) abstain\n"
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
	      "  --threshold N/D    referendum: the fraction of the base yes "
	      "must reach\n"
	      "                     (default 1/2 with --more-than: a simple "
	      "majority)\n"
	      "  --more-than        referendum: yes must exceed the "
	      "threshold, not just reach it\n"
	      "  --abstentions A    referendum: 'excluded' (default) or "
	      "'counted' in the base\n"
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
	    {"method", required_argument, NULL, 'm'},
	    {"threshold", required_argument, NULL, 't'},
	    {"more-than", no_argument, NULL, 'M'},
	    {"abstentions", required_argument, NULL, 'a'},
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
	const char *method = "stv";
	stv_threshold thr = {1, 2, 0, 0};
	int thr_given = 0, strict_given = 0;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "r:s:f:S:c:o:m:t:Ma:h", longopts,
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
		case 'm':
			if (strcmp(optarg, "stv") &&
			    strcmp(optarg, "ordered-list") &&
			    strcmp(optarg, "referendum")) {
				fprintf(stderr,
				        "verifier count: unknown method '%s' "
				        "(stv, ordered-list, referendum)\n",
				        optarg);
				return VX_USAGE;
			}
			method = optarg;
			break;
		case 't': {
			char *slash = strchr(optarg, '/');
			uint64_t num, den;

			if (slash == NULL) {
				fprintf(stderr, "verifier count: --threshold "
				                "needs N/D, e.g. 2/3\n");
				return VX_USAGE;
			}
			*slash = '\0';
			if (parse_u64(optarg, &num) != 0 ||
			    parse_u64(slash + 1, &den) != 0 || num == 0 ||
			    den > 1000000 || num >= den) {
				fprintf(stderr,
				        "verifier count: --threshold needs N/D "
				        "with 0 < N < D <= 1000000\n");
				return VX_USAGE;
			}
			thr.num = (int64_t)num;
			thr.den = (int64_t)den;
			thr_given = 1;
			break;
		}
		case 'M':
			strict_given = 1;
			break;
		case 'a':
			if (strcmp(optarg, "counted") == 0)
				thr.abstentions_count = 1;
			else if (strcmp(optarg, "excluded") == 0)
				thr.abstentions_count = 0;
			else {
				fprintf(stderr,
				        "verifier count: --abstentions is "
				        "'counted' or 'excluded'\n");
				return VX_USAGE;
			}
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
	/* A simple majority unless a threshold is given; --more-than makes
	 * any threshold strict. */
	thr.strict = thr_given ? strict_given : 1;
	stv_status st;
	if (strcmp(method, "referendum") == 0) {
		stv_referendum ref;

		if (stv_count_referendum(e, &thr, &ref, &err) != STV_OK) {
			fprintf(stderr, "verifier count: %s: cannot count: %s\n",
			        path, err.msg);
			rc = VX_FAIL;
			goto out;
		}
		st = strcmp(format, "json") == 0   ? stv_referendum_json(&ref, &text)
		     : strcmp(format, "text") == 0 ? stv_referendum_text(&ref, &text)
		                                   : stv_referendum_html(&ref, &text);
		stv_referendum_clear(&ref);
	} else if (strcmp(method, "ordered-list") == 0) {
		stv_list *l = NULL;

		if (stv_count_list(e, &opt, &l, &err) != STV_OK) {
			fprintf(stderr, "verifier count: %s: cannot count: %s\n",
			        path, err.msg);
			rc = VX_FAIL;
			goto out;
		}
		st = strcmp(format, "json") == 0   ? stv_list_json(l, &text)
		     : strcmp(format, "text") == 0 ? stv_list_text(l, &text)
		                                   : stv_list_html(l, &text);
		stv_list_free(l);
	} else {
		if (stv_count(e, &opt, &r, &err) != STV_OK) {
			fprintf(stderr, "verifier count: %s: cannot count: %s\n",
			        path, err.msg);
			rc = VX_FAIL;
			goto out;
		}
		st = strcmp(format, "json") == 0   ? stv_result_json(r, &text)
		     : strcmp(format, "text") == 0 ? stv_result_text(r, &text)
		                                   : stv_result_html(r, &text);
	}
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
