package scenarios

import (
	"fmt"
	"strings"
	"time"

	"vaultdrill/faults"
	"vaultdrill/sim"
	"vaultdrill/system/chain"
	"vaultdrill/system/env"
	"vaultdrill/system/ledger"
	"vaultdrill/system/mpc"
	"vaultdrill/system/signer"
	"vaultdrill/system/topology"
	"vaultdrill/system/wallet"
)

// inProcess is the deployment on the simulator: the custody nodes run in
// this process under sim, and faults.Target maps each fault onto the world.
type inProcess struct {
	world *sim.World
	topo  topology.Topology
	// attacks plays the MPC attacker on the wire (attacks.go).
	attacks *mpcAttacks
	// downBy records which nodes a region outage took down, so region-up
	// restarts those and not nodes that crashed for another reason.
	downBy map[topology.Region][]env.NodeID
	// witness receives the shares key ceremonies make inside signers.
	witness func(*mpc.KeyShare)
	// custody is the custody workload's setup, when the run has one.
	custody *custodySetup
	// auditDown: wallet nodes cut off their audit sink; worldObs reports
	// world facts (nil in unit tests of the target).
	auditDown map[env.NodeID]bool
	worldObs  func(node env.NodeID, kind string, kv ...string)
}

var _ faults.Target = (*inProcess)(nil)

func ledgerBug(s string) (ledger.Bug, error) { return ledger.ParseBug(s) }

func (d *inProcess) install(s *Scenario) error {
	bug, err := ledgerBug(s.Ledger.Bug)
	if err != nil {
		return err
	}
	peers := d.topo.ByRole(topology.RoleLedger)
	for _, n := range peers {
		cfg := ledger.Config{
			ID: n.ID, RaftID: n.RaftID, Peers: peers,
			TickInterval: s.Ledger.Tick, ElectionTicks: s.Ledger.ElectionTicks,
			HeartbeatTicks: s.Ledger.HeartbeatTicks, SnapshotEntries: s.Ledger.SnapshotEntries,
			PreferredRegion: d.preferred(s),
			Bug:             bug,
		}
		d.world.Add(n.ID, n.Region, func() env.Node { return ledger.New(cfg) })
	}
	return nil
}

// preferred is where the ledger leader belongs: the scenario's choice, by
// default the first (primary) region; "none" leaves it to elections.
func (d *inProcess) preferred(s *Scenario) topology.Region {
	switch s.Ledger.PreferredRegion {
	case "none":
		return ""
	case "":
		return d.topo.Regions[0]
	}
	return topology.Region(s.Ledger.PreferredRegion)
}

func (d *inProcess) check(n env.NodeID) error {
	if !d.world.Has(n) {
		return fmt.Errorf("in-process: no node %s", n)
	}
	return nil
}

func (d *inProcess) Crash(n env.NodeID) error {
	if err := d.check(n); err != nil {
		return err
	}
	d.world.Crash(n)
	return nil
}

func (d *inProcess) Restart(n env.NodeID) error {
	if err := d.check(n); err != nil {
		return err
	}
	d.world.Restart(n)
	return nil
}

func (d *inProcess) Pause(n env.NodeID) error {
	if err := d.check(n); err != nil {
		return err
	}
	d.world.Pause(n)
	return nil
}

func (d *inProcess) Resume(n env.NodeID) error {
	if err := d.check(n); err != nil {
		return err
	}
	d.world.Resume(n)
	return nil
}

func (d *inProcess) Partition(groups [][]env.NodeID) error {
	d.world.Network().Partition(groups)
	return nil
}

func (d *inProcess) PartitionOneWay(from, to []env.NodeID) error {
	d.world.Network().PartitionOneWay(from, to)
	return nil
}

func (d *inProcess) Heal() error {
	d.world.Network().Heal()
	return nil
}

func (d *inProcess) RegionDown(r topology.Region) error {
	if !d.topo.HasRegion(r) {
		return fmt.Errorf("in-process: no region %s", r)
	}
	d.world.Network().CutRegion(r, true)
	for _, n := range d.topo.InRegion(r) {
		if d.world.Up(n) {
			d.world.Crash(n)
			d.downBy[r] = append(d.downBy[r], n)
		}
	}
	return nil
}

func (d *inProcess) RegionUp(r topology.Region) error {
	if !d.topo.HasRegion(r) {
		return fmt.Errorf("in-process: no region %s", r)
	}
	d.world.Network().CutRegion(r, false)
	for _, n := range d.downBy[r] {
		d.world.Restart(n)
	}
	delete(d.downBy, r)
	return nil
}

func (d *inProcess) Skew(n env.NodeID, x time.Duration) error {
	if err := d.check(n); err != nil {
		return err
	}
	d.world.SetSkew(n, x)
	return nil
}

func (d *inProcess) ClockJump(n env.NodeID, x time.Duration) error {
	if err := d.check(n); err != nil {
		return err
	}
	d.world.SetSkew(n, d.world.Skew(n)+x)
	return nil
}

