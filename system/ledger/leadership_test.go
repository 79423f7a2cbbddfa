package ledger

import (
	"testing"
	"time"

	"vaultdrill/system/topology"
)

func TestLeadershipGoesHomeAndFailsBack(t *testing.T) {
	regions := []topology.Region{"primary", "primary", "secondary", "secondary", "dr"}
	w := newWorld(t, 5, func(c *Config) {
		for i := range c.Peers {
			c.Peers[i].Region = regions[i]
		}
		c.PreferredRegion = "primary"
	})
	w.awaitLeader(5 * time.Second)
	w.run(5 * time.Second)
	home := func() bool {
		l, ok := w.leader()
		return ok && (l == "ledger-1" || l == "ledger-2")
	}
	if !home() {
		l, _ := w.leader()
		t.Fatalf("leader %s is outside the preferred region after 5s", l)
	}
	w.mustDo(deposit("a", 10))
	// Lose the primary region: leadership must move and stay away.
	w.crash("ledger-1", false)
	w.crash("ledger-2", false)
	w.run(5 * time.Second)
	l, ok := w.leader()
	if !ok || home() {
		t.Fatalf("after losing the primary region: leader %q", l)
	}
	w.mustDo(deposit("a", 5))
	// Fail back: once the primary replicas are back and caught up, the
	// leader hands over to one of them.
	w.restart("ledger-1")
	w.restart("ledger-2")
	w.run(8 * time.Second)
	if !home() {
		l, _ := w.leader()
		t.Fatalf("no fail-back: leader %s", l)
	}
	if len(w.observed(ObsTransfer, l)) == 0 {
		t.Fatalf("the handing-over leader %s observed no transfer", l)
	}
	if r := w.mustDo(balance("a")); r.Balance != 15 {
		t.Fatalf("balance after fail-back %d, want 15", r.Balance)
	}
	// Without a preference nothing moves on its own.
	w2 := newWorld(t, 5, nil)
	lead := w2.awaitLeader(5 * time.Second)
	w2.run(5 * time.Second)
	if l2, _ := w2.leader(); l2 != lead || len(w2.observed(ObsTransfer, lead)) != 0 {
		t.Fatalf("leadership moved with no preferred region: %s -> %s", lead, l2)
	}
}
