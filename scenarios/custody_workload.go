package scenarios

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"vaultdrill/system/access"
	"vaultdrill/system/approval"
	"vaultdrill/system/chain"
	"vaultdrill/system/courier"
	"vaultdrill/system/env"
	"vaultdrill/system/mpc"
	"vaultdrill/system/risk"
	"vaultdrill/system/signer"
	"vaultdrill/system/topology"
	"vaultdrill/system/wallet"
)

// custodyParams is the custody workload: users who deposit on chain and
// withdraw through the pipeline, approvers, and the custody system around
// the MPC committees (wallet nodes, the courier).
type custodyParams struct {
	Users         int           `yaml:"users"`
	Approvers     int           `yaml:"approvers"` // humans; the first holds two devices
	DepositEvery  time.Duration `yaml:"deposit_every"`
	WithdrawEvery time.Duration `yaml:"withdraw_every"`
	// StaffEvery: every Nth withdrawal is initiated by a staff member who
	// is also an approver (their own approval must not count); 0 = never.
	StaffEvery int   `yaml:"staff_every"`
	AmountMax  int64 `yaml:"amount_max"`  // withdrawals
	DepositMax int64 `yaml:"deposit_max"` // deposits
	// UserGenesis is each user's ledger balance at the start (assets
	// already in custody, held by the custody addresses).
	UserGenesis    int64         `yaml:"user_genesis"`
	CourierHop     time.Duration `yaml:"courier_hop"`
	Confirmations  int           `yaml:"confirmations"`
	SweepWindow    time.Duration `yaml:"sweep_window"`
	SweepSettle    time.Duration `yaml:"sweep_settle"` // when after a window boundary the world samples holdings
	VelocityLimit  int64         `yaml:"velocity_limit"`
	VelocityWindow time.Duration `yaml:"velocity_window"`
	AttemptTimeout time.Duration `yaml:"attempt_timeout"` // a user retries at the next wallet node
	OpTimeout      time.Duration `yaml:"op_timeout"`      // recorded info after this (the user keeps retrying)
	Quiet          time.Duration `yaml:"quiet"`           // no new operations in the run's last stretch
	HotGenesis     int64         `yaml:"hot_genesis"`
	ColdGenesis    int64         `yaml:"cold_genesis"`
	// SanctionedEvery: every Nth withdrawal goes to a sanctioned or mixer
	// address (0 = never); SanctionsUpdate: when the list's v2 (one more
	// sanctioned address) replaces v1 (0 = never); the screening service
	// is down from ScreeningOutageAt for ScreeningOutageFor (0 = never).
	SanctionedEvery int `yaml:"sanctioned_every"`
	// SanctionedDepositEvery: every Nth deposit of a user is paid into its
	// account by a sanctioned or mixer party instead (0 = never); the
	// scanner must hold it, not credit it.
	SanctionedDepositEvery int           `yaml:"sanctioned_deposit_every"`
	SanctionsUpdate        time.Duration `yaml:"sanctions_update"`
	ScreeningOutageAt      time.Duration `yaml:"screening_outage_at"`
	ScreeningOutageFor     time.Duration `yaml:"screening_outage_for"`
	Bug                    string        `yaml:"bug"`    // a wallet bug (system/wallet), count-initiator, or fail-open (screening)
	Attack                 string        `yaml:"attack"` // tamper-destination: wallet-1 is an insider
	// The attacker actors of penetration.go (0 = never): at
	// ExfiltrateAt a compromised hot signer asks the others to sign a
	// payment to the attacker without approvals; at StaleDelegationAt
	// with an earlier withdrawal's approvals; at VelocityStormAt,
	// VelocityStorm concurrent small withdrawals.
	ExfiltrateAt      time.Duration `yaml:"exfiltrate_at"`
	StaleDelegationAt time.Duration `yaml:"stale_delegation_at"`
	VelocityStormAt   time.Duration `yaml:"velocity_storm_at"`
	VelocityStorm     int           `yaml:"velocity_storm"`
	// Risk: a risk node scores every withdrawal and credited deposit,
	// Reviewers work its review queue, each case taking about
	// ReviewDelay; AML accounts play each typology (and as many play its
	// benign look-alike), after the users (custody_risk.go).
	Risk        bool          `yaml:"risk"`
	Reviewers   int           `yaml:"reviewers"`
	ReviewDelay time.Duration `yaml:"review_delay"`
	AML         int           `yaml:"aml"`
	// Access: the zero-trust gateway guards the wallets' client
	// operations; Attacks are the attacker actors on it
	// (custody_access.go, access_attacks.go).
	Access  bool     `yaml:"access"`
	Attacks []string `yaml:"attacks"`
	// Governance (insider.go): with Admins > 0, the first Admins approver
	// humans govern policy changes through gov-1 (time lock, expiry);
	// Insider plays attacks 4 and 5 from InsiderAt; a withdrawal without
	// quorum fails after ApprovalDeadline (0 = it waits).
	Admins           int           `yaml:"admins"`
	Timelock         time.Duration `yaml:"timelock"`
	ChangeExpiry     time.Duration `yaml:"change_expiry"`
	ApprovalDeadline time.Duration `yaml:"approval_deadline"`
	Insider          bool          `yaml:"insider"`
	InsiderAt        time.Duration `yaml:"insider_at"`
}

