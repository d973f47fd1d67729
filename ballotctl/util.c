/*
 * util.c: files, encodings and messages shared by the commands.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bcrypto.h"
#include "encode.h"

#include "ctl.h"

void ctl_warnx(const char *fmt, ...)
{
	va_list ap;

	fputs("ballotctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int ctl_read_file(const char *path, size_t max, char **out, size_t *len)
{
	FILE *f;
	char *buf = NULL;
	size_t n = 0, cap = 0;

	*out = NULL;
	*len = 0;
	if ((f = fopen(path, "rb")) == NULL) {
		ctl_warnx("%s: %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		size_t got;

		if (cap - n < 4096) {
			char *nb;

			cap = cap ? cap * 2 : 8192;
			if ((nb = realloc(buf, cap + 1)) == NULL) {
				ctl_warnx("%s: out of memory", path);
				goto fail;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (n > max) {
			ctl_warnx("%s: larger than %zu bytes", path, max);
			goto fail;
		}
		if (got == 0) {
			if (ferror(f)) {
				ctl_warnx("%s: %s", path, strerror(errno));
				goto fail;
			}
			break;
		}
	}
	fclose(f);
	if (buf == NULL && (buf = malloc(1)) == NULL) {
		ctl_warnx("%s: out of memory", path);
		return -1;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
fail:
	fclose(f);
	if (buf != NULL)
		bc_wipe(buf, cap);
	free(buf);
	return -1;
}

int ctl_write_file_atomic(const char *path, const void *data, size_t len,
                          unsigned mode)
{
	char tmp[4096];
	int fd, n;
	const uint8_t *p = data;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		ctl_warnx("%s: path too long", path);
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, (mode_t)mode);
	if (fd == -1) {
		ctl_warnx("%s: %s", tmp, strerror(errno));
		return -1;
	}
	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			ctl_warnx("%s: %s", tmp, strerror(errno));
			goto fail;
		}
		p += w;
		len -= (size_t)w;
	}
	/* The file must be on disk before it replaces the old one: the
	 * vote's state file is what a crashed run resumes from. */
	if (fsync(fd) == -1) {
		ctl_warnx("%s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (close(fd) == -1) {
		ctl_warnx("%s: %s", tmp, strerror(errno));
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path) == -1) {
		ctl_warnx("%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
fail:
	close(fd);
	unlink(tmp);
	return -1;
}

int ctl_read_secret_line(const char *path, char **out)
{
	char *text;
	size_t len, start = 0, end;

	*out = NULL;
	if (ctl_read_file(path, 4096, &text, &len) == -1)
		return -1;
	end = strcspn(text, "\r\n");
	while (start < end && (text[start] == ' ' || text[start] == '\t'))
		start++;
	while (end > start && (text[end - 1] == ' ' || text[end - 1] == '\t'))
		end--;
	if (end == start) {
		ctl_warnx("%s: the first line is empty", path);
		bc_wipe(text, len);
		free(text);
		return -1;
	}
	memmove(text, text + start, end - start);
	bc_wipe(text + (end - start), len - (end - start));
	text[end - start] = '\0';
	*out = text;
	return 0;
}

void ctl_free_secret(char *s)
{
	if (s == NULL)
		return;
	bc_wipe(s, strlen(s));
	free(s);
}

int ctl_valid_poll_id(const char *s)
{
	size_t i;

	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
		return 0;
	for (i = 1; s[i] != '\0'; i++) {
		char ch = s[i];

		if (i > PROTO_ID_MAX - 1)
			return 0;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		      ch == '-'))
			return 0;
	}
	return 1;
}

char *ctl_b64url(const uint8_t *p, size_t n)
{
	size_t cap = BC_B64URL_LEN(n) + 1;
	char *s = malloc(cap);

	if (s == NULL)
		return NULL;
	if (bc_b64url_encode(p, n, s, cap, NULL) != BC_OK) {
		free(s);
		return NULL;
	}
	return s;
}

int ctl_unb64url(const char *s, uint8_t *out, size_t cap, size_t want,
                 size_t *outlen)
{
	size_t len = strlen(s), got = 0;
	uint8_t *tmp;

	/* Decode into a buffer big enough for any text, then size-check:
	 * bc_b64url_decode refuses a short cap without saying why. */
	if ((tmp = malloc(len * 3 / 4 + 1)) == NULL)
		return -1;
	if (bc_b64url_decode(s, len, tmp, len * 3 / 4 + 1, &got) != BC_OK ||
	    got > cap || (want != 0 && got != want)) {
		bc_wipe(tmp, len * 3 / 4 + 1);
		free(tmp);
		return -1;
	}
	memcpy(out, tmp, got);
	bc_wipe(tmp, len * 3 / 4 + 1);
	free(tmp);
	if (outlen != NULL)
		*outlen = got;
	return 0;
}

void ctl_hex(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

int ctl_unhex(const char *s, uint8_t *out, size_t n)
{
	size_t got;

	if (strlen(s) != 2 * n)
		return -1;
	if (bc_hex_decode(s, 2 * n, out, n, &got) != BC_OK || got != n)
		return -1;
	return 0;
}

void ctl_printable(const char *s, size_t len, char *out, size_t max)
{
	size_t i, o = 0;

	for (i = 0; i < len && o + 1 < max; i++) {
		unsigned char ch = (unsigned char)s[i];

		out[o++] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
	}
	if (max > 0)
		out[o] = '\0';
}
