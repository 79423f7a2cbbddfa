package signer

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"

	"vaultdrill/system/env"
	"vaultdrill/system/hsm"
	"vaultdrill/system/mpc"
)

// Virtual CPU costs, fixed per operation kind.
const (
	CostStep    = 20 * time.Microsecond
	CostMessage = 2 * time.Millisecond // one MPC message through the engine
)

// Observation kinds.
const (
	ObsBegin      = "signer.begin"
	ObsReject     = "signer.reject"
	ObsBlame      = "signer.blame"
	ObsQuarantine = "signer.quarantine"
	ObsAbort      = "signer.abort"
	ObsSigned     = "signer.signed"
	ObsSignature  = "signer.signature"
	ObsReconcile  = "signer.reconcile"
)

// HarnessSender is the one sender whose Control messages are obeyed.
const HarnessSender env.NodeID = "harness"

// Bounds.
const (
	earlyMax       = 64 // buffered envelopes per unknown session
	earlySessions  = 32
	finishedMax    = 4096
	signRoundsECDS = 9 // rounds of tss-lib ECDSA signing
	signRoundsEdDS = 3
)

// Config configures one signer node.
type Config struct {
	ID         mpc.PartyID
	Committees []mpc.Committee
	// Shares are the key ceremony's output for this party, handed over
	// once: sealed by the HSM on first start, never written in clear.
	Shares       map[mpc.KeyID]*mpc.KeyShare
	PublicKeys   map[mpc.KeyID][]byte
	Engine       mpc.Engine
	Requesters   []env.NodeID
	RoundTimeout time.Duration // default 2s
	// RoundTimeouts overrides RoundTimeout per key: a wallet whose rounds
	// travel slowly (the cold courier) gets its own bound.
	RoundTimeouts map[mpc.KeyID]time.Duration
	// PreParams are this party's Paillier pre-parameters from the
	// project's pool: an ECDSA key ceremony is refused without them.
	PreParams *mpc.PreParams
	// ShareWitness, when set, sees every share a ceremony produces in this
	// node's memory: the simulator's view into a process, so the leak
	// scanner knows what to look for. The live host sets none.
	ShareWitness func(*mpc.KeyShare)
	// Relay, when set, makes this an air-gapped signer: it sends only to
	// the courier and accepts only what the courier delivers.
	Relay env.NodeID
	// Guard, when set, makes every signature need a transaction this
	// signer decodes and authorizes itself (guard.go).
	Guard             *Guard
	AttemptsMax       int // default 6
	QuarantineStrikes int // default 2
	UserPIN, SOPIN    string
	// Bug plants a known signer bug, so the checkers can show they catch it.
	Bug Bug
}

// Bug is a planted signer bug ("" = the correct signer).
type Bug string

const (
	BugUnsealedShare     Bug = "unsealed-share"      // also writes the clear share to disk
	BugAcceptReplay      Bug = "accept-replay"       // drops envelopes of finished sessions silently instead of rejecting them
	BugBlindRetry        Bug = "blind-retry"         // retries Unseal after CKR_GENERAL_ERROR instead of reconciling
	BugBlameInconsistent Bug = "blame-inconsistent"  // counts non-attributable blame as strikes (instead of only avoiding the named party)
	BugSkipApprovalCheck Bug = "skip-approval-check" // a custody signer that signs a decoded withdrawal without re-checking its approvals
)

// ParseBug checks a bug name.
func ParseBug(s string) (Bug, error) {
	switch b := Bug(s); b {
	case "", BugUnsealedShare, BugAcceptReplay, BugBlindRetry, BugBlameInconsistent, BugSkipApprovalCheck:
		return b, nil
	}
	return "", fmt.Errorf("signer: unknown bug %q (unsealed-share, accept-replay, blind-retry, blame-inconsistent, skip-approval-check)", s)
}