func defaultCustodyParams() custodyParams {
	return custodyParams{
		Users: 20, Approvers: 4, DepositEvery: 40 * time.Minute, WithdrawEvery: time.Hour, StaffEvery: 7,
		AmountMax: 1_000_000_000, DepositMax: 1_000_000_000, UserGenesis: 5_000_000_000, CourierHop: 15 * time.Minute, Confirmations: 3,
		SweepWindow: time.Hour, SweepSettle: 10 * time.Minute,
		VelocityLimit: 15_000_000_000, VelocityWindow: time.Hour,
		AttemptTimeout: 30 * time.Minute, OpTimeout: 8 * time.Hour, Quiet: time.Hour,
		HotGenesis: 5_000_000_000, ColdGenesis: 995_000_000_000,
		Reviewers: 2, ReviewDelay: 15 * time.Minute,
		Timelock: time.Hour, ChangeExpiry: 2 * time.Hour, InsiderAt: 20 * time.Minute,
	}
}

type custodyWorkload struct {
	p       custodyParams
	stopped bool
}

func newCustodyWorkload(file string, n *yaml.Node) (Workload, error) {
	w := &custodyWorkload{p: defaultCustodyParams()}
	if n.Kind != 0 {
		if err := decodeStrict(file, n, &w.p); err != nil {
			return nil, err
		}
	}
	p := w.p
	bad := ""
	switch {
	case p.Users < 1 || p.Users > 1000:
		bad = "users must be 1..1000"
	case p.Approvers < 3 || p.Approvers > 50:
		bad = "approvers must be 3..50 (the top tier needs 3)"
	case p.DepositEvery <= 0 || p.WithdrawEvery <= 0:
		bad = "deposit_every and withdraw_every must be positive"
	case p.AmountMax < 1_000_000 || p.DepositMax < 1_000_000:
		bad = "amount_max and deposit_max must be at least 1000000"
	case p.AML < 0 || p.AML > 50 || (p.AML > 0 && !p.Risk):
		bad = "aml must be 0..50 and needs risk: true"
	case p.Risk && (p.Reviewers < 1 || p.Reviewers > 50 || p.ReviewDelay <= 0):
		bad = "with risk, reviewers must be 1..50 and review_delay positive"
	case p.UserGenesis < 0 || p.UserGenesis*int64(p.accountCount()) >= p.HotGenesis+p.ColdGenesis:
		bad = "user_genesis must be non-negative and the users' total below the custody holdings"
	case p.CourierHop <= 0 || p.Confirmations < 1 || p.SweepWindow <= 0 || p.SweepSettle <= 0 || p.SweepSettle >= p.SweepWindow:
		bad = "courier_hop, confirmations, sweep_window must be positive and 0 < sweep_settle < sweep_window"
	case p.VelocityLimit < 0 || p.VelocityWindow <= 0:
		bad = "velocity_limit must not be negative, velocity_window must be positive"
	case p.AttemptTimeout <= 0 || p.OpTimeout < p.AttemptTimeout || p.Quiet < 0:
		bad = "needs 0 < attempt_timeout <= op_timeout and quiet >= 0"
	case p.HotGenesis <= 0 || p.ColdGenesis <= 0:
		bad = "hot_genesis and cold_genesis must be positive"
	case p.Attack != "" && p.Attack != "tamper-destination":
		bad = fmt.Sprintf("attack %q: tamper-destination or nothing", p.Attack)
	}
	if p.ExfiltrateAt < 0 || p.StaleDelegationAt < 0 || p.VelocityStormAt < 0 || p.VelocityStorm < 0 || p.VelocityStorm > 1000 ||
		(p.VelocityStorm > 0) != (p.VelocityStormAt > 0) {
		bad = "exfiltrate_at, stale_delegation_at and velocity_storm_at must not be negative; velocity_storm (0..1000) and velocity_storm_at go together"
	}
	if p.SanctionedEvery < 0 || p.SanctionedDepositEvery < 0 || p.SanctionsUpdate < 0 || p.ScreeningOutageAt < 0 || p.ScreeningOutageFor < 0 {
		bad = "sanctioned_every, sanctioned_deposit_every, sanctions_update and the screening outage must not be negative"
	}
	if p.Bug == string(risk.BugAutoRelease) && !p.Risk {
		bad = "bug auto-release plants a risk-node weakness: it needs risk: true"
	}
	if g := p.checkGovernance(); g != "" {
		bad = g
	}
	if (p.Bug == string(access.BugSkipStepUp) || p.Bug == string(access.BugOTPReplay)) && !p.Access {
		bad = "bug " + p.Bug + " plants a gateway weakness: it needs access: true"
	}
	if len(p.Attacks) > 0 && p.Users < 8 {
		bad = "attacks need at least 8 users (their victims are u1..u8)"
	}
	if len(p.Attacks) > 0 && !p.Access {
		bad = "attacks rehearse attacks on the gateway: they need access: true"
	}
	for _, a := range p.Attacks {
		if accessAttacks[a] == nil {
			bad = fmt.Sprintf("attack %q: known attacks on the gateway are %s", a, accessAttackNames())
		}
	}
	if p.Bug != "" && p.Bug != "count-initiator" && p.Bug != "fail-open" && p.Bug != string(risk.BugAutoRelease) &&
		p.Bug != string(access.BugSkipStepUp) && p.Bug != string(access.BugOTPReplay) && govBug(p.Bug) == "" {
		if _, err := wallet.ParseBug(p.Bug); err != nil {
			bad = err.Error()
		}
	}
	if bad != "" {
		return nil, fmt.Errorf("%s:%d: custody workload: %s", file, n.Line, bad)
	}
	return w, nil
}

