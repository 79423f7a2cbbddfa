package wallet

import (
	"strconv"
	"time"

	"vaultdrill/system/api"
	"vaultdrill/system/env"
	"vaultdrill/system/risk"
)

// The risk hook of the pipeline (system/risk). Between screening and the
// reservation a withdrawal is scored by the risk node:
//
//	allow          the account's freeze status is asked once more, then reserve
//	hold           the withdrawal waits for the review case's decision
//	               (CaseClosed, or the case polled by StatusQuery): release
//	               goes on like allow, confirm fails it
//	limit, freeze  fail ("risk: freeze: structuring")
//
// The status question right before the reservation is what keeps a
// withdrawal scored before a freeze, or retried at another wallet node
// after one (the risk node answers a retried subject with its first
// answer), from moving funds out of a frozen account. What is left is the
// one round trip between that answer and the ledger's apply, during which
// a deposit elsewhere could freeze the account; INV-FROZEN stays strict
// about it (docs/DECISIONS.md D25): a sweep that finds it has found the
// case for a freeze held in the ledger itself.
//
// Deposits are scored once credited, or held by compliance (deposit.go;
// subject = txid, no time of their own, and the chain evidence taken as of
// the deposit's height, so every scanner sends the very same request): the
// engine learns the inflows that structuring, smurfing and rapid in-out
// are made of, takes the mixer and peel-chain hops the screener found, and
// a deposit that completes a typology freezes the account. A credited
// deposit cannot be refused (the funds are already in custody); the
// freeze is what stops them going out again.
//
// Every request carries only what every wallet node computes alike (the
// client's request, the user's profile, the request time) and the balance
// the node read, so a retry at another node is the same request and gets
// the same answer (the risk node compares retries without the balance, and
// answers a subject reused with other fields with limit).

// Profile is what the platform knows of a user before any request: where
// they live, which devices they registered, when the account was opened.
// The access layer owns this in the end; until then the scenario gives it.
type Profile struct {
	HomeLatE6, HomeLonE6 int32
	HomeKnown            bool
	Devices              []string
	OpenedAt             time.Time
}

// riskPendingMax bounds the deposit scores awaiting an answer; past it the
// oldest is dropped (its deposit is still credited; the engine misses one
// inflow, which can only hide a typology, never freeze a clean account).
const riskPendingMax = 1024

// riskState is a withdrawal's progress through the risk hook.
type riskState struct {
	caseID  string
	cleared bool // scored allow, or the hold released: the freeze check is next
	passed  bool // the freeze check passed: the reservation is under way
	balance int64
}