func (c Config) withDefaults() Config {
	if c.RoundTimeout <= 0 {
		c.RoundTimeout = 2 * time.Second
	}
	if c.AttemptsMax <= 0 {
		c.AttemptsMax = 6
	}
	if c.QuarantineStrikes <= 0 {
		c.QuarantineStrikes = 2
	}
	if c.UserPIN == "" {
		c.UserPIN = "user-" + string(c.ID)
	}
	if c.SOPIN == "" {
		c.SOPIN = "so-" + string(c.ID)
	}
	return c
}

// Node is one signer. It implements env.Node.
type Node struct {
	cfg Config
	// alerted: the (requester, digest) refusals security was told of
	alerted map[string]bool
	// policySeq: the highest policy-change Seq this signer has verified
	// (guard.go), kept on disk (policySeqFile)
	policySeq int

	h        *hsm.HSM
	hs       hsm.Session
	loggedIn bool
	opSeq    uint64

	// committees and pubs are the keys this node holds: the configured
	// ones plus those its ceremonies produced (restored from disk).
	committees []mpc.Committee
	pubs       map[mpc.KeyID][]byte
	sealed     map[mpc.KeyID]bool // false: the ideal functionality holds the key
	keySession map[mpc.KeyID]uint64

	requests map[uint64]*request // coordinator: by session number
	members  map[string]*member  // party: by SessionID.String()
	early    map[string][]early  // envelopes that came before their Begin
	finished map[string]bool
	finOrder []string
	strikes  map[mpc.PartyID]int
	quar     map[mpc.PartyID]bool
	// suspect counts attempts a party did not acknowledge: subsets avoid
	// suspects first, so k reachable signers are found in few attempts.
	suspect map[mpc.PartyID]int
}

type request struct {
	reqID     uint64
	requester env.NodeID
	committee mpc.Committee
	digest    []byte
	auth      *Authorization
	session   uint64
	attempt   uint32
	parties   []mpc.PartyID
	acked     map[mpc.PartyID]bool
	done      bool
	// keygen requests: the committee, and each member's announced key.
	keygen *mpc.Committee
	kpubs  map[mpc.PartyID][]byte
}

type member struct {
	id          mpc.SessionID
	proto       mpc.Protocol
	sess        mpc.Session  // signing
	cer         mpc.Ceremony // keygen
	coordinator env.NodeID
	digest      []byte
}

type early struct {
	from env.NodeID
	env  Envelope
}

// New builds a signer; it does nothing until its first InputStart.
func New(cfg Config) *Node { return &Node{cfg: cfg.withDefaults()} }

func (n *Node) Step(e env.Env, in env.Input) {
	e.Charge(CostStep)
	if n.cfg.Relay != "" {
		var ok bool
		if e, in, ok = n.viaRelay(e, in); !ok {
			return
		}
	}
	switch in.Kind {
	case env.InputStart:
		n.start(e)
	case env.InputTimer:
		n.timer(e, in.Tag)
	case env.InputMessage:
		n.receive(e, in)
	}
}

func shareFile(k mpc.KeyID) string  { return "signer/share/" + string(k) }
func shareLabel(k mpc.KeyID) string { return "share/" + string(k) }

const opSeqFile = "signer/opseq"

// policySeqFile keeps the highest policy-change Seq this signer verified
// (guard.go).
const policySeqFile = "signer/policyseq"