func (w *custodyWorkload) Describe() string {
	p := w.p
	return fmt.Sprintf("custody: %d users depositing every %v and withdrawing every %v on average (amounts up to %d), %d approvers, every %dth withdrawal staff-initiated; courier hop %v, %d confirmations, sweeps every %v, velocity %d per %v",
		p.Users, p.DepositEvery, p.WithdrawEvery, p.AmountMax, p.Approvers, p.StaffEvery, p.CourierHop, p.Confirmations, p.SweepWindow, p.VelocityLimit, p.VelocityWindow)
}

func (w *custodyWorkload) Stop() { w.stopped = true }

// Accounts are read once at the end: every user, the house, and the
// house's account for deposits compliance held.
func (w *custodyWorkload) Accounts() []string {
	out := []string{"house", wallet.HoldAccount}
	for i := 1; i <= w.p.accountCount(); i++ {
		out = append(out, fmt.Sprintf("u%d", i))
	}
	return out
}

// Drain is how long the run waits after Stop for operations in flight.
func (w *custodyWorkload) Drain() time.Duration { return time.Minute }

const (
	courierNode env.NodeID = "courier"
	setupNode   env.NodeID = "setup-genesis"
	readerNode  env.NodeID = "client-001"
	samplerNode env.NodeID = "world-sampler"
)

