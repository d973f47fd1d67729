/* rule_ers97.c: placeholder until the rule is written. */
#include "stv_int.h"

#include <stdio.h>

stv_status stv_count_ers97(stv_count_ctx *c)
{
	snprintf(c->err->msg, sizeof c->err->msg, "rule not implemented yet");
	return STV_ERR_INVALID;
}
