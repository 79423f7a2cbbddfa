package scenarios

import (
	"crypto/ed25519"
	"fmt"
	"strconv"
	"strings"
	"time"

	"vaultdrill/checkers/history"
	"vaultdrill/system/approval"
	"vaultdrill/system/chain"
	"vaultdrill/system/env"
	"vaultdrill/system/governance"
	"vaultdrill/system/topology"
	"vaultdrill/system/wallet"
)

// The insider drill's world (DOMAIN.md attacks 4 and 5, INV-POLICY).
//
// With admins > 0 the custody workload runs the governance node gov-1 in
// the first region, and the first `admins` approver humans (h1, h2, ...)
// are its admins, signing governance requests with their approver
// devices. With insider: true they play a script:
//
//   - the benign look-alike: h2 proposes lowering the velocity limit to
//     four fifths of it (change limit-1); h3, h4 and h5 approve it a few
//     minutes apart; it waits out the time lock and takes effect at every
//     wallet node;
//   - a second look-alike, quorum-1: h3 raises the small tier's quorum by
//     one, h2, h4 and h5 approve; in effect, withdrawals need the new
//     quorum at the wallets and at the signers, which derive the policy
//     from the certified change the wallet shows them;
//   - the insider, h1, proposes lowering the top hot tier's quorum by one
//     (ins-quorum) and whitelisting an attacker address (ins-whitelist),
//     world.attack insider-policy for each, then approves both itself from
//     its two devices (not counted); h2, h3 and h4 rubber-stamp the
//     whitelisting, so it waits out its time lock, and h5, alerted, vetoes
//     it inside the lock; nobody approves the quorum change, so it expires;
//   - h1 then initiates a small withdrawal (insider-w1) from a customer
//     account to the attacker address, world.attack self-approval: its own
//     two approver devices approve it; the honest approvers decline it (the
//     approval request carries only the subject, so the workload tells
//     them what a human would see: a payee no customer owns). It gathers
//     no counted approval and fails at the approval deadline.
//
// Planted weaknesses (workload.params.bug): no-timelock and count-proposer
// are the Governor's (the benign change then takes effect inside its time
// lock, or with the proposer counted toward its quorum: INV-POLICY
// fails); count-initiator is the wallets' and signers' (insider-w1 is
// paid: INV-QUORUM and ATTACK:self-approval fail).

const (
	govNode           env.NodeID = "gov-1"
	insiderHuman                 = "h1"
	insiderPrefix                = "insider-"
	benignChange                 = "limit-1"
	benignQuorum                 = "quorum-1"
	insiderQuorum                = "ins-quorum"
	insiderWhitelist             = "ins-whitelist"
	insiderWithdrawal            = insiderPrefix + "w1"
)

// govBugs are the planted governance weaknesses the workload accepts.
func govBug(b string) approval.GovWeakness {
	if w, err := approval.ParseGovWeakness(b); err == nil {
		return w
	}
	return ""
}

// checkGovernance validates the governance parameters ("" when sound).
func (p custodyParams) checkGovernance() string {
	switch {
	case p.Admins < 0 || p.Admins > p.Approvers:
		return "admins must be 0..approvers (admins are the first approver humans)"
	case p.Admins > 0 && (p.Timelock <= 0 || p.ChangeExpiry <= 0):
		return "with admins, timelock and change_expiry must be positive"
	case p.ApprovalDeadline < 0:
		return "approval_deadline must not be negative"
	case govBug(p.Bug) != "" && p.Admins == 0:
		return "bug " + p.Bug + " plants a governance weakness: it needs admins > 0"
	case p.Insider && (p.Admins < 5 || p.ApprovalDeadline <= 0 || p.InsiderAt <= 0):
		return "insider needs admins >= 5 (the insider, a proposer and three approvers), a positive approval_deadline and insider_at"
	}
	return ""
}

func (p custodyParams) govConfig() approval.GovConfig {
	var admins []string
	for i := 1; i <= p.Admins; i++ {
		admins = append(admins, fmt.Sprintf("h%d", i))
	}
	return approval.GovConfig{Admins: admins, Timelock: p.Timelock, Expiry: p.ChangeExpiry, QuorumMin: 1, Weakness: govBug(p.Bug)}
}