func (n *Node) riskRequest(w *withdrawal) risk.ScoreRequest {
	r := w.req
	// RequestedAt is virtual time since env.Epoch; the risk protocol
	// speaks Unix nanoseconds.
	at := env.Epoch.Add(time.Duration(r.RequestedAt))
	m := risk.ScoreRequest{Op: risk.OpWithdraw, Subject: r.ID, User: r.User, Account: r.User, Amount: r.Amount,
		Address: r.To, Time: at.UnixNano(), Balance: w.risk.balance}
	if r.GeoKnown {
		m.Geo = risk.Point{Known: true, LatE6: r.LatE6, LonE6: r.LonE6}
	}
	if p, ok := n.cfg.Profiles[r.User]; ok {
		if p.HomeKnown {
			m.Home = risk.Point{Known: true, LatE6: p.HomeLatE6, LonE6: p.HomeLonE6}
		}
		m.DeviceNew = r.Device != "" && !contains(p.Devices, r.Device)
		if !p.OpenedAt.IsZero() && at.After(p.OpenedAt) {
			m.AccountAge = int64(at.Sub(p.OpenedAt))
		}
	}
	return m
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// riskTimer asks again while the risk hook has not passed.
func (n *Node) riskTimer(e env.Env, w *withdrawal) {
	if (w.state == "scoring" || w.state == "held") && !w.risk.passed {
		n.riskAsk(e, w)
	}
}

// riskGate runs the risk hook for w, then reserve; without a risk node it
// records the default allow and reserves at once.
func (n *Node) riskGate(e env.Env, w *withdrawal) {
	if n.cfg.Risk == "" {
		n.reserve(e, w)
		return
	}
	n.setState(e, w, "scoring", "")
	// The balance before the withdrawal, for the drain feature; a retry
	// elsewhere reads another balance, and the risk node answers a
	// subject by its first request whatever the balance.
	n.ledgerRead(e, w.req.User, func(e env.Env, resp api.Response) {
		if resp.Refused == "" && resp.Balance > 0 {
			w.risk.balance = resp.Balance
		}
		n.riskAsk(e, w)
	})
}

func (n *Node) riskAsk(e env.Env, w *withdrawal) {
	switch {
	case w.risk.cleared:
		e.Send(n.cfg.Risk, risk.EncodeMessage(risk.StatusQuery{Account: w.req.User}))
	case w.risk.caseID != "":
		e.Send(n.cfg.Risk, risk.EncodeMessage(risk.StatusQuery{Account: w.req.User, Case: w.risk.caseID}))
	default:
		e.Send(n.cfg.Risk, risk.EncodeMessage(n.riskRequest(w)))
	}
	wait := n.cfg.RiskAttempt
	if w.risk.caseID != "" && !w.risk.cleared {
		wait = n.cfg.HoldPoll
	}
	e.After(wait, "wd/risk/"+w.req.ID)
}

// riskMessage takes a message from the risk node.
func (n *Node) riskMessage(e env.Env, from env.NodeID, payload []byte) {
	if from != n.cfg.Risk || n.cfg.Risk == "" {
		return
	}
	m, err := risk.DecodeMessage(payload)
	if err != nil {
		return
	}
	switch m := m.(type) {
	case risk.ScoreAnswer:
		if w := n.wds[m.Subject]; w != nil && !w.done && w.state == "scoring" && !w.risk.passed && !w.risk.cleared && w.risk.caseID == "" {
			n.riskScored(e, w, m)
			return
		}
		n.depositScored(m.Subject)
	case risk.CaseClosed:
		if w := n.wds[m.Subject]; w != nil && !w.done && w.state == "held" && !w.risk.cleared && w.risk.caseID == m.Case {
			n.riskDecided(e, w, m.Decision, m.Reviewer)
		}
	case risk.StatusAnswer:
		n.riskStatus(e, m)
	}
}

func (n *Node) riskScored(e env.Env, w *withdrawal, a risk.ScoreAnswer) {
	detail := "score=" + strconv.FormatInt(a.Score, 10) + " typology=" + string(a.Typology) + " case=" + a.Case
	if a.Err != "" {
		detail += " err=" + a.Err
	}
	if !n.record(e, "withdrawal.risk", w.req.ID, string(a.Action), "", detail) {
		return // not on record: the timer asks again and gets the same answer
	}
	switch a.Action {
	case risk.ActionAllow:
		w.risk.cleared = true
		n.riskAsk(e, w)
	case risk.ActionHold:
		w.risk.caseID = a.Case
		n.setState(e, w, "held", "risk: hold: case "+a.Case)
		n.riskAsk(e, w)
	default:
		why := "risk: " + string(a.Action)
		if a.Typology != "" {
			why += ": " + string(a.Typology)
		}
		n.fail(e, w, why)
	}
}

// riskDecided: a reviewer decided a held withdrawal's case.
func (n *Node) riskDecided(e env.Env, w *withdrawal, d risk.Decision, reviewer string) {
	if !n.record(e, "withdrawal.review", w.req.ID, string(d), "", "case="+w.risk.caseID+" reviewer="+reviewer) {
		return
	}
	if d != risk.DecisionRelease {
		n.fail(e, w, "risk: hold confirmed by review (case "+w.risk.caseID+")")
		return
	}
	w.risk.cleared = true
	n.setState(e, w, "scoring", "released by review")
	n.riskAsk(e, w)
}

// riskStatus answers the freeze check of cleared withdrawals and the case
// polls of held ones, for the account asked about.
func (n *Node) riskStatus(e env.Env, a risk.StatusAnswer) {
	for _, id := range append([]string(nil), n.wdOrder...) {
		w := n.wds[id]
		if w == nil || w.done || w.req.User != a.Account {
			continue
		}
		switch {
		case w.state == "scoring" && w.risk.cleared && !w.risk.passed:
			if a.Frozen {
				if n.record(e, "withdrawal.risk", w.req.ID, "freeze", "", "account frozen (case "+a.FreezeCase+")") {
					n.fail(e, w, "risk: account frozen (case "+a.FreezeCase+")")
				}
				continue
			}
			w.risk.passed = true
			n.reserve(e, w)
		case w.state == "held" && !w.risk.cleared && a.Case == w.risk.caseID && a.State == risk.StateClosed:
			n.riskDecided(e, w, a.Decision, a.Reviewer)
		}
	}
}

// ---- deposits ----

// scoreDeposit tells the risk node of a credited deposit, until it answers.
func (n *Node) scoreDeposit(e env.Env, txid, account, from string, amount int64, mixerHops, peelHops int) {
	if n.cfg.Risk == "" {
		return
	}
	m := risk.ScoreRequest{Op: risk.OpDeposit, Subject: txid, User: account, Account: account, Amount: amount, Address: from,
		TaintHops: int64(mixerHops), PeelHops: int64(peelHops)}
	if _, ok := n.riskDeps[txid]; !ok {
		if len(n.riskDepOrder) >= riskPendingMax {
			delete(n.riskDeps, n.riskDepOrder[0])
			n.riskDepOrder = n.riskDepOrder[1:]
		}
		n.riskDepOrder = append(n.riskDepOrder, txid)
	}
	n.riskDeps[txid] = m
	e.Send(n.cfg.Risk, risk.EncodeMessage(m))
	if !n.riskDepTimer {
		n.riskDepTimer = true
		e.After(n.cfg.RiskAttempt, "riskdep")
	}
}

func (n *Node) depositScored(subject string) {
	if _, ok := n.riskDeps[subject]; !ok {
		return
	}
	delete(n.riskDeps, subject)
	for i, id := range n.riskDepOrder {
		if id == subject {
			n.riskDepOrder = append(n.riskDepOrder[:i], n.riskDepOrder[i+1:]...)
			break
		}
	}
}

// riskDepResend sends every unanswered deposit score again.
func (n *Node) riskDepResend(e env.Env) {
	n.riskDepTimer = false
	for _, id := range n.riskDepOrder {
		e.Send(n.cfg.Risk, risk.EncodeMessage(n.riskDeps[id]))
	}
	if len(n.riskDepOrder) > 0 {
		n.riskDepTimer = true
		e.After(n.cfg.RiskAttempt, "riskdep")
	}
}
