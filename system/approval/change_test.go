package approval

import (
	"errors"
	"testing"
	"time"
)

func govAt(w GovWeakness) (*Governor, time.Time) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return NewGovernor(GovConfig{Admins: []string{"a1", "a2", "a3", "a4"}, Timelock: 24 * time.Hour, Expiry: 72 * time.Hour, QuorumMin: 2, Weakness: w}, DefaultPolicy()), t0
}

func TestPolicyChangeNeedsQuorumAndTimelock(t *testing.T) {
	g, t0 := govAt("")
	c := Change{ID: "c1", Kind: ChangeQuorum, Value: "hot-large=1", Proposer: "a1", ProposedAt: t0}
	s, notify, err := g.Propose(c)
	if err != nil || s.Quorum != 3 {
		t.Fatalf("propose: %v, quorum %d (want 3: the riskiest tier's)", err, s.Quorum)
	}
	if len(notify) != 3 || notify[0] != "a2" {
		t.Fatalf("notify %v: every other admin", notify)
	}
	// The proposer's own approval and a repeated one do not count.
	for _, a := range []string{"a1", "a2", "a2", "a3"} {
		if s, err = g.Approve("c1", a, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	if s.State != ChangeProposed || len(s.Approvers) != 2 {
		t.Fatalf("after a1 a2 a2 a3: %s with %v, want proposed with [a2 a3]", s.State, s.Approvers)
	}
	if s, _ = g.Approve("c1", "a4", t0.Add(2*time.Hour)); s.State != ChangeApproved || !s.EffectiveAt.Equal(t0.Add(24*time.Hour)) {
		t.Fatalf("quorum met: %s effective at %v", s.State, s.EffectiveAt)
	}
	if moved := g.Advance(t0.Add(23 * time.Hour)); len(moved) != 0 {
		t.Fatalf("effective inside the time lock: %v", moved)
	}
	if moved := g.Advance(t0.Add(24 * time.Hour)); len(moved) != 1 || moved[0].State != ChangeEffective {
		t.Fatalf("not effective after the time lock: %v", moved)
	}
	if _, err := g.Approve("c1", "a2", t0.Add(25*time.Hour)); !errors.Is(err, ErrChangeClosed) {
		t.Fatalf("approving a closed change: %v", err)
	}
}

func TestPolicyChangeRefusals(t *testing.T) {
	g, t0 := govAt("")
	if _, _, err := g.Propose(Change{ID: "x", Proposer: "mallory", ProposedAt: t0}); !errors.Is(err, ErrNotAdmin) {
		t.Fatalf("non-admin proposal: %v", err)
	}
	g.Propose(Change{ID: "c", Proposer: "a1", ProposedAt: t0})
	if _, _, err := g.Propose(Change{ID: "c", Proposer: "a2", ProposedAt: t0}); !errors.Is(err, ErrChangeDup) {
		t.Fatalf("duplicate id: %v", err)
	}
	if _, err := g.Approve("c", "mallory", t0); !errors.Is(err, ErrNotAdmin) {
		t.Fatalf("non-admin approval: %v", err)
	}
	if _, err := g.Approve("nope", "a2", t0); !errors.Is(err, ErrChangeUnknown) {
		t.Fatalf("unknown change: %v", err)
	}
	if moved := g.Advance(t0.Add(72 * time.Hour)); len(moved) != 1 || moved[0].State != ChangeRejected {
		t.Fatalf("unapproved change not rejected at expiry: %v", moved)
	}
}

// The planted weaknesses change the outcome, so INV-POLICY has something
// to catch.
func TestGovernanceWeaknesses(t *testing.T) {
	g, t0 := govAt(GovNoTimelock)
	g.Propose(Change{ID: "c", Proposer: "a1", ProposedAt: t0})
	for _, a := range []string{"a2", "a3", "a4"} {
		g.Approve("c", a, t0.Add(time.Minute))
	}
	if moved := g.Advance(t0.Add(time.Minute)); len(moved) != 1 || moved[0].State != ChangeEffective {
		t.Fatalf("no-timelock: %v, want effective at once", moved)
	}
	g, t0 = govAt(GovCountProposer)
	g.Propose(Change{ID: "c", Proposer: "a1", ProposedAt: t0})
	g.Approve("c", "a2", t0)
	s, _ := g.Approve("c", "a3", t0)
	if s.State != ChangeApproved {
		t.Fatalf("count-proposer: %s with %v, want approved with the proposer counted", s.State, s.Approvers)
	}
	if _, err := ParseGovWeakness("bogus"); err == nil {
		t.Fatal("unknown weakness accepted")
	}
}

// An approved change can be vetoed by another admin inside its time lock;
// its proposer cannot veto it, nobody can once it is in effect.
func TestVetoInsideTimelock(t *testing.T) {
	g, t0 := govAt("")
	for _, id := range []string{"c1", "c2"} {
		if _, _, err := g.Propose(Change{ID: id, Kind: ChangeWhitelist, Value: "k1-" + id, Proposer: "a1", ProposedAt: t0}); err != nil {
			t.Fatal(err)
		}
		for _, a := range []string{"a2", "a3", "a4"} {
			g.Approve(id, a, t0.Add(time.Hour))
		}
	}
	if _, err := g.Veto("c1", "a1"); !errors.Is(err, ErrNotAdmin) {
		t.Fatalf("the proposer vetoed: %v", err)
	}
	if _, err := g.Veto("c1", "mallory"); !errors.Is(err, ErrNotAdmin) {
		t.Fatalf("a non-admin vetoed: %v", err)
	}
	s, err := g.Veto("c1", "a4")
	if err != nil || s.State != ChangeRejected {
		t.Fatalf("veto inside the lock: %s %v", s.State, err)
	}
	for _, m := range g.Advance(t0.Add(25 * time.Hour)) {
		if m.ID == "c1" {
			t.Fatalf("a vetoed change moved: %+v", m)
		}
	}
	if s, _ := g.Status("c2"); s.State != ChangeEffective {
		t.Fatalf("c2 not effective after its lock: %s", s.State)
	}
	if _, err := g.Veto("c2", "a4"); !errors.Is(err, ErrChangeClosed) {
		t.Fatalf("veto of a change in effect: %v", err)
	}
}
