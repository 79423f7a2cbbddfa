// Package mpc is the custody system's threshold-signature library: key
// ceremonies and signing sessions for k-of-n committees (k signers needed;
// tss-lib's threshold is k-1), ECDSA on secp256k1 and EdDSA on ed25519. It
// is sans-I/O: a session is a state machine the signer node feeds with the
// messages it receives and whose returned messages it sends. It owns no
// goroutine, clock or global randomness of its own.
//
// # What it owns
//
//   - Protocol, the one shape of every session: Start(rnd) once, then
//     Deliver(from, round, payload) per received message; both return the
//     Outs to send (To nil = broadcast to the session's other parties).
//     Trace lists what the party sent: round, sender, receivers, never
//     content or size.
//   - Session (signing: Done returns the signature) and two Engines that
//     make sessions, chosen per run: TSS and Ideal (below).
//   - Keygen, a tss-lib key ceremony; KeyShare, one party's share (tss-lib's
//     save data plus key id, algo, committee, k and the public key) with
//     MarshalShare/UnmarshalShare; PreParams and Pool, the Paillier
//     pre-parameters ECDSA keygen needs.
//   - The default committees (DefaultCommittees: hot ECDSA 2-of-3 on
//     signer-hot-1..3, cold ECDSA 3-of-5 on signer-cold-1..5, hot-ed and
//     cold-ed EdDSA on the same signers) and their test data, generated once
//     by 'vaultdrill keys' and embedded: LoadDefaultPool, LoadDefaultKey,
//     LoadDefaultShares.
//   - RunLocal, an in-process driver that runs every party of one attempt in
//     one goroutine in a fixed order (the keys command, tests, benchmarks).
//   - Verify, signature verification with btcec and crypto/ed25519.
//
// The caller (the signer node) owns everything around a session: it binds
// each payload into an envelope carrying the SessionID (tss-lib's messages
// carry no session), authenticates senders (the library does not), runs the
// round timeouts (the library has none: a silent party stalls forever),
// decides retries with another k-subset, and quarantines culprits.
//
// # Delivery rules
//
// Deliver checks, before the protocol sees a message: the sender is another
// party of the session (ErrNotInSession), the envelope's round is the
// message's round (ErrWrongRound), and the (sender, message) slot is empty
// (ErrDuplicate: a network duplicate or a replay). These rejections leave
// the session untouched. Messages that arrive before Start are held and fed
// right after it. Anything else that goes wrong is a fault: the session
// aborts with a *FaultError carrying a Blame (culprits sorted; Attributable
// only for a verifiable fault of another party: a failed proof, a bad
// commitment or share, an invalid approval), the tss-lib party is discarded
// (the library panics if fed after an error), and every later call returns
// ErrAborted. A malformed payload names its sender but is not attributable,
// nor is a fault the library reports without culprits (an EdDSA
// de-commitment failure) or against the reporting party itself.
//
// # Engines
//
// TSS drives tss-lib v2.0.2 (github.com/bnb-chain/tss-lib/v2). ECDSA
// signing is GG18: 9 rounds, round 1 point-to-point and broadcast, round 2
// point-to-point, rounds 3 to 9 broadcast; about 0.35 s of CPU for 2-of-3.
// EdDSA signing: 3 broadcast rounds, about 35 ms. The adapter sets
// SetConcurrency(1), passes the Start reader to SetRand and
// SetPartialKeyRand, calls the party synchronously and drains its buffered
// out channel before returning, so the library is finished with a message
// when Deliver returns. NoProofMod and NoProofFac are never set. ECDSA
// keygen requires PreParams from the pool (ErrNoPreParams otherwise): it
// never generates Paillier parameters inside a session, since generation
// reads the global reader from several goroutines under a wall-clock
// timeout and Go 1.26's crypto/rand.Prime ignores its reader. Every
// committee member needs distinct parameters (tss-lib rejects a ceremony
// that reuses h1 or h2).
//
// Ideal is an ideal signing functionality for fast seed sweeps: the
// simulator holds each key whole, outside the custody system, derived from
// the engine's seed (ed25519.NewKeyFromSeed; secp256k1 with btcec and RFC
// 6979 nonces, since Go 1.26's crypto/ecdsa ignores its reader), and exempt
// from the key invariants. Its sessions send exactly the messages tss-lib
// sends (the same rounds, the same count and fan-out per round, the same
// wait for a complete round before the next; a test compares the two
// engines' traces) with small payloads: a commitment to (session, digest)
// and, in the last round, the party's approval, an HMAC the functionality
// issued for (session, party, digest). The signature is released only when
// every party of the session, at least k distinct committee members, sent
// consistent commitments and valid approvals. Both engines' signatures
// verify with btcec and crypto/ed25519 against the key's public key.
//
// Signatures: ECDSA as 65 bytes r || s || v (low-S; v the recovery id
// 0..3), EdDSA as the 64-byte ed25519 signature. Digests are DigestSize
// (32) bytes; an ECDSA digest is reduced mod the group order, as verifiers
// do.
//
// # Determinism contract
//
// A session's only randomness is the reader given to Start; the signer
// node passes a fresh stream derived from the seed tree for every (node,
// session, attempt) and never reuses one. The package reads no clock,
// starts no goroutine and ranges over no map where order matters; the
// tss-lib adapter (tss_*.go) is the one place that uses channels and calls
// a library that starts goroutines, each joined before the call returns.
//
// What tss-lib allows, measured (TestTSSDeterminism): with the same seeded
// readers and the same delivery order, the signature bytes and the message
// trace (round, sender, receivers) are identical across runs, for both
// algorithms. EdDSA payloads are byte-identical too. ECDSA payloads are
// identical in round 1 only: signing round 2 reads the reader from two
// goroutines per peer (Bob's MtA and MtA-with-check), so which goroutine
// gets which bytes, and with rejection sampling how many bytes are drawn
// before round 5, depends on scheduling. The signature does not depend on
// it: r comes from the round-1 nonces, and s = m*k + r*k*x whatever the MtA
// masks were. So the sim's trace must record MPC messages by round, sender
// and receiver, never content or size, and link delays must not depend on
// a message's size. The adapter serializes reads of the Start reader (a
// seeded stream is not safe for concurrent use), which keeps the race out
// but not the scheduling. Keygen with the same pool and seeded readers is
// byte-identical: TestKeygenEdDSA checks EdDSA, and 'vaultdrill keys
// --reuse-pool' reproduces the committed ECDSA shares byte for byte (its
// proofs read the reader from one goroutine).
package mpc
