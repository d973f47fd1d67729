/*
 * organiser.c: the organiser's commands.  Each checks locally what it
 * can (the definition with proto, the times of a schedule) before
 * anything is sent, and sends the organiser credential only over https
 * or to the machine itself (client.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"

/* Prints a JSON answer: as it came with --json, else its members as
 * "key value" lines. */
static void ctl_show(const struct ctl *c, json_t *v)
{
	const char *k;
	json_t *m;

	if (c->json || !json_is_object(v)) {
		ctl_print_json(v);
		return;
	}
	json_object_foreach(v, k, m)
	{
		if (json_is_string(m)) {
			printf("%s %s\n", k, json_string_value(m));
		} else {
			char *t = json_dumps(m, JSON_COMPACT | JSON_ENCODE_ANY |
			                            JSON_PRESERVE_ORDER);

			printf("%s %s\n", k, t ? t : "?");
			free(t);
		}
	}
}

int ctl_cmd_poll_create(struct ctl *c)
{
	const char *file = c->args[0];
	char *text, hex[65];
	size_t len;
	proto_poll *p = NULL;
	proto_err perr;
	struct ctl_http *h;
	json_t *v = NULL;
	const char *sh;
	int rc;

	if (ctl_read_file(file, 64u * 1024u, &text, &len) == -1)
		return CTL_EXIT_IO;
	if (proto_poll_parse(text, len, &p, &perr) != PROTO_OK) {
		ctl_warnx("%s: %s", file, perr.msg);
		free(text);
		return CTL_EXIT_REFUSED;
	}
	if ((h = ctl_http_new(c)) == NULL) {
		ctl_warnx("out of memory");
		rc = CTL_EXIT_IO;
		goto out;
	}
	/* The bytes go as they are: the poll_hash is of these bytes. */
	rc = ctl_call(c, h, "POST", "/polls", "application/json", text, len,
	              CTL_CALL_ORG, &v, NULL);
	if (rc != CTL_EXIT_OK)
		goto out;
	ctl_hex(p->poll_hash, 32, hex);
	sh = json_string_value(json_object_get(v, "poll_hash"));
	if (sh == NULL || strcmp(sh, hex) != 0) {
		ctl_warnx("the server's poll_hash %.64s is not the hash of %s "
		          "(%s)",
		          sh ? sh : "(none)", file, hex);
		rc = CTL_EXIT_REFUSED;
		goto out;
	}
	if (c->json)
		ctl_print_json(v);
	else
		printf("poll %s created\nstate %s\npoll_hash %s\n", p->id,
		       json_string_value(json_object_get(v, "state"))
		           ? json_string_value(json_object_get(v, "state"))
		           : "?",
		       hex);
out:
	json_decref(v);
	ctl_http_free(h);
	proto_poll_free(p);
	free(text);
	return rc;
}

/*
 * After an import: the roll's eligibility classes, and a warning for each
 * class smaller than the definition's min_class_size (protocol.md section
 * 4: a voter hides among the voters of their class; the ceremony will be
 * refused without --allow-small-classes).  The classes are worked out
 * here from the same roll and the server's definition, with proto, as
 * the server did.  Nothing here changes the exit status: the roll is in.
 */
static void ctl_roll_classes(struct ctl *c, const char *poll, const char *text,
                             size_t len)
{
	struct ctl_http *h = ctl_http_new(c);
	struct ctl_poll p;
	proto_roll *roll = NULL;
	proto_err perr;
	size_t i, j, nsmall, small[64];

	memset(&p, 0, sizeof(p));
	if (h == NULL || ctl_poll_fetch(c, h, poll, &p) != CTL_EXIT_OK) {
		ctl_http_free(h);
		return;
	}
	ctl_http_free(h);
	if (proto_roll_parse(p.def, text, len, &roll, &perr) != PROTO_OK) {
		ctl_poll_clear(&p);
		return;
	}
	printf("%zu eligibility class%s:\n", roll->nclasses,
	       roll->nclasses == 1 ? "" : "es");
	for (i = 0; i < roll->nclasses; i++)
		printf("  %s: %zu voter%s\n", roll->classes[i].id,
		       roll->classes[i].count,
		       roll->classes[i].count == 1 ? "" : "s");
	nsmall = proto_roll_small_classes(roll, p.def, small, 64);
	for (j = 0; j < nsmall && j < 64; j++)
		ctl_warnx("warning: class %s has %zu voter%s, fewer than "
		          "min_class_size %u: its voters hide in a small "
		          "crowd (the ceremony needs --allow-small-classes)",
		          roll->classes[small[j]].id,
		          roll->classes[small[j]].count,
		          roll->classes[small[j]].count == 1 ? "" : "s",
		          (unsigned)p.def->min_class_size);
	if (nsmall > 64)
		ctl_warnx("warning: %zu classes in all are smaller than "
		          "min_class_size %u",
		          nsmall, (unsigned)p.def->min_class_size);
	proto_roll_free(roll);
	ctl_poll_clear(&p);
}

