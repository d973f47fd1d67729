/*
 * rkset.c: grouping of identical rankings.  The count walks distinct
 * rankings, never individual papers, so a million ballots with a few
 * thousand distinct rankings cost a few thousand steps per transfer.
 */
#include "rkset.h"

#include <stdlib.h>
#include <string.h>

static uint64_t hash_ranking(const int32_t *r, const uint8_t *eq,
                             uint32_t len)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (uint32_t i = 0; i < len; i++) {
		uint32_t x = (uint32_t)r[i] * 2u + (eq && eq[i] ? 1u : 0u);

		for (int b = 0; b < 4; b++) {
			h ^= (x >> (8 * b)) & 0xffu;
			h *= 1099511628211ULL;
		}
	}
	h ^= len;
	h *= 1099511628211ULL;
	return h ^ (h >> 29);
}

static int same_ranking(const stv_rkset *s, const stv_ranking *k,
                        const int32_t *r, const uint8_t *eq, uint32_t len)
{
	if (k->len != len)
		return 0;
	if (len > 0 && memcmp(s->ranks + k->off, r, len * sizeof *r) != 0)
		return 0;
	for (uint32_t i = 0; i < len; i++)
		if ((s->eq[k->off + i] != 0) != (eq != NULL && eq[i] != 0))
			return 0;
	return 1;
}

static stv_status grow_table(stv_rkset *s)
{
	size_t cap = s->tabcap ? s->tabcap * 2 : 1024;
	uint32_t *tab = calloc(cap, sizeof *tab);

	if (tab == NULL)
		return STV_ERR_NOMEM;
	for (size_t i = 0; i < s->nrk; i++) {
		const stv_ranking *k = &s->rk[i];
		size_t j = hash_ranking(s->ranks + k->off, s->eq + k->off,
		                        k->len) &
		           (cap - 1);

		while (tab[j] != 0)
			j = (j + 1) & (cap - 1);
		tab[j] = (uint32_t)(i + 1);
	}
	free(s->tab);
	s->tab = tab;
	s->tabcap = cap;
	return STV_OK;
}

stv_status stv_rkset_add(stv_rkset *s, const int32_t *r, const uint8_t *eq,
                         uint32_t len, int64_t w)
{
	size_t j;

	if ((s->nrk + 1) * 2 > s->tabcap && grow_table(s) != STV_OK)
		return STV_ERR_NOMEM;
	j = hash_ranking(r, eq, len) & (s->tabcap - 1);
	while (s->tab[j] != 0) {
		stv_ranking *k = &s->rk[s->tab[j] - 1];

		if (same_ranking(s, k, r, eq, len)) {
			k->weight += w;
			return STV_OK;
		}
		j = (j + 1) & (s->tabcap - 1);
	}
	if (s->nrk == s->caprk) {
		size_t cap = s->caprk ? s->caprk * 2 : 256;
		stv_ranking *rk = realloc(s->rk, cap * sizeof *rk);

		if (rk == NULL)
			return STV_ERR_NOMEM;
		s->rk = rk;
		s->caprk = cap;
	}
	if (s->nranks + len > s->capranks) {
		size_t cap = s->capranks ? s->capranks * 2 : 1024;
		int32_t *ranks;
		uint8_t *neq;

		while (cap < s->nranks + len)
			cap *= 2;
		ranks = realloc(s->ranks, cap * sizeof *ranks);
		if (ranks == NULL)
			return STV_ERR_NOMEM;
		s->ranks = ranks;
		neq = realloc(s->eq, cap);
		if (neq == NULL)
			return STV_ERR_NOMEM;
		s->eq = neq;
		s->capranks = cap;
	}
	if (len > 0)
		memcpy(s->ranks + s->nranks, r, len * sizeof *r);
	for (uint32_t i = 0; i < len; i++)
		s->eq[s->nranks + i] = eq != NULL && eq[i] != 0;
	s->rk[s->nrk].weight = w;
	s->rk[s->nrk].off = (uint32_t)s->nranks;
	s->rk[s->nrk].len = len;
	s->nranks += len;
	s->tab[j] = (uint32_t)(++s->nrk);
	return STV_OK;
}

void stv_rkset_done(stv_rkset *s)
{
	free(s->tab);
	s->tab = NULL;
	s->tabcap = 0;
}

void stv_rkset_free(stv_rkset *s)
{
	stv_rkset_done(s);
	free(s->rk);
	free(s->ranks);
	free(s->eq);
	memset(s, 0, sizeof *s);
}
