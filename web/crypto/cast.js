// The signed cast of docs/protocol.md section 7: the bytes the cast key signs, cast_sig, and the
// "ballot-entry/v2" board entry with its leaf hash. Mirrors proto_cast_bytes, proto_cast_sign,
// proto_cast_verify and proto_board_entry (proto/bytes.c), byte for byte.
//
// `token` is the prepared message (section 5): 32-byte random prefix ‖ msg, where msg is the
// 32-byte public key of the token's cast key; the token's RSA signature `sig` is separate.

import { checkBytes, checkLen, concat, lp, sha256, utf8 } from './bytes.js';
import { pad, seal } from './hpke.js';
import { sign, verify } from './ed25519.js';
import { leafHash } from './merkle.js';

/** Length of a token (prepared = prefix ‖ msg), PROTO_TOKEN_LEN. */
export const TOKEN_LEN = 64;
/** Offset of msg, the cast key's public key, in a token (PROTO_TOKEN_MSG_OFF). */
export const TOKEN_MSG_OFF = 32;

function checkClass(classId) {
  if (typeof classId !== 'string') throw new Error('cast: class id must be a string');
  return classId;
}

/**
 * The bytes the cast key signs (proto_cast_bytes):
 * lp("ballot-cast/v1") ‖ lp(poll_hash) ‖ lp(class id) ‖ lp(token) ‖ lp(sealed ballot).
 * Like the C function it takes a token of any length; signCast and verifyCast require 64 bytes.
 * @param {Uint8Array} pollHash 32 bytes
 * @param {string} classId UTF-8
 * @param {Uint8Array} token
 * @param {Uint8Array} sealed the sealed ballot (enc ‖ ct)
 * @returns {Uint8Array}
 */
export function castBytes(pollHash, classId, token, sealed) {
  checkLen(pollHash, 32, 'cast poll hash');
  checkClass(classId);
  checkBytes(token, 'cast token');
  checkBytes(sealed, 'cast sealed ballot');
  return concat(lp('ballot-cast/v1'), lp(pollHash), lp(classId), lp(token), lp(sealed));
}

/**
 * The public key a token names: its last 32 bytes (msg).
 * @param {Uint8Array} token 64 bytes
 * @returns {Uint8Array} 32 bytes (a view into token)
 */
export function castPublicKey(token) {
  checkLen(token, TOKEN_LEN, 'cast token');
  return token.subarray(TOKEN_MSG_OFF);
}

/**
 * cast_sig (proto_cast_sign): Ed25519 by the cast key over castBytes(...). The token must be
 * 64 bytes, and the signature is checked against the key the token names before it is returned,
 * so a cast key that does not belong to the token throws here instead of a 422 from the server.
 * @param {CryptoKey} privateKey the token's cast key (ed25519.js generateKeyPair / importSeed)
 * @param {Uint8Array} pollHash 32 bytes
 * @param {string} classId
 * @param {Uint8Array} token 64 bytes
 * @param {Uint8Array} sealed
 * @returns {Promise<Uint8Array>} 64 bytes
 */
export async function signCast(privateKey, pollHash, classId, token, sealed) {
  const pk = castPublicKey(token);
  const msg = castBytes(pollHash, classId, token, sealed);
  const sig = await sign(privateKey, msg);
  if (!(await verify(pk, msg, sig))) throw new Error('signCast: the cast key is not the one the token names');
  return sig;
}

/**
 * Checks cast_sig under the public key in the token (proto_cast_verify). Throws on a token that
 * is not 64 bytes or a signature that is not 64 bytes; false if the signature does not verify.
 * @param {Uint8Array} pollHash
 * @param {string} classId
 * @param {Uint8Array} token 64 bytes
 * @param {Uint8Array} sealed
 * @param {Uint8Array} castSig 64 bytes
 * @returns {Promise<boolean>}
 */
export async function verifyCast(pollHash, classId, token, sealed, castSig) {
  const pk = castPublicKey(token);
  checkLen(castSig, 64, 'cast_sig');
  return verify(pk, castBytes(pollHash, classId, token, sealed), castSig);
}

