package risk

import (
	"fmt"
	"math"

	"vaultdrill/system/env"
)

// Message types of the risk protocol: env.MsgType 70-77 (70-79 reserved).
const (
	MsgScoreRequest   env.MsgType = 70 // wallet -> risk: ScoreRequest
	MsgScoreAnswer    env.MsgType = 71 // risk -> wallet: ScoreAnswer
	MsgStatusQuery    env.MsgType = 72 // wallet or reviewer -> risk: StatusQuery ("is this account frozen?")
	MsgStatusAnswer   env.MsgType = 73 // risk -> asker: StatusAnswer
	MsgReviewTask     env.MsgType = 74 // risk -> reviewer: ReviewTask
	MsgReviewDecision env.MsgType = 75 // reviewer -> risk: ReviewDecision
	MsgReviewAck      env.MsgType = 76 // risk -> reviewer: ReviewAck
	MsgCaseClosed     env.MsgType = 77 // risk -> requester: CaseClosed
)

// hopsMax bounds the hop counts a caller may report.
const hopsMax = 1000

// Message is one of the risk protocol's messages.
type Message interface {
	Type() env.MsgType
	encode(w *wbuf)
}

// ScoreRequest asks for the action on one operation. Subject is the
// idempotency key: a retry with the same fields gets the same answer.
type ScoreRequest struct {
	Op        Op
	Subject   string
	User      string
	Account   string
	Amount    int64  // > 0
	Address   string // destination (withdraw) or sender (deposit)
	Balance   int64  // available before the op; 0: unknown
	DeviceNew bool
	Geo, Home Point
	// AccountAge in nanoseconds.
	AccountAge int64
	TaintHops  int64
	PeelHops   int64
	// Time of the operation, Unix nanoseconds; 0: the risk node's clock.
	Time int64
}

// ScoreAnswer answers a ScoreRequest.
type ScoreAnswer struct {
	Subject  string
	Action   Action
	Case     string // the hold or freeze case, if any
	Score    int64
	Typology Typology
	// Frozen: the account is frozen after this operation.
	Frozen bool
	// Err: the request was not scored (e.g. its subject was used before
	// with other fields); Action is then limit.
	Err string
}

// StatusQuery asks whether an account is frozen and, optionally, how a
// case stands.
type StatusQuery struct {
	Account string
	Case    string // optional
}

// StatusAnswer answers a StatusQuery.
type StatusAnswer struct {
	Account    string
	Frozen     bool
	FreezeCase string
	// The asked case, when one was asked and is known.
	Case     string
	Kind     CaseKind
	State    CaseState
	Decision Decision
	Reviewer string
	Err      string
}

// ReviewTask asks a reviewer to decide a case.
type ReviewTask struct {
	Case     string
	Kind     CaseKind
	Subject  string
	Account  string
	OpenedAt int64 // Unix ns
	Score    int64
	Typology Typology
	Features string
	Attempt  int64 // 1 for the first send
}

// ReviewDecision is a reviewer's decision; the reviewer is the
// host-authenticated sender.
type ReviewDecision struct {
	Case     string
	Decision Decision
}

// ReviewAck answers a ReviewDecision: Err empty when the case is closed
// with that decision (now or before, by this reviewer); otherwise why not,
// with the decision the case has, if any.
type ReviewAck struct {
	Case     string
	Decision Decision
	Reviewer string
	Err      string
}

// CaseClosed tells the node whose request opened a case how it ended.
type CaseClosed struct {
	Case     string
	Kind     CaseKind
	Subject  string
	Account  string
	Decision Decision
	Reviewer string
}

func (ScoreRequest) Type() env.MsgType   { return MsgScoreRequest }
func (ScoreAnswer) Type() env.MsgType    { return MsgScoreAnswer }
func (StatusQuery) Type() env.MsgType    { return MsgStatusQuery }
func (StatusAnswer) Type() env.MsgType   { return MsgStatusAnswer }
func (ReviewTask) Type() env.MsgType     { return MsgReviewTask }
func (ReviewDecision) Type() env.MsgType { return MsgReviewDecision }
func (ReviewAck) Type() env.MsgType      { return MsgReviewAck }
func (CaseClosed) Type() env.MsgType     { return MsgCaseClosed }