// installGovernance adds gov-1 and, with insider, the admins' script.
func (r *run) installGovernance(w *custodyWorkload) {
	cs, p := r.custody, w.p
	if p.Admins == 0 {
		return
	}
	gc := p.govConfig()
	quorum := approval.NewGovernor(gc, cs.policy).RequiredQuorum(approval.Change{})
	r.worldObs("", "world.admins", "admins", strings.Join(gc.Admins, ","), "policy_quorum", strconv.Itoa(quorum),
		"timelock_ms", strconv.FormatInt(p.Timelock.Milliseconds(), 10))
	cfg := governance.Config{ID: govNode, Gov: gc, Policy: cs.policy, Registry: cs.registry, Wallets: append([]env.NodeID(nil), cs.wallets...),
		Key: cs.govKey}
	region := topology.Primary
	if len(r.topo.Regions) > 0 {
		region = r.topo.Regions[0]
	}
	r.world.Add(govNode, region, func() env.Node { return governance.New(cfg) })
	if !p.Insider {
		return
	}
	keys := map[string]approverDevice{} // device id -> device; looked up only
	for _, d := range cs.devs {
		keys[d.device] = d
	}
	attacker := chain.MustExternalKey(r.world.Seed(), "insider-payee", chain.Secp256k1).Address
	t0 := p.InsiderAt
	lower := quorumLowering(cs.policy)
	scripts := map[string][]adminStep{}
	benign := strconv.FormatInt(p.VelocityLimit*4/5, 10)
	scripts["h2"] = []adminStep{{at: t0 / 2, op: governance.OpPropose, change: benignChange, kind: approval.ChangeLimit, value: benign, device: "h2-phone"}}
	for i, h := range []string{"h3", "h4", "h5"} {
		scripts[h] = []adminStep{{at: t0/2 + time.Duration(3+4*i)*time.Minute, op: governance.OpApprove, change: benignChange, kind: approval.ChangeLimit, value: benign, device: h + "-phone"}}
	}
	// the second look-alike tightens the policy: h3 raises the small
	// tier's quorum; in effect, the wallets and the signers (through the
	// certified change, approval.PolicyFrom) both ask for more approvals
	raise := raisedSmallQuorum(cs.policy)
	scripts["h3"] = append(scripts["h3"], adminStep{at: t0/2 + 2*time.Minute, op: governance.OpPropose, change: benignQuorum, kind: approval.ChangeQuorum, value: raise, device: "h3-phone"})
	for i, h := range []string{"h2", "h4", "h5"} {
		scripts[h] = append(scripts[h], adminStep{at: t0/2 + time.Duration(5+4*i)*time.Minute, op: governance.OpApprove, change: benignQuorum, kind: approval.ChangeQuorum, value: raise, device: h + "-phone"})
	}
	var ins []adminStep
	for _, c := range []adminStep{
		{change: insiderQuorum, kind: approval.ChangeQuorum, value: lower},
		{change: insiderWhitelist, kind: approval.ChangeWhitelist, value: attacker},
	} {
		c.at, c.op, c.device, c.attack = t0, governance.OpPropose, "h1-phone", "insider-policy"
		ins = append(ins, c)
	}
	for _, c := range ins[:2] {
		for _, dev := range []string{"h1-phone", "h1-laptop"} {
			a := c
			a.at, a.op, a.device, a.attack = t0+time.Minute, governance.OpApprove, dev, ""
			ins = append(ins, a)
		}
	}
	scripts[insiderHuman] = ins
	// Three admins rubber-stamp the whitelisting (it reads like an
	// exchange's deposit address), so only the time lock stands between
	// it and effect; the fourth, reading gov-1's alert, vetoes it inside
	// the lock. Without a time lock (no-timelock) it is in effect before
	// the veto comes: ATTACK:insider-policy names it.
	for i, h := range []string{"h2", "h3", "h4"} {
		scripts[h] = append(scripts[h], adminStep{at: t0 + time.Duration(3+2*i)*time.Minute, op: governance.OpApprove,
			change: insiderWhitelist, kind: approval.ChangeWhitelist, value: attacker, device: h + "-phone"})
	}
	scripts["h5"] = append(scripts["h5"], adminStep{at: t0 + 20*time.Minute, op: governance.OpVeto,
		change: insiderWhitelist, kind: approval.ChangeWhitelist, value: attacker, device: "h5-phone"})
	for _, h := range gc.Admins {
		a := &adminActor{run: r, human: h, keys: keys, steps: scripts[h]}
		if h == insiderHuman {
			a.wd = &wallet.WithdrawRequest{ID: insiderWithdrawal, User: "u1", To: attacker, Amount: 5_000_000, Wallet: "hot", Initiator: insiderHuman}
			a.wdAt, a.wdRetry = t0+10*time.Minute, p.ApprovalDeadline+15*time.Minute
		}
		r.world.Add(env.NodeID("admin-"+h), clientRegion, func() env.Node { return a })
	}
}

