package faults

import (
	"fmt"
	"time"

	"vaultdrill/system/env"
	"vaultdrill/system/topology"
)

// Target is what every deployment implements: the in-process one on the
// simulator, the containers one later. A plan is applied to a Target one
// action at a time through Apply, so one scenario runs against both.
//
// Methods should be idempotent where the fault allows it (restarting a
// running node, healing a healed network) so a hand-written plan that undoes
// twice is harmless.
type Target interface {
	Crash(n env.NodeID) error
	Restart(n env.NodeID) error
	Pause(n env.NodeID) error
	Resume(n env.NodeID) error
	Partition(groups [][]env.NodeID) error
	PartitionOneWay(from, to []env.NodeID) error
	Heal() error
	RegionDown(r topology.Region) error
	RegionUp(r topology.Region) error
	Skew(n env.NodeID, d time.Duration) error
	ClockJump(n env.NodeID, d time.Duration) error
	SetLinks(l Link) error
	DiskTorn(n env.NodeID) error
	HealAll() error
	// HSMFault injects fault (the HSM's fault text) into n's HSM.
	HSMFault(n env.NodeID, fault string) error
	// MPCAttack starts (or, with kind MPCClear and no nodes, stops) an
	// attack on the MPC traffic of the nodes.
	MPCAttack(kind Kind, nodes []env.NodeID) error
	// ChainReorg undoes the chain's last depth blocks.
	ChainReorg(depth int) error
	// ChainFeeSpike sets the chain's minimum-fee multiplier (1 ends it).
	ChainFeeSpike(multiplier int) error
	// AuditSink cuts n off its audit sink (up false) or reconnects it.
	AuditSink(n env.NodeID, up bool) error
}

// Apply performs one action on t. Per-node kinds call the method once per
// node, in the written order, and stop at the first error. Errors name the
// action.
func Apply(t Target, a Action) error {
	var err error
	perNode := func(f func(env.NodeID) error) {
		for _, n := range a.Nodes {
			if err = f(n); err != nil {
				err = fmt.Errorf("%s: %w", n, err)
				return
			}
		}
	}
	perNodeDur := func(f func(env.NodeID, time.Duration) error) {
		perNode(func(n env.NodeID) error { return f(n, a.Duration) })
	}
	switch a.Kind {
	case Crash:
		perNode(t.Crash)
	case Restart:
		perNode(t.Restart)
	case Pause:
		perNode(t.Pause)
	case Resume:
		perNode(t.Resume)
	case DiskTorn:
		perNode(t.DiskTorn)
	case Skew:
		perNodeDur(t.Skew)
	case ClockJump:
		perNodeDur(t.ClockJump)
	case Partition:
		err = t.Partition(a.Groups)
	case PartitionOneWay:
		err = t.PartitionOneWay(a.Nodes, a.To)
	case Heal:
		err = t.Heal()
	case RegionDown:
		err = t.RegionDown(a.Region)
	case RegionUp:
		err = t.RegionUp(a.Region)
	case LinkFaults:
		err = t.SetLinks(a.Link)
	case HealAll:
		err = t.HealAll()
	case HSM:
		perNode(func(n env.NodeID) error { return t.HSMFault(n, a.Arg) })
	case MPCTamper, MPCWithhold, MPCReplay, MPCSpoof:
		err = t.MPCAttack(a.Kind, a.Nodes)
	case MPCClear:
		err = t.MPCAttack(MPCClear, nil)
	case ChainReorg:
		err = t.ChainReorg(a.Count)
	case ChainFeeSpike:
		err = t.ChainFeeSpike(a.Count)
	case AuditOutage, AuditRestore:
		perNode(func(n env.NodeID) error { return t.AuditSink(n, a.Kind == AuditRestore) })
	default:
		return fmt.Errorf("faults: apply %s: unknown kind %q", a, a.Kind)
	}
	if err != nil {
		return fmt.Errorf("faults: apply %s: %w", a, err)
	}
	return nil
}
