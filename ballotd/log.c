/*
 * log.c: timestamped lines on stderr.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

/*
 * The one piece of writable state outside main: set by bd_log_init
 * before the threads start and only read afterwards, so it needs no
 * lock.  Passing a logger to every function that may log would thread
 * a parameter through every layer for no gain in safety.
 */
static enum bd_log_level bd_log_threshold = BD_LOG_INFO;

static const char *const bd_log_names[] = {"error", "warn", "info", "debug"};

int bd_log_level_parse(const char *s, enum bd_log_level *out)
{
	size_t i;

	for (i = 0; i < sizeof(bd_log_names) / sizeof(bd_log_names[0]); i++) {
		if (strcmp(s, bd_log_names[i]) == 0) {
			*out = (enum bd_log_level)i;
			return 0;
		}
	}
	return -1;
}

const char *bd_log_level_name(enum bd_log_level level)
{
	if ((unsigned)level >= sizeof(bd_log_names) / sizeof(bd_log_names[0]))
		return "?";
	return bd_log_names[level];
}

void bd_log_init(enum bd_log_level level)
{
	bd_log_threshold = level;
}

int bd_log_enabled(enum bd_log_level level)
{
	return level <= bd_log_threshold;
}

void bd_vlog(enum bd_log_level level, const char *fmt, va_list ap)
{
	char line[2048];
	struct timespec ts;
	struct tm tm;
	size_t n;
	int r, saved = errno;

	if (!bd_log_enabled(level))
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	r = snprintf(line + n, sizeof(line) - n,
	             ".%03ldZ %s: ", ts.tv_nsec / 1000000,
	             bd_log_level_name(level));
	if (r > 0)
		n += (size_t)r;
	r = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (r > 0)
		n += (size_t)r;
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2; /* truncated: keep the newline */
	line[n++] = '\n';
	/* One write per line: lines from several threads never interleave. */
	if (write(STDERR_FILENO, line, n) < 0) {
		/* Nowhere left to report it. */
	}
	errno = saved;
}

void bd_log(enum bd_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	bd_vlog(level, fmt, ap);
	va_end(ap);
}

void bd_fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	bd_vlog(BD_LOG_ERROR, fmt, ap);
	va_end(ap);
	exit(1);
}
