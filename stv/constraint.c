/* constraint.c: categories and the guarded/doomed method (in progress). */
#include "stv_int.h"

#include <stdio.h>
#include <string.h>

struct stv_constraints {
	int dummy;
};

stv_status stv_constraints_read(const stv_election *e, const char *buf,
                                size_t len, stv_constraints **out,
                                stv_error *err)
{
	(void)e;
	(void)buf;
	(void)len;
	*out = NULL;
	memset(err, 0, sizeof *err);
	snprintf(err->msg, sizeof err->msg, "constraints not implemented yet");
	return STV_ERR_INVALID;
}

void stv_constraints_free(stv_constraints *k)
{
	(void)k;
}

int stv_cons_check(const stv_count_ctx *c, const uint8_t *state,
                   uint8_t *doomed, uint8_t *guarded)
{
	(void)c;
	(void)state;
	(void)doomed;
	(void)guarded;
	return 0;
}
