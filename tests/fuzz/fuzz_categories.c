/*
 * fuzz_categories.c: a libFuzzer target for the category (constraint)
 * file reader, and for the constraint hooks of every rule.
 *
 * The bytes are a category file for one fixed election (seven candidates,
 * three seats).  stv_constraints_read must refuse them with an error or
 * accept them; accepted constraints are then applied by each STV rule,
 * and every count must either refuse up front (the constraints cannot be
 * met) or fill the seats with a set that meets every minimum and maximum.
 */
#include "stv_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char election[] = "7 3\n"
                               "5 1 2 3 0\n"
                               "4 2 1 0\n"
                               "3 3 4 5 0\n"
                               "3 4 3 0\n"
                               "2 5 6 7 0\n"
                               "2 6 5 0\n"
                               "1 7 1 0\n"
                               "1 7 6 5 4 0\n"
                               "0\n"
                               "\"A\"\n\"B\"\n\"C\"\n\"D\"\n\"E\"\n\"F\"\n"
                               "\"G\"\n\"Fuzz\"\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const stv_rule rules[] = {STV_RULE_SCOTTISH, STV_RULE_MEEK,
	                                 STV_RULE_WIGM, STV_RULE_ERS97};
	stv_election *e = NULL;
	stv_constraints *k = NULL;
	stv_error err;

	if (size > 4096)
		return 0;
	if (stv_blt_read(election, sizeof election - 1, &e, &err) != STV_OK)
		abort(); /* the fixed election must read */
	if (stv_constraints_read(e, (const char *)data, size, &k, &err) !=
	    STV_OK) {
		if (k != NULL || err.msg[0] == '\0') {
			fprintf(stderr, "refused without a message, or with "
			                "a result\n");
			abort();
		}
		stv_election_free(e);
		return 0;
	}
	for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
		stv_options opt = {rules[i], 0, 0, 0, k};
		stv_result *r = NULL;
		uint8_t state[7];

		if (stv_count(e, &opt, &r, &err) != STV_OK) {
			if (strstr(err.msg, "cannot be met") == NULL) {
				fprintf(stderr, "%s: count failed: %s\n",
				        stv_rule_name(rules[i]), err.msg);
				abort();
			}
			continue;
		}
		memset(state, STV_EXCLUDED, sizeof state);
		for (int j = 0; j < stv_result_elected_count(r); j++)
			state[stv_result_elected(r, j)] = STV_ELECTED;
		if (!stv_cons_feasible(k, 3, state)) {
			fprintf(stderr, "%s: the elected break a constraint\n",
			        stv_rule_name(rules[i]));
			abort();
		}
		stv_result_free(r);
	}
	stv_constraints_free(k);
	stv_election_free(e);
	return 0;
}
