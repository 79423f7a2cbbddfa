package scenarios

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strconv"
	"time"

	"gopkg.in/yaml.v3"

	"vaultdrill/checkers"
	"vaultdrill/system/chain"
	"vaultdrill/system/env"
	"vaultdrill/system/risk"
	"vaultdrill/system/wallet"
)

// The risk layer of a custody run (workload.params.risk): the risk node
// (system/risk) every wallet node asks, the human reviewers who work its
// queue, the AML actors whose ground truth the world knows
// (workload.params.aml), and the expectations that judge them.
//
// Ground truth: every operation a user makes while the risk layer is on is
// reported as world.truth (subject, user, label, lookalike), benign for the
// honest users, the typology for an AML actor's operations, and benign with
// lookalike=1 for the look-alikes built to resemble a typology (a single
// amount just under the reporting threshold, two relatives paying in, a
// deposit partly withdrawn hours later, one large withdrawal from an old
// account, funds from an exchange through two plain hops or through three
// even splits) and for honest users travelling or on a new phone.
//
// The mixer and peel-chain actors route funds on the simulated chain
// before depositing: from the tagged mixer through two plain hops (within
// screening's taint: held, and scored with taint_hops 2), or through four
// peel hops (beyond it: credited, and caught by the peel pattern alone).
// Every AML actor (look-alikes aside) reports world.attack at its first
// step, for the per-typology attack expectations.

const riskNode env.NodeID = "risk-1"

// amlKinds are the typologies the AML actors play, each with a look-alike.
var amlKinds = []risk.Typology{risk.TypologyStructuring, risk.TypologySmurfing, risk.TypologyRapidInOut, risk.TypologyNewAccountDrain,
	risk.TypologyMixer, risk.TypologyPeelChain}

// amlAccounts is how many accounts the AML actors add after the users.
func amlAccounts(p custodyParams) int { return p.AML * len(amlKinds) * 2 }

// accountCount is every user account of the run, honest and AML.
func (p custodyParams) accountCount() int { return p.Users + amlAccounts(p) }

// smurfSenders is how many outside parties pay into a smurfed account.
const smurfSenders = 6

func smurfName(idx, k int) string { return fmt.Sprintf("smurf-%d-%d", idx, k) }

// amlStep is one scripted operation of an AML actor.
type amlStep struct {
	at     time.Duration
	op     string // "deposit", "withdraw" or "route" (a transfer on chain between outside addresses)
	amount int64
	from   int  // deposit: 0 = the account's own address, k = its k-th outside sender
	newTo  bool // withdraw: to an address the user never used
	// via: deposit or route: the outside party that pays (a tagged party
	// of the lists, or one of the actor's own route addresses), "" for
	// from; to: route: the party paid.
	via, to string
}

// routeFee is the fee every route transfer pays.
const routeFee = 10

// routeName names the actor's j-th route address, and its j-th peel sink.
func routeName(idx, j int) string { return fmt.Sprintf("route-%d-%d", idx, j) }
func sinkName(idx, j int) string  { return fmt.Sprintf("peel-out-%d-%d", idx, j) }

// routeScript moves amount from source through hops addresses into the
// account, a hop every two minutes from t0. Each address keeps back a
// share of what it got (keepPermille[j], "" for none) and pays it to a
// sink of its own, in the same step as it pays the rest on: with shares of
// 10 to 100 per mille every hop is a peel hop (1 in, 2 out, 90:10 to
// 99:1); with none, an ordinary forward. The last address deposits.
func routeScript(idx int, t0 time.Duration, source string, amount int64, keepPermille []int64) []amlStep {
	steps := []amlStep{{at: t0, op: "route", via: source, to: routeName(idx, 0), amount: amount}}
	recv := amount
	for j, keep := range keepPermille {
		at := t0 + time.Duration(j+1)*2*time.Minute
		on := recv - routeFee
		if keep > 0 {
			avail := recv - 2*routeFee
			small := avail * keep / 1000
			on = avail - small
			steps = append(steps, amlStep{at: at, op: "route", via: routeName(idx, j), to: sinkName(idx, j), amount: small})
		}
		if j == len(keepPermille)-1 {
			steps = append(steps, amlStep{at: at, op: "deposit", via: routeName(idx, j), amount: on})
		} else {
			steps = append(steps, amlStep{at: at, op: "route", via: routeName(idx, j), to: routeName(idx, j+1), amount: on})
		}
		recv = on
	}
	return steps
}

