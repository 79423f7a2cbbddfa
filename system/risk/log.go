package risk

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"vaultdrill/system/env"
)

// logName is the node's one durable file: framed records (env.Record),
// each the whole state change of one step, appended and synced before the
// step's observations and answers leave the node.
const logName = "risk/log"

// Record kinds.
const (
	recScore  byte = 'S' // a scored operation, with the case it opened, if any
	recDecide byte = 'D' // a case closed
	recCase   byte = 'K' // a case as it stands (written by compaction)
	recHead   byte = 'H' // the next case number (written by compaction)
)

// scored is one answered score request, kept for retries and replay.
type scored struct {
	from env.NodeID
	at   time.Time // the event time the engine used
	req  ScoreRequest
	ans  ScoreAnswer
}

type record struct {
	kind    byte
	s       scored
	hasCase bool
	c       Case
	// recDecide
	caseID   string
	decision Decision
	by       string
	at       time.Time
	// recHead
	next uint64
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func (w *wbuf) caseRec(c Case) {
	w.str(c.ID)
	w.str(string(c.Kind))
	w.str(c.Subject)
	w.str(c.Account)
	w.i64(unixNano(c.OpenedAt))
	w.str(string(c.State))
	w.str(string(c.Decision))
	w.str(c.Reviewer)
	w.i64(unixNano(c.ClosedAt))
	w.i64(int64(c.Score))
	w.str(string(c.Typology))
	w.str(c.Features)
	w.str(string(c.Requester))
}

func (r *rbuf) caseRec() Case {
	c := Case{ID: r.id("case"), Kind: CaseKind(r.str("kind", FieldMax)), Subject: r.id("subject"), Account: r.id("account"),
		OpenedAt: fromNano(r.i64("opened at")), State: CaseState(r.str("state", FieldMax)),
		Decision: Decision(r.str("decision", FieldMax)), Reviewer: r.str("reviewer", FieldMax),
		ClosedAt: fromNano(r.i64("closed at")), Score: int(r.nat("score", ScoreMax)),
		Typology: Typology(r.str("typology", FieldMax)), Features: r.str("features", FeaturesMax),
		Requester: env.NodeID(r.str("requester", FieldMax))}
	open := c.State == StateOpen && c.Decision == "" && c.Reviewer == ""
	closed := c.State == StateClosed && validDecision(c.Decision) && c.Reviewer != ""
	if c.Kind == "" || !optKind(c.Kind) || !validTypology(c.Typology) || !(open || closed) {
		r.fail("case %s: inconsistent fields", c.ID)
	}
	return c
}

func encodeRecord(rec record) []byte {
	w := &wbuf{b: []byte{CodecVersion, rec.kind}}
	switch rec.kind {
	case recScore:
		w.str(string(rec.s.from))
		w.i64(unixNano(rec.s.at))
		w.bytes(EncodeMessage(rec.s.req))
		w.bytes(EncodeMessage(rec.s.ans))
		w.flag(rec.hasCase)
		if rec.hasCase {
			w.caseRec(rec.c)
		}
	case recDecide:
		w.str(rec.caseID)
		w.str(string(rec.decision))
		w.str(rec.by)
		w.i64(unixNano(rec.at))
	case recCase:
		w.caseRec(rec.c)
	case recHead:
		w.i64(int64(rec.next))
	default:
		panic(fmt.Sprintf("risk: encode record kind %q", rec.kind))
	}
	return w.b
}

func decodeRecord(b []byte) (record, error) {
	if len(b) < 2 || b[0] != CodecVersion {
		return record{}, fmt.Errorf("%w: record: version missing or unknown", ErrMessage)
	}
	r := &rbuf{b: b[2:]}
	rec := record{kind: b[1]}
	switch rec.kind {
	case recScore:
		rec.s.from = env.NodeID(r.id("from"))
		rec.s.at = fromNano(r.i64("at"))
		req, ans := r.bytes("request"), r.bytes("answer")
		if r.err == nil {
			m1, err1 := DecodeMessage(req)
			m2, err2 := DecodeMessage(ans)
			q, ok1 := m1.(ScoreRequest)
			a, ok2 := m2.(ScoreAnswer)
			if err1 != nil || err2 != nil || !ok1 || !ok2 {
				r.fail("record: score: request %v, answer %v", err1, err2)
			}
			rec.s.req, rec.s.ans = q, a
		}
		if rec.hasCase = r.flag("has case"); rec.hasCase {
			rec.c = r.caseRec()
		}
	case recDecide:
		rec.caseID = r.id("case")
		rec.decision = Decision(r.str("decision", FieldMax))
		rec.by = r.id("by")
		rec.at = fromNano(r.i64("at"))
		if !validDecision(rec.decision) {
			r.fail("record: decision %q", rec.decision)
		}
	case recCase:
		rec.c = r.caseRec()
	case recHead:
		rec.next = uint64(r.nat("next", math.MaxInt64))
	default:
		return record{}, fmt.Errorf("%w: record kind %d", ErrMessage, rec.kind)
	}
	if err := r.done(); err != nil {
		return record{}, err
	}
	return rec, nil
}

// tornTail reports whether the bytes after the valid records are a prefix
// of one record, as a torn append leaves them: a header that does not fit,
// or a body shorter than the header says. A whole record with a bad
// checksum is damage, not a tear.
func tornTail(rest []byte) bool {
	if len(rest) < 8 {
		return true
	}
	return int(binary.BigEndian.Uint32(rest[:4])) > len(rest)-8
}