/**
 * The board entry (proto_board_entry): lp("ballot-entry/v2") ‖ lp(poll_hash) ‖ lp(class id) ‖
 * lp(token) ‖ lp(sig) ‖ lp(sealed ballot) ‖ lp(cast_sig). Lengths other than the poll hash's are
 * not checked, as in C (the page compares this with what the board shows).
 * @param {Uint8Array} pollHash 32 bytes
 * @param {string} classId
 * @param {Uint8Array} token
 * @param {Uint8Array} sig the token's RSA signature
 * @param {Uint8Array} sealed
 * @param {Uint8Array} castSig
 * @returns {Uint8Array}
 */
export function boardEntryV2(pollHash, classId, token, sig, sealed, castSig) {
  checkLen(pollHash, 32, 'entry poll hash');
  checkClass(classId);
  checkBytes(token, 'entry token');
  checkBytes(sig, 'entry sig');
  checkBytes(sealed, 'entry sealed ballot');
  checkBytes(castSig, 'entry cast_sig');
  return concat(lp('ballot-entry/v2'), lp(pollHash), lp(classId), lp(token), lp(sig), lp(sealed), lp(castSig));
}

/**
 * The leaf hash of an entry (RFC 9162: SHA-256(0x00 ‖ entry)), the value a receipt names.
 * @param {Uint8Array} entry
 * @returns {Promise<Uint8Array>} 32 bytes
 */
export async function entryLeafHash(entry) {
  return leafHash(checkBytes(entry, 'entry'));
}

/**
 * token_id (docs/protocol.md section 5, proto_token_id) = H(lp("ballot-token/v1") ‖ lp(class id)
 * ‖ lp(prepared)): the aad of the sealed ballot.
 * @param {string} classId
 * @param {Uint8Array} prepared the token (64 bytes)
 * @returns {Promise<Uint8Array>} 32 bytes
 */
export async function tokenId(classId, prepared) {
  checkClass(classId);
  checkBytes(prepared, 'token_id prepared');
  return sha256(concat(lp('ballot-token/v1'), lp(classId), lp(prepared)));
}

/**
 * The HPKE info of a sealed ballot (docs/protocol.md section 6, proto_seal_info):
 * lp("ballot-seal/v1") ‖ lp(poll_hash) ‖ lp(class id).
 * @param {Uint8Array} pollHash 32 bytes
 * @param {string} classId
 * @returns {Uint8Array}
 */
export function sealInfo(pollHash, classId) {
  checkLen(pollHash, 32, 'seal poll hash');
  checkClass(classId);
  return concat(lp('ballot-seal/v1'), lp(pollHash), lp(classId));
}

/**
 * Seals a ballot plaintext (docs/protocol.md section 6): pad to ballotSize, HPKE base mode to the
 * election key with info = sealInfo(...) and aad = tokenId(classId, prepared). Returns the sealed
 * ballot enc ‖ ciphertext ‖ tag, always ballotSize + 81 bytes.
 * @param {Uint8Array} electionKey 65-byte P-256 point
 * @param {Uint8Array} pollHash 32 bytes
 * @param {string} classId
 * @param {Uint8Array} prepared the token (64 bytes)
 * @param {Uint8Array|string} plaintext the ballot JSON (a string is taken as UTF-8)
 * @param {number} ballotSize the poll's ballot_size
 * @returns {Promise<Uint8Array>}
 */
export async function sealBallot(electionKey, pollHash, classId, prepared, plaintext, ballotSize) {
  const pt = typeof plaintext === 'string' ? utf8(plaintext) : checkBytes(plaintext, 'ballot plaintext');
  const padded = pad(pt, ballotSize);
  const aad = await tokenId(classId, prepared);
  const { enc, ct } = await seal(electionKey, sealInfo(pollHash, classId), aad, padded);
  padded.fill(0);
  const out = concat(enc, ct);
  if (out.length !== ballotSize + 81) throw new Error('sealBallot: unexpected sealed length');
  return out;
}
