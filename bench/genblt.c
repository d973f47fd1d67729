/*
 * genblt.c: a generator of realistic, seeded BLT ballot files, for the
 * demonstration and the benchmarks.
 *
 * The same arguments give the same bytes on every machine: the only source
 * of chance is xoshiro256** (Blackman and Vigna, 2018) seeded through
 * SplitMix64, and every weighted choice is made with integer weights, so
 * no floating-point rounding can differ between compilers or CPUs.
 *
 * The voters follow a simple model of a party-list STV election:
 *
 *   - the candidates stand for 3 to 5 parties of different popularity,
 *     bigger parties fielding more candidates;
 *   - each voter favours one party (drawn by party popularity) and ranks
 *     its candidates first, in an order drawn by a Plackett-Luce model:
 *     each next preference is drawn among the candidates not yet ranked
 *     with probability proportional to their personal popularity;
 *   - now and then (and always once the party's candidates run out) the
 *     voter moves on to another party, drawn by popularity times an
 *     affinity between the two parties, so transfers have a pattern;
 *   - the length of a ballot varies: most voters rank 1 to 4 candidates,
 *     some go further, a few rank every candidate;
 *   - a small share "plump": one preference only, for a candidate drawn
 *     across all parties by personal popularity.
 *
 * The output is plain BLT: a header, an optional withdrawn line, one line
 * of weight 1 per ballot, the closing 0, quoted names and a quoted title.
 * The names are invented combinations of common first names and surnames
 * with invented party labels; they name nobody.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CANDIDATES 10000         /* the BLT reader's own limit */
#define MAX_BALLOTS    1000000000ULL /* the counting core's limit */
#define MAX_PARTIES    5
#define EXIT_USAGE     2

/* ---- the PRNG ---- */

/*
 * xoshiro256** 1.0, whose 256-bit state is filled by SplitMix64 from the
 * 64-bit seed as its authors recommend (https://prng.di.unimi.it/).  Both
 * are pure 64-bit integer arithmetic, hence identical everywhere.
 */