// start opens the HSM and, on first start, seals the shares.
func (n *Node) start(e env.Env) {
	n.requests, n.members, n.early = map[uint64]*request{}, map[string]*member{}, map[string][]early{}
	n.finished, n.finOrder = map[string]bool{}, nil
	n.strikes, n.quar, n.suspect = map[mpc.PartyID]int{}, map[mpc.PartyID]bool{}, map[mpc.PartyID]int{}
	n.loggedIn = false
	n.loadKeys(e)
	if b, ok := e.Disk().Read(opSeqFile); ok && len(b) == 8 {
		n.opSeq = binary.BigEndian.Uint64(b)
	}
	n.policySeq = 0
	if b, ok := e.Disk().Read(policySeqFile); ok && len(b) == 8 {
		n.policySeq = int(binary.BigEndian.Uint64(b))
	}
	n.h = hsm.Open(e, hsm.Config{})
	keys := n.keys()
	for _, k := range keys {
		if _, ok := e.Disk().Read(shareFile(k)); ok {
			continue
		}
		if err := n.provision(e, k); err != nil {
			// No sealed share: this party cannot sign for k until
			// re-provisioned; attempts that include it abort.
			e.Observe(env.ObserveKV("signer.provision_failed", "key", string(k), "err", err.Error()))
		}
	}
}

func (n *Node) keys() []mpc.KeyID {
	var ks []mpc.KeyID
	for k := range n.cfg.Shares { // determinism: allowed (sorted below)
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool { return ks[i] < ks[j] })
	return ks
}

func (n *Node) nextOp(e env.Env) uint64 {
	n.opSeq++
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n.opSeq)
	e.Disk().Write(opSeqFile, b[:]) // synced by the HSM call that uses it
	return n.opSeq
}

// session returns a logged-in HSM session, opening one if needed.
func (n *Node) session(e env.Env) (hsm.Session, error) {
	if n.loggedIn {
		return n.hs, nil
	}
	info, err := n.h.TokenInfo(e)
	if err != nil {
		return n.hs, err
	}
	if !info.Initialized {
		if err := n.h.InitToken(e, n.nextOp(e), n.cfg.SOPIN, n.cfg.UserPIN); err != nil {
			return n.hs, err
		}
	}
	s, err := n.h.OpenSession(e)
	if err != nil {
		return n.hs, err
	}
	if err := n.h.Login(e, s, n.nextOp(e), n.cfg.UserPIN); err != nil {
		_ = n.h.CloseSession(e, s) // an HSM has few sessions: never leak one
		return n.hs, err
	}
	n.hs, n.loggedIn = s, true
	return s, nil
}

// dropSession closes the session after an HSM error, so the next call opens
// a fresh one; a dropped but open session would count against the HSM's
// session limit until the node restarts.
func (n *Node) dropSession(e env.Env) {
	if n.loggedIn {
		_ = n.h.CloseSession(e, n.hs)
	}
	n.loggedIn = false
}

func (n *Node) provision(e env.Env, k mpc.KeyID) error {
	return n.seal(e, k, n.cfg.Shares[k])
}

// seal has the HSM seal a share and writes only the sealed blob.
func (n *Node) seal(e env.Env, k mpc.KeyID, share *mpc.KeyShare) error {
	pt, err := mpc.MarshalShare(share)
	if err != nil {
		return err
	}
	s, err := n.session(e)
	if err != nil {
		n.dropSession(e)
		return err
	}
	blob, err := n.h.Seal(e, s, n.nextOp(e), shareLabel(k), pt)
	if err != nil {
		n.dropSession(e)
		return err
	}
	e.Disk().Write(shareFile(k), blob)
	if n.cfg.Bug == BugUnsealedShare {
		e.Disk().Write("signer/clear/"+string(k), pt)
	}
	e.Disk().Sync()
	return nil
}

