package risk

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"vaultdrill/system/env"
)

// Observation kinds (docs/security-vocabulary.md), and the node's own
// refusal fact.
const (
	ObsScore   = "risk.score"
	ObsFreeze  = "risk.freeze"
	ObsRelease = "risk.release"
	ObsCase    = "risk.case"
	// ObsRefused: a message the node would not take (undecodable, from a
	// node not allowed to send it, or of a type it does not serve).
	ObsRefused = "risk.refused"
)

// Timer tags.
const (
	tagTask        = "risk.task/"        // + attempt + "/" + case id
	tagAutoRelease = "risk.autorelease/" // + case id (BugAutoRelease only)
)

// ErrReused is the Err of an answer to a subject scored before with other
// fields.
const ErrReused = "risk: subject used before with other fields"

// idMax bounds the node id, so that its case ids fit FieldMax.
const idMax = 200

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// Node is the risk node. It implements env.Node.
type Node struct {
	cfg     Config
	eng     *Engine
	q       *Queue
	answers map[string]*scored
	order   []string // subjects of answers, oldest first
	logLen  int      // records in the log
}

// New builds a risk node; cfg is completed with WithDefaults and must
// validate.
func New(cfg Config) (*Node, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.ID == "" || len(cfg.ID) > idMax {
		return nil, fmt.Errorf("%w: node id %q: empty or over %d bytes", ErrConfig, cfg.ID, idMax)
	}
	n := &Node{cfg: cfg}
	n.reset()
	return n, nil
}

func (n *Node) reset() {
	n.eng, _ = NewEngine(n.cfg)
	n.q = NewQueue(string(n.cfg.ID), n.cfg.Reviewers)
	n.answers, n.order, n.logLen = map[string]*scored{}, nil, 0
}

func (n *Node) Step(e env.Env, in env.Input) {
	switch in.Kind {
	case env.InputStart:
		n.start(e)
	case env.InputMessage:
		n.message(e, in)
	case env.InputTimer:
		n.timer(e, in.Tag)
	}
}

// start rebuilds the state from the log, cutting a torn tail, and hands
// out the open cases again.
func (n *Node) start(e env.Env) {
	n.reset()
	d := e.Disk()
	b, _ := d.Read(logName)
	recs, valid := env.ReadRecords(b)
	if valid < len(b) {
		if !tornTail(b[valid:]) {
			panic(fmt.Sprintf("risk: %s: damaged record after record %d (offset %d)", logName, len(recs), valid))
		}
		// The torn record was never synced, so nothing it said was
		// observed or answered. Cut it before anything follows it.
		d.Write(logName, b[:valid])
		d.Sync()
	}
	for i, body := range recs {
		rec, err := decodeRecord(body)
		if err != nil {
			panic(fmt.Sprintf("risk: %s: record %d: %v", logName, i+1, err))
		}
		n.apply(rec)
	}
	n.logLen = len(recs)
	for _, c := range n.q.OpenCases() {
		n.sendTask(e, c.ID)
		n.armAutoRelease(e, c)
	}
}

// apply makes a record's change in memory: the same code path for a
// step's own change and for replay.
func (n *Node) apply(rec record) {
	switch rec.kind {
	case recScore:
		n.eng.Record(eventOf(rec.s.req, rec.s.at), rec.s.ans.Action)
		n.remember(rec.s)
		if rec.hasCase {
			n.q.insert(rec.c)
		}
	case recDecide:
		if _, _, err := n.q.close(rec.caseID, rec.decision, rec.by, rec.at); err != nil {
			panic(fmt.Sprintf("risk: replay: %v", err))
		}
	case recCase:
		n.q.insert(rec.c)
	case recHead:
		n.q.next = max(n.q.next, rec.next)
	}
}

func (n *Node) remember(s scored) {
	if _, ok := n.answers[s.req.Subject]; !ok {
		n.order = append(n.order, s.req.Subject)
	}
	cp := s
	n.answers[s.req.Subject] = &cp
	for len(n.order) > n.cfg.RetainMax {
		delete(n.answers, n.order[0])
		n.order = n.order[1:]
	}
}

// persist appends one record and syncs it; past CompactAt records the log
// is rewritten down to what the node keeps.
func (n *Node) persist(e env.Env, rec record) {
	d := e.Disk()
	d.Append(logName, env.Record(encodeRecord(rec)))
	d.Sync()
	n.logLen++
	if n.logLen >= n.cfg.CompactAt {
		n.compact(d)
	}
}

// compact replaces the log by: the next case number, every case kept, and
// the retained scored operations (which rebuild the engine's history and
// the answers to retries). Write replaces the file whole at Sync, so a
// crash leaves either the old log or the new one.
func (n *Node) compact(d env.Disk) {
	n.q.prune(n.cfg.ClosedMax)
	var out []byte
	recs := 1
	out = append(out, env.Record(encodeRecord(record{kind: recHead, next: n.q.next}))...)
	for _, c := range n.q.Cases() {
		out = append(out, env.Record(encodeRecord(record{kind: recCase, c: c}))...)
		recs++
	}
	for _, s := range n.order {
		out = append(out, env.Record(encodeRecord(record{kind: recScore, s: *n.answers[s]}))...)
		recs++
	}
	d.Write(logName, out)
	d.Sync()
	n.logLen = recs
}

