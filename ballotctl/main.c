/*
 * main.c: ballotctl's options and its command table.
 *
 * Each command is one row: its words, its arguments, its options, what
 * it needs (the organiser credential), its handler and its help.  The
 * common checks run once, here, before any handler: --help, the number
 * of arguments, known options with their values, a valid poll id, the
 * server's URL, and the organiser credential (docs/ballotctl.md).
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ctl.h"
#include "record.h"
#include "trustee.h"

#define NEEDS_ORG 1u /* sends the organiser credential */
#define POLL_ARG  2u /* the first argument is a poll id */

/* An option a command takes: name, and whether it has a value. */
struct ctl_optdef {
	const char *name;
	int has_value;
	int required;
};

struct ctl_cmd {
	const char *words; /* "poll create" */
	const char *args;  /* for the usage line */
	int nargs;
	unsigned flags;
	struct ctl_optdef opts[CTL_MAX_OPTS];
	int (*handler)(struct ctl *);
	const char *help;
};

/* clang-format off */
static const struct ctl_cmd ctl_cmds[] = {
{ "poll create", "DEF.json", 1, NEEDS_ORG, {{0}}, ctl_cmd_poll_create,
  "Checks the poll definition DEF.json locally, sends it (the bytes as\n"
  "they are in the file) and checks that the server's poll_hash is the\n"
  "hash of those bytes.\n" },
{ "roll import", "POLL ROLL.csv --out CREDENTIALS.csv", 2,
  NEEDS_ORG | POLL_ARG, {{"out", 1, 1}}, ctl_cmd_roll_import,
  "Imports the roll ROLL.csv and writes the voters' credentials, which\n"
  "the server shows only this once, to CREDENTIALS.csv (mode 0600).  The\n"
  "file is created before anything is sent and never overwritten.\n"
  "  --out FILE   where the credentials go (required; must not exist)\n" },
{ "poll ceremony", "POLL [--allow-small-classes]", 1, NEEDS_ORG | POLL_ARG,
  {{"allow-small-classes", 0, 0}}, ctl_cmd_poll_ceremony,
  "Fixes the classes and makes their token keys; the trustees' key\n"
  "ceremony starts.  The server refuses a class with fewer voters than\n"
  "the definition's min_class_size unless told otherwise:\n"
  "  --allow-small-classes   accept small classes (a voter of a small\n"
  "                          class hides in a small crowd)\n" },
{ "poll open", "POLL", 1, NEEDS_ORG | POLL_ARG, {{0}}, ctl_cmd_poll_open,
  "Opens the poll (the ceremony must be done).\n" },
{ "poll close", "POLL", 1, NEEDS_ORG | POLL_ARG, {{0}}, ctl_cmd_poll_close,
  "Closes the poll; prints the final signed tree head and checks its\n"
  "signature.\n" },
{ "poll schedule", "POLL --opens T --closes T", 1, NEEDS_ORG | POLL_ARG,
  {{"opens", 1, 1}, {"closes", 1, 1}}, ctl_cmd_poll_schedule,
  "Sets the opening and closing times.\n"
  "  --opens T    RFC 3339 UTC time (2026-12-01T09:00:00Z), or none\n"
  "  --closes T   the same; later than --opens\n" },
{ "poll status", "POLL", 1, POLL_ARG, {{0}}, ctl_cmd_poll_status,
  "Prints the state and the tokens issued and ballots cast per class.\n" },
{ "vote", "POLL (--credential C | --credential-file F | --revote TOKEN) "
  "(--ballot JSON | --ballot-file F) --receipt OUT.json", 1, POLL_ARG,
  {{"credential", 1, 0}, {"credential-file", 1, 0}, {"ballot", 1, 0},
   {"ballot-file", 1, 0}, {"receipt", 1, 1}, {"state", 1, 0},
   {"class", 1, 0}, {"keep-token", 1, 0}, {"revote", 1, 0}},
  ctl_cmd_vote,
  "Casts a ballot: checks it against the poll and your class, gets a\n"
  "blind-signed token, seals the ballot to the election key, casts it on\n"
  "a new connection, verifies the receipt and writes it.\n"
  "  --credential C        your credential (VOTER:XXXX-...); prefer the\n"
  "  --credential-file F   file form, which other users cannot see\n"
  "  --ballot JSON         your choices: {\"committee\":[3,1,2]}, one list\n"
  "  --ballot-file F       per contest of your class, best first; []\n"
  "                        is a blank vote\n"
  "  --receipt OUT.json    where the receipt goes (must not exist)\n"
  "  --state FILE          progress, to resume after a failure\n"
  "                        (default OUT.json.state; removed at the end)\n"
  "  --class ID            your class, when the ballot does not tell it\n"
  "  --keep-token FILE     (polls with revoting) keep the token and its\n"
  "                        key in FILE (0600), for --revote: a SECRET,\n"
  "                        whoever holds it can replace your vote\n"
  "  --revote TOKEN        cast a new ballot with the token kept by\n"
  "                        --keep-token; it replaces the earlier one\n" },
{ "check-receipt", "POLL RECEIPT.json", 2, POLL_ARG, {{0}},
  ctl_cmd_check_receipt,
  "Checks a receipt against the board as it is now: the receipt's\n"
  "signatures and proof, the latest signed tree head, the inclusion of\n"
  "the entry under it, and the consistency of the two heads.\n" },
{ "board sth", "POLL", 1, POLL_ARG, {{0}}, ctl_cmd_board_sth,
  "Prints the latest signed tree head, its signature checked.\n" },
{ "board entries", "POLL [--start A] [--end B]", 1, POLL_ARG,
  {{"start", 1, 0}, {"end", 1, 0}}, ctl_cmd_board_entries,
  "Prints the board entries A..B-1 (at most 1000 at a time; default\n"
  "from 0, and as many as the server gives), each with its leaf hash\n"
  "computed here from the entry's bytes.\n" },
{ "tally", "POLL --out DIR", 1, POLL_ARG, {{"out", 1, 1}}, ctl_cmd_tally,
  "After the close and k trustees' releases: rebuilds the election key,\n"
  "decrypts and checks every ballot, counts every contest and writes the\n"
  "election record (docs/record.md) to DIR and DIR.record.tar.\n"
  "  --out DIR   the record's directory (must not exist)\n" },
{ "publish", "POLL RECORD.tar", 2, NEEDS_ORG | POLL_ARG, {{0}},
  ctl_cmd_publish,
  "Uploads the record tarball that tally wrote; the poll becomes\n"
  "published and the record is served at /polls/POLL/record.tar.\n" },
};
/* clang-format on */
#define CTL_NCMDS (sizeof(ctl_cmds) / sizeof(ctl_cmds[0]))