// EncodeMessage frames a message for the wire.
func EncodeMessage(m Message) []byte {
	w := &wbuf{b: []byte{CodecVersion}}
	m.encode(w)
	return env.Encode(m.Type(), w.b)
}

// DecodeMessage parses a framed risk message strictly: a known type, the
// codec version, every field in range, nothing left over. Errors wrap
// ErrMessage (or env.ErrWire for a bad frame).
func DecodeMessage(payload []byte) (Message, error) {
	t, body, err := env.Decode(payload)
	if err != nil {
		return nil, err
	}
	if len(body) == 0 || body[0] != CodecVersion {
		return nil, fmt.Errorf("%w: type %d: codec version missing or unknown", ErrMessage, t)
	}
	r := &rbuf{b: body[1:]}
	var m Message
	switch t {
	case MsgScoreRequest:
		m = decodeScoreRequest(r)
	case MsgScoreAnswer:
		a := ScoreAnswer{Subject: r.id("subject"), Action: Action(r.str("action", FieldMax)), Case: r.str("case", FieldMax),
			Score: r.nat("score", ScoreMax), Typology: Typology(r.str("typology", FieldMax)), Frozen: r.flag("frozen"),
			Err: r.str("err", FieldMax)}
		if !validAction(a.Action) || !validTypology(a.Typology) {
			r.fail("answer: action %q typology %q", a.Action, a.Typology)
		}
		m = a
	case MsgStatusQuery:
		m = StatusQuery{Account: r.id("account"), Case: r.str("case", FieldMax)}
	case MsgStatusAnswer:
		a := StatusAnswer{Account: r.id("account"), Frozen: r.flag("frozen"), FreezeCase: r.str("freeze case", FieldMax),
			Case: r.str("case", FieldMax), Kind: CaseKind(r.str("kind", FieldMax)), State: CaseState(r.str("state", FieldMax)),
			Decision: Decision(r.str("decision", FieldMax)), Reviewer: r.str("reviewer", FieldMax), Err: r.str("err", FieldMax)}
		if a.Frozen != (a.FreezeCase != "") || !optKind(a.Kind) || !optState(a.State) || (a.Decision != "" && !validDecision(a.Decision)) {
			r.fail("status answer: inconsistent fields")
		}
		m = a
	case MsgReviewTask:
		a := ReviewTask{Case: r.id("case"), Kind: CaseKind(r.str("kind", FieldMax)), Subject: r.id("subject"), Account: r.id("account"),
			OpenedAt: r.i64("opened at"), Score: r.nat("score", ScoreMax), Typology: Typology(r.str("typology", FieldMax)),
			Features: r.str("features", FeaturesMax), Attempt: r.nat("attempt", math.MaxInt32)}
		if a.Kind == "" || !optKind(a.Kind) || !validTypology(a.Typology) || a.Attempt < 1 {
			r.fail("review task: kind %q typology %q attempt %d", a.Kind, a.Typology, a.Attempt)
		}
		m = a
	case MsgReviewDecision:
		a := ReviewDecision{Case: r.id("case"), Decision: Decision(r.str("decision", FieldMax))}
		if !validDecision(a.Decision) {
			r.fail("decision %q", a.Decision)
		}
		m = a
	case MsgReviewAck:
		a := ReviewAck{Case: r.id("case"), Decision: Decision(r.str("decision", FieldMax)), Reviewer: r.str("reviewer", FieldMax),
			Err: r.str("err", FieldMax)}
		if a.Decision != "" && !validDecision(a.Decision) {
			r.fail("decision %q", a.Decision)
		}
		m = a
	case MsgCaseClosed:
		a := CaseClosed{Case: r.id("case"), Kind: CaseKind(r.str("kind", FieldMax)), Subject: r.id("subject"), Account: r.id("account"),
			Decision: Decision(r.str("decision", FieldMax)), Reviewer: r.id("reviewer")}
		if a.Kind == "" || !optKind(a.Kind) || !validDecision(a.Decision) {
			r.fail("case closed: kind %q decision %q", a.Kind, a.Decision)
		}
		m = a
	default:
		return nil, fmt.Errorf("%w: type %d is not a risk message", ErrMessage, t)
	}
	if err := r.done(); err != nil {
		return nil, err
	}
	return m, nil
}