// unseal returns the party's share for one attempt, or the reason it
// cannot. An unknown outcome is reconciled at once, never retried.
func (n *Node) unseal(e env.Env, k mpc.KeyID) (*mpc.KeyShare, string) {
	blob, ok := e.Disk().Read(shareFile(k))
	if !ok {
		return nil, "no sealed share"
	}
	s, err := n.session(e)
	if err != nil {
		n.dropSession(e)
		return nil, "hsm:" + hsm.RVOf(err).String()
	}
	op := n.nextOp(e)
	pt, err := n.h.Unseal(e, s, op, shareLabel(k), blob)
	if err != nil && hsm.IsUnknown(err) && n.cfg.Bug == BugBlindRetry {
		pt, err = n.h.Unseal(e, s, n.nextOp(e), shareLabel(k), blob)
	}
	if err != nil {
		if hsm.IsUnknown(err) {
			out, rerr := n.h.Reconcile(e, s, op)
			known, happened := "false", "unknown"
			if rerr == nil && out.Known {
				known, happened = "true", strconv.FormatBool(out.Happened)
			}
			e.Observe(env.ObserveKV(ObsReconcile, "opid", strconv.FormatUint(op, 10), "known", known, "happened", happened))
		}
		n.dropSession(e)
		return nil, "hsm:" + hsm.RVOf(err).String()
	}
	share, err := mpc.UnmarshalShare(pt)
	clear(pt)
	if err != nil {
		return nil, "bad share"
	}
	return share, ""
}

func (n *Node) committee(k mpc.KeyID) (mpc.Committee, bool) {
	for _, c := range n.committees {
		if c.Key == k {
			return c, true
		}
	}
	return mpc.Committee{}, false
}

func inParties(ps []mpc.PartyID, p mpc.PartyID) bool {
	for _, x := range ps {
		if x == p {
			return true
		}
	}
	return false
}

func joinParties(ps []mpc.PartyID) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = string(p)
	}
	return strings.Join(s, ",")
}

func (n *Node) receive(e env.Env, in env.Input) {
	t, body, err := env.Decode(in.Payload)
	if err != nil {
		return
	}
	switch t {
	case MsgSignRequest:
		var r SignRequest
		if json.Unmarshal(body, &r) == nil {
			n.signRequest(e, in.From, r)
		}
	case MsgKeygenReq:
		var r KeygenRequest
		if json.Unmarshal(body, &r) == nil {
			n.keygenRequest(e, in.From, r)
		}
	case MsgBegin:
		var b Begin
		if json.Unmarshal(body, &b) == nil {
			n.begin(e, in.From, b)
		}
	case MsgEnvelope:
		var v Envelope
		if json.Unmarshal(body, &v) != nil {
			e.Observe(env.ObserveKV(ObsReject, "sender", string(in.From), "claimed", "", "session", "", "reason", "bad-envelope"))
			return
		}
		n.envelope(e, in.From, v)
	case MsgResult:
		var r Result
		if json.Unmarshal(body, &r) == nil {
			n.result(e, in.From, r)
		}
	case MsgAck:
		var a Ack
		if json.Unmarshal(body, &a) == nil {
			if q := n.requests[a.ID.Session]; q != nil && a.ID.Attempt == q.attempt && inParties(q.parties, mpc.PartyID(in.From)) {
				q.acked[mpc.PartyID(in.From)] = true
				n.suspect[mpc.PartyID(in.From)] = 0
			}
		}
	case MsgAbort:
		var a Abort
		if json.Unmarshal(body, &a) == nil {
			n.abort(e, in.From, a)
		}
	case MsgControl:
		if in.From != HarnessSender {
			e.Observe(env.ObserveKV("signer.control_refused", "sender", string(in.From)))
			return
		}
		n.control(e, string(body))
	}
}

// ---- coordinator ----

func (n *Node) signRequest(e env.Env, from env.NodeID, r SignRequest) {
	c, ok := n.committee(r.Key)
	fail := func(why string) {
		e.Send(from, encode(MsgSignResponse, SignResponse{ReqID: r.ReqID, Err: why}))
	}
	allowed := false
	for _, q := range n.cfg.Requesters {
		allowed = allowed || q == from
	}
	switch {
	case !allowed:
		fail("signer: requester not authorized")
		return
	case !ok:
		fail("signer: not in the committee of " + string(r.Key))
		return
	case len(r.Digest) != mpc.DigestSize:
		fail("signer: bad digest")
		return
	}
	if n.cfg.Guard != nil {
		if wd, err := n.authorize(e, r.Key, r.Digest, r.Auth, e.Now()); err != nil {
			n.refuse(e, from, r.Key, r.Digest, wd, err)
			fail(err.Error())
			return
		}
	}
	q := &request{reqID: r.ReqID, requester: from, committee: c, digest: r.Digest, auth: r.Auth, session: e.Rand().Uint64()}
	n.requests[q.session] = q
	n.nextAttempt(e, q, "")
}