static const char ctl_global_help[] =
    "Global options (anywhere on the line):\n"
    "  --server URL      https://HOST[:PORT] (or http:// to a loopback\n"
    "                    address); default $BALLOT_SERVER\n"
    "  --cacert FILE     CA certificates to check the server against\n"
    "                    (default: the system store)\n"
    "  --insecure        no certificate check; 127.0.0.1 only, for tests\n"
    "  --organiser-credential-file FILE\n"
    "                    the organiser credential (or the environment\n"
    "                    variable BALLOT_ORGANISER_CREDENTIAL)\n"
    "  --json            print the server's JSON answers\n"
    "  --timeout SECONDS network time limit per step (default 30)\n"
    "  --help            help on ballotctl or on a command\n"
    "Exit codes: 0 ok, 1 refused by the server or a check failed,\n"
    "2 usage, 3 file or network error.\n";

static void ctl_usage_all(FILE *f)
{
	size_t i;

	fputs("usage: ballotctl [global options] COMMAND ...\n\nCommands:\n",
	      f);
	for (i = 0; i < CTL_NCMDS; i++)
		fprintf(f, "  %s %s\n", ctl_cmds[i].words, ctl_cmds[i].args);
	fputs("  trustee keygen | ceremony | release ...   (the trustees' key "
	      "ceremony;\n      'ballotctl trustee --help')\n\n",
	      f);
	fputs(ctl_global_help, f);
	fputs("\n'ballotctl COMMAND --help' describes a command; "
	      "docs/ballotctl.md has examples.\n",
	      f);
}