// quorumLowering is the insider's change: the top hot tier asking one
// approver fewer, as far as the policy still validates (never below the
// tier under it).
func quorumLowering(p approval.Policy) string {
	top := approval.Tier{}
	for _, t := range p.Tiers {
		if t.Wallet == approval.WalletHot && t.AmountMax == 0 {
			top = t
		}
	}
	n := top.Approvers - 1
	for ; n > 1; n-- {
		if _, err := approval.ApplyQuorum(p, approval.Change{ID: "x", Kind: approval.ChangeQuorum, Value: fmt.Sprintf("%s=%d", top.Name, n)}); err == nil {
			break
		}
	}
	return fmt.Sprintf("%s=%d", top.Name, max(n, 1))
}

// declines reports whether an honest approver declines s: the insider's
// withdrawal pays an address no customer owns.
func declines(human string, s approval.Subject) bool {
	return human != insiderHuman && strings.HasPrefix(s.Withdrawal, insiderPrefix)
}

// adminStep is one scripted governance request.
type adminStep struct {
	at     time.Duration
	op     string
	change string
	kind   approval.ChangeKind
	value  string
	device string
	attack string // a world.attack id when this step is the attack
}

// adminActor is one admin's client: it sends its steps to gov-1 one at a
// time (the history's rule: one operation outstanding per process), each
// signed by the step's device, resending until answered (at most
// adminTries times, then the outcome is unknown). The insider's actor also
// initiates its own withdrawal.
type adminActor struct {
	run   *run
	human string
	keys  map[string]approverDevice
	steps []adminStep

	proc, next, tries int
	waiting           bool
	reqID             uint64

	wd              *wallet.WithdrawRequest
	wdAt, wdRetry   time.Duration
	wdProc, wdTries int
	wdDone          bool
}

const (
	adminResend = 30 * time.Second
	adminTries  = 20
)

func (a *adminActor) Step(e env.Env, in env.Input) {
	switch in.Kind {
	case env.InputStart:
		a.proc = a.run.newProcess()
		if len(a.steps) > 0 {
			e.After(a.steps[0].at-a.run.world.Now(), "step")
		}
		if a.wd != nil {
			a.wdProc = a.run.newProcess()
			e.After(a.wdAt-a.run.world.Now(), "wd")
		}
	case env.InputTimer:
		switch {
		case in.Tag == "step" && !a.waiting:
			a.begin(e)
		case in.Tag == "resend/"+strconv.FormatUint(a.reqID, 10) && a.waiting:
			a.send(e)
		case in.Tag == "wd" || in.Tag == "wd/"+strconv.Itoa(a.wdTries):
			a.withdraw(e)
		}
	case env.InputMessage:
		a.message(e, in)
	}
}

func (a *adminActor) begin(e env.Env) {
	if a.next >= len(a.steps) {
		return
	}
	s := a.steps[a.next]
	if s.attack != "" {
		a.run.worldObs("", "world.attack", "attack", s.attack, "actor", a.human, "target", s.change,
			"detail", fmt.Sprintf("%s %s = %s", s.op, s.kind, s.value))
	}
	a.run.record(history.Event{Kind: history.Invoke, Process: a.proc, Op: "policy", Key: s.change,
		Detail: fmt.Sprintf("op=%s kind=%s value=%s actor=%s device=%s", s.op, s.kind, s.value, a.human, s.device)})
	a.waiting, a.tries = true, 0
	a.send(e)
}