func (n *Node) nextAttempt(e env.Env, q *request, why string) {
	if q.attempt > 0 {
		id := mpc.SessionID{Key: q.committee.Key, Session: q.session, Attempt: q.attempt, Parties: q.parties}
		e.Observe(env.ObserveKV(ObsAbort, "session", id.String(), "attempt", strconv.Itoa(int(q.attempt)), "reason", why))
		for _, p := range q.parties {
			e.Send(env.NodeID(p), encode(MsgAbort, Abort{ID: id, Reason: coordinatorAbort + why}))
		}
	}
	if int(q.attempt) >= n.cfg.AttemptsMax {
		q.done = true
		delete(n.requests, q.session)
		if q.keygen != nil {
			e.Send(q.requester, encode(MsgKeygenResp, KeygenResponse{ReqID: q.reqID, Attempts: int(q.attempt), Err: "signer: no key after " + strconv.Itoa(int(q.attempt)) + " attempts: " + why}))
			return
		}
		e.Send(q.requester, encode(MsgSignResponse, SignResponse{ReqID: q.reqID, Attempts: int(q.attempt), Err: "signer: no signature after " + strconv.Itoa(int(q.attempt)) + " attempts: " + why}))
		return
	}
	if why == "timeout" {
		for _, p := range q.parties {
			if !q.acked[p] {
				n.suspect[p]++
			}
		}
	}
	q.attempt++
	q.acked = map[mpc.PartyID]bool{}
	if q.keygen != nil {
		n.keygenAttempt(e, q)
		return
	}
	q.parties = n.subset(q.committee, int(q.attempt))
	if q.parties == nil {
		q.attempt = uint32(n.cfg.AttemptsMax)
		n.nextAttempt(e, q, "fewer than k unquarantined parties")
		return
	}
	id := mpc.SessionID{Key: q.committee.Key, Session: q.session, Attempt: q.attempt, Parties: q.parties}
	for _, p := range q.parties {
		e.Send(env.NodeID(p), encode(MsgBegin, Begin{ID: id, Digest: q.digest, Auth: q.auth}))
	}
	rounds := signRoundsECDS
	if q.committee.Algo == mpc.EdDSA {
		rounds = signRoundsEdDS
	}
	e.After(time.Duration(rounds)*n.roundTimeout(q.committee.Key), fmt.Sprintf("attempt/%d/%d", q.session, q.attempt))
}

// roundTimeout is the per-round bound of one key's sessions.
func (n *Node) roundTimeout(k mpc.KeyID) time.Duration {
	if d, ok := n.cfg.RoundTimeouts[k]; ok && d > 0 {
		return d
	}
	return n.cfg.RoundTimeout
}