static void ctl_usage_group(FILE *f, const char *group)
{
	size_t i, gl = strlen(group);

	fprintf(f,
	        "usage: ballotctl [global options] %s SUBCOMMAND ...\n\n"
	        "Subcommands:\n",
	        group);
	for (i = 0; i < CTL_NCMDS; i++)
		if (strncmp(ctl_cmds[i].words, group, gl) == 0 &&
		    ctl_cmds[i].words[gl] == ' ')
			fprintf(f, "  %s %s\n", ctl_cmds[i].words,
			        ctl_cmds[i].args);
}

static void ctl_usage_cmd(FILE *f, const struct ctl_cmd *cmd)
{
	fprintf(f, "usage: ballotctl [global options] %s %s\n\n%s", cmd->words,
	        cmd->args, cmd->help);
	if (cmd->flags & NEEDS_ORG)
		fputs("Needs the organiser credential "
		      "(--organiser-credential-file\n"
		      "or BALLOT_ORGANISER_CREDENTIAL).\n",
		      f);
	fputs("\n", f);
	fputs(ctl_global_help, f);
}

const char *ctl_opt(const struct ctl *c, const char *name)
{
	int i;

	for (i = 0; i < c->nopts; i++)
		if (strcmp(c->opts[i].name, name) == 0)
			return c->opts[i].value;
	return NULL;
}

/* A global option at argv[*i]: 1 (taken), 0 (not global), -1 (error). */
static int ctl_global_opt(struct ctl *c, int argc, char **argv, int *i)
{
	static const char *const with_value[] = {"--server", "--cacert",
	                                         "--organiser-credential-file",
	                                         "--timeout", NULL};
	const char *a = argv[*i], *v = NULL;
	size_t k;

	if (strcmp(a, "--insecure") == 0) {
		c->insecure = 1;
		return 1;
	}
	if (strcmp(a, "--json") == 0) {
		c->json = 1;
		return 1;
	}
	for (k = 0; with_value[k] != NULL; k++) {
		size_t l = strlen(with_value[k]);

		if (strncmp(a, with_value[k], l) == 0 &&
		    (a[l] == '\0' || a[l] == '='))
			break;
	}
	if (with_value[k] == NULL)
		return 0;
	if (a[strlen(with_value[k])] == '=')
		v = a + strlen(with_value[k]) + 1;
	else if (*i + 1 < argc)
		v = argv[++*i];
	if (v == NULL) {
		ctl_warnx("%s needs a value", with_value[k]);
		return -1;
	}
	switch (k) {
	case 0:
		c->server = v;
		break;
	case 1:
		c->cacert = v;
		break;
	case 2:
		c->org_cred_file = v;
		break;
	case 3: {
		char *end;
		unsigned long t = strtoul(v, &end, 10);

		if (*v < '0' || *v > '9' || *end != '\0' || t < 1 || t > 3600) {
			ctl_warnx("--timeout %s: expected whole seconds from "
			          "1 to 3600",
			          v);
			return -1;
		}
		c->timeout = (unsigned)t;
		break;
	}
	}
	return 1;
}

/* Finds the command named by the words at argv[first..]: *used words. */
static const struct ctl_cmd *ctl_find_cmd(int argc, char **argv, int first,
                                          int *used)
{
	size_t i;

	for (i = 0; i < CTL_NCMDS; i++) {
		const char *w = ctl_cmds[i].words;
		int k = first;

		while (*w != '\0' && k < argc) {
			size_t l = strcspn(w, " ");

			if (strlen(argv[k]) != l || strncmp(argv[k], w, l) != 0)
				break;
			w += l;
			if (*w == ' ')
				w++;
			k++;
		}
		if (*w == '\0') {
			*used = k - first;
			return &ctl_cmds[i];
		}
	}
	return NULL;
}

static int ctl_is_group(const char *w)
{
	size_t i, l = strlen(w);

	for (i = 0; i < CTL_NCMDS; i++)
		if (strncmp(ctl_cmds[i].words, w, l) == 0 &&
		    ctl_cmds[i].words[l] == ' ')
			return 1;
	return 0;
}

/* The command's own arguments and options, and the global options
 * anywhere among them.  An exit code (CTL_EXIT_OK to go on). */