func (d *inProcess) SetLinks(l faults.Link) error {
	d.world.Network().SetFaults(sim.LinkFaults{
		LossPerMille: l.LossPerMille, DupPerMille: l.DupPerMille,
		ReorderPerMille: l.ReorderPerMille, DelayMax: l.DelayMax,
	})
	return nil
}

func (d *inProcess) DiskTorn(n env.NodeID) error {
	if err := d.check(n); err != nil {
		return err
	}
	d.world.ArmTornWrite(n)
	return nil
}

// HealAll ends the chaos window: every link, region, clock and node back.
func (d *inProcess) HealAll() error {
	net := d.world.Network()
	net.Heal()
	net.SetFaults(sim.LinkFaults{})
	for _, r := range d.topo.Regions {
		net.CutRegion(r, false)
	}
	clear(d.downBy)
	if d.attacks != nil {
		d.attacks.set(faults.MPCClear, nil)
	}
	for _, n := range d.topo.Nodes {
		d.world.SetSkew(n.ID, 0)
		if d.world.Paused(n.ID) {
			d.world.Resume(n.ID)
		}
		if !d.world.Up(n.ID) {
			d.world.Restart(n.ID)
		}
	}
	return nil
}

// HSMFault hands the fault text to the signer node, which applies it to its
// HSM: a control message from the harness endpoint, the only sender a
// signer accepts control from.
func (d *inProcess) HSMFault(n env.NodeID, fault string) error {
	if err := d.check(n); err != nil {
		return err
	}
	if node, _ := d.topo.Find(n); node.Role != topology.RoleSigner {
		return fmt.Errorf("in-process: %s has no HSM (not a signer)", n)
	}
	if word := strings.Fields(fault); len(word) > 0 && hsmAttacks[word[0]] && d.worldObs != nil {
		d.worldObs(n, "world.attack", "attack", attackHSM, "actor", string(attackerNode), "target", string(n), "detail", fault)
	}
	d.world.Inject(finalSender, n, env.Encode(signer.MsgControl, []byte(fault)))
	return nil
}

// hsmAttacks are the HSM faults DOMAIN.md's attack 8 lists (removed mid-sign,
// general error, PIN brute force, tamper): the world reports each as the
// attack "hsm" on the signer whose HSM it hits. A slow or unavailable
// device is a fault, not an attack.
var hsmAttacks = map[string]bool{"removed-mid-op": true, "general-error": true, "pin-bruteforce": true, "tamper": true}

// AuditSink cuts a wallet node off its audit sink, or reconnects it (a
// control message the node obeys from the harness only). When every
// wallet node is cut off, no custody decision can be recorded anywhere:
// the world reports "world.audit_sinks" up=0, and up=1 when one is back.
func (d *inProcess) AuditSink(n env.NodeID, up bool) error {
	if err := d.check(n); err != nil {
		return err
	}
	if node, _ := d.topo.Find(n); node.Role != topology.RoleWallet {
		return fmt.Errorf("in-process: %s has no audit sink (not a wallet node)", n)
	}
	text := wallet.ControlAuditDown
	if up {
		text = wallet.ControlAuditUp
	}
	d.world.Inject(finalSender, n, env.Encode(wallet.MsgControl, []byte(text)))
	if d.auditDown == nil {
		d.auditDown = map[env.NodeID]bool{}
	}
	wallets := d.topo.ByRole(topology.RoleWallet)
	wasAll := len(d.auditDown) == len(wallets)
	if up {
		delete(d.auditDown, n)
	} else {
		d.auditDown[n] = true
	}
	all := len(d.auditDown) == len(wallets)
	if d.worldObs != nil && all != wasAll {
		d.worldObs("", "world.audit_sinks", "up", map[bool]string{true: "0", false: "1"}[all])
		if all {
			// every sink blocked: DOMAIN.md's attack 9
			d.worldObs("", "world.attack", "attack", attackAuditBlock, "actor", string(attackerNode), "target", "", "detail", "every audit sink blocked")
		}
	}
	return nil
}

func (d *inProcess) MPCAttack(kind faults.Kind, nodes []env.NodeID) error {
	if d.attacks == nil {
		return fmt.Errorf("in-process: this run has no MPC traffic to attack")
	}
	return d.attacks.set(kind, nodes)
}

func (d *inProcess) ChainReorg(depth int) error {
	chains := d.topo.ByRole(topology.RoleChain)
	if len(chains) == 0 {
		return fmt.Errorf("in-process: this run has no chain to reorganise")
	}
	for _, c := range chains {
		d.world.Inject(finalSender, c.ID, chain.EncodeControl(chain.Control{Op: "reorg", Depth: depth}))
	}
	return nil
}

func (d *inProcess) ChainFeeSpike(mult int) error {
	chains := d.topo.ByRole(topology.RoleChain)
	if len(chains) == 0 {
		return fmt.Errorf("in-process: this run has no chain")
	}
	for _, c := range chains {
		d.world.Inject(finalSender, c.ID, chain.EncodeControl(chain.Control{Op: chain.ControlFeeSpike, Multiplier: int64(mult)}))
	}
	return nil
}
