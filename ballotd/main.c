/*
 * main.c: ballotd, the ballot server.  Reads the configuration, binds,
 * starts the event-loop threads, and waits for SIGTERM or SIGINT to
 * stop cleanly.  docs/operator.md describes every flag and key.
 *
 * Before the daemon is up, errors go through err(3)/errx(3) and exit 1
 * (2 for a malformed command line); after, through log.h.
 */
#include <err.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "app_int.h"
#include "bcrypto.h"
#include "config.h"
#include "log.h"
#include "schedule.h"
#include "server.h"

#define BD_MAX_FLAGS 32

/* clang-format off */
static void usage(FILE *f)
{
	fprintf(f,
"usage: ballotd [--config FILE] [--listen ADDR:PORT --cert FILE --key FILE]\n"
"               [--http 127.0.0.1:PORT] [--db FILE] [--threads N]\n"
"               [--organiser-credential-file FILE] [--log-level LEVEL]\n"
"               [--web-root DIR]\n"
"       ballotd --help | --version\n"
"\n"
"  --config FILE       settings as `key = value` lines; flags override them\n"
"  --listen ADDR:PORT  serve HTTPS here, e.g. 0.0.0.0:8443 or [::]:8443\n"
"  --cert FILE         PEM certificate chain for --listen\n"
"  --key FILE          PEM private key for --listen\n"
"  --http ADDR:PORT    serve plain HTTP here; loopback addresses only\n"
"  --db FILE           the SQLite database\n"
"  --threads N         event-loop threads, 1 to 256 (default 4)\n"
"  --organiser-credential-file FILE\n"
"                      sha256:<hex> of the organiser credential, or the\n"
"                      credential itself (demo)\n"
"  --log-level LEVEL   error, warn, info (default) or debug\n"
"  --web-root DIR      serve the voter's pages (the web/ folder) from DIR\n"
"\n"
"Exit status: 0 after a clean stop on SIGTERM or SIGINT, 1 if the daemon\n"
"cannot start, 2 for a malformed command line.  See docs/operator.md.\n");
}

/* clang-format on */

/* libevent's own messages, into our log. */
static void bd_event_log(int severity, const char *msg)
{
	enum bd_log_level level = BD_LOG_DEBUG;

	if (severity == EVENT_LOG_WARN)
		level = BD_LOG_WARN;
	else if (severity == EVENT_LOG_ERR)
		level = BD_LOG_ERROR;
	bd_log(level, "libevent: %s", msg);
}

/*
 * More connections need more descriptors: take the hard limit, since
 * libevent 2.1 has no cap of its own (docs/operator.md, "Limits").
 */
static void bd_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			warn("setrlimit(RLIMIT_NOFILE)");
	}
}

/* What the server's hooks share: the app and the scheduler. */
struct bd_main {
	struct bd_app app;
	struct bd_sched *sched;
};

/* Each loop's context: its own store reader and caches. */
static void *bd_thread_init(void *arg, unsigned index)
{
	struct bd_main *m = arg;
	struct bd_tctx *tc;

	if ((tc = bd_tctx_new(&m->app)) == NULL)
		bd_fatalx("loop %u: cannot open its store reader", index);
	return tc;
}

static void bd_thread_fini(void *arg, void *ctx)
{
	(void)arg;
	bd_tctx_free(ctx);
}

/*
 * After every loop stopped: no request is left to answer, so the
 * scheduler stops, then the store lets its writer drain (every accepted
 * cast gets its callback) and closes the file.
 */
