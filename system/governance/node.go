package governance

import (
	"crypto/ed25519"
	"fmt"
	"strconv"
	"strings"
	"time"

	"vaultdrill/system/approval"
	"vaultdrill/system/env"
)

// CostStep is the virtual CPU cost of one step.
const CostStep = 20 * time.Microsecond

// Observation kinds (docs/security-vocabulary.md).
const (
	ObsChange = "policy.change"
	ObsAlert  = "access.alert"
)

// AttackInsiderPolicy is the attack id an alert about a policy change
// responds to (DOMAIN.md attack 4).
const AttackInsiderPolicy = "insider-policy"

// Config configures the governance node.
type Config struct {
	ID       env.NodeID
	Gov      approval.GovConfig // admins, time lock, expiry, least quorum, planted weakness
	Policy   approval.Policy    // the withdrawal policy in force at genesis
	Registry *approval.Registry // admins' devices
	Wallets  []env.NodeID       // where changes in effect are pushed
	// Key certifies every change in effect (approval.Certify); the
	// signers know its public key. Without it pushes go unsigned, and no
	// signer accepts a quorum change.
	Key ed25519.PrivateKey
	// PushResend: a wallet that has not acknowledged a change is sent it
	// again after this; Skew: how far a request's time may be from the
	// node's clock (a request older than that is a replay).
	PushResend time.Duration
	Skew       time.Duration
	// Tick bounds how late a time-driven move can be noticed.
	Tick time.Duration
}

func (c Config) withDefaults() Config {
	if c.PushResend <= 0 {
		c.PushResend = 30 * time.Second
	}
	if c.Skew <= 0 {
		c.Skew = 10 * time.Minute
	}
	if c.Tick <= 0 {
		c.Tick = time.Minute
	}
	return c
}

// Node is the governance node. It implements env.Node.
type Node struct {
	cfg  Config
	gov  *approval.Governor
	push []pending // effective changes not yet acknowledged by every wallet
	// effective counts the changes that took effect, in the order they
	// did (replayed from the journal): each push's Seq; lastQuorum is the
	// Seq of the last quorum change that applied (the next one's Prev)
	effective, lastQuorum int
}

// pending is one change in effect and the wallets still to acknowledge it.
type pending struct {
	p       Push
	waiting []env.NodeID
}

// New builds the governance node.
func New(cfg Config) *Node { return &Node{cfg: cfg.withDefaults()} }

func (n *Node) Step(e env.Env, in env.Input) {
	e.Charge(CostStep)
	switch in.Kind {
	case env.InputStart:
		n.start(e)
	case env.InputTimer:
		n.timer(e, in.Tag)
	case env.InputMessage:
		n.receive(e, in.From, in.Payload)
	}
}

// start replays the journal into a fresh Governor, silently: what it
// reports was reported when it was journaled.
func (n *Node) start(e env.Env) {
	n.gov = approval.NewGovernor(n.cfg.Gov, n.cfg.Policy)
	n.push, n.effective, n.lastQuorum = nil, 0, 0
	for _, r := range readJournal(e.Disk()) {
		switch r.Op {
		case OpPropose:
			n.gov.Propose(approval.Change{ID: r.Change, Kind: r.Kind, Value: r.Value, Proposer: r.Human, ProposedAt: r.At})
		case OpApprove:
			n.gov.Approve(r.Change, r.Human, r.At)
		case OpVeto:
			n.gov.Veto(r.Change, r.Human)
		case "advance":
			for _, s := range n.gov.Advance(r.At) {
				n.took(s)
			}
		}
	}
	// the replay queued every change in effect again, in the order they
	// took effect: a wallet applies each once
	n.sendPushes(e)
	for _, s := range n.gov.Changes() {
		n.armFor(e, s)
	}
	e.After(n.cfg.Tick, "tick")
	e.After(n.cfg.PushResend, "push")
}

// took is what a change taking effect does inside the node: a quorum
// change becomes the policy later proposals are judged against.
func (n *Node) took(s approval.ChangeStatus) {
	if s.State != approval.ChangeEffective {
		return
	}
	n.effective++
	p := Push{Change: s.ID, Kind: s.Kind, Value: s.Value, Seq: n.effective, Prev: n.lastQuorum}
	if s.Kind == approval.ChangeQuorum {
		// a quorum change other changes made invalid meanwhile changes
		// nothing; the wallets pass it over the same way
		if np, err := approval.ApplyQuorum(n.gov.Policy(), s.Change); err == nil {
			n.gov.SetPolicy(np)
			n.lastQuorum = n.effective
		}
	}
	if len(n.cfg.Key) == ed25519.PrivateKeySize {
		p = approval.Certify(n.cfg.Key, p)
	}
	n.push = append(n.push, pending{p: p, waiting: append([]env.NodeID(nil), n.cfg.Wallets...)})
}

