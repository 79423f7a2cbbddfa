// Package governance hosts the policy Governor (system/approval's
// change.go) as a node: gov-1, in the primary region. It owns the policy
// changes of the custody system (a tier's quorum, the withdrawal
// whitelist, the velocity limit) from proposal to effect (INV-POLICY;
// attack 4 of DOMAIN.md).
//
// Admins' clients send it signed requests (MsgRequest): a proposal, an
// approval or a veto of one change (any other admin may veto a change
// until it takes effect: what the time lock is for), each an ed25519 signature by a device the
// approval Registry lists for that admin, over the exact change (id, kind,
// value) and the request's time. An unsigned, re-targeted or replayed
// request from another change counts for nothing. The Governor decides:
// the proposer never counts, a change needs the quorum of the riskiest
// withdrawal it enables, and it takes effect only after the time lock; an
// unapproved change is rejected at its expiry. Every proposal alerts the
// other admins at once (access.alert attack=insider-policy notify=admins
// naming the change), so an insider acting alone is seen inside the lock.
// Each change that becomes effective is pushed to every wallet node
// (MsgPush) until each acknowledges it (MsgAck); the wallets apply it
// (system/wallet/policy.go). A push is a certificate
// (approval.ChangeCert): numbered in the order changes took effect,
// chained to the previous quorum change, and signed with Config.Key, so
// the wallets apply changes in order and hand the quorum ones to the
// signers, which check the signatures and the chain themselves
// (approval.PolicyFrom). A quorum change that other changes made invalid
// by the time it took effect is pushed too, and changes nothing anywhere.
//
// Durability: every accepted request and every time-driven move is
// appended to a journal on env.Disk and synced before it is answered or
// reported; on start the node replays the journal through a fresh
// Governor (the same calls at the same recorded times give the same
// state), re-arms its timers and pushes every effective change again
// (wallets apply a change once, by id). Evidence: policy.change facts
// (docs/security-vocabulary.md) on each transition, access.alert on each
// proposal and on each admin approving their own change.
//
// Determinism: time is env.Now; no randomness; maps are only looked up
// (the Governor keeps proposal order, pending pushes are slices).
package governance
