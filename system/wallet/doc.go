// Package wallet owns the custody pipeline's wallet nodes: withdrawals from
// request to settlement, deposits credited after N confirmations, sweeps
// that keep the hot wallet small, and refills from cold through the courier.
//
// # Withdrawals (withdraw.go)
//
// A client asks any wallet node (50 WithdrawRequest) and is answered once
// the withdrawal is settled or failed (51 WithdrawStatus). Every step is
// idempotent by withdrawal id, so a client that hears nothing asks another
// wallet node, in another region, with the same request, and the steps
// converge:
//
//	reserve   ledger withdraw from the user, key wd:ID (refused: failed)
//	velocity  ledger withdraw from the window's allowance, key vel:ID; over
//	          the limit the reservation is refunded (key refund:ID), failed
//	approve   52 ApprovalRequest to every approver device; 53 responses are
//	          device-signed approvals of the intent (system/approval) until
//	          the policy's quorum is met
//	nonce     ledger deposit 1 to nonce:hot, key nonce:ID: the same nonce for
//	          every retry, so every retry builds the very same transaction
//	sign      the hot committee; each signer decodes the raw transaction and
//	          re-checks the approvals itself (signer.Guard)
//	broadcast the same bytes until the chain has them (duplicate = done);
//	          under the chain's minimum fee (a fee spike) the transaction is
//	          bumped: same nonce, fourfold fee, re-signed under the same
//	          approvals (the intent excludes the fee)
//	confirm   the chain is asked which transaction used the nonce (this
//	          node's, a bump, or a copy another wallet node sent) until it
//	          has N confirmations; a dropped copy is rebroadcast
//	settle    ledger withdraw of that transaction's fee from the house, key
//	          fee:wd:ID
//
// The compliance and risk decision hooks sit between request and reserve
// (risk.go; without a screener or a risk node every withdrawal is allowed
// and the audit log records the allow as the default). With an approval
// deadline, expiry and approval race through a ledger claim (policy.go).
// Every decision is appended to the node's audit log (system/audit) before
// the effect it records.
//
// # The zero-trust gateway (gateway.go, share.go, clock.go)
//
// With Config.Access, client operations come as access requests (80
// AccessEnvelope: the access codec's bytes and, for a withdrawal, the
// first-attempt time) and are answered by 81 AccessReply; a bare
// WithdrawRequest is refused. The node runs system/access: a pending
// decision's once-keys (a TOTP step, a step-up challenge) are consumed in
// the ledger under keys scoped to this node and incarnation, every
// decision goes on the audit record with the client's device and IP, and
// only an allowed withdraw op enters the pipeline. Approvals need the
// approver's MFA through the same gateway. What the controls hang on
// (logins, second-factor changes, lockouts, devices, API keys) is
// journaled on disk and shared with the peer wallet nodes (82
// AccessEvent). Every 30 s the node measures its clock against the
// chain's newest block; the gateway refuses codes while it is off.
//
// # Policy changes (policy.go)
//
// Changes in effect arrive from the governance node (62 Push, certified
// and numbered); they apply in order, once, kept on disk, and the
// certified quorum changes go with every signing request so the signers
// derive the same policy.
//
// # The sweeper (sweep.go)
//
// Every Sweeper-eligible wallet node ticks at each SweepWindow boundary
// with an idempotent ledger write; the leader answers it, and the node in
// the leader's region is the window's sweeper, so sweeping follows the
// ledger's failover. The sweeper reads the hot address's balance from the
// chain ("wallet.sweep_tick"): above HotTarget it sweeps the excess to cold
// (hot committee); below RefillFloor it refills hot up to HotTarget from
// cold, whose committee is air-gapped: the request and every MPC round
// travel through the courier (system/courier), a slow hop each. One refill
// at a time holds across sweepers: a cold nonce taken in the ledger but not
// yet used on chain means a refill is in flight somewhere. A transfer is
// noted on the sweeper's disk before its nonce is taken, so a restarted
// sweeper resumes it rather than start another whose nonce would wait
// behind the abandoned one forever; transfers settle by the chain's
// transaction for their nonce, whoever sent it. Every wallet node scans
// blocks and credits deposits to the hot address (memo dep:ACCOUNT) once
// they have Confirmations, key dep:TXID (credits are idempotent, so three
// scanners credit once).
//
// # What is durable where
//
// The wallet node keeps no state of its own but its transfer notes, its
// scan height, its audit log, its replicas of its peers' logs, its anchor
// note, its access journal and its applied policy changes: reservations,
// nonces, credits
// and fees are in the replicated ledger, keyed for idempotency, and the
// payments are on the chain. Losing a wallet node, or its region, loses
// only work in progress, which the clients' retries redo.
//
// # The audit trail (record.go, replicate.go, anchor.go)
//
// Every decision is appended to the node's own log (wallet/audit) before
// its effect, stamped with the machine it was taken on (Device, IP). Every
// AuditTrail.ReplicateEvery the node sends each peer wallet node (in the
// other regions) one batch (90 AuditBatch, at most BatchMax entries) from
// the head that peer last acknowledged; the peer stores it in its
// audit.Replica of this node's log (wallet/replica/ORIGIN), synced, and
// answers with its head (91 AuditAck; 92-93 reserved). A refused batch is
// reported (audit.replica_reject) and never stored. Every AnchorEvery the
// node publishes its head on the chain: a transaction of 1 unit from its
// anchor address (a plain key, not a custody key: it holds only fees) to
// AnchorSink, memo audit.Anchor. The anchor in progress is noted on disk
// (wallet/anchor) before it is first sent and resent unchanged until the
// chain's nonce passes it, so one head costs one nonce. While the node is
// cut off its audit sink it neither replicates, stores replicas nor
// anchors.
//
// # Planted bugs
//
// Config.Bug plants one known bug (count-initiator, sweep-shortfall,
// retry-new-nonce, zero-conf, airgap-bypass, audit-skip-field,
// no-clock-check, skip-approver-mfa) so the checkers can show they catch
// it.
//
// Determinism: time, randomness and I/O only through env.Env; maps are
// looked up, never ranged over where order matters.
package wallet
