/*
 * publish.c: `ballotctl publish POLL RECORD.tar` uploads the record that
 * `ballotctl tally` wrote (POST /polls/{id}/record, application/x-tar);
 * the server stores it, serves it at GET /polls/{id}/record.tar and
 * moves the poll to "published".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"

#define PUB_MAX (256u * 1024u * 1024u) /* the route's limit */

int ctl_cmd_publish(struct ctl *c)
{
	const char *id = c->args[0], *file = c->args[1];
	struct ctl_http *h = NULL;
	char path[128], *tar = NULL;
	size_t len;
	json_t *ans = NULL;
	int rc;

	if (ctl_read_file(file, PUB_MAX, &tar, &len) == -1)
		return CTL_EXIT_IO;
	/* A first look, so that a wrong file is not sent: a ustar header
	 * whose first member is in the poll's folder. */
	if (len < 1024 || memcmp(tar + 257, "ustar", 6) != 0 ||
	    strncmp(tar, id, strlen(id)) != 0 || tar[strlen(id)] != '/') {
		ctl_warnx("%s: not the record tarball of poll %s (ballotctl "
		          "tally writes it)",
		          file, id);
		free(tar);
		return CTL_EXIT_REFUSED;
	}
	if ((h = ctl_http_new(c)) == NULL) {
		ctl_warnx("out of memory");
		free(tar);
		return CTL_EXIT_IO;
	}
	snprintf(path, sizeof(path), "/polls/%s/record", id);
	rc = ctl_call(c, h, "POST", path, "application/x-tar", tar, len,
	              CTL_CALL_ORG | CTL_CALL_RETRY, &ans, NULL);
	if (rc == CTL_EXIT_OK) {
		if (c->json)
			ctl_print_json(ans);
		else
			printf("poll %s: %s; record of %zu bytes at "
			       "/polls/%s/record.tar\n",
			       id,
			       json_string_value(json_object_get(ans, "state"))
			           ?: "published",
			       len, id);
	}
	json_decref(ans);
	ctl_http_free(h);
	free(tar);
	return rc;
}
