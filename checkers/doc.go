// Package checkers judges a run of the replicated ledger from what was
// recorded of it and nothing else: the client history (invoke, then ok, fail
// or info; fault lines from the nemesis) and the observation stream, both in
// the formats of package history. It never looks inside the system it
// judges; the only system vocabulary it shares is package api.
//
// # Verdicts
//
// Every checker returns a Result: the invariant id, a Verdict, a one-line
// summary, the first offending operations (at most FirstMax, in history
// order, each naming the line of its invoke; Index -1 for observations) and
// measured numbers. Valid means the invariant held on the evidence; Invalid
// means the evidence contradicts it; Unknown means the checker could not
// decide (a time limit, a cap, missing evidence, an unusable history) and is
// never rounded up to Valid. Compose merges verdicts with
// Invalid > Unknown > Valid, and nothing composes to Valid.
//
// # Reading the history
//
// A fail completion did not happen. An info completion (or an invoke the
// history never completed) may have happened, at any time after its invoke.
// An ok withdrawal with Refused set was refused for insufficient funds: a
// definite outcome that left the balance alone. Write attempts that share
// an account, idempotency key, op and amount are one logical write (the
// ledger applies it at most once): it happened if any attempt was answered
// ok, its window running from the first attempt that may have taken effect
// to the first ok answer. Linearizable and RPO judge logical writes; RTO and
// Liveness judge attempts, since they measure what clients experienced.
//
// # The checkers
//
// Linearizable (INV-LINEARIZABLE): per account, porcupine checks the
// deposits, withdrawals and reads against one balance starting at 0:
// deposit adds; a withdrawal of more than the balance must be refused and
// leaves it, otherwise it must not be refused and subtracts; a read returns
// it. Failed operations and info reads are dropped; info writes stay open
// until after every other event, so porcupine may apply them anywhere or
// (placing them last) not at all. An account over LinOptions'
// MaxOpsPerAccount or MaxConcurrency, or whose check hits TimeLimit, is
// Unknown. On a violation the named operations are those that can come
// next after porcupine's longest partial linearization but that the model
// rejects there. LinearizabilityViz writes porcupine's visualization of one
// account.
//
// NonNeg (INV-NONNEG): no ok completion carries a negative balance (reads,
// and the balance a write returned), and no ledger.apply observation
// reports one.
//
// Conserve (INV-CONSERVE, ledger level): on every replica, each apply moves
// the account's balance by exactly the amount (ok deposit +, ok withdrawal
// -, refused and dup 0), and a replica tracked from genesis ends with its
// balances summing to applied deposits minus applied withdrawals; replicas
// never report different digests for one log index, and no replica reports
// two. A restore, or a replay of indexes already applied, resets the
// replica's tracking: the first apply of each account afterwards sets its
// balance unchecked.
//
// RPO (INV-RPO): every account's final read (Detail "final") equals its
// acknowledged writes plus some subset of its uncertain ones (at most
// RPOSumsMax distinct subset sums, else Unknown). An account with writes
// but no final read is Unknown.
//
// RTO (INV-RTO): from the first fault of a kind to the completion of the
// first write invoked after it and answered ok; Invalid over the target.
//
// Liveness (LIVENESS): after the last fault of a kind (the heal), a write is
// answered ok within the bound, and nothing invoked after the bound ends
// info.
//
// MPC threshold (INV-MPC-THRESHOLD): from the world's "world.reachable"
// facts, no signer reports "signer.signed" for a key, and no client's "sign"
// is answered ok, while fewer than k of its signers are reachable (after a
// grace for a session already past its last exchange). LIVENESS-MPC: a
// request with k or more signers reachable for the whole bound is signed
// within it.
//
// # Determinism
//
// Each checker is a pure function of its input: the same history and
// observations give the same Result, byte for byte once encoded, with one
// exception: whether porcupine finishes within its wall-clock time limit,
// so a Linearizable account may come out Unknown on a slower machine (never
// Valid where another run found it Invalid, or the reverse).
package checkers