// custodyDefaults are the policy tiers of the drill (amounts in smallest
// units): small withdrawals need one approver, larger two, the largest
// three.
func custodyPolicy() approval.Policy {
	return approval.Policy{Version: "policy-v1", Tiers: []approval.Tier{
		{Name: "small", Wallet: "hot", AmountMax: 10_000_000, Approvers: 1, Expiry: 2 * time.Hour},
		{Name: "medium", Wallet: "hot", AmountMax: 100_000_000, Approvers: 2, Expiry: 2 * time.Hour},
		{Name: "large", Wallet: "hot", AmountMax: 0, Approvers: 3, Expiry: 2 * time.Hour},
		{Name: "cold", Wallet: "cold", AmountMax: 0, Approvers: 3, Expiry: 2 * time.Hour},
	}}
}

// approverDevice is one approver device: a human's node and key.
type approverDevice struct {
	node   env.NodeID
	device string
	human  string
	priv   ed25519.PrivateKey
}

func (w *custodyWorkload) devices(seed uint64) []approverDevice {
	var out []approverDevice
	mk := func(human, device string) {
		h := sha256.Sum256([]byte(fmt.Sprintf("vaultdrill/approver/v1/%d/%s", seed, device)))
		out = append(out, approverDevice{node: env.NodeID("approver-" + device), device: device, human: human, priv: ed25519.NewKeyFromSeed(h[:])})
	}
	for i := 1; i <= w.p.Approvers; i++ {
		human := fmt.Sprintf("h%d", i)
		mk(human, human+"-phone")
		if i == 1 {
			mk(human, human+"-laptop") // one human, two devices: counts once
		}
	}
	return out
}

// custodySetup is what installMPC and the workload share: computed once
// from the scenario and the seed.
type custodySetup struct {
	p        custodyParams
	policy   approval.Policy
	registry *approval.Registry
	devs     []approverDevice
	wallets  []env.NodeID
	access   *accessWorld       // with workload.params.access (custody_access.go)
	govKey   ed25519.PrivateKey // certifies policy changes in effect (gov-1)
	hot      wallet.Info
	cold     wallet.Info
	// parties are the tagged outside parties' chain wallets (funded when
	// the run has them pay: fundParties), shared by the actors that pay
	// from them so that their nonces follow one another.
	parties map[string]*chain.Wallet
}

// fundParties: the run has the tagged parties pay (sanctioned deposits,
// the mixer and exchange AML routes), so the chain's genesis funds them.
func (p custodyParams) fundParties() bool { return p.SanctionedDepositEvery > 0 || p.AML > 0 }

// partyWallet is the shared chain wallet of a tagged party.
func (r *run) partyWallet(name string) *chain.Wallet {
	cs := r.custody
	if cs.parties == nil {
		cs.parties = map[string]*chain.Wallet{}
	}
	w := cs.parties[name]
	if w == nil {
		w = chain.NewWallet(chain.MustExternalKey(r.world.Seed(), name, chain.Secp256k1))
		cs.parties[name] = w
	}
	return w
}

// custodyOf returns the run's custody setup, or nil for a run without the
// custody workload.
func (s *Scenario) custodyOf(seed uint64) *custodySetup {
	cw, ok := s.NewWorkload().(*custodyWorkload)
	if !ok {
		return nil
	}
	cs := &custodySetup{p: cw.p, policy: custodyPolicy(), devs: cw.devices(seed)}
	var regs []approval.Device
	for _, d := range cs.devs {
		regs = append(regs, approval.Device{ID: d.device, Human: d.human, PublicKey: d.priv.Public().(ed25519.PublicKey)})
	}
	reg, err := approval.NewRegistry(regs)
	if err != nil {
		panic(fmt.Sprintf("custody: device registry: %v", err)) // the devices are built above, distinct by construction
	}
	cs.registry = reg
	h := sha256.Sum256([]byte(fmt.Sprintf("vaultdrill/governance/v1/%d", seed)))
	cs.govKey = ed25519.NewKeyFromSeed(h[:])
	return cs
}

