/*
 * record.h: the election record (docs/record.md) as a set of named files,
 * read from its directory or from its ustar tarball.  Reading checks
 * only the container (names, sizes, tar checksums); what the files say
 * is cmd_check.c's business.
 */
#ifndef VERIFIER_RECORD_H
#define VERIFIER_RECORD_H

#include <stddef.h>
#include <stdint.h>

/* Limits: a record is a few files; a hostile tarball must not make us
 * allocate without bound. */
#define VR_MAX_FILES     1024
#define VR_MAX_FILE_SIZE ((size_t)1 << 30) /* one member, bytes */
#define VR_MAX_NAME      255

typedef struct {
	char *name;    /* relative, '/'-separated: "board/entries.jsonl" */
	uint8_t *data; /* len bytes, then a NUL (for text parsers) */
	size_t len;
} vr_file;

typedef struct vr_record vr_record;

/*
 * Called for each regular member of a tarball, in archive order.  name
 * is the member's full name (prefix/name joined); data[0..len) lives as
 * long as the buffer given to vr_tar_read.  Return 0 to go on, -1 to stop
 * (vr_tar_read then returns -1 with err as the callback left it).
 */
typedef int (*vr_tar_fn)(void *ctx, const char *name, const uint8_t *data,
                         size_t len, char *err, size_t errlen);

/*
 * Reads a POSIX ustar archive buf[0..len): regular files only (typeflag
 * '0' or NUL), no absolute names, no ".." or "." components, no empty
 * components, header checksums and octal fields checked, sizes within
 * the buffer, at most VR_MAX_FILES members, the end marked by two zero
 * blocks (or the end of the buffer after one).  Returns 0, or -1 with a
 * message in err[0..errlen) naming the member.
 */
int vr_tar_read(const uint8_t *buf, size_t len, vr_tar_fn fn, void *ctx,
                char *err, size_t errlen);

/*
 * Loads a record from a directory (the files record.md lists, and every
 * regular file under contests/) or from a tarball (every member; when all
 * members share one top directory "<poll id>/" it is stripped).  The
 * whole tarball buffer buf[0..len) may be given instead of a path
 * (path NULL).  OUT: *out, freed with vr_record_free.  Returns 0, or -1
 * with err filled.
 */
int vr_record_load(const char *path, vr_record **out, char *err, size_t errlen);
int vr_record_from_tar(const uint8_t *buf, size_t len, vr_record **out,
                       char *err, size_t errlen);
void vr_record_free(vr_record *r);

/* The file of this name, or NULL.  Borrowed. */
const vr_file *vr_record_find(const vr_record *r, const char *name);
size_t vr_record_count(const vr_record *r);
const vr_file *vr_record_at(const vr_record *r, size_t i);

/*
 * Splits a .jsonl file into lines: calls fn for each line (without its
 * '\n'), line numbers from 1.  A file that does not end with '\n' or has
 * an empty line is reported through bad (line number, message) once and
 * the split goes on.  Returns the number of lines.
 */
typedef void (*vr_line_fn)(void *ctx, size_t lineno, const char *text,
                           size_t len);
size_t vr_jsonl_lines(const vr_file *f, vr_line_fn fn, void *ctx,
                      void (*bad)(void *ctx, size_t lineno, const char *msg));

#endif
