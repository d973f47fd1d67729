/*
 * tar.c: a strict reader of POSIX ustar archives (IEEE 1003.1-1988 as
 * written by the record writer): only what a record needs is accepted,
 * and everything else -- links, devices, directories, GNU or pax
 * extensions, names that climb out of the directory -- is refused, so
 * that a tarball cannot say more, or other, than the directory it came
 * from.
 */
#include "record.h"

#include <stdio.h>
#include <string.h>

#define BLOCK 512

/* An octal field of n bytes: digits, then NUL or space padding.  Returns
 * 0 and *out, or -1. */
static int octal(const uint8_t *f, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;

	while (i < n && f[i] == ' ')
		i++;
	if (i == n || f[i] < '0' || f[i] > '7')
		return -1;
	for (; i < n && f[i] >= '0' && f[i] <= '7'; i++) {
		if (v > (UINT64_MAX >> 3))
			return -1;
		v = (v << 3) | (uint64_t)(f[i] - '0');
	}
	for (; i < n; i++)
		if (f[i] != ' ' && f[i] != '\0')
			return -1;
	*out = v;
	return 0;
}

/* A NUL-padded text field of at most n bytes, copied to out (n + 1). */
static void field(const uint8_t *f, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n && f[i]; i++)
		out[i] = (char)f[i];
	out[i] = '\0';
}

static int all_zero(const uint8_t *b)
{
	for (size_t i = 0; i < BLOCK; i++)
		if (b[i])
			return 0;
	return 1;
}

/* A safe relative name: no leading '/', no empty, "." or ".."
 * component, printable ASCII only. */
static int safe_name(const char *s)
{
	const char *p = s;

	if (*s == '\0' || *s == '/')
		return 0;
	for (const char *q = s; *q; q++)
		if ((unsigned char)*q < 0x20 || (unsigned char)*q > 0x7e ||
		    *q == '\\')
			return 0;
	while (*p) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);

		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		if (!e)
			break;
		p = e + 1;
		if (*p == '\0')
			return 0; /* trailing '/': a directory */
	}
	return 1;
}

int vr_tar_read(const uint8_t *buf, size_t len, vr_tar_fn fn, void *ctx,
                char *err, size_t errlen)
{
	size_t off = 0, members = 0;

	if (len % BLOCK != 0) {
		snprintf(err, errlen,
		         "not a tar archive: %zu bytes is not a whole number "
		         "of 512-byte blocks",
		         len);
		return -1;
	}
	for (;;) {
		const uint8_t *h;
		char name[101], prefix[156], full[VR_MAX_NAME + 2];
		uint64_t size, sum, want = 0;

		if (off == len) {
			snprintf(err, errlen,
			         "the archive ends without its two zero "
			         "blocks");
			return -1;
		}
		h = buf + off;
		if (all_zero(h)) {
			if (off + BLOCK == len || all_zero(h + BLOCK))
				break;
			snprintf(err, errlen,
			         "a zero block at offset %zu is not followed "
			         "by another",
			         off);
			return -1;
		}
		field(h, 100, name);
		field(h + 345, 155, prefix);
		if (octal(h + 148, 8, &sum) != 0) {
			snprintf(err, errlen,
			         "member at offset %zu: bad header checksum "
			         "field",
			         off);
			return -1;
		}
		for (size_t i = 0; i < BLOCK; i++)
			want += (i >= 148 && i < 156) ? ' ' : h[i];
		if (sum != want) {
			snprintf(err, errlen,
			         "member at offset %zu ('%s'): header checksum "
			         "%llu, computed %llu",
			         off, name, (unsigned long long)sum,
			         (unsigned long long)want);
			return -1;
		}
		if (memcmp(h + 257, "ustar", 5) != 0 ||
		    (h[262] != '\0' && h[262] != ' ')) {
			snprintf(err, errlen, "member '%s': not a ustar header",
			         name);
			return -1;
		}
		if (h[156] != '0' && h[156] != '\0') {
			snprintf(err, errlen,
			         "member '%s': type '%c' is not a regular file",
			         name,
			         h[156] >= 0x20 && h[156] < 0x7f ? h[156]
			                                         : '?');
			return -1;
		}
		if (prefix[0])
			snprintf(full, sizeof(full), "%s/%s", prefix, name);
		else
			snprintf(full, sizeof(full), "%s", name);
		if (strlen(full) > VR_MAX_NAME || !safe_name(full)) {
			snprintf(err, errlen,
			         "member '%.100s': the name is absolute, "
			         "empty, has '.' or '..' components or other "
			         "than printable ASCII",
			         full);
			return -1;
		}
		if (octal(h + 124, 12, &size) != 0) {
			snprintf(err, errlen, "member '%s': bad size field",
			         full);
			return -1;
		}
		off += BLOCK;
		if (size > VR_MAX_FILE_SIZE || size > len - off) {
			snprintf(err, errlen,
			         "member '%s': its size %llu runs past the "
			         "archive or the limit",
			         full, (unsigned long long)size);
			return -1;
		}
		if (++members > VR_MAX_FILES) {
			snprintf(err, errlen, "more than %d members",
			         VR_MAX_FILES);
			return -1;
		}
		if (fn(ctx, full, buf + off, (size_t)size, err, errlen) != 0)
			return -1;
		/* size <= len - off and len is a multiple of 512: the
		 * rounded size fits too. */
		off += ((size_t)size + BLOCK - 1) / BLOCK * BLOCK;
	}
	return 0;
}