// guard is the custody check every signer of the run performs.
func (cs *custodySetup) guard(pubs map[mpc.KeyID][]byte) *signer.Guard {
	hotAddr, _ := chain.Address(chain.Secp256k1, pubs[mpc.KeyHot])
	coldAddr, _ := chain.Address(chain.Secp256k1, pubs[mpc.KeyCold])
	return &signer.Guard{
		Policy: cs.policy, Registry: cs.registry, CountInitiator: cs.p.Bug == "count-initiator",
		Governor: cs.govKey.Public().(ed25519.PublicKey),
		Wallets: map[mpc.KeyID]signer.GuardWallet{
			mpc.KeyHot:  {Name: "hot", Flavour: chain.Secp256k1, Address: hotAddr, Internal: coldAddr},
			mpc.KeyCold: {Name: "cold", Flavour: chain.Secp256k1, Address: coldAddr, Internal: hotAddr},
		},
	}
}

func (w *custodyWorkload) Install(r *run) {
	cs := r.custody
	p := w.p
	flavour := chain.Secp256k1
	hotPub, coldPub := r.publicKeys[mpc.KeyHot], r.publicKeys[mpc.KeyCold]
	hotAddr, _ := chain.Address(flavour, hotPub)
	coldAddr, _ := chain.Address(flavour, coldPub)
	hot, _ := mpc.DefaultCommittee(mpc.KeyHot)
	cold, _ := mpc.DefaultCommittee(mpc.KeyCold)
	ids := func(ps []mpc.PartyID) []env.NodeID {
		out := make([]env.NodeID, len(ps))
		for i, x := range ps {
			out[i] = env.NodeID(x)
		}
		return out
	}
	cs.hot = wallet.Info{Name: "hot", Key: mpc.KeyHot, PubKey: hotPub, Address: hotAddr, Signers: ids(hot.Parties)}
	cs.cold = wallet.Info{Name: "cold", Key: mpc.KeyCold, PubKey: coldPub, Address: coldAddr, Signers: ids(cold.Parties), ViaCourier: true}

	// World facts the checkers need.
	r.worldObs("", "world.custody", "wallet", "hot", "address", hotAddr, "chain", flavour)
	r.worldObs("", "world.custody", "wallet", "cold", "address", coldAddr, "chain", flavour)
	type tierJSON struct {
		Name      string `json:"name"`
		Wallet    string `json:"wallet"`
		AmountMax int64  `json:"amount_max"`
		Approvers int    `json:"approvers"`
		ExpiryMS  int64  `json:"expiry_ms"`
	}
	var tiers []tierJSON
	for _, t := range cs.policy.Tiers {
		tiers = append(tiers, tierJSON{t.Name, t.Wallet, t.AmountMax, t.Approvers, t.Expiry.Milliseconds()})
	}
	tj, _ := json.Marshal(tiers)
	total := p.HotGenesis + p.ColdGenesis
	hotCap := total / 10
	r.worldObs("", "world.policy", "version", cs.policy.Version, "tiers", string(tj), "hot_cap", strconv.FormatInt(hotCap, 10),
		"cold_min_permille", "900", "velocity_limit", strconv.FormatInt(p.VelocityLimit, 10),
		"velocity_window_ms", strconv.FormatInt(p.VelocityWindow.Milliseconds(), 10), "confirmations", strconv.Itoa(p.Confirmations),
		"sweep_window_ms", strconv.FormatInt(p.SweepWindow.Milliseconds(), 10))
	for _, d := range cs.devs {
		r.worldObs("", "world.device", "device", d.device, "human", d.human, "node", string(d.node))
	}

	// The courier and the wallet nodes.
	cs.wallets = nil
	for _, n := range r.topo.ByRole(topology.RoleWallet) {
		cs.wallets = append(cs.wallets, n.ID)
	}
	devices := append(append([]env.NodeID(nil), cs.cold.Signers...), cs.wallets...)
	r.world.Network().SetReliable(courierNode)
	r.world.Network().SetReliable(samplerNode) // the world's own look at the chain
	r.world.Add(courierNode, topology.Region("vault"), func() env.Node {
		return courier.New(courier.Config{ID: courierNode, Hop: p.CourierHop, Devices: devices})
	})
	var approverNodes []env.NodeID
	for _, d := range cs.devs {
		approverNodes = append(approverNodes, d.node)
	}
	wbug := wallet.Bug(p.Bug)
	if p.Bug == "fail-open" || p.Bug == string(risk.BugAutoRelease) || p.Bug == string(access.BugSkipStepUp) || p.Bug == string(access.BugOTPReplay) || govBug(p.Bug) != "" {
		wbug = "" // a screening or risk-node bug, planted there
	}
	oracle, err := r.installCompliance(p, []string{hotAddr, coldAddr})
	if err != nil {
		panic(err.Error()) // the lists are built above from fixed names; a parse error is a bug here
	}
	riskID := r.installRisk(p, cs.wallets)
	accessCfg := r.installAccess(p)
	var profiles map[string]wallet.Profile
	if riskID != "" {
		profiles = r.riskProfiles(p)
	}
	ledgerRegions := map[env.NodeID]string{}
	for _, l := range r.topo.LedgerIDs() {
		ledgerRegions[l] = string(r.topo.RegionOf(l))
	}
	for i, id := range cs.wallets {
		cfg := wallet.Config{
			ID: id, Ledger: r.topo.LedgerIDs(), Chain: chainNode(flavour), Flavour: flavour, Hot: cs.hot, Cold: cs.cold,
			Courier: courierNode, Approvers: approverNodes, Screener: oracle, Policy: cs.policy, Registry: cs.registry,
			Confirmations: p.Confirmations, Fee: 10, Sweeper: true, Region: string(r.topo.RegionOf(id)), LedgerRegions: ledgerRegions, SweepWindow: p.SweepWindow,
			HotTarget: total / 20, RefillFloor: total / 50, VelocityLimit: p.VelocityLimit, VelocityWindow: p.VelocityWindow,
			ColdAttempt: 40 * p.CourierHop, Bug: wbug, Risk: riskID, Profiles: profiles,
			ApprovalDeadline: p.ApprovalDeadline,
		}
		if p.Admins > 0 {
			cfg.Governor = govNode
		}
		if p.Attack == "tamper-destination" && i == 0 {
			cfg.Attack = p.Attack
			cfg.AttackAddress = chain.MustExternalKey(r.world.Seed(), "attacker", flavour).Address
		}
		cfg.AuditTrail = r.auditTrailConfig(id, cs.wallets, flavour)
		cfg.Access = accessCfg
		region := r.topo.RegionOf(id)
		r.world.Add(id, region, func() env.Node { return wallet.New(cfg) })
	}

	// Approvers: each device answers an approval request after a human
	// delay, signing exactly the subject it was shown.
	for _, d := range cs.devs {
		a := &approverActor{run: r, d: d}
		if p.Insider {
			h := d.human
			a.decline = func(s approval.Subject) bool { return declines(h, s) }
		}
		r.world.Add(d.node, clientRegion, func() env.Node { return a })
	}
	// Users, the final reader, the genesis setup, the holdings sampler.
	for i := 1; i <= p.accountCount(); i++ {
		u := &userActor{run: r, w: w, idx: i, account: fmt.Sprintf("u%d", i),
			key: chain.MustExternalKey(r.world.Seed(), fmt.Sprintf("user-%d", i), flavour), hotAddr: hotAddr}
		if i > p.Users {
			u.script, u.label, u.lookalike, _ = amlScript(p, i)
			for k := 1; k <= smurfSenders; k++ {
				u.senders = append(u.senders, chain.NewWallet(chain.MustExternalKey(r.world.Seed(), smurfName(i, k), flavour)))
			}
		}
		r.world.Add(env.NodeID(fmt.Sprintf("user-%d", i)), clientRegion, func() env.Node { return u })
	}
	r.installAttackers(p)
	reader := &ledgerClients{p: ledgerClientsParams{Clients: 1, Accounts: 1, Rate: 1, AttemptTimeout: 500 * time.Millisecond, OpTimeout: 5 * time.Second}, stopped: true}
	c := &client{run: r, w: reader, id: readerNode, idx: 1, accounts: nil, think: time.Hour, replicas: r.topo.LedgerIDs()}
	r.world.Add(readerNode, clientRegion, func() env.Node { return c })
	su := &setupActor{run: r, replicas: r.topo.LedgerIDs()}
	su.grants = append(su.grants, grant{"house", total - int64(p.accountCount())*p.UserGenesis})
	for i := 1; i <= p.accountCount() && p.UserGenesis > 0; i++ {
		su.grants = append(su.grants, grant{fmt.Sprintf("u%d", i), p.UserGenesis})
	}
	r.world.Add(setupNode, clientRegion, func() env.Node { return su })
	// The attacker actors (penetration.go).
	if p.ExfiltrateAt > 0 || p.StaleDelegationAt > 0 {
		r.signAttacker.schedule(p)
	}
	if p.VelocityStorm > 0 {
		st := &stormActor{run: r, w: w, to: chain.MustExternalKey(r.world.Seed(), "attacker-storm", flavour).Address}
		r.world.Add(stormActorNode, clientRegion, func() env.Node { return st })
	}
	sm := &samplerActor{run: r, hot: hotAddr, cold: coldAddr, chain: string(chainNode(flavour)), window: p.SweepWindow, settle: p.SweepSettle}
	r.world.Add(samplerNode, clientRegion, func() env.Node { return sm })
	r.installGovernance(w)
}

