/*
 * record.h: the tally and the published election record (docs/record.md),
 * private to ballotctl:
 *
 *   tally.c       ballotctl tally: fetch, rebuild the key, open, count
 *   record_out.c  the record's files in memory, the directory, the ustar
 *                 tarball and report.html
 *   publish.c     ballotctl publish: upload the tarball
 */
#ifndef CTL_RECORD_H
#define CTL_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ctl.h"

/* One file of the record: its path inside the record directory
 * ("board/entries.jsonl") and its bytes, both owned. */
struct rec_file {
	char *name;
	uint8_t *data;
	size_t len;
};

/* The record's files, in the order of record.md's layout. */
struct rec_out {
	struct rec_file *f;
	size_t n, cap;
};

/*
 * Appends a file; takes data (malloc'd) whatever happens.  Returns 0, or
 * -1 when out of memory (message printed).
 */
int rec_add(struct rec_out *o, const char *name, uint8_t *data, size_t len);
/* Appends a copy of text (len bytes). */
int rec_add_copy(struct rec_out *o, const char *name, const void *text,
                 size_t len);
/* Appends compact JSON of v and a newline (v is not stolen). */
int rec_add_json(struct rec_out *o, const char *name, const json_t *v);
/* Sorts files [from, n) by name, in byte order. */
void rec_sort_from(struct rec_out *o, size_t from);
void rec_out_free(struct rec_out *o);

/*
 * Creates dir (which must not exist: never overwritten), its board/ and
 * contests/ folders and every file (mode 0644).  Returns an exit code
 * (messages printed).
 */
int rec_write_dir(const struct rec_out *o, const char *dir);
/*
 * The POSIX ustar archive of the record: members "<poll id>/<name>" in
 * o's order, regular files, mode 0644, uid/gid 0, the given mtime
 * (seconds), then two zero blocks.  OUT: *out (malloc'd), *len.
 * Returns 0, or -1 (message printed).
 */
int rec_tar(const struct rec_out *o, const char *poll_id, uint64_t mtime,
            uint8_t **out, size_t *len);
/* Writes data to path, which must not exist (mode 0644, fsync).  Exit
 * code. */
int rec_write_new(const char *path, const void *data, size_t len);

/* One contest's part of the HTML report: the STV core's page. */
struct rec_html_part {
	const char *id, *title;
	char rules[1024]; /* the rule in plain words (proto_contest_describe) */
	char *page; /* a whole HTML page from stv_*_html, owned by caller */
};

/*
 * report.html: turnout (results, a results.json object), each contest's
 * page (its <body>, and the first STV page's <style>), the invalid
 * ballots (ballots, the ballots.jsonl objects) and the checks.  OUT:
 * *out (malloc'd, NUL-terminated).  Returns 0 or -1 (out of memory).
 */
int rec_report_html(const json_t *results, const json_t *ballots,
                    const struct rec_html_part *parts, size_t nparts,
                    char **out);

/* The commands. */
int ctl_cmd_tally(struct ctl *c);
int ctl_cmd_publish(struct ctl *c);

#endif
