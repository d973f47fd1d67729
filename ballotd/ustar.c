/*
 * ustar.c: finding one member of a POSIX ustar archive in memory, for
 * the files of a published record the server shows (h_record.c).
 */
#include <stdio.h>
#include <string.h>

#include "ustar.h"

/*
 * The member called name (a path inside the poll's folder) of the ustar
 * archive tar: OUT: *off and *size of its data.  0, or -1 if there is no
 * such regular file or the archive is cut short.  The archive was
 * checked only for its shape when it was posted, so every header field
 * is checked against the bounds here.
 */
int bd_ustar_find(const uint8_t *tar, size_t len, const char *dir,
                  const char *name, size_t *off, size_t *size)
{
	char want[300], full[260];
	size_t o = 0;

	if ((size_t)snprintf(want, sizeof(want), "%s/%s", dir, name) >=
	    sizeof(want))
		return -1;
	while (o + 512 <= len) {
		const uint8_t *h = tar + o;
		char nm[101], pre[156];
		unsigned long long sz = 0;
		size_t i;

		if (h[0] == '\0')
			return -1; /* the end-of-archive blocks */
		memcpy(nm, h, 100);
		nm[100] = '\0';
		memcpy(pre, h + 345, 155);
		pre[155] = '\0';
		for (i = 124; i < 136 && h[i] >= '0' && h[i] <= '7'; i++)
			sz = sz * 8 + (unsigned)(h[i] - '0');
		if (sz > len - o - 512)
			return -1;
		if (pre[0] != '\0')
			snprintf(full, sizeof(full), "%s/%s", pre, nm);
		else
			snprintf(full, sizeof(full), "%s", nm);
		if ((h[156] == '0' || h[156] == '\0') &&
		    strcmp(full, want) == 0) {
			*off = o + 512;
			*size = (size_t)sz;
			return 0;
		}
		o += 512 + (((size_t)sz + 511) & ~(size_t)511);
	}
	return -1;
}
