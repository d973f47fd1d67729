/*
 * schedule.h: opens and closes polls at the times of their schedule
 * (the definition's opens/closes, or PUT /polls/{id}/schedule).
 *
 * One small thread with its own store reader looks at every poll once a
 * second: a poll in state ceremony whose opening time has passed is
 * opened (if its election key is not there yet, the scheduler logs it,
 * at most once a minute per poll, and tries again); an open poll whose
 * closing time has passed is closed.  It goes through the same
 * functions as the organiser's routes (bd_poll_open, bd_poll_close), so
 * the state records are the same.
 */
#ifndef BD_SCHEDULE_H
#define BD_SCHEDULE_H

#include <stddef.h>

#include "store.h"

struct bd_sched;

/*
 * Starts the thread on s (borrowed: stop the scheduler before closing
 * the store).  Returns 0 and *out, or -1 with err[errlen] filled.
 */
int bd_sched_start(store *s, struct bd_sched **out, char *err, size_t errlen);
/* Stops and joins the thread (at most one tick's work), frees.  NULL is
 * a no-op. */
void bd_sched_stop(struct bd_sched *sc);

#endif
