/*
 * call.c: one call of the API, with the server's refusals turned into
 * one line ("ballotctl: server refused: 409 token_used: ...").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

/* Prints the refusal of an error answer (api.md "Conventions"). */
static void ctl_print_refusal(const char *method, const char *path,
                              const struct ctl_resp *r)
{
	json_error_t je;
	json_t *v;
	const char *code = NULL, *msg = NULL;
	char scode[64], smsg[512];

	v = json_loadb(r->body, r->len, JSON_REJECT_DUPLICATES, &je);
	if (v != NULL && json_is_object(v)) {
		code = json_string_value(json_object_get(v, "error"));
		msg = json_string_value(json_object_get(v, "message"));
	}
	if (code != NULL) {
		ctl_printable(code, strlen(code), scode, sizeof(scode));
		ctl_printable(msg ? msg : "", msg ? strlen(msg) : 0, smsg,
		              sizeof(smsg));
		ctl_warnx("server refused: %d %s: %s (%s %s)", r->status, scode,
		          smsg, method, path);
	} else {
		ctl_printable(r->body, r->len < 200 ? r->len : 200, smsg,
		              sizeof(smsg));
		ctl_warnx("server refused: %d (%s %s)%s%s", r->status, method,
		          path, r->len ? ": " : "", smsg);
	}
	json_decref(v);
}

int ctl_call(struct ctl *c, struct ctl_http *h, const char *method,
             const char *path, const char *ctype, const void *body, size_t len,
             unsigned flags, json_t **out, struct ctl_resp *raw)
{
	struct ctl_resp r;
	json_error_t je;
	char err[512];
	const char *bearer = NULL;
	int rc;

	if (out != NULL)
		*out = NULL;
	if (flags & CTL_CALL_ORG)
		bearer = c->org_cred;
	if (ctl_http_request(h, method, path, ctype, body, len, bearer,
	                     (flags & CTL_CALL_RETRY) != 0, &r, err,
	                     sizeof(err)) == -1) {
		ctl_warnx("%s %s%s: %s", method, c->server, path, err);
		if (raw != NULL)
			memset(raw, 0, sizeof(*raw));
		return CTL_EXIT_IO;
	}
	rc = CTL_EXIT_OK;
	if (r.status < 200 || r.status > 299) {
		ctl_print_refusal(method, path, &r);
		rc = CTL_EXIT_REFUSED;
	} else if (out != NULL) {
		*out = json_loadb(r.body, r.len, JSON_REJECT_DUPLICATES, &je);
		if (*out == NULL) {
			ctl_warnx("%s %s: the answer is not JSON: line %d, "
			          "column %d: %s",
			          method, path, je.line, je.column, je.text);
			rc = CTL_EXIT_REFUSED;
		}
	}
	if (raw != NULL)
		*raw = r;
	else
		ctl_resp_free(&r);
	return rc;
}

void ctl_print_json(const json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	if (s != NULL) {
		puts(s);
		free(s);
	}
}