func optKind(k CaseKind) bool   { return k == "" || k == KindHold || k == KindFreeze }
func optState(s CaseState) bool { return s == "" || s == StateOpen || s == StateClosed }

func decodeScoreRequest(r *rbuf) ScoreRequest {
	q := ScoreRequest{Op: Op(r.str("op", FieldMax)), Subject: r.id("subject"), User: r.id("user"), Account: r.id("account"),
		Amount: r.nat("amount", math.MaxInt64), Address: r.id("address"), Balance: r.nat("balance", math.MaxInt64),
		DeviceNew: r.flag("device new"), Geo: r.point("geo"), Home: r.point("home"),
		AccountAge: r.nat("account age", math.MaxInt64), TaintHops: r.nat("taint hops", hopsMax),
		PeelHops: r.nat("peel hops", hopsMax), Time: r.nat("time", math.MaxInt64)}
	if !validOp(q.Op) {
		r.fail("op %q", q.Op)
	}
	if q.Amount < 1 {
		r.fail("amount %d", q.Amount)
	}
	return q
}

func (m ScoreRequest) encode(w *wbuf) {
	w.str(string(m.Op))
	w.str(m.Subject)
	w.str(m.User)
	w.str(m.Account)
	w.i64(m.Amount)
	w.str(m.Address)
	w.i64(m.Balance)
	w.flag(m.DeviceNew)
	w.point(m.Geo)
	w.point(m.Home)
	w.i64(m.AccountAge)
	w.i64(m.TaintHops)
	w.i64(m.PeelHops)
	w.i64(m.Time)
}

func (m ScoreAnswer) encode(w *wbuf) {
	w.str(m.Subject)
	w.str(string(m.Action))
	w.str(m.Case)
	w.i64(m.Score)
	w.str(string(m.Typology))
	w.flag(m.Frozen)
	w.str(m.Err)
}

func (m StatusQuery) encode(w *wbuf) {
	w.str(m.Account)
	w.str(m.Case)
}

func (m StatusAnswer) encode(w *wbuf) {
	w.str(m.Account)
	w.flag(m.Frozen)
	w.str(m.FreezeCase)
	w.str(m.Case)
	w.str(string(m.Kind))
	w.str(string(m.State))
	w.str(string(m.Decision))
	w.str(m.Reviewer)
	w.str(m.Err)
}

func (m ReviewTask) encode(w *wbuf) {
	w.str(m.Case)
	w.str(string(m.Kind))
	w.str(m.Subject)
	w.str(m.Account)
	w.i64(m.OpenedAt)
	w.i64(m.Score)
	w.str(string(m.Typology))
	w.str(m.Features)
	w.i64(m.Attempt)
}

func (m ReviewDecision) encode(w *wbuf) {
	w.str(m.Case)
	w.str(string(m.Decision))
}

func (m ReviewAck) encode(w *wbuf) {
	w.str(m.Case)
	w.str(string(m.Decision))
	w.str(m.Reviewer)
	w.str(m.Err)
}

func (m CaseClosed) encode(w *wbuf) {
	w.str(m.Case)
	w.str(string(m.Kind))
	w.str(m.Subject)
	w.str(m.Account)
	w.str(string(m.Decision))
	w.str(m.Reviewer)
}