static int ctl_parse_rest(struct ctl *c, const struct ctl_cmd *cmd, int argc,
                          char **argv, int i)
{
	int k, g;

	for (; i < argc; i++) {
		const char *a = argv[i];

		if ((g = ctl_global_opt(c, argc, argv, &i)) == -1)
			return CTL_EXIT_USAGE;
		if (g == 1)
			continue;
		if (strncmp(a, "--", 2) == 0 && a[2] != '\0') {
			const char *name = a + 2, *eq = strchr(name, '=');
			size_t nl = eq ? (size_t)(eq - name) : strlen(name);
			const struct ctl_optdef *d = NULL;

			for (k = 0; k < CTL_MAX_OPTS && cmd->opts[k].name; k++)
				if (strlen(cmd->opts[k].name) == nl &&
				    strncmp(cmd->opts[k].name, name, nl) == 0)
					d = &cmd->opts[k];
			if (d == NULL) {
				ctl_warnx("%s: unknown option %.*s (see "
				          "'ballotctl %s --help')",
				          cmd->words, (int)nl + 2, a,
				          cmd->words);
				return CTL_EXIT_USAGE;
			}
			if (ctl_opt(c, d->name) != NULL) {
				ctl_warnx("%s: --%s given twice", cmd->words,
				          d->name);
				return CTL_EXIT_USAGE;
			}
			c->opts[c->nopts].name = d->name;
			if (!d->has_value) {
				c->opts[c->nopts].value = "";
			} else if (eq != NULL) {
				c->opts[c->nopts].value = eq + 1;
			} else if (i + 1 < argc) {
				c->opts[c->nopts].value = argv[++i];
			} else {
				ctl_warnx("%s: --%s needs a value", cmd->words,
				          d->name);
				return CTL_EXIT_USAGE;
			}
			c->nopts++;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			/* Everything after is an argument. */
			for (i++; i < argc; i++) {
				if (c->nargs == CTL_MAX_ARGS)
					break;
				c->args[c->nargs++] = argv[i];
			}
			break;
		}
		if (c->nargs == CTL_MAX_ARGS || c->nargs == cmd->nargs) {
			ctl_warnx("%s: unexpected argument \"%s\" (usage: "
			          "ballotctl %s %s)",
			          cmd->words, a, cmd->words, cmd->args);
			return CTL_EXIT_USAGE;
		}
		c->args[c->nargs++] = a;
	}
	if (c->nargs != cmd->nargs) {
		ctl_warnx("%s: expected %d argument%s (usage: ballotctl %s %s)",
		          cmd->words, cmd->nargs, cmd->nargs == 1 ? "" : "s",
		          cmd->words, cmd->args);
		return CTL_EXIT_USAGE;
	}
	for (k = 0; k < CTL_MAX_OPTS && cmd->opts[k].name; k++)
		if (cmd->opts[k].required &&
		    ctl_opt(c, cmd->opts[k].name) == NULL) {
			ctl_warnx("%s: --%s is required (usage: ballotctl %s "
			          "%s)",
			          cmd->words, cmd->opts[k].name, cmd->words,
			          cmd->args);
			return CTL_EXIT_USAGE;
		}
	return CTL_EXIT_OK;
}

/* The checks every command shares, after its line is parsed. */
static int ctl_common_checks(struct ctl *c, const struct ctl_cmd *cmd)
{
	char err[512];
	const char *env;

	if ((cmd->flags & POLL_ARG) && !ctl_valid_poll_id(c->args[0])) {
		ctl_warnx("%s: \"%.80s\" is not a poll id ([a-z0-9][a-z0-9-] "
		          "up to 63 characters)",
		          cmd->words, c->args[0]);
		return CTL_EXIT_USAGE;
	}
	if (c->server == NULL)
		c->server = getenv("BALLOT_SERVER");
	if (c->server == NULL) {
		ctl_warnx("no server: give --server URL or set BALLOT_SERVER");
		return CTL_EXIT_USAGE;
	}
	if (ctl_url_parse(c->server, &c->url, err, sizeof(err)) == -1) {
		ctl_warnx("%s", err);
		return CTL_EXIT_USAGE;
	}
	if (c->insecure && !(c->url.tls && c->url.ip_literal &&
	                     strcmp(c->url.host, "127.0.0.1") == 0)) {
		ctl_warnx("--insecure is for tests against https://127.0.0.1 "
		          "only; use --cacert FILE");
		return CTL_EXIT_USAGE;
	}
	if (cmd->flags & NEEDS_ORG) {
		if (c->org_cred_file != NULL) {
			if (ctl_read_secret_line(c->org_cred_file,
			                         &c->org_cred) == -1)
				return CTL_EXIT_IO;
		} else if ((env = getenv("BALLOT_ORGANISER_CREDENTIAL")) !=
		               NULL &&
		           *env != '\0') {
			if ((c->org_cred = strdup(env)) == NULL) {
				ctl_warnx("out of memory");
				return CTL_EXIT_IO;
			}
		} else {
			ctl_warnx("%s needs the organiser credential: "
			          "--organiser-credential-file FILE or "
			          "BALLOT_ORGANISER_CREDENTIAL",
			          cmd->words);
			return CTL_EXIT_USAGE;
		}
		if (strpbrk(c->org_cred, " \t\r\n") != NULL) {
			ctl_warnx("the organiser credential holds white space");
			return CTL_EXIT_USAGE;
		}
	}
	return CTL_EXIT_OK;
}

