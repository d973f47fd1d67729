/*
 * fixture.h: a valid poll definition shared by the proto tests and the
 * roll fuzz target: four contests, one of each kind, three trustees.
 * The P-256 keys were made with
 *   openssl ecparam -name prime256v1 -genkey -noout |
 *   openssl ec -pubout -outform DER | tail -c 65 | base64url
 * and the Ed25519 keys are 32 bytes of 0x01, 0x02, 0x03.
 */
#ifndef PROTO_FIXTURE_H
#define PROTO_FIXTURE_H

#define FIX_HPKE_A                                                             \
	"BLZQBIbdPJqjB37picmhvEtbp9jGn7l0kg-67Sy5tMbxqLiYyZNurt-"              \
	"plfWgKZEKtA6LS_a1XyWorpPCQfGiTFM"
#define FIX_HPKE_B                                                             \
	"BEev4hlpPardUcFOG1g_"                                                 \
	"tsnCc4oKrXDTwpoWjWzb1hsK9HcQrcufhkpwudDzyaBK9LdZjasO6crvFnWKda1Ma9o"
#define FIX_HPKE_C                                                             \
	"BKguQ3q8aL3rJLPPfaTEZzcMx1lIvIQ4i88odngBcK7lU_"                       \
	"cyCJkE8S70H3QFWkEMWyuOUjlPxSIfoArL2o4I3r4"
#define FIX_SIGN_A "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE"
#define FIX_SIGN_B "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI"
#define FIX_SIGN_C "AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM"

#define FIX_POLL                                                               \
	"{\"format\":\"ballot-poll/1\",\"id\":\"committee-2026\","             \
	"\"title\":\"Committee election 2026\","                               \
	"\"opens\":\"2026-12-01T09:00:00Z\","                                  \
	"\"closes\":\"2026-12-14T17:00:00Z\",\"revoting\":false,"              \
	"\"ballot_size\":1024,\"min_class_size\":2,"                           \
	"\"contests\":["                                                       \
	"{\"id\":\"committee\",\"title\":\"National committee\","              \
	"\"kind\":\"stv\",\"rule\":\"scottish-stv\",\"seats\":2,"              \
	"\"candidates\":["                                                     \
	"{\"name\":\"Anne SMITH\",\"categories\":[\"women\",\"north\"]},"      \
	"{\"name\":\"Bob JONES\",\"categories\":[\"north\"]},"                 \
	"{\"name\":\"Cath BROWN\",\"categories\":[\"women\"]},"                \
	"{\"name\":\"Re-open nominations\"}],"                                 \
	"\"constraints\":[{\"category\":\"women\",\"min\":1},"                 \
	"{\"category\":\"north\",\"max\":1}]},"                                \
	"{\"id\":\"north\",\"title\":\"North region seat\","                   \
	"\"kind\":\"option\",\"candidates\":[{\"name\":\"Dan\"},"              \
	"{\"name\":\"Eve\"},{\"name\":\"None of these\"}]},"                   \
	"{\"id\":\"motion-1\",\"title\":\"Motion 1\","                         \
	"\"kind\":\"referendum\",\"candidates\":[{\"name\":\"Yes\"},"          \
	"{\"name\":\"No\"}],\"threshold\":{\"numerator\":2,"                   \
	"\"denominator\":3,\"abstentions\":\"included\"}},"                    \
	"{\"id\":\"list\",\"title\":\"Nomination order\","                     \
	"\"kind\":\"ordered-list\",\"rule\":\"meek\","                         \
	"\"candidates\":[{\"name\":\"F\"},{\"name\":\"G\"},"                   \
	"{\"name\":\"H\"}]}],"                                                 \
	"\"trustees\":{\"k\":2,\"members\":["                                  \
	"{\"name\":\"Trustee A\",\"sign_key\":\"" FIX_SIGN_A "\","             \
	"\"hpke_key\":\"" FIX_HPKE_A "\"},"                                    \
	"{\"name\":\"Trustee B\",\"sign_key\":\"" FIX_SIGN_B "\","             \
	"\"hpke_key\":\"" FIX_HPKE_B "\"},"                                    \
	"{\"name\":\"Trustee C\",\"sign_key\":\"" FIX_SIGN_C "\","             \
	"\"hpke_key\":\"" FIX_HPKE_C "\"}]}}"

#endif