// amlScript is what the account at index idx (1-based, after the users)
// does, its label and whether it is a look-alike.
func amlScript(p custodyParams, idx int) (steps []amlStep, label string, lookalike bool, opened time.Duration) {
	k := (idx - p.Users - 1) / 2 % len(amlKinds)
	lookalike = (idx-p.Users-1)%2 == 1
	t0 := p.SweepWindow/2 + time.Duration(idx%7)*7*time.Minute
	label = string(amlKinds[k])
	if lookalike {
		label = "benign"
	}
	opened = -400 * 24 * time.Hour
	const e9 = 1_000_000_000
	if amlKinds[k] == risk.TypologyMixer || amlKinds[k] == risk.TypologyPeelChain {
		// The mixer and the exchange are shared payers: their transfers
		// must reach the chain in nonce order, so no two actors start at
		// one time (30 s apart, by account).
		t0 = p.SweepWindow/2 + time.Duration(idx-p.Users)*30*time.Second
	}
	switch amlKinds[k] {
	case risk.TypologyStructuring:
		if lookalike { // one amount just under the threshold
			return []amlStep{{at: t0, op: "withdraw", amount: 950_000_000}}, label, true, opened
		}
		for i, a := range []int64{950_000_000, 970_000_000, 930_000_000, 960_000_000} {
			steps = append(steps, amlStep{at: t0 + time.Duration(i)*20*time.Minute, op: "withdraw", amount: a})
		}
	case risk.TypologySmurfing:
		n := smurfSenders
		if lookalike {
			n = 2 // two relatives pay in
		}
		for i := 1; i <= n; i++ {
			steps = append(steps, amlStep{at: t0 + time.Duration(i)*8*time.Minute, op: "deposit", amount: 300_000_000, from: i})
		}
		amt := int64(n) * 300_000_000 * 9 / 10
		if lookalike {
			amt = 200_000_000
		}
		steps = append(steps, amlStep{at: t0 + 100*time.Minute, op: "withdraw", amount: amt})
	case risk.TypologyRapidInOut:
		steps = append(steps, amlStep{at: t0, op: "deposit", amount: 2 * e9})
		if lookalike { // a quarter of it, hours later
			steps = append(steps, amlStep{at: t0 + 4*time.Hour, op: "withdraw", amount: e9 / 2})
		} else {
			steps = append(steps, amlStep{at: t0 + 35*time.Minute, op: "withdraw", amount: 1_900_000_000, newTo: true})
		}
	case risk.TypologyNewAccountDrain:
		if !lookalike {
			opened = -24 * time.Hour
		}
		steps = append(steps, amlStep{at: t0, op: "withdraw", amount: p.UserGenesis * 96 / 100, newTo: !lookalike})
	case risk.TypologyMixer:
		// funds from the mixer, two ordinary hops on, deposited; the
		// look-alike's come the same way from an exchange
		src := "mixer-1"
		if lookalike {
			src = "exchange-1"
		}
		steps = routeScript(idx, t0, src, 3*e9, []int64{0, 0})
	case risk.TypologyPeelChain:
		// four peel hops from the mixer (beyond screening's three hops of
		// taint: only the pattern gives it away), the last one's larger
		// output deposited; the look-alike's funds come from an exchange
		// through three addresses that split 50:50, 60:40 and 70:30
		if lookalike {
			steps = routeScript(idx, t0, "exchange-1", 4*e9, []int64{500, 400, 300})
		} else {
			steps = routeScript(idx, t0, "mixer-1", 4*e9, []int64{50, 70, 40, 60})
		}
	}
	return steps, label, lookalike, opened
}

