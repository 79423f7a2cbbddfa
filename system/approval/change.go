package approval

import (
	"errors"
	"fmt"
	"sort"
	"time"
)

// Policy changes (INV-POLICY). Lowering a quorum, whitelisting an address
// or raising a limit enables withdrawals the current policy forbids, so a
// change is itself an operation of the riskiest kind it enables: it needs
// that many distinct admins besides its proposer, and it waits out a time
// lock during which every other admin is told (an insider acting alone
// gets caught in the window, not after the funds left).
//
// The Governor is a pure state machine: the host feeds it proposals,
// approvals and the time, persists what it returns, and emits the evidence.

// ChangeKind names what a change alters.
type ChangeKind string

const (
	ChangeQuorum    ChangeKind = "quorum"    // a tier's approver count: Value "TIER=N"
	ChangeWhitelist ChangeKind = "whitelist" // an address withdrawals may go to: Value the address
	ChangeLimit     ChangeKind = "limit"     // the velocity limit: Value the new limit
)

// Change is one proposed policy change.
type Change struct {
	ID         string
	Kind       ChangeKind
	Value      string
	Proposer   string // a human admin
	ProposedAt time.Time
}

// ChangeState is where a change stands.
type ChangeState string

const (
	ChangeProposed  ChangeState = "proposed"
	ChangeApproved  ChangeState = "approved" // quorum met; waiting out the time lock
	ChangeEffective ChangeState = "effective"
	ChangeRejected  ChangeState = "rejected"
)

// GovWeakness plants a known governance bug for the checkers to catch.
type GovWeakness string

const (
	// GovNoTimelock makes an approved change effective at once.
	GovNoTimelock GovWeakness = "no-timelock"
	// GovCountProposer counts the proposer toward the change's quorum.
	GovCountProposer GovWeakness = "count-proposer"
)

// ParseGovWeakness checks a weakness name.
func ParseGovWeakness(s string) (GovWeakness, error) {
	switch w := GovWeakness(s); w {
	case "", GovNoTimelock, GovCountProposer:
		return w, nil
	}
	return "", fmt.Errorf("%w: unknown governance weakness %q (no-timelock, count-proposer)", ErrBadPolicy, s)
}

// Sentinel errors of governance.
var (
	ErrNotAdmin      = errors.New("approval: not an admin")
	ErrChangeUnknown = errors.New("approval: no such policy change")
	ErrChangeClosed  = errors.New("approval: policy change no longer open")
	ErrChangeDup     = errors.New("approval: policy change id already used")
)

// GovConfig configures a Governor.
type GovConfig struct {
	Admins   []string      // the humans who may propose and approve
	Timelock time.Duration // from proposal to the earliest effect
	Expiry   time.Duration // an unapproved change is rejected after this
	// QuorumMin is the least number of approving admins for any change,
	// whatever it enables.
	QuorumMin int
	Weakness  GovWeakness
}

// ChangeStatus is a change with its progress.
type ChangeStatus struct {
	Change
	State       ChangeState
	Quorum      int      // approvals required (the proposer never counts)
	Approvers   []string // sorted, distinct, counted
	EffectiveAt time.Time
	Reason      string
}

// Governor holds the open and decided changes.
type Governor struct {
	cfg     GovConfig
	policy  Policy
	changes map[string]*ChangeStatus
	order   []string
}

// NewGovernor governs changes to p.
func NewGovernor(cfg GovConfig, p Policy) *Governor {
	if cfg.QuorumMin < 1 {
		cfg.QuorumMin = 1
	}
	return &Governor{cfg: cfg, policy: p, changes: map[string]*ChangeStatus{}}
}

func (g *Governor) admin(h string) bool {
	for _, a := range g.cfg.Admins {
		if a == h {
			return true
		}
	}
	return false
}

// RequiredQuorum is the quorum of the riskiest operation a change enables:
// the most approvers any tier of its wallets demands today (a whitelist or
// a limit enables any amount; a quorum change enables what the tier
// bounds, and the tiers above it must not be undercut), and never fewer
// than QuorumMin.
func (g *Governor) RequiredQuorum(c Change) int {
	q := g.cfg.QuorumMin
	for _, t := range g.policy.Tiers {
		if t.Approvers > q {
			q = t.Approvers
		}
	}
	return q
}