int ctl_cmd_roll_import(struct ctl *c)
{
	const char *poll = c->args[0], *file = c->args[1];
	const char *out = ctl_opt(c, "out");
	char path[128], *text;
	size_t len, i, lines = 0;
	struct ctl_http *h;
	struct ctl_resp r;
	int fd, rc;
	const char *p;

	if (ctl_read_file(file, 16u * 1024u * 1024u, &text, &len) == -1)
		return CTL_EXIT_IO;
	/*
	 * The server shows the credentials once: the file that will hold
	 * them is made first, and never over an existing one, so that
	 * they cannot be lost to a typing mistake or a full disk.
	 */
	fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1) {
		ctl_warnx("--out %s: %s%s", out, strerror(errno),
		          errno == EEXIST ? " (it is never overwritten: the "
		                            "credentials in it would be lost)"
		                          : "");
		free(text);
		return CTL_EXIT_IO;
	}
	if ((h = ctl_http_new(c)) == NULL) {
		ctl_warnx("out of memory");
		rc = CTL_EXIT_IO;
		goto fail;
	}
	snprintf(path, sizeof(path), "/polls/%s/roll", poll);
	rc = ctl_call(c, h, "POST", path, "text/csv", text, len, CTL_CALL_ORG,
	              NULL, &r);
	ctl_http_free(h);
	if (rc != CTL_EXIT_OK) {
		ctl_resp_free(&r);
		goto fail;
	}
	for (p = r.body; (size_t)(p - r.body) < r.len;) {
		ssize_t w = write(fd, p, r.len - (size_t)(p - r.body));

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			ctl_warnx("--out %s: %s: THE CREDENTIALS ARE LOST; the "
			          "roll is imported",
			          out, strerror(errno));
			bc_wipe(r.body, r.len);
			ctl_resp_free(&r);
			close(fd);
			free(text);
			return CTL_EXIT_IO;
		}
		p += w;
	}
	if (fsync(fd) == -1 || close(fd) == -1) {
		ctl_warnx("--out %s: %s", out, strerror(errno));
		bc_wipe(r.body, r.len);
		ctl_resp_free(&r);
		free(text);
		return CTL_EXIT_IO;
	}
	for (i = 0; i < r.len; i++)
		lines += r.body[i] == '\n';
	if (r.len > 0 && r.body[r.len - 1] != '\n')
		lines++;
	bc_wipe(r.body, r.len);
	ctl_resp_free(&r);
	printf("roll imported into %s: %zu credentials written to %s (mode "
	       "0600; the server cannot show them again)\n",
	       poll, lines > 0 ? lines - 1 : 0, out);
	fflush(stdout);
	ctl_roll_classes(c, poll, text, len);
	free(text);
	return CTL_EXIT_OK;
fail:
	close(fd);
	unlink(out);
	free(text);
	return rc;
}

/* POST /polls/{id}/<action> with body (JSON text). */
static int ctl_poll_action(struct ctl *c, const char *action, const char *body)

{
	char path[128];
	struct ctl_http *h = ctl_http_new(c);
	json_t *v = NULL;
	int rc;

	if (h == NULL) {
		ctl_warnx("out of memory");
		return CTL_EXIT_IO;
	}
	snprintf(path, sizeof(path), "/polls/%s/%s", c->args[0], action);
	rc = ctl_call(c, h, "POST", path, "application/json", body,
	              strlen(body), CTL_CALL_ORG, &v, NULL);
	if (rc == CTL_EXIT_OK)
		ctl_show(c, v);
	json_decref(v);
	ctl_http_free(h);
	return rc;
}

int ctl_cmd_poll_ceremony(struct ctl *c)
{
	/* The override of min_class_size is the organiser's to give, on
	 * the command line, each time (protocol.md section 4). */
	return ctl_poll_action(c, "ceremony",
	                       ctl_opt(c, "allow-small-classes") != NULL
	                           ? "{\"allow_small_classes\":true}"
	                           : "{}");
}

int ctl_cmd_poll_open(struct ctl *c)
{
	return ctl_poll_action(c, "open", "{}");
}

/*
 * Closes the poll, then checks the final tree head the answer names: its
 * signature under the board key the poll publishes.  Voters check their
 * receipts against this head.
 */