// userPlace is a user's home, drawn from the seed: latitudes within 60
// degrees of the equator, any longitude, in micro-degrees.
func userPlace(seed uint64, account string) (lat, lon int32) {
	h := sha256.Sum256([]byte(fmt.Sprintf("vaultdrill/home/v1/%d/%s", seed, account)))
	lat = int32(binary.BigEndian.Uint32(h[0:4])%120_000_000) - 60_000_000
	lon = int32(binary.BigEndian.Uint32(h[4:8])%360_000_000) - 180_000_000
	return
}

// antipode is a place about half the world away: where a traveller lands.
func antipode(lat, lon int32) (int32, int32) {
	lon2 := lon + 180_000_000
	if lon2 > 180_000_000 {
		lon2 -= 360_000_000
	}
	return -lat, lon2
}

// riskProfiles are the wallet nodes' knowledge of every account.
func (r *run) riskProfiles(p custodyParams) map[string]wallet.Profile {
	out := map[string]wallet.Profile{}
	for i := 1; i <= p.accountCount(); i++ {
		acct := fmt.Sprintf("u%d", i)
		lat, lon := userPlace(r.world.Seed(), acct)
		opened := -400 * 24 * time.Hour
		if i > p.Users {
			_, _, _, opened = amlScript(p, i)
		}
		out[acct] = wallet.Profile{HomeLatE6: lat, HomeLonE6: lon, HomeKnown: true, Devices: []string{acct + "-phone"},
			OpenedAt: env.Epoch.Add(opened)}
	}
	return out
}

// installRisk adds the risk node and the reviewers; it returns the risk
// node's id for the wallet nodes.
func (r *run) installRisk(p custodyParams, wallets []env.NodeID) env.NodeID {
	if !p.Risk {
		return ""
	}
	r.truth = map[string]string{}
	var reviewers []env.NodeID
	for i := 1; i <= p.Reviewers; i++ {
		reviewers = append(reviewers, env.NodeID(fmt.Sprintf("reviewer-%d", i)))
	}
	cfg := risk.Config{ID: riskNode, Wallets: wallets, Reviewers: reviewers}
	if p.Bug == string(risk.BugAutoRelease) {
		cfg.Bug = risk.BugAutoRelease
	}
	if _, err := risk.New(cfg); err != nil {
		panic(fmt.Sprintf("custody: risk config: %v", err)) // built here from fixed values
	}
	r.world.Add(riskNode, r.topo.Regions[0], func() env.Node {
		n, _ := risk.New(cfg)
		return n
	})
	for _, id := range reviewers {
		a := &reviewerActor{run: r, delay: p.ReviewDelay}
		r.world.Add(id, clientRegion, func() env.Node { return a })
	}
	return riskNode
}

// noteTruth reports the world's truth about one operation.
func (r *run) noteTruth(subject, user, label string, lookalike bool) {
	if r.truth == nil {
		return
	}
	r.truth[subject] = label
	la := "0"
	if lookalike {
		la = "1"
	}
	r.worldObs("", "world.truth", "subject", subject, "user", user, "label", label, "lookalike", la)
}

// reviewerActor is a human compliance reviewer: given a case, they look
// into it for a while and decide from what an investigation finds (the
// world's truth about the case's subject): a labeled subject's freeze or
// hold is confirmed, a benign one released.
type reviewerActor struct {
	run   *run
	delay time.Duration
	tasks map[string]risk.ReviewTask
	seq   int
}

func (a *reviewerActor) Step(e env.Env, in env.Input) {
	switch in.Kind {
	case env.InputStart:
		a.tasks = map[string]risk.ReviewTask{}
	case env.InputMessage:
		m, err := risk.DecodeMessage(in.Payload)
		if err != nil {
			return
		}
		if t, ok := m.(risk.ReviewTask); ok {
			a.seq++
			tag := "review/" + strconv.Itoa(a.seq)
			a.tasks[tag] = t
			e.After(a.delay/2+time.Duration(e.Rand().Int64N(int64(a.delay)+1)), tag)
		}
	case env.InputTimer:
		t, ok := a.tasks[in.Tag]
		if !ok {
			return
		}
		delete(a.tasks, in.Tag)
		d := risk.DecisionRelease
		if l, known := a.run.truth[t.Subject]; known && l != labelBenign {
			d = risk.DecisionConfirm
		}
		e.Send(riskNode, risk.EncodeMessage(risk.ReviewDecision{Case: t.Case, Decision: d}))
	}
}