func (n *Node) sendPushes(e env.Env) {
	for _, q := range n.push {
		for _, w := range q.waiting {
			e.Send(w, Encode(MsgPush, q.p))
		}
	}
}

// armFor sets a timer for a change's next time-driven move.
func (n *Node) armFor(e env.Env, s approval.ChangeStatus) {
	var at time.Time
	switch s.State {
	case approval.ChangeApproved:
		at = s.EffectiveAt
	case approval.ChangeProposed:
		if n.cfg.Gov.Expiry <= 0 {
			return
		}
		at = s.ProposedAt.Add(n.cfg.Gov.Expiry)
	default:
		return
	}
	e.After(max(at.Sub(e.Now()), 0), "advance")
}

func (n *Node) timer(e env.Env, tag string) {
	switch tag {
	case "tick":
		n.advance(e)
		e.After(n.cfg.Tick, "tick")
	case "advance":
		n.advance(e)
	case "push":
		n.sendPushes(e)
		e.After(n.cfg.PushResend, "push")
	}
}

// advance moves the changes whose time has come, journals the move and
// reports it.
func (n *Node) advance(e env.Env) {
	now := e.Now()
	moved := n.gov.Advance(now)
	if len(moved) == 0 {
		return
	}
	appendRecord(e, record{Op: "advance", At: now})
	for _, s := range moved {
		n.took(s)
		reason := s.Reason
		if s.State == approval.ChangeEffective {
			reason = "time lock passed; pushed to the wallet nodes"
		}
		n.observe(e, s, reason)
	}
	n.sendPushes(e)
}

func (n *Node) receive(e env.Env, from env.NodeID, payload []byte) {
	t, _, err := env.Decode(payload)
	if err != nil {
		return
	}
	switch t {
	case MsgRequest:
		var r Request
		if Decode(payload, MsgRequest, &r) {
			n.request(e, from, r)
		}
	case MsgAck:
		var a Ack
		if Decode(payload, MsgAck, &a) {
			n.ack(from, a)
		}
	}
}

func (n *Node) ack(from env.NodeID, a Ack) {
	for i := range n.push {
		q := &n.push[i]
		if q.p.Change != a.Change {
			continue
		}
		for j, w := range q.waiting {
			if w == from {
				q.waiting = append(q.waiting[:j], q.waiting[j+1:]...)
				break
			}
		}
		if len(q.waiting) == 0 {
			n.push = append(n.push[:i], n.push[i+1:]...)
		}
		return
	}
}

// request handles one admin request: authenticated, fresh, then decided
// by the Governor, journaled, reported and answered.
func (n *Node) request(e env.Env, from env.NodeID, r Request) {
	ans := Answer{ID: r.ID, Change: r.Change}
	reply := func(err error) {
		if err != nil {
			ans.Err = err.Error()
		} else {
			ans.OK = true
		}
		if s, ok := n.gov.Status(r.Change); ok {
			ans.State = string(s.State)
		}
		e.Send(from, Encode(MsgAnswer, ans))
	}
	now := e.Now()
	if err := Verify(n.cfg.Registry, r); err != nil {
		reply(err)
		return
	}
	if d := now.Sub(r.At); d > n.cfg.Skew || d < -n.cfg.Skew {
		reply(fmt.Errorf("governance: request signed at %s, %v from now: stale or replayed", r.At.UTC().Format(time.RFC3339), d))
		return
	}
	// settle what time has decided before judging the request
	n.advance(e)
	switch r.Op {
	case OpPropose:
		reply(n.propose(e, r, now))
	case OpApprove:
		reply(n.approve(e, r, now))
	case OpVeto:
		reply(n.veto(e, r, now))
	default:
		reply(fmt.Errorf("governance: unknown op %q", r.Op))
	}
}

