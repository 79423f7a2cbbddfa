// Package access is the zero-trust gateway of the custody system (issue 5;
// attacks 10-12 of DOMAIN.md; INV-OTP and INV-STEPUP): it authenticates
// users and API keys, authorizes every operation on its own merits, asks
// for step-up verification before sensitive ones, and intercepts
// credential stuffing, SIM swaps, new devices, impossible travel, replayed
// or skewed TOTP codes, API-key abuse and scope escalation.
//
// It is a library, not a node: no messages, no disk, no clock of its own.
// The wallet node that embeds it (D24) does the messaging, the ledger
// calls and the observations; the gateway takes the node's clock as a now
// argument on every call and hands back decisions.
//
// # What it owns
//
//   - Users (gateway.go): a TOTP secret, registered device fingerprints, a
//     home, a PIN (stored hashed), rights (Scope). API keys with scopes
//     (read, withdraw, apikey-manage), each used with a token that is a MAC
//     of its id.
//   - TOTP per RFC 6238 (totp.go) through github.com/pquerna/otp's hotp
//     with explicit counters: SHA1, SHA256 or SHA512, 6 or 8 digits, a
//     window of at most one step either side of the gateway's clock, at
//     most one accepted code per (user, step); OTPFailMax wrong codes lock
//     the user's codes for OTPLockFor, PINFailMax wrong PINs the PIN.
//   - Step-up (handle.go, verify.go): a sensitive op (withdraw, setting,
//     apikey-create, apikey-revoke), or any op with a low biometric score,
//     first gets ResultStepUp and a challenge bound to (user, op,
//     ParamsDigest of its parameters), valid StepUpTTL; the client answers
//     with KindStepUp, the same op and parameters, the challenge and a
//     fresh code. A challenge is accepted once, for exactly those
//     parameters, before its expiry. Challenge ids
//     (ch:GATEWAY:N:ISSUED:MAC) are deterministic: a MAC of the gateway,
//     its counter, the issue time and the binding, so any gateway holding
//     the deployment's Config.Key checks another's, without shared state.
//     Session tokens are MACs the same way (user, device, expiry).
//   - Per-operation authorization: every request is checked for the IP
//     (blocked?), the credential (session token for this user and this
//     device, or API key and token), the rate limit, the parameters (the
//     vocabulary's, the principal first), the rights (user scopes or key
//     scopes) and then the step-up; a session alone never grants a
//     sensitive op.
//   - Interception (the facts say which attack id each answers):
//     credential stuffing (StuffingUsers users failing from one IP block
//     it, security alerted); impossible travel (a login over TravelMinKm
//     from the last one, faster than TravelMaxKmh, denied; geo.go's integer
//     distance and its error); new device (login allowed and the user
//     told; a sensitive op from it stepped up, then held); SIM swap (a
//     withdrawal within SIMSwapWindow of a second-factor change held);
//     otp-replay and otp-skew (a used code, or one matching a step outside
//     the window, refused and alerted); apikey-abuse (a key over its rate
//     or outside its scopes) and scope-escalation (creating a key with
//     scopes the creating credential lacks): the user's API keys locked for
//     APIKeyLockFor, then waiting for a secondary verification (KindOTP);
//     per-user rate limits (alert anomaly, once per window).
//   - MFA for approvals (approve.go): CheckApprover checks an approver's
//     registered device, biometric score and a fresh code.
//   - The client request and its wire codec (request.go): versioned,
//     strict, bounded, one encoding per request (FuzzDecodeRequest).
//
// # Usage story
//
// A wallet node builds one Gateway per incarnation (New), registers users
// and keys from the scenario (AddUser, AddAPIKey), and for each client
// request decodes it (DecodeRequest) and calls Handle(env.Now(), req). It
// emits every fact of every decision it gets, in order (env.Observe), and:
//
//   - ResultAllow: act (a login's Decision.Session goes back to the
//     client; an apikey-create's Decision.KeyToken too; a withdrawal goes
//     on to risk, approval and the pipeline).
//   - ResultStepUp: send Decision.Challenge and Expires to the client,
//     which answers with KindStepUp.
//   - ResultDeny or ResultHold: refuse (Reason and Err say why); a hold is
//     never an allow, it waits for the user or security.
//   - ResultPending: the request passed every local check, and what is left
//     must hold across regions (below).
//
// # Two-phase once-keys (D24)
//
// A TOTP step and a step-up challenge may each be used once, anywhere:
// three regions each run a gateway, so once-ness lives in the replicated
// ledger. Handle checks everything it can locally, including its own
// used-set (so one gateway refuses a replay by itself, without the
// ledger), reserves the step (and challenge) there, and returns
// ResultPending with Decision.Once: the ledger accounts to consume,
// "once:otp:USER:STEP" (STEP as in access.otp) and, for a step-up answer,
// "once:stepup:CHALLENGE". For each, the wallet deposits 1 to that account
// under the idempotency key OnceIdem(key, SCOPE+req.ID), where the wallet's
// SCOPE names itself and its incarnation, so a request replayed whole at
// another gateway, or after a restart, is not answered "first" again
// (system/wallet's onceScope); the answered balance is
// 1 for the first consumer, more for a replay, and a retry of the same
// request gets its original answer. It then calls
// Resolve(env.Now(), pending, first) with one bool per key, and handles
// the decision Resolve returns like any other. Only Resolve reports an
// access.otp or access.stepup accept, so at most one accept per (user,
// step) and per challenge is ever observed, whichever region asks. A
// wallet that cannot get an answer passes false: the code is spent, never
// accepted twice. The wallet keeps the pending Decision in memory between
// its steps; after a crash it is lost, and the client retries with a fresh
// code.
//
// # Observations
//
// Facts are env.Observation values with the exact kinds and fields of
// docs/security-vocabulary.md, every value a string:
//
//   - access.otp: every code judged: accept (only from Resolve), or reject
//     with reason replay, window, wrong or locked; step is the code's step
//     counted from env.Epoch (for wrong and locked, the clock's step).
//   - access.stepup: issue (with expires), accept (from Resolve) or
//     reject (reason mismatch, expired, replay, biometric, or the code's
//     reason: otp, otp-window, otp-replay, locked).
//   - access.decision: every login, op and API-key use (op apikey-use,
//     subject the key; then a second decision for the op itself), with
//     decision allow, deny, hold or stepup, the challenge that allowed it,
//     device, ip and geo; not for KindOTP or approver checks, which report
//     access.otp only.
//   - access.alert: attack credential-stuffing, sim-swap, new-device,
//     impossible-travel, otp-replay, otp-skew, apikey-abuse,
//     scope-escalation or anomaly, with notify (user; security;
//     user,security).
//   - access.lock: what pin, otp or apikey (all of the user's keys), until.
//
// Times in fields (expires, until) are nanoseconds since env.Epoch on the
// clock the gateway is given, the node's, which may be skewed; the
// recorder stamps each observation with true time. A challenge issued and
// accepted by gateways whose clocks disagree is judged by each one's own.
//
// # What is soft state
//
// Per gateway, and lost on restart: rate windows, failure counts, the IP
// table (credential-stuffing blocks), the local used-sets (the ledger's
// once-keys cover what they forget). An attacker spreading requests across
// regions gets up to one rate allowance per region (D24).
//
// Shared (share.go): what the controls themselves hang on is handed to
// the embedding node to keep and pass on, and applied back with
// NoteLogin (the last login place and time), NoteFactorChange,
// RestoreLock (PIN, OTP and API-key lockouts), NoteVerified, AddDevice,
// AddAPIKey and RevokeAPIKey, each idempotent and keeping the later fact.
// system/wallet journals them on disk (a restart does not undo a
// lockout) and sends them to the other regions' wallet nodes (a login in
// one region makes travel from the far side of the world impossible in
// the next). Sessions and challenges need no shared state (MACs under
// Config.Key), but a gateway's challenge counter restarts with it: ids
// stay unique because they carry the issue time.
//
// # Planted weaknesses
//
// Config.Bug = BugSkipStepUp ("skip-stepup") allows sensitive ops without
// a challenge (INV-STEPUP must notice); BugOTPReplay ("otp-replay") skips
// the local used-set and ignores the ledger's answer for TOTP once-keys, so
// a used code is accepted again (INV-OTP must notice).
//
// # Determinism contract
//
// Pure functions of the calls made and the now arguments: no clock, no
// randomness (codes are HMACs of explicit counters; challenge ids,
// session and key tokens are MACs of their contents), no goroutines. Maps
// are only looked up, never ranged over; eviction order lives in lists
// (lru.go). Arithmetic in decisions is integer, distances included.
//
// Checkers judge from the observation stream and do not import this
// package.
package access
