// Package approval owns the authorization policy of withdrawals and the
// rule that decides whether a set of approvals meets it.
//
// A Policy is a versioned list of tiers by wallet and amount; the first tier
// that matches says how many distinct humans, on distinct devices, must
// approve, and how long an approval stays valid. The initiator never counts
// toward their own withdrawal; one human counts once however many devices
// they use; a device counts once and belongs to one registered human
// (INV-QUORUM; attack 5 of DOMAIN.md).
//
// Approvals are ed25519 signatures by the approver's registered device,
// not messages a node happened to receive, because they are checked twice
// by parties that trust each other no more than they must: the wallet
// pipeline collects them, and then every MPC signer re-checks them, and the
// policy, for the exact digest it is asked to sign (INV-WYSIWYS). A signer
// never saw the approvals arrive, so only a signature lets it tell a real
// approval from one forged, replayed from another withdrawal or re-targeted
// at another destination, amount, wallet or policy version. The signed
// Subject carries the intent digest (IntentDigest: wallet, withdrawal id,
// destination, amount; decision D17), which each signer re-derives from the
// raw transaction, so nonce and fee may change after approval while the
// payee and amount may not. An approval given under another policy version
// fails its signature: it cannot be told from a forgery without trusting an
// unsigned claim, and either way it does not count.
//
// The package is pure logic: no nodes, no I/O. Used by system/wallet and
// system/signer; checkers judge from the observation stream and restate
// what they need, they do not import it.
//
// Determinism: pure functions of their arguments. Time is the caller's
// (now, and each approval's At); no randomness is read (ed25519 signing is
// deterministic; tests derive keys with ed25519.NewKeyFromSeed); maps are
// only looked up, never ranged over; Check sorts its input, so neither its
// result nor its error depends on the order of approvals.
package approval
