/*
 * schedule.c: the scheduled open and close (schedule.h).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app_int.h"
#include "log.h"
#include "schedule.h"

#define BD_SCHED_TICK_MS  1000
#define BD_SCHED_WARN_MS  60000 /* one "not ready" line a minute per poll */
#define BD_SCHED_WARN_MAX 64

struct bd_sched {
	store *s;
	pthread_t tid;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop; /* under mu */
	/* Thread only: when each poll was last reported as not ready. */
	struct {
		char id[STORE_POLL_ID_MAX + 1];
		int64_t at;
	} warned[BD_SCHED_WARN_MAX];
	size_t nwarned;
};

struct bd_ids {
	char (*v)[STORE_POLL_ID_MAX + 1];
	size_t n, cap;
	int failed;
};

static int bd_ids_fn(void *arg, const char *id)
{
	struct bd_ids *ids = arg;

	if (ids->n == ids->cap) {
		size_t cap = ids->cap ? 2 * ids->cap : 16;
		void *nv = realloc(ids->v, cap * sizeof(*ids->v));

		if (nv == NULL) {
			ids->failed = 1;
			return 1;
		}
		ids->v = nv;
		ids->cap = cap;
	}
	snprintf(ids->v[ids->n++], STORE_POLL_ID_MAX + 1, "%s", id);
	return 0;
}

/* 1 if a "not ready" line for poll id is due now (and records it). */
static int bd_sched_warn_due(struct bd_sched *sc, const char *id, int64_t now)
{
	size_t i;

	for (i = 0; i < sc->nwarned; i++) {
		if (strcmp(sc->warned[i].id, id) != 0)
			continue;
		if (now - sc->warned[i].at < BD_SCHED_WARN_MS)
			return 0;
		sc->warned[i].at = now;
		return 1;
	}
	i = sc->nwarned < BD_SCHED_WARN_MAX ? sc->nwarned++
	                                    : (size_t)(now % BD_SCHED_WARN_MAX);
	snprintf(sc->warned[i].id, sizeof(sc->warned[i].id), "%s", id);
	sc->warned[i].at = now;
	return 1;
}

static void bd_sched_poll(struct bd_sched *sc, store_reader *rd, const char *id,
                          int64_t now)
{
	struct bd_result res;
	store_poll sp;
	store_error err;
	json_t *sth = NULL;
	int open_due, close_due;

	memset(&sp, 0, sizeof(sp));
	if (store_poll_get(rd, id, &sp, &err) != STORE_OK)
		return;
	open_due = sp.opens_ms >= 0 && now >= sp.opens_ms &&
	           (sp.closes_ms < 0 || now < sp.closes_ms);
	close_due = sp.closes_ms >= 0 && now >= sp.closes_ms;
	if (strcmp(sp.state, STORE_STATE_CEREMONY) == 0 && open_due) {
		if (bd_poll_open(sc->s, rd, id, &res) == -1 &&
		    bd_sched_warn_due(sc, id, now))
			bd_log_warn("schedule: poll '%s' is due to open but "
			            "cannot yet: %s",
			            id, res.msg);
	} else if (strcmp(sp.state, STORE_STATE_DRAFT) == 0 && open_due) {
		if (bd_sched_warn_due(sc, id, now))
			bd_log_warn("schedule: poll '%s' is due to open but is "
			            "still a draft (no ceremony yet)",
			            id);
	} else if (strcmp(sp.state, STORE_STATE_OPEN) == 0 && close_due) {
		if (bd_poll_close(sc->s, rd, id, &sth, &res) == -1) {
			if (bd_sched_warn_due(sc, id, now))
				bd_log_warn("schedule: poll '%s' is due to "
				            "close but cannot: %s",
				            id, res.msg);
		} else
			bd_log_info("schedule: poll '%s' closed on time", id);
		json_decref(sth);
	}
	store_poll_clear(&sp);
}

static void *bd_sched_main(void *arg)
{
	struct bd_sched *sc = arg;
	store_reader *rd = NULL;
	store_error err;
	struct timespec ts;
	int stop = 0;

	if (store_reader_open(sc->s, &rd, &err) != STORE_OK) {
		bd_log_err("schedule: no store reader (%s): polls will not "
		           "open or close on time",
		           err.msg);
		return NULL;
	}
	while (!stop) {
		struct bd_ids ids = {0};
		int64_t now = bd_now_ms();

		if (store_poll_list(rd, bd_ids_fn, &ids, &err) == STORE_OK)
			for (size_t i = 0; i < ids.n; i++)
				bd_sched_poll(sc, rd, ids.v[i], now);
		free(ids.v);
		pthread_mutex_lock(&sc->mu);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += BD_SCHED_TICK_MS / 1000;
		while (!sc->stop && pthread_cond_timedwait(&sc->cv, &sc->mu,
		                                           &ts) != ETIMEDOUT)
			;
		stop = sc->stop;
		pthread_mutex_unlock(&sc->mu);
	}
	store_reader_close(rd);
	return NULL;
}

int bd_sched_start(store *s, struct bd_sched **out, char *err, size_t errlen)
{
	struct bd_sched *sc;
	sigset_t all, old;
	int rc;

	if ((sc = calloc(1, sizeof(*sc))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	sc->s = s;
	pthread_mutex_init(&sc->mu, NULL);
	pthread_cond_init(&sc->cv, NULL);
	/* Signals belong to main's sigwait. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&sc->tid, NULL, bd_sched_main, sc);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		pthread_cond_destroy(&sc->cv);
		pthread_mutex_destroy(&sc->mu);
		free(sc);
		snprintf(err, errlen, "cannot start the scheduler thread: %s",
		         strerror(rc));
		return -1;
	}
	*out = sc;
	return 0;
}

void bd_sched_stop(struct bd_sched *sc)
{
	if (sc == NULL)
		return;
	pthread_mutex_lock(&sc->mu);
	sc->stop = 1;
	pthread_cond_signal(&sc->cv);
	pthread_mutex_unlock(&sc->mu);
	pthread_join(sc->tid, NULL);
	pthread_cond_destroy(&sc->cv);
	pthread_mutex_destroy(&sc->mu);
	free(sc);
}
