/*
 * ustar.h: one member of a ustar archive held in memory.
 */
#ifndef BD_USTAR_H
#define BD_USTAR_H

#include <stddef.h>
#include <stdint.h>

/*
 * The regular file dir/name in the archive tar[len]: 0 with OUT: *off
 * and *size, its data being tar[*off .. *off + *size), which is within
 * tar; or -1 if there is no such member before the end-of-archive block
 * or the archive is cut short.  Names may use the ustar prefix field.
 */
int bd_ustar_find(const uint8_t *tar, size_t len, const char *dir,
                  const char *name, size_t *off, size_t *size);

#endif