func (a *adminActor) send(e env.Env) {
	s := a.steps[a.next]
	if a.tries >= adminTries {
		a.run.record(history.Event{Kind: history.Info, Process: a.proc, Op: "policy", Key: s.change, Error: "no answer"})
		a.proc = a.run.newProcess()
		a.done(e)
		return
	}
	a.tries++
	a.reqID++
	d := a.keys[s.device]
	req := governance.Sign(ed25519.PrivateKey(d.priv), d.device, d.human, governance.Request{ID: a.reqID, Op: s.op, Change: s.change, Kind: s.kind, Value: s.value, At: e.Now()})
	e.Send(govNode, governance.Encode(governance.MsgRequest, req))
	e.After(adminResend, "resend/"+strconv.FormatUint(a.reqID, 10))
}

func (a *adminActor) done(e env.Env) {
	a.waiting = false
	a.next++
	if a.next < len(a.steps) {
		e.After(max(a.steps[a.next].at-a.run.world.Now(), 0), "step")
	}
}

func (a *adminActor) message(e env.Env, in env.Input) {
	var ans governance.Answer
	if governance.Decode(in.Payload, governance.MsgAnswer, &ans) {
		if !a.waiting || ans.ID != a.reqID {
			return
		}
		kind := history.OK
		if !ans.OK {
			kind = history.Fail
		}
		a.run.record(history.Event{Kind: kind, Process: a.proc, Op: "policy", Key: ans.Change, Node: string(in.From), Error: ans.Err, Detail: "state=" + ans.State})
		a.done(e)
		return
	}
	var st wallet.WithdrawStatus
	if a.wd != nil && !a.wdDone && wallet.Decode(in.Payload, wallet.MsgWithdrawStatus, &st) && st.ID == a.wd.ID {
		kind := history.OK
		if st.State != wallet.StateSettled {
			kind = history.Fail
		}
		a.run.record(history.Event{Kind: kind, Process: a.wdProc, Op: "withdraw", Key: st.ID, Value: a.wd.Amount,
			Node: string(in.From), Error: st.Err, Detail: "txid=" + st.TxID})
		a.wdDone = true
	}
}

// withdraw sends the insider's withdrawal, the first time with the world
// facts of the attack, then again at the next wallet node while it is
// unanswered.
func (a *adminActor) withdraw(e env.Env) {
	if a.wdDone {
		return
	}
	r := a.wd
	if a.wdTries == 0 {
		r.RequestedAt = int64(a.run.world.Now())
		a.run.worldObs("", "world.attack", "attack", "self-approval", "actor", a.human, "target", r.ID,
			"detail", "initiates "+r.ID+" and approves it from its own devices")
		a.run.worldObs("", "world.truth", "subject", r.ID, "user", r.User, "label", "self-approval", "lookalike", "0")
		a.run.record(history.Event{Kind: history.Invoke, Process: a.wdProc, Op: "withdraw", Key: r.ID, Value: r.Amount,
			Detail: fmt.Sprintf("user=%s to=%s amount=%d wallet=hot initiator=%s actor=%s", r.User, r.To, r.Amount, r.Initiator, a.human)})
	}
	ws := a.run.custody.wallets
	e.Send(ws[a.wdTries%len(ws)], wallet.Encode(wallet.MsgWithdraw, *r))
	a.wdTries++
	e.After(a.wdRetry, "wd/"+strconv.Itoa(a.wdTries))
}

// raisedSmallQuorum is the benign tightening: the smallest hot tier asks
// one approver more (never more than the next tier asks).
func raisedSmallQuorum(p approval.Policy) string {
	for i, t := range p.Tiers {
		if t.Wallet != "hot" {
			continue
		}
		n := t.Approvers + 1
		if i+1 < len(p.Tiers) && p.Tiers[i+1].Wallet == "hot" && p.Tiers[i+1].Approvers < n {
			n = p.Tiers[i+1].Approvers
		}
		return fmt.Sprintf("%s=%d", t.Name, n)
	}
	return ""
}