// subset is attempt a's parties: among the k-combinations of the
// unquarantined committee, those including the coordinator and with the
// fewest suspect marks (unacknowledged attempts, failed devices; never blame,
// which a framing party could steer)
// come first; attempts rotate through the best group in lexicographic order.
func (n *Node) subset(c mpc.Committee, a int) []mpc.PartyID {
	var cand []mpc.PartyID
	for _, p := range c.Parties {
		if !n.quar[p] {
			cand = append(cand, p)
		}
	}
	if len(cand) < c.K {
		return nil
	}
	var combos [][]mpc.PartyID
	var pick func(start int, cur []mpc.PartyID)
	pick = func(start int, cur []mpc.PartyID) {
		if len(cur) == c.K {
			combos = append(combos, append([]mpc.PartyID(nil), cur...))
			return
		}
		for i := start; i < len(cand); i++ {
			pick(i+1, append(cur, cand[i]))
		}
	}
	pick(0, nil)
	// The coordinator knows itself to be up: subsets with it come first;
	// among those, the ones with the fewest unacknowledged attempts.
	score := func(c []mpc.PartyID) int {
		s := 0
		for _, p := range c {
			s += 2 * n.suspect[p]
		}
		if !inParties(c, n.cfg.ID) {
			s++ // a tiebreak only: a coordinator whose own HSM fails steps aside
		}
		return s
	}
	sort.SliceStable(combos, func(i, j int) bool { return score(combos[i]) < score(combos[j]) })
	best := 1
	for best < len(combos) && score(combos[best]) == score(combos[0]) {
		best++
	}
	// rotate among the best, so an attempt never repeats the last one's
	// parties while another equally good subset exists
	return combos[(a-1)%best]
}

func (n *Node) timer(e env.Env, tag string) {
	var sess uint64
	var att uint32
	if _, err := fmt.Sscanf(tag, "attempt/%d/%d", &sess, &att); err == nil {
		if q := n.requests[sess]; q != nil && !q.done && q.attempt == att {
			n.nextAttempt(e, q, "timeout")
		}
		return
	}
	if key, ok := strings.CutPrefix(tag, "early/"); ok {
		for _, x := range n.early[key] {
			n.reject(e, x.from, x.env, "unknown-session")
		}
		delete(n.early, key)
	}
}

func (n *Node) result(e env.Env, from env.NodeID, r Result) {
	q := n.requests[r.ID.Session]
	if q == nil || q.done || r.ID.Attempt != q.attempt || !inParties(q.parties, mpc.PartyID(from)) {
		return
	}
	if q.keygen != nil {
		n.keygenResult(e, from, q, r)
		return
	}
	if !mpc.Verify(q.committee.Algo, n.pubs[q.committee.Key], q.digest, r.Sig) {
		n.nextAttempt(e, q, "invalid signature from "+string(from))
		return
	}
	q.done = true
	delete(n.requests, q.session)
	e.Observe(env.ObserveKV(ObsSignature, "key", string(q.committee.Key), "session", r.ID.String(),
		"attempt", strconv.Itoa(int(q.attempt)), "digest", fmt.Sprintf("%x", q.digest), "sig", fmt.Sprintf("%x", r.Sig),
		"attempts", strconv.Itoa(int(q.attempt))))
	e.Send(q.requester, encode(MsgSignResponse, SignResponse{ReqID: q.reqID, OK: true, Sig: r.Sig, Attempts: int(q.attempt)}))
}

const coordinatorAbort = "coordinator: "

func (n *Node) abort(e env.Env, from env.NodeID, a Abort) {
	if strings.HasPrefix(a.Reason, coordinatorAbort) {
		// The coordinator ends an attempt: discard it.
		key := a.ID.String()
		if m := n.members[key]; m != nil && m.coordinator == from {
			n.finish(key)
		}
		return
	}
	if q := n.requests[a.ID.Session]; q != nil && inParties(q.parties, mpc.PartyID(from)) {
		// A party's report to its coordinator.
		if q.done || a.ID.Attempt != q.attempt {
			return
		}
		if a.Attributable || n.cfg.Bug == BugBlameInconsistent {
			for _, c := range a.Culprits {
				if c == mpc.PartyID(from) || !inParties(q.committee.Parties, c) {
					continue
				}
				n.strikes[c]++
				if n.strikes[c] >= n.cfg.QuarantineStrikes && !n.quar[c] {
					n.quar[c] = true
					e.Observe(env.ObserveKV(ObsQuarantine, "party", string(c), "strikes", strconv.Itoa(n.strikes[c])))
				}
			}
		}
		if strings.HasPrefix(a.Reason, "hsm:") || a.Reason == "no sealed share" {
			n.suspect[mpc.PartyID(from)]++ // its device failed: try others first
		}
		if n.cfg.Bug != BugBlameInconsistent {
			// Unproven blame only reorders later subsets (a liveness
			// hint); it never quarantines, so framing costs no safety.
			for _, c := range a.Culprits {
				n.suspect[c]++
			}
		}
		n.nextAttempt(e, q, "aborted by "+string(from)+": "+a.Reason)
	}
}