// custodyGenesis is what the chain starts with in a custody run: the hot
// and cold addresses, and every user's external address.
func (cs *custodySetup) genesis(seed uint64, flavour string, pubs map[mpc.KeyID][]byte) []chain.Allocation {
	hotAddr, _ := chain.Address(flavour, pubs[mpc.KeyHot])
	coldAddr, _ := chain.Address(flavour, pubs[mpc.KeyCold])
	out := []chain.Allocation{{Address: hotAddr, Amount: cs.p.HotGenesis}, {Address: coldAddr, Amount: cs.p.ColdGenesis}}
	if cs.p.fundParties() {
		for _, p := range sanctionedNames {
			out = append(out, chain.Allocation{Address: chain.MustExternalKey(seed, p.name, flavour).Address, Amount: userGenesis})
		}
	}
	for i := 1; i <= cs.p.accountCount(); i++ {
		out = append(out, chain.Allocation{Address: chain.MustExternalKey(seed, fmt.Sprintf("user-%d", i), flavour).Address, Amount: userGenesis})
		if i > cs.p.Users {
			for k := 1; k <= smurfSenders; k++ {
				out = append(out, chain.Allocation{Address: chain.MustExternalKey(seed, smurfName(i, k), flavour).Address, Amount: userGenesis})
			}
		}
	}
	return out
}

const userGenesis = 100_000_000_000

// tapCustody is the world's view of the custody wire: approvals reaching a
// wallet node, and anything reaching a cold signer.
func (r *run) tapCustody(from, to env.NodeID, payload []byte) {
	cs := r.custody
	if cs == nil {
		return
	}
	if r.signAttacker != nil {
		r.signAttacker.tap(from, to, payload)
	}
	if strings.HasPrefix(string(to), "signer-cold-") {
		t, _, _ := env.Decode(payload)
		r.worldObs(to, "world.delivery", "from", string(from), "to", string(to), "type", strconv.Itoa(int(t)))
	}
	if strings.HasPrefix(string(to), "wallet-") {
		var a wallet.ApprovalResponse
		if wallet.Decode(payload, wallet.MsgApprovalResponse, &a) {
			r.worldObs(to, "world.approval", "from", string(from), "to", string(to), "withdrawal", a.Withdrawal,
				"digest", a.Digest, "device", a.Approval.Device, "human", a.Approval.Human)
		}
	}
}