func (n *Node) propose(e env.Env, r Request, now time.Time) error {
	c := approval.Change{ID: r.Change, Kind: r.Kind, Value: r.Value, Proposer: r.Human, ProposedAt: now}
	if s, ok := n.gov.Status(r.Change); ok {
		if s.Proposer == c.Proposer && s.Kind == c.Kind && s.Value == c.Value {
			return nil // the same proposal again (a retry)
		}
		return fmt.Errorf("%w: %q", approval.ErrChangeDup, r.Change)
	}
	if err := approval.CheckChange(n.gov.Policy(), c); err != nil {
		return err
	}
	s, notify, err := n.gov.Propose(c)
	if err != nil {
		return err
	}
	appendRecord(e, record{Op: OpPropose, Change: c.ID, Kind: c.Kind, Value: c.Value, Human: c.Proposer, At: now})
	lock := now.Add(n.cfg.Gov.Timelock)
	n.observe(e, s, "proposed by "+c.Proposer)
	e.Observe(env.ObserveKV(ObsAlert, "attack", AttackInsiderPolicy, "user", c.Proposer, "notify", "admins", "change", c.ID,
		"admins", strings.Join(notify, ","),
		"reason", fmt.Sprintf("policy change %s (%s = %s) proposed by %s; needs %d other admins and takes effect no earlier than %s",
			c.ID, c.Kind, c.Value, c.Proposer, s.Quorum, lock.UTC().Format(time.RFC3339))))
	n.armFor(e, s)
	return nil
}

// shown returns the change r approves or vetoes, refusing a request
// signed for another kind or value: an admin acts on exactly the change
// they were shown.
func (n *Node) shown(r Request) (approval.ChangeStatus, error) {
	s, ok := n.gov.Status(r.Change)
	if !ok {
		return s, fmt.Errorf("%w: %q", approval.ErrChangeUnknown, r.Change)
	}
	if s.Kind != r.Kind || s.Value != r.Value {
		return s, fmt.Errorf("governance: %s of %s (%s = %s) signed for %s = %s", r.Op, r.Change, s.Kind, s.Value, r.Kind, r.Value)
	}
	return s, nil
}

func (n *Node) approve(e env.Env, r Request, now time.Time) error {
	s, err := n.shown(r)
	if err != nil {
		return err
	}
	before := len(s.Approvers)
	after, err := n.gov.Approve(r.Change, r.Human, now)
	if err != nil {
		return err
	}
	if r.Human == s.Proposer {
		e.Observe(env.ObserveKV(ObsAlert, "attack", AttackInsiderPolicy, "user", r.Human, "notify", "admins,security", "change", r.Change,
			"reason", fmt.Sprintf("policy change %s: its proposer %s approved it from device %s", r.Change, r.Human, r.Device)))
	}
	if len(after.Approvers) == before && after.State == s.State {
		return nil // not counted (the proposer, or a second approval): nothing changed
	}
	appendRecord(e, record{Op: OpApprove, Change: r.Change, Human: r.Human, At: now})
	why := "approval by " + r.Human + " counted"
	if after.State == approval.ChangeApproved {
		why = fmt.Sprintf("quorum met; effective no earlier than %s", after.EffectiveAt.UTC().Format(time.RFC3339))
	}
	n.observe(e, after, why)
	n.armFor(e, after)
	if after.State == approval.ChangeApproved && !after.EffectiveAt.After(now) {
		n.advance(e)
	}
	return nil
}

func (n *Node) veto(e env.Env, r Request, now time.Time) error {
	if _, err := n.shown(r); err != nil {
		return err
	}
	after, err := n.gov.Veto(r.Change, r.Human)
	if err != nil {
		return err
	}
	appendRecord(e, record{Op: OpVeto, Change: r.Change, Human: r.Human, At: now})
	n.observe(e, after, after.Reason)
	return nil
}

// observe reports a change's state as a policy.change fact.
func (n *Node) observe(e env.Env, s approval.ChangeStatus, reason string) {
	eff := ""
	if !s.EffectiveAt.IsZero() {
		eff = strconv.FormatInt(int64(s.EffectiveAt.Sub(env.Epoch)), 10)
	}
	e.Observe(env.ObserveKV(ObsChange, "change", s.ID, "kind", string(s.Kind), "value", s.Value, "state", string(s.State),
		"approvers", strings.Join(s.Approvers, ","), "quorum", strconv.Itoa(s.Quorum), "effective_at", eff,
		"proposer", s.Proposer, "reason", reason))
}