static int ctl_has_help(int argc, char **argv, int from)
{
	int i;

	for (i = from; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return 0;
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0)
			return 1;
	}
	return 0;
}

/*
 * jansson's free, wiping the block first: the vote's state file and the
 * token request pass secrets (the blinding inverse, the credential)
 * through jansson's strings.  Blocks come from malloc as before, so what
 * jansson returns (json_dumps) may still be released with free().
 */
static void ctl_json_free(void *p)
{
	if (p == NULL)
		return;
	bc_wipe(p, malloc_usable_size(p));
	free(p);
}

int main(int argc, char **argv)
{
	struct ctl c;
	const struct ctl_cmd *cmd;
	int i, used, g, rc;

	memset(&c, 0, sizeof(c));
	c.timeout = 30;
	json_set_alloc_funcs(malloc, ctl_json_free);
	/* Global options before the command. */
	for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (strcmp(argv[i], "--help") == 0) {
			ctl_usage_all(stdout);
			return CTL_EXIT_OK;
		}
		if (strcmp(argv[i], "--version") == 0) {
			puts("ballotctl 0.1.0");
			return CTL_EXIT_OK;
		}
		if ((g = ctl_global_opt(&c, argc, argv, &i)) == -1)
			return CTL_EXIT_USAGE;
		if (g == 0) {
			ctl_warnx("unknown option %s (see 'ballotctl --help')",
			          argv[i]);
			return CTL_EXIT_USAGE;
		}
	}
	if (i == argc) {
		ctl_usage_all(stderr);
		return CTL_EXIT_USAGE;
	}
	if (strcmp(argv[i], "help") == 0) {
		ctl_usage_all(stdout);
		return CTL_EXIT_OK;
	}
	/* The trustees' commands have their own parser (trustee.c); it
	 * reads the global options before the word "trustee" again. */
	if (strcmp(argv[i], "trustee") == 0)
		return ctl_trustee_main(argc, argv);
	cmd = ctl_find_cmd(argc, argv, i, &used);
	if (cmd == NULL) {
		if (ctl_is_group(argv[i])) {
			int help = ctl_has_help(argc, argv, i + 1);

			if (!help)
				ctl_warnx("%s: %s%s", argv[i],
				          i + 1 < argc
				              ? "unknown subcommand "
				              : "a subcommand is needed",
				          i + 1 < argc ? argv[i + 1] : "");
			ctl_usage_group(help ? stdout : stderr, argv[i]);
			return help ? CTL_EXIT_OK : CTL_EXIT_USAGE;
		}
		ctl_warnx("unknown command \"%s\" (see 'ballotctl --help')",
		          argv[i]);
		return CTL_EXIT_USAGE;
	}
	if (ctl_has_help(argc, argv, i + used)) {
		ctl_usage_cmd(stdout, cmd);
		return CTL_EXIT_OK;
	}
	rc = ctl_parse_rest(&c, cmd, argc, argv, i + used);
	if (rc == CTL_EXIT_OK)
		rc = ctl_common_checks(&c, cmd);
	if (rc == CTL_EXIT_OK)
		rc = cmd->handler(&c);
	ctl_free_secret(c.org_cred);
	if (fflush(stdout) == EOF && rc == CTL_EXIT_OK)
		rc = CTL_EXIT_IO;
	return rc;
}
