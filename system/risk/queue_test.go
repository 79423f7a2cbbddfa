package risk

import (
	"errors"
	"testing"

	"vaultdrill/system/env"
)

// Automation may freeze but never release: Decide refuses automation and
// anyone not configured as a reviewer, and the freeze stands until a
// reviewer's release.
func TestQueueOnlyAReviewerReleases(t *testing.T) {
	q := NewQueue("risk", []env.NodeID{"reviewer-1", "reviewer-2"})
	c, opened := q.Open(Case{Kind: KindFreeze, Subject: "wd-1", Account: "alice", OpenedAt: t0})
	if !opened || c.ID != "risk/case-1" || c.State != StateOpen {
		t.Fatalf("opened %v %+v", opened, c)
	}
	for _, who := range []env.NodeID{ByAutomation, "", "mallory", "wallet-1"} {
		if _, _, err := q.Decide(c.ID, DecisionRelease, who, t0); !errors.Is(err, ErrNotReviewer) {
			t.Fatalf("release by %q: %v, want ErrNotReviewer", who, err)
		}
	}
	if _, ok := q.Frozen("alice"); !ok {
		t.Fatal("a refused release lifted the freeze")
	}
	// a second freeze of the same account opens nothing new
	if c2, opened := q.Open(Case{Kind: KindFreeze, Subject: "wd-2", Account: "alice"}); opened || c2.ID != c.ID {
		t.Fatalf("second freeze: opened %v id %s", opened, c2.ID)
	}
	if _, _, err := q.Decide(c.ID, "maybe", "reviewer-1", t0); !errors.Is(err, ErrDecision) {
		t.Fatalf("unknown decision: %v", err)
	}
	got, changed, err := q.Decide(c.ID, DecisionRelease, "reviewer-2", t0.Add(1))
	if err != nil || !changed || got.State != StateClosed || got.Reviewer != "reviewer-2" {
		t.Fatalf("release: %v %v %+v", err, changed, got)
	}
	if _, ok := q.Frozen("alice"); ok {
		t.Fatal("still frozen after the release")
	}
	if _, changed, err := q.Decide(c.ID, DecisionRelease, "reviewer-2", t0.Add(2)); err != nil || changed {
		t.Fatalf("repeated decision: %v %v, want a no-op", changed, err)
	}
	if _, _, err := q.Decide(c.ID, DecisionConfirm, "reviewer-1", t0.Add(2)); !errors.Is(err, ErrDecided) {
		t.Fatalf("contrary decision on a closed case: %v", err)
	}
	if _, _, err := q.Decide("risk/case-9", DecisionConfirm, "reviewer-1", t0); !errors.Is(err, ErrNoCase) {
		t.Fatalf("unknown case: %v", err)
	}
}

// A confirmed freeze stands: the account stays frozen on its closed case,
// and pruning keeps that case.
func TestQueueConfirmedFreezeStands(t *testing.T) {
	q := NewQueue("risk", []env.NodeID{"reviewer-1"})
	c, _ := q.Open(Case{Kind: KindFreeze, Subject: "wd-1", Account: "alice", OpenedAt: t0})
	h, _ := q.Open(Case{Kind: KindHold, Subject: "wd-2", Account: "bob", OpenedAt: t0})
	if q.HoldsOpen() != 1 {
		t.Fatalf("holds open %d", q.HoldsOpen())
	}
	if _, _, err := q.Decide(c.ID, DecisionConfirm, "reviewer-1", t0); err != nil {
		t.Fatal(err)
	}
	if _, _, err := q.Decide(h.ID, DecisionConfirm, "reviewer-1", t0); err != nil {
		t.Fatal(err)
	}
	q.prune(0)
	if f, ok := q.Frozen("alice"); !ok || f.ID != c.ID || f.Decision != DecisionConfirm {
		t.Fatalf("confirmed freeze: %v %+v", ok, f)
	}
	if _, ok := q.Case(h.ID); ok || q.HoldsOpen() != 0 || len(q.Cases()) != 1 {
		t.Fatalf("closed hold kept after pruning: %d cases", len(q.Cases()))
	}
}

// Tasks rotate over the reviewers and stop at the bound.
func TestQueueAssign(t *testing.T) {
	q := NewQueue("risk", []env.NodeID{"r1", "r2", "r3"})
	c, _ := q.Open(Case{Kind: KindHold, Subject: "wd-1", Account: "alice"})
	var got []env.NodeID
	for {
		task, ok := q.Assign(c.ID, 4)
		if !ok {
			break
		}
		if task.Attempt != len(got)+1 {
			t.Fatalf("attempt %d after %d tasks", task.Attempt, len(got))
		}
		got = append(got, task.Reviewer)
	}
	if want := []env.NodeID{"r1", "r2", "r3", "r1"}; len(got) != 4 || got[0] != want[0] || got[3] != want[3] {
		t.Fatalf("reviewers %v, want %v", got, want)
	}
	if _, ok := NewQueue("risk", nil).Assign(c.ID, 4); ok {
		t.Fatal("a task without reviewers")
	}
}
