/*
 * rkset.h: a set of distinct rankings with summed weights, in order of
 * first appearance.  Used by the BLT reader (grouping identical ballot
 * lines) and by the view (merging rankings that became identical).
 */
#ifndef STV_RKSET_H
#define STV_RKSET_H

#include "stv_int.h"

typedef struct {
	stv_ranking *rk;
	size_t nrk, caprk;
	int32_t *ranks;
	uint8_t *eq;
	size_t nranks, capranks;
	uint32_t *tab; /* open addressing: index+1 into rk, 0 = empty */
	size_t tabcap; /* power of two */
} stv_rkset;

/* Largest total weight a count accepts: 10^9 papers keeps every product of
 * two scaled values at 9 places inside __int128 and every total in int64. */
#define STV_MAX_PAPERS 1000000000LL

/* Adds weight w of ranking r[0..len) (eq may be NULL: no equal ranks).
 * Returns STV_OK or STV_ERR_NOMEM. */
stv_status stv_rkset_add(stv_rkset *s, const int32_t *r, const uint8_t *eq,
                         uint32_t len, int64_t w) STV_MUST_CHECK;
/* Frees the hash table only; rk/ranks/eq are handed over to the caller. */
void stv_rkset_done(stv_rkset *s);
/* Frees everything. */
void stv_rkset_free(stv_rkset *s);

#endif
