package scenarios

import (
	"fmt"
	"sort"
	"strconv"
	"time"

	"vaultdrill/faults"
	"vaultdrill/sim"
	"vaultdrill/system/env"
	"vaultdrill/system/mpc"
)

// ThresholdSpec enumerates MPC fault plans by threshold: each seed draws how
// many of a committee's n signers stay reachable (k-1, k, ..., n: k-1 and k,
// the cases that matter, twice as often as the others), which ones are cut
// off, and how (crash, isolate by partition, or HSM unavailable). The cut
// lasts Hold from At; the harness records "world.reachable" at both ends so
// the threshold checker knows what the system faced.
type ThresholdSpec struct {
	Key     string        `yaml:"key"`
	Methods []string      `yaml:"methods"`
	At      time.Duration `yaml:"at"`
	Hold    time.Duration `yaml:"hold"`
}

var thresholdMethods = []string{"crash", "partition", "hsm"}

func (s *Scenario) validateThreshold() error {
	t := s.Faults.Threshold
	c, ok := mpc.DefaultCommittee(mpc.KeyID(t.Key))
	if !ok {
		return fmt.Errorf("faults.threshold.key %q: not a default committee (hot, cold, hot-ed, cold-ed)", t.Key)
	}
	for _, p := range c.Parties {
		if _, ok := s.Topology.Find(env.NodeID(p)); !ok {
			return fmt.Errorf("faults.threshold.key %q: signer %s is not in the topology (topology.signers)", t.Key, p)
		}
	}
	if len(t.Methods) == 0 {
		return fmt.Errorf("faults.threshold.methods: name at least one of %v", thresholdMethods)
	}
	for _, m := range t.Methods {
		known := false
		for _, k := range thresholdMethods {
			known = known || m == k
		}
		if !known {
			return fmt.Errorf("faults.threshold.methods: %q is not one of %v", m, thresholdMethods)
		}
	}
	if t.At < 0 || t.Hold <= 0 || t.At+t.Hold >= s.Duration {
		return fmt.Errorf("faults.threshold: at %v + hold %v must end inside the duration %v", t.At, t.Hold, s.Duration)
	}
	return nil
}

// thresholdCase is what one seed drew.
type thresholdCase struct {
	committee mpc.Committee
	reachable int
	cut       []env.NodeID
	method    string
}

func (s *Scenario) drawThreshold(seed uint64) thresholdCase {
	t := s.Faults.Threshold
	c, _ := mpc.DefaultCommittee(mpc.KeyID(t.Key))
	r := sim.NewRand(seed, "faults/threshold")
	var choices []int
	for x := c.K - 1; x <= c.N(); x++ {
		choices = append(choices, x)
		if x == c.K-1 || x == c.K {
			choices = append(choices, x)
		}
	}
	tc := thresholdCase{committee: c, reachable: choices[r.IntN(len(choices))], method: t.Methods[r.IntN(len(t.Methods))]}
	perm := r.Perm(c.N())
	for _, i := range perm[:c.N()-tc.reachable] {
		tc.cut = append(tc.cut, env.NodeID(c.Parties[i]))
	}
	sort.Slice(tc.cut, func(i, j int) bool { return tc.cut[i] < tc.cut[j] })
	return tc
}

// thresholdPlan turns a case into fault actions.
func (s *Scenario) thresholdPlan(tc thresholdCase) []faults.Action {
	t := s.Faults.Threshold
	if len(tc.cut) == 0 {
		return nil
	}
	var start, end faults.Action
	switch tc.method {
	case "crash":
		start = faults.Action{At: t.At, Kind: faults.Crash, Nodes: tc.cut}
		end = faults.Action{At: t.At + t.Hold, Kind: faults.Restart, Nodes: tc.cut}
	case "partition":
		cut := map[env.NodeID]bool{}
		for _, n := range tc.cut {
			cut[n] = true
		}
		var rest []env.NodeID
		for _, n := range s.Topology.Nodes {
			if !cut[n.ID] {
				rest = append(rest, n.ID)
			}
		}
		// each cut signer alone: together they could still make k
		var groups [][]env.NodeID
		for _, n := range tc.cut {
			groups = append(groups, []env.NodeID{n})
		}
		start = faults.Action{At: t.At, Kind: faults.Partition, Groups: append(groups, rest)}
		end = faults.Action{At: t.At + t.Hold, Kind: faults.Heal}
	case "hsm":
		start = faults.Action{At: t.At, Kind: faults.HSM, Nodes: tc.cut, Arg: "unavailable"}
		end = faults.Action{At: t.At + t.Hold, Kind: faults.HSM, Nodes: tc.cut, Arg: "restore"}
	}
	return []faults.Action{start, end}
}

// observeThreshold schedules the "world.reachable" facts of a case.
func (r *run) observeThreshold(tc thresholdCase) {
	t := r.s.Faults.Threshold
	obs := func(reachable int, cut []env.NodeID, how string) func() {
		return func() {
			names := ""
			for i, n := range cut {
				if i > 0 {
					names += ","
				}
				names += string(n)
			}
			r.worldObs("", "world.reachable", "key", string(tc.committee.Key), "k", strconv.Itoa(tc.committee.K),
				"n", strconv.Itoa(tc.committee.N()), "reachable", strconv.Itoa(reachable), "cut", names, "method", how)
		}
	}
	r.world.At(0, "reachable", obs(tc.committee.N(), nil, "none"))
	if len(tc.cut) > 0 {
		r.world.At(t.At, "reachable", obs(tc.reachable, tc.cut, tc.method))
		r.world.At(t.At+t.Hold, "reachable", obs(tc.committee.N(), nil, "healed"))
	}
}