static void bd_shutdown(void *arg)
{
	struct bd_main *m = arg;

	bd_sched_stop(m->sched);
	m->sched = NULL;
	store_close(m->app.store);
	m->app.store = NULL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"listen", required_argument, NULL, 'l'},
	    {"http", required_argument, NULL, 'p'},
	    {"cert", required_argument, NULL, 'C'},
	    {"key", required_argument, NULL, 'K'},
	    {"db", required_argument, NULL, 'd'},
	    {"threads", required_argument, NULL, 't'},
	    {"organiser-credential-file", required_argument, NULL, 'o'},
	    {"log-level", required_argument, NULL, 'L'},
	    {"web-root", required_argument, NULL, 'w'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0}};
	/* Flags are applied after the file, so that they override it. */
	struct {
		const char *key, *value;
	} flags[BD_MAX_FLAGS];
	struct bd_config cfg;
	struct bd_server *srv = NULL;
	struct bd_server_hooks hooks;
	struct bd_main m;
	store_error serr;
	const char *config_file = NULL, *key = NULL;
	char errbuf[PATH_MAX + 256];
	uint8_t org_hash[32];
	sigset_t sigs;
	size_t nflags = 0, i;
	unsigned cut;
	int ch, sig, plain;

	/* Before any libevent object exists, so that every one has locks. */
	if (evthread_use_pthreads() == -1)
		errx(1, "libevent has no pthreads support");

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config_file = optarg;
			continue;
		case 'l':
			key = "listen";
			break;
		case 'p':
			key = "http";
			break;
		case 'C':
			key = "cert";
			break;
		case 'K':
			key = "key";
			break;
		case 'd':
			key = "db";
			break;
		case 't':
			key = "threads";
			break;
		case 'o':
			key = "organiser_credential_file";
			break;
		case 'L':
			key = "log_level";
			break;
		case 'w':
			key = "web_root";
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("ballotd %s\n", BALLOTD_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
		if (nflags == BD_MAX_FLAGS)
			errx(2, "too many options");
		flags[nflags].key = key;
		flags[nflags].value = optarg;
		nflags++;
	}
	if (optind != argc) {
		warnx("unexpected argument '%s'", argv[optind]);
		usage(stderr);
		return 2;
	}

	bd_config_defaults(&cfg);
	if (config_file != NULL &&
	    bd_config_load(&cfg, config_file, errbuf, sizeof(errbuf)) == -1)
		errx(1, "%s", errbuf);
	for (i = 0; i < nflags; i++) {
		char where[64];

		snprintf(where, sizeof(where), "--%s", flags[i].key);
		for (char *p = where; *p; p++)
			if (*p == '_')
				*p = '-';
		if (bd_config_set(&cfg, flags[i].key, flags[i].value, where,
		                  errbuf, sizeof(errbuf)) == -1)
			errx(1, "%s", errbuf);
	}
	if (bd_config_check(&cfg, errbuf, sizeof(errbuf)) == -1)
		errx(1, "%s", errbuf);
	if (bd_config_load_credential(cfg.organiser_credential_file, org_hash,
	                              &plain, errbuf, sizeof(errbuf)) == -1)
		errx(1, "%s", errbuf);
	if (plain)
		warnx("%s holds the organiser credential itself; for "
		      "production store sha256:<hex> of it instead",
		      cfg.organiser_credential_file);

	/* A client that goes away must not kill us on write. */
	signal(SIGPIPE, SIG_IGN);
	/*
	 * Blocked before any thread starts: the loops inherit the mask and
	 * only this thread, in sigwait, ever sees these signals.
	 */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	if (pthread_sigmask(SIG_BLOCK, &sigs, NULL) != 0)
		errx(1, "pthread_sigmask failed");
	bd_raise_nofile();

	bd_log_init(cfg.log_level);
	event_set_log_callback(bd_event_log);
	/* After the signal mask: the store's writer thread inherits it. */
	memset(&m, 0, sizeof(m));
	m.app.cfg = &cfg;
	if (store_open(cfg.db, &m.app.store, &serr) != STORE_OK)
		errx(1, "%s: %s", cfg.db, serr.msg);
	memset(&hooks, 0, sizeof(hooks));
	hooks.arg = &m;
	hooks.thread_init = bd_thread_init;
	hooks.thread_fini = bd_thread_fini;
	hooks.shutdown = bd_shutdown;
	if (bd_server_new(&cfg, &hooks, org_hash, &srv, errbuf,
	                  sizeof(errbuf)) == -1) {
		store_close(m.app.store);
		errx(1, "%s", errbuf);
	}
	bc_wipe(org_hash, sizeof(org_hash));
	if (bd_server_start(srv, errbuf, sizeof(errbuf)) == -1)
		errx(1, "%s", errbuf);
	if (bd_sched_start(m.app.store, &m.sched, errbuf, sizeof(errbuf)) == -1)
		bd_log_warn("%s: polls will not open or close on time", errbuf);

	/* From here on the daemon is up: the log, not err(3). */
	bd_log_info("ballotd %s: %u threads, database %s%s", BALLOTD_VERSION,
	            cfg.threads, cfg.db,
	            cfg.test_routes ? ", test routes on" : "");
	if (cfg.test_election_key)
		bd_log_warn("test_election_key = true: the organiser can set "
		            "any election key; FOR TESTS AND DEMOS ONLY");
	if (bd_server_https_addr(srv) != NULL)
		bd_log_info("listening on https://%s",
		            bd_server_https_addr(srv));
	if (bd_server_http_addr(srv) != NULL)
		bd_log_info("listening on http://%s", bd_server_http_addr(srv));

	for (;;) {
		if (sigwait(&sigs, &sig) != 0)
			bd_fatalx("sigwait failed");
		if (sig == SIGHUP) {
			bd_log_info("SIGHUP ignored: restart to reload the "
			            "configuration");
			continue;
		}
		break;
	}
	bd_log_info("%s: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	cut = bd_server_stop(srv);
	if (cut > 0)
		bd_log_warn("%u requests still waiting at the shutdown "
		            "deadline were answered 503",
		            cut);
	bd_server_free(srv);
	bd_log_info("stopped");
	return 0;
}