func (n *Node) refuse(e env.Env, from env.NodeID, t env.MsgType, why string) {
	e.Observe(env.ObserveKV(ObsRefused, "from", string(from), "type", strconv.Itoa(int(t)), "reason", why))
}

func (n *Node) message(e env.Env, in env.Input) {
	t, _, _ := env.Decode(in.Payload)
	m, err := DecodeMessage(in.Payload)
	if err != nil {
		n.refuse(e, in.From, t, err.Error())
		return
	}
	wallet := slices.Contains(n.cfg.Wallets, in.From)
	switch m := m.(type) {
	case ScoreRequest:
		if !wallet {
			n.refuse(e, in.From, t, "not a wallet")
			return
		}
		n.score(e, in.From, m)
	case StatusQuery:
		if !wallet && !n.q.IsReviewer(in.From) {
			n.refuse(e, in.From, t, "not a wallet or reviewer")
			return
		}
		n.status(e, in.From, m)
	case ReviewDecision:
		n.decide(e, in.From, m)
	default:
		n.refuse(e, in.From, t, "not a request")
	}
}

// sameRequest: b retries a. The balance is left out: it is what the asker
// read just before asking, and a retry from another node reads another;
// the subject keeps the answer its first request got.
func sameRequest(a, b ScoreRequest) bool {
	a.Balance, b.Balance = 0, 0
	return a == b
}

func eventOf(m ScoreRequest, at time.Time) Event {
	return Event{Op: m.Op, Subject: m.Subject, User: m.User, Account: m.Account, Amount: m.Amount, Address: m.Address,
		Balance: m.Balance, DeviceNew: m.DeviceNew, Geo: m.Geo, Home: m.Home, AccountAge: time.Duration(m.AccountAge),
		TaintHops: int(m.TaintHops), PeelHops: int(m.PeelHops), Time: at}
}

func (n *Node) score(e env.Env, from env.NodeID, m ScoreRequest) {
	if old, ok := n.answers[m.Subject]; ok {
		if sameRequest(old.req, m) {
			e.Send(from, EncodeMessage(old.ans))
		} else {
			e.Send(from, EncodeMessage(ScoreAnswer{Subject: m.Subject, Action: ActionLimit, Err: ErrReused}))
		}
		return
	}
	at := e.Now()
	if m.Time != 0 {
		at = fromNano(m.Time)
	}
	ev := eventOf(m, at)
	a := n.eng.Assess(ev)
	action := a.Action
	var c Case
	opened := false
	newCase := func(k CaseKind) {
		c, opened = n.q.Open(Case{Kind: k, Subject: m.Subject, Account: m.Account, OpenedAt: e.Now(), Score: a.Score,
			Typology: a.Typology, Features: clip(a.Explain(), FeaturesMax), Requester: from})
	}
	if f, frozen := n.q.Frozen(m.Account); frozen && (m.Op == OpWithdraw || action == ActionFreeze) {
		// A frozen account moves nothing out; a deposit into it is
		// scored as usual, and the freeze answers for it only if it
		// would have frozen the account itself.
		action, c = ActionFreeze, f
	}
	if action == ActionHold && n.q.HoldsOpen() >= n.cfg.HoldsOpenMax {
		// The hold queue is full: refuse a withdrawal outright; a deposit
		// cannot be refused, so fail closed to a freeze, which is bounded
		// by the accounts.
		action = ActionLimit
		if m.Op == OpDeposit {
			action = ActionFreeze
		}
	}
	switch {
	case action == ActionFreeze && c.ID == "":
		newCase(KindFreeze)
	case action == ActionHold:
		newCase(KindHold)
	}
	_, frozenNow := n.q.Frozen(m.Account)
	ans := ScoreAnswer{Subject: m.Subject, Action: action, Case: c.ID, Score: int64(a.Score), Typology: a.Typology, Frozen: frozenNow}
	s := scored{from: from, at: at, req: m, ans: ans}
	n.persist(e, record{kind: recScore, s: s, hasCase: opened, c: c})
	n.eng.Record(ev, action)
	n.remember(s)

	e.Observe(env.ObserveKV(ObsScore, "subject", m.Subject, "user", m.User, "op", string(m.Op),
		"score", strconv.Itoa(a.Score), "action", string(action), "features", a.Explain(), "typology", string(a.Typology)))
	if opened {
		e.Observe(caseObs(c))
		if c.Kind == KindFreeze {
			e.Observe(env.ObserveKV(ObsFreeze, "account", c.Account, "by", ByAutomation, "case", c.ID))
		}
	}
	e.Send(from, EncodeMessage(ans))
	if opened {
		n.sendTask(e, c.ID)
		n.armAutoRelease(e, c)
	}
}

