package scenarios

import (
	"testing"
	"time"

	"vaultdrill/faults"
	"vaultdrill/sim"
	"vaultdrill/system/env"
	"vaultdrill/system/topology"
)

// Every fault kind, applied through faults.Target on the in-process
// deployment, has the effect on the world it promises.
func TestInProcessTargetAppliesEveryKind(t *testing.T) {
	s, err := Load("ledger-chaos", []string{"duration=1m"})
	if err != nil {
		t.Fatal(err)
	}
	w := sim.New(sim.Config{Seed: 1})
	d := &inProcess{world: w, topo: s.Topology, downBy: map[topology.Region][]env.NodeID{}}
	if err := d.install(s); err != nil {
		t.Fatal(err)
	}
	w.RunFor(3 * time.Second)
	apply := func(line string) {
		t.Helper()
		p, err := faults.ParsePlan(line)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range p.Actions {
			if err := faults.Apply(d, a); err != nil {
				t.Fatalf("%s: %v", line, err)
			}
		}
	}
	net := w.Network()
	checks := []struct {
		line string
		ok   func() bool
	}{
		{"+0s crash ledger-1", func() bool { return !w.Up("ledger-1") }},
		{"+0s restart ledger-1", func() bool { return w.Up("ledger-1") }},
		{"+0s pause ledger-2", func() bool { return w.Paused("ledger-2") }},
		{"+0s resume ledger-2", func() bool { return !w.Paused("ledger-2") }},
		{"+0s partition ledger-1,ledger-2 | ledger-3,ledger-4,ledger-5", func() bool {
			return net.Blocked("ledger-1", "ledger-3") && net.Blocked("ledger-3", "ledger-1") && !net.Blocked("ledger-1", "ledger-2")
		}},
		{"+0s heal", func() bool { return !net.Blocked("ledger-1", "ledger-3") }},
		{"+0s partition-oneway ledger-1 -> ledger-5", func() bool {
			return net.Blocked("ledger-1", "ledger-5") && !net.Blocked("ledger-5", "ledger-1")
		}},
		{"+0s heal", func() bool { return !net.Blocked("ledger-1", "ledger-5") }},
		{"+0s region-down primary", func() bool {
			return !w.Up("ledger-1") && !w.Up("ledger-2") && w.Up("ledger-3") && net.Blocked("ledger-1", "ledger-3")
		}},
		{"+0s region-up primary", func() bool { return w.Up("ledger-1") && w.Up("ledger-2") && !net.Blocked("ledger-1", "ledger-3") }},
		{"+0s skew ledger-3 90s", func() bool { return w.Skew("ledger-3") == 90*time.Second }},
		{"+0s clock-jump ledger-3 -30s", func() bool { return w.Skew("ledger-3") == 60*time.Second }},
		{"+0s links loss=1000", func() bool {
			sent := net.Dropped
			w.RunFor(time.Second)
			return net.Dropped > sent+10 && net.Delivered > 0
		}},
		{"+0s links off", func() bool { return true }},
		{"+0s disk-torn ledger-4", func() bool { return w.Up("ledger-4") }},
		{"+0s crash ledger-3", func() bool { return !w.Up("ledger-3") }},
		{"+0s pause ledger-5", func() bool { return w.Paused("ledger-5") }},
		{"+0s heal-all", func() bool {
			return w.Up("ledger-3") && !w.Paused("ledger-5") && w.Skew("ledger-3") == 0 && !net.Blocked("ledger-1", "ledger-5")
		}},
	}
	for _, c := range checks {
		apply(c.line)
		if !c.ok() {
			t.Fatalf("%s: no effect on the world", c.line)
		}
		w.RunFor(200 * time.Millisecond)
	}
	// disk-torn only arms the next crash; sim's TestTornWriteKeepsAPrefix
	// shows what a torn crash keeps.
	if err := d.Crash("no-such-node"); err == nil {
		t.Fatal("a fault on an unknown node was accepted")
	}
}