// ---- party ----

func (n *Node) begin(e env.Env, from env.NodeID, b Begin) {
	if b.Keygen != nil {
		n.beginKeygen(e, from, b)
		return
	}
	c, ok := n.committee(b.ID.Key)
	key := b.ID.String()
	if !ok || !inParties(c.Parties, mpc.PartyID(from)) || !inParties(b.ID.Parties, n.cfg.ID) || n.finished[key] || n.members[key] != nil {
		return
	}
	if len(b.Digest) != mpc.DigestSize {
		return
	}
	if n.cfg.Guard != nil {
		// Every party re-checks on its own: a coordinator is not trusted
		// with what the transaction is.
		if wd, err := n.authorize(e, b.ID.Key, b.Digest, b.Auth, e.Now()); err != nil {
			n.refuse(e, from, b.ID.Key, b.Digest, wd, err)
			n.markFinished(key)
			e.Send(from, encode(MsgAbort, Abort{ID: b.ID, Reason: "refused: " + err.Error()}))
			return
		}
	}
	e.Observe(env.ObserveKV(ObsBegin, "key", string(b.ID.Key), "session", key, "attempt", strconv.Itoa(int(b.ID.Attempt)),
		"parties", joinParties(b.ID.Parties), "digest", fmt.Sprintf("%x", b.Digest), "coordinator", string(from)))
	var share *mpc.KeyShare
	why := ""
	if n.sealed[b.ID.Key] {
		share, why = n.unseal(e, b.ID.Key)
	}
	if share == nil && why == "" && n.cfg.Engine.Name() != mpc.EngineIdeal {
		why = "no sealed share"
	}
	if why != "" {
		n.markFinished(key)
		e.Send(from, encode(MsgAbort, Abort{ID: b.ID, Reason: why}))
		return
	}
	sess, err := n.cfg.Engine.NewSession(mpc.SignRequest{ID: b.ID, Self: n.cfg.ID, Digest: b.Digest, Share: share})
	if err != nil {
		n.markFinished(key)
		e.Send(from, encode(MsgAbort, Abort{ID: b.ID, Reason: "engine: " + err.Error()}))
		return
	}
	m := &member{id: b.ID, proto: sess, sess: sess, coordinator: from, digest: b.Digest}
	n.join(e, m)
}

// join registers a member, acknowledges the Begin, starts the protocol with
// a fresh reader, and feeds what came early.
func (n *Node) join(e env.Env, m *member) {
	var seed [32]byte
	_, _ = e.Entropy().Read(seed[:])
	key := m.id.String()
	n.members[key] = m
	e.Send(m.coordinator, encode(MsgAck, Ack{ID: m.id}))
	outs, err := m.proto.Start(rand.NewChaCha8(seed))
	if !n.after(e, m, outs, err) {
		return
	}
	for _, x := range n.early[key] {
		if n.members[key] == nil {
			break
		}
		n.envelope(e, x.from, x.env)
	}
	delete(n.early, key)
}

func (n *Node) reject(e env.Env, from env.NodeID, v Envelope, reason string) {
	e.Observe(env.ObserveKV(ObsReject, "sender", string(from), "claimed", string(v.From), "session", v.ID.String(), "reason", reason))
}