const labelBenign = "benign"

// routeWallet is the chain wallet of a route's payer: a tagged party
// (shared by every actor: one nonce sequence) or one of this actor's own
// route addresses.
func (u *userActor) routeWallet(name string) *chain.Wallet {
	for _, p := range sanctionedNames {
		if p.name == name {
			return u.run.partyWallet(name)
		}
	}
	if u.routes == nil {
		u.routes = map[string]*chain.Wallet{}
	}
	w := u.routes[name]
	if w == nil {
		w = chain.NewWallet(chain.MustExternalKey(u.run.world.Seed(), name, chain.Secp256k1))
		u.routes[name] = w
	}
	return w
}

// amlStart schedules an AML actor's script instead of random operations.
func (u *userActor) amlStart(e env.Env) {
	if len(u.script) > 0 {
		e.After(u.script[0].at, "aml/0")
	}
}

func (u *userActor) amlStep(e env.Env, tag string) {
	i, err := strconv.Atoi(tag)
	if err != nil || i >= len(u.script) || u.w.stopped {
		return
	}
	s := u.script[i]
	if s.op == "withdraw" && u.cur != nil {
		e.After(time.Minute, "aml/"+tag) // one withdrawal at a time
		return
	}
	if i+1 < len(u.script) {
		e.After(max(u.script[i+1].at-u.run.world.Now(), time.Second), "aml/"+strconv.Itoa(i+1))
	}
	if i == 0 && !u.lookalike {
		r := u.run
		r.worldObs("", "world.attack", "attack", u.label, "actor", fmt.Sprintf("user-%d", u.idx), "target", u.account,
			"detail", fmt.Sprintf("AML typology %s played by account %s", u.label, u.account))
	}
	switch s.op {
	case "deposit":
		w := u.wallet
		switch {
		case s.via != "":
			w = u.routeWallet(s.via)
		case s.from > 0:
			w = u.senders[s.from-1]
		}
		u.deposit(e, w, s.amount)
	case "route":
		to := chain.MustExternalKey(u.run.world.Seed(), s.to, chain.Secp256k1).Address
		u.submitID++
		e.Send(chainNode(chain.Secp256k1), chain.SubmitTx(u.submitID, u.routeWallet(s.via).Transfer(to, s.amount, routeFee, "")))
	case "withdraw":
		to := u.key.Address
		if s.newTo {
			to = chain.MustExternalKey(u.run.world.Seed(), "cashout-"+u.account, chain.Secp256k1).Address
		}
		u.withdraw(e, to, s.amount, u.account+"-phone", false)
	}
}

func init() {
	expectKinds["frozen"] = ExpectKind{Doc: "INV-FROZEN: a frozen account moves no funds; automation freezes, only a reviewer releases, every freeze has a case",
		New: simpleExpect("frozen", checkers.Frozen)}
	expectKinds["risk-quality"] = ExpectKind{Doc: "RISK-QUALITY: precision and recall of the risk engine against the world's truth, per mille (params: min_precision, min_recall)",
		New: newRiskQualityExpect}
}

type riskQualityParams struct {
	MinPrecision int64 `yaml:"min_precision"`
	MinRecall    int64 `yaml:"min_recall"`
}

func newRiskQualityExpect(file string, p *yaml.Node) (Expectation, error) {
	var q riskQualityParams
	if p.Kind != 0 {
		if err := decodeStrict(file, p, &q); err != nil {
			return nil, err
		}
	}
	if q.MinPrecision < 0 || q.MinPrecision > 1000 || q.MinRecall < 0 || q.MinRecall > 1000 {
		return nil, fmt.Errorf("%s:%d: risk-quality minimums are per mille, 0..1000", file, p.Line)
	}
	return funcExpect{name: fmt.Sprintf("risk engine precision >= %d‰, recall >= %d‰", q.MinPrecision, q.MinRecall),
		fn: func(in checkers.Input) checkers.Result { return checkers.RiskQuality(in, q.MinPrecision, q.MinRecall) }}, nil
}
