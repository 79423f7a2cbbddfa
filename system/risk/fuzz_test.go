package risk

import (
	"bytes"
	"errors"
	"testing"

	"vaultdrill/system/env"
)

func sampleMessages() []Message {
	return []Message{
		ScoreRequest{Op: OpWithdraw, Subject: "wd-1", User: "alice", Account: "alice", Amount: 5, Address: "k1-x",
			Balance: 9, DeviceNew: true, Geo: tokyo, Home: paris, AccountAge: 1e15, TaintHops: 2, PeelHops: 3, Time: 7},
		ScoreRequest{Op: OpDeposit, Subject: "tx", User: "u", Account: "a", Amount: 1, Address: "k1-y"},
		ScoreAnswer{Subject: "wd-1", Action: ActionFreeze, Case: "risk/case-1", Score: 1000, Typology: TypologyMixer, Frozen: true},
		ScoreAnswer{Subject: "wd-1", Action: ActionLimit, Err: ErrReused},
		StatusQuery{Account: "alice", Case: "risk/case-1"},
		StatusAnswer{Account: "alice", Frozen: true, FreezeCase: "risk/case-1", Case: "risk/case-1", Kind: KindFreeze,
			State: StateClosed, Decision: DecisionConfirm, Reviewer: "reviewer-1"},
		ReviewTask{Case: "risk/case-2", Kind: KindHold, Subject: "wd-2", Account: "bob", OpenedAt: -5, Score: 350,
			Features: "new_device=1", Attempt: 2},
		ReviewDecision{Case: "risk/case-2", Decision: DecisionRelease},
		ReviewAck{Case: "risk/case-2", Decision: DecisionRelease, Reviewer: "reviewer-1"},
		CaseClosed{Case: "risk/case-2", Kind: KindHold, Subject: "wd-2", Account: "bob", Decision: DecisionConfirm, Reviewer: "r"},
	}
}

// Every message survives the round trip, and the decoder turns away
// truncations, trailing bytes, other versions and out-of-range fields.
func TestMessagesRoundTrip(t *testing.T) {
	for _, m := range sampleMessages() {
		b := EncodeMessage(m)
		got, err := DecodeMessage(b)
		if err != nil || got != m {
			t.Fatalf("%T: %v, %+v", m, err, got)
		}
		for cut := 0; cut < len(b); cut++ {
			if _, err := DecodeMessage(b[:cut]); err == nil {
				t.Fatalf("%T accepted cut to %d bytes", m, cut)
			}
		}
		if _, err := DecodeMessage(append(bytes.Clone(b), 0)); !errors.Is(err, ErrMessage) {
			t.Fatalf("%T accepted a trailing byte: %v", m, err)
		}
		bad := bytes.Clone(b)
		bad[2] = CodecVersion + 1
		if _, err := DecodeMessage(bad); !errors.Is(err, ErrMessage) {
			t.Fatalf("%T accepted codec version %d", m, bad[2])
		}
	}
	for _, m := range []Message{
		ScoreRequest{Op: "transfer", Subject: "s", User: "u", Account: "a", Amount: 1, Address: "x"},
		ScoreRequest{Op: OpWithdraw, Subject: "s", User: "u", Account: "a", Amount: 0, Address: "x"},
		ScoreRequest{Op: OpWithdraw, Subject: "", User: "u", Account: "a", Amount: 1, Address: "x"},
		ScoreRequest{Op: OpWithdraw, Subject: "s", User: "u", Account: "a", Amount: 1, Address: "x", TaintHops: -1},
		ScoreRequest{Op: OpWithdraw, Subject: "s", User: "u", Account: "a", Amount: 1, Address: "x", Geo: Point{LatE6: 1}},
		ScoreRequest{Op: OpWithdraw, Subject: "s", User: "u", Account: "a", Amount: 1, Address: "x", Geo: Point{Known: true, LatE6: 91_000_000}},
		ScoreAnswer{Subject: "s", Action: "maybe"},
		ReviewDecision{Case: "c", Decision: ""},
		StatusAnswer{Account: "a", Frozen: true},
		ReviewTask{Case: "c", Kind: KindHold, Subject: "s", Account: "a", Attempt: 0},
	} {
		if _, err := DecodeMessage(EncodeMessage(m)); !errors.Is(err, ErrMessage) {
			t.Errorf("%+v accepted: %v", m, err)
		}
	}
	if _, err := DecodeMessage(env.Encode(env.MsgRaft, []byte{CodecVersion})); !errors.Is(err, ErrMessage) {
		t.Fatalf("a raft frame: %v", err)
	}
}

// FuzzDecodeMessage: DecodeMessage never panics, its errors wrap
// ErrMessage or env.ErrWire, and whatever it accepts re-encodes to exactly
// the bytes it was given (one spelling per message).
//
//	go test -run '^$' -fuzz FuzzDecodeMessage -fuzztime 10s ./system/risk/
func FuzzDecodeMessage(f *testing.F) {
	for _, m := range sampleMessages() {
		f.Add(EncodeMessage(m))
	}
	f.Add([]byte{})
	f.Add([]byte{env.WireVersion, byte(MsgScoreRequest)})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeMessage(b)
		if err != nil {
			if !errors.Is(err, ErrMessage) && !errors.Is(err, env.ErrWire) {
				t.Fatalf("error %v wraps neither ErrMessage nor env.ErrWire", err)
			}
			return
		}
		if again := EncodeMessage(m); !bytes.Equal(again, b) {
			t.Fatalf("%T decoded from %x re-encodes to %x", m, b, again)
		}
	})
}

// FuzzDecodeRecord: the same for the log's records, which a node replays
// after a crash.
//
//	go test -run '^$' -fuzz FuzzDecodeRecord -fuzztime 10s ./system/risk/
func FuzzDecodeRecord(f *testing.F) {
	c := Case{ID: "risk/case-1", Kind: KindFreeze, Subject: "wd-1", Account: "alice", OpenedAt: t0, State: StateOpen,
		Score: 310, Typology: TypologyMixer, Features: "taint_hops=1", Requester: "wallet-1"}
	closed := c
	closed.State, closed.Decision, closed.Reviewer, closed.ClosedAt = StateClosed, DecisionRelease, "reviewer-1", t0.Add(5)
	req := sampleMessages()[0].(ScoreRequest)
	for _, r := range []record{
		{kind: recScore, s: scored{from: "wallet-1", at: t0, req: req, ans: ScoreAnswer{Subject: "wd-1", Action: ActionFreeze, Case: c.ID}}, hasCase: true, c: c},
		{kind: recScore, s: scored{from: "wallet-1", at: t0, req: req, ans: ScoreAnswer{Subject: "wd-1", Action: ActionAllow}}},
		{kind: recDecide, caseID: c.ID, decision: DecisionRelease, by: "reviewer-1", at: t0},
		{kind: recCase, c: closed},
		{kind: recHead, next: 7},
	} {
		f.Add(encodeRecord(r))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeRecord(b)
		if err != nil {
			if !errors.Is(err, ErrMessage) {
				t.Fatalf("error %v does not wrap ErrMessage", err)
			}
			return
		}
		if again := encodeRecord(r); !bytes.Equal(again, b) {
			t.Fatalf("record %q decoded from %x re-encodes to %x", r.kind, b, again)
		}
	})
}
