// Package ledger is the custody ledger: account balances kept by a
// replicated state machine on etcd raft (go.etcd.io/raft/v3, driven through
// RawNode), one sans-I/O Node per replica.
//
// # What it owns
//
// Balances (deposits create accounts; an unknown account reads 0), the
// idempotency table, the running apply digest, the raft log and snapshots on
// the node's Disk, and the client protocol of system/api: writes (deposit,
// withdraw) go through the log; balance reads go through raft's ReadIndex
// with ReadOnlySafe (never lease reads, which clock skew breaks). Only the
// leader proposes or serves reads; other replicas answer StatusRedirect with
// the leader they know of. A withdrawal exceeding the balance is a definite
// no-op: StatusOK with Refused = api.ErrInsufficient. When leadership is
// lost, pending requests are dropped: their clients time out, an "unknown"
// outcome, which is correct since the write may still commit.
//
// # The Ready loop
//
// After every input the node drains raft's Ready batches, each in this
// order: persist the HardState, Entries and Snapshot and Sync (when raft
// says the batch must be durable); only then send Messages; then restore a
// received snapshot and apply CommittedEntries (conf changes through
// ApplyConfChange), answering the clients this replica owes; then Advance.
// Every SnapshotEntries applied entries the node then snapshots its state
// machine and compacts the log. Each step charges fixed virtual costs
// (CostStep, CostSync, CostApply, CostSnapshot), never measured ones.
//
// # Disk and its faults
//
// The layout and the fault model handling are in storage.go. In short:
// records are framed (env.Record), a torn tail of raft/log is cut off and
// the file rewritten on start, and nothing is sent before what it depends on
// is synced, so a crash loses only what no peer or client was told.
//
// # Idempotency retention
//
// A write with a non-empty IdemKey that was already applied returns the
// original result (Balance, Refused, Index) and changes nothing, as long as
// the key is remembered. A key is remembered until the highest proposal time
// applied so far is IdemRetention (default 24 hours) past the key's first
// proposal time. Proposal times are the proposing leader's clock, recorded
// in the command in the log, so every replica forgets keys at the same log
// index; a leader whose clock runs far ahead makes keys expire early.
//
// # Determinism contract
//
// A Node uses only its env.Env: time from e.Now, timers from e.After("tick"),
// randomness from e.Rand (an incarnation id that tells proposals of one
// incarnation from another's). The state machine is a pure function of the
// log: it reads no clock, serializes with sorted keys, and chains a SHA-256
// digest over every applied command's bytes (digest_i = sha256(digest_{i-1}
// || command)), so replicas with identical logs report identical digests.
// raft itself draws election jitter from the crypto/rand global, which the
// sim host routes to the stepping node's stream.
//
// # Observations
//
// ledger.apply (index, term, op, account, amount, idem, result ok|refused|dup,
// balance after, digest) for every applied command; ledger.restore (index,
// digest) whenever the state machine is restored from a snapshot (a received
// one, or the one on disk at restart); ledger.leader (term) on winning an
// election.
//
// # Planted bugs
//
// Config.Bug switches on one wrong behaviour for the harness's self-tests:
// BugStaleReads (any replica answers reads from its applied state) or
// BugEarlyAck (the leader acknowledges writes at proposal, before commit).
package ledger