func caseObs(c Case) env.Observation {
	return env.ObserveKV(ObsCase, "case", c.ID, "subject", c.Subject, "account", c.Account, "state", string(c.State),
		"decision", string(c.Decision), "reviewer", c.Reviewer)
}

// sendTask hands the case to the next reviewer and waits TaskResend for a
// decision; each case gets at most 1+TaskResendMax tasks per incarnation.
func (n *Node) sendTask(e env.Env, id string) {
	t, ok := n.q.Assign(id, 1+n.cfg.TaskResendMax)
	if !ok {
		return
	}
	c := t.Case
	e.Send(t.Reviewer, EncodeMessage(ReviewTask{Case: c.ID, Kind: c.Kind, Subject: c.Subject, Account: c.Account,
		OpenedAt: unixNano(c.OpenedAt), Score: int64(c.Score), Typology: c.Typology, Features: c.Features, Attempt: int64(t.Attempt)}))
	e.After(n.cfg.TaskResend, tagTask+strconv.Itoa(t.Attempt)+"/"+c.ID)
}

func (n *Node) armAutoRelease(e env.Env, c Case) {
	if n.cfg.Bug != BugAutoRelease || c.Kind != KindFreeze || c.State != StateOpen {
		return
	}
	e.After(max(c.OpenedAt.Add(n.cfg.AutoReleaseAfter).Sub(e.Now()), 0), tagAutoRelease+c.ID)
}

func (n *Node) timer(e env.Env, tag string) {
	switch {
	case strings.HasPrefix(tag, tagTask):
		attempt, id, ok := strings.Cut(tag[len(tagTask):], "/")
		a, err := strconv.Atoi(attempt)
		if !ok || err != nil || n.q.Attempts(id) != a {
			return // a decision came, or a later task superseded this one
		}
		if c, ok := n.q.Case(id); ok && c.State == StateOpen {
			n.sendTask(e, id)
		}
	case strings.HasPrefix(tag, tagAutoRelease):
		id := tag[len(tagAutoRelease):]
		c, ok := n.q.Case(id)
		if n.cfg.Bug != BugAutoRelease || !ok || c.State != StateOpen || c.Kind != KindFreeze {
			return
		}
		c, _, err := n.q.autoRelease(id, e.Now())
		if err != nil {
			panic(fmt.Sprintf("risk: auto-release: %v", err))
		}
		n.persist(e, record{kind: recDecide, caseID: id, decision: DecisionRelease, by: ByAutomation, at: c.ClosedAt})
		n.closed(e, c)
	}
}

// closed reports a closed case: the release of a freeze, the case, and
// the outcome to the requester.
func (n *Node) closed(e env.Env, c Case) {
	if c.Kind == KindFreeze && c.Decision == DecisionRelease {
		e.Observe(env.ObserveKV(ObsRelease, "account", c.Account, "by", c.Reviewer, "case", c.ID))
	}
	e.Observe(caseObs(c))
	if c.Requester != "" {
		e.Send(c.Requester, EncodeMessage(CaseClosed{Case: c.ID, Kind: c.Kind, Subject: c.Subject, Account: c.Account,
			Decision: c.Decision, Reviewer: c.Reviewer}))
	}
}

func (n *Node) decide(e env.Env, from env.NodeID, m ReviewDecision) {
	if !n.q.IsReviewer(from) {
		n.refuse(e, from, MsgReviewDecision, "not a reviewer")
		e.Send(from, EncodeMessage(ReviewAck{Case: m.Case, Err: ErrNotReviewer.Error()}))
		return
	}
	c, changed, err := n.q.Decide(m.Case, m.Decision, from, e.Now())
	if err != nil {
		e.Send(from, EncodeMessage(ReviewAck{Case: m.Case, Decision: c.Decision, Reviewer: c.Reviewer, Err: clip(err.Error(), FieldMax)}))
		return
	}
	if changed {
		n.persist(e, record{kind: recDecide, caseID: c.ID, decision: c.Decision, by: c.Reviewer, at: c.ClosedAt})
		n.closed(e, c)
	}
	e.Send(from, EncodeMessage(ReviewAck{Case: c.ID, Decision: c.Decision, Reviewer: c.Reviewer}))
}

func (n *Node) status(e env.Env, from env.NodeID, m StatusQuery) {
	a := StatusAnswer{Account: m.Account}
	if f, ok := n.q.Frozen(m.Account); ok {
		a.Frozen, a.FreezeCase = true, f.ID
	}
	if m.Case != "" {
		if c, ok := n.q.Case(m.Case); ok && c.Account == m.Account {
			a.Case, a.Kind, a.State, a.Decision, a.Reviewer = c.ID, c.Kind, c.State, c.Decision, c.Reviewer
		} else {
			a.Err = ErrNoCase.Error()
		}
	}
	e.Send(from, EncodeMessage(a))
}
