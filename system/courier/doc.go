// Package courier owns the cold wallet's only path: a courier node that
// carries messages between the custody system and the air-gapped cold
// signers, and between the cold signers themselves, one hop at a time,
// slowly, and records every hop.
//
// A sender hands the courier a Forward (type 56) naming the final receiver;
// after Config.Hop of virtual time the courier delivers it, still as a
// Forward, so the receiver learns who handed the media over (the courier
// attests the origin: it takes media only from known devices). Every hop is
// observed as "courier.hop" and appended to the courier's own framed hop
// log on disk, synced before the delivery. Nothing else ever reaches a cold
// signer (INV-AIRGAP): cold signers send only to the courier and accept
// only what it delivers.
//
// Determinism: time from the Env only; no maps ranged over.
package courier
