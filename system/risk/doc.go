// Package risk is the custody system's risk engine (attack 13 of
// DOMAIN.md, INV-FROZEN): it scores every withdrawal and deposit it is
// shown, names AML typologies, decides allow, hold, limit or freeze, keeps
// the manual review queue, and runs as a sans-I/O node that wallets ask and
// human reviewers answer.
//
// # What it owns
//
//   - The engine (engine.go, features.go, geo.go): Engine.Assess scores an
//     Event against the history Engine.Record built, from fourteen features
//     in a fixed order (FeatureNames): velocity count and sum in a rolling
//     window, the amount against the user's median, new device, new
//     destination, distance from home or the last place seen, account age,
//     mixer taint hops and peel-chain hops (computed by the caller from
//     compliance's graph), deposit-to-withdrawal delay, the share of recent
//     deposits withdrawn, the share of the balance withdrawn, amounts just
//     under the reporting threshold, and distinct senders into the account.
//     Each feature has a level 0..1000 (an integer ramp between two
//     configured points) and adds Weight*level/1000 points; the score is
//     the sum, capped at 1000. There is no floating point in the decision
//     path: even distances are integer arithmetic (geo.go).
//   - Typologies: structuring, smurfing, rapid-in-out, new-account-drain,
//     mixer and peel-chain, each a plain rule over the history or the
//     caller's evidence (Config documents the thresholds); a match takes
//     the typology's configured action (freeze by default) whatever the
//     score. Benign look-alikes (one large withdrawal from an old account
//     with history, travel with a known device, a new phone) stay under
//     the typologies' rules and under HoldAt on their own.
//   - Actions, by severity: allow; hold (a case is open, the operation
//     waits for its decision); limit (refused above a velocity limit, no
//     case); freeze (refused, and the account moves no funds until a
//     reviewer releases it).
//   - The review queue (queue.go): cases with id, subject, account, time,
//     state and decision. Automation opens cases (every freeze opens one);
//     only Queue.Decide closes them, and it accepts only a configured
//     reviewer, never ByAutomation. A confirmed freeze stands for good.
//   - The node (node.go) and its protocol (messages.go, env.MsgType 70-77).
//
// # Usage story
//
// A wallet sends a ScoreRequest (subject = withdrawal id or deposit txid,
// the idempotency key) and gets a ScoreAnswer: allow, go ahead; limit or
// freeze, refuse; hold, wait for the CaseClosed the node sends when a
// reviewer decides (release: go ahead; confirm: refuse), or poll with a
// StatusQuery naming the case. Before a withdrawal takes effect a wallet
// asks StatusQuery{Account} ("is this account frozen?"). A retry with the
// same subject and fields gets the same answer; with other fields, a limit
// with Err ErrReused.
//
// Each case opened goes to one reviewer as a ReviewTask, in rotation; with
// no ReviewDecision within TaskResend it goes to the next reviewer, at
// most TaskResendMax more times per incarnation (then it waits in the
// backlog; a restart hands every open case out again). A reviewer answers
// ReviewDecision{Case, Decision}; the node takes the host-authenticated
// sender as the reviewer and answers ReviewAck.
//
// # Durability
//
// Every state change of a step is one framed record appended to the log
// "risk/log" and synced before the step observes or answers anything, so a
// crash never forgets a freeze that anyone saw. On start the node replays
// the log; a torn tail (a prefix of one record) is cut and the cut synced;
// any other damage panics, since a freeze list that half-loads fails open.
// Past CompactAt records the log is rewritten whole to the cases kept and
// the last RetainMax scored operations (the engine's history after a
// restart is rebuilt from those).
//
// # Determinism contract
//
// The engine and queue are pure: time comes from Event.Time and the
// caller, nothing is random, nothing runs concurrently. The node reads
// time only from env.Now, uses no randomness, starts no goroutines; maps
// are only looked up, except the eviction of the least recently active
// subject, whose minimum over unique counters does not depend on order.
//
// # Planted weakness
//
// Config.Bug = BugAutoRelease ("auto-release") makes the node release a
// freeze by automation AutoReleaseAfter after it opened, for the harness
// to prove its INV-FROZEN checker notices.
//
// Checkers judge from the observation stream (risk.score, risk.freeze,
// risk.release, risk.case) and do not import this package.
package risk
