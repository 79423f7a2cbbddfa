// Package signer owns the MPC signer node: it keeps its key shares sealed by
// its own HSM (system/hsm), coordinates and joins threshold signing sessions
// (system/mpc) whose messages travel over the host's network, and answers
// the requesters it is configured to serve.
//
// Messages (JSON bodies in env frames, types 30-35 and 39):
//
//	30 SignRequest   requester -> any committee member (the coordinator)
//	31 SignResponse  coordinator -> requester
//	32 Begin         coordinator -> each party of an attempt
//	33 Envelope      party -> party: one MPC payload bound to (key, session,
//	                 attempt, sorted party set, round, claimed sender)
//	34 Result        party -> coordinator: the finished signature
//	36 Ack           party -> coordinator: it started the attempt (alive)
//	35 Abort         party -> coordinator (a fault, with blame) and
//	                 coordinator -> parties (the attempt is over)
//	37 KeygenRequest   requester -> any committee member: make a new key
//	38 KeygenResponse  coordinator -> requester: the key every member announced
//	39 Control       harness -> node: an HSM fault (hsm.ParseFault text) or a
//	                 host event (pin-bruteforce N, pin-reset); see ParseControl
//
// Key ceremonies (ceremony.go) reuse Begin (with Keygen set), Envelope,
// Result (carrying the public key) and Abort, always with the whole
// committee. Each member seals its new share, records the key's public
// facts in "signer/keys/KEY", and announces the public key; the coordinator
// answers once all members announced the same one. ECDSA ceremonies need
// the party's pooled Paillier pre-parameters (Config.PreParams).
//
// The coordinator picks each attempt's parties deterministically from the
// k-combinations of the committee minus quarantined parties: those that
// carry the fewest suspect marks (a party that did not acknowledge a Begin
// (36 Ack) before its attempt timed out, whose HSM failed, or that was
// blamed: a liveness hint only), the coordinator's own first among equals,
// rotating through the best group in lexicographic order. An attempt that
// does not finish within RoundTimeout times the protocol's rounds, or that
// a party aborts, is abandoned and the next attempt starts with a new
// subset and fresh randomness: a session is never retried with the same
// material. Attributable blame counts strikes against the culprits; at
// QuarantineStrikes a party is left out of later subsets. Blame that is not
// attributable (inconsistent) counts no strikes.
//
// A party rejects, and reports as "signer.reject", an envelope whose
// host-authenticated sender differs from its claimed one (spoofed-sender),
// whose sender is not in the session (not-in-session), that belongs to a
// session it already finished (replay) or never learnt of (unknown-session),
// or that the MPC engine refuses (wrong-round, duplicate, bad-envelope).
//
// HSM: shares are sealed on first start and only the sealed blob is written
// to disk ("signer/share/KEY"); each session unseals its share under a fresh
// operation id. CKR_GENERAL_ERROR (outcome unknown) is reconciled before
// anything else touches the operation, never blindly retried; other device
// errors abort the attempt so the coordinator retries elsewhere.
//
// Determinism: all randomness comes from the node's Env (session numbers
// from Rand, each attempt's reader seeded from 32 bytes of Entropy); maps are
// iterated in sorted order. The ideal engine is a simulator-held
// functionality shared by every signer of a run: it holds the keys outside
// the system and is exempt from the key invariants.
package signer