// Propose opens a change and returns whom to alert: every other admin.
func (g *Governor) Propose(c Change) (ChangeStatus, []string, error) {
	if !g.admin(c.Proposer) {
		return ChangeStatus{}, nil, fmt.Errorf("%w: %q proposes %s", ErrNotAdmin, c.Proposer, c.ID)
	}
	if c.ID == "" || g.changes[c.ID] != nil {
		return ChangeStatus{}, nil, fmt.Errorf("%w: %q", ErrChangeDup, c.ID)
	}
	s := &ChangeStatus{Change: c, State: ChangeProposed, Quorum: g.RequiredQuorum(c)}
	if g.cfg.Weakness == GovCountProposer {
		s.Approvers = []string{c.Proposer}
	}
	g.changes[c.ID] = s
	g.order = append(g.order, c.ID)
	var notify []string
	for _, a := range g.cfg.Admins {
		if a != c.Proposer {
			notify = append(notify, a)
		}
	}
	sort.Strings(notify)
	return *s, notify, nil
}

// Approve counts admin's approval of change id (the proposer's never
// counts; a second approval by the same admin counts once).
func (g *Governor) Approve(id, admin string, now time.Time) (ChangeStatus, error) {
	s := g.changes[id]
	switch {
	case s == nil:
		return ChangeStatus{}, fmt.Errorf("%w: %q", ErrChangeUnknown, id)
	case !g.admin(admin):
		return *s, fmt.Errorf("%w: %q approves %s", ErrNotAdmin, admin, id)
	case s.State != ChangeProposed:
		return *s, fmt.Errorf("%w: %s is %s", ErrChangeClosed, id, s.State)
	}
	if admin == s.Proposer && g.cfg.Weakness != GovCountProposer {
		return *s, nil
	}
	i := sort.SearchStrings(s.Approvers, admin)
	if i < len(s.Approvers) && s.Approvers[i] == admin {
		return *s, nil
	}
	s.Approvers = append(s.Approvers, "")
	copy(s.Approvers[i+1:], s.Approvers[i:])
	s.Approvers[i] = admin
	if len(s.Approvers) >= s.Quorum {
		s.State = ChangeApproved
		s.EffectiveAt = s.ProposedAt.Add(g.cfg.Timelock)
		if g.cfg.Weakness == GovNoTimelock || s.EffectiveAt.Before(now) {
			s.EffectiveAt = now
		}
	}
	return *s, nil
}

// Veto rejects change id on an admin's word while it has not taken
// effect: the time lock exists so that the other admins, alerted, can
// stop a change its approvers let through. Any admin but the proposer
// may veto; a change already effective (or decided) is closed to it.
func (g *Governor) Veto(id, admin string) (ChangeStatus, error) {
	s := g.changes[id]
	switch {
	case s == nil:
		return ChangeStatus{}, fmt.Errorf("%w: %q", ErrChangeUnknown, id)
	case !g.admin(admin) || admin == s.Proposer:
		return *s, fmt.Errorf("%w: %q vetoes %s", ErrNotAdmin, admin, id)
	case s.State != ChangeProposed && s.State != ChangeApproved:
		return *s, fmt.Errorf("%w: %s is %s", ErrChangeClosed, id, s.State)
	}
	s.State, s.Reason = ChangeRejected, "vetoed by "+admin+" inside the time lock"
	return *s, nil
}

// Advance moves changes whose time has come: approved ones past their
// time lock become effective, unapproved ones past the expiry are
// rejected. It returns the changes it moved, in proposal order.
func (g *Governor) Advance(now time.Time) []ChangeStatus {
	var moved []ChangeStatus
	for _, id := range g.order {
		s := g.changes[id]
		switch {
		case s.State == ChangeApproved && !now.Before(s.EffectiveAt):
			s.State = ChangeEffective
			moved = append(moved, *s)
		case s.State == ChangeProposed && g.cfg.Expiry > 0 && !now.Before(s.ProposedAt.Add(g.cfg.Expiry)):
			s.State, s.Reason = ChangeRejected, "expired without quorum"
			moved = append(moved, *s)
		}
	}
	return moved
}

// Status returns a change's progress.
func (g *Governor) Status(id string) (ChangeStatus, bool) {
	s := g.changes[id]
	if s == nil {
		return ChangeStatus{}, false
	}
	return *s, true
}