func (n *Node) envelope(e env.Env, from env.NodeID, v Envelope) {
	key := v.ID.String()
	switch {
	case mpc.PartyID(from) != v.From:
		n.reject(e, from, v, "spoofed-sender")
		return
	case !inParties(v.ID.Parties, v.From) || !inParties(v.ID.Parties, n.cfg.ID) || v.From == n.cfg.ID:
		n.reject(e, from, v, "not-in-session")
		return
	case n.finished[key]:
		if n.cfg.Bug != BugAcceptReplay {
			n.reject(e, from, v, "replay")
		}
		return
	}
	m := n.members[key]
	if m == nil {
		if len(n.early[key]) == 0 {
			if len(n.early) >= earlySessions {
				n.reject(e, from, v, "unknown-session")
				return
			}
			e.After(n.cfg.RoundTimeout, "early/"+key)
		}
		if len(n.early[key]) >= earlyMax {
			n.reject(e, from, v, "unknown-session")
			return
		}
		n.early[key] = append(n.early[key], early{from: from, env: v})
		return
	}
	e.Charge(CostMessage)
	outs, err := m.proto.Deliver(v.From, v.Round, v.Payload)
	if err != nil && !errors.Is(err, mpc.ErrFault) && !errors.Is(err, mpc.ErrAborted) {
		reason := "bad-envelope"
		switch {
		case errors.Is(err, mpc.ErrWrongRound):
			reason = "wrong-round"
		case errors.Is(err, mpc.ErrDuplicate):
			reason = "duplicate"
		case errors.Is(err, mpc.ErrNotInSession):
			reason = "not-in-session"
		case errors.Is(err, mpc.ErrFinished):
			reason = "replay"
		}
		n.reject(e, from, v, reason)
		return
	}
	n.after(e, m, outs, err)
}

// after sends a step's messages, and handles a fault or the finish. It
// reports whether the member is still running.
func (n *Node) after(e env.Env, m *member, outs []mpc.Out, err error) bool {
	key := m.id.String()
	if err != nil {
		b, _ := mpc.BlameOf(err)
		e.Observe(env.ObserveKV(ObsBlame, "session", key, "attempt", strconv.Itoa(int(m.id.Attempt)),
			"culprits", joinParties(b.Culprits), "attributable", strconv.FormatBool(b.Attributable), "reason", b.Reason))
		e.Send(m.coordinator, encode(MsgAbort, Abort{ID: m.id, Culprits: b.Culprits, Attributable: b.Attributable, Reason: "fault: " + b.Reason}))
		n.finish(key)
		return false
	}
	for _, o := range outs {
		to := o.To
		if to == nil {
			for _, p := range m.id.Parties {
				if p != n.cfg.ID {
					to = append(to, p)
				}
			}
		}
		msg := encode(MsgEnvelope, Envelope{ID: m.id, Round: o.Round, From: n.cfg.ID, Payload: o.Payload})
		for _, p := range to {
			e.Send(env.NodeID(p), msg)
		}
	}
	if m.cer != nil {
		if sh, ok := m.cer.Done(); ok {
			n.adoptKey(e, m, sh)
			n.finish(key)
			return false
		}
		return true
	}
	if sig, ok := m.sess.Done(); ok {
		e.Observe(env.ObserveKV(ObsSigned, "key", string(m.id.Key), "session", key, "attempt", strconv.Itoa(int(m.id.Attempt)), "digest", fmt.Sprintf("%x", m.digest)))
		e.Send(m.coordinator, encode(MsgResult, Result{ID: m.id, Sig: sig}))
		n.finish(key)
		return false
	}
	return true
}

func (n *Node) finish(key string) {
	delete(n.members, key) // the session and its unsealed share go with it
	n.markFinished(key)
}

func (n *Node) markFinished(key string) {
	if n.finished[key] {
		return
	}
	n.finished[key] = true
	n.finOrder = append(n.finOrder, key)
	if len(n.finOrder) > finishedMax {
		delete(n.finished, n.finOrder[0])
		n.finOrder = n.finOrder[1:]
	}
}
