/*
 * log.h: the daemon's log, one line per event on stderr.
 *
 * Before the daemon is up, main.c reports with err(3)/errx(3); after it
 * is up, everything goes through these functions.  A line is written
 * with a single write(2) so that lines from several threads never mix.
 * Nothing that is logged may contain a secret, a request body, a
 * credential or an Authorization header: callers pass only what they
 * have checked is safe.
 */
#ifndef BD_LOG_H
#define BD_LOG_H

#include <stdarg.h>

enum bd_log_level { BD_LOG_ERROR = 0, BD_LOG_WARN, BD_LOG_INFO, BD_LOG_DEBUG };

#define BD_PRINTF(f, a) __attribute__((format(printf, f, a)))

/*
 * Parses "error", "warn", "info" or "debug".  Returns 0 and fills *out,
 * or -1 for any other string.
 */
int bd_log_level_parse(const char *s, enum bd_log_level *out);
const char *bd_log_level_name(enum bd_log_level level);

/*
 * Sets the level below which lines are dropped.  Called once by main
 * before any thread starts; the level is then only read.
 */
void bd_log_init(enum bd_log_level level);
/* 1 if a line at this level would be written. */
int bd_log_enabled(enum bd_log_level level);

void bd_log(enum bd_log_level level, const char *fmt, ...) BD_PRINTF(2, 3);
void bd_vlog(enum bd_log_level level, const char *fmt, va_list ap)
    BD_PRINTF(2, 0);
#define bd_log_err(...)   bd_log(BD_LOG_ERROR, __VA_ARGS__)
#define bd_log_warn(...)  bd_log(BD_LOG_WARN, __VA_ARGS__)
#define bd_log_info(...)  bd_log(BD_LOG_INFO, __VA_ARGS__)
#define bd_log_debug(...) bd_log(BD_LOG_DEBUG, __VA_ARGS__)

/* Logs at error level and exits 1: for broken invariants of our own. */
void bd_fatalx(const char *fmt, ...) BD_PRINTF(1, 2) __attribute__((noreturn));

#endif
