/*
 * fixed.c: fixed-point helpers.  Values are int64_t scaled by 10^places;
 * intermediate products use unsigned/signed __int128 so that the only
 * rounding is the one the rule asks for.
 */
#include "stv_int.h"

#include <stdio.h>
#include <string.h>

int64_t stv_pow10(int places)
{
	int64_t p = 1;

	while (places-- > 0)
		p *= 10;
	return p;
}

int64_t stv_mul_down(int64_t a, int64_t b, int64_t scale)
{
	return (int64_t)(((__int128)a * b) / scale);
}

int64_t stv_mul_up(int64_t a, int64_t b, int64_t scale)
{
	__int128 p = (__int128)a * b;

	return (int64_t)((p + scale - 1) / scale);
}

int64_t stv_div_down(int64_t a, int64_t b, int64_t scale)
{
	return (int64_t)(((__int128)a * scale) / b);
}

int64_t stv_div_up(int64_t a, int64_t b, int64_t scale)
{
	__int128 p = (__int128)a * scale;

	return (int64_t)((p + b - 1) / b);
}

int64_t stv_muldiv_down(int64_t a, int64_t b, int64_t d)
{
	return (int64_t)(((__int128)a * b) / d);
}

void stv_fmt(char *buf, size_t n, int64_t v, int places)
{
	int64_t scale = stv_pow10(places);
	const char *sign = "";
	uint64_t u;

	if (v < 0) {
		sign = "-";
		u = (uint64_t)0 - (uint64_t)v;
	} else {
		u = (uint64_t)v;
	}
	if (places == 0)
		snprintf(buf, n, "%s%llu", sign, (unsigned long long)u);
	else
		snprintf(buf, n, "%s%llu.%0*llu", sign,
		         (unsigned long long)(u / (uint64_t)scale), places,
		         (unsigned long long)(u % (uint64_t)scale));
}

static const struct {
	const char *name;
	int places;
} rules[] = {
    [STV_RULE_SCOTTISH] = {"scottish-stv", 5},
    [STV_RULE_MEEK] = {"meek", 9},
    [STV_RULE_WIGM] = {"wigm", 4},
    [STV_RULE_ERS97] = {"ers97", 2},
    [STV_RULE_IRV] = {"irv", 0},
};

int stv_rule_from_name(const char *name, stv_rule *out)
{
	for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
		if (strcmp(name, rules[i].name) == 0) {
			*out = (stv_rule)i;
			return 0;
		}
	}
	return -1;
}

const char *stv_rule_name(stv_rule rule)
{
	return (unsigned)rule < sizeof rules / sizeof rules[0]
	           ? rules[rule].name
	           : "unknown";
}

int stv_rule_places(stv_rule rule)
{
	return (unsigned)rule < sizeof rules / sizeof rules[0]
	           ? rules[rule].places
	           : 0;
}