typedef struct {
	uint64_t s[4];
} rng;

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static void rng_seed(rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static uint64_t rng_next(rng *r)
{
	uint64_t *s = r->s;
	uint64_t out = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

/*
 * A uniform integer in [0, n), n > 0, without the bias of a bare modulo:
 * draws below 2^64 mod n are rejected, so the draws kept are a whole
 * number of copies of [0, n).
 */
static uint64_t rng_below(rng *r, uint64_t n)
{
	uint64_t lim = (0 - n) % n;
	uint64_t x;

	do
		x = rng_next(r);
	while (x < lim);
	return x % n;
}

/* Index i with probability w[i] / sum(w); sum must be > 0. */
static int pick_weighted(rng *r, const uint64_t *w, int n, uint64_t sum)
{
	uint64_t x = rng_below(r, sum);

	for (int i = 0; i < n; i++) {
		if (x < w[i])
			return i;
		x -= w[i];
	}
	return n - 1; /* not reached when sum is the sum of w */
}

/* ---- names ---- */

static const char *const first_names[] = {
    "Alex",     "Morgan",  "Jamie",   "Robin",  "Sam",     "Casey",    "Jordan",
    "Taylor",   "Rowan",   "Avery",   "Quinn",  "Skye",    "Eilidh",   "Callum",
    "Fiona",    "Iain",    "Moira",   "Duncan", "Ailsa",   "Euan",     "Kirsty",
    "Niall",    "Shona",   "Fraser",  "Isla",   "Angus",   "Catriona", "Hamish",
    "Mairi",    "Lachlan", "Morven",  "Ewan",   "Lorna",   "Gregor",   "Rhona",
    "Alasdair", "Innes",   "Seonaid", "Torin",  "Elspeth",
};

static const char *const surnames[] = {
    "MORGAN",     "ABERNETHY",   "BLACKWOOD",  "CAIRNCROSS", "DALGLEISH",
    "FAIRBAIRN",  "GILCHRIST",   "HALDANE",    "INGLIS",     "JARDINE",
    "KINNAIRD",   "LOCKHART",    "MACINNES",   "NAIRN",      "OGILVIE",
    "PRINGLE",    "RINTOUL",     "SANDILANDS", "TULLOCH",    "URQUHART",
    "VEITCH",     "WEDDERBURN",  "YOUNGER",    "BALLANTYNE", "CRICHTON",
    "DRUMMOND",   "ELPHINSTONE", "FORSYTH",    "GOURLAY",    "HEPBURN",
    "KIRKWOOD",   "LAIDLAW",     "MOFFAT",     "NISBET",     "PATERSON",
    "RUTHERFORD", "SHIRREFF",    "TWEEDIE",    "WISHART",    "ARBUCKLE",
    "BARCLAY",    "COCHRANE",    "DOUGLAS",    "ERSKINE",    "GRIEVE",
    "HOGARTH",    "KERR",        "LINDSAY",    "MUIRHEAD",   "RAMSAY",
};

/* Invented labels; none is the name of a registered party. */
static const char *const party_names[MAX_PARTIES] = {
    "Green Thread",    "Civic Harbour", "Lantern",
    "Hearth and Hill", "Open Commons",
};

#define NFIRST (sizeof first_names / sizeof first_names[0])
#define NSUR   (sizeof surnames / sizeof surnames[0])

/* ---- the model ---- */

typedef struct {
	int party;
	uint64_t pop;   /* personal popularity, an integer weight */
	int first, sur; /* indices into the name tables; -1 in plain mode */
	int number;     /* a distinguishing number when names run out */
} candidate;

typedef struct {
	int ncand, nparty;
	candidate *cand;
	uint64_t party_pop[MAX_PARTIES];
	uint64_t affinity[MAX_PARTIES][MAX_PARTIES];
	int *members[MAX_PARTIES]; /* candidate indices of each party */
	int nmembers[MAX_PARTIES];
} model;

typedef struct {
	unsigned long long ballots, seed;
	int ncand, seats, withdrawn, realistic;
	const char *title;
} config;

/* Orders candidates as on a ballot paper: by surname, then first name. */
static int by_name(const void *a, const void *b)
{
	const candidate *x = a, *y = b;
	int c;

	if (x->sur != y->sur) {
		c = strcmp(surnames[x->sur], surnames[y->sur]);
		if (c != 0)
			return c;
	}
	if (x->first != y->first) {
		c = strcmp(first_names[x->first], first_names[y->first]);
		if (c != 0)
			return c;
	}
	return (x->number > y->number) - (x->number < y->number);
}

/*
 * Draws the parties, the candidates and their names.  Every draw comes
 * from r in a fixed order, which is what makes the output reproducible.
 */
static int model_make(model *m, const config *cf, rng *r)
{
	static const uint64_t base_pop[MAX_PARTIES] = {34, 26, 19, 13, 8};
	uint8_t *used = NULL;

	memset(m, 0, sizeof *m);
	m->ncand = cf->ncand;
	m->nparty = 3 + (int)rng_below(r, 3);
	if (m->nparty > cf->ncand)
		m->nparty = cf->ncand;
	/* Popularity falls from party to party, jittered by the seed. */
	for (int p = 0; p < m->nparty; p++)
		m->party_pop[p] = base_pop[p] * 4 + rng_below(r, base_pop[p]);
	/* Voters move between some pairs of parties more than others. */
	for (int p = 0; p < m->nparty; p++)
		for (int q = 0; q < m->nparty; q++)
			m->affinity[p][q] = p == q ? 0 : 1 + rng_below(r, 20);

	m->cand = calloc((size_t)cf->ncand, sizeof *m->cand);
	if (m->cand == NULL)
		return -1;
	/* Every party fields one candidate, and bigger ones field more. */
	uint64_t sum = 0;
	for (int p = 0; p < m->nparty; p++)
		sum += m->party_pop[p];
	for (int i = 0; i < cf->ncand; i++) {
		candidate *c = &m->cand[i];

		c->party = i < m->nparty
		               ? i
		               : pick_weighted(r, m->party_pop, m->nparty, sum);
		/* Mostly middling, with the odd well-known local figure. */
		c->pop = 10 + rng_below(r, 41);
		if (rng_below(r, 6) == 0)
			c->pop *= 4;
		c->first = c->sur = -1;
		c->number = i + 1;
	}
	if (cf->realistic) {
		/*
		 * Distinct (first, surname) pairs while they are plentiful;
		 * past half the pairs, a number keeps the names distinct
		 * without an ever longer search for an unused pair.
		 */
		size_t npairs = NFIRST * NSUR;

		if ((used = calloc(npairs, 1)) == NULL)
			return -1;
		for (int i = 0; i < cf->ncand; i++) {
			candidate *c = &m->cand[i];
			size_t k;

			if ((size_t)i < npairs / 2) {
				do
					k = (size_t)rng_below(r, npairs);
				while (used[k]);
				used[k] = 1;
				c->number = 0;
			} else {
				k = (size_t)rng_below(r, npairs);
			}
			c->first = (int)(k % NFIRST);
			c->sur = (int)(k / NFIRST);
		}
		free(used);
		qsort(m->cand, (size_t)cf->ncand, sizeof *m->cand, by_name);
	}
	for (int p = 0; p < m->nparty; p++) {
		m->members[p] = malloc((size_t)cf->ncand * sizeof(int));
		if (m->members[p] == NULL)
			return -1;
	}
	for (int i = 0; i < cf->ncand; i++) {
		int p = m->cand[i].party;

		m->members[p][m->nmembers[p]++] = i;
	}
	return 0;
}

static void model_free(model *m)
{
	free(m->cand);
	for (int p = 0; p < MAX_PARTIES; p++)
		free(m->members[p]);
}

/* A buffered writer that remembers the first error. */
typedef struct {
	char buf[1 << 16];
	size_t n;
	FILE *f;
	int err;
} outbuf;

static void out_flush(outbuf *o)
{
	if (o->n > 0 && !o->err && fwrite(o->buf, 1, o->n, o->f) != o->n)
		o->err = errno ? errno : EIO;
	o->n = 0;
}

static void out_bytes(outbuf *o, const char *s, size_t n)
{
	while (n > 0) {
		size_t k = sizeof o->buf - o->n;

		if (k == 0) {
			out_flush(o);
			continue;
		}
		if (k > n)
			k = n;
		memcpy(o->buf + o->n, s, k);
		o->n += k;
		s += k;
		n -= k;
	}
}

static void out_str(outbuf *o, const char *s)
{
	out_bytes(o, s, strlen(s));
}

/* Writes v in decimal, by hand: printf per number would be the cost. */
static void out_uint(outbuf *o, unsigned long long v)
{
	char t[24];
	int k = sizeof t;

	do {
		t[--k] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	out_bytes(o, t + k, sizeof t - (size_t)k);
}

/* A BLT quoted field: a '"' inside is written twice. */
static void out_quoted(outbuf *o, const char *s)
{
	out_bytes(o, "\"", 1);
	for (; *s; s++)
		out_bytes(o, s, 1 + (*s == '"'));
	out_bytes(o, "\"\n", 2);
}

/*
 * Draws a candidate of party p not yet on this ballot (stamp[c] != gen),
 * with probability proportional to popularity: one Plackett-Luce step.
 * Returns -1 when the party has nobody left.
 */
static int draw_from_party(const model *m, int p, const int *stamp, int gen,
                           rng *r)
{
	uint64_t sum = 0, x;

	for (int k = 0; k < m->nmembers[p]; k++) {
		int c = m->members[p][k];

		if (stamp[c] != gen)
			sum += m->cand[c].pop;
	}
	if (sum == 0)
		return -1;
	x = rng_below(r, sum);
	for (int k = 0; k < m->nmembers[p]; k++) {
		int c = m->members[p][k];

		if (stamp[c] == gen)
			continue;
		if (x < m->cand[c].pop)
			return c;
		x -= m->cand[c].pop;
	}
	return -1; /* not reached */
}

/* The next party: popularity times affinity with the current one. */
static int next_party(const model *m, int cur, const int *left, rng *r)
{
	uint64_t w[MAX_PARTIES], sum = 0;

	for (int q = 0; q < m->nparty; q++) {
		w[q] = left[q] > 0 ? m->party_pop[q] *
		                         (q == cur ? 4 : m->affinity[cur][q])
		                   : 0;
		sum += w[q];
	}
	return sum > 0 ? pick_weighted(r, w, m->nparty, sum) : -1;
}

/* How many preferences a voter gives, of n candidates. */
static int ballot_length(int n, rng *r)
{
	uint64_t x = rng_below(r, 100);

	if (x < 70) { /* 1 to 4, the shorter the likelier */
		int len = x < 24 ? 1 : x < 46 ? 2 : x < 61 ? 3 : 4;
		return len < n ? len : n;
	}
	if (x < 92 && n > 5) /* somewhere in between */
		return 5 + (int)rng_below(r, (uint64_t)(n - 5));
	return n; /* every candidate */
}

static int write_ballots(const model *m, const config *cf, rng *r, outbuf *o)
{
	int *stamp = calloc((size_t)m->ncand, sizeof *stamp);
	int left[MAX_PARTIES];
	uint64_t all = 0;

	if (stamp == NULL)
		return -1;
	for (int i = 0; i < m->ncand; i++)
		all += m->cand[i].pop;
	for (unsigned long long b = 0; b < cf->ballots && !o->err; b++) {
		/* The stamp marks who is on this ballot without clearing. */
		int gen = (int)(b % 0x7fffffff) + 1;

		out_bytes(o, "1", 1);
		if (rng_below(r, 100) < 4) { /* plumping */
			uint64_t x = rng_below(r, all);
			int c = 0;

			while (x >= m->cand[c].pop)
				x -= m->cand[c++].pop;
			out_bytes(o, " ", 1);
			out_uint(o, (unsigned long long)c + 1);
			out_bytes(o, " 0\n", 3);
			continue;
		}
		int len = ballot_length(m->ncand, r);
		uint64_t psum = 0;
		int cur;

		for (int p = 0; p < m->nparty; p++) {
			left[p] = m->nmembers[p];
			psum += m->party_pop[p];
		}
		cur = pick_weighted(r, m->party_pop, m->nparty, psum);
		for (int k = 0; k < len; k++) {
			/*
			 * One time in ten a voter strays to another party
			 * before the favoured one is exhausted.
			 */
			if (left[cur] == 0 || (k > 0 && rng_below(r, 10) == 0))
				cur = next_party(m, cur, left, r);
			if (cur < 0)
				break;
			int c = draw_from_party(m, cur, stamp, gen, r);
			if (c < 0)
				break;
			stamp[c] = gen;
			left[cur]--;
			out_bytes(o, " ", 1);
			out_uint(o, (unsigned long long)c + 1);
		}
		out_bytes(o, " 0\n", 3);
	}
	free(stamp);
	return 0;
}

static int generate(const config *cf, FILE *f)
{
	outbuf *o = malloc(sizeof *o); /* 64 KiB: not for the stack */
	model m;
	rng r;
	int rc = -1;

	if (o == NULL) {
		fprintf(stderr, "genblt: out of memory\n");
		return -1;
	}
	o->f = f;
	o->n = 0;
	o->err = 0;
	rng_seed(&r, cf->seed);
	if (model_make(&m, cf, &r) != 0) {
		fprintf(stderr, "genblt: out of memory\n");
		goto done;
	}
	out_uint(o, (unsigned long long)cf->ncand);
	out_bytes(o, " ", 1);
	out_uint(o, (unsigned long long)cf->seats);
	out_bytes(o, "\n", 1);
	if (cf->withdrawn > 0) {
		/* Distinct candidates, listed in ascending order. */
		uint8_t *w = calloc((size_t)cf->ncand, 1);
		int sep = 0;

		if (w == NULL) {
			fprintf(stderr, "genblt: out of memory\n");
			goto done;
		}
		for (int k = 0; k < cf->withdrawn; k++) {
			int c;

			do
				c = (int)rng_below(&r, (uint64_t)cf->ncand);
			while (w[c]);
			w[c] = 1;
		}
		for (int c = 0; c < cf->ncand; c++)
			if (w[c]) {
				out_str(o, sep++ ? " -" : "-");
				out_uint(o, (unsigned long long)c + 1);
			}
		out_bytes(o, "\n", 1);
		free(w);
	}
	if (write_ballots(&m, cf, &r, o) != 0) {
		fprintf(stderr, "genblt: out of memory\n");
		goto done;
	}
	out_str(o, "0\n");
	for (int i = 0; i < cf->ncand; i++) {
		const candidate *c = &m.cand[i];
		char name[160];

		if (!cf->realistic)
			snprintf(name, sizeof name, "Candidate %d", i + 1);
		else if (c->number == 0)
			snprintf(name, sizeof name, "%s %s (%s)",
			         first_names[c->first], surnames[c->sur],
			         party_names[c->party]);
		else
			snprintf(name, sizeof name, "%s %s %d (%s)",
			         first_names[c->first], surnames[c->sur],
			         c->number, party_names[c->party]);
		out_quoted(o, name);
	}
	if (cf->title != NULL) {
		out_quoted(o, cf->title);
	} else {
		char title[96];

		snprintf(title, sizeof title, "Generated election, seed %llu",
		         cf->seed);
		out_quoted(o, title);
	}
	out_flush(o);
	if (o->err == 0 && fflush(f) != 0)
		o->err = errno ? errno : EIO;
	if (o->err != 0) {
		fprintf(stderr, "genblt: cannot write the ballots: %s\n",
		        strerror(o->err));
		goto done;
	}
	rc = 0;
done:
	model_free(&m);
	free(o);
	return rc;
}

static void usage(FILE *f)
{
	fputs("usage: genblt [--ballots N] [--candidates C] [--seats S] "
	      "[--seed X]\n"
	      "              [--withdrawn K] [--title T] "
	      "[--names realistic|plain] > FILE.blt\n"
	      "\n"
	      "Writes a BLT file of N seeded, party-structured ballots of "
	      "weight 1.\n"
	      "The same arguments give the same bytes on every machine.\n"
	      "\n"
	      "  --ballots N      ballots to write, 1..1000000000 "
	      "(default 1000)\n"
	      "  --candidates C   candidates, 1..10000 (default 10)\n"
	      "  --seats S        seats, 1..C-K (default 3, or C-K if "
	      "fewer)\n"
	      "  --seed X         an unsigned 64-bit seed (default 1)\n"
	      "  --withdrawn K    candidates to mark withdrawn, 0..C-1 "
	      "(default 0)\n"
	      "  --title T        the election's title (default names the "
	      "seed)\n"
	      "  --names MODE     realistic: invented names with a party "
	      "label (default);\n"
	      "                   plain: 'Candidate 1', 'Candidate 2', ...\n"
	      "  --help           this text\n"
	      "\n"
	      "Exit status: 0 written, 1 cannot write or out of memory, "
	      "2 bad arguments.\n",
	      f);
}

/* A whole decimal number in [lo, hi]; nothing else on the argument. */
static int parse_num(const char *opt, const char *s, unsigned long long lo,
                     unsigned long long hi, unsigned long long *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (*s < '0' || *s > '9' ||
	    (v = strtoull(s, &end, 10), errno != 0 || *end != '\0') || v < lo ||
	    v > hi) {
		fprintf(stderr,
		        "genblt: --%s needs a whole number from %llu to %llu, "
		        "not '%s'\n",
		        opt, lo, hi, s);
		return -1;
	}
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"ballots", required_argument, NULL, 'b'},
	    {"candidates", required_argument, NULL, 'c'},
	    {"seats", required_argument, NULL, 's'},
	    {"seed", required_argument, NULL, 'x'},
	    {"withdrawn", required_argument, NULL, 'w'},
	    {"title", required_argument, NULL, 't'},
	    {"names", required_argument, NULL, 'n'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	config cf = {.ballots = 1000,
	             .seed = 1,
	             .ncand = 10,
	             .seats = 3,
	             .realistic = 1};
	unsigned long long v;
	int ch, seats_given = 0;

	opterr = 0; /* our own messages, and exit status 2 */
	while ((ch = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'b':
			if (parse_num("ballots", optarg, 1, MAX_BALLOTS, &v))
				return EXIT_USAGE;
			cf.ballots = v;
			break;
		case 'c':
			if (parse_num("candidates", optarg, 1, MAX_CANDIDATES,
			              &v))
				return EXIT_USAGE;
			cf.ncand = (int)v;
			break;
		case 's':
			if (parse_num("seats", optarg, 1, MAX_CANDIDATES, &v))
				return EXIT_USAGE;
			cf.seats = (int)v;
			seats_given = 1;
			break;
		case 'x':
			if (parse_num("seed", optarg, 0, UINT64_MAX, &v))
				return EXIT_USAGE;
			cf.seed = v;
			break;
		case 'w':
			if (parse_num("withdrawn", optarg, 0,
			              MAX_CANDIDATES - 1, &v))
				return EXIT_USAGE;
			cf.withdrawn = (int)v;
			break;
		case 't':
			/* A title is one line of a BLT file. */
			if (strpbrk(optarg, "\r\n") != NULL) {
				fprintf(stderr, "genblt: --title must be a "
				                "single line\n");
				return EXIT_USAGE;
			}
			cf.title = optarg;
			break;
		case 'n':
			if (strcmp(optarg, "realistic") == 0) {
				cf.realistic = 1;
			} else if (strcmp(optarg, "plain") == 0) {
				cf.realistic = 0;
			} else {
				fprintf(stderr,
				        "genblt: --names is 'realistic' or "
				        "'plain', not '%s'\n",
				        optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return fflush(stdout) == 0 ? 0 : 1;
		case ':':
			fprintf(stderr, "genblt: %s needs a value\n",
			        argv[optind - 1]);
			return EXIT_USAGE;
		default:
			fprintf(stderr,
			        "genblt: unknown option '%s' (try --help)\n",
			        argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr,
		        "genblt: unexpected argument '%s': the file is written "
		        "to standard output\n",
		        argv[optind]);
		return EXIT_USAGE;
	}
	if (cf.withdrawn >= cf.ncand) {
		fprintf(stderr,
		        "genblt: --withdrawn %d leaves no candidate standing "
		        "of %d\n",
		        cf.withdrawn, cf.ncand);
		return EXIT_USAGE;
	}
	if (!seats_given && cf.seats > cf.ncand - cf.withdrawn)
		cf.seats = cf.ncand - cf.withdrawn;
	if (cf.seats > cf.ncand - cf.withdrawn) {
		fprintf(stderr,
		        "genblt: --seats %d is more than the %d candidates "
		        "left standing\n",
		        cf.seats, cf.ncand - cf.withdrawn);
		return EXIT_USAGE;
	}
	return generate(&cf, stdout) == 0 ? 0 : 1;
}