int ctl_cmd_poll_close(struct ctl *c)
{
	char path[128], *text;
	struct ctl_http *h = ctl_http_new(c);
	struct ctl_poll p;
	json_t *v = NULL;
	proto_sth s;
	proto_err perr;
	size_t len;
	int rc;

	if (h == NULL) {
		ctl_warnx("out of memory");
		return CTL_EXIT_IO;
	}
	snprintf(path, sizeof(path), "/polls/%s/close", c->args[0]);
	rc = ctl_call(c, h, "POST", path, "application/json", "{}", 2,
	              CTL_CALL_ORG, &v, NULL);
	if (rc != CTL_EXIT_OK)
		goto out;
	ctl_show(c, v);
	if (json_object_get(v, "sth") == NULL ||
	    json_is_null(json_object_get(v, "sth")))
		goto out; /* an empty board has no tree head */
	rc = CTL_EXIT_REFUSED;
	text = proto_json_text(json_object_get(v, "sth"), &len);
	if (text == NULL ||
	    proto_sth_decode(text, len, &s, &perr) != PROTO_OK) {
		ctl_warnx("the final tree head: %s",
		          text ? perr.msg : "out of memory");
		free(text);
		goto out;
	}
	free(text);
	if ((rc = ctl_poll_fetch(c, h, c->args[0], &p)) != CTL_EXIT_OK)
		goto out;
	if (!p.have_board_key || memcmp(s.poll_hash, p.poll_hash, 32) != 0 ||
	    ctl_sth_verify(&s, p.board_key) == -1) {
		ctl_warnx("FAIL final tree head: not signed by the poll's "
		          "board key");
		rc = CTL_EXIT_REFUSED;
	} else if (!c->json) {
		printf("final tree head: %llu entries, signature verified\n",
		       (unsigned long long)s.tree_size);
	}
	ctl_poll_clear(&p);
out:
	json_decref(v);
	ctl_http_free(h);
	return rc;
}

/* A time option: "none" (null) or an RFC 3339 UTC time.  0 or -1. */
static int ctl_time_opt(const char *name, const char *s, json_t **out)
{
	int64_t ms;

	if (strcmp(s, "none") == 0) {
		*out = json_null();
		return 0;
	}
	ms = proto_time_parse(s, strlen(s));
	if (ms < 0) {
		ctl_warnx("--%s %s: expected an RFC 3339 UTC time such as "
		          "2026-12-01T09:00:00Z, or none",
		          name, s);
		return -1;
	}
	*out = json_string(s);
	return 0;
}

int ctl_cmd_poll_schedule(struct ctl *c)
{
	json_t *opens, *closes, *body, *v = NULL;
	struct ctl_http *h;
	char path[128], *text;
	size_t len;
	int rc;

	if (ctl_time_opt("opens", ctl_opt(c, "opens"), &opens) == -1)
		return CTL_EXIT_USAGE;
	if (ctl_time_opt("closes", ctl_opt(c, "closes"), &closes) == -1) {
		json_decref(opens);
		return CTL_EXIT_USAGE;
	}
	if (json_is_string(opens) && json_is_string(closes) &&
	    proto_time_parse(json_string_value(closes),
	                     json_string_length(closes)) <=
	        proto_time_parse(json_string_value(opens),
	                         json_string_length(opens))) {
		ctl_warnx("--closes must be later than --opens");
		json_decref(opens);
		json_decref(closes);
		return CTL_EXIT_USAGE;
	}
	body = json_object();
	json_object_set_new(body, "opens", opens);
	json_object_set_new(body, "closes", closes);
	text = proto_json_text(body, &len);
	json_decref(body);
	if (text == NULL || (h = ctl_http_new(c)) == NULL) {
		free(text);
		ctl_warnx("out of memory");
		return CTL_EXIT_IO;
	}
	snprintf(path, sizeof(path), "/polls/%s/schedule", c->args[0]);
	rc = ctl_call(c, h, "PUT", path, "application/json", text, len,
	              CTL_CALL_ORG, &v, NULL);
	if (rc == CTL_EXIT_OK) {
		if (c->json)
			ctl_print_json(v);
		else
			printf("schedule of %s set: opens %s, closes %s\n",
			       c->args[0], ctl_opt(c, "opens"),
			       ctl_opt(c, "closes"));
	}
	json_decref(v);
	free(text);
	ctl_http_free(h);
	return rc;
}

int ctl_cmd_poll_status(struct ctl *c)
{
	char path[128];
	struct ctl_http *h = ctl_http_new(c);
	json_t *v = NULL;
	int rc;

	if (h == NULL) {
		ctl_warnx("out of memory");
		return CTL_EXIT_IO;
	}
	snprintf(path, sizeof(path), "/polls/%s/status", c->args[0]);
	rc = ctl_call(c, h, "GET", path, NULL, NULL, 0, CTL_CALL_RETRY, &v,
	              NULL);
	if (rc == CTL_EXIT_OK)
		ctl_show(c, v);
	json_decref(v);
	ctl_http_free(h);
	return rc;
}
